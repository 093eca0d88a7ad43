#include "models/rf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/clock.h"
#include "crawler/datetime.h"
#include "heatmaps/covariates.h"
#include "models/rf_forest.h"
#include "models/rf_importance.h"

/* sum3x3_lag1, sum5x5_lag1, train_mean, last_year, season, row, col */
enum { FIXED_FEATURES = CC_RF_FIXED_FEATURES };

const char *cc_rf_feature_name(const cc_rf_options *o, int i, char *buf, size_t len) {
    static const char *const FIXED[FIXED_FEATURES] = {"sum3x3_lag1", "sum5x5_lag1", "train_mean", "last_year",
                                                       "season",      "row",         "col"};
    const cc_covariates *c = o->covariates;
    int covariate = i - 2 * o->lags - FIXED_FEATURES;
    if (i < o->lags) snprintf(buf, len, "lag%d", i + 1);
    else if (i < 2 * o->lags) snprintf(buf, len, "all_lag%d", i - o->lags + 1);
    else if (covariate < 0) snprintf(buf, len, "%s", FIXED[i - 2 * o->lags]);
    else if (covariate < c->K) snprintf(buf, len, "%s", c->static_info[covariate].name);
    else snprintf(buf, len, "%s", c->dynamic_info[covariate - c->K].name);
    return buf;
}

int cc_rf_training_targets(const cc_split *s, const cc_rf_options *o, int *targets) {
    int n = 0;
    for (int tau = o->lags + o->horizon - 1; tau < cc_split_fit_end(s); tau++) targets[n++] = tau;
    return n;
}

static float count(const cc_tensor *t, int bin, int c, int row, int col) {
    return t->values[cc_tensor_offset(t, bin, c, row, col)];
}

static float neighbourhood(const cc_tensor *t, int bin, int c, int row, int col, int radius) {
    float sum = 0;
    for (int r = row - radius; r <= row + radius; r++)
        for (int q = col - radius; q <= col + radius; q++)
            if (r >= 0 && r < t->H && q >= 0 && q < t->W) sum += count(t, bin, c, r, q);
    return sum;
}

/* Week (1-53 by day of year / 7) or month of the year of a bin start. */
static float season(const cc_tensor *t, int bin) {
    int y, m, d;
    int64_t start = cc_tensor_bin_start(t, bin); /* a target past the data too */
    cc_civil_from_days(start, &y, &m, &d);
    if (t->bin == CC_BIN_MONTH) return (float)m;
    return (float)((start - cc_days_from_civil(y, 1, 1)) / 7 + 1);
}

/* The covariates of a cell: its static maps, then its dynamic maps at the origin. */
static void covariate_features(const cc_covariates *c, int origin, int cell, float *f) {
    if (!c) return;
    for (int k = 0; k < c->K; k++) f[k] = cc_covariates_map(c, 0, 0, k)[cell];
    for (int k = 0; k < c->D; k++) f[c->K + k] = cc_covariates_map(c, 1, origin, k)[cell];
}

size_t cc_rf_rows(const cc_tensor *t, const cc_split *s, const cc_rf_options *o, int c, const int *targets, int n,
                  float *features, float *y) {
    int p = cc_rf_feature_count(o), period = cc_bin_kind_per_year(t->bin);
    size_t rows = 0, plane = (size_t)t->H * t->W;
    float *train_mean = calloc(plane, sizeof(float));
    if (!train_mean) return 0;
    int fit_end = cc_split_fit_end(s);
    for (int b = 0; b < fit_end; b++)
        for (size_t k = 0; k < plane; k++) train_mean[k] += t->values[cc_tensor_offset(t, b, c, 0, 0) + k];
    for (size_t k = 0; k < plane; k++) train_mean[k] /= (float)fit_end;
    for (int i = 0; i < n; i++) {
        int tau = targets[i], origin = tau - o->horizon;
        for (int row = 0; row < t->H; row++)
            for (int col = 0; col < t->W; col++) {
                if (!t->mask[row * t->W + col]) continue;
                float *f = features + rows * (size_t)p;
                for (int j = 0; j < o->lags; j++) {
                    int b = origin - j;
                    f[j] = b >= 0 ? count(t, b, c, row, col) : NAN;
                    f[o->lags + j] = b >= 0 ? count(t, b, 0, row, col) : NAN;
                }
                float *g = f + 2 * o->lags;
                g[0] = neighbourhood(t, origin, c, row, col, 1);
                g[1] = neighbourhood(t, origin, c, row, col, 2);
                g[2] = train_mean[row * t->W + col];
                g[3] = tau - period >= 0 && tau - period <= origin ? count(t, tau - period, c, row, col) : NAN;
                g[4] = season(t, tau);
                g[5] = (float)row;
                g[6] = (float)col;
                covariate_features(o->covariates, origin, row * t->W + col, g + FIXED_FEATURES);
                y[rows++] = tau < t->T ? count(t, tau, c, row, col) : NAN; /* next: not yet counted */
            }
    }
    free(train_mean);
    return rows;
}

/* Permutation importance of channel c's forest on the rows of imp->targets. */
static int channel_importance(const cc_tensor *t, const cc_split *split, const cc_rf_options *o, int c,
                              const cc_rf_forest *forest, cc_rf_importance *imp, char *err, size_t err_len) {
    int p = cc_rf_feature_count(o), n = imp->n;
    size_t cells = cc_tensor_mask_cells(t);
    float *f = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * cells * p);
    float *y = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * cells);
    size_t rows = f && y && n > 0 ? cc_rf_rows(t, split, o, c, imp->targets, n, f, y) : 0;
    int status = -1;
    if (n <= 0) snprintf(err, err_len, "no target bin to measure importance on");
    else if (!rows) snprintf(err, err_len, "out of memory for the importance rows");
    else
        status = cc_rf_permutation_importance(forest, f, y, rows, p, imp->repeats, o->seed, &imp->baseline_mse[c],
                                              imp->mean + (size_t)c * p, imp->std + (size_t)c * p, err, err_len);
    free(f), free(y);
    return status;
}

/* Fits channel c's forest on (xf, y), timing matrix construction and fitting, predicts
 * the test rows into pred and, when asked, measures the forest's importance. */
static int fit_channel(const cc_tensor *t, const cc_split *split, const cc_rf_options *o, int c, const float *xf,
                       const float *y, size_t train_rows, const float *tf, size_t test_rows, float *pred,
                       double *fit_seconds, cc_rf_importance *importance, char *err, size_t err_len) {
    cc_rf_forest *forest = NULL;
    double start = cc_now_seconds();
    int status = cc_rf_fit(o, xf, y, train_rows, &forest, err, err_len);
    *fit_seconds = cc_now_seconds() - start;
    if (!status) status = cc_rf_predict(forest, tf, test_rows, pred, err, err_len);
    if (!status && importance) status = channel_importance(t, split, o, c, forest, importance, err, err_len);
    cc_rf_free(forest);
    return status;
}

int cc_rf_forecast(const cc_tensor *t, const cc_split *split, const cc_rf_options *o, const int *targets, int n,
                   float *out, cc_rf_importance *importance, char *err, size_t err_len) {
    int p = cc_rf_feature_count(o);
    size_t plane = (size_t)t->H * t->W, cells = cc_tensor_mask_cells(t);
    int *train_targets = malloc(sizeof(int) * (size_t)t->T);
    int n_train = train_targets ? cc_rf_training_targets(split, o, train_targets) : 0;
    size_t train_rows = (size_t)n_train * cells, test_rows = (size_t)n * cells;
    float *xf = malloc(sizeof(float) * (train_rows ? train_rows : 1) * p);
    float *y = malloc(sizeof(float) * (train_rows ? train_rows : 1));
    float *tf = malloc(sizeof(float) * test_rows * p), *ty = malloc(sizeof(float) * test_rows);
    float *pred = malloc(sizeof(float) * test_rows);
    int status = train_targets && xf && y && tf && ty && pred && n_train > 0 && cells > 0 ? 0 : -1;
    if (status && cells && train_targets && n_train <= 0) /* the first target needs lags + horizon - 1 bins before it */
        snprintf(err, err_len, "no training targets: the first target needs --lags %d + horizon %d - 1 = %d bins "
                 "before it, and the training span ends at bin %d: a smaller --lags (or a longer tensor)", o->lags,
                 o->horizon, o->lags + o->horizon - 1, cc_split_fit_end(split));
    else if (status)
        snprintf(err, err_len, "%s", !cells ? "the mask holds no cell" : "out of memory for the feature matrix");
    memset(out, 0, sizeof(float) * (size_t)n * t->C * plane);
    for (int c = 0; !status && c < t->C; c++) {
        double seconds = 0;
        if (!cc_rf_rows(t, split, o, c, train_targets, n_train, xf, y) ||
            !cc_rf_rows(t, split, o, c, targets, n, tf, ty)) {
            snprintf(err, err_len, "out of memory for the feature matrix"); /* cells > 0: rows cannot be 0 */
            status = -1;
            break;
        }
        status = fit_channel(t, split, o, c, xf, y, train_rows, tf, test_rows, pred, &seconds, importance, err,
                             err_len);
        if (!status && o->fitted) o->fitted(o->fitted_context, c, seconds);
        size_t r = 0;
        for (int i = 0; !status && i < n; i++)
            for (size_t k = 0; k < plane; k++)
                if (t->mask[k]) out[((size_t)i * t->C + c) * plane + k] = pred[r++];
    }
    free(train_targets), free(xf), free(y), free(tf), free(ty), free(pred);
    return status;
}
