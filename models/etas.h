/* The ETAS baseline: a self-exciting point process fitted to a category's events by
 * expectation-maximisation (stochastic declustering; Mohler et al. 2011, "Self-exciting
 * point process modeling of crime", JASA; Zhuang, Ogata and Vere-Jones 2002), the model
 * behind PredPol and open_cp's SEPP. Compute only; the events come projected and timed
 * from the caller (host/run_baseline.c).
 *
 * THE MODEL. Time t in days, space x in metres;
 *
 *     lambda(t, x) = R m(t) s(x) + sum_{t_i < t} theta omega exp(-omega (t - t_i)) N(x - x_i; sigma^2 I)
 *
 * theta is the branching ratio (expected direct offspring of an event), 1/omega the mean
 * delay of an offspring, sigma its displacement; R the background's events per day, m(t)
 * = m_hour(hour of day) m_day(day of week) its time modulation (each factor of mean 1;
 * constant when the options say so), s(x) a kernel density of the events weighted by
 * their probability of being background: s(x) = sum_j p_jj K_h(x - x_j) / sum_j p_jj,
 * K_h the Gaussian of standard deviation h (the bandwidth).
 *
 * THE EM. E-step: for event j, lambda_j = R m(t_j) s_{-j}(x_j) + sum_{i: t_i < t_j}
 * g_ij (s_{-j}: the density without j's own kernel), p_jj = background / lambda_j and
 * p_ij = g_ij / lambda_j, the probability that i triggered j. Pairs are cut at a time
 * horizon (8 mean delays, at most `time_horizon_days`) and a distance horizon (4 sigma,
 * at most `distance_horizon_m`), found through a spatial hash of cells half a distance
 * horizon wide, each holding its events' copies in time order. M-step, in closed form:
 *     theta   = sum_{i<j} p_ij / sum_i (1 - exp(-omega (T_end - t_i)))
 *     omega   = sum_{i<j} p_ij / sum_{i<j} p_ij (t_j - t_i)
 *     sigma^2 = sum_{i<j} p_ij |x_j - x_i|^2 / (2 sum_{i<j} p_ij), not below min_sigma_m^2
 *     R       = sum_j p_jj / (T_end - T_start)
 *     m_hour, m_day: the p_jj-weighted histograms of the events' hours and weekdays,
 *                    each over the uniform share, normalised to mean 1
 * (theta's denominator counts the offspring an event could have had before the window
 * ends). Events at the same time are not each other's parents. Iterations stop when
 * theta, omega and sigma change by less than `tolerance` (relative) or after
 * `max_iterations`.
 *
 * The density s is evaluated on a raster (cells of h/3, each event's weight shared among
 * the four nearest cell centres, a separable Gaussian blur of standard deviation h cut at
 * 4h), read back at each event by bilinear interpolation; an event's own share is taken
 * out exactly (leave-one-out), so an isolated event is not its own background.
 *
 * The bandwidth h is chosen by the data unless the options fix it: before each E-step,
 * the h that maximises the background's weighted leave-one-out log-likelihood, sum_j p_jj
 * log s_{-j}(x_j), among 100 m .. 3.2 km in steps of sqrt 2 (the first iteration tries
 * them all, later ones a step either way). Why: with a kernel too narrow for the data
 * (a sparse background), a triggering kernel of long delay and wide reach fits what the
 * background density misses, and EM finds triggering in a Poisson process (250 m on a
 * city-wide Poisson process of 4,400 events a year: branching ratio 0.46; tests/test_etas.c).
 *
 * Deterministic: the E-step runs over fixed blocks of events whose partial sums are
 * added in block order, whatever the number of threads. */
#ifndef CRIMECAST_MODELS_ETAS_H
#define CRIMECAST_MODELS_ETAS_H

#include <stddef.h>

#include "models/hawkes.h"

enum { CC_ETAS_MAX_ITERATIONS = 500 };

typedef struct cc_etas_params {
    double branching;       /* theta */
    double decay_days;      /* 1 / omega */
    double sigma_m;         /* sigma */
    double background_rate; /* R, events per day */
} cc_etas_params;

/* theta's cap in the M-step: at it, nearly every incident is another's offspring, an
 * explosive process (a bandwidth far from the incidents' scale fits so). */
#define CC_ETAS_MOST_BRANCHING 0.999

typedef struct cc_etas_options {
    double bandwidth_m;         /* h (default 0: chosen by the data, see above) */
    double time_horizon_days;   /* most (default 0: 180) */
    double distance_horizon_m;  /* most (default 0: 3000) */
    int max_iterations;         /* default 0: 100 */
    double tolerance;           /* default 0: 1e-4 */
    int constant_background;    /* 1: m(t) = 1 */
    /* The narrowest trigger (default 0: 50 m). Portals move incidents to the block
     * (Chicago: "shifted ... but falling on the same block"), so many share one point;
     * unbounded, sigma collapses onto those repeats (Chicago burglary 2012-2015: 1.3 m
     * with a 64-day delay), a spike of the likelihood, not a distance. */
    double min_sigma_m;
    cc_etas_params start;       /* initial values (zeros: 0.3, 3 days, 300 m) */
    int threads;                /* 0: all */
    /* After each iteration; non-zero stops the fit (it keeps what it has). */
    int (*on_iteration)(void *context, int iteration, const cc_etas_params *params);
    void *context;
} cc_etas_options;

typedef struct cc_etas_fit {
    cc_etas_params params;
    int iterations;
    int converged;
    cc_etas_params history[CC_ETAS_MAX_ITERATIONS]; /* after each iteration */
    double log_likelihood;      /* sum_j log lambda_j - integral of lambda, under the last E-step's
                                   parameters (the integral: sum_j p_jj of the density it read,
                                   plus theta sum_i (1 - exp(-omega (T_end - t_i)))) */
    double hour[24], weekday[7];/* m_hour, m_day (weekday 0 = Monday); 1 when constant */
    double t_start, t_end;      /* the window fitted */
    double bandwidth_m;
    size_t count;               /* events fitted */
    double *background;         /* [count]: p_jj at the last E-step */
    double pairs;               /* pairs within the horizons, at the last E-step */
} cc_etas_fit;

/* The fewest events a fit takes: fewer say nothing of triggering. */
enum { CC_ETAS_LEAST_EVENTS = 10 };

/* Fits the events (sorted by time, all in [t_start, t_end)). Returns 0, or -1 with err
 * (too few events: under CC_ETAS_LEAST_EVENTS; out of memory). */
int cc_etas_fit_events(const cc_hawkes_event *events, size_t count, double t_start, double t_end,
                       const cc_etas_options *options, cc_etas_fit *fit, char *err, size_t err_len);
void cc_etas_fit_free(cc_etas_fit *fit);

/* The background's level in a forecast: R events per day (the fit's own R, or the level
 * at the forecast origin: cc_etas_recent_rate), times m_day unless `constant`. */
typedef struct cc_etas_level {
    const cc_etas_fit *fit;
    double rate;
    int constant;   /* 1: the forecast leaves m_day out (the fit may have used it) */
} cc_etas_level;

/* The fitted process for forecasting (models/hawkes.h): its background mixture is the
 * density s (a component of variance h^2 at each raster node that holds weight), r(t) =
 * level->rate m_day(t) (the hour of day averages out over bins of whole days).
 * `components` is allocated (the caller frees it); `fit`, `level` and the components
 * must outlive the process, and level->rate may change between forecasts. */
int cc_etas_process(const cc_etas_fit *fit, const cc_hawkes_event *events, const cc_etas_level *level,
                    cc_hawkes_process *process, cc_hawkes_component **components);

/* The background rate at `origin` from the events of the `days` before it: (1 - theta)
 * times their number per day, the background's share of a stationary process's events.
 * Crime moves over the years (the synthetic city drifts by design); the fit's own R is
 * the average over the training span, which a forecast years later would carry forward.
 * The events are known from day `since` on (the tensor's first bin): an origin less than
 * `days` after it divides by the days seen (dividing by `days` forecast a year's first
 * weeks a fraction of their crime), and one less than CC_ETAS_LEAST_LEVEL_DAYS after it
 * takes the fit's own R (a few days' count is mostly noise). */
enum { CC_ETAS_LEAST_LEVEL_DAYS = 7 };
double cc_etas_recent_rate(const cc_etas_fit *fit, const cc_hawkes_event *events, size_t count, double origin,
                           double days, double since);

/* m_day(t) of a fit, the background's modulation in forecasts (1 when constant). */
double cc_etas_modulation(const cc_etas_fit *fit, double t);

#endif
