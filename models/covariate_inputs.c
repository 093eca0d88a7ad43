/* models/covariate_inputs.h */
#include "models/covariate_inputs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cc_covariate_input_maps(int K, int D) { return K + (K > 0) + 2 * D; }

/* Mean and sd of the finite in-mask values of `planes` planes [H][W] at stride; how many.
 * Two passes, the squares taken about the mean: E[v^2] - mean^2 cancels to noise for a
 * large, nearly constant map (values near 1e8 of sd 1). */
static long moments(const float *first, int planes, size_t stride, const uint8_t *mask, size_t plane, double *mean,
                    double *sd) {
    double sum = 0, squares = 0;
    long n = 0;
    for (int b = 0; b < planes; b++)
        for (size_t x = 0; x < plane; x++) {
            double v = first[(size_t)b * stride + x];
            if (mask[x] && isfinite(v)) sum += v, n++;
        }
    *mean = n ? sum / n : 0;
    for (int b = 0; b < planes; b++)
        for (size_t x = 0; x < plane; x++) {
            double v = first[(size_t)b * stride + x];
            if (mask[x] && isfinite(v)) squares += (v - *mean) * (v - *mean);
        }
    double var = n ? squares / n : 0;
    *sd = var > 1e-12 ? sqrt(var) : 1;
    return n;
}

int cc_covariate_norm_fit(const cc_covariates *cov, const cc_tensor *t, const cc_split *split, cc_covariate_norm *n,
                          char *err, size_t err_len) {
    memset(n, 0, sizeof *n);
    if (cov->K + cov->D > CC_COVARIATES_MOST) {
        snprintf(err, err_len, "%d covariates, more than %d", cov->K + cov->D, CC_COVARIATES_MOST);
        return -1;
    }
    n->K = cov->K, n->D = cov->D;
    size_t plane = (size_t)t->H * t->W;
    for (int k = 0; k < cov->K + cov->D; k++) {
        int dynamic = k >= cov->K, j = dynamic ? k - cov->K : k;
        const cc_covariate_info *info = dynamic ? &cov->dynamic_info[j] : &cov->static_info[j];
        snprintf(n->name[k], sizeof n->name[k], "%s", info->name);
        long known = dynamic ? moments(cov->dynamic_values + j * plane, cc_split_fit_end(split), (size_t)cov->D * plane,
                                       t->mask, plane, &n->mean[k], &n->sd[k])
                             : moments(cov->static_values + j * plane, 1, plane, t->mask, plane, &n->mean[k], &n->sd[k]);
        if (!known) { /* the network would meet its values first outside training, with untrained weights */
            snprintf(err, err_len, "covariate '%s' has no value inside the mask%s: add the covariates to a tensor "
                     "without it, or train without --covariates", info->name,
                     dynamic ? " in the bins training reads (its series starts after them)" : "");
            return -1;
        }
    }
    return 0;
}

/* The index of covariate `name` among one kind's maps, or -1. */
static int find(const cc_covariate_info *info, int n, const char *name) {
    for (int k = 0; k < n; k++)
        if (!strcmp(info[k].name, name)) return k;
    return -1;
}

/* z of one map into out (0 where missing); marks missing cells in `missing` (may be NULL). */
static void standardise(const float *v, size_t plane, double mean, double sd, float *out, float *missing) {
    for (size_t x = 0; x < plane; x++) {
        int known = isfinite(v[x]);
        out[x] = known ? (float)((v[x] - mean) / sd) : 0.0f;
        if (missing && !known) missing[x] = 1.0f;
    }
}

static int find_all(const cc_covariates *cov, const cc_covariate_norm *norm, int *where, char *err, size_t err_len) {
    for (int k = 0; k < norm->K + norm->D; k++) {
        int dynamic = k >= norm->K;
        where[k] = dynamic ? find(cov->dynamic_info, cov->D, norm->name[k]) : find(cov->static_info, cov->K, norm->name[k]);
        if (where[k] < 0) {
            snprintf(err, err_len, "the tensor has no %s covariate '%s', which the model reads (add it with crimecast "
                     "covariates)", dynamic ? "dynamic" : "static", norm->name[k]);
            return -1;
        }
    }
    return 0;
}

int cc_covariate_inputs_attach(const cc_covariates *cov, const cc_covariate_norm *norm, cc_tensor *t, char *err,
                               size_t err_len) {
    int where[CC_COVARIATES_MOST], K = norm->K, D = norm->D;
    if (find_all(cov, norm, where, err, err_len) != 0) return -1;
    size_t plane = (size_t)t->H * t->W;
    int s_maps = K + (K > 0), d_maps = 2 * D;
    free(t->static_inputs), free(t->dynamic_inputs);
    t->static_inputs = s_maps ? calloc((size_t)s_maps * plane, sizeof(float)) : NULL;
    t->dynamic_inputs = d_maps ? calloc((size_t)t->T * d_maps * plane, sizeof(float)) : NULL;
    if ((s_maps && !t->static_inputs) || (d_maps && !t->dynamic_inputs)) {
        free(t->static_inputs), free(t->dynamic_inputs);
        t->static_inputs = t->dynamic_inputs = NULL, t->input_static = t->input_dynamic = 0;
        snprintf(err, err_len, "out of memory for the covariates' input maps");
        return -1;
    }
    for (int k = 0; k < K; k++)
        standardise(cov->static_values + (size_t)where[k] * plane, plane, norm->mean[k], norm->sd[k],
                    t->static_inputs + (size_t)k * plane, t->static_inputs + (size_t)K * plane);
    for (int b = 0; b < t->T; b++)
        for (int k = 0; k < D; k++) {
            float *step = t->dynamic_inputs + (size_t)b * d_maps * plane;
            standardise(cov->dynamic_values + ((size_t)b * cov->D + where[K + k]) * plane, plane, norm->mean[K + k],
                        norm->sd[K + k], step + (size_t)k * plane, step + (size_t)(D + k) * plane);
        }
    t->input_static = s_maps, t->input_dynamic = d_maps;
    return 0;
}

/* A static map far from what the model was trained on: its in-mask mean more than
 * DRIFT_SDS of the model's sds from the model's mean, or its sd off by more than
 * DRIFT_SD_RATIO either way. The same map on another raster of the grid moves little;
 * another map under the same name (covariates replaces maps by name) moves a lot. */
enum { DRIFT_SDS = 1, DRIFT_SD_RATIO = 3 };
static void note_drift(const cc_covariates *cov, const cc_covariate_norm *norm, const cc_tensor *t, const char *path,
                       char *note, size_t note_len) {
    size_t plane = (size_t)t->H * t->W;
    for (int k = 0; k < norm->K; k++) {
        int j = find(cov->static_info, cov->K, norm->name[k]);
        double mean, sd;
        if (j < 0 || !moments(cov->static_values + (size_t)j * plane, 1, plane, t->mask, plane, &mean, &sd)) continue;
        if (fabs(mean - norm->mean[k]) <= DRIFT_SDS * norm->sd[k] && sd <= DRIFT_SD_RATIO * norm->sd[k] &&
            norm->sd[k] <= DRIFT_SD_RATIO * sd)
            continue;
        snprintf(note, note_len, "%s: covariate '%s' has mean %.4g and sd %.4g here; the model was trained on mean "
                 "%.4g, sd %.4g: another map under its name? Its forecasts read it as far outside what they learned",
                 path, norm->name[k], mean, sd, norm->mean[k], norm->sd[k]);
        return;
    }
}

int cc_covariate_inputs_read(const char *path, const cc_covariate_norm *norm, cc_tensor *t, char *note,
                             size_t note_len, char *err, size_t err_len) {
    cc_covariates cov;
    if (cc_covariates_read(path, t, &cov, err, err_len) != 0) return -1;
    char why[512];
    int status = cc_covariate_inputs_attach(&cov, norm, t, why, sizeof why);
    if (status) snprintf(err, err_len, "%s: %s", path, why);
    if (note && note_len) note[0] = 0;
    if (!status && note && note_len) note_drift(&cov, norm, t, path, note, note_len);
    cc_covariates_free(&cov);
    return status;
}
