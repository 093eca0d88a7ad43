/* The naive forecasts the crime-forecasting literature compares against. Each
 * forecasts target bin tau from the bins up to its origin o = tau - horizon only:
 *   persistence  counts[o]
 *   histavg      mean of counts[o-k+1 .. o] (k bins; k = 0: every bin up to o)
 *   seasonal     counts[tau - period] (cc_bin_kind_per_year: 52 weeks, 12 months, 364 days); histavg when
 *                that bin is before the tensor or after the origin
 *   kde          the last k bins (k = 0: every bin up to o) weighted 2^(-j / half_life)
 *                (j bins before the origin),
 *                smoothed over space with a Gaussian of `bandwidth` metres, inside the
 *                mask: each cell is the kernel-weighted mean of the cells inside the mask
 *                (the blur divided by the blurred mask at that cell: spatstat's default,
 *                "uniform" edge correction, Diggle 1985), so nothing is lost past the
 *                mask's edge and a flat map stays flat; the map's total is the history's
 *                only up to the edge cells' reweighting (measured: 0.01% at half a cell;
 *                +7% at two cells, Chicago 16 x 16; +20% at five, a synthetic grid)
 * The random forest is models/rf.h. */
#ifndef CRIMECAST_MODELS_BASELINES_H
#define CRIMECAST_MODELS_BASELINES_H

#include "heatmaps/tensor.h"

typedef enum { CC_BASELINE_PERSISTENCE, CC_BASELINE_HISTAVG, CC_BASELINE_SEASONAL, CC_BASELINE_KDE } cc_baseline_method;

typedef struct cc_baseline_options {
    cc_baseline_method method;
    int k;                  /* history bins; 0 = all (histavg, kde) */
    double bandwidth_m;     /* kde */
    double half_life;       /* kde, in bins */
    int horizon;
} cc_baseline_options;

int cc_baseline_parse(const char *name, cc_baseline_method *method);
const char *cc_baseline_name(cc_baseline_method method);
/* Whether a forecast's model attribute (or eval's label of it) is one `crimecast
 * baseline` gives: a method's name (these four, "rf", "etas"), alone or before a suffix
 * ("histavg-52", "rf-100+cov", "etas (etas2.h5)"). */
int cc_baseline_named(const char *model);
/* The default k of a bin kind: 52 weeks, 12 months, 28 days. */
int cc_baseline_default_k(cc_bin_kind bin);

/* out [n][C][H][W]: the forecasts of target bins targets[0..n) (each >= horizon). 0, or
 * -1 out of memory (the kde's blur). */
int cc_baseline_forecast(const cc_tensor *t, const cc_baseline_options *o, const int *targets, int n, float *out);

/* The kde's bandwidth and half-life chosen on the validation span's targets (`targets`,
 * n of them): the pair with the lowest mean Poisson deviance over their in-mask cells and
 * every channel (as models/metrics.h computes it), among bandwidths of 1/2, 1, 2 and 4
 * cells and half-lives of K/32, K/16, K/8, K/4 and K/2 bins (K = o->k, or the bin kind's
 * default when 0); ties keep the first in that order. Sets o->bandwidth_m and
 * o->half_life and returns that deviance, or NaN when out of memory (o untouched). */
double cc_kde_choose(const cc_tensor *t, const int *targets, int n, cc_baseline_options *o);

/* The mean Poisson deviance (models/metrics.h's, forecasts floored at 1e-9) of forecasts
 * f [n][channels][H][W] of channels first_channel .. + channels at the bins targets[0..n),
 * over the in-mask cells: the measure the baselines' choices on the validation span use.
 * NaN when there is no cell. */
double cc_mean_poisson_deviance(const cc_tensor *t, const int *targets, int n, int first_channel, int channels,
                                const float *f);

#endif
