/* The synthetic city: parameters from a seed, simulation, oracle. See models/synth.h
 * for the process and the oracle's equations. */
#include "models/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/hawkes.h"
#include "models/rng.h"

#define TWO_PI 6.283185307179586476925286766559
#define DAYS_PER_YEAR 365.25
#define DRIFT_EPOCH 18262.0 /* 2020-01-01, days since 1970-01-01 */

/* Expected counts below this are dropped from the oracle (per event and generation,
 * and per background generation): far below any count a forecast is judged on. */
#define NEGLIGIBLE_COUNT 1e-10
/* Gauss-Legendre pieces per day for the time integrals B_k. */
#define PIECES_PER_DAY 8
/* Background thinning runs in chunks of this many days, each with its own random
 * stream and bound, so extending --to leaves the events before the old end unchanged. */
#define CHUNK_DAYS 32.0

/* ---------------------------------------------------------------- random numbers */

static double uniform_in(cc_rng *rng, double lo, double hi) { return lo + (hi - lo) * cc_rng_uniform(rng); }

static double exponential(cc_rng *rng, double rate) { return -log1p(-cc_rng_uniform(rng)) / rate; }

/* Poisson by Knuth's product of uniforms: means here are branching ratios (< 1). */
static int poisson_small(cc_rng *rng, double mean) {
    double limit = exp(-mean), product = cc_rng_uniform(rng);
    int k = 0;
    while (product > limit) {
        k++;
        product *= cc_rng_uniform(rng);
    }
    return k;
}

/* A stream for one purpose: the seed and up to three labels mixed through splitmix64. */
static void rng_for(cc_rng *rng, uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
    uint64_t state = seed;
    uint64_t mixed = cc_splitmix64(&state);
    state ^= a * 0xD1B54A32D192ED03ULL;
    mixed ^= cc_splitmix64(&state);
    state ^= b * 0xABC98388FB8FAC03ULL;
    mixed ^= cc_splitmix64(&state);
    state ^= c * 0x8CB92BA72F3D8DD7ULL;
    mixed ^= cc_splitmix64(&state);
    cc_rng_seed(rng, mixed);
}

/* ---------------------------------------------------------------- parameters */

/* What distinguishes the categories: ranges the seed draws from, and the peaks of their
 * cycles (daily peak as a fraction of the day; weekly as days after a Thursday midnight,
 * 1970-01-01 being a Thursday; annual as days after 1 January). */
typedef struct category_template {
    const char *name, *raw_type;
    double rate_lo, rate_hi, n_lo, n_hi, decay_lo, decay_hi, sigma_lo, sigma_hi;
    double daily_peak, weekly_peak, annual_peak;
} category_template;

static const category_template TEMPLATES[] = {
    /* Burglary: afternoons, weekdays, winter; long-lived near repeats. */
    {"burglary", "SYNTH BURGLARY", 10, 16, 0.30, 0.45, 3, 7, 150, 300, 14.0 / 24, 6.5, 340},
    /* Theft: the busiest, daytime, Fridays, summer; short memory. */
    {"theft", "SYNTH THEFT", 22, 34, 0.30, 0.40, 1, 3, 200, 400, 15.0 / 24, 1.5, 196},
    /* Violence: nights, Saturdays, summer; strongly self-exciting and tight. */
    {"violence", "SYNTH VIOLENCE", 14, 22, 0.45, 0.60, 1, 4, 100, 250, 22.0 / 24, 2.5, 196},
    /* Vehicle theft: evenings, late autumn. */
    {"vehicle_theft", "SYNTH VEHICLE THEFT", 5, 9, 0.30, 0.50, 2, 6, 200, 400, 21.0 / 24, 1.5, 300},
};
enum { TEMPLATE_COUNT = sizeof TEMPLATES / sizeof TEMPLATES[0], CENTRE_POOL = 8 };

/* The city's hot spots: CENTRE_POOL points in the middle 60% of the domain. */
static void draw_centres(cc_rng *rng, const cc_synth_domain *d, double centres[CENTRE_POOL][2]) {
    double w = d->x_max - d->x_min, h = d->y_max - d->y_min;
    for (int i = 0; i < CENTRE_POOL; i++) {
        centres[i][0] = d->x_min + w * uniform_in(rng, 0.2, 0.8);
        centres[i][1] = d->y_min + h * uniform_in(rng, 0.2, 0.8);
    }
}

/* 3-6 zones from the pool (distinct), plus a broad zone over the whole city. */
static void draw_zones(cc_rng *rng, const cc_synth_domain *d, double centres[CENTRE_POOL][2],
                       cc_synth_category *c) {
    int order[CENTRE_POOL];
    for (int i = 0; i < CENTRE_POOL; i++) order[i] = i;
    int count = 3 + (int)(cc_rng_next(rng) % 4);
    double side = fmin(d->x_max - d->x_min, d->y_max - d->y_min), total = 0;
    for (int z = 0; z < count; z++) {
        int pick = z + (int)(cc_rng_next(rng) % (uint64_t)(CENTRE_POOL - z));
        int tmp = order[z];
        order[z] = order[pick], order[pick] = tmp;
        cc_synth_zone *zone = &c->zones[z];
        /* A category's zone sits near, not exactly on, the shared centre. */
        zone->x = centres[order[z]][0] + uniform_in(rng, -0.02, 0.02) * side;
        zone->y = centres[order[z]][1] + uniform_in(rng, -0.02, 0.02) * side;
        zone->sd = uniform_in(rng, 250, 1200);
        zone->weight = uniform_in(rng, 0.5, 1.5);
        total += zone->weight;
    }
    double broad_share = uniform_in(rng, 0.25, 0.35);
    cc_synth_zone *broad = &c->zones[count];
    broad->x = 0.5 * (d->x_min + d->x_max) + uniform_in(rng, -0.05, 0.05) * side;
    broad->y = 0.5 * (d->y_min + d->y_max) + uniform_in(rng, -0.05, 0.05) * side;
    broad->sd = 0.18 * side;
    broad->weight = broad_share;
    for (int z = 0; z < count; z++) c->zones[z].weight *= (1.0 - broad_share) / total;
    c->zone_count = count + 1;
}

static void draw_category(cc_rng *rng, const category_template *t, const cc_synth_domain *d,
                          double centres[CENTRE_POOL][2], cc_synth_category *c) {
    memset(c, 0, sizeof *c);
    strncpy(c->name, t->name, sizeof c->name - 1);
    strncpy(c->raw_type, t->raw_type, sizeof c->raw_type - 1);
    c->rate = uniform_in(rng, t->rate_lo, t->rate_hi);
    c->branching = uniform_in(rng, t->n_lo, t->n_hi);
    c->decay_days = uniform_in(rng, t->decay_lo, t->decay_hi);
    c->sigma_m = uniform_in(rng, t->sigma_lo, t->sigma_hi);
    c->daily_amp = uniform_in(rng, 0.3, 0.6);
    c->daily_phase = t->daily_peak + uniform_in(rng, -1.0, 1.0) / 24;
    c->weekly_amp = uniform_in(rng, 0.08, 0.3);
    c->weekly_phase = t->weekly_peak + uniform_in(rng, -0.5, 0.5);
    c->annual_amp = uniform_in(rng, 0.08, 0.25);
    c->annual_phase = t->annual_peak + uniform_in(rng, -20, 20);
    c->drift = uniform_in(rng, -0.12, 0.12);
    draw_zones(rng, d, centres, c);
}

void cc_synth_params_from_seed(uint64_t seed, const cc_synth_domain *domain, cc_synth_params *params) {
    memset(params, 0, sizeof *params);
    params->seed = seed;
    cc_rng rng;
    rng_for(&rng, seed, 0x706172616d73ULL /* "params" */, 0, 0);
    double centres[CENTRE_POOL][2];
    draw_centres(&rng, domain, centres);
    params->category_count = TEMPLATE_COUNT;
    for (int i = 0; i < TEMPLATE_COUNT; i++) draw_category(&rng, &TEMPLATES[i], domain, centres, &params->categories[i]);
}

/* ---------------------------------------------------------------- background rate */

double cc_synth_modulation(const cc_synth_category *c, double t) {
    return exp(c->drift * (t - DRIFT_EPOCH) / DAYS_PER_YEAR) * (1.0 + c->daily_amp * cos(TWO_PI * (t - c->daily_phase))) *
           (1.0 + c->weekly_amp * cos(TWO_PI * (t - c->weekly_phase) / 7.0)) *
           (1.0 + c->annual_amp * cos(TWO_PI * (t - c->annual_phase) / DAYS_PER_YEAR));
}

double cc_synth_modulation_bound(const cc_synth_category *c, double from, double to) {
    double far = fmax(fabs(from - DRIFT_EPOCH), fabs(to - DRIFT_EPOCH));
    return exp(fabs(c->drift) * far / DAYS_PER_YEAR) * (1.0 + fabs(c->daily_amp)) * (1.0 + fabs(c->weekly_amp)) *
           (1.0 + fabs(c->annual_amp));
}

/* 8-point Gauss-Legendre on [-1, 1]: exact for polynomials of degree 15. */
static const double GL_NODES[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                                   0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
static const double GL_WEIGHTS[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
                                     0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

double cc_synth_background_integral(const cc_synth_category *c, double t0, double t1) {
    if (!(t1 > t0)) return 0;
    int pieces = (int)ceil((t1 - t0) * PIECES_PER_DAY);
    double width = (t1 - t0) / pieces, sum = 0;
    for (int p = 0; p < pieces; p++) {
        double mid = t0 + (p + 0.5) * width;
        for (int q = 0; q < 8; q++) sum += GL_WEIGHTS[q] * cc_synth_modulation(c, mid + 0.5 * width * GL_NODES[q]);
    }
    return c->rate * sum * 0.5 * width;
}

/* ---------------------------------------------------------------- simulation */

void cc_synth_events_free(cc_synth_events *e) {
    free(e->items);
    memset(e, 0, sizeof *e);
}

static int push_event(cc_synth_events *e, const cc_synth_event *event) {
    if (e->count == e->capacity) {
        size_t capacity = e->capacity ? 2 * e->capacity : 4096;
        cc_synth_event *grown = realloc(e->items, capacity * sizeof *grown);
        if (!grown) return -1;
        e->items = grown, e->capacity = capacity;
    }
    e->items[e->count++] = *event;
    return 0;
}

static void draw_background_location(cc_rng *rng, const cc_synth_category *c, double *x, double *y) {
    double u = cc_rng_uniform(rng), acc = 0;
    int z = 0;
    for (; z < c->zone_count - 1; z++) {
        acc += c->zones[z].weight;
        if (u < acc) break;
    }
    *x = c->zones[z].x + c->zones[z].sd * cc_rng_normal(rng);
    *y = c->zones[z].y + c->zones[z].sd * cc_rng_normal(rng);
}

/* Background events of category `ci` over [from, to), by thinning, chunk by chunk. */
static int simulate_background(const cc_synth_params *p, int ci, double from, double to, cc_synth_events *out) {
    const cc_synth_category *c = &p->categories[ci];
    for (long chunk = 0; from + chunk * CHUNK_DAYS < to; chunk++) {
        double start = from + chunk * CHUNK_DAYS, end = start + CHUNK_DAYS;
        double bound = cc_synth_modulation_bound(c, start, end);
        cc_rng rng;
        rng_for(&rng, p->seed, 0x6261636bULL /* "back" */ + (uint64_t)ci, (uint64_t)chunk, 0);
        for (double t = start + exponential(&rng, c->rate * bound); t < end && t < to;
             t += exponential(&rng, c->rate * bound)) {
            double keep = cc_rng_uniform(&rng);
            cc_synth_event e = {t, 0, 0, ci, 0, -1};
            draw_background_location(&rng, c, &e.x, &e.y);
            if (keep * bound < cc_synth_modulation(c, t) && push_event(out, &e) != 0) return -1;
        }
    }
    return 0;
}

/* The stream of an event's children, named by the event itself (its time and place),
 * so it does not depend on how many events were simulated before it. */
static void rng_for_event(cc_rng *rng, uint64_t seed, const cc_synth_event *e) {
    uint64_t bits[3];
    memcpy(&bits[0], &e->t, sizeof bits[0]);
    memcpy(&bits[1], &e->x, sizeof bits[1]);
    memcpy(&bits[2], &e->y, sizeof bits[2]);
    rng_for(rng, seed ^ (0x6b696473ULL /* "kids" */ + (uint64_t)e->category), bits[0], bits[1], bits[2]);
}

/* Children of every event from index `first` on, generation after generation (the list
 * grows as it is walked). */
static int simulate_offspring(const cc_synth_params *p, size_t first, double to, cc_synth_events *out) {
    for (size_t i = first; i < out->count; i++) {
        cc_synth_event parent = out->items[i];
        const cc_synth_category *c = &p->categories[parent.category];
        cc_rng rng;
        rng_for_event(&rng, p->seed, &parent);
        int children = poisson_small(&rng, c->branching);
        for (int k = 0; k < children; k++) {
            cc_synth_event child = {parent.t + exponential(&rng, 1.0 / c->decay_days), 0, 0, parent.category,
                                    parent.generation + 1, (long)i};
            child.x = parent.x + c->sigma_m * cc_rng_normal(&rng);
            child.y = parent.y + c->sigma_m * cc_rng_normal(&rng);
            if (child.t < to && push_event(out, &child) != 0) return -1;
        }
    }
    return 0;
}

typedef struct sort_key {
    double t, x;
    int category;
    size_t index;
} sort_key;

static int compare_keys(const void *pa, const void *pb) {
    const sort_key *a = pa, *b = pb;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    if (a->category != b->category) return a->category < b->category ? -1 : 1;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorts by time and renumbers the parents. */
static int sort_events(cc_synth_events *e) {
    size_t n = e->count;
    sort_key *keys = malloc((n ? n : 1) * sizeof *keys);
    size_t *new_index = malloc((n ? n : 1) * sizeof *new_index);
    cc_synth_event *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!keys || !new_index || !sorted) {
        free(keys), free(new_index), free(sorted);
        return -1;
    }
    for (size_t i = 0; i < n; i++) keys[i] = (sort_key){e->items[i].t, e->items[i].x, e->items[i].category, i};
    qsort(keys, n, sizeof *keys, compare_keys);
    for (size_t i = 0; i < n; i++) new_index[keys[i].index] = i;
    for (size_t i = 0; i < n; i++) {
        sorted[i] = e->items[keys[i].index];
        if (sorted[i].parent >= 0) sorted[i].parent = (long)new_index[sorted[i].parent];
    }
    free(e->items);
    e->items = sorted, e->capacity = n ? n : 1;
    free(keys), free(new_index);
    return 0;
}

int cc_synth_simulate(const cc_synth_params *p, double from, double to, cc_synth_events *out) {
    for (int ci = 0; ci < p->category_count; ci++) {
        size_t first = out->count;
        if (simulate_background(p, ci, from, to, out) != 0 || simulate_offspring(p, first, to, out) != 0) return -1;
    }
    return sort_events(out);
}

/* ---------------------------------------------------------------- oracle */

/* r(t) = R m(t) of one category. */
static double category_rate(const void *context, double t) {
    const cc_synth_category *c = context;
    return c->rate * cc_synth_modulation(c, t);
}

/* The category's events that can still matter at the origin, in time order: walking
 * back from the origin while an event's pending offspring (at most n / (1 - n) events
 * in all, scaled by exp(-beta age)) exceed the negligible count. */
static cc_hawkes_event *recent_history(const cc_synth_category *c, int ci, const cc_synth_event *h, size_t count,
                                       double origin, size_t *n_out) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h[mid].t < origin) lo = mid + 1;
        else hi = mid;
    }
    double beta = 1.0 / c->decay_days, most = c->branching / (1.0 - c->branching);
    size_t first = lo, n = 0;
    while (first > 0 && exp(-beta * (origin - h[first - 1].t)) * most >= NEGLIGIBLE_COUNT) first--;
    for (size_t i = first; i < lo; i++) n += h[i].category == ci;
    cc_hawkes_event *events = malloc(sizeof *events * (n ? n : 1));
    if (!events) return NULL;
    n = 0;
    for (size_t i = first; i < lo; i++)
        if (h[i].category == ci) events[n++] = (cc_hawkes_event){h[i].t, h[i].x, h[i].y};
    *n_out = n;
    return events;
}

int cc_synth_oracle(const cc_synth_params *p, int ci, const cc_synth_event *history, size_t history_count,
                    double origin, double t0, double t1, const cc_synth_grid *grid, double *out) {
    const cc_synth_category *c = &p->categories[ci];
    cc_hawkes_component zones[CC_SYNTH_MAX_ZONES];
    for (int z = 0; z < c->zone_count; z++)
        zones[z] = (cc_hawkes_component){c->zones[z].x, c->zones[z].y, c->zones[z].sd * c->zones[z].sd,
                                         c->zones[z].weight};
    cc_hawkes_process process = {c->branching, 1.0 / c->decay_days, c->sigma_m * c->sigma_m, category_rate, c,
                                 zones, (size_t)c->zone_count, NEGLIGIBLE_COUNT, 9.0};
    size_t n = 0;
    cc_hawkes_event *recent = recent_history(c, ci, history, history_count, origin, &n);
    int status = recent ? cc_hawkes_expected_counts(&process, recent, n, origin, t0, t1, grid, out) : -1;
    free(recent);
    return status;
}
