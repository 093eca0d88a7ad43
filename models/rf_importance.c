#include "models/rf_importance.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/rng.h"

/* Fisher-Yates shuffle of 0..n-1 into perm; each (feature, repeat) has its own seed. */
static void shuffle(size_t *perm, size_t n, uint64_t seed) {
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(cc_splitmix64(&state) % i);
        size_t tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
}

static double mse(const float *pred, const float *y, size_t rows) {
    double sum = 0;
    for (size_t i = 0; i < rows; i++) sum += ((double)pred[i] - y[i]) * ((double)pred[i] - y[i]);
    return rows ? sum / (double)rows : 0.0;
}

/* The MSE with column j of `work` replaced by column j of `features` in the order of
 * `perm`; column j is restored afterwards. */
static int permuted_mse(const cc_rf_forest *forest, const float *features, const float *y, size_t rows, int p, int j,
                        const size_t *perm, float *work, float *pred, double *out, char *err, size_t err_len) {
    for (size_t i = 0; i < rows; i++) work[i * p + j] = features[perm[i] * p + j];
    int status = cc_rf_predict(forest, work, rows, pred, err, err_len);
    if (!status) *out = mse(pred, y, rows);
    for (size_t i = 0; i < rows; i++) work[i * p + j] = features[i * p + j];
    return status;
}

int cc_rf_permutation_importance(const cc_rf_forest *forest, const float *features, const float *y, size_t rows,
                                 int p, int repeats, unsigned seed, double *baseline_mse, double *mean, double *std,
                                 char *err, size_t err_len) {
    float *work = malloc(sizeof(float) * rows * (size_t)p), *pred = malloc(sizeof(float) * rows);
    size_t *perm = malloc(sizeof(size_t) * rows);
    double *scores = malloc(sizeof(double) * (size_t)(repeats > 0 ? repeats : 1));
    int status = work && pred && perm && scores && rows > 0 && repeats > 0 ? 0 : -1;
    if (status) snprintf(err, err_len, rows && repeats > 0 ? "out of memory for permutation importance"
                                                            : "permutation importance needs rows and repeats");
    if (!status) {
        memcpy(work, features, sizeof(float) * rows * (size_t)p);
        status = cc_rf_predict(forest, work, rows, pred, err, err_len);
    }
    if (!status) *baseline_mse = mse(pred, y, rows);
    for (int j = 0; !status && j < p; j++) {
        double sum = 0, sum_sq = 0;
        for (int r = 0; !status && r < repeats; r++) {
            shuffle(perm, rows, ((uint64_t)seed << 32) ^ ((uint64_t)j << 16) ^ (uint64_t)r);
            status = permuted_mse(forest, features, y, rows, p, j, perm, work, pred, &scores[r], err, err_len);
            if (status) break; /* scores[r] was not written */
            scores[r] -= *baseline_mse;
            sum += scores[r];
        }
        mean[j] = sum / repeats;
        for (int r = 0; !status && r < repeats; r++) sum_sq += (scores[r] - mean[j]) * (scores[r] - mean[j]);
        std[j] = sqrt(sum_sq / repeats);
    }
    free(work), free(pred), free(perm), free(scores);
    return status;
}

void cc_rf_importance_order(const double *mean, int p, int *order) {
    for (int i = 0; i < p; i++) order[i] = i;
    /* insertion sort: p is a few dozen features */
    for (int i = 1; i < p; i++) {
        int k = order[i], at = i;
        while (at > 0 && mean[order[at - 1]] < mean[k]) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = k;
    }
}
