#include "models/rf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "crawler/datetime.h"
#include "host/progress.h"
#include "models/baselines.h"

enum { FIXED_FEATURES = 6 };

int cc_rf_feature_count(const cc_rf_options *o) { return 2 * o->lags + FIXED_FEATURES; }

const char *cc_rf_feature_name(const cc_rf_options *o, int i, char *buf, size_t len) {
    static const char *const FIXED[FIXED_FEATURES] = {"sum3x3_lag1", "sum5x5_lag1", "train_mean",
                                                       "last_year", "season", "row"};
    if (i < o->lags) snprintf(buf, len, "lag%d", i + 1);
    else if (i < 2 * o->lags) snprintf(buf, len, "all_lag%d", i - o->lags + 1);
    else if (i - 2 * o->lags < FIXED_FEATURES) snprintf(buf, len, "%s", FIXED[i - 2 * o->lags]);
    else snprintf(buf, len, "col");
    return buf;
}

int cc_rf_training_targets(const cc_split *s, const cc_rf_options *o, int *targets) {
    int n = 0;
    for (int tau = s->begin[0] + o->lags + o->horizon - 1; tau < s->end[0]; tau++) targets[n++] = tau;
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
    cc_civil_from_days(t->time[bin], &y, &m, &d);
    if (!strcmp(t->bin, "month")) return (float)m;
    return (float)((t->time[bin] - cc_days_from_civil(y, 1, 1)) / 7 + 1);
}

size_t cc_rf_rows(const cc_tensor *t, const cc_split *s, const cc_rf_options *o, int c, const int *targets, int n,
                  float *features, float *y) {
    int p = cc_rf_feature_count(o), period = cc_baseline_period(t->bin);
    size_t rows = 0, plane = (size_t)t->H * t->W;
    float *train_mean = calloc(plane, sizeof(float));
    for (int b = s->begin[0]; b < s->end[0]; b++)
        for (size_t k = 0; k < plane; k++) train_mean[k] += t->values[cc_tensor_offset(t, b, c, 0, 0) + k];
    for (size_t k = 0; k < plane; k++) train_mean[k] /= (float)(s->end[0] - s->begin[0]);
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
                f[p - 1] = (float)col;
                y[rows++] = count(t, tau, c, row, col);
            }
    }
    free(train_mean);
    return rows;
}

static int check(int status, char *err, size_t err_len) {
    if (status == 0) return 0;
    snprintf(err, err_len, "XGBoost: %s", XGBGetLastError());
    return -1;
}

/* Fits a forest on (features, y) and predicts `test` rows into `pred`. */
static int fit_predict(const cc_rf_options *o, const float *features, const float *y, size_t rows, const float *test,
                       size_t test_rows, float *pred, double *fit_seconds, char *err, size_t err_len) {
    int p = cc_rf_feature_count(o);
    DMatrixHandle train = NULL, tests = NULL;
    BoosterHandle booster = NULL;
    char text[64];
    int status = check(XGDMatrixCreateFromMat(features, rows, (bst_ulong)p, NAN, &train), err, err_len);
    if (!status) status = check(XGDMatrixSetFloatInfo(train, "label", y, rows), err, err_len);
    if (!status) status = check(XGBoosterCreate(&train, 1, &booster), err, err_len);
    const char *fixed[][2] = {{"booster", "gbtree"}, {"objective", "reg:squarederror"}, {"eta", "1"},
                              {"lambda", "0"},       {"subsample", "0.632"},             {"tree_method", "hist"},
                              {"verbosity", "0"}};
    for (size_t i = 0; !status && i < sizeof fixed / sizeof fixed[0]; i++)
        status = check(XGBoosterSetParam(booster, fixed[i][0], fixed[i][1]), err, err_len);
    snprintf(text, sizeof text, "%d", o->trees);
    if (!status) status = check(XGBoosterSetParam(booster, "num_parallel_tree", text), err, err_len);
    snprintf(text, sizeof text, "%d", o->depth);
    if (!status) status = check(XGBoosterSetParam(booster, "max_depth", text), err, err_len);
    snprintf(text, sizeof text, "%.6f", sqrt((double)p) / p);
    if (!status) status = check(XGBoosterSetParam(booster, "colsample_bynode", text), err, err_len);
    snprintf(text, sizeof text, "%u", o->seed);
    if (!status) status = check(XGBoosterSetParam(booster, "seed", text), err, err_len);
    snprintf(text, sizeof text, "%d", o->threads > 0 ? o->threads : 0);
    if (!status && o->threads > 0) status = check(XGBoosterSetParam(booster, "nthread", text), err, err_len);
    double start = cc_now_seconds(); /* the matrix is built: time the fit alone */
    if (!status) status = check(XGBoosterUpdateOneIter(booster, 0, train), err, err_len);
    *fit_seconds = cc_now_seconds() - start;
    if (!status) status = check(XGDMatrixCreateFromMat(test, test_rows, (bst_ulong)p, NAN, &tests), err, err_len);
    bst_ulong out_len = 0;
    const float *out = NULL;
    if (!status) status = check(XGBoosterPredict(booster, tests, 0, 0, 0, &out_len, &out), err, err_len);
    if (!status && out_len != test_rows) {
        snprintf(err, err_len, "XGBoost returned %llu predictions for %zu rows", (unsigned long long)out_len, test_rows);
        status = -1;
    }
    for (size_t i = 0; !status && i < test_rows; i++) pred[i] = out[i] > 0 ? out[i] : 0.0f;
    if (tests) XGDMatrixFree(tests);
    if (booster) XGBoosterFree(booster);
    if (train) XGDMatrixFree(train);
    return status;
}

int cc_rf_forecast(const cc_tensor *t, const cc_split *split, const cc_rf_options *o, const int *targets, int n,
                   float *out, double *fit_seconds, char *err, size_t err_len) {
    int p = cc_rf_feature_count(o);
    size_t plane = (size_t)t->H * t->W, cells = 0;
    for (size_t k = 0; k < plane; k++) cells += t->mask[k] != 0;
    int *train_targets = malloc(sizeof(int) * (size_t)t->T);
    int n_train = cc_rf_training_targets(split, o, train_targets);
    size_t train_rows = (size_t)n_train * cells, test_rows = (size_t)n * cells;
    float *xf = malloc(sizeof(float) * train_rows * p), *y = malloc(sizeof(float) * train_rows);
    float *tf = malloc(sizeof(float) * test_rows * p), *ty = malloc(sizeof(float) * test_rows);
    float *pred = malloc(sizeof(float) * test_rows);
    int status = xf && y && tf && ty && pred && n_train > 0 ? 0 : -1;
    if (status) snprintf(err, err_len, n_train > 0 ? "out of memory for the feature matrix" : "no training targets");
    memset(out, 0, sizeof(float) * (size_t)n * t->C * plane);
    for (int c = 0; !status && c < t->C; c++) {
        cc_rf_rows(t, split, o, c, train_targets, n_train, xf, y);
        cc_rf_rows(t, split, o, c, targets, n, tf, ty);
        double seconds = 0;
        status = fit_predict(o, xf, y, train_rows, tf, test_rows, pred, &seconds, err, err_len);
        if (fit_seconds) fit_seconds[c] = seconds;
        size_t r = 0;
        for (int i = 0; !status && i < n; i++)
            for (size_t k = 0; k < plane; k++)
                if (t->mask[k]) out[((size_t)i * t->C + c) * plane + k] = pred[r++];
    }
    free(train_targets), free(xf), free(y), free(tf), free(ty), free(pred);
    return status;
}
