/* A synthetic city whose crime process is known: a seeded, self-exciting point process
 * (a marked spatio-temporal Hawkes process, ETAS-style), its simulation, and its oracle
 * forecast (the true conditional mean count of every cell and bin). Compute only: no
 * files, no PROJ, no store; host/run_synth.c does the I/O.
 *
 * THE PROCESS. Time t is in days since 1970-01-01 on the city's local wall clock (the
 * store's clock, so no time zone enters), space x in metres of the city's projected
 * CRS. Categories are independent processes (no cross-excitation). Category c has the
 * conditional intensity
 *
 *     lambda(t, x | H_t) = mu(t, x) + sum_{t_i < t} n beta exp(-beta (t - t_i)) f_sigma(x - x_i)
 *
 * over the category's own past events (t_i, x_i), where
 *   mu(t, x) = R m(t) s(x)                              background
 *   m(t)     = exp(d (t - t_e) / 365.25)                slow drift (t_e = 2020-01-01)
 *              * (1 + a_d cos(2 pi (t - p_d)))           daily cycle (time of day)
 *              * (1 + a_w cos(2 pi (t - p_w) / 7))       weekly cycle
 *              * (1 + a_y cos(2 pi (t - p_y) / 365.25))  seasonal cycle
 *   s(x)     = sum_j pi_j N(x; c_j, tau_j^2 I)          Gaussian hot zones, sum pi_j = 1
 *   f_sigma  = N(0, sigma^2 I)                           spatial triggering kernel
 * n is the branching ratio (expected direct offspring of an event, 0 < n < 1), 1/beta
 * the mean delay of an offspring (days). The process starts empty at t = from.
 *
 * SIMULATION (branching construction, exact): background events by thinning a
 * homogeneous Poisson process of rate R max(m) over [from, to), located by drawing a
 * zone j with probability pi_j and a point from N(c_j, tau_j^2 I); then every event,
 * of any generation, gets Poisson(n) children at t + Exp(beta), x + N(0, sigma^2 I);
 * children at or after `to` are dropped (with their own descendants, all later still).
 * Random numbers come from xoshiro256** seeded through splitmix64 (models/rng.h): one stream for the
 * parameters and one per category for its events, so a seed gives the same city on
 * every machine.
 *
 * THE ORACLE. Given every event before the forecast origin t_o (horizon h: the start of
 * the bin h-1 bins before the target, so h = 1 means t_o = t0), the expected count of a
 * cell and the target bin [t0, t1) is the Hawkes process's of models/hawkes.h (its
 * equations and why they are the whole conditional mean are there), with r(t) = R m(t)
 * and the hot zones as the background mixture (v_j = tau_j^2). tests/test_synth.c checks
 * it against Monte Carlo continuations simulated the other way, by thinning the
 * conditional intensity itself. Numerics (hawkes.h): terms below 1e-10 expected events
 * dropped, Gaussians cut 9 sd from their centres; against a run with every setting much
 * finer, the oracle of seed 1 (32 x 32 cells, weekly, horizons 1 and 4) differs by at
 * most 1e-8 expected events in a cell, 3e-7 relative.
 *
 * Times are stored rounded down to the minute, which never moves an event across
 * midnight, so bins of whole days see exactly the simulated events. */
#ifndef CRIMECAST_MODELS_SYNTH_H
#define CRIMECAST_MODELS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "models/hawkes.h"

enum { CC_SYNTH_MAX_CATEGORIES = 8, CC_SYNTH_MAX_ZONES = 8 };

/* A Gaussian hot zone of the background: centre (metres), standard deviation, weight. */
typedef struct cc_synth_zone {
    double x, y, sd, weight;
} cc_synth_zone;

/* One category's process; see the header comment for the symbols. */
typedef struct cc_synth_category {
    char name[24];          /* crimecast taxonomy name, e.g. "burglary" */
    char raw_type[32];      /* the raw type stored with each record, e.g. "SYNTH BURGLARY" */
    double rate;            /* R: background events per day at m = 1 */
    int zone_count;
    cc_synth_zone zones[CC_SYNTH_MAX_ZONES];  /* weights sum to 1 */
    double daily_amp, daily_phase;    /* a_d, p_d (days) */
    double weekly_amp, weekly_phase;  /* a_w, p_w (days) */
    double annual_amp, annual_phase;  /* a_y, p_y (days) */
    double drift;           /* d: change of log-rate per year */
    double branching;       /* n, in (0, 1) */
    double decay_days;      /* 1 / beta */
    double sigma_m;         /* sigma, metres */
} cc_synth_category;

typedef struct cc_synth_params {
    uint64_t seed;
    int category_count;
    cc_synth_category categories[CC_SYNTH_MAX_CATEGORIES];
} cc_synth_params;

/* The projected square the city occupies (metres): zones are placed inside it. */
typedef struct cc_synth_domain {
    double x_min, y_min, x_max, y_max;
} cc_synth_domain;

/* Derives the parameters of the four synthetic categories (burglary, theft, violence,
 * vehicle_theft) from `seed`, deterministically: hot zones drawn from one pool of city
 * centres inside `domain` plus one broad city-wide zone; background rates that give
 * roughly 33,000-50,000 incidents a year in all around 2020 (each category's drift, up to
 * 12% a year either way, takes that far from it over decades: seed 1 gives about 390 a day
 * in 1995 and 11 in 2044, a probe); n in [0.3, 0.6], 1/beta in [1, 7] days, sigma in
 * [100, 400] m. */
void cc_synth_params_from_seed(uint64_t seed, const cc_synth_domain *domain, cc_synth_params *params);

/* m(t) of the header comment: the background's time modulation (R m(t) is the rate). */
double cc_synth_modulation(const cc_synth_category *category, double t);

/* An upper bound of m(t) over [from, to) (for thinning). */
double cc_synth_modulation_bound(const cc_synth_category *category, double from, double to);

/* A simulated event. parent: index of the parent in the same list, -1 for background. */
typedef struct cc_synth_event {
    double t, x, y;
    int category;
    int generation;         /* 0 background, 1 child of a background event, ... */
    long parent;
} cc_synth_event;

typedef struct cc_synth_events {
    cc_synth_event *items;
    size_t count, capacity;
} cc_synth_events;

void cc_synth_events_free(cc_synth_events *events);

/* Simulates every category over [from, to) (days since 1970-01-01) into `out` (which
 * must be zeroed or freed), sorted by time (ties: category, then order of creation);
 * parent indices refer to the sorted list. Returns 0, or -1 when out of memory. */
int cc_synth_simulate(const cc_synth_params *params, double from, double to, cc_synth_events *out);

/* The grid of the oracle (models/hawkes.h). */
typedef cc_hawkes_grid cc_synth_grid;

/* The oracle of the header comment for category `category`: writes the expected count
 * of every cell of `grid` in [t0, t1) given the events of `history` (sorted by time, any
 * categories; only the category's events before `origin` are used) into
 * out[height * width] (row-major). Requires origin <= t0 < t1. Returns 0, or -1 when
 * out of memory. */
int cc_synth_oracle(const cc_synth_params *params, int category, const cc_synth_event *history,
                    size_t history_count, double origin, double t0, double t1, const cc_synth_grid *grid,
                    double *out);

/* The expected number of background events of `category` in [t0, t1): B_0 above. */
double cc_synth_background_integral(const cc_synth_category *category, double t0, double t1);

#endif
