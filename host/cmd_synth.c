/* crimecast synth: a seeded synthetic city (models/synth.h) into the incident store,
 * and its oracle forecast for a tensor rastered from it. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/city.h"
#include "crawler/datetime.h"
#include "crawler/store.h"
#include "heatmaps/grid.h"
#include "host/cli.h"
#include "host/progress.h"
#include "host/tensor_file.h"
#include "models/dataset.h"
#include "models/synth.h"

static const char SYNTH_HELP[] =
    "usage: crimecast synth [--db PATH | --out PATH] [--city-name NAME] [--from DATE] [--to DATE]\n"
    "                       [--seed S]\n"
    "       crimecast synth --oracle FORECAST.h5 --data TENSOR.h5 [--city-name NAME] [--from DATE]\n"
    "                       [--to DATE] [--seed S] [--span test|val|all] [--window 8] [--horizon 1]\n"
    "                       [--test-from DATE]\n\n"
    "Simulates a synthetic city whose crime process is known (see models/synth.h): per\n"
    "category (burglary, theft, violence, vehicle_theft) a self-exciting point process, with a\n"
    "background of Gaussian hot zones modulated by daily, weekly and seasonal cycles and a\n"
    "slow drift, and ETAS-style triggered events (exponential delay, Gaussian displacement).\n"
    "The same --seed, --from and --to always give the same incidents.\n\n"
    "  --db, --out PATH  store the incidents in this incident store (default " CC_DEFAULT_DB "\n"
    "                    unless --oracle is given); running again inserts nothing\n"
    "  --city-name NAME  the city definition data/cities/NAME.json (its portal kind must be\n"
    "                    'synthetic'), and the city the incidents are stored as (default\n"
    "                    synthetic)\n"
    "  --from, --to      the simulated span [from, to) (default 2019-01-01 .. 2022-01-01)\n"
    "  --seed S          the seed of the parameters and of the events (default 1)\n"
    "  --oracle FILE     write the oracle forecast: the true expected count of every cell and\n"
    "                    target bin given all incidents before the forecast origin, for the\n"
    "                    grid, channels and target bins of --data (the bins `crimecast\n"
    "                    baseline` forecasts with the same --span, --window, --horizon and\n"
    "                    --test-from); model name 'oracle'\n"
    "  --data TENSOR     a tensor rastered (default CRS) from this city, seed and span\n";

typedef struct synth_args {
    const char *db, *city, *oracle, *data, *test_from;
    int64_t from, to;
    uint64_t seed;
    cc_span span;
    int window, horizon;
} synth_args;

static int parse_int(const char *text, int min, int *value) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < min || v > 100000) return -1;
    *value = (int)v;
    return 0;
}

/* 0, -1 after --help, or a usage exit status. */
static int parse_args(int argc, char **argv, synth_args *a) {
    static const struct option OPTIONS[] = {
        {"db", required_argument, NULL, 'd'},       {"out", required_argument, NULL, 'd'},
        {"city-name", required_argument, NULL, 'c'}, {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},       {"seed", required_argument, NULL, 'S'},
        {"oracle", required_argument, NULL, 'o'},   {"data", required_argument, NULL, 'D'},
        {"span", required_argument, NULL, 's'},     {"window", required_argument, NULL, 'w'},
        {"horizon", required_argument, NULL, 'z'},  {"test-from", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->city = "synthetic";
    a->seed = 1;
    a->span = CC_SPAN_TEST;
    a->window = 8, a->horizon = 1;
    cc_parse_iso_date("2019-01-01", &a->from);
    cc_parse_iso_date("2022-01-01", &a->to);
    optind = 0;
    opterr = 0;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'd': a->db = optarg; break;
        case 'c': a->city = optarg; break;
        case 'o': a->oracle = optarg; break;
        case 'D': a->data = optarg; break;
        case 'T': a->test_from = optarg; break;
        case 'f':
            if (cc_parse_iso_date(optarg, &a->from) != 0)
                return cc_usage_error("synth", "--from '%s' is not a date (YYYY-MM-DD)", optarg);
            break;
        case 't':
            if (cc_parse_iso_date(optarg, &a->to) != 0)
                return cc_usage_error("synth", "--to '%s' is not a date (YYYY-MM-DD)", optarg);
            break;
        case 'S':
            a->seed = strtoull(optarg, &end, 10);
            if (*end || end == optarg || optarg[0] == '-')
                return cc_usage_error("synth", "--seed must be a whole number >= 0 (got '%s')", optarg);
            break;
        case 's':
            if (cc_span_parse(optarg, &a->span) != 0 || a->span == CC_SPAN_TRAIN)
                return cc_usage_error("synth", "--span must be test, val or all (got '%s')", optarg);
            break;
        case 'w':
            if (parse_int(optarg, 1, &a->window) != 0) return cc_usage_error("synth", "--window must be >= 1");
            break;
        case 'z':
            if (parse_int(optarg, 1, &a->horizon) != 0) return cc_usage_error("synth", "--horizon must be >= 1");
            break;
        case 'h': fputs(SYNTH_HELP, stdout); return -1;
        default: return cc_usage_error("synth", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cc_usage_error("synth", "unexpected argument '%s'", argv[optind]);
    if (a->to <= a->from) return cc_usage_error("synth", "--to must be after --from");
    if (a->to - a->from > 366 * 50) return cc_usage_error("synth", "--from .. --to may span at most 50 years");
    if (!a->oracle != !a->data) return cc_usage_error("synth", "--oracle and --data go together");
    if (!a->oracle && !a->db) a->db = CC_DEFAULT_DB;
    return 0;
}

/* ---------------------------------------------------------------- the city */

/* Loads the city and checks it is a synthetic one (no real records to mix with). */
static cc_city *load_synthetic_city(const char *name, char *err, size_t err_len) {
    cc_city *city = cc_city_load(name, err, err_len);
    if (city && strcmp(cc_city_portal(city)->kind, "synthetic") != 0) {
        snprintf(err, err_len, "city '%s' has real records (portal kind '%s'); synth writes only cities whose "
                 "portal kind is 'synthetic', such as 'synthetic'", name, cc_city_portal(city)->kind);
        cc_city_free(city);
        return NULL;
    }
    return city;
}

/* Every category's raw type must map to that category, or raster would file it elsewhere. */
static int check_raw_types(const cc_city *city, const cc_synth_params *params, char *err, size_t err_len) {
    for (int i = 0; i < params->category_count; i++) {
        const cc_synth_category *c = &params->categories[i];
        const char *category = cc_city_category(city, c->raw_type, NULL);
        if (strcmp(category, c->name) != 0) {
            snprintf(err, err_len, "city '%s': raw type '%s' must map to category '%s' (maps to '%s')",
                     cc_city_name(city), c->raw_type, c->name, category);
            return -1;
        }
    }
    return 0;
}

/* The projected square over the city's box: the grid `raster --grid N` covers. */
static int city_domain(const cc_city *city, cc_synth_domain *domain, char *err, size_t err_len) {
    cc_projection *projection = cc_projection_new(cc_city_crs(city), err, err_len);
    if (!projection) return -1;
    cc_bbox box = cc_city_bbox(city);
    cc_grid grid;
    int status = cc_grid_from_bbox(projection, &box, cc_city_crs(city), 1, 0, &grid, err, err_len);
    cc_projection_free(projection);
    if (status != 0) return -1;
    *domain = (cc_synth_domain){grid.x0, grid.y0 - grid.cell, grid.x0 + grid.cell, grid.y0};
    return 0;
}

/* ---------------------------------------------------------------- storing */

/* In place: projected x, y in `crs` become longitude, latitude (WGS84). */
static int to_wgs84(const char *crs, double *x, double *y, size_t count, char *err, size_t err_len) {
    cc_projection *projection = cc_projection_new(crs, err, err_len);
    if (!projection) return -1;
    cc_projection_inverse(projection, x, y, count);
    cc_projection_free(projection);
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]) || x[i] == HUGE_VAL) {
            snprintf(err, err_len, "a synthetic point cannot be converted from %s to WGS84", crs);
            return -1;
        }
    return 0;
}

/* Local wall clock of time t (days), rounded down to the minute: never across midnight,
 * so the incident stays in the day, week and month it was simulated in. */
static void format_occurred(double t, char out[17]) {
    double day = floor(t);
    int minute = (int)floor((t - day) * 1440.0);
    if (minute > 1439) minute = 1439;
    cc_local_time local = {0, 0, 0, minute / 60, minute % 60, CC_TIME_MINUTE};
    cc_civil_from_days((int64_t)day, &local.year, &local.month, &local.day);
    cc_format_local_time(&local, out);
}

enum { BATCH = 4096, ID_LEN = 64, DESCRIPTION_LEN = 40 };

typedef struct store_batch {
    cc_incident incidents[BATCH];
    char ids[BATCH][ID_LEN];
    char descriptions[BATCH][DESCRIPTION_LEN];
} store_batch;

static void fill_incident(const synth_args *a, const cc_synth_params *p, const cc_synth_event *e, size_t index,
                          double lon, double lat, store_batch *b, int slot) {
    const cc_synth_category *c = &p->categories[e->category];
    char from[11];
    cc_format_iso_date(a->from, from);
    /* Named by seed, start and position in time order: a longer --to keeps the ids (and
     * events) of the shorter run, so extending a run inserts only the new incidents. */
    snprintf(b->ids[slot], ID_LEN, "synth-%" PRIu64 "-%.4s%.2s%.2s-%07zu", p->seed, from, from + 5, from + 8, index);
    if (e->generation == 0) snprintf(b->descriptions[slot], DESCRIPTION_LEN, "background");
    else snprintf(b->descriptions[slot], DESCRIPTION_LEN, "triggered, generation %d", e->generation);
    cc_incident *in = &b->incidents[slot];
    memset(in, 0, sizeof *in);
    in->source_id = b->ids[slot];
    format_occurred(e->t, in->occurred);
    in->time_precision = CC_TIME_MINUTE;
    in->lat = lat, in->lon = lon;
    in->loc_precision = CC_LOC_EXACT;
    in->category = c->name;
    in->raw_type = c->raw_type;
    in->description = b->descriptions[slot];
    in->raw_type_mapped = 1;
}

/* Inserts every event inside a transaction the caller commits; *inserted gets the number
 * new to the store. On failure the transaction is rolled back. */
static int insert_events(cc_store *store, const synth_args *a, const cc_synth_params *p, const cc_synth_events *ev,
                         const double *lon, const double *lat, long long *inserted, char *err, size_t err_len) {
    store_batch *b = malloc(sizeof *b);
    if (!b) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    cc_progress bar;
    cc_progress_begin(&bar, "synth", ev->count);
    int status = cc_store_begin(store, err, err_len);
    *inserted = 0;
    for (size_t start = 0; status == 0 && start < ev->count; start += BATCH) {
        int n = (int)(ev->count - start < BATCH ? ev->count - start : BATCH);
        for (int k = 0; k < n; k++)
            fill_incident(a, p, &ev->items[start + k], start + k, lon[start + k], lat[start + k], b, k);
        long got = cc_store_insert_many(store, a->city, b->incidents, n, err, err_len);
        if (got < 0) status = -1;
        else *inserted += got;
        cc_progress_update(&bar, start + (size_t)n);
    }
    cc_progress_end(&bar);
    if (status != 0) cc_store_rollback(store);
    free(b);
    return status;
}

static int store_events(const synth_args *a, const cc_city *city, const cc_synth_params *p, const cc_synth_events *ev,
                        char *err, size_t err_len) {
    size_t n = ev->count ? ev->count : 1;
    double *lon = malloc(n * sizeof *lon), *lat = malloc(n * sizeof *lat);
    if (!lon || !lat) {
        free(lon), free(lat);
        snprintf(err, err_len, "out of memory for %zu incidents", ev->count);
        return -1;
    }
    for (size_t i = 0; i < ev->count; i++) lon[i] = ev->items[i].x, lat[i] = ev->items[i].y;
    int status = to_wgs84(cc_city_crs(city), lon, lat, ev->count, err, err_len);
    cc_store *store = status == 0 ? cc_store_open(a->db, err, err_len) : NULL;
    if (status == 0 && !store) status = -1;
    double start = cc_now_seconds();
    long long before = store ? cc_store_count(store, a->city) : 0, inserted = 0;
    if (store && status == 0) status = insert_events(store, a, p, ev, lon, lat, &inserted, err, err_len);
    /* A different seed or start under the same city name would mix two cities. */
    if (status == 0 && before > 0 && inserted > 0 && before + inserted != (long long)ev->count) {
        snprintf(err, err_len, "%s: city '%s' already holds %lld incidents of another synth run (other --seed or "
                 "--from); nothing stored - use a fresh store or another --city-name", a->db, a->city, before);
        cc_store_rollback(store);
        status = -1;
    } else if (status == 0) {
        status = cc_store_commit(store, err, err_len);
        if (status != 0) cc_store_rollback(store);
    }
    if (status == 0)
        printf("%s: %zu incidents of city '%s', %lld inserted, %lld already stored [%.1f s]\n", a->db, ev->count,
               a->city, inserted, (long long)ev->count - inserted, cc_now_seconds() - start);
    cc_store_close(store);
    free(lon), free(lat);
    return status;
}

/* ---------------------------------------------------------------- simulation report */

static void report_simulation(const cc_synth_params *p, const cc_synth_events *ev, double years, double seconds) {
    printf("synth: seed %" PRIu64 ", %zu incidents (%.0f a year) simulated in %.2f s\n", p->seed, ev->count,
           ev->count / years, seconds);
    for (int ci = 0; ci < p->category_count; ci++) {
        const cc_synth_category *c = &p->categories[ci];
        size_t all = 0, triggered = 0;
        for (size_t i = 0; i < ev->count; i++)
            if (ev->items[i].category == ci) all++, triggered += ev->items[i].generation > 0;
        printf("  %-14s %8zu incidents, %5.1f%% triggered  (rate %.1f/day, n %.2f, decay %.1f d, sigma %.0f m, "
               "%d zones)\n",
               c->name, all, all ? 100.0 * triggered / all : 0.0, c->rate, c->branching, c->decay_days, c->sigma_m,
               c->zone_count);
    }
}

/* ---------------------------------------------------------------- oracle */

/* First day after bin i of the tensor. */
static int64_t bin_end(const cc_tensor *t, int i) {
    if (i + 1 < t->T) return t->time[i + 1];
    if (!strcmp(t->bin, "day")) return t->time[i] + 1;
    if (!strcmp(t->bin, "week")) return t->time[i] + 7;
    int year, month, day;
    cc_civil_from_days(t->time[i], &year, &month, &day);
    return month == 12 ? cc_days_from_civil(year + 1, 1, 1) : cc_days_from_civil(year, month + 1, 1);
}

/* The tensor must come from this city, in its CRS, inside the simulated span. */
static int check_tensor(const synth_args *a, const cc_city *city, const cc_tensor *t, char *err, size_t err_len) {
    char from[11], to[11], first[11];
    cc_format_iso_date(a->from, from);
    cc_format_iso_date(a->to, to);
    cc_format_iso_date(t->T > 0 ? t->time[0] : 0, first);
    if (strcmp(t->city, a->city) != 0)
        snprintf(err, err_len, "%s: the tensor is of city '%s', not of the synthetic city '%s'", a->data, t->city,
                 a->city);
    else if (strcmp(t->crs, cc_city_crs(city)) != 0)
        snprintf(err, err_len, "%s: the tensor's CRS %s is not the city's %s (raster without --crs)", a->data, t->crs,
                 cc_city_crs(city));
    else if (t->T < 1 || t->time[0] < a->from || bin_end(t, t->T - 1) > a->to)
        snprintf(err, err_len, "%s: the tensor's bins (from %s, %d %s bins) are not inside the simulated span "
                 "%s .. %s (give synth the --from and --to the city was simulated with)", a->data, first, t->T,
                 t->bin, from, to);
    else
        return 0;
    return -1;
}

/* The channel's synth category, -1 for "all", -2 for a category synth does not make. */
static int channel_category(const cc_synth_params *p, const char *name) {
    if (!strcmp(name, "all")) return -1;
    for (int i = 0; i < p->category_count; i++)
        if (!strcmp(p->categories[i].name, name)) return i;
    return -2;
}

/* The tensor's "all" counts must be the simulation's, binned the way raster bins:
 * otherwise it was rastered from another seed or span, and the oracle would be wrong. */
static int check_counts(const synth_args *a, const cc_tensor *t, const cc_synth_events *ev, char *err,
                        size_t err_len) {
    int all = cc_tensor_channel(t, "all");
    if (all < 0) return 0;
    double observed = 0, simulated = 0;
    size_t e = 0;
    for (int b = 0; b < t->T; b++) {
        for (size_t k = 0; k < (size_t)t->H * t->W; k++)
            observed += t->values[cc_tensor_offset(t, b, all, 0, 0) + k];
        for (; e < ev->count && ev->items[e].t < (double)t->time[b]; e++) {}
        for (; e < ev->count && ev->items[e].t < (double)bin_end(t, b); e++) {
            double col = (ev->items[e].x - t->x0) / t->cell, row = (t->y0 - ev->items[e].y) / t->cell;
            simulated += col >= 0 && row >= 0 && col < t->W && row < t->H;
        }
    }
    if (fabs(observed - simulated) <= 1e-4 * simulated) return 0;
    snprintf(err, err_len, "%s: the tensor counts %.0f incidents where synth --seed %" PRIu64 " puts %.0f: it was "
             "rastered from another seed, span or store (give synth the --seed, --from, --to the city was made with)",
             a->data, observed, a->seed, simulated);
    return -1;
}

/* Target bins exactly as `crimecast baseline` picks them. Returns the count or -1. */
static int oracle_targets(const synth_args *a, const cc_tensor *t, int **targets, char *err, size_t err_len) {
    int first_test = -1;
    if (a->test_from) {
        int64_t day;
        if (cc_parse_iso_date(a->test_from, &day) != 0) {
            snprintf(err, err_len, "--test-from '%s' is not a date", a->test_from);
            return -1;
        }
        first_test = cc_first_bin_from(t, day);
    }
    cc_split split;
    char why[512];
    if (cc_split_make(t->T, a->window, a->horizon, first_test, &split, why, sizeof why) != 0) {
        snprintf(err, err_len, "%s: %s", a->data, why);
        return -1;
    }
    int n = cc_split_samples(&split, a->span, t->T, a->window, a->horizon);
    if (n <= 0) {
        snprintf(err, err_len, "%s: the %s span holds no target bin", a->data, cc_span_name(a->span));
        return -1;
    }
    *targets = malloc(sizeof(int) * (size_t)n);
    if (!*targets) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) (*targets)[i] = cc_split_target(&split, a->span, i, a->window, a->horizon);
    return n;
}

/* values[i][C][H][W] for every target i. */
static int oracle_values(const synth_args *a, const cc_synth_params *p, const cc_synth_events *ev, const cc_tensor *t,
                         const int *targets, int n, float *values) {
    cc_synth_grid grid = {t->x0, t->y0, t->cell, t->H, t->W};
    size_t plane = (size_t)t->H * t->W;
    double *maps = malloc(sizeof(double) * plane * (size_t)p->category_count);
    if (!maps) return -1;
    int status = 0;
    for (int i = 0; i < n && status == 0; i++) {
        int target = targets[i];
        double origin = (double)t->time[target - a->horizon + 1];
        for (int ci = 0; ci < p->category_count && status == 0; ci++)
            status = cc_synth_oracle(p, ci, ev->items, ev->count, origin, (double)t->time[target],
                                     (double)bin_end(t, target), &grid, maps + plane * ci);
        for (int c = 0; c < t->C && status == 0; c++) {
            int which = channel_category(p, t->categories[c]);
            float *out = values + ((size_t)i * t->C + c) * plane;
            for (size_t k = 0; k < plane; k++) {
                double sum = 0;
                for (int ci = 0; ci < p->category_count; ci++)
                    if (which == -1 || which == ci) sum += maps[plane * ci + k];
                out[k] = (float)sum;
            }
        }
    }
    free(maps);
    return status;
}

static int write_oracle(const synth_args *a, const cc_city *city, const cc_synth_params *p, const cc_synth_events *ev,
                        char *err, size_t err_len) {
    cc_tensor t;
    if (cc_tensor_read(a->data, "counts", &t, err, err_len) != 0) return -1;
    int status = check_tensor(a, city, &t, err, err_len);
    if (status == 0) status = check_counts(a, &t, ev, err, err_len);
    int *targets = NULL, n = status == 0 ? oracle_targets(a, &t, &targets, err, err_len) : -1;
    if (n < 0) status = -1;
    for (int c = 0; status == 0 && c < t.C; c++)
        if (channel_category(p, t.categories[c]) == -2)
            fprintf(stderr, "crimecast synth: warning: synth makes no '%s' incidents; its oracle is 0\n",
                    t.categories[c]);
    size_t map = (size_t)t.C * t.H * t.W;
    float *values = status == 0 ? malloc(sizeof(float) * map * (size_t)n) : NULL;
    int64_t *times = status == 0 ? malloc(sizeof(int64_t) * (size_t)n) : NULL;
    if (status == 0 && (!values || !times)) {
        snprintf(err, err_len, "out of memory for %d x %zu forecasts", n, map);
        status = -1;
    }
    double start = cc_now_seconds();
    if (status == 0 && oracle_values(a, p, ev, &t, targets, n, values) != 0) {
        snprintf(err, err_len, "out of memory computing the oracle");
        status = -1;
    }
    if (status == 0) {
        double seconds = cc_now_seconds() - start;
        for (int i = 0; i < n; i++) times[i] = t.time[targets[i]];
        char source[8400];
        snprintf(source, sizeof source, "oracle of synth --seed %" PRIu64 " on %s, %s span", p->seed, a->data,
                 cc_span_name(a->span));
        status = cc_forecast_write(a->oracle, &t, values, times, n, "oracle", a->horizon, source, err, err_len);
        if (status == 0)
            printf("%s: oracle, %d %s bins x %d channels x %d x %d [%.2f s]\n", a->oracle, n, t.bin, t.C, t.H, t.W,
                   seconds);
    }
    free(values), free(times), free(targets);
    cc_tensor_free(&t);
    return status;
}

/* ---------------------------------------------------------------- command */

int cc_cmd_synth(int argc, char **argv) {
    synth_args a;
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    char err[1024];
    cc_synth_params params;
    cc_city *city = load_synthetic_city(a.city, err, sizeof err);
    if (!city) return cc_usage_error("synth", "%s", err);
    cc_synth_domain domain;
    int status = city_domain(city, &domain, err, sizeof err);
    cc_synth_events events = {0};
    if (status == 0) {
        cc_synth_params_from_seed(a.seed, &domain, &params);
        status = check_raw_types(city, &params, err, sizeof err);
    }
    if (status == 0) {
        double start = cc_now_seconds();
        status = cc_synth_simulate(&params, (double)a.from, (double)a.to, &events);
        if (status != 0) snprintf(err, sizeof err, "out of memory simulating");
        else report_simulation(&params, &events, (a.to - a.from) / 365.25, cc_now_seconds() - start);
    }
    if (status == 0 && a.db) status = store_events(&a, city, &params, &events, err, sizeof err);
    if (status == 0 && a.oracle) status = write_oracle(&a, city, &params, &events, err, sizeof err);
    if (status != 0) fprintf(stderr, "crimecast synth: %s\n", err);
    cc_synth_events_free(&events);
    cc_city_free(city);
    return status == 0 ? CC_EXIT_OK : CC_EXIT_FAILURE;
}
