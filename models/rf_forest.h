/* The random forest behind the rf baseline (models/rf.h): XGBoost (C API) in its
 * random-forest mode - one boosting round of `trees` parallel trees, eta 1, lambda 0,
 * rows subsampled at 0.632, sqrt(p)/p of the features per node, deep trees - fitted on a
 * dense feature matrix [rows][p] and its targets.
 *
 * A forest of `trees` trees is fitted as CC_RF_PARTS boosters (fewer with fewer trees),
 * each single-threaded and holding its share of the trees (seeds seed, seed+1, ...),
 * spread over `threads` worker threads; its prediction is the tree-weighted mean of
 * theirs, which is the mean over all trees: the same model as one booster of `trees`
 * parallel trees, fitted the way scikit-learn fits its forests (trees spread over
 * threads), which scales far better on XGBoost's hist updater than splitting each tree's
 * histograms over threads. The parts do not depend on the threads: a seed gives the same
 * forest on any machine (one booster per thread gave a laptop and a workstation other
 * trees). */
#ifndef CRIMECAST_MODELS_RF_FOREST_H
#define CRIMECAST_MODELS_RF_FOREST_H

#include <stddef.h>

struct cc_covariates; /* heatmaps/covariates.h */

typedef struct cc_rf_options {
    int trees, depth, lags, horizon;
    int threads;    /* 0: one per online CPU */
    unsigned seed;
    const struct cc_covariates *covariates; /* NULL: none; else K + D features more (models/rf.h) */
    /* Called as each channel's forest is fitted (NULL: not): a long fit is not silent. */
    void (*fitted)(void *context, int channel, double seconds);
    void *fitted_context;
} cc_rf_options;

/* A fitted forest (opaque). */
typedef struct cc_rf_forest cc_rf_forest;

/* Features per row: own and 'all' counts at lags 1..L, CC_RF_FIXED_FEATURES more
 * (models/rf.h names them), and the covariates' K static and D dynamic maps. */
enum { CC_RF_FIXED_FEATURES = 7 };
/* Boosters a forest is fitted as: as many threads as a workstation gives a forest. */
enum { CC_RF_PARTS = 16 };
int cc_rf_feature_count(const cc_rf_options *o);

/* Fits a forest on features [rows][p] and targets y. Returns 0 or -1 with `err`. */
int cc_rf_fit(const cc_rf_options *o, const float *features, const float *y, size_t rows, cc_rf_forest **forest,
              char *err, size_t err_len);
/* Predicts rows of features [rows][p] into pred (clamped at 0: counts). Returns 0 or -1
 * with `err`. */
int cc_rf_predict(const cc_rf_forest *forest, const float *features, size_t rows, float *pred, char *err,
                  size_t err_len);
void cc_rf_free(cc_rf_forest *forest);

#endif
