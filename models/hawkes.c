/* Expected counts of a space-time Hawkes process: see models/hawkes.h for the
 * equations. Moved here from the synthetic city's oracle (models/synth.c), which now
 * calls it, so the ETAS baseline forecasts with the same machinery. */
#include "models/hawkes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_NEGLIGIBLE 1e-10
#define DEFAULT_REACH 9.0
/* Generations are summed until n^k falls below this share of the total, n / (1 - n). */
#define GENERATION_TAIL 1e-12
#define MAX_GENERATIONS 2000
/* Gauss-Legendre pieces per day for the time integrals B_k. */
#define PIECES_PER_DAY 8

static const double GL_NODES[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                                   0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
static const double GL_WEIGHTS[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
                                     0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

struct cc_hawkes_forecaster {
    const cc_hawkes_process *p;
    cc_hawkes_grid grid;
    double negligible, reach;
    int generations;        /* K */
    double *px, *py;        /* [width], [height]: one Gaussian's cell probabilities */
    double *terms;          /* [term_capacity]: Poisson probabilities */
    int term_capacity;
    double *g_hi, *g_lo;    /* [K + 1]: G_k at the window's two ends */
    double *weight;         /* [K + 1]: w_k or B_k */
    double **background;    /* [K + 1] maps of sum_z w_z P_A(c_z, v_z + k sigma^2), made when first needed */
    double *out;            /* the map being written */
};

/* The upper tail of the standard normal. */
static double normal_upper(double z) { return 0.5 * erfc(z * 0.70710678118654752440); }

/* Probabilities of N(centre, sd^2) over cells [i step, (i+1) step), i = 0..n-1, where
 * `centre` is measured from edge 0. Only cells within `reach` sd are filled; [*lo, *hi]
 * is that range (empty when *lo > *hi). */
static void cell_probabilities(double centre, double sd, double reach, double step, int n, double *p, int *lo,
                               int *hi) {
    double first = floor((centre - reach * sd) / step), last = floor((centre + reach * sd) / step);
    *lo = first < 0 ? 0 : (int)fmin(first, n);
    *hi = last > n - 1 ? n - 1 : (int)fmax(last, -1);
    if (*lo > *hi) return;
    double upper = normal_upper((*lo * step - centre) / sd);
    for (int i = *lo; i <= *hi; i++) {
        double next = normal_upper(((i + 1) * step - centre) / sd);
        p[i] = upper - next;
        upper = next;
    }
}

/* Adds weight * P_A(centre, variance) to every cell A of `out`. */
static void add_gaussian(cc_hawkes_forecaster *f, double *out, double x, double y, double variance, double weight) {
    const cc_hawkes_grid *g = &f->grid;
    double sd = sqrt(variance);
    int c0, c1, r0, r1;
    cell_probabilities(x - g->x0, sd, f->reach, g->cell, g->width, f->px, &c0, &c1);
    if (c0 > c1) return;
    cell_probabilities(g->y0 - y, sd, f->reach, g->cell, g->height, f->py, &r0, &r1);
    for (int r = r0; r <= r1; r++) {
        double row_weight = weight * f->py[r];
        double *line = out + (size_t)r * g->width;
        for (int c = c0; c <= c1; c++) line[c] += row_weight * f->px[c];
    }
}

/* G_k(z / beta) = P(Gamma(k, beta) <= z / beta) = P(Poisson(z) >= k) for k = 1..K, as
 * sums of Poisson probabilities from the top down (accurate in both tails). */
static void gamma_cdfs(cc_hawkes_forecaster *f, double z, double *g) {
    int K = f->generations;
    if (!(z > 0)) {
        for (int k = 0; k <= K; k++) g[k] = 0;
        return;
    }
    int mode = (int)floor(z), top = f->term_capacity - 1;
    double *terms = f->terms;
    /* Recur outwards from the mode, where the probability is largest and cannot underflow. */
    double at_mode = exp(-z + mode * log(z) - lgamma(mode + 1.0));
    if (mode <= top) terms[mode] = at_mode;
    double term = at_mode;
    for (int j = mode; j > 0; j--) {
        term *= j / z;
        if (j - 1 <= top) terms[j - 1] = term;
    }
    term = at_mode;
    for (int j = mode + 1; j <= top; j++) {
        term *= z / j;
        if (j > mode) terms[j] = term;
    }
    double tail = 0;
    for (int j = top; j >= 1; j--) {
        tail += terms[j];
        if (j <= K) g[j] = tail;
    }
    g[0] = 1;
}

/* Room for the Poisson sums of arguments up to z_max. */
static int terms_needed(double z_max, int K) {
    double top = fmax((double)K, z_max + 14.0 * sqrt(z_max) + 60.0);
    return (int)top + 2;
}

/* Makes room for Poisson sums up to z_max (a longer window than any before). */
static int reserve_terms(cc_hawkes_forecaster *f, double z_max) {
    int need = terms_needed(z_max, f->generations);
    if (need <= f->term_capacity) return 0;
    double *terms = realloc(f->terms, sizeof(double) * (size_t)need);
    if (!terms) return -1;
    f->terms = terms, f->term_capacity = need;
    return 0;
}

static int generation_count(double n) {
    if (!(n > 0)) return 0;
    int K = 1;
    double share = n;
    while (share > GENERATION_TAIL * (1.0 - n) && K < MAX_GENERATIONS) share *= n, K++;
    return K;
}

cc_hawkes_forecaster *cc_hawkes_forecaster_new(const cc_hawkes_process *p, const cc_hawkes_grid *grid) {
    cc_hawkes_forecaster *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->p = p, f->grid = *grid;
    f->negligible = p->negligible > 0 ? p->negligible : DEFAULT_NEGLIGIBLE;
    f->reach = p->reach > 0 ? p->reach : DEFAULT_REACH;
    f->generations = generation_count(p->branching);
    size_t K1 = (size_t)f->generations + 1;
    f->px = malloc(sizeof(double) * ((size_t)grid->width + (size_t)grid->height + 3 * K1));
    f->background = calloc(K1, sizeof *f->background);
    if (!f->px || !f->background) {
        cc_hawkes_forecaster_free(f);
        return NULL;
    }
    f->py = f->px + grid->width;
    f->g_hi = f->py + grid->height, f->g_lo = f->g_hi + K1, f->weight = f->g_lo + K1;
    return f;
}

void cc_hawkes_forecaster_free(cc_hawkes_forecaster *f) {
    if (!f) return;
    if (f->background)
        for (int k = 0; k <= f->generations; k++) free(f->background[k]);
    free(f->background), free(f->terms), free(f->px), free(f);
}

/* B_k of the header, k = 0..K, into f->weight. */
static void background_weights(cc_hawkes_forecaster *f, double origin, double t0, double t1) {
    const cc_hawkes_process *p = f->p;
    int K = f->generations;
    double beta = p->beta, n = p->branching;
    for (int k = 0; k <= K; k++) f->weight[k] = 0;
    double edges[3] = {origin, t0, t1};
    for (int part = 0; part < 2; part++) {
        double a = edges[part], b = edges[part + 1];
        if (!(b > a)) continue;
        int pieces = (int)ceil((b - a) * PIECES_PER_DAY);
        double width = (b - a) / pieces;
        for (int q0 = 0; q0 < pieces; q0++) {
            double mid = a + (q0 + 0.5) * width;
            for (int q = 0; q < 8; q++) {
                double s = mid + 0.5 * width * GL_NODES[q];
                double rate = p->rate(p->rate_context, s) * GL_WEIGHTS[q] * 0.5 * width;
                if (part == 1) f->weight[0] += rate; /* the background's own events, in W */
                gamma_cdfs(f, beta * (t1 - s), f->g_hi);
                gamma_cdfs(f, beta * (t0 - s), f->g_lo);
                double nk = 1;
                for (int k = 1; k <= K; k++) {
                    nk *= n;
                    f->weight[k] += rate * nk * (f->g_hi[k] - f->g_lo[k]);
                }
            }
        }
    }
}

/* The background's generation-k map, made on first use. */
static const double *background_map(cc_hawkes_forecaster *f, int k) {
    if (f->background[k]) return f->background[k];
    size_t cells = (size_t)f->grid.height * (size_t)f->grid.width;
    double *map = calloc(cells, sizeof *map);
    if (!map) return NULL;
    const cc_hawkes_process *p = f->p;
    for (size_t z = 0; z < p->background_count; z++) {
        const cc_hawkes_component *c = &p->background[z];
        add_gaussian(f, map, c->x, c->y, c->variance + k * p->sigma2, c->weight);
    }
    return f->background[k] = map;
}

static int add_background(cc_hawkes_forecaster *f) {
    size_t cells = (size_t)f->grid.height * (size_t)f->grid.width;
    for (int k = 0; k <= f->generations; k++) {
        if (f->weight[k] < f->negligible) continue;
        const double *map = background_map(f, k);
        if (!map) return -1;
        for (size_t q = 0; q < cells; q++) f->out[q] += f->weight[k] * map[q];
    }
    return 0;
}

/* The history's pending cascades: sum_k w_k sum_i a_i P_A(x_i, k sigma^2). */
static void add_history(cc_hawkes_forecaster *f, const cc_hawkes_event *h, size_t count, double origin, double t0,
                        double t1) {
    const cc_hawkes_process *p = f->p;
    int K = f->generations;
    double beta = p->beta, n = p->branching;
    gamma_cdfs(f, beta * (t1 - origin), f->g_hi);
    gamma_cdfs(f, beta * (t0 - origin), f->g_lo);
    double nk = 1, total = 0;
    for (int k = 1; k <= K; k++) {
        nk *= n;
        f->weight[k] = nk * (f->g_hi[k] - f->g_lo[k]);
        total += f->weight[k];
    }
    /* The first event at or after the origin; walk back while an event still matters. */
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h[mid].t < origin) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        double a = exp(-beta * (origin - h[i].t));
        if (a * total < f->negligible) break;
        for (int k = 1; k <= K; k++)
            if (a * f->weight[k] >= f->negligible) add_gaussian(f, f->out, h[i].x, h[i].y, k * p->sigma2, a * f->weight[k]);
    }
}

int cc_hawkes_forecast(cc_hawkes_forecaster *f, const cc_hawkes_event *history, size_t count, double origin,
                       double t0, double t1, double *out) {
    if (reserve_terms(f, (t1 - origin) * f->p->beta) != 0) return -1;
    f->out = out;
    memset(out, 0, sizeof *out * (size_t)f->grid.width * (size_t)f->grid.height);
    background_weights(f, origin, t0, t1);
    if (add_background(f) != 0) return -1;
    add_history(f, history, count, origin, t0, t1);
    return 0;
}

int cc_hawkes_expected_counts(const cc_hawkes_process *p, const cc_hawkes_event *history, size_t count, double origin,
                              double t0, double t1, const cc_hawkes_grid *grid, double *out) {
    cc_hawkes_forecaster *f = cc_hawkes_forecaster_new(p, grid);
    int status = f ? cc_hawkes_forecast(f, history, count, origin, t0, t1, out) : -1;
    cc_hawkes_forecaster_free(f);
    return status;
}
