/* HTTP GET through libcurl, made for flaky networks and throttling portals.
 *
 * Every request has a connect timeout and a total timeout. A request that times out,
 * loses its connection (also mid-body), or gets HTTP 408, 429 or 5xx is retried after an
 * exponentially growing, jittered delay (base * 2^attempt, up to 60 s), or after
 * the server's Retry-After when it sends one (one of CC_HTTP_MOST_RETRY_AFTER_S or more
 * fails the request at once, saying when to ask again); up to max_retries times. Any other 4xx
 * is not retried: the error names the URL and status. Responses may be gzip-encoded
 * (decoded by curl). An optional token bucket keeps to a request rate (police.uk:
 * 15 requests/s, bursts of 30). A response body larger than CC_HTTP_MOST_BODY is refused
 * (a page of the portals is a few MB; a server is not trusted to size what is held). A
 * flag the caller sets (options.stop, from a signal handler) abandons a request at once:
 * the transfer in flight, a retry's wait and the rate limiter's. A client belongs to one
 * thread; no global state besides libcurl's one-time global init. */
#ifndef CRIMECAST_CRAWLER_HTTP_CLIENT_H
#define CRIMECAST_CRAWLER_HTTP_CLIENT_H

#include <signal.h>
#include <stddef.h>

#define CC_HTTP_MOST_BODY (256 << 20)

typedef struct cc_http_options {
    double connect_timeout_s;   /* default 15 */
    double total_timeout_s;     /* default 120 */
    int max_retries;            /* 0: the default, 8; negative: none */
    double backoff_base_s;      /* default 1 */
    double rate_per_s;          /* 0: unlimited */
    int burst;                  /* token bucket size when rate_per_s > 0 */
    const char *header;         /* one extra request header ("X-App-Token: ..."), or NULL */
    long answer_status;         /* a status that is an answer, not a failure: returned at once
                                   without retrying (police.uk: 503 = too many crimes); 0: none */
    unsigned seed;              /* for the jitter */
    const volatile sig_atomic_t *stop; /* non-zero: give up the request now; NULL: never */
    /* Called before a retry's wait of CC_HTTP_SAID_WAIT_S or more (a Retry-After of an
     * hour is otherwise silence), with why: the status, 0 for a failed transfer, or -1 for
     * the caller's back-off after an unusable answer (cc_http_client_back_off); may be NULL. */
    void (*on_wait)(void *context, const char *url, long status, double seconds);
    void *wait_context;
} cc_http_options;

#define CC_HTTP_SAID_WAIT_S 5.0
#define CC_HTTP_MOST_RETRY_AFTER_S 3600.0

typedef struct cc_http_response {
    long status;
    char *body;        /* NUL-terminated; free with cc_http_response_free */
    size_t length;
    int too_big;       /* refused for its size (past CC_HTTP_MOST_BODY): asking again gets it again */
} cc_http_response;

typedef struct cc_http_stats {
    long requests, retries;
} cc_http_stats;

typedef struct cc_http_client cc_http_client;

/* Fills unset options (zeros) with the defaults above. */
void cc_http_options_defaults(cc_http_options *options);

cc_http_client *cc_http_client_new(const cc_http_options *options, char *err, size_t err_len);
void cc_http_client_free(cc_http_client *client);

/* GETs `url`, retrying as above. Returns 0 with a 2xx response, or the response of a
 * non-retryable status in `response->status` with -1, or -1 with status 0 when the
 * transfer failed after every retry (`err` names the URL either way), or 1 with status 0
 * and no body when *options.stop was set before the response was whole. */
int cc_http_get(cc_http_client *client, const char *url, cc_http_response *response, char *err,
                size_t err_len);

/* Waits as before retry number `attempt` (0-based) of a failed request: for an answer from
 * `url` the caller found unusable (a page cut short, a proxy's HTML page), so that its
 * tries are spaced as the client's own retries are, counted among them (stats.retries)
 * and said through on_wait as theirs are (status -1: an unusable answer). Returns early
 * when *options.stop is set. */
void cc_http_client_back_off(cc_http_client *client, int attempt, const char *url);

const cc_http_stats *cc_http_client_stats(const cc_http_client *client);
void cc_http_response_free(cc_http_response *response);

/* Percent-encodes `text` for a query string into out. */
void cc_url_encode(const char *text, char *out, size_t out_len);

#endif
