#include "crawler/http_client.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crawler/clock.h"

struct cc_http_client {
    CURL *curl;
    struct curl_slist *headers;
    cc_http_options options;
    cc_http_stats stats;
    double tokens, last_refill;   /* token bucket */
    unsigned jitter_state;
};

typedef struct transfer {
    char *body;
    size_t length, capacity;
    double retry_after_s;   /* from a Retry-After header, or -1 */
    int too_big;            /* the body passed CC_HTTP_MOST_BODY: the transfer was stopped */
} transfer;

static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void cc_http_options_defaults(cc_http_options *o) {
    if (o->connect_timeout_s <= 0) o->connect_timeout_s = 15;
    if (o->total_timeout_s <= 0) o->total_timeout_s = 120;
    if (o->max_retries == 0) o->max_retries = 8;
    if (o->max_retries < 0) o->max_retries = 0; /* asked for no retries */
    if (o->backoff_base_s <= 0) o->backoff_base_s = 1;
    if (o->rate_per_s > 0 && o->burst <= 0) o->burst = 1;
}

static int stopped(const cc_http_client *c) { return c->options.stop && *c->options.stop; }

/* Sleeps s seconds, or less when the stop flag is set: in slices of at most 0.2 s, the
 * flag read before each (a signal landing between the read and the sleep would
 * otherwise wait out a whole backoff, up to a minute). */
static void sleep_seconds(const cc_http_client *c, double s) {
    double end = cc_now_seconds() + s;
    for (double left = s; left > 0 && !stopped(c); left = end - cc_now_seconds()) {
        double slice = left < 0.2 ? left : 0.2;
        struct timespec ts = {(time_t)slice, (long)((slice - floor(slice)) * 1e9)};
        nanosleep(&ts, NULL); /* EINTR: the loop reads the flag */
    }
}

/* curl's progress callback, called at least once a second during a transfer: a non-zero
 * return aborts it (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *context, curl_off_t total_down, curl_off_t down, curl_off_t total_up, curl_off_t up) {
    (void)total_down, (void)down, (void)total_up, (void)up;
    return stopped(context);
}

cc_http_client *cc_http_client_new(const cc_http_options *options, char *err, size_t err_len) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_init);
    cc_http_client *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        free(c);
        snprintf(err, err_len, "cannot start libcurl");
        return NULL;
    }
    c->options = *options;
    cc_http_options_defaults(&c->options);
    if (options->header) c->headers = curl_slist_append(NULL, options->header);
    c->tokens = c->options.burst;
    c->last_refill = cc_now_seconds();
    c->jitter_state = options->seed ? options->seed : 0x5eed;
    return c;
}

void cc_http_client_free(cc_http_client *c) {
    if (!c) return;
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->curl);
    free(c);
}

const cc_http_stats *cc_http_client_stats(const cc_http_client *c) { return &c->stats; }

void cc_http_response_free(cc_http_response *r) {
    free(r->body);
    r->body = NULL;
    r->length = 0;
}

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    transfer *t = context;
    size_t n = size * count;
    if (t->length + n > CC_HTTP_MOST_BODY) {
        t->too_big = 1;
        return 0; /* makes curl fail the transfer */
    }
    if (t->length + n + 1 > t->capacity) {
        size_t capacity = t->capacity ? t->capacity : 1 << 16;
        while (capacity < t->length + n + 1) capacity *= 2;
        char *body = realloc(t->body, capacity);
        if (!body) return 0; /* makes curl fail the transfer */
        t->body = body;
        t->capacity = capacity;
    }
    memcpy(t->body + t->length, data, n);
    t->length += n;
    t->body[t->length] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    transfer *t = context;
    size_t n = size * count;
    if (n > 12 && !strncasecmp(data, "Retry-After:", 12)) { /* delay-seconds, or an HTTP date */
        char value[128], *end;
        snprintf(value, sizeof value, "%.*s", (int)(n - 12 < sizeof value - 1 ? n - 12 : sizeof value - 1), data + 12);
        double seconds = strtod(value, &end);
        while (*end == ' ' || *end == '\r' || *end == '\n') end++;
        if (end == value || *end) { /* not a number: a date, "Wed, 21 Oct 2037 07:28:00 GMT" */
            time_t when = curl_getdate(value, NULL);
            seconds = when == (time_t)-1 ? -1 : difftime(when, time(NULL));
            if (when != (time_t)-1 && seconds < 0) seconds = 0; /* a date past: now */
        }
        if (seconds >= 0 && isfinite(seconds)) t->retry_after_s = seconds; /* unreadable: the backoff's own delay */
    }
    return n;
}

/* Waits for a token of the rate limiter. */
static void take_token(cc_http_client *c) {
    if (c->options.rate_per_s <= 0) return;
    for (;;) {
        double now = cc_now_seconds();
        c->tokens = fmin(c->options.burst, c->tokens + (now - c->last_refill) * c->options.rate_per_s);
        c->last_refill = now;
        if (c->tokens >= 1) {
            c->tokens -= 1;
            return;
        }
        if (stopped(c)) return;
        sleep_seconds(c, (1 - c->tokens) / c->options.rate_per_s);
    }
}

static int retryable_curl_error(CURLcode code) {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR: /* a connection reset in the TLS handshake (a busy portal, a flaky link) */
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Whether a redirect from `from` to `to` may carry the extra header (the app token): to
 * the same origin (scheme, host and port), or to the same host moved from http to https
 * (a portal sending a user's http:// to its https://). */
static int header_may_follow(const char *from, const char *to) {
    CURLU *u[2] = {curl_url(), curl_url()};
    const char *urls[2] = {from, to};
    char *scheme[2] = {NULL, NULL}, *host[2] = {NULL, NULL}, *port[2] = {NULL, NULL};
    int parsed = 1;
    for (int i = 0; i < 2; i++) {
        parsed = parsed && u[i] && curl_url_set(u[i], CURLUPART_URL, urls[i], 0) == CURLUE_OK &&
                 curl_url_get(u[i], CURLUPART_SCHEME, &scheme[i], CURLU_DEFAULT_SCHEME) == CURLUE_OK &&
                 curl_url_get(u[i], CURLUPART_HOST, &host[i], 0) == CURLUE_OK &&
                 curl_url_get(u[i], CURLUPART_PORT, &port[i], CURLU_DEFAULT_PORT) == CURLUE_OK;
    }
    int same_host = parsed && !strcasecmp(host[0], host[1]);
    int same_origin = same_host && !strcasecmp(scheme[0], scheme[1]) && !strcmp(port[0], port[1]);
    int upgrade = same_host && !strcasecmp(scheme[0], "http") && !strcasecmp(scheme[1], "https");
    for (int i = 0; i < 2; i++) curl_free(scheme[i]), curl_free(host[i]), curl_free(port[i]), curl_url_cleanup(u[i]);
    return same_origin || upgrade;
}

enum { MOST_REDIRECTS = 10 };

static CURLcode attempt_once(cc_http_client *c, const char *url, int with_header, transfer *t, long *status);

/* One attempt, its redirects followed here rather than by curl: curl would send the
 * extra header (the app token) to whatever host a redirect names; here it goes only to
 * the first URL's origin. Returns the curl result; the status and body go to t. */
static CURLcode attempt(cc_http_client *c, const char *url, transfer *t, long *status) {
    char *current = strdup(url);
    int with_header = 1;
    CURLcode code = current ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    for (int hops = 0; current; hops++) {
        code = attempt_once(c, current, with_header, t, status);
        char *next = NULL;
        if (code != CURLE_OK || *status < 300 || *status > 399 || hops == MOST_REDIRECTS ||
            curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next)
            break;
        with_header = with_header && header_may_follow(current, next);
        free(current);
        current = strdup(next); /* next is the handle's, gone at its reset */
        t->length = 0, t->retry_after_s = -1; /* the redirect's own body is not the answer */
        if (t->body) t->body[0] = '\0';   /* nor its text, when the answer's body is empty */
        if (!current) code = CURLE_OUT_OF_MEMORY;
    }
    free(current);
    return code;
}

static CURLcode attempt_once(cc_http_client *c, const char *url, int with_header, transfer *t, long *status) {
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    /* a redirect's Location is a URL like any: http(s) only, as curl's own following had */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->options.connect_timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->options.total_timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "crimecast/" CRIMECAST_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    if (c->options.stop) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    }
    if (c->headers && with_header) curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    take_token(c);
    if (stopped(c)) return CURLE_ABORTED_BY_CALLBACK;
    c->stats.requests++;
    CURLcode code = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return code;
}

static double backoff(cc_http_client *c, int attempt_number, double retry_after_s) {
    if (retry_after_s >= 0) return retry_after_s;
    double base = c->options.backoff_base_s * pow(2.0, attempt_number);
    if (base > 60) base = 60;
    double jitter = (double)rand_r(&c->jitter_state) / RAND_MAX; /* full jitter in [base/2, base] */
    return base * (0.5 + 0.5 * jitter);
}

void cc_http_client_back_off(cc_http_client *c, int attempt, const char *url) {
    c->stats.retries++; /* the caller asks again: a retry as the client's own are, in the summary too */
    double wait = backoff(c, attempt, -1);
    if (c->options.on_wait && wait >= CC_HTTP_SAID_WAIT_S) c->options.on_wait(c->options.wait_context, url, -1, wait);
    sleep_seconds(c, wait);
}

int cc_http_get(cc_http_client *c, const char *url, cc_http_response *r, char *err, size_t err_len) {
    memset(r, 0, sizeof *r);
    for (int n = 0;; n++) {
        transfer t = {NULL, 0, 0, -1, 0};
        long status;
        CURLcode code = stopped(c) ? CURLE_ABORTED_BY_CALLBACK : attempt(c, url, &t, &status);
        if (stopped(c)) { /* whatever came back is dropped: the caller stops before storing */
            free(t.body);
            snprintf(err, err_len, "%s: stopped before the response was whole", url);
            return 1;
        }
        if (t.too_big) {
            free(t.body);
            r->too_big = 1;
            snprintf(err, err_len, "%s: the response is larger than %d MiB: refused", url, CC_HTTP_MOST_BODY >> 20);
            return -1;
        }
        int ok = code == CURLE_OK && status >= 200 && status < 300;
        int retry = code == CURLE_OK ? (status == 408 || status == 429 || status >= 500) && status != c->options.answer_status
                                     : retryable_curl_error(code);
        /* a server asking for more than an hour: no crawl waits so long (a probe's 2 hours were
         * asked again after the backoff's 1 s, 8 times in minutes); the crawl resumes later */
        int too_long = retry && code == CURLE_OK && t.retry_after_s >= CC_HTTP_MOST_RETRY_AFTER_S;
        if (ok || !retry || too_long || n >= c->options.max_retries) {
            r->status = code == CURLE_OK ? status : 0;
            if (ok) {
                r->body = t.body ? t.body : calloc(1, 1);
                r->length = t.length;
                return 0;
            }
            free(t.body);
            if (code == CURLE_OPERATION_TIMEDOUT)
                snprintf(err, err_len, "%s: %s (after %d attempt%s of at most %g s each: --timeout)", url,
                         curl_easy_strerror(code), n + 1, n ? "s" : "", c->options.total_timeout_s);
            else if (code != CURLE_OK)
                snprintf(err, err_len, "%s: %s (after %d attempt%s)", url, curl_easy_strerror(code), n + 1, n ? "s" : "");
            else if (too_long)
                snprintf(err, err_len, "%s: HTTP %ld, and the server asks to be asked again in %.1f hours (Retry-After): "
                         "longer than a request waits (an hour); ask again then", url, status, t.retry_after_s / 3600);
            else if (status >= 300 && status < 400)
                snprintf(err, err_len, "%s: HTTP %ld: more than %d redirects, or one to nowhere", url, status,
                         MOST_REDIRECTS);
            else
                snprintf(err, err_len, "%s: HTTP %ld%s", url, status,
                         retry ? " after every retry" : " (not retried: the request itself is refused)");
            return -1;
        }
        free(t.body);
        c->stats.retries++;
        double wait = backoff(c, n, t.retry_after_s);
        if (c->options.on_wait && wait >= CC_HTTP_SAID_WAIT_S)
            c->options.on_wait(c->options.wait_context, url, code == CURLE_OK ? status : 0, wait);
        sleep_seconds(c, wait);
    }
}

void cc_url_encode(const char *text, char *out, size_t out_len) {
    static const char HEX[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 4 < out_len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~:", *p)) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = HEX[*p >> 4];
            out[n++] = HEX[*p & 15];
        }
    }
    out[n] = '\0';
}
