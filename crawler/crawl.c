#include "crawler/crawl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/clock.h"
#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "crawler/police_uk.h"

enum { DEFAULT_PAGE_SIZE = 10000, TILES_PER_SIDE = 4, MAX_SPLIT_DEPTH = 10 };

/* The last count check of a window (0-based) before it is given up on as not coming to
 * the portal's count: each mismatch before it reads the window again whole. */
enum { WINDOW_PASSES = 2 };

/* Tries of a page that arrives cut short (no final newline: a connection closed early, a
 * gzip stream cut with its length), a count without its number or a police.uk tile that
 * is not a JSON array, before the crawl stops on it. */
enum { CUT_PAGE_TRIES = 3 };

typedef struct crawl_job {
    cc_store *store;
    const cc_city *city;
    const cc_crawl_options *options;
    cc_crawl_stats *stats;
    cc_http_client *http;
    char base_url[512];
    int page_size;
    char *err;
    size_t err_len;
    /* police.uk's published months (/api/crimes-street-dates), asked once, when a month
     * first has a tile to fetch: 0 not asked yet, 1 listed, -1 not to be had */
    int months_known;
    char (*months)[8];
    int month_count;
    int no_counts;      /* Socrata: the portal refused a count(*) request: windows go unchecked */
} crawl_job;

static int stopped(const crawl_job *job) { return job->options->stop && *job->options->stop; }

/* A status that asking again will not change: the request itself refused (a 4xx but 408
 * Request Timeout and 429 Too Many Requests, which the next run may well get past). */
static int refused_for_good(long status) { return status >= 400 && status < 500 && status != 408 && status != 429; }

static void page_done(crawl_job *job, const char *window) {
    job->stats->pages++;
    const cc_http_stats *h = cc_http_client_stats(job->http);
    job->stats->requests = h->requests;
    job->stats->retries = h->retries;
    if (job->options->on_page) job->options->on_page(job->options->context, window, job->stats);
}

static void window_done(crawl_job *job, const char *window, long pages, uint64_t rows_before) {
    job->stats->windows++;
    if (job->options->on_window)
        job->options->on_window(job->options->context, window, pages,
                                (long)(job->stats->rows.rows_read - rows_before), job->stats);
}

/* Stores one page (or tile) and the position after it, in one transaction. */
typedef int (*store_page_fn)(crawl_job *job, const cc_http_response *page, const char *label, void *context);

static int commit_page(crawl_job *job, const char *source, const char *window, const cc_http_response *page,
                       const char *label, store_page_fn store_page, void *context, cc_crawl_position *pos) {
    if (cc_store_begin(job->store, job->err, job->err_len) != 0) return -1;
    cc_import_stats counted = job->stats->rows; /* a page rolled back is not counted in the summary */
    int status = store_page(job, page, label, context);
    if (status == 0)
        status = cc_store_set_crawl_position(job->store, cc_city_name(job->city), source, window, pos, job->err,
                                             job->err_len);
    if (status == 0) status = cc_store_commit(job->store, job->err, job->err_len);
    if (status != 0) cc_store_rollback(job->store), job->stats->rows = counted;
    return status;
}

/* ------------------------------------------------------------------ Socrata */

typedef struct socrata_page {
    const char *from, *to; /* the window asked for, ISO dates: [from, to) */
    uint64_t rows;         /* records in the page, rejected ones included */
    char outside[17];      /* the date of a row outside the window ("": none) */
} socrata_page;

static int store_csv_page(crawl_job *job, const cc_http_response *page, const char *label, void *context) {
    socrata_page *result = context;
    cc_import_stats *rows = &job->stats->rows;
    uint64_t before = rows->rows_read;
    rows->earliest[0] = rows->latest[0] = 0; /* this page's */
    int status = cc_import_bytes(job->store, job->city, page->body, page->length, label, rows, job->err,
                                 job->err_len);
    result->rows = rows->rows_read - before;
    /* The window's field is the date the rows are dated by: a row outside it was not asked
     * for (a portal or proxy that ignores $where); stored (a record of the dataset) and said. */
    if (rows->earliest[0] && strncmp(rows->earliest, result->from, 10) < 0)
        memcpy(result->outside, rows->earliest, sizeof result->outside);
    else if (rows->latest[0] && strncmp(rows->latest, result->to, 10) >= 0)
        memcpy(result->outside, rows->latest, sizeof result->outside);
    return status;
}

/* The window [from, to) as a URL-encoded $where on the dataset's date field: the pages
 * and the count of a window ask the very same rows. */
static void window_where(const cc_dataset *ds, const char *from, const char *to, char encoded[768]) {
    char where[256];
    snprintf(where, sizeof where, "%s >= '%sT00:00:00' AND %s < '%sT00:00:00'", ds->date_field, from,
             ds->date_field, to);
    cc_url_encode(where, encoded, 768);
}

static void socrata_url(const crawl_job *job, const cc_dataset *ds, const char *from, const char *to,
                        long long offset, int limit, char *url, size_t len) {
    char encoded[768];
    window_where(ds, from, to, encoded);
    snprintf(url, len, "%s/resource/%s.csv?$where=%s&$order=:id&$limit=%d&$offset=%lld", job->base_url, ds->id,
             encoded, limit, offset);
}

/* The length of the CSV record at `at`: up to and with the line break that ends it, one
 * outside quotes (a quoted field may hold line breaks); to `end` when none does. */
static size_t csv_record_length(const char *at, const char *end) {
    int quoted = 0;
    for (const char *c = at; c < end; c++) {
        if (*c == '"') quoted = !quoted; /* a doubled quote inside a field flips twice */
        else if (*c == '\n' && !quoted) return (size_t)(c - at) + 1;
    }
    return (size_t)(end - at);
}

/* The page's last record (after its header line): where it begins and its length; 0 when
 * the page holds no record. */
static size_t last_record(const cc_http_response *page, const char **record) {
    const char *at = page->body, *end = page->body + page->length, *last = NULL;
    at += csv_record_length(at, end); /* the header */
    for (size_t n; at < end; at += n) n = csv_record_length(at, end), last = at;
    *record = last;
    return last ? (size_t)(end - last) : 0;
}

/* A page asked from one row before the saved offset begins with the row the previous page
 * ended with when no record was added or removed before the offset meanwhile; that row
 * is then cut from the page (stored already) and 1 returned; 0 when the page begins with
 * another row: the pages shifted. */
static int cut_overlap(cc_http_response *page, const char *previous, size_t previous_length) {
    const char *end = page->body + page->length;
    size_t header = csv_record_length(page->body, end);
    char *first = page->body + header;
    size_t first_length = first < end ? csv_record_length(first, end) : 0;
    if (first_length != previous_length || memcmp(first, previous, previous_length) != 0) return 0;
    memmove(first, first + first_length, (size_t)(end - first) - first_length + 1); /* with the NUL */
    page->length -= first_length;
    return 1;
}

/* A CSV page as Socrata sends it: empty, or whole lines, its quotes paired (a quote
 * inside a field is doubled). One cut mid-line - or just after a line break inside a
 * quoted field - lost its end on the way: its last record would be stored cut, and the
 * offset would pass the rest. */
static int cut_short(const cc_http_response *page) {
    if (page->length == 0) return 0;
    size_t quotes = 0;
    for (const char *c = page->body; (c = memchr(c, '"', page->length - (size_t)(c - page->body))) != NULL; c++)
        quotes++;
    return page->body[page->length - 1] != '\n' || quotes % 2 != 0;
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* An answer's text without the white space around it: [*begin, *end). */
static void trimmed_answer(const cc_http_response *page, const char **begin, const char **end) {
    *begin = page->body, *end = page->body + page->length;
    while (*begin < *end && blank(**begin)) ++*begin;
    while (*end > *begin && blank((*end)[-1])) --*end;
}

/* An HTML page where CSV was asked for: a proxy's or the portal's error page sent with
 * status 200. */
static int html_page(const cc_http_response *page) {
    const char *begin, *end;
    trimmed_answer(page, &begin, &end);
    return begin < end && *begin == '<';
}

/* GETs a page, again when it arrives cut short or as an HTML page. 0, 1 (stopped) or -1
 * with err. */
static int get_whole_page(crawl_job *job, const char *url, cc_http_response *page) {
    for (int tries = 1;; tries++) {
        int got = cc_http_get(job->http, url, page, job->err, job->err_len);
        if (got != 0) return got;
        int html = html_page(page), cut = !html && cut_short(page); /* (an HTML page may end without a newline) */
        if (!cut && !html) return 0;
        cc_http_response_free(page);
        if (tries == CUT_PAGE_TRIES) {
            snprintf(job->err, job->err_len, "%s: the page arrived %s %d times: nothing of it stored", url,
                     cut ? "cut short (its last line unended)" : "as an HTML page, not CSV", tries);
            return -1;
        }
        cc_http_client_back_off(job->http, tries - 1, url);
        if (stopped(job)) return 1;
    }
}

/* The number in a count answer (a header line, then the number, quoted or not): 1 with
 * *rows, or 0 with its second line in `digits`. */
static int parse_count(const cc_http_response *page, long long *rows, char digits[32]) {
    const char *end = page->body + page->length, *line = memchr(page->body, '\n', page->length);
    size_t n = 0;
    int too_long = 0;
    for (const char *c = line ? line + 1 : end; c < end && *c != '\n' && *c != '\r'; c++)
        if (*c != '"' && !(too_long = n + 1 >= 32)) digits[n++] = *c;
    digits[n] = '\0';
    char *stop = NULL;
    errno = 0;
    *rows = strtoll(digits, &stop, 10);
    return n > 0 && !too_long && errno == 0 && stop && *stop == '\0' && *rows >= 0;
}

/* The portal's count of a window's rows: one $select=count(*) request of the same $where.
 * An answer without a number (cut after its header line with the connection, an empty or
 * HTML body from a proxy) is asked again, CUT_PAGE_TRIES times in all. 0 with *rows, 1
 * stopped, -1 with err. A portal that refuses the request (a 4xx: a mirror without SoQL)
 * sets job->no_counts and answers 0 with *rows unchanged: the crawl goes on unchecked. */
static int socrata_count(crawl_job *job, const cc_dataset *ds, const char *from, const char *to, long long *rows) {
    char encoded[768], url[2048];
    window_where(ds, from, to, encoded);
    snprintf(url, sizeof url, "%s/resource/%s.csv?$select=count(*)%%20AS%%20n&$where=%s", job->base_url, ds->id,
             encoded);
    for (int tries = 1;; tries++) {
        cc_http_response page;
        int got = get_whole_page(job, url, &page); /* a count cut short would be another number */
        if (got < 0 && refused_for_good(page.status)) { /* a mirror without SoQL's count: read unchecked */
            snprintf(job->stats->counts_refused, sizeof job->stats->counts_refused, "%s", job->err);
            job->no_counts = 1;
            return 0;
        }
        if (got != 0) return got;
        char digits[32];
        int ok = parse_count(&page, rows, digits);
        cc_http_response_free(&page);
        if (ok) return 0;
        if (tries == CUT_PAGE_TRIES) {
            char shown[64];
            snprintf(job->err, job->err_len, "%s: the portal's count of the window is not a number ('%s'; %d "
                     "answers)", url, cc_printable(digits, shown, sizeof shown, 40), tries);
            return -1;
        }
        cc_http_client_back_off(job->http, tries - 1, url);
        if (stopped(job)) return 1;
    }
}

/* A reading's pages shifted under it: read_window_pages' answer when a record was added
 * or removed before its offset between two of its pages. */
enum { PAGES_SHIFTED = 2 };

/* One page of a reading at pos->next_offset, stored with the position after it (see
 * read_window_pages); *previous: the reading's previous page's last row, NULL on its first
 * page, replaced by this page's. 0, 1 (stopped), PAGES_SHIFTED, or -1 with err. */
static int read_page(crawl_job *job, const cc_dataset *ds, const char *from, const char *to, const char *window,
                     const char *city, cc_crawl_position *pos, char **previous, size_t *previous_length) {
    int overlap = *previous != NULL && pos->next_offset > 0;
    char url[2048], label[2200];
    socrata_url(job, ds, from, to, pos->next_offset - overlap, job->page_size + overlap, url, sizeof url);
    snprintf(label, sizeof label, "%s %s page at offset %lld", ds->id, window, pos->next_offset);
    cc_http_response page;
    int got = get_whole_page(job, url, &page);
    if (got < 0) job->stats->refused = refused_for_good(page.status);
    if (got < 0) job->stats->page_too_big = page.too_big; /* (its message comes before the refusal's) */
    if (got != 0) return got; /* 1: stopped, nothing of the page stored */
    if (overlap && !cut_overlap(&page, *previous, *previous_length)) {
        cc_http_response_free(&page);
        return PAGES_SHIFTED;
    }
    const char *last;
    size_t last_length = last_record(&page, &last);
    char *kept = last_length ? malloc(last_length) : NULL;
    if (last_length && !kept) {
        cc_http_response_free(&page);
        snprintf(job->err, job->err_len, "out of memory");
        return -1;
    }
    if (kept) memcpy(kept, last, last_length), free(*previous), *previous = kept, *previous_length = last_length;
    socrata_page result = {from, to, 0, ""};
    cc_crawl_position next = *pos;
    cc_import_stats counted = job->stats->rows; /* put back if the page is rolled back */
    /* The position is written after the rows are counted: see store_csv_page. */
    if (cc_store_begin(job->store, job->err, job->err_len) != 0) {
        cc_http_response_free(&page);
        return -1;
    }
    /* an empty body (no header line either: a mirror's empty result) is the empty page */
    int status = page.length ? store_csv_page(job, &page, label, &result) : 0;
    next.next_offset = pos->next_offset + (long long)result.rows;
    next.complete = result.rows == 0;
    if (status == 0)
        status = cc_store_set_crawl_position(job->store, city, ds->id, window, &next, job->err, job->err_len);
    if (status == 0) status = cc_store_commit(job->store, job->err, job->err_len);
    if (status != 0) cc_store_rollback(job->store), job->stats->rows = counted;
    cc_http_response_free(&page);
    if (status != 0) return -1;
    if (result.outside[0] && job->stats->pages_outside_window++ == 0)
        snprintf(job->stats->first_outside_window, sizeof job->stats->first_outside_window, "%s, a row of %s",
                 label, result.outside);
    *pos = next;
    return 0;
}

/* Reads a window's pages from pos->next_offset to an empty page (a page shorter than
 * asked for may be a portal's own cap, not the end), each stored with the position
 * after it. Every page after the reading's first is asked from the row before its offset:
 * it must begin with the row the previous page ended with, or a record added or removed
 * before the offset shifted the rows (a removal and an addition leave the count as it
 * was, and the row at the offset would be passed for good). 0, 1 (stopped),
 * PAGES_SHIFTED (nothing of that page stored), or -1 with err. */
static int read_window_pages(crawl_job *job, const cc_dataset *ds, const char *from, const char *to,
                             const char *window, cc_crawl_position *pos, long *pages) {
    const char *city = cc_city_name(job->city);
    char *previous = NULL; /* the last row of the reading's previous page */
    size_t previous_length = 0;
    int status = 0;
    while (status == 0) {
        if (stopped(job)) {
            status = 1;
            break;
        }
        status = read_page(job, ds, from, to, window, city, pos, &previous, &previous_length);
        if (status == 0) (*pages)++, page_done(job, window);
        if (status == 0 && pos->complete) break;
    }
    free(previous);
    return status;
}

/* A window whose readings never came to the portal's count: for the summary's warning. */
static void miscounted(crawl_job *job, const cc_dataset *ds, const char *window) {
    if (job->stats->windows_miscounted++ == 0)
        snprintf(job->stats->first_miscounted, sizeof job->stats->first_miscounted, "%s %s", ds->id, window);
}

/* Reads one date window of a dataset. Socrata pages by offset under $order=:id, and a
 * record the portal adds or removes anywhere but at the end shifts the rest: a window is
 * read until its rows read come to the portal's count of it, and that count is the one
 * asked before the reading began (one that moved meanwhile means a record shifted past
 * the pages or read twice, and rows read can still come to it). A window read before is
 * asked its count first: unchanged, it is not read again (one request); changed, it is
 * read again whole (duplicates are skipped). A window stopped part way is read again
 * whole too: what changed while it was stopped moved no count the crawl had. One record
 * added and one removed during a reading leave the count as it was, but not the pages:
 * each page overlaps the one before by a row, and a reading whose pages shifted is begun
 * again whole. What a portal's count and its pages still disagree on after WINDOW_PASSES
 * is counted for the summary's warning. */
static int crawl_socrata_window(crawl_job *job, const cc_dataset *ds, int64_t w0, int64_t w1) {
    char from[11], to[11], window[32];
    cc_format_iso_date(w0, from);
    cc_format_iso_date(w1, to);
    snprintf(window, sizeof window, "%s..%s", from, to);
    cc_crawl_position pos;
    if (cc_store_crawl_position(job->store, cc_city_name(job->city), ds->id, window, &pos, job->err, job->err_len) != 0)
        return -1;
    long pages = 0;
    uint64_t rows_before = job->stats->rows.rows_read;
    if (!pos.complete) pos.next_offset = 0; /* new, or stopped part way: read whole (above) */
    long long at_start = -1; /* the portal's count when the reading under way began (-1: none) */
    int reread = 0;
    for (int pass = 0;; pass++) {
        if (stopped(job)) return 1;
        long long count = pos.next_offset;
        int got = job->no_counts ? 0 : socrata_count(job, ds, from, to, &count);
        if (got != 0) return got;
        if (pos.complete) { /* read to its end (before, or just now): do the rows come to the count? */
            if (job->no_counts) { /* unchecked: only what comes after the saved offset */
                if (pass > 0) break;
                pos.complete = 0;
            } else if (count == pos.next_offset && (at_start < 0 || count == at_start)) {
                break; /* (a count that moved during the reading: a record shifted past or read twice) */
            } else if (pass >= WINDOW_PASSES) {
                miscounted(job, ds, window);
                break;
            } else {
                if (!reread++) job->stats->windows_reread++;
                pos.next_offset = 0, pos.complete = 0; /* whole, from the start */
            }
        }
        at_start = job->no_counts ? -1 : count;
        int status = read_window_pages(job, ds, from, to, window, &pos, &pages);
        if (status == PAGES_SHIFTED && pass >= WINDOW_PASSES) {
            miscounted(job, ds, window);
            break;
        }
        if (status == PAGES_SHIFTED) { /* asked its count again, then read whole */
            if (!reread++) job->stats->windows_reread++;
            pos.next_offset = 0, pos.complete = 0;
            continue;
        }
        if (status != 0) return status;
    }
    window_done(job, window, pages, rows_before);
    return 0;
}

static int64_t first_of_next_month(int64_t day) {
    int y, m, d;
    cc_civil_from_days(day, &y, &m, &d);
    return m == 12 ? cc_days_from_civil(y + 1, 1, 1) : cc_days_from_civil(y, m + 1, 1);
}

static int crawl_socrata(crawl_job *job) {
    const cc_portal *portal = cc_city_portal(job->city);
    for (int i = 0; i < portal->dataset_count; i++) {
        const cc_dataset *ds = &portal->datasets[i];
        int64_t lo = job->options->from > ds->from ? job->options->from : ds->from;
        int64_t hi = job->options->to < ds->to ? job->options->to : ds->to;
        for (int64_t w0 = lo; w0 < hi;) {
            int64_t w1 = first_of_next_month(w0);
            if (w1 > hi) w1 = hi;
            int status = crawl_socrata_window(job, ds, w0, w1);
            if (status != 0) return status;
            w0 = w1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ police.uk */

/* context: the month asked for, "YYYY-MM" */
static int store_json_tile(crawl_job *job, const cc_http_response *page, const char *label, void *context) {
    return cc_police_uk_import_page(job->store, job->city, page->body, page->length, (const char *)context, label,
                                    &job->stats->rows, job->err, job->err_len);
}

static int store_nothing(crawl_job *job, const cc_http_response *page, const char *label, void *context) {
    (void)job, (void)page, (void)label, (void)context;
    return 0;
}

typedef struct tile {
    double lon0, lat0, lon1, lat1;
    char key[16 + MAX_SPLIT_DEPTH + 1];
} tile;

static int crawl_tile(crawl_job *job, const char *month, const tile *t, int depth);

static int split_tile(crawl_job *job, const char *month, const tile *t, int depth) {
    if (depth >= MAX_SPLIT_DEPTH) { /* 503 says "more than 10,000 crimes": not in a square this small */
        double metres = (t->lat1 - t->lat0) * 111320.0;
        snprintf(job->err, job->err_len, "police.uk answers HTTP 503 for tile %s of %s even split %d times, a "
                 "square of %.0f m, too small for the 10,000 crimes a 503 means there: the service is down or "
                 "refusing", t->key, month, depth, metres);
        return -1;
    }
    job->stats->tiles_split++;
    double mid_lon = 0.5 * (t->lon0 + t->lon1), mid_lat = 0.5 * (t->lat0 + t->lat1);
    for (int q = 0; q < 4; q++) {
        tile child = {q % 2 ? mid_lon : t->lon0, q / 2 ? mid_lat : t->lat0, q % 2 ? t->lon1 : mid_lon,
                      q / 2 ? t->lat1 : mid_lat, ""};
        size_t n = strlen(t->key); /* depth is bounded, so the key fits */
        memcpy(child.key, t->key, n);
        child.key[n] = (char)('0' + q);
        child.key[n + 1] = '\0';
        int status = crawl_tile(job, month, &child, depth + 1);
        if (status != 0) return status;
    }
    return 0;
}

/* Whether an answer is shaped as the API's JSON array, '[' to ']' (white space aside). */
static int json_array_shaped(const cc_http_response *page) {
    const char *begin, *end;
    trimmed_answer(page, &begin, &end);
    return end - begin >= 2 && *begin == '[' && end[-1] == ']';
}

/* GETs a tile, again when the answer is not shaped as a JSON array (cut short with the
 * connection, an empty or HTML body from a proxy), CUT_PAGE_TRIES times in all: the
 * import's parse of the last names what it was. As cc_http_get: 0, 1 stopped, -1. */
static int get_tile(crawl_job *job, const char *url, cc_http_response *page) {
    for (int tries = 1;; tries++) {
        int got = cc_http_get(job->http, url, page, job->err, job->err_len);
        if (got != 0 || json_array_shaped(page) || tries == CUT_PAGE_TRIES) return got;
        cc_http_response_free(page);
        cc_http_client_back_off(job->http, tries - 1, url);
        if (stopped(job)) return 1;
    }
}

static int crawl_tile(crawl_job *job, const char *month, const tile *t, int depth) {
    char window[64];
    snprintf(window, sizeof window, "%s/%s", month, t->key);
    const char *city = cc_city_name(job->city);
    cc_crawl_position pos;
    if (cc_store_crawl_position(job->store, city, "police.uk", window, &pos, job->err, job->err_len) != 0) return -1;
    if (pos.complete) return 0;
    if (stopped(job)) return 1;
    char url[1024];
    snprintf(url, sizeof url,
             "%s/api/crimes-street/all-crime?date=%s&poly=%.6f,%.6f:%.6f,%.6f:%.6f,%.6f:%.6f,%.6f", job->base_url,
             month, t->lat0, t->lon0, t->lat1, t->lon0, t->lat1, t->lon1, t->lat0, t->lon1);
    cc_http_response page;
    int got = get_tile(job, url, &page);
    if (got > 0) return 1; /* stopped, nothing of the tile stored */
    cc_crawl_position done = {0, 1};
    if (got != 0 && page.status == 503) { /* too many crimes in the tile: split it */
        int status = split_tile(job, month, t, depth);
        if (status != 0) return status;
        cc_http_response none = {0, NULL, 0};
        /* Every child is stored: mark the parent done so a later crawl skips it. */
        return commit_page(job, "police.uk", window, &none, url, store_nothing, NULL, &done);
    }
    if (got != 0) {
        job->stats->refused = refused_for_good(page.status);
        return -1;
    }
    uint64_t before = job->stats->rows.rows_read;
    char label[128];
    snprintf(label, sizeof label, "police.uk %s crime", window);
    int status = commit_page(job, "police.uk", window, &page, label, store_json_tile, (void *)month, &done);
    cc_http_response_free(&page);
    if (status != 0) return -1;
    page_done(job, window);
    window_done(job, window, 1, before);
    return 0;
}

/* A month whose every tile came back empty: police.uk answers [] for a month it has not
 * published yet (a London month never has no crime). Its tiles are marked not done, so
 * the next crawl asks again; counted for the summary. 0 or -1 with err. */
static int forget_month(crawl_job *job, const char *month) {
    if (cc_store_begin(job->store, job->err, job->err_len) != 0) return -1;
    char prefix[32]; /* every tile of the month, a split one's children too: kept done, they would be skipped
                        when the month comes with crimes and their parent is split again */
    snprintf(prefix, sizeof prefix, "%s/", month);
    int status = cc_store_forget_crawl_windows(job->store, cc_city_name(job->city), "police.uk", prefix, job->err,
                                               job->err_len);
    if (status == 0) status = cc_store_commit(job->store, job->err, job->err_len);
    if (status != 0) {
        cc_store_rollback(job->store);
        return -1;
    }
    if (job->stats->months_unpublished++ == 0)
        snprintf(job->stats->first_unpublished, sizeof job->stats->first_unpublished, "%s", month);
    return 0;
}

/* Asks police.uk once for its published months. A failure is not the crawl's: every
 * month is then asked (an unpublished one answers [], forget_month's case), and the
 * summary says so. 0, or 1 when stopped. */
static int list_months(crawl_job *job) {
    char url[600];
    snprintf(url, sizeof url, "%s/api/crimes-street-dates", job->base_url);
    cc_http_response page;
    int got = cc_http_get(job->http, url, &page, job->err, job->err_len);
    if (got > 0) return 1;
    if (got == 0)
        got = cc_police_uk_months(page.body, page.length, url, &job->months, &job->month_count, job->err, job->err_len);
    cc_http_response_free(&page); /* (no body when the request failed) */
    if (got == 0 && job->month_count == 0) { /* police.uk always lists years of months: this list says nothing */
        snprintf(job->err, job->err_len, "%s: an empty list", url);
        got = -1;
    }
    job->months_known = got == 0 ? 1 : -1;
    if (got != 0) snprintf(job->stats->months_unknown_why, sizeof job->stats->months_unknown_why, "%s", job->err);
    job->err[0] = 0;
    return 0;
}

static int month_listed(const crawl_job *job, const char *month) {
    for (int i = 0; i < job->month_count; i++)
        if (!strcmp(job->months[i], month)) return 1;
    return 0;
}

/* Whether the month has a top-level tile not fetched yet. 1, 0, or -1 with err. */
static int month_unfinished(crawl_job *job, const char *month) {
    for (int r = 0; r < TILES_PER_SIDE; r++)
        for (int c = 0; c < TILES_PER_SIDE; c++) {
            char window[64];
            snprintf(window, sizeof window, "%s/r%dc%d.", month, r, c);
            cc_crawl_position pos;
            if (cc_store_crawl_position(job->store, cc_city_name(job->city), "police.uk", window, &pos, job->err,
                                        job->err_len) != 0)
                return -1;
            if (!pos.complete) return 1;
        }
    return 0;
}

/* A month police.uk does not list (yet): not asked, left to the next crawl; counted. */
static void month_unlisted(crawl_job *job, const char *month) {
    cc_crawl_stats *s = job->stats;
    if (s->months_unlisted++ == 0) snprintf(s->first_unlisted, sizeof s->first_unlisted, "%s", month);
    for (int i = 0; i < job->month_count; i++) /* the latest it has, for the note */
        if (strcmp(job->months[i], s->latest_listed) > 0) memcpy(s->latest_listed, job->months[i], 8);
}

static int crawl_police_uk(crawl_job *job) {
    cc_bbox b = cc_city_bbox(job->city);
    int64_t day = job->options->from;
    int y, m, d;
    cc_civil_from_days(day, &y, &m, &d);
    if (d != 1) day = first_of_next_month(day); /* whole months only: records carry just a month */
    for (; day < job->options->to; day = first_of_next_month(day)) {
        cc_civil_from_days(day, &y, &m, &d);
        if (first_of_next_month(day) > job->options->to) break;
        char month[16];
        snprintf(month, sizeof month, "%04d-%02d", y % 10000, m % 100);
        int unfinished = month_unfinished(job, month);
        if (unfinished < 0) return -1;
        if (unfinished && !job->months_known && list_months(job) != 0) return 1;
        if (unfinished && job->months_known > 0 && !month_listed(job, month)) {
            month_unlisted(job, month);
            continue;
        }
        double w = (b.max_lon - b.min_lon) / TILES_PER_SIDE, h = (b.max_lat - b.min_lat) / TILES_PER_SIDE;
        for (int r = 0; r < TILES_PER_SIDE; r++)
            for (int c = 0; c < TILES_PER_SIDE; c++) {
                tile t = {b.min_lon + c * w, b.min_lat + r * h, b.min_lon + (c + 1) * w, b.min_lat + (r + 1) * h, ""};
                snprintf(t.key, sizeof t.key, "r%dc%d.", r, c);
                int status = crawl_tile(job, month, &t, 0);
                if (status != 0) return status;
            }
        /* From the store, not this run: a crawl stopped part way through an empty month (or
         * killed before it was forgotten) and run again sees tiles done, and the month must
         * still be left undone. */
        char from[16], to[16];
        int ny, nm, nd;
        cc_civil_from_days(first_of_next_month(day), &ny, &nm, &nd);
        snprintf(from, sizeof from, "%s", month), snprintf(to, sizeof to, "%04d-%02d", ny % 10000, nm % 100);
        long long stored = cc_store_count_occurred(job->store, cc_city_name(job->city), from, to);
        if (stored < 0) {
            snprintf(job->err, job->err_len, "cannot count the store's incidents of %s", month);
            return -1;
        }
        if (stored == 0 && forget_month(job, month) != 0) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ entry */

int cc_crawl(cc_store *store, const cc_city *city, const cc_crawl_options *options, cc_crawl_stats *stats,
             char *err, size_t err_len) {
    memset(stats, 0, sizeof *stats);
    const cc_portal *portal = cc_city_portal(city);
    int police = !strcmp(portal->kind, "police.uk");
    if (!police && strcmp(portal->kind, "socrata") != 0) {
        snprintf(err, err_len, "%s: unknown portal kind '%s'", cc_city_name(city), portal->kind);
        return -1;
    }
    crawl_job job = {store, city, options, stats, NULL, "", options->page_size > 0 ? options->page_size
                                                                                  : DEFAULT_PAGE_SIZE,
                     err, err_len, 0, NULL, 0};
    snprintf(job.base_url, sizeof job.base_url, "%s", options->base_url ? options->base_url : portal->base_url);
    size_t n = strlen(job.base_url);
    while (n > 0 && job.base_url[n - 1] == '/') job.base_url[--n] = '\0';
    cc_http_options http = options->http;
    http.stop = options->stop; /* a stop also ends the request in flight and any retry's wait */
    if (police) {
        if (http.rate_per_s <= 0) http.rate_per_s = 15, http.burst = 30;
        http.answer_status = 503;
    }
    job.http = cc_http_client_new(&http, err, err_len);
    if (!job.http) return -1;
    double start = cc_now_seconds();
    int status = police ? crawl_police_uk(&job) : crawl_socrata(&job);
    stats->seconds = cc_now_seconds() - start;
    const cc_http_stats *h = cc_http_client_stats(job.http);
    stats->requests = h->requests;
    stats->retries = h->retries;
    cc_http_client_free(job.http);
    free(job.months);
    return status;
}
