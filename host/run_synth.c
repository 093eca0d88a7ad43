/* host/run_synth.h */
#include "host/run_synth.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/city.h"
#include "crawler/datetime.h"
#include "crawler/store.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/grid.h"
#include "heatmaps/tensor_file.h"
#include "host/city_check.h"
#include "host/defaults.h"
#include "host/progress.h"
#include "models/dataset.h"
#include "models/synth.h"

/* --seed S: a whole number >= 0 (64 bits). */
static int parse_seed(const char *text, void *field, char *why, size_t why_len) {
    char *end;
    errno = 0;
    uint64_t seed = strtoull(text, &end, 10);
    /* digits only: strtoull skips blanks and negates a '-' (' -1' read as 2^64 - 1) */
    if (*end || end == text || !isdigit((unsigned char)text[0]) || errno == ERANGE) {
        snprintf(why, why_len, "--seed must be a whole number from 0 to 18446744073709551615 (got '%s')", text);
        return -1;
    }
    *(uint64_t *)field = seed;
    return 0;
}

static const cc_option SYNTH_OPTIONS[] = {
    {CC_OPTION_TEXT("db", cc_synth_request, db, "PATH", NULL,
                    "store the incidents in this incident store (if not given: " CC_DEFAULT_DB " unless --oracle is "
                    "given); running again inserts nothing"), .file = CC_FILE_WRITTEN},
    {CC_OPTION_TEXT("out", cc_synth_request, out, "PATH", NULL, "the same as --db"), .file = CC_FILE_WRITTEN,
     .same_as = "db"},
    {CC_OPTION_TEXT("city-name", cc_synth_request, city, "NAME", CC_SYNTH_CITY,
                    "the city definition data/cities/NAME.json (its portal kind must be 'synthetic'), and the city "
                    "the incidents are stored as")},
    {CC_OPTION_DATE("from", cc_synth_request, from, "2019-01-01",
                    "the simulated span's first day (1995-01-01 or later: the city is calibrated around 2020, and "
                    "each category's drift of up to 12% a year takes its rates far from there over decades)")},
    {CC_OPTION_DATE("to", cc_synth_request, to, "2022-01-01", "the day after the simulated span (2045-01-01 at the latest)")},
    {CC_OPTION_CUSTOM("seed", cc_synth_request, seed, "S", CC_DEFAULT_SEED, parse_seed,
                      "the seed of the parameters and of the events")},
    {CC_OPTION_TEXT("oracle", cc_synth_request, oracle, "FORECAST.h5", NULL,
                    "write the oracle forecast: the true expected count of every cell and target bin given all "
                    "incidents before the forecast origin, for the grid, channels and target bins of --data (the "
                    "bins `crimecast baseline` forecasts with the same forecast span); model name 'oracle'"),
     .file = CC_FILE_WRITTEN},
    {CC_OPTION_TEXT("data", cc_synth_request, data, "TENSOR.h5", NULL,
                    "a tensor rastered (default CRS) from this city, seed and span"), .file = CC_FILE_READ},
};

static int check_request(void *request, char *why, size_t why_len) {
    cc_synth_request *r = request;
    if (r->out && r->db && strcmp(r->out, r->db) != 0) {
        snprintf(why, why_len, "--db and --out are one option: give one store (got '%s' and '%s')", r->db, r->out);
        return -1;
    }
    if (r->out) r->db = r->out;
    int64_t from, to;
    cc_parse_iso_date(r->from, &from), cc_parse_iso_date(r->to, &to); /* valid: the table checked them */
    if (to <= from) snprintf(why, why_len, "--to must be after --from");
    else if (to - from > 366 * 50) snprintf(why, why_len, "--from .. --to may span at most 50 years");
    else if (from < cc_days_from_civil(1995, 1, 1) || to > cc_days_from_civil(2045, 1, 1))
        /* the drift, up to 12% a year, is exp(drift (t - 2020)): a century away it makes a
         * thousand times the city's rate, or nothing */
        snprintf(why, why_len, "the simulated city is calibrated around 2020 (its drift compounds yearly): --from and "
                 "--to must lie within 1995-01-01 .. 2045-01-01");
    else if (!r->oracle != !r->data) snprintf(why, why_len, "--oracle and --data go together");
    else return cc_city_check(r->city, CC_CITY_SYNTHETIC, why, why_len);
    return -1;
}

static const cc_option_group SYNTH_GROUPS[] = {
    {"options", CC_OPTION_ROWS(SYNTH_OPTIONS), 0},
    CC_FORECAST_SPAN_GROUP(cc_synth_request, span),
};

const cc_command_spec CC_SYNTH_SPEC = {
    .name = "synth",
    .synopsis = "[--db PATH] [--city-name NAME] [--from DATE] [--to DATE] [--seed S]\n"
                "       crimecast synth --oracle FORECAST.h5 --data TENSOR.h5 [--seed S] [--from DATE] [--to DATE]\n"
                "                       [--span test|val|all|next] [--window N] [--horizon N] [--test-from DATE]",
    .description =
        "Simulates a synthetic city whose crime process is known (see models/synth.h): per\n"
        "category (burglary, theft, violence, vehicle_theft) a self-exciting point process, with a\n"
        "background of Gaussian hot zones modulated by daily, weekly and seasonal cycles and a\n"
        "slow drift, and ETAS-style triggered events (exponential delay, Gaussian displacement).\n"
        "The same --seed, --from and --to always give the same incidents.\n",
    .request_size = sizeof(cc_synth_request),
    .groups = SYNTH_GROUPS,
    .group_count = 2,
    .check = check_request,
};

void cc_synth_request_defaults(cc_synth_request *r) { cc_options_defaults(&CC_SYNTH_SPEC, r); }

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

static void fill_incident(const cc_synth_request *a, const cc_synth_params *p, const cc_synth_event *e, size_t index,
                          double lon, double lat, store_batch *b, int slot) {
    const cc_synth_category *c = &p->categories[e->category];
    char from[11];
    int64_t day;
    cc_parse_iso_date(a->from, &day); /* valid: the table checked it */
    cc_format_iso_date(day, from);
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

/* Inserts every event inside a transaction the caller commits; *before gets the city's
 * incidents already stored (counted inside the transaction: another synth run writing the
 * same store between a count and the inserts would mix two cities), *inserted the number
 * new to the store. On failure the transaction is rolled back. */
static int insert_events(cc_store *store, const cc_synth_request *a, const cc_synth_params *p, const cc_synth_events *ev,
                         const double *lon, const double *lat, long long *before, long long *inserted, char *err,
                         size_t err_len) {
    store_batch *b = malloc(sizeof *b);
    if (!b) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    cc_progress bar;
    cc_progress_begin(&bar, "synth", ev->count);
    int status = cc_store_begin(store, err, err_len);
    *inserted = 0;
    *before = status == 0 ? cc_store_count(store, a->city) : 0;
    if (*before < 0) {
        snprintf(err, err_len, "%s: cannot count the incidents of city '%s' already stored", a->db, a->city);
        status = -1;
    }
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

static int store_events(const cc_synth_request *a, const cc_city *city, const cc_synth_params *p, const cc_synth_events *ev,
                        FILE *out, char *err, size_t err_len) {
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
    long long before = 0, inserted = 0;
    if (store && status == 0) status = insert_events(store, a, p, ev, lon, lat, &before, &inserted, err, err_len);
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
        fprintf(out, "%s: %zu incidents of city '%s', %lld inserted, %lld already stored [%.1f s]\n", a->db, ev->count,
                a->city, inserted, (long long)ev->count - inserted, cc_now_seconds() - start);
    cc_store_close(store);
    free(lon), free(lat);
    return status;
}

/* ---------------------------------------------------------------- simulation report */

static void report_simulation(FILE *out, const cc_synth_params *p, const cc_synth_events *ev, double years,
                              double seconds) {
    fprintf(out, "synth: seed %" PRIu64 ", %zu incidents (%.0f a year) simulated in %.2f s\n", p->seed, ev->count,
           ev->count / years, seconds);
    for (int ci = 0; ci < p->category_count; ci++) {
        const cc_synth_category *c = &p->categories[ci];
        size_t all = 0, triggered = 0;
        for (size_t i = 0; i < ev->count; i++)
            if (ev->items[i].category == ci) all++, triggered += ev->items[i].generation > 0;
        fprintf(out, "  %-14s %8zu incidents, %5.1f%% triggered  (rate %.1f/day, n %.2f, decay %.1f d, sigma %.0f m, "
               "%d zones)\n",
               c->name, all, all ? 100.0 * triggered / all : 0.0, c->rate, c->branching, c->decay_days, c->sigma_m,
               c->zone_count);
    }
}

/* ---------------------------------------------------------------- oracle */

/* First day after bin i of the tensor. */
static int64_t bin_end(const cc_tensor *t, int i) { return cc_bin_end(t->bin, cc_tensor_bin_start(t, i)); }

/* The tensor must come from this city, in its CRS, inside the simulated span. */
static int check_tensor(const cc_synth_request *a, const cc_city *city, const cc_tensor *t, char *err, size_t err_len) {
    char first[11];
    int64_t from, to;
    cc_parse_iso_date(a->from, &from), cc_parse_iso_date(a->to, &to); /* valid: the table checked them */
    cc_format_iso_date(t->T > 0 ? t->time[0] : 0, first);
    if (strcmp(t->city, a->city) != 0)
        snprintf(err, err_len, "%s: the tensor is of city '%s', not of the synthetic city '%s'", a->data, t->city,
                 a->city);
    else if (strcmp(t->crs, cc_city_crs(city)) != 0)
        snprintf(err, err_len, "%s: the tensor's CRS %s is not the city's %s (raster without --crs)", a->data, t->crs,
                 cc_city_crs(city));
    else if (t->T < 1 || t->time[0] < from || bin_end(t, t->T - 1) > to)
        snprintf(err, err_len, "%s: the tensor's bins (from %s, %d %s bins) are not inside the simulated span "
                 "%s .. %s (give synth the --from and --to the city was simulated with)", a->data, first, t->T,
                 cc_bin_kind_name(t->bin), a->from, a->to);
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
static int check_counts(const cc_synth_request *a, const cc_tensor *t, const cc_synth_events *ev, char *err,
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
static int oracle_targets(const cc_synth_request *a, const cc_tensor *t, int **targets, char *err, size_t err_len) {
    cc_split split;
    char why[512];
    int n = cc_forecast_targets(&a->span, t, 0, &split, targets, why, sizeof why); /* the oracle fits nothing */
    if (n < 0) snprintf(err, err_len, "%s: %s", a->data, why);
    return n;
}

/* values[i][C][H][W] for every target i. */
static int oracle_values(const cc_synth_request *a, const cc_synth_params *p, const cc_synth_events *ev, const cc_tensor *t,
                         const int *targets, int n, float *values) {
    cc_synth_grid grid = {t->x0, t->y0, t->cell, t->H, t->W};
    size_t plane = (size_t)t->H * t->W;
    double *maps = malloc(sizeof(double) * plane * (size_t)p->category_count);
    if (!maps) return -1;
    int status = 0;
    for (int i = 0; i < n && status == 0; i++) {
        int target = targets[i];
        double origin = (double)cc_tensor_bin_start(t, target - a->span.horizon + 1); /* next: past the data */
        for (int ci = 0; ci < p->category_count && status == 0; ci++)
            status = cc_synth_oracle(p, ci, ev->items, ev->count, origin, (double)cc_tensor_bin_start(t, target),
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

static int write_oracle(const cc_synth_request *a, const cc_city *city, const cc_synth_params *p, const cc_synth_events *ev,
                        FILE *out, char *err, size_t err_len) {
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
        for (int i = 0; i < n; i++) times[i] = cc_tensor_bin_start(&t, targets[i]);
        char source[8400];
        snprintf(source, sizeof source, "oracle of synth --seed %" PRIu64 " on %s, %s span", p->seed, a->data,
                 a->span.span);
        cc_forecast_label label = {"oracle", a->span.horizon, source, a->command};
        status = cc_forecast_write(a->oracle, &t, values, times, n, &label, err, err_len);
        if (status == 0)
            fprintf(out, "%s: oracle, %d %s bins x %d channels x %d x %d [%.2f s]\n", a->oracle, n,
                    cc_bin_kind_name(t.bin), t.C, t.H, t.W, seconds);
    }
    free(values), free(times), free(targets);
    cc_tensor_free(&t);
    return status;
}

/* ---------------------------------------------------------------- the run */

/* The city's parameters from the seed, checked against its category map. */
static int city_params(const cc_synth_request *a, const cc_city *city, cc_synth_params *params, char *err,
                       size_t err_len) {
    cc_synth_domain domain;
    if (city_domain(city, &domain, err, err_len) != 0) return -1;
    cc_synth_params_from_seed(a->seed, &domain, params);
    return check_raw_types(city, params, err, err_len);
}

int cc_run_synth(const cc_synth_request *request, FILE *out, char *err, size_t err_len) {
    cc_synth_request a = *request;
    if (!a.oracle && !a.db) a.db = CC_DEFAULT_DB;
    /* before the simulation */
    if (a.oracle && cc_hdf5_replace_check(a.oracle, "crimecast-forecast", err, err_len) != 0) return -1;
    cc_city *city = load_synthetic_city(a.city, err, err_len);
    if (!city) return -1;
    int64_t from, to;
    cc_parse_iso_date(a.from, &from), cc_parse_iso_date(a.to, &to);
    cc_synth_params params;
    cc_synth_events events = {0};
    int status = city_params(&a, city, &params, err, err_len);
    if (status == 0) {
        double start = cc_now_seconds();
        status = cc_synth_simulate(&params, (double)from, (double)to, &events);
        if (status != 0) snprintf(err, err_len, "out of memory simulating");
        else report_simulation(out, &params, &events, (to - from) / 365.25, cc_now_seconds() - start);
    }
    if (status == 0 && a.db) status = store_events(&a, city, &params, &events, out, err, err_len);
    if (status == 0 && a.oracle) status = write_oracle(&a, city, &params, &events, out, err, err_len);
    cc_synth_events_free(&events);
    cc_city_free(city);
    return status;
}
