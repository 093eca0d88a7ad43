/* crimecast crawl: records from the cities' portals into the incident store. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/crawl.h"
#include "host/cli.h"
#include "host/progress.h"

static const char CRAWL_HELP[] =
    "usage: crimecast crawl --city CITY [--db PATH] --from DATE --to DATE [--base-url URL] [--token T]\n"
    "                       [--page-size N] [--timeout S] [--retries N] [--backoff S]\n\n"
    "Fetches the city's records for [from, to) from its open-data portal into the store:\n"
    "Chicago, San Francisco and Los Angeles through the Socrata API (every dataset the\n"
    "range touches), London through data.police.uk (month by month, tiled). Every page is\n"
    "committed with the crawl's position, so an interrupted crawl (Ctrl-C, kill, power\n"
    "loss) run again with the same arguments continues where it stopped, and a range\n"
    "already crawled only fetches what is new.\n\n"
    "  --from, --to     ISO dates; London reads whole months\n"
    "  --base-url URL   replace the portal's scheme and host (a mirror or test server)\n"
    "  --token T        Socrata app token (or CRIMECAST_SOCRATA_TOKEN), sent as X-App-Token\n"
    "  --page-size N    Socrata rows per request (default 10000)\n"
    "  --timeout S      seconds for one request (default 120; connect: 15)\n"
    "  --retries N      retries of a failed request (default 8)\n"
    "  --backoff S      first retry delay in seconds, doubling (default 1)\n"
    "  --db PATH        incident store (default " CC_DEFAULT_DB ")\n";

/* The one piece of process state a signal handler may touch. */
static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signal_number) {
    (void)signal_number;
    interrupted = 1;
}

typedef struct crawl_args {
    const char *city, *db, *base_url, *token, *from_text, *to_text;
    cc_crawl_options options;
} crawl_args;

static int parse_number(const char *option, const char *text, double min, double *value) {
    char *end;
    *value = strtod(text, &end);
    if (*end || !(*value >= min)) return cc_usage_error("crawl", "%s must be a number >= %g (got '%s')", option, min, text);
    return 0;
}

static int parse_args(int argc, char **argv, crawl_args *a) {
    static const struct option OPTIONS[] = {
        {"city", required_argument, NULL, 'c'},     {"db", required_argument, NULL, 'd'},
        {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
        {"base-url", required_argument, NULL, 'u'}, {"token", required_argument, NULL, 'k'},
        {"page-size", required_argument, NULL, 'p'}, {"timeout", required_argument, NULL, 'T'},
        {"retries", required_argument, NULL, 'r'},  {"backoff", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->db = CC_DEFAULT_DB;
    optind = 0;
    opterr = 0;
    int opt;
    double v;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'c': a->city = optarg; break;
        case 'd': a->db = optarg; break;
        case 'u': a->base_url = optarg; break;
        case 'k': a->token = optarg; break;
        case 'f':
            a->from_text = optarg;
            if (cc_parse_iso_date(optarg, &a->options.from) != 0)
                return cc_usage_error("crawl", "--from '%s' is not a date (YYYY-MM-DD)", optarg);
            break;
        case 't':
            a->to_text = optarg;
            if (cc_parse_iso_date(optarg, &a->options.to) != 0)
                return cc_usage_error("crawl", "--to '%s' is not a date (YYYY-MM-DD)", optarg);
            break;
        case 'p':
            if (parse_number("--page-size", optarg, 1, &v)) return CC_EXIT_USAGE;
            a->options.page_size = (int)v;
            break;
        case 'T':
            if (parse_number("--timeout", optarg, 0.001, &v)) return CC_EXIT_USAGE;
            a->options.http.total_timeout_s = v;
            if (a->options.http.connect_timeout_s <= 0 || v < 15) a->options.http.connect_timeout_s = v < 15 ? v : 15;
            break;
        case 'r':
            if (parse_number("--retries", optarg, 0, &v)) return CC_EXIT_USAGE;
            a->options.http.max_retries = v > 0 ? (int)v : -1;
            break;
        case 'b':
            if (parse_number("--backoff", optarg, 0.001, &v)) return CC_EXIT_USAGE;
            a->options.http.backoff_base_s = v;
            break;
        case 'h': fputs(CRAWL_HELP, stdout); return -1;
        default: return cc_usage_error("crawl", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cc_usage_error("crawl", "unexpected argument '%s'", argv[optind]);
    if (!a->city || !a->from_text || !a->to_text) return cc_usage_error("crawl", "--city, --from and --to are required");
    if (a->options.to <= a->options.from) return cc_usage_error("crawl", "--to must be after --from");
    if (!a->token) a->token = getenv("CRIMECAST_SOCRATA_TOKEN");
    return 0;
}

typedef struct reporter {
    cc_progress bar;
    const char *city;
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
    printf("%s %s: %ld pages, %ld rows (%llu rows, %llu inserted so far, %ld retries)\n", r->city, window, pages,
           rows, (unsigned long long)s->rows.rows_read, (unsigned long long)s->rows.inserted, s->retries);
    fflush(stdout);
}

static void print_summary(const crawl_args *a, const cc_crawl_stats *s) {
    const cc_import_stats *r = &s->rows;
    printf("crawl %s %s..%s: %ld pages, %ld requests, %ld retries, %llu rows read, %llu inserted, "
           "%llu duplicates, %llu rejected (no coordinates %llu, outside bbox %llu, bad date %llu, "
           "malformed %llu) [%.1f s]\n",
           a->city, a->from_text, a->to_text, s->pages, s->requests, s->retries,
           (unsigned long long)r->rows_read, (unsigned long long)r->inserted, (unsigned long long)r->duplicates,
           (unsigned long long)cc_import_rejected_total(r),
           (unsigned long long)r->rejected[CC_REJECT_NO_COORDINATES],
           (unsigned long long)r->rejected[CC_REJECT_OUTSIDE_BBOX], (unsigned long long)r->rejected[CC_REJECT_BAD_DATE],
           (unsigned long long)r->rejected[CC_REJECT_MALFORMED], s->seconds);
    fflush(stdout);
    for (int i = 0; i < r->example_count; i++) fprintf(stderr, "  %s\n", r->examples[i]);
}

static void print_resume_hint(int argc, char **argv) {
    fprintf(stderr, "crimecast crawl: interrupted after the last stored page; resume with:\n  crimecast");
    for (int i = 0; i < argc; i++) fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n");
}

int cc_cmd_crawl(int argc, char **argv) {
    crawl_args a;
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    char err[2048], header[512];
    cc_city *city = cc_city_load(a.city, err, sizeof err);
    if (!city) return cc_usage_error("crawl", "%s", err);
    cc_store *store = cc_store_open(a.db, err, sizeof err);
    if (!store) {
        fprintf(stderr, "crimecast crawl: %s\n", err);
        cc_city_free(city);
        return CC_EXIT_FAILURE;
    }
    if (a.token) {
        snprintf(header, sizeof header, "X-App-Token: %s", a.token);
        a.options.http.header = header;
    }
    reporter r = {.city = a.city};
    cc_progress_begin(&r.bar, a.city, 0);
    a.options.base_url = a.base_url;
    a.options.stop = &interrupted;
    a.options.on_page = on_page;
    a.options.on_window = on_window;
    a.options.context = &r;
    struct sigaction action, previous;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous);
    cc_crawl_stats stats;
    int status = cc_crawl(store, city, &a.options, &stats, err, sizeof err);
    sigaction(SIGINT, &previous, NULL);
    cc_progress_end(&r.bar);
    print_summary(&a, &stats);
    if (status < 0) fprintf(stderr, "crimecast crawl: %s\n  everything before this page is stored; run again to resume\n", err);
    if (status > 0) print_resume_hint(argc, argv);
    cc_store_close(store);
    cc_city_free(city);
    return status == 0 ? CC_EXIT_OK : CC_EXIT_FAILURE;
}
