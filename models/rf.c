#include "models/rf.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include "crawler/datetime.h"
#include "host/progress.h"
#include "models/baselines.h"
#include "models/rf_importance.h"

/* sum3x3_lag1, sum5x5_lag1, train_mean, last_year, season, row, col */
enum { FIXED_FEATURES = 7 };

int cc_rf_feature_count(const cc_rf_options *o) { return 2 * o->lags + FIXED_FEATURES; }

const char *cc_rf_feature_name(const cc_rf_options *o, int i, char *buf, size_t len) {
    static const char *const FIXED[FIXED_FEATURES] = {"sum3x3_lag1", "sum5x5_lag1", "train_mean", "last_year",
                                                       "season",      "row",         "col"};
    if (i < o->lags) snprintf(buf, len, "lag%d", i + 1);
    else if (i < 2 * o->lags) snprintf(buf, len, "all_lag%d", i - o->lags + 1);
    else snprintf(buf, len, "%s", FIXED[i - 2 * o->lags]);
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
    if (!train_mean) return 0;
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
                g[6] = (float)col;
                y[rows++] = count(t, tau, c, row, col);
            }
    }
    free(train_mean);
    return rows;
}

/* Names the failing XGBoost call and gives XGBoost's reason (thread-local, so this runs
 * in the thread that made the call). */
static int xgb_check(int status, const char *call, char *err, size_t err_len) {
    if (status == 0) return 0;
    snprintf(err, err_len, "XGBoost %s: %s", call, XGBGetLastError());
    return -1;
}

struct cc_rf_forest {
    int parts;                  /* boosters fitted side by side */
    int features;
    BoosterHandle *boosters;    /* [parts] */
    double *weights;            /* [parts]: each booster's share of the trees */
};

/* One booster's share of a forest, fitted in its own thread. */
typedef struct fit_part {
    const cc_rf_options *o;
    const float *features, *y;
    size_t rows;
    int trees;
    unsigned seed;
    BoosterHandle booster;
    int status;
    char err[512];
} fit_part;

static int set_param(BoosterHandle booster, const char *name, const char *value, char *err, size_t err_len) {
    if (XGBoosterSetParam(booster, name, value) == 0) return 0;
    snprintf(err, err_len, "XGBoost XGBoosterSetParam(%s=%s): %s", name, value, XGBGetLastError());
    return -1;
}

/* The random-forest parameters of one booster holding `trees` of the forest's trees. */
static int set_forest_params(BoosterHandle booster, const cc_rf_options *o, int trees, unsigned seed, char *err,
                             size_t err_len) {
    int p = cc_rf_feature_count(o);
    /* nthread 1: the forest's parallelism is across boosters (see rf.h) */
    const char *fixed[][2] = {{"booster", "gbtree"}, {"objective", "reg:squarederror"}, {"eta", "1"},
                              {"lambda", "0"},       {"subsample", "0.632"},             {"tree_method", "hist"},
                              {"verbosity", "0"},    {"nthread", "1"}};
    int status = 0;
    for (size_t i = 0; !status && i < sizeof fixed / sizeof fixed[0]; i++)
        status = set_param(booster, fixed[i][0], fixed[i][1], err, err_len);
    char text[64];
    snprintf(text, sizeof text, "%d", trees);
    if (!status) status = set_param(booster, "num_parallel_tree", text, err, err_len);
    snprintf(text, sizeof text, "%d", o->depth);
    if (!status) status = set_param(booster, "max_depth", text, err, err_len);
    snprintf(text, sizeof text, "%.6f", sqrt((double)p) / p);
    if (!status) status = set_param(booster, "colsample_bynode", text, err, err_len);
    snprintf(text, sizeof text, "%u", seed);
    if (!status) status = set_param(booster, "seed", text, err, err_len);
    return status;
}

/* Thread body: builds this part's own matrix (XGBoost builds its histogram index lazily
 * inside the matrix, so boosters in different threads must not share one) and fits. */
static void *fit_part_run(void *arg) {
    fit_part *part = arg;
    int p = cc_rf_feature_count(part->o);
    char *err = part->err;
    size_t len = sizeof part->err;
    DMatrixHandle train = NULL;
    int status = xgb_check(XGDMatrixCreateFromMat(part->features, part->rows, (bst_ulong)p, NAN, &train),
                           "XGDMatrixCreateFromMat", err, len);
    if (!status)
        status = xgb_check(XGDMatrixSetFloatInfo(train, "label", part->y, part->rows), "XGDMatrixSetFloatInfo", err,
                           len);
    if (!status) status = xgb_check(XGBoosterCreate(&train, 1, &part->booster), "XGBoosterCreate", err, len);
    if (!status) status = set_forest_params(part->booster, part->o, part->trees, part->seed, err, len);
    if (!status)
        status = xgb_check(XGBoosterUpdateOneIter(part->booster, 0, train), "XGBoosterUpdateOneIter", err, len);
    if (train) XGDMatrixFree(train);
    part->status = status;
    return NULL;
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int forest_parts(const cc_rf_options *o) {
    int parts = o->threads > 0 ? o->threads : online_cpus();
    return parts < o->trees ? parts : o->trees;
}

void cc_rf_free(cc_rf_forest *forest) {
    if (!forest) return;
    for (int k = 0; forest->boosters && k < forest->parts; k++)
        if (forest->boosters[k]) XGBoosterFree(forest->boosters[k]);
    free(forest->boosters), free(forest->weights), free(forest);
}

/* Runs the parts, parts[1..] in threads of their own and parts[0] in this one. */
static int run_parts(fit_part *parts, int n, char *err, size_t err_len) {
    pthread_t *threads = calloc((size_t)n, sizeof(pthread_t));
    char *started = calloc((size_t)n, 1);
    if (!threads || !started) {
        free(threads), free(started);
        snprintf(err, err_len, "out of memory for the forest's threads");
        return -1;
    }
    int status = 0;
    for (int k = 1; k < n; k++) {
        started[k] = pthread_create(&threads[k], NULL, fit_part_run, &parts[k]) == 0;
        if (!started[k]) fit_part_run(&parts[k]); /* no thread: fit it here, slower but the same */
    }
    fit_part_run(&parts[0]);
    for (int k = 1; k < n; k++)
        if (started[k]) pthread_join(threads[k], NULL);
    for (int k = 0; k < n && !status; k++)
        if (parts[k].status) {
            snprintf(err, err_len, "%s", parts[k].err);
            status = -1;
        }
    free(threads), free(started);
    return status;
}

int cc_rf_fit(const cc_rf_options *o, const float *features, const float *y, size_t rows, cc_rf_forest **out,
              char *err, size_t err_len) {
    int n = forest_parts(o);
    cc_rf_forest *forest = calloc(1, sizeof *forest);
    fit_part *parts = calloc((size_t)n, sizeof *parts);
    if (forest) {
        forest->boosters = calloc((size_t)n, sizeof(BoosterHandle));
        forest->weights = calloc((size_t)n, sizeof(double));
    }
    if (!forest || !parts || !forest->boosters || !forest->weights) {
        snprintf(err, err_len, "out of memory for the forest");
        cc_rf_free(forest), free(parts);
        return -1;
    }
    forest->parts = n;
    forest->features = cc_rf_feature_count(o);
    for (int k = 0; k < n; k++) {
        /* the first trees % n parts hold one tree more */
        parts[k] = (fit_part){.o = o, .features = features, .y = y, .rows = rows,
                              .trees = o->trees / n + (k < o->trees % n), .seed = o->seed + (unsigned)k};
        forest->weights[k] = (double)parts[k].trees / o->trees;
    }
    int status = run_parts(parts, n, err, err_len);
    for (int k = 0; k < n; k++) forest->boosters[k] = parts[k].booster; /* freed with the forest */
    free(parts);
    /* predictions run one booster after another: each may use every thread */
    char threads[32];
    snprintf(threads, sizeof threads, "%d", o->threads);
    for (int k = 0; !status && k < n; k++) status = set_param(forest->boosters[k], "nthread", threads, err, err_len);
    if (status) {
        cc_rf_free(forest);
        return -1;
    }
    *out = forest;
    return 0;
}

/* In-place prediction on a dense float array: no DMatrix copy. */
static int predict_part(BoosterHandle booster, const float *features, size_t rows, int p, const float **result,
                        char *err, size_t err_len) {
    static const char CONFIG[] = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                                 "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}";
    char interface[256];
    snprintf(interface, sizeof interface,
             "{\"data\": [%llu, true], \"shape\": [%zu, %d], \"typestr\": \"<f4\", \"version\": 3}",
             (unsigned long long)(uintptr_t)features, rows, p);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    int status = xgb_check(XGBoosterPredictFromDense(booster, interface, CONFIG, NULL, &shape, &dim, result),
                           "XGBoosterPredictFromDense", err, err_len);
    if (!status && (dim < 1 || shape[0] != rows)) {
        snprintf(err, err_len, "XGBoost predicted %llu rows for %zu", dim ? (unsigned long long)shape[0] : 0ULL,
                 rows);
        status = -1;
    }
    return status;
}

int cc_rf_predict(const cc_rf_forest *forest, const float *features, size_t rows, float *pred, char *err,
                  size_t err_len) {
    double *sum = calloc(rows ? rows : 1, sizeof(double));
    if (!sum) {
        snprintf(err, err_len, "out of memory for %zu predictions", rows);
        return -1;
    }
    int status = 0;
    for (int k = 0; !status && k < forest->parts; k++) {
        const float *part = NULL;
        status = predict_part(forest->boosters[k], features, rows, forest->features, &part, err, err_len);
        for (size_t i = 0; !status && i < rows; i++) sum[i] += forest->weights[k] * part[i];
    }
    for (size_t i = 0; !status && i < rows; i++) pred[i] = sum[i] > 0 ? (float)sum[i] : 0.0f;
    free(sum);
    return status;
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
                   float *out, double *fit_seconds, cc_rf_importance *importance, char *err, size_t err_len) {
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
    if (status)
        snprintf(err, err_len, "%s",
                 !cells ? "the mask holds no cell"
                 : train_targets && n_train <= 0 ? "no training targets" : "out of memory for the feature matrix");
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
        if (fit_seconds) fit_seconds[c] = seconds;
        size_t r = 0;
        for (int i = 0; !status && i < n; i++)
            for (size_t k = 0; k < plane; k++)
                if (t->mask[k]) out[((size_t)i * t->C + c) * plane + k] = pred[r++];
    }
    free(train_targets), free(xf), free(y), free(tf), free(ty), free(pred);
    return status;
}
