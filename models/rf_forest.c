/* models/rf_forest.h: XGBoost's C API in random-forest mode, the trees spread over
 * boosters fitted side by side. */
#include "models/rf_forest.h"

#include "heatmaps/covariates.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xgboost/c_api.h>

int cc_rf_feature_count(const cc_rf_options *o) {
    const cc_covariates *c = o->covariates;
    return 2 * o->lags + CC_RF_FIXED_FEATURES + (c ? c->K + c->D : 0);
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

/* One booster's share of a forest. */
typedef struct fit_part {
    int trees;
    unsigned seed;
    BoosterHandle booster;
} fit_part;

/* A worker thread: fits parts first, first + step, ... on its own matrix. */
typedef struct fit_worker {
    const cc_rf_options *o;
    const float *features, *y;
    size_t rows;
    fit_part *parts;
    int first, step, count;
    int status;
    char err[512];
} fit_worker;

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

/* Thread body: builds the worker's own matrix (XGBoost builds its histogram index lazily
 * inside the matrix, so boosters in different threads must not share one; one after
 * another, they may) and fits its parts on it. */
static void *fit_worker_run(void *arg) {
    fit_worker *w = arg;
    int p = cc_rf_feature_count(w->o);
    char *err = w->err;
    size_t len = sizeof w->err;
    DMatrixHandle train = NULL;
    int status = xgb_check(XGDMatrixCreateFromMat(w->features, w->rows, (bst_ulong)p, NAN, &train),
                           "XGDMatrixCreateFromMat", err, len);
    if (!status)
        status = xgb_check(XGDMatrixSetFloatInfo(train, "label", w->y, w->rows), "XGDMatrixSetFloatInfo", err, len);
    for (int k = w->first; !status && k < w->count; k += w->step) {
        fit_part *part = &w->parts[k];
        status = xgb_check(XGBoosterCreate(&train, 1, &part->booster), "XGBoosterCreate", err, len);
        if (!status) status = set_forest_params(part->booster, w->o, part->trees, part->seed, err, len);
        if (!status)
            status = xgb_check(XGBoosterUpdateOneIter(part->booster, 0, train), "XGBoosterUpdateOneIter", err, len);
    }
    if (train) XGDMatrixFree(train);
    w->status = status;
    return NULL;
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int forest_parts(const cc_rf_options *o) { return CC_RF_PARTS < o->trees ? CC_RF_PARTS : o->trees; }

static int forest_workers(const cc_rf_options *o, int parts) {
    int workers = o->threads > 0 ? o->threads : online_cpus();
    return workers < parts ? workers : parts;
}

void cc_rf_free(cc_rf_forest *forest) {
    if (!forest) return;
    for (int k = 0; forest->boosters && k < forest->parts; k++)
        if (forest->boosters[k]) XGBoosterFree(forest->boosters[k]);
    free(forest->boosters), free(forest->weights), free(forest);
}

/* Fits the n parts on `count` workers, workers[1..] in threads of their own and
 * workers[0] in this one. */
static int run_workers(fit_worker *workers, int count, char *err, size_t err_len) {
    pthread_t *threads = calloc((size_t)count, sizeof(pthread_t));
    char *started = calloc((size_t)count, 1);
    if (!threads || !started) {
        free(threads), free(started);
        snprintf(err, err_len, "out of memory for the forest's threads");
        return -1;
    }
    int status = 0;
    for (int k = 1; k < count; k++) {
        started[k] = pthread_create(&threads[k], NULL, fit_worker_run, &workers[k]) == 0;
        if (!started[k]) fit_worker_run(&workers[k]); /* no thread: fit them here, slower but the same */
    }
    fit_worker_run(&workers[0]);
    for (int k = 1; k < count; k++)
        if (started[k]) pthread_join(threads[k], NULL);
    for (int k = 0; k < count && !status; k++)
        if (workers[k].status) {
            snprintf(err, err_len, "%s", workers[k].err);
            status = -1;
        }
    free(threads), free(started);
    return status;
}

int cc_rf_fit(const cc_rf_options *o, const float *features, const float *y, size_t rows, cc_rf_forest **out,
              char *err, size_t err_len) {
    int n = forest_parts(o), count = forest_workers(o, n);
    cc_rf_forest *forest = calloc(1, sizeof *forest);
    fit_part *parts = calloc((size_t)n, sizeof *parts);
    fit_worker *workers = calloc((size_t)count, sizeof *workers);
    if (forest) {
        forest->boosters = calloc((size_t)n, sizeof(BoosterHandle));
        forest->weights = calloc((size_t)n, sizeof(double));
    }
    if (!forest || !parts || !workers || !forest->boosters || !forest->weights) {
        snprintf(err, err_len, "out of memory for the forest");
        cc_rf_free(forest), free(parts), free(workers);
        return -1;
    }
    forest->parts = n;
    forest->features = cc_rf_feature_count(o);
    for (int k = 0; k < n; k++) {
        /* the first trees % n parts hold one tree more */
        parts[k] = (fit_part){.trees = o->trees / n + (k < o->trees % n), .seed = o->seed + (unsigned)k};
        forest->weights[k] = (double)parts[k].trees / o->trees;
    }
    for (int w = 0; w < count; w++)
        workers[w] = (fit_worker){.o = o, .features = features, .y = y, .rows = rows, .parts = parts, .first = w,
                                  .step = count, .count = n};
    int status = run_workers(workers, count, err, err_len);
    for (int k = 0; k < n; k++) forest->boosters[k] = parts[k].booster; /* freed with the forest */
    free(parts), free(workers);
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

