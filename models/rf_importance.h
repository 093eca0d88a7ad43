/* Permutation feature importance of a fitted random forest (Breiman 2001; the measure
 * of the London hotspot study's analysis): how much worse the forest predicts held-out
 * rows when one feature's column is shuffled across the rows, which breaks that
 * feature's link to the target while keeping its distribution.
 *
 * Score: the mean squared error of the forest's predictions (clamped at 0, as crimecast
 * forecasts them). importance_j = MSE(column j permuted) - MSE(nothing permuted), over
 * `repeats` independent shuffles: mean and standard deviation (population, ddof 0, as
 * scikit-learn's permutation_importance reports). 0 means the forest does not use the
 * feature (or could use another in its place); it can be slightly negative by chance. */
#ifndef CRIMECAST_MODELS_RF_IMPORTANCE_H
#define CRIMECAST_MODELS_RF_IMPORTANCE_H

#include <stddef.h>

#include "models/rf_forest.h"

/* features [rows][p] and targets y of held-out rows; mean and std receive p entries.
 * Shuffles are seeded from (seed, feature, repeat): the same inputs give the same
 * figures. Returns 0 or -1 with `err`. */
int cc_rf_permutation_importance(const cc_rf_forest *forest, const float *features, const float *y, size_t rows,
                                 int p, int repeats, unsigned seed, double *baseline_mse, double *mean, double *std,
                                 char *err, size_t err_len);

/* Orders feature indices by decreasing mean importance (ties by index): order[p]. */
void cc_rf_importance_order(const double *mean, int p, int *order);

#endif
