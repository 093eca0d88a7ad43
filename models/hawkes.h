/* The expected counts of a space-time Hawkes process over the cells of a grid and a
 * time bin, given its history: the machinery of the synthetic city's oracle
 * (models/synth.h, where the process is the truth) and of the ETAS baseline
 * (models/etas.h, where it is fitted). Compute only.
 *
 * THE PROCESS. Time t in days, space x in metres of a projected CRS;
 *
 *     lambda(t, x | H_t) = r(t) s(x) + sum_{t_i < t} n beta exp(-beta (t - t_i)) N(x - x_i; sigma^2 I)
 *
 * with r(t) the background's events per day (any positive function: the caller's),
 * s(x) = sum_z w_z N(x; c_z, v_z I) a Gaussian mixture (weights summing to 1: the
 * synthetic city's hot zones, or ETAS's kernel density of its background events), n the
 * branching ratio (0 <= n < 1), 1/beta the mean delay of an offspring and sigma its
 * displacement.
 *
 * THE EXPECTED COUNT in a cell A (a rectangle) and the bin W = [t0, t1), given every
 * event before the origin t_o <= t0, is
 *
 *   E[N(A x W) | H_{t_o}] = sum_{k>=0} B_k sum_z w_z P_A(c_z, v_z + k sigma^2)
 *                         + sum_{k>=1} w_k sum_{t_i < t_o} a_i P_A(x_i, k sigma^2)
 *
 * where G_k is the Gamma(k, beta) distribution function (the delay of a k-th generation
 * descendant: k exponential delays),
 *   P_A(c, v) = the probability that N(c, v I) lies in A: a product of two differences
 *               of the normal distribution function (erfc) along x and y;
 *   a_i = exp(-beta (t_o - t_i));
 *   w_k = n^k [G_k(t1 - t_o) - G_k(t0 - t_o)];
 *   B_0 = integral_{t0}^{t1} r(s) ds;
 *   B_k = integral_{t_o}^{t1} r(s) n^k [G_k(t1 - s) - G_k(max(t0 - s, 0))] ds, k >= 1.
 *
 * Why. (1) The second sum: event i's children that have not happened by t_o number
 * Poisson(n a_i) (a child's delay exceeds t_o - t_i with probability a_i) and, the
 * exponential being memoryless, arrive at t_o + Exp(beta) at x_i + N(0, sigma^2 I); the
 * children that did happen before t_o are events of the history themselves and
 * contribute through their own a. A pending child starts a cascade in which the
 * generation-k member (the child is k = 1) is expected n^(k-1) times, at t_o plus k
 * exponential delays and x_i plus k independent Gaussian steps, i.e. N(x_i, k sigma^2 I).
 * (2) The first sum: background events of (t_o, t1) are a Poisson process of intensity
 * r s; one at (s, y) has generation-k descendants in W with expected count
 * n^k [G_k(t1 - s) - G_k(t0 - s)] (k = 0: itself, when s is in W) at y + N(0, k sigma^2 I);
 * integrating y over the component N(c_z, v_z I) adds the variances. By linearity of
 * expectation the two sums are the whole conditional mean.
 *
 * Numerics: B_k by 8-point Gauss-Legendre on pieces of at most 1/8 day (the piece edges
 * include t0, where the integrand has a kink); G_k(x) = P(Poisson(beta x) >= k), summed
 * from the top down so both tails keep their precision; generations are summed until n^k
 * is below 1e-12 of n / (1 - n); a history event, or one generation of a history event
 * or of the background, whose whole contribution is below `negligible` expected events
 * is skipped, and a Gaussian is cut `reach` standard deviations from its centre (the
 * oracle: 1e-10 and 9; tests/test_synth.c checks it against Monte Carlo). */
#ifndef CRIMECAST_MODELS_HAWKES_H
#define CRIMECAST_MODELS_HAWKES_H

#include <stddef.h>

/* A grid as in heatmaps/grid.h: cell (row, col) spans x in [x0 + col cell, x0 + (col+1)
 * cell), y in (y0 - (row+1) cell, y0 - row cell]; row 0 north. */
typedef struct cc_hawkes_grid {
    double x0, y0, cell;
    int height, width;
} cc_hawkes_grid;

/* A component of the background's spatial mixture: centre, variance (m^2), weight. */
typedef struct cc_hawkes_component {
    double x, y, variance, weight;
} cc_hawkes_component;

/* An event of the history. */
typedef struct cc_hawkes_event {
    double t, x, y;
} cc_hawkes_event;

typedef struct cc_hawkes_process {
    double branching;       /* n */
    double beta;            /* 1 / mean delay, per day */
    double sigma2;          /* sigma^2, m^2 */
    double (*rate)(const void *context, double t);   /* r(t): background events per day */
    const void *rate_context;
    const cc_hawkes_component *background;
    size_t background_count;
    double negligible;      /* expected events below which a term is skipped (0: 1e-10) */
    double reach;           /* standard deviations a Gaussian reaches (0: 9) */
} cc_hawkes_process;

/* Forecasts on one grid. The background's cell probabilities for each generation are
 * computed once and kept (a kernel density has as many components as events), so many
 * bins cost little more than one. */
typedef struct cc_hawkes_forecaster cc_hawkes_forecaster;

/* `p` (and what it points to) must outlive the forecaster. NULL when out of memory. */
cc_hawkes_forecaster *cc_hawkes_forecaster_new(const cc_hawkes_process *p, const cc_hawkes_grid *grid);
void cc_hawkes_forecaster_free(cc_hawkes_forecaster *f);

/* out[height * width] (row-major) = the expected count of every cell in [t0, t1) given
 * the events of `history` (sorted by time; only those before `origin` are read).
 * Requires origin <= t0 < t1. Returns 0, or -1 when out of memory. */
int cc_hawkes_forecast(cc_hawkes_forecaster *f, const cc_hawkes_event *history, size_t count, double origin,
                       double t0, double t1, double *out);

/* The same in one call, for a single bin. */
int cc_hawkes_expected_counts(const cc_hawkes_process *p, const cc_hawkes_event *history, size_t count, double origin,
                              double t0, double t1, const cc_hawkes_grid *grid, double *out);

#endif
