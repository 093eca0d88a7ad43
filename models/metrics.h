/* Forecast metrics for one map (one bin, one category) over the in-mask cells, as the
 * crime-forecasting literature reports them.
 *
 * Count errors: MSE, MAE and mean Poisson deviance 2 (y log(y/p) - (y - p)) (y log y = 0
 * at y = 0; p floored at 1e-9).
 * (Counts of cells are rounded half up.)
 * Hotspot ranking: the hotspots are the k = round(10% of the cells) cells with the
 * highest true count, ties at the threshold broken by row-major index (lower first).
 * ROC AUC of the forecast as a score for them (tied scores count one half, as
 * scikit-learn's roc_auc_score); average precision (scikit-learn's definition: the
 * sum over score thresholds of the recall gained times the precision there); F1 when
 * the k highest forecast cells (ties: lower index first) are flagged.
 * Criminology: with the top a forecast cells flagged (ties: lower index first), hit rate
 * n/N, PAI = (n/N)/(a/A) and PEI = n/n*, where n is the crimes in the flagged cells, N
 * all crimes, A all cells and n* the most crimes any a cells held (NIJ's PEI*: the best
 * possible over the same flagged area). a is round(K% of the cells), or, for a fixed
 * area, the nearest whole number of cells to it (a cell is flagged when at least half of
 * it is needed); at least one, at most every cell.
 * A figure that is undefined for the map (no crime; no hotspot or no other cell) is NaN,
 * and so is every figure of a map with a non-finite truth or forecast value (a ranking of
 * NaN means nothing; the file readers refuse such values before they get here). */
#ifndef CRIMECAST_MODELS_METRICS_H
#define CRIMECAST_MODELS_METRICS_H

#include <stddef.h>

enum { CC_MAX_TOPK = 8 };

typedef struct cc_map_metrics {
    double mse, mae, deviance;
    double auc, ap, f1;
    int topk_count;
    double hit[CC_MAX_TOPK], pai[CC_MAX_TOPK], pei[CC_MAX_TOPK];  /* per topk_percent[i] */
} cc_map_metrics;

/* truth, forecast: n in-mask cells in row-major order. topk_percent: the areas (in % of
 * the cells) for hit rate, PAI and PEI. scratch: room for 3 n ints. */
void cc_map_metrics_compute(const float *truth, const float *forecast, int n, const double *topk_percent,
                            int topk_count, int *scratch, cc_map_metrics *out);
/* The same with the flagged areas as numbers of cells (at most CC_MAX_TOPK of them). */
void cc_map_metrics_flagged(const float *truth, const float *forecast, int n, const int *flagged, int count,
                            int *scratch, cc_map_metrics *out);
/* The cells flagged for K% of n cells, and for `km2` square kilometres in cells of
 * `cell_m` metres (the rules above). */
int cc_flagged_for_percent(double percent, int n);
int cc_flagged_for_area(double km2, double cell_m, int n);

/* ROC AUC with tie handling (average ranks) for binary labels; NaN without both classes. */
double cc_roc_auc(const unsigned char *labels, const float *scores, int n, int *scratch);
/* Average precision as scikit-learn computes it; NaN without positives. */
double cc_average_precision(const unsigned char *labels, const float *scores, int n, int *scratch);

/* The hotspot labels of a map: labels[i] = 1 for the k = round(10% of n) cells with the
 * highest truth, ties broken by lower index. scratch: room for n ints. */
void cc_hotspot_labels(const float *truth, int n, int *scratch, unsigned char *labels);

/* The ROC curve of `scores` for binary `labels`, sampled at `points` (>= 2) evenly spaced
 * false-positive rates 0, 1/(points-1), ..., 1: tpr[i] is the true-positive rate there,
 * linear between the curve's vertices (a run of tied scores is one straight segment, as
 * in scikit-learn's roc_curve), the highest where the curve is vertical. Averaging such
 * samples over maps gives the vertically averaged ROC curve whose area is the mean AUC.
 * Returns 0, or -1 (tpr untouched) without both classes. scratch: room for n ints. */
int cc_roc_curve_sampled(const unsigned char *labels, const float *scores, int n, int *scratch, int points,
                         double *tpr);

/* Mean of the finite values, and a bootstrap 95% interval of that mean over the values
 * (`resamples` draws, seeded). NaN when there is no finite value. */
void cc_bootstrap_mean(const double *values, int n, int resamples, unsigned seed, double *mean, double *lo,
                       double *hi);

#endif
