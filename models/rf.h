/* The random-forest baseline: XGBoost (C API) in its random-forest mode - one boosting
 * round of `trees` parallel trees, eta 1, lambda 0, rows subsampled at 0.632, sqrt(p)/p
 * of the features per node, deep trees - regressing the next bin's count of a cell and
 * category on features of that cell at the forecast origin o = target - horizon:
 *   own count at lags 1..L, the 'all' count at lags 1..L, the sums over the 3x3 and 5x5
 *   neighbourhoods at lag 1, the cell's training-span mean (the same for every row: a
 *   training row's includes its own target, 1/fit_end of it; a validation or test row's
 *   none), the same bin a year earlier
 *   (missing when there is none), week or month of the year of the target, row, column,
 *   and with covariates (heatmaps/covariates.h) the cell's static maps and its dynamic
 *   maps at the origin o (never the target's bin), NaN where missing: XGBoost's own
 *   missing value, which each split sends down the side that fits best.
 * One forest per category channel, fitted on the training span's targets only.
 * The forest itself (fitting, predicting): models/rf_forest.h. */
#ifndef CRIMECAST_MODELS_RF_H
#define CRIMECAST_MODELS_RF_H

#include <stddef.h>

#include "heatmaps/tensor.h"
#include "models/dataset.h"
#include "models/rf_forest.h"

/* Names of the features, for exports and importance ("lag1", ..., "row", "col"). */
const char *cc_rf_feature_name(const cc_rf_options *o, int i, char *buf, size_t len);

/* Rows for channel c and the given target bins: one per (target, in-mask cell), in that
 * order; features [rows][p], y [rows] (the targets' counts). Returns the row count, or 0
 * when out of memory. */
size_t cc_rf_rows(const cc_tensor *t, const cc_split *split, const cc_rf_options *o, int c, const int *targets,
                  int n, float *features, float *y);

/* Permutation importance of each channel's forest (models/rf_importance.h), asked of
 * cc_rf_forecast on held-out target bins - the validation span's, as `crimecast baseline
 * --span val` forecasts them - with rows built as for fitting; arrays the caller
 * allocates. */
typedef struct cc_rf_importance {
    const int *targets;     /* target bins of the rows importance is measured on */
    int n;
    int repeats;            /* permutations per feature, > 0 */
    double *baseline_mse;   /* [C] out: MSE on the validation span, nothing permuted */
    double *mean, *std;     /* [C][p] out: increase of that MSE when feature j is permuted */
} cc_rf_importance;

/* Fits one forest per channel on the training targets and forecasts targets[0..n):
 * out [n][C][H][W] (0 outside the mask). o->fitted (when set) hears each forest's
 * fitting time, matrix construction included, as it ends. importance (or NULL) receives
 * each forest's permutation importance on its rows of importance->targets. Returns 0
 * or -1 with `err`. */
int cc_rf_forecast(const cc_tensor *t, const cc_split *split, const cc_rf_options *o, const int *targets, int n,
                   float *out, cc_rf_importance *importance, char *err, size_t err_len);

/* The training-span target bins the forests fit on (those with L bins of history). */
int cc_rf_training_targets(const cc_split *split, const cc_rf_options *o, int *targets);

#endif
