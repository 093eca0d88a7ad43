/* host/run_crawl.h */
#include "host/run_crawl.h"

#include <stdlib.h>
#include <string.h>

#include "crawler/crawl.h"
#include "crawler/datetime.h"
#include "host/city_check.h"
#include "host/ctrl_c.h"
#include "host/defaults.h"
#include "host/progress.h"
#include "host/run_import.h"
#include "host/shell_word.h"

static const cc_option CRAWL_OPTIONS[] = {
    {CC_OPTION_TEXT("city", cc_crawl_request, city, "CITY", NULL, "the city whose portal is crawled"), .required = 1},
    {CC_OPTION_TEXT("db", cc_crawl_request, db, "PATH", CC_DEFAULT_DB, "the incident store")},
    {CC_OPTION_DATE("from", cc_crawl_request, from, NULL, "the first day; London's, the first of a month"), .required = 1},
    {CC_OPTION_DATE("to", cc_crawl_request, to, NULL, "the day after the last"), .required = 1},
    {CC_OPTION_TEXT("base-url", cc_crawl_request, base_url, "URL", NULL,
                    "replace the portal's scheme and host (a mirror or test server)")},
    {CC_OPTION_TEXT("token", cc_crawl_request, token, "T", NULL,
                    "Socrata app token, sent as X-App-Token (if not given: CRIMECAST_SOCRATA_TOKEN)")},
    {CC_OPTION_INT("page-size", cc_crawl_request, page_size, "N", "10000", 1, 1000000, "Socrata rows per request")},
    {CC_OPTION_REAL("timeout", cc_crawl_request, timeout, "S", "120", 0.001,
                    "seconds for one request (connecting: at most 15)")},
    {CC_OPTION_INT("retries", cc_crawl_request, retries, "N", "8", 0, 1000, "retries of a failed request")},
    {CC_OPTION_REAL("backoff", cc_crawl_request, backoff, "S", "1", 0.001, "first retry delay in seconds, doubling")},
};

/* police.uk gives each record its month alone, so a crawl there stores whole months: a
 * range that starts or ends inside one would drop that month's days without a word (and
 * raster would count them as zeros). 0 when the range is whole months or the portal
 * another kind; a city file that does not load is the run's to report. */
static int whole_months_for_police_uk(const char *name, int64_t from, int64_t to, char *why, size_t why_len) {
    char path[4400], load_err[512];
    if (cc_city_path(name, path, sizeof path, load_err, sizeof load_err) != 0) return 0;
    cc_city *city = cc_city_load_file(path, load_err, sizeof load_err);
    if (!city) return 0;
    int monthly = strcmp(cc_city_portal(city)->kind, "police.uk") == 0;
    cc_city_free(city);
    int fy, fm, fd, ty, tm, td;
    cc_civil_from_days(from, &fy, &fm, &fd);
    cc_civil_from_days(to, &ty, &tm, &td);
    if (!monthly || (fd == 1 && td == 1)) return 0;
    int64_t first = cc_days_from_civil(fy, fm, 1);
    int64_t last = td == 1 ? to : cc_days_from_civil(tm == 12 ? ty + 1 : ty, tm == 12 ? 1 : tm + 1, 1);
    char a[11], b[11];
    cc_format_iso_date(first, a), cc_format_iso_date(last, b);
    snprintf(why, why_len, "%s's records carry only their month, so --from and --to must be the first of a month "
             "(--from %s --to %s covers the range asked)", name, a, b);
    return -1;
}

/* A portal is asked over HTTP(S) alone: anything else would only fail after the retries. */
static int check_base_url(const char *url, char *why, size_t why_len) {
    if (!url || !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) return 0;
    snprintf(why, why_len, "--base-url takes an http:// or https:// address (got '%s')", url);
    return -1;
}

static int check_request(void *request, char *why, size_t why_len) {
    const cc_crawl_request *r = request;
    int64_t from, to;
    cc_parse_iso_date(r->from, &from), cc_parse_iso_date(r->to, &to); /* valid: the table checked them */
    if (to <= from) {
        snprintf(why, why_len, "--to must be after --from");
        return -1;
    }
    if (cc_city_check(r->city, CC_CITY_CRAWLABLE, why, why_len) != 0 || check_base_url(r->base_url, why, why_len) != 0) return -1;
    return whole_months_for_police_uk(r->city, from, to, why, why_len);
}

static const cc_option_group CRAWL_GROUPS[] = {{"options", CC_OPTION_ROWS(CRAWL_OPTIONS), 0}};

const cc_command_spec CC_CRAWL_SPEC = {
    .name = "crawl",
    .synopsis = "--city CITY [--db PATH] --from DATE --to DATE [--base-url URL] [--token T] [options]",
    .description =
        "Fetches the city's records for [from, to) from its open-data portal into the store:\n"
        "Chicago, San Francisco and Los Angeles through the Socrata API (every dataset the\n"
        "range touches), London through data.police.uk (month by month, tiled). Every page is\n"
        "committed with the crawl's position, so an interrupted crawl (Ctrl-C, kill, power\n"
        "loss) run again with the same arguments continues where it stopped (the Socrata month\n"
        "window it stopped in is read again whole: records added meanwhile shift its pages).\n"
        "A Socrata month window is read until its rows come to the portal's count of it, each\n"
        "page overlapping the one before by a row, so that a record added or removed while it\n"
        "is read is seen and the window read again; one that still does not (two readings, or\n"
        "three when its pages keep shifting) ends the crawl with exit 1 once every window is\n"
        "stored. A range crawled before asks each window's count and reads again only the\n"
        "windows whose count changed (police.uk: only the months not fetched yet).\n",
    .request_size = sizeof(cc_crawl_request),
    .groups = CRAWL_GROUPS,
    .group_count = 1,
    .check = check_request,
};

void cc_crawl_request_defaults(cc_crawl_request *r) { cc_options_defaults(&CC_CRAWL_SPEC, r); }

typedef struct reporter {
    cc_progress bar;
    const char *city;
    FILE *out;
} reporter;

static void on_page(void *context, const char *window, const cc_crawl_stats *s) {
    reporter *r = context;
    if (!r->bar.enabled) return;
    double elapsed = cc_now_seconds() - r->bar.start;
    fprintf(stderr, "\r%s %s: %ld pages, %llu rows, %.0f rows/s, %ld retries\033[K", r->city, window, s->pages,
            (unsigned long long)s->rows.rows_read, elapsed > 0 ? (double)s->rows.rows_read / elapsed : 0.0,
            s->retries);
}

static void on_window(void *context, const char *window, long pages, long rows, const cc_crawl_stats *s) {
    reporter *r = context;
    if (r->bar.enabled) return;
    fprintf(r->out, "%s %s: %ld pages, %ld rows (%llu rows, %llu inserted so far, %ld retries)\n", r->city, window,
            pages, rows, (unsigned long long)s->rows.rows_read, (unsigned long long)s->rows.inserted, s->retries);
    fflush(r->out);
}

/* A long wait before a retry, said on stderr (a portal's Retry-After may be an hour). */
static void on_wait(void *context, const char *url, long status, double seconds) {
    reporter *r = context;
    char why[32] = "a failed transfer";
    if (status < 0) snprintf(why, sizeof why, "an unusable answer");
    else if (status) snprintf(why, sizeof why, "HTTP %ld", status);
    fprintf(stderr, "%scrimecast crawl: %s; asking again in %.0f s: %s\n", r->bar.enabled ? "\n" : "", why, seconds,
            url);
}

static void print_summary(FILE *out, const cc_crawl_request *a, const cc_crawl_stats *s) {
    const cc_import_stats *r = &s->rows;
    fprintf(out, "crawl %s %s..%s: %ld pages, %ld requests, %ld retries, %llu rows read, %llu inserted, "
                 "%llu duplicates, %llu rejected (no coordinates %llu, outside area %llu, bad date %llu, "
                 "malformed %llu) [%.1f s]\n",
            a->city, a->from, a->to, s->pages, s->requests, s->retries, (unsigned long long)r->rows_read,
            (unsigned long long)r->inserted, (unsigned long long)r->duplicates,
            (unsigned long long)cc_import_rejected_total(r), (unsigned long long)r->rejected[CC_REJECT_NO_COORDINATES],
            (unsigned long long)r->rejected[CC_REJECT_OUTSIDE_BBOX], (unsigned long long)r->rejected[CC_REJECT_BAD_DATE],
            (unsigned long long)r->rejected[CC_REJECT_MALFORMED], s->seconds);
    fflush(out);
    cc_print_row_notes(stderr, r, a->city);
}

/* The crawler's options for the request (texts borrowed; `header` holds the token's). */
static cc_crawl_options options_of(const cc_crawl_request *r, char *header, size_t header_len) {
    cc_crawl_options o = {0};
    cc_parse_iso_date(r->from, &o.from), cc_parse_iso_date(r->to, &o.to);
    o.base_url = r->base_url;
    o.page_size = r->page_size;
    o.http.total_timeout_s = r->timeout;
    o.http.connect_timeout_s = r->timeout < 15 ? r->timeout : 15;
    o.http.max_retries = r->retries > 0 ? r->retries : -1; /* -1: none (0 means the client's default) */
    o.http.backoff_base_s = r->backoff;
    const char *token = r->token ? r->token : getenv("CRIMECAST_SOCRATA_TOKEN");
    if (token) {
        snprintf(header, header_len, "X-App-Token: %s", token);
        o.http.header = header;
    }
    return o;
}

/* cc_crawl as Ctrl-C work (host/ctrl_c.h): it stops after the page under way is stored. */
typedef struct crawl_work {
    cc_store *store;
    const cc_city *city;
    cc_crawl_options *options;
    cc_crawl_stats *stats;
    char *err;
    size_t err_len;
} crawl_work;

static int crawl_until_stopped(void *context, volatile sig_atomic_t *stop) {
    crawl_work *w = context;
    w->options->stop = stop;
    return cc_crawl(w->store, w->city, w->options, w->stats, w->err, w->err_len);
}

/* The error of a crawl stopped by Ctrl-C, with the command that resumes it: the store
 * holds the crawl's position, so the same range and options pick it up where it was. */
static void interrupted(const cc_crawl_request *r, char *err, size_t err_len) {
    char *city = malloc(CC_SHELL_WORD_MAX), *db = malloc(CC_SHELL_WORD_MAX), *url = malloc(CC_SHELL_WORD_MAX);
    const char *words[3] = {NULL, NULL, NULL};
    if (city && db && url)
        words[0] = cc_shell_word(r->city, city, CC_SHELL_WORD_MAX),
        words[1] = cc_shell_word(r->db, db, CC_SHELL_WORD_MAX),
        words[2] = r->base_url ? cc_shell_word(r->base_url, url, CC_SHELL_WORD_MAX) : "";
    int n = words[0] && words[1] && words[2]
                ? snprintf(err, err_len, "interrupted after the last stored page; resume with:\n  crimecast crawl --city %s "
                           "--db %s --from %s --to %s%s%s --page-size %d --timeout %g --retries %d --backoff %g%s",
                           words[0], words[1], r->from, r->to, r->base_url ? " --base-url " : "", words[2], r->page_size,
                           r->timeout, r->retries, r->backoff,
                           r->token ? "\n  (with --token as before, or CRIMECAST_SOCRATA_TOKEN set)" : "")
                : -1;
    if (n < 0 || (size_t)n >= err_len) /* a command cut short would run something else */
        snprintf(err, err_len, "interrupted after the last stored page; %s holds the crawl's position: run the same "
                 "command again to resume", r->db);
    free(city), free(db), free(url);
}

/* A Socrata range no dataset of the city covers asks nothing and stores nothing: said,
 * with what the datasets cover (it ended "0 requests" without a word). */
static void note_no_dataset(const cc_crawl_options *o, const cc_city *city) {
    const cc_portal *portal = cc_city_portal(city);
    if (strcmp(portal->kind, "socrata") != 0) return;
    char spans[512] = "";
    size_t used = 0;
    for (int i = 0; i < portal->dataset_count; i++) {
        const cc_dataset *ds = &portal->datasets[i];
        if (ds->from < o->to && ds->to > o->from) return; /* one covers part of the range */
        char first[11], end[11] = "today";
        cc_format_iso_date(ds->from, first);
        if (ds->to != INT64_MAX) cc_format_iso_date(ds->to, end);
        if (used < sizeof spans)
            used += (size_t)snprintf(spans + used, sizeof spans - used, "%s%s %s .. %s", i ? ", " : "", ds->id, first,
                                     end);
    }
    fprintf(stderr, "crimecast crawl: note: no dataset of %s covers any day of the range (%s): nothing to ask\n",
            cc_city_name(city), spans);
}

static int crawl_into(const cc_crawl_request *r, cc_store *store, const cc_city *city, FILE *out, char *err,
                      size_t err_len) {
    char header[512];
    cc_crawl_options o = options_of(r, header, sizeof header);
    note_no_dataset(&o, city);
    reporter rep = {.city = r->city, .out = out};
    cc_progress_begin(&rep.bar, r->city, 0);
    o.on_page = on_page, o.on_window = on_window, o.context = &rep;
    o.http.on_wait = on_wait, o.http.wait_context = &rep;
    cc_crawl_stats stats;
    char why[2048];
    crawl_work work = {store, city, &o, &stats, why, sizeof why};
    int status = cc_with_ctrl_c(crawl_until_stopped, &work, NULL);
    cc_progress_end(&rep.bar);
    print_summary(out, r, &stats);
    if (stats.months_unpublished)
        fprintf(stderr, "crimecast crawl: note: police.uk has no crime for %d month%s (the first: %s): not "
                "published yet? Left to fetch again by the next crawl\n", stats.months_unpublished,
                stats.months_unpublished > 1 ? "s" : "", stats.first_unpublished);
    if (stats.months_unlisted)
        fprintf(stderr, "crimecast crawl: note: police.uk does not list %d month%s of the range among its published "
                "ones (the first: %s; its latest: %s): not asked, left to fetch again by the next crawl\n",
                stats.months_unlisted, stats.months_unlisted > 1 ? "s" : "", stats.first_unlisted,
                stats.latest_listed[0] ? stats.latest_listed : "none");
    if (stats.months_unknown_why[0])
        fprintf(stderr, "crimecast crawl: note: police.uk's list of published months could not be had (%s): every "
                "month was asked\n", stats.months_unknown_why);
    if (stats.windows_reread)
        fprintf(stderr, "crimecast crawl: note: %ld window%s read again whole: the portal's count of %s did not match "
                "the rows read, or %s pages shifted (records added or removed before its end since or while it was "
                "read; or a page that came back short)\n", stats.windows_reread, stats.windows_reread > 1 ? "s" : "",
                stats.windows_reread > 1 ? "them" : "it", stats.windows_reread > 1 ? "their" : "its");
    if (stats.pages_outside_window)
        fprintf(stderr, "crimecast crawl: warning: %ld page%s held rows dated outside the window asked for (the first: "
                "%s): stored, as records of the dataset; a portal or proxy that ignores the query's dates?\n",
                stats.pages_outside_window, stats.pages_outside_window > 1 ? "s" : "", stats.first_outside_window);
    if (stats.counts_refused[0] && !(status < 0 && stats.refused)) /* (a missing dataset refuses both) */
        fprintf(stderr, "crimecast crawl: warning: the portal refuses the count of a window (%s): windows were read "
                "unchecked, from where each stopped (records it adds or removes before that are not seen)\n",
                stats.counts_refused);
    if (stats.windows_miscounted) { /* the store is known to lack records: a failure (found by a probe) */
        char said[1024];
        snprintf(said, sizeof said, "%ld window%s (the first: %s) could not be read whole though read again: %s rows "
                 "never came to the portal's count, or %s pages kept shifting (records added or removed while it was "
                 "read, or a portal whose pages do not return what it counts; one that never does fails every crawl "
                 "so): what was read is stored; run the crawl again later to complete %s", stats.windows_miscounted,
                 stats.windows_miscounted > 1 ? "s" : "", stats.first_miscounted,
                 stats.windows_miscounted > 1 ? "their" : "its", stats.windows_miscounted > 1 ? "their" : "its",
                 stats.windows_miscounted > 1 ? "them" : "it");
        if (status == 0) {
            snprintf(err, err_len, "%s", said);
            return -1;
        }
        fprintf(stderr, "crimecast crawl: warning: %s\n", said); /* the crawl's own failure follows */
    }
    if (status < 0 && stats.page_too_big)
        snprintf(err, err_len, "%s\n  everything read before this request is stored; its rows are too long for pages of %d: "
                 "ask for smaller ones to go on (--page-size %d)", why, o.page_size,
                 o.page_size > 4 ? o.page_size / 4 : 1);
    else if (status < 0 && stats.refused)
        snprintf(err, err_len, "%s\n  everything read before this request is stored; the portal refuses this request, so "
                 "running it again fails the same way", why);
    else if (status < 0)
        snprintf(err, err_len, "%s\n  everything read before this request is stored; run again to resume", why);
    if (status > 0) interrupted(r, err, err_len);
    return status == 0 ? 0 : -1;
}

int cc_run_crawl(const cc_crawl_request *r, FILE *out, char *err, size_t err_len) {
    cc_city *city = cc_city_load(r->city, err, err_len);
    if (!city) return -1;
    cc_store *store = cc_store_open(r->db, err, err_len);
    int status = store ? crawl_into(r, store, city, out, err, err_len) : -1;
    cc_store_close(store);
    cc_city_free(city);
    return status;
}
