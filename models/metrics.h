/* Forecast metrics for one map (one bin, one category) over the in-mask cells, as the
 * crime-forecasting literature reports them.
 *
 * Count errors: MSE, MAE and mean Poisson deviance 2 (y log(y/p) - (y - p)) (y log y = 0
 * at y = 0; p floored at 1e-9).
 * (Counts of cells are rounded half up.)
 *
 * No ranking figure depends on the order of the cells. Where tied values straddle a cut
 * (the top k cells of a map whose k-th and (k+1)-th values are equal) every tied cell is
 * taken in an equal share, the expected figure over all orders of the tie: on sparse maps
 * (a 150 m grid is mostly zeros) a cut by cell index would pick the hotspots, or the
 * flagged cells, by where they lie in the grid.
 *
 * Hotspots, a weight per cell in [0, 1] (`cc_hotspot_label`):
 *   CC_HOTSPOT_TOP10: the k = round(10% of the cells) cells of highest true count, the
 *     cells tied at the cut sharing its remaining places equally (k weights sum to k);
 *     none on a map with no crime (not 10% of cells tied at zero, whose AUC of 0.5
 *     would pull a sparse category's mean towards chance);
 *   CC_HOTSPOT_OCCURRENCE: the cells with at least one crime (weight 0 or 1), the label
 *     of the deep-learning crime papers, meaningful where most cells are empty.
 * ROC AUC of the forecast as a score for them and average precision, each as
 * scikit-learn computes it with every cell entered twice, as a positive of weight w and
 * a negative of weight 1 - w (tied scores count one half in the AUC); F1 when the k
 * highest forecast cells are flagged (k = the hotspots' total weight; tied forecasts at
 * the cut shared as above).
 * Criminology: with the top a forecast cells flagged (ties at the cut shared), hit rate
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

#include <math.h>
#include <stddef.h>

/* The forecast below which the Poisson deviance takes this instead (a 0 where crimes
 * happened would be infinite). */
#define CC_DEVIANCE_FLOOR 1e-9

/* One cell's Poisson deviance 2 (y log(y/p) - (y - p)), y log y = 0 at y = 0, p floored at
 * CC_DEVIANCE_FLOOR: the one expression eval's figure, the baselines' choices and eval's
 * note on the floor all sum. */
static inline double cc_poisson_deviance_term(double y, double p) {
    double pp = p > CC_DEVIANCE_FLOOR ? p : CC_DEVIANCE_FLOOR;
    return 2.0 * ((y > 0 ? y * log(y / pp) : 0.0) - (y - pp));
}

enum { CC_MAX_TOPK = 8 };

typedef enum cc_hotspot_label { CC_HOTSPOT_TOP10 = 0, CC_HOTSPOT_OCCURRENCE = 1 } cc_hotspot_label;

typedef struct cc_map_metrics {
    double mse, mae, deviance;
    double auc, ap, f1;
    int topk_count;
    double hit[CC_MAX_TOPK], pai[CC_MAX_TOPK], pei[CC_MAX_TOPK];  /* per topk_percent[i] */
} cc_map_metrics;

/* truth, forecast: n in-mask cells in row-major order. topk_percent: the areas (in % of
 * the cells) for hit rate, PAI and PEI. scratch: room for 3 n ints. 0, or -1 when out of
 * memory (out then undefined). */
int cc_map_metrics_compute(const float *truth, const float *forecast, int n, cc_hotspot_label label,
                            const double *topk_percent, int topk_count, int *scratch, cc_map_metrics *out);
/* The same with the flagged areas as numbers of cells (at most CC_MAX_TOPK of them). */
int cc_map_metrics_flagged(const float *truth, const float *forecast, int n, cc_hotspot_label label,
                            const int *flagged, int count, int *scratch, cc_map_metrics *out);
/* The cells flagged for K% of n cells, and for `km2` square kilometres in cells of
 * `cell_m` metres (the rules above). */
int cc_flagged_for_percent(double percent, int n);
int cc_flagged_for_area(double km2, double cell_m, int n);

/* The cells inside `mask` (NULL: all `plane`) by value, highest first, a tie in index
 * (row-major) order, into order[]: the ranking drawn and exported where a map must flag
 * whole cells (the figures above share ties instead). Returns how many (it needs no
 * memory beyond order[]: it cannot fail). */
int cc_rank_cells(const float *map, const unsigned char *mask, int plane, int *order);

/* positive[i] in [0, 1]: how much of cell i is a positive (the rest of it a negative).
 * ROC AUC (Mann-Whitney, tied scores one half); NaN without positive and negative weight. */
double cc_roc_auc(const double *positive, const float *scores, int n, int *scratch);
/* Average precision as scikit-learn computes it; NaN without positive weight. */
double cc_average_precision(const double *positive, const float *scores, int n, int *scratch);

/* The hotspot weights of a map under `label` (above). scratch: room for n ints. */
void cc_hotspot_weights(const float *truth, int n, cc_hotspot_label label, int *scratch, double *weight);

/* share[i] in [0, 1]: cell i's part in the top `a` cells of v (0 <= a <= n), the cells
 * tied at the cut sharing its remaining places equally; the shares sum to a. order: the
 * cells by v, highest first (any order among equal values). */
void cc_top_share(const float *v, const int *order, int n, double a, double *share);

/* The ROC curve of `scores` for the weights `positive` (as cc_roc_auc), sampled at `points` (>= 2) evenly spaced
 * false-positive rates 0, 1/(points-1), ..., 1: tpr[i] is the true-positive rate there,
 * linear between the curve's vertices (a run of tied scores is one straight segment, as
 * in scikit-learn's roc_curve), the highest where the curve is vertical. Averaging such
 * samples over maps gives the vertically averaged ROC curve whose area is the mean AUC.
 * Returns 0, or -1 (tpr untouched) without both classes. scratch: room for n ints. */
int cc_roc_curve_sampled(const double *positive, const float *scores, int n, int *scratch, int points,
                         double *tpr);

/* Mean of the finite values, and a bootstrap 95% interval of that mean over the values
 * (`resamples` draws, seeded, percentile). The mean is NaN when there is no finite value;
 * the interval is NaN from fewer than CC_BOOTSTRAP_LEAST_VALUES of them, where a percentile
 * bootstrap's "95%" interval covers far less (of normal data: 0% of the time from one
 * value, 51% from two, 83% from five, about 90% from ten). 0, or -1 when out of memory. */
enum { CC_BOOTSTRAP_LEAST_VALUES = 10 };

/* The same with a circular block bootstrap over the series `values` (in time order, NaN
 * where a figure is undefined): each resample strings ceil(n / block) blocks of `block`
 * consecutive values (wrapping past the end) from uniformly drawn starts, cut to n, and
 * takes the mean of its finite values. Blocks keep the correlation of neighbouring bins
 * (weekly errors are correlated from week to week) that single values drop, which makes
 * intervals too narrow. block <= 1 is cc_bootstrap_mean exactly. No interval (NaN) from
 * fewer than CC_BOOTSTRAP_LEAST_BLOCKS blocks in the series: a block as long as the series
 * resamples it whole, every resample the same mean, a zero-width interval. */
enum { CC_BOOTSTRAP_LEAST_BLOCKS = 5 };
int cc_bootstrap_mean_blocks(const double *values, int n, int block, int resamples, unsigned seed, double *mean,
                             double *lo, double *hi);
int cc_bootstrap_mean(const double *values, int n, int resamples, unsigned seed, double *mean, double *lo,
                       double *hi);

#endif
