/* The ETAS baseline's EM fit: see models/etas.h for the model and the algorithm. */
#include "models/etas.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/threads.h"

#define TWO_PI 6.283185307179586476925286766559
#define DEFAULT_BANDWIDTH_M 250.0
#define DEFAULT_TIME_HORIZON 180.0
#define DEFAULT_DISTANCE_HORIZON 3000.0
#define DEFAULT_ITERATIONS 100
#define DEFAULT_TOLERANCE 1e-4
#define DEFAULT_MIN_SIGMA_M 50.0
/* Pairs reach this many mean delays and this many sigmas (below each option's most): the
 * kernel mass beyond is exp(-8) and exp(-8) again, and the M-step's delay and sigma^2
 * come out 0.27% short of an uncut sum's (8 e^-8 / (1 - e^-8)); each more delay or sigma
 * would add an eighth or more to the pairs. */
#define DELAYS_REACHED 8.0
#define SIGMAS_REACHED 4.0
/* The density raster: cells of h / RASTER_PER_H, the blur cut at BLUR_REACH h, at most
 * RASTER_MOST nodes (coarser cells beyond). */
#define RASTER_PER_H 3.0
#define BLUR_REACH 4.0
#define RASTER_MOST (8u << 20)
/* Events per block of the E-step: the unit whose partial sums are added in order. */
#define BLOCK 1024
/* A floor under the background intensity (events per day per m^2), so that an event
 * with no neighbour within the kernel's reach has a finite likelihood. */
#define INTENSITY_FLOOR 1e-15

/* ---------------------------------------------------------------- the density raster */

/* Node (i, j) sits at (x0 + i step, y0 + j step). */
typedef struct density {
    double x0, y0, step, h;
    int nx, ny, reach;
    double *mass, *blurred, *scratch;   /* [ny][nx] */
    double *kernel;                     /* [2 reach + 1], sums to 1 */
} density;

static void density_free(density *d) { free(d->mass), free(d->blurred), free(d->scratch), free(d->kernel); }

static int density_init(density *d, const cc_hawkes_event *e, size_t n, double h) {
    double x_min = e[0].x, x_max = e[0].x, y_min = e[0].y, y_max = e[0].y;
    for (size_t i = 1; i < n; i++) {
        x_min = fmin(x_min, e[i].x), x_max = fmax(x_max, e[i].x);
        y_min = fmin(y_min, e[i].y), y_max = fmax(y_max, e[i].y);
    }
    memset(d, 0, sizeof *d);
    d->h = h;
    d->step = h / RASTER_PER_H;
    for (;;) {
        d->reach = (int)ceil(BLUR_REACH * h / d->step);
        double wx = (x_max - x_min) / d->step + 2.0 * d->reach + 4, wy = (y_max - y_min) / d->step + 2.0 * d->reach + 4;
        if (wx * wy <= RASTER_MOST) {
            d->nx = (int)wx, d->ny = (int)wy;
            break;
        }
        d->step *= 1.5;
    }
    d->x0 = x_min - (d->reach + 2) * d->step, d->y0 = y_min - (d->reach + 2) * d->step;
    size_t nodes = (size_t)d->nx * (size_t)d->ny;
    d->mass = calloc(nodes, sizeof(double));
    d->blurred = calloc(nodes, sizeof(double));
    d->scratch = calloc(nodes, sizeof(double));
    d->kernel = malloc(sizeof(double) * (size_t)(2 * d->reach + 1));
    if (!d->mass || !d->blurred || !d->scratch || !d->kernel) return -1;
    double sum = 0;
    for (int k = -d->reach; k <= d->reach; k++) {
        double u = k * d->step / h;
        sum += d->kernel[k + d->reach] = exp(-0.5 * u * u);
    }
    for (int k = 0; k <= 2 * d->reach; k++) d->kernel[k] /= sum;
    return 0;
}

/* The four nodes around x and their weights (cloud in cell). */
static void corners(const density *d, double x, double y, int *i, int *j, double w[4]) {
    double u = (x - d->x0) / d->step, v = (y - d->y0) / d->step;
    *i = (int)floor(u), *j = (int)floor(v);
    double fx = u - *i, fy = v - *j;
    w[0] = (1 - fx) * (1 - fy), w[1] = fx * (1 - fy), w[2] = (1 - fx) * fy, w[3] = fx * fy;
}

/* out[i] = sum_{k = -R..R, 0 <= i + k < n} kernel[k + R] in[i + k]: one row of
 * the blur, added k by k over the whole line (a loop the compiler vectorises) in the same
 * order of k as a sum per node. */
static void blur_row(const double *kernel, int R, const double *in, int n, double *out) {
    for (int i = 0; i < n; i++) out[i] = 0;
    for (int k = -R; k <= R; k++) {
        int lo = k < 0 ? -k : 0, hi = k > 0 ? n - k : n;
        double w = kernel[k + R];
        for (int i = lo; i < hi; i++) out[i] += w * in[i + k];
    }
}

/* The masses: each event's weight shared among its four nodes. */
static void density_deposit(density *d, const cc_hawkes_event *e, size_t n, const double *weight) {
    memset(d->mass, 0, sizeof(double) * (size_t)d->nx * (size_t)d->ny);
    for (size_t q = 0; q < n; q++) {
        int i, j;
        double w[4];
        corners(d, e[q].x, e[q].y, &i, &j, w);
        double *row = d->mass + (size_t)j * d->nx + i;
        row[0] += weight[q] * w[0], row[1] += weight[q] * w[1];
        row[d->nx] += weight[q] * w[2], row[d->nx + 1] += weight[q] * w[3];
    }
}

/* The masses, then the separable blur: along x row by row into scratch, along y row by
 * row into blurred (each row the kernel's sum of 2R + 1 rows of scratch, added row by
 * row, in the same order for every thread count). */
static void density_build(density *d, const cc_hawkes_event *e, size_t n, const double *weight, int threads) {
    density_deposit(d, e, n, weight);
    int R = d->reach, nx = d->nx, ny = d->ny;
    cc_ops_context ctx = {CC_BACKEND_CPU, threads};
    (void)ctx;
    CC_PARALLEL_FOR(&ctx)
    for (int j = 0; j < ny; j++) blur_row(d->kernel, R, d->mass + (size_t)j * nx, nx, d->scratch + (size_t)j * nx);
    CC_PARALLEL_FOR(&ctx)
    for (int j = 0; j < ny; j++) {
        double *out = d->blurred + (size_t)j * nx;
        for (int i = 0; i < nx; i++) out[i] = 0;
        for (int k = -R; k <= R; k++) {
            if (j + k < 0 || j + k >= ny) continue;
            const double *in = d->scratch + (size_t)(j + k) * nx;
            double w = d->kernel[k + R];
            for (int i = 0; i < nx; i++) out[i] += w * in[i];
        }
    }
}

/* The blurred mass at x, without the share of an event of weight `own` at x itself, per
 * m^2. */
static double density_at(const density *d, double x, double y, double own) {
    int i, j;
    double w[4];
    corners(d, x, y, &i, &j, w);
    const double *row = d->blurred + (size_t)j * d->nx + i;
    double value = w[0] * row[0] + w[1] * row[1] + w[2] * row[d->nx] + w[3] * row[d->nx + 1];
    /* The event's own mass went to the four nodes with weights w and was blurred by the
     * kernel: its share at its own position is sum_a sum_b w_a w_b k(di_ab) k(dj_ab). */
    static const int DI[4] = {0, 1, 0, 1}, DJ[4] = {0, 0, 1, 1};
    double self = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            self += w[a] * w[b] * d->kernel[DI[a] - DI[b] + d->reach] * d->kernel[DJ[a] - DJ[b] + d->reach];
    return fmax(value - own * self, 0.0) / (d->step * d->step);
}

/* ---------------------------------------------------------------- the bandwidth */

/* Candidates when the bandwidth is chosen: 100 m to 3.2 km in steps of sqrt 2. */
enum { BANDWIDTH_GRID = 11 };
#define BANDWIDTH_FIRST 100.0
#define BANDWIDTH_FACTOR 1.4142135623730951
/* Below this density (per m^2, of the normalised s) a leave-one-out log is cut. */
#define DENSITY_FLOOR 1e-14

/* The bandwidths a step either way of h, and h, within the grid (a narrower kernel only
 * ever gains where incidents share an address: Chicago's are geocoded to the block). */
static int neighbours(double h, double *candidates) {
    double last = BANDWIDTH_FIRST * pow(BANDWIDTH_FACTOR, BANDWIDTH_GRID - 1) * (1 + 1e-9);
    int k = 0;
    if (h / BANDWIDTH_FACTOR >= BANDWIDTH_FIRST * (1 - 1e-9)) candidates[k++] = h / BANDWIDTH_FACTOR;
    candidates[k++] = h;
    if (h * BANDWIDTH_FACTOR <= last) candidates[k++] = h * BANDWIDTH_FACTOR;
    return k;
}

/* The weighted leave-one-out log-likelihood of the background density: sum_j p_jj log
 * s_{-j}(x_j), s normalised by the weights' sum. The terms are computed side by side into
 * `terms` [n] and added in event order, so the score does not depend on the threads. */
static double bandwidth_score(const density *d, const cc_hawkes_event *e, size_t n, const double *weight,
                              double *terms, int threads) {
    double total = 0, score = 0;
    for (size_t j = 0; j < n; j++) total += weight[j];
    cc_ops_context ctx = {CC_BACKEND_CPU, threads};
    (void)ctx;
    CC_PARALLEL_FOR(&ctx)
    for (size_t j = 0; j < n; j++)
        terms[j] = weight[j] * log(fmax(density_at(d, e[j].x, e[j].y, weight[j]) / total, DENSITY_FLOOR));
    for (size_t j = 0; j < n; j++) score += terms[j];
    return score;
}

/* Builds the density for the best of `count` bandwidths (the weights' leave-one-out
 * likelihood) into *best, which holds the previous density (freed when replaced);
 * `terms` [n] is scratch. */
static int choose_bandwidth(density *best, const cc_hawkes_event *e, size_t n, const double *weight,
                            const double *candidates, int count, double *chosen, double *terms, int threads) {
    double best_score = -INFINITY;
    for (int k = 0; k < count; k++) {
        density d;
        if (density_init(&d, e, n, candidates[k]) != 0) {
            density_free(&d);
            return -1;
        }
        density_build(&d, e, n, weight, threads);
        double score = bandwidth_score(&d, e, n, weight, terms, threads);
        if (score > best_score) {
            best_score = score, *chosen = candidates[k];
            density_free(best);
            *best = d;
        } else {
            density_free(&d);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- the spatial hash */

typedef struct hash {
    double x0, y0, cell;
    int reach;          /* cells either way that a search within the distance must visit */
    int nx, ny;
    size_t *start;      /* [nx ny + 1] */
    double *t, *x, *y;  /* the events by cell, in time order within a cell: contiguous, so
                         * the E-step reads each cell's candidates as one stream */
    size_t *order;      /* [n]: the event at each of those places */
} hash;

static void hash_free(hash *g) { free(g->start), free(g->t), free(g->x), free(g->y), free(g->order); }

static int hash_cell(const hash *g, double x, double y) {
    int i = (int)floor((x - g->x0) / g->cell), j = (int)floor((y - g->y0) / g->cell);
    i = i < 0 ? 0 : i >= g->nx ? g->nx - 1 : i;
    j = j < 0 ? 0 : j >= g->ny ? g->ny - 1 : j;
    return j * g->nx + i;
}

/* Cells of at least half the search distance, so an event's pairs lie within HASH_REACH
 * cells of its own (2 / (1/2) is exact, and cells only grow). */
enum { HASH_REACH = 2, HASH_NEIGHBOURS = (2 * HASH_REACH + 1) * (2 * HASH_REACH + 1) };

/* Cells of half the search distance: the 5 x 5 cells around an event, less those wholly
 * beyond the distance, cover 2.4 times the search circle's area where cells of the whole
 * distance (3 x 3) cover 2.9 times. */
static int hash_build(hash *g, const cc_hawkes_event *e, size_t n, double distance) {
    double cell = distance / 2;
    hash_free(g);
    memset(g, 0, sizeof *g);
    double x_min = e[0].x, x_max = e[0].x, y_min = e[0].y, y_max = e[0].y;
    for (size_t i = 1; i < n; i++) {
        x_min = fmin(x_min, e[i].x), x_max = fmax(x_max, e[i].x);
        y_min = fmin(y_min, e[i].y), y_max = fmax(y_max, e[i].y);
    }
    /* No more cells than events: a wider cell only adds pairs to test. */
    double w = x_max - x_min, h = y_max - y_min;
    while ((w / cell + 1) * (h / cell + 1) > (double)n + 16) cell *= 1.25;
    g->x0 = x_min, g->y0 = y_min, g->cell = cell, g->reach = (int)ceil(distance / cell); /* <= HASH_REACH */
    g->nx = (int)(w / cell) + 1, g->ny = (int)(h / cell) + 1;
    size_t cells = (size_t)g->nx * (size_t)g->ny;
    g->start = calloc(cells + 1, sizeof(size_t));
    g->t = malloc(sizeof(double) * n), g->x = malloc(sizeof(double) * n), g->y = malloc(sizeof(double) * n);
    g->order = malloc(sizeof(size_t) * n);
    if (!g->start || !g->t || !g->x || !g->y || !g->order) return -1;
    for (size_t q = 0; q < n; q++) g->start[hash_cell(g, e[q].x, e[q].y) + 1]++;
    for (size_t c = 0; c < cells; c++) g->start[c + 1] += g->start[c];
    size_t *fill = malloc(sizeof(size_t) * cells);
    if (!fill) return -1;
    memcpy(fill, g->start, sizeof(size_t) * cells);
    for (size_t q = 0; q < n; q++) {
        size_t at = fill[hash_cell(g, e[q].x, e[q].y)]++;
        g->t[at] = e[q].t, g->x[at] = e[q].x, g->y[at] = e[q].y, g->order[at] = q;
    }
    free(fill);
    return 0;
}

static double larger(double a, double b) { return a > b ? a : b; }

/* Whether every point of cell (i, j) lies farther than sqrt(d2) from (x, y). The edge
 * cells hold what lies outside the box too (hash_cell clamps), so they are never skipped. */
static int beyond(const hash *g, int i, int j, double x, double y, double d2) {
    if (i == 0 || j == 0 || i == g->nx - 1 || j == g->ny - 1) return 0;
    double left = g->x0 + i * g->cell, bottom = g->y0 + j * g->cell;
    /* Plain comparisons, not fmax: this runs 25 times an event, and fmax is a call into
     * libm (the same value for these finite numbers). */
    double dx = larger(larger(left - x, x - (left + g->cell)), 0.0);
    double dy = larger(larger(bottom - y, y - (bottom + g->cell)), 0.0);
    return dx * dx + dy * dy > d2 * (1 + 1e-9) + 1e-6; /* a margin for the cell edges' rounding */
}

/* ---------------------------------------------------------------- time of day and week */

static int weekday_of(double t) {
    long day = (long)floor(t);
    return (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday; Monday = 0 */
}

static int hour_of(double t) {
    int h = (int)floor((t - floor(t)) * 24.0);
    return h < 0 ? 0 : h > 23 ? 23 : h;
}

static double full_modulation(const cc_etas_fit *fit, double t) { return fit->hour[hour_of(t)] * fit->weekday[weekday_of(t)]; }

double cc_etas_modulation(const cc_etas_fit *fit, double t) { return fit->weekday[weekday_of(t)]; }

/* ---------------------------------------------------------------- the E-step */

typedef struct sums {
    double triggered, delay, spread;    /* sum p_ij, sum p_ij dt, sum p_ij d^2 */
    double background, log_lambda, pairs;
} sums;

typedef struct em {
    const cc_hawkes_event *e;
    size_t n;
    const cc_etas_options *o;
    cc_etas_fit *fit;
    density d;
    hash g;
    double time_horizon, distance_horizon;
    sums *block;
    double *terms;  /* [n]: scratch of the bandwidth's score */
} em;

/* The first index in [lo, hi) of the sorted t whose time is at least `from`: a scan of a
 * short run, else a binary search without branches (a mispredicted branch per step cost
 * more than the step's load: a third of the E-step's time on Chicago). */
static size_t first_from(const double *t, size_t lo, size_t hi, double from) {
    size_t n = hi - lo;
    if (n <= 8) {
        while (lo < hi && t[lo] < from) lo++;
        return lo;
    }
    const double *b = t + lo;
    while (n > 1) {
        size_t half = n / 2;
        b = b[half - 1] < from ? b + half : b;
        n -= half;
    }
    return (size_t)(b - t) + (*b < from);
}

/* Where the E-step stands in the cells around one cell: for each neighbour (in the
 * E-step's loop order), its first event within the time horizon of the event last
 * expected. The E-step takes a cell's events in time order, so these only move forward:
 * the next event of the same cell starts from them instead of searching each neighbour
 * again (the searches were a quarter of the E-step's time on the synthetic city). */
typedef struct cursors {
    int cell;   /* the cell they are for; -1: none yet */
    size_t first[HASH_NEIGHBOURS];
} cursors;

/* The first event of cell c at or after `from`, moving c's cursor k there. */
static size_t first_in_cell(const hash *g, cursors *at, int k, size_t c, double from) {
    size_t lo = g->start[c], hi = g->start[c + 1];
    if (at->first[k] == SIZE_MAX) return at->first[k] = first_from(g->t, lo, hi, from);
    size_t q = at->first[k];
    while (q < hi && g->t[q] < from) q++;
    return at->first[k] = q;
}

/* One event, the one at place `slot` of the hash: lambda_j, its background share p_jj,
 * and its pairs' p-weighted sums. */
static void expect_event(em *m, size_t slot, cursors *near, sums *s) {
    const hash *g = &m->g;
    size_t j = g->order[slot];
    double tj = g->t[slot], xj = g->x[slot], yj = g->y[slot];
    const cc_etas_params *p = &m->fit->params;
    double T = m->fit->t_end - m->fit->t_start;
    double own = m->fit->background[j];
    double mu = full_modulation(m->fit, tj) * density_at(&m->d, xj, yj, own) / T;
    mu = fmax(mu, INTENSITY_FLOOR);
    double omega = 1.0 / p->decay_days, sigma2 = p->sigma_m * p->sigma_m;
    double scale = p->branching * omega / (TWO_PI * sigma2), d_max2 = m->distance_horizon * m->distance_horizon;
    double g0 = 0, g1 = 0, g2 = 0, pairs = 0;
    int cell = hash_cell(g, xj, yj), ci = cell % g->nx, cj = cell / g->nx, r = g->reach;
    if (near->cell != cell) {
        near->cell = cell;
        for (int k = 0; k < HASH_NEIGHBOURS; k++) near->first[k] = SIZE_MAX; /* not yet: searched */
    }
    for (int dj = -r, k = 0; dj <= r; dj++)
        for (int di = -r; di <= r; di++, k++) {
            int i = ci + di, jj = cj + dj;
            if (i < 0 || jj < 0 || i >= g->nx || jj >= g->ny) continue;
            if (beyond(g, i, jj, xj, yj, d_max2)) continue;
            size_t c = (size_t)jj * g->nx + i, hi = g->start[c + 1];
            if (g->start[c] == hi) continue;
            const double *t = g->t, *x = g->x, *y = g->y;
            /* The cell's events within the time horizon before t_j. */
            size_t first = first_in_cell(g, near, k, c, tj - m->time_horizon);
            for (size_t q = first; q < hi && t[q] < tj; q++) { /* same-time events are not parents */
                double dx = xj - x[q], dy = yj - y[q], d2 = dx * dx + dy * dy;
                if (d2 > d_max2) continue;
                double dt = tj - t[q];
                double gq = scale * exp(-omega * dt - 0.5 * d2 / sigma2);
                g0 += gq, g1 += gq * dt, g2 += gq * d2, pairs += 1;
            }
        }
    double lambda = mu + g0;
    m->fit->background[j] = mu / lambda;
    s->background += mu / lambda;
    s->triggered += g0 / lambda, s->delay += g1 / lambda, s->spread += g2 / lambda;
    s->log_lambda += log(lambda);
    s->pairs += pairs;
}

/* The E-step over blocks of events in the hash's order (cell by cell: the neighbours one
 * event reads are the next one's, still in cache; in time order the E-step waited on
 * memory), `total` the blocks' sums added in order. Blocks are dealt to threads one at a
 * time: a block of a hot spot holds many times the pairs of one at the city's edge. The
 * weights of the density raster are the previous step's p_jj, read before each is
 * overwritten: the raster was built from them before this step began. */
static void expect(em *m, sums *total) {
    size_t blocks = (m->n + BLOCK - 1) / BLOCK;
    cc_ops_context ctx = {CC_BACKEND_CPU, m->o->threads};
    (void)ctx;
    CC_PARALLEL_FOR_UNEVEN(&ctx)
    for (size_t b = 0; b < blocks; b++) {
        sums s = {0};
        cursors near = {.cell = -1};
        size_t end = (b + 1) * BLOCK < m->n ? (b + 1) * BLOCK : m->n;
        for (size_t slot = b * BLOCK; slot < end; slot++) expect_event(m, slot, &near, &s);
        m->block[b] = s;
    }
    memset(total, 0, sizeof *total);
    for (size_t b = 0; b < blocks; b++) {
        total->triggered += m->block[b].triggered, total->delay += m->block[b].delay;
        total->spread += m->block[b].spread, total->background += m->block[b].background;
        total->log_lambda += m->block[b].log_lambda, total->pairs += m->block[b].pairs;
    }
}

/* ---------------------------------------------------------------- the M-step */

static void modulation_from_background(em *m) {
    cc_etas_fit *fit = m->fit;
    for (int h = 0; h < 24; h++) fit->hour[h] = 1;
    for (int d = 0; d < 7; d++) fit->weekday[d] = 1;
    if (m->o->constant_background) return;
    double hour[24] = {0}, day[7] = {0}, total = 0, exposure[7] = {0};
    for (size_t j = 0; j < m->n; j++) {
        double w = fit->background[j];
        hour[hour_of(m->e[j].t)] += w, day[weekday_of(m->e[j].t)] += w, total += w;
    }
    if (!(total > 0)) return;
    /* Days of each weekday in the window, whole or in part. */
    for (double t = floor(fit->t_start); t < fit->t_end; t += 1) {
        double from = fmax(t, fit->t_start), to = fmin(t + 1, fit->t_end);
        exposure[weekday_of(t)] += to - from;
    }
    double days = fit->t_end - fit->t_start;
    for (int h = 0; h < 24; h++) fit->hour[h] = hour[h] / total * 24.0;
    for (int d = 0; d < 7; d++) fit->weekday[d] = exposure[d] > 0 ? day[d] / total / (exposure[d] / days) : 1;
    /* An hour or weekday without background events would make every event there
     * triggered: keep a floor of a hundredth of the mean. */
    for (int h = 0; h < 24; h++) fit->hour[h] = fmax(fit->hour[h], 0.01);
    for (int d = 0; d < 7; d++) fit->weekday[d] = fmax(fit->weekday[d], 0.01);
}

/* `room`: offspring_room under the E-step's parameters (theta's denominator). */
static void maximise(em *m, const sums *s, double room) {
    cc_etas_fit *fit = m->fit;
    cc_etas_params *p = &fit->params;
    if (s->triggered > 0 && s->delay > 0 && s->spread > 0) {
        p->branching = fmin(s->triggered / room, CC_ETAS_MOST_BRANCHING);
        p->decay_days = s->delay / s->triggered;
        /* Not narrower than where the incidents were put (see min_sigma_m in etas.h). */
        double least = m->o->min_sigma_m > 0 ? m->o->min_sigma_m : DEFAULT_MIN_SIGMA_M;
        p->sigma_m = fmax(sqrt(s->spread / (2.0 * s->triggered)), least);
    } else {
        p->branching = 0;
    }
    p->background_rate = s->background / (fit->t_end - fit->t_start);
    modulation_from_background(m);
}

/* The horizons of the next E-step, and the hash for the distance. */
static int set_horizons(em *m) {
    const cc_etas_params *p = &m->fit->params;
    double most_t = m->o->time_horizon_days > 0 ? m->o->time_horizon_days : DEFAULT_TIME_HORIZON;
    double most_d = m->o->distance_horizon_m > 0 ? m->o->distance_horizon_m : DEFAULT_DISTANCE_HORIZON;
    m->time_horizon = fmin(DELAYS_REACHED * p->decay_days, most_t);
    double distance = fmin(SIGMAS_REACHED * p->sigma_m, most_d);
    if (m->g.start && distance == m->distance_horizon) return 0;
    m->distance_horizon = distance;
    return hash_build(&m->g, m->e, m->n, distance);
}

static double relative_change(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-12); }

static int converged(const cc_etas_params *a, const cc_etas_params *b, double tolerance) {
    return relative_change(a->branching, b->branching) < tolerance &&
           relative_change(a->decay_days, b->decay_days) < tolerance &&
           relative_change(a->sigma_m, b->sigma_m) < tolerance;
}

/* sum_i (1 - exp(-omega (T_end - t_i))) under the current parameters: the offspring each
 * event could have had before the window ends, per unit of theta. It is the M-step's
 * denominator for theta, and with theta the triggered part of the integral of lambda. */
static double offspring_room(const em *m) {
    double omega = 1.0 / m->fit->params.decay_days, room = 0;
    for (size_t i = 0; i < m->n; i++) room += 1.0 - exp(-omega * (m->fit->t_end - m->e[i].t));
    return room;
}

int cc_etas_fit_events(const cc_hawkes_event *events, size_t count, double t_start, double t_end,
                       const cc_etas_options *o, cc_etas_fit *fit, char *err, size_t err_len) {
    memset(fit, 0, sizeof *fit);
    if (count < CC_ETAS_LEAST_EVENTS || !(t_end > t_start)) {
        snprintf(err, err_len, "%zu events in %.1f days: too few to fit a self-exciting process", count, t_end - t_start);
        return -1;
    }
    em m = {events, count, o, fit, {0}, {0}, 0, 0, NULL, NULL};
    fit->t_start = t_start, fit->t_end = t_end, fit->count = count;
    fit->bandwidth_m = o->bandwidth_m > 0 ? o->bandwidth_m : DEFAULT_BANDWIDTH_M;
    fit->params = o->start;
    if (!(fit->params.branching > 0)) fit->params.branching = 0.3;
    if (!(fit->params.decay_days > 0)) fit->params.decay_days = 3.0;
    if (!(fit->params.sigma_m > 0)) fit->params.sigma_m = 300.0;
    for (int h = 0; h < 24; h++) fit->hour[h] = 1;
    for (int d = 0; d < 7; d++) fit->weekday[d] = 1;
    fit->background = malloc(sizeof(double) * count);
    m.block = malloc(sizeof(sums) * ((count + BLOCK - 1) / BLOCK));
    m.terms = malloc(sizeof(double) * count);
    int chosen = !(o->bandwidth_m > 0);
    int status = fit->background && m.block && m.terms &&
                         (chosen || density_init(&m.d, events, count, fit->bandwidth_m) == 0)
                     ? 0
                     : -1;
    if (status == 0)
        for (size_t j = 0; j < count; j++) fit->background[j] = 1.0 - fit->params.branching;
    int most = o->max_iterations > 0 ? o->max_iterations : DEFAULT_ITERATIONS;
    if (most > CC_ETAS_MAX_ITERATIONS) most = CC_ETAS_MAX_ITERATIONS;
    double tolerance = o->tolerance > 0 ? o->tolerance : DEFAULT_TOLERANCE;
    for (int it = 0; status == 0 && it < most; it++) {
        if (set_horizons(&m) != 0) {
            status = -1;
            break;
        }
        if (!chosen) {
            density_build(&m.d, events, count, fit->background, o->threads);
        } else {
            /* The first iteration tries the whole grid, later ones a step either way. */
            double candidates[BANDWIDTH_GRID];
            int k = 0;
            if (it == 0)
                for (double h = BANDWIDTH_FIRST; k < BANDWIDTH_GRID; h *= BANDWIDTH_FACTOR) candidates[k++] = h;
            else
                k = neighbours(fit->bandwidth_m, candidates);
            if (choose_bandwidth(&m.d, events, count, fit->background, candidates, k, &fit->bandwidth_m, m.terms,
                                 o->threads) != 0) {
                status = -1;
                break;
            }
        }
        double background = 0;
        for (size_t j = 0; j < count; j++) background += fit->background[j];
        sums s;
        expect(&m, &s);
        cc_etas_params before = fit->params;
        /* The integral of lambda under the E-step's parameters: the background's events
         * (the density's mass, sum p_jj) and the offspring the events have had by the end. */
        double room = offspring_room(&m);
        fit->log_likelihood = s.log_lambda - (background + fit->params.branching * room);
        maximise(&m, &s, room);
        fit->history[it] = fit->params;
        fit->iterations = it + 1;
        fit->pairs = s.pairs;
        if (converged(&fit->params, &before, tolerance)) fit->converged = 1;
        if (o->on_iteration && o->on_iteration(o->context, it + 1, &fit->params)) break;
        if (fit->converged) break;
    }
    if (status != 0) {
        snprintf(err, err_len, "out of memory fitting %zu events", count);
        cc_etas_fit_free(fit);
    }
    density_free(&m.d), hash_free(&m.g), free(m.block), free(m.terms);
    return status;
}

void cc_etas_fit_free(cc_etas_fit *fit) {
    free(fit->background);
    fit->background = NULL;
}

/* ---------------------------------------------------------------- forecasting */

static double forecast_rate(const void *context, double t) {
    const cc_etas_level *level = context;
    return level->constant ? level->rate : level->rate * cc_etas_modulation(level->fit, t);
}

static size_t first_at_or_after(const cc_hawkes_event *e, size_t count, double t) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].t < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

double cc_etas_recent_rate(const cc_etas_fit *fit, const cc_hawkes_event *events, size_t count, double origin,
                           double days, double since) {
    double seen = origin - since < days ? origin - since : days;
    if (!(seen >= CC_ETAS_LEAST_LEVEL_DAYS)) return fit->params.background_rate;
    size_t n = first_at_or_after(events, count, origin) - first_at_or_after(events, count, origin - seen);
    return (1.0 - fit->params.branching) * (double)n / seen;
}

int cc_etas_process(const cc_etas_fit *fit, const cc_hawkes_event *events, const cc_etas_level *level,
                    cc_hawkes_process *process, cc_hawkes_component **components) {
    /* The density's raster nodes stand for the events: the same mixture the fit used,
     * with as many components as nodes that hold weight (not one per event). */
    density d;
    if (density_init(&d, events, fit->count, fit->bandwidth_m) != 0) {
        density_free(&d);
        return -1;
    }
    density_deposit(&d, events, fit->count, fit->background);
    size_t nodes = (size_t)d.nx * (size_t)d.ny, n = 0;
    double total = 0;
    for (size_t q = 0; q < nodes; q++) n += d.mass[q] > 0, total += d.mass[q];
    cc_hawkes_component *c = malloc(sizeof *c * (n ? n : 1));
    if (!c) {
        density_free(&d);
        return -1;
    }
    n = 0;
    double h2 = fit->bandwidth_m * fit->bandwidth_m;
    for (int j = 0; j < d.ny; j++)
        for (int i = 0; i < d.nx; i++) {
            double w = d.mass[(size_t)j * d.nx + i];
            if (w > 0) c[n++] = (cc_hawkes_component){d.x0 + i * d.step, d.y0 + j * d.step, h2, w / total};
        }
    density_free(&d);
    *components = c;
    *process = (cc_hawkes_process){fit->params.branching, 1.0 / fit->params.decay_days,
                                   fit->params.sigma_m * fit->params.sigma_m, forecast_rate, level, c, n, 1e-6, 6.0};
    return 0;
}
