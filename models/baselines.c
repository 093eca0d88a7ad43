#include "models/baselines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/metrics.h"

static const char *const NAMES[] = {"persistence", "histavg", "seasonal", "kde"};

int cc_baseline_parse(const char *name, cc_baseline_method *method) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, NAMES[i])) {
            *method = (cc_baseline_method)i;
            return 0;
        }
    return -1;
}

const char *cc_baseline_name(cc_baseline_method method) { return NAMES[method]; }

int cc_baseline_named(const char *model) {
    static const char *const FITTED[] = {"rf", "etas"}; /* the methods beside NAMES' (run_baseline.c) */
    for (int i = 0; i < 4 + 2; i++) {
        const char *name = i < 4 ? NAMES[i] : FITTED[i - 4];
        size_t n = strlen(name);
        /* whole, or before a suffix: "-52", "+cov", and eval's labels of a name two files share,
         * "etas (etas2.h5)" and "persistence #2" */
        if (!strncmp(model, name, n) && (model[n] == 0 || model[n] == '-' || model[n] == '+' || model[n] == ' '))
            return 1;
    }
    return 0;
}

int cc_baseline_default_k(cc_bin_kind bin) { return bin == CC_BIN_MONTH ? 12 : bin == CC_BIN_DAY ? 28 : 52; }

static size_t map_floats(const cc_tensor *t) { return (size_t)t->C * t->H * t->W; }

/* Mean of bins [first, last]. */
static void mean_of(const cc_tensor *t, int first, int last, float *out) {
    size_t n = map_floats(t);
    if (first < 0) first = 0;
    cc_tensor_sum_bins(t, first, last, out);
    float scale = 1.0f / (float)(last - first + 1);
    for (size_t k = 0; k < n; k++) out[k] *= scale;
}

/* One axis of a separable Gaussian blur of an H x W plane (zero outside). */
static void blur_axis(const float *in, float *out, int H, int W, const double *kernel, int radius, int along_rows) {
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            double sum = 0;
            for (int d = -radius; d <= radius; d++) {
                int rr = along_rows ? r + d : r, cc = along_rows ? c : c + d;
                if (rr >= 0 && rr < H && cc >= 0 && cc < W) sum += kernel[d + radius] * in[rr * W + cc];
            }
            out[r * W + c] = (float)sum;
        }
}

static void blur(float *plane, float *tmp, int H, int W, const double *kernel, int radius) {
    blur_axis(plane, tmp, H, W, kernel, radius, 1);
    blur_axis(tmp, plane, H, W, kernel, radius, 0);
}

/* Weighted recent history, smoothed in space within the mask. 0, or -1 out of memory. */
static int kde(const cc_tensor *t, const cc_baseline_options *o, int origin, float *out) {
    size_t plane = (size_t)t->H * t->W, n = map_floats(t);
    int k = o->k > 0 ? o->k : origin + 1; /* 0: every bin up to the origin */
    double total = 0;
    memset(out, 0, sizeof(float) * n);
    for (int j = 0; j < k && origin - j >= 0; j++) {
        double w = pow(2.0, -j / (o->half_life > 0 ? o->half_life : 1.0));
        const float *src = t->values + (size_t)(origin - j) * n;
        for (size_t q = 0; q < n; q++) out[q] += (float)(w * src[q]);
        total += w;
    }
    for (size_t q = 0; q < n; q++) out[q] = (float)(out[q] / total);
    double sigma = o->bandwidth_m / t->cell;
    /* Three sigmas, but no further than the grid reaches: past it the blur adds nothing,
     * and a huge bandwidth's radius would overflow int (its limit is the flat mean). */
    int side = t->H > t->W ? t->H : t->W;
    int radius = 3 * sigma < side ? (int)ceil(3 * sigma) : side;
    if (!(sigma * sigma > 0) || radius < 1) return 0; /* a sigma whose square underflows: no smoothing */
    double *kernel = malloc(sizeof(double) * (size_t)(2 * radius + 1)), norm = 0;
    float *weight = malloc(sizeof(float) * plane), *tmp = malloc(sizeof(float) * plane);
    if (!kernel || !weight || !tmp) {
        free(kernel), free(weight), free(tmp);
        return -1;
    }
    for (int d = -radius; d <= radius; d++) norm += kernel[d + radius] = exp(-0.5 * d * d / (sigma * sigma));
    for (int d = 0; d <= 2 * radius; d++) kernel[d] /= norm;
    for (size_t q = 0; q < plane; q++) weight[q] = t->mask[q] ? 1.0f : 0.0f;
    blur(weight, tmp, t->H, t->W, kernel, radius);
    for (int c = 0; c < t->C; c++) {
        float *map = out + (size_t)c * plane;
        for (size_t q = 0; q < plane; q++) map[q] = t->mask[q] ? map[q] : 0.0f;
        blur(map, tmp, t->H, t->W, kernel, radius);
        for (size_t q = 0; q < plane; q++) map[q] = t->mask[q] && weight[q] > 0 ? map[q] / weight[q] : 0.0f;
    }
    free(kernel), free(weight), free(tmp);
    return 0;
}

int cc_baseline_forecast(const cc_tensor *t, const cc_baseline_options *o, const int *targets, int n, float *out) {
    size_t floats = map_floats(t);
    int k = o->k;
    for (int i = 0; i < n; i++) {
        int target = targets[i], origin = target - o->horizon;
        float *dst = out + (size_t)i * floats;
        int lag = target - cc_bin_kind_per_year(t->bin);
        switch (o->method) {
        case CC_BASELINE_PERSISTENCE: memcpy(dst, t->values + (size_t)origin * floats, sizeof(float) * floats); break;
        case CC_BASELINE_HISTAVG: mean_of(t, k > 0 ? origin - k + 1 : 0, origin, dst); break;
        case CC_BASELINE_SEASONAL:
            if (lag >= 0 && lag <= origin)
                memcpy(dst, t->values + (size_t)lag * floats, sizeof(float) * floats);
            else
                mean_of(t, origin - cc_baseline_default_k(t->bin) + 1, origin, dst);
            break;
        case CC_BASELINE_KDE:
            if (kde(t, o, origin, dst) != 0) return -1;
            break;
        }
    }
    return 0;
}

double cc_mean_poisson_deviance(const cc_tensor *t, const int *targets, int n, int first_channel, int channels,
                                const float *f) {
    size_t plane = (size_t)t->H * t->W;
    double sum = 0;
    long count = 0;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < channels; c++) {
            const float *p = f + ((size_t)i * channels + c) * plane;
            const float *y = t->values + cc_tensor_offset(t, targets[i], first_channel + c, 0, 0);
            for (size_t q = 0; q < plane; q++) {
                if (!t->mask[q]) continue;
                sum += cc_poisson_deviance_term(y[q], p[q]);
                count++;
            }
        }
    return count ? sum / count : NAN;
}

double cc_kde_choose(const cc_tensor *t, const int *targets, int n, cc_baseline_options *o) {
    static const double CELLS[4] = {0.5, 1, 2, 4}, SHARES[5] = {1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0 / 2};
    float *f = malloc(sizeof(float) * (size_t)n * t->C * t->H * t->W);
    if (!f) return NAN;
    int K = o->k > 0 ? o->k : cc_baseline_default_k(t->bin);
    double best = INFINITY, best_bandwidth = 0, best_half_life = 0;
    for (int b = 0; b < 4; b++)
        for (int h = 0; h < 5; h++) {
            cc_baseline_options candidate = *o;
            candidate.method = CC_BASELINE_KDE;
            candidate.bandwidth_m = CELLS[b] * t->cell, candidate.half_life = SHARES[h] * K;
            if (cc_baseline_forecast(t, &candidate, targets, n, f) != 0) {
                free(f);
                return NAN;
            }
            double deviance = cc_mean_poisson_deviance(t, targets, n, 0, t->C, f);
            if (deviance < best) best = deviance, best_bandwidth = candidate.bandwidth_m, best_half_life = candidate.half_life;
        }
    free(f);
    o->bandwidth_m = best_bandwidth, o->half_life = best_half_life;
    return best;
}
