#include "models/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/threads.h"

static const char *const SPAN_NAMES[] = {"train", "val", "test", "all"};

const char *cc_span_name(cc_span span) { return SPAN_NAMES[span]; }

int cc_span_parse(const char *name, cc_span *span) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, SPAN_NAMES[i])) {
            *span = (cc_span)i;
            return 0;
        }
    return -1;
}

/* The bin where a share of the axis ends (0.70 T, 0.85 T), rounded half away from zero. */
static int cut(int T, double share) { return (int)lround(share * T); }

int cc_split_make(int T, int window, int horizon, int test_from, cc_split *s, char *err, size_t err_len) {
    return cc_split_make_advising(T, window, horizon, test_from, "a shorter --window", s, err, err_len);
}

int cc_split_make_advising(int T, int window, int horizon, int test_from, const char *shorter, cc_split *s,
                           char *err, size_t err_len) {
    memset(s, 0, sizeof *s);
    s->T = T, s->lead = window + horizon - 1;
    int val_first = test_from < 0 ? cut(T, 0.70) : (int)lround(test_from * 70.0 / 85.0);
    int test_first = test_from < 0 ? cut(T, 0.85) : test_from;
    int bounds[4] = {s->lead, val_first, test_first, T};
    for (int i = 0; i < 3; i++) s->first[i] = bounds[i], s->end[i] = bounds[i + 1];
    for (int i = 0; i < 3; i++)
        if (s->end[i] <= s->first[i]) {
            snprintf(err, err_len,
                     "the %s span holds no target (its first would be bin %d, after its last, bin %d, of %d): %s, "
                     "and a target needs window %d + "
                     "horizon %d - 1 = %d bins before it (a longer tensor, or %s)",
                     SPAN_NAMES[i], s->first[i], s->end[i] - 1, T,
                     test_from < 0 ? "training's targets end at 70% of the bins, validation's at 85%"
                                   : "validation's targets end at --test-from, training's at 70/85 of it",
                     window, horizon, s->lead, shorter);
            return -1;
        }
    return 0;
}

void cc_split_from_gapped(int T, int window, int horizon, const int begin[3], const int end[3], cc_split *s) {
    memset(s, 0, sizeof *s);
    s->T = T, s->lead = window + horizon - 1, s->gapped = 1;
    for (int i = 0; i < 3; i++) s->first[i] = begin[i] + s->lead, s->end[i] = end[i];
}

int cc_split_samples(const cc_split *s, cc_span span) {
    int n = span == CC_SPAN_ALL ? s->T - s->lead : s->end[span] - s->first[span];
    return n > 0 ? n : 0;
}

int cc_split_target(const cc_split *s, cc_span span, int i) { return (span == CC_SPAN_ALL ? s->lead : s->first[span]) + i; }

int cc_split_sample_start(const cc_split *s, cc_span span, int i) { return cc_split_target(s, span, i) - s->lead; }

int cc_split_fit_end(const cc_split *s) { return s->end[CC_SPAN_TRAIN]; }

/* Whole counts whose functions are looked up rather than computed. A cell's input maps
 * are functions of its count alone (given the channel or the bins summed), and at fine
 * resolution most cells hold 0, 1 or 2, so a table per plane or row spares a logarithm
 * per cell: at 150 m that is most of the time the resident windows take to build. Each
 * entry is the very expression the cell would evaluate, with the same operands, so a
 * lookup gives the same bits as computing it. */
enum { WHOLE_COUNTS = 64 };

/* v as an index into such a table, or -1 where v is not one of its whole counts (a
 * fraction, 64 or more, negative, -0 or NaN: those are computed). */
static int whole_count(float v) {
    if (!(v >= 0.0f) || v >= (float)WHOLE_COUNTS || signbit(v)) return -1;
    int i = (int)v;
    return (float)i == v ? i : -1;
}

/* dst[k] = log(1 + src[k]) / scale over `cells` floats (dst may be src). */
static void normalise_plane(const float *src, float *dst, size_t cells, double scale) {
    float table[WHOLE_COUNTS];
    for (int s = 0; s < WHOLE_COUNTS; s++) table[s] = (float)(log1p((double)s) / scale);
    for (size_t k = 0; k < cells; k++) {
        int i = whole_count(src[k]);
        dst[k] = i >= 0 ? table[i] : (float)(log1p((double)src[k]) / scale);
    }
}

/* sums[q] = log((sums[q] + 1/2) / bins): the log-rate of `bins` bins' summed counts. */
static void log_rates(float *sums, size_t n, int bins) {
    float table[WHOLE_COUNTS];
    for (int s = 0; s < WHOLE_COUNTS; s++) table[s] = (float)log(((double)s + 0.5) / bins);
    for (size_t q = 0; q < n; q++) {
        int i = whole_count(sums[q]);
        sums[q] = i >= 0 ? table[i] : (float)log((sums[q] + 0.5) / bins);
    }
}

void cc_normalisation_fit(const cc_tensor *t, const cc_split *s, float *scale) {
    size_t plane = (size_t)t->H * t->W;
    double table[WHOLE_COUNTS];
    for (int i = 0; i < WHOLE_COUNTS; i++) table[i] = log1p((double)i);
    for (int c = 0; c < t->C; c++) {
        double sum = 0;
        long n = 0;
        for (int ti = 0; ti < cc_split_fit_end(s); ti++) {
            const float *map = t->values + cc_tensor_offset(t, ti, c, 0, 0);
            for (size_t k = 0; k < plane; k++)
                if (t->mask[k]) {
                    int i = whole_count(map[k]);
                    double v = i >= 0 ? table[i] : log1p((double)map[k]);
                    sum += v * v;
                    n++;
                }
        }
        double rms = n ? sqrt(sum / (double)n) : 0.0;
        scale[c] = rms > 0 ? (float)rms : 1.0f;
    }
}


int cc_first_bin_from(const cc_tensor *t, int64_t day) {
    for (int i = 0; i < t->T; i++)
        if (t->time[i] >= day) return i;
    return -1;
}

/* The spans, in bins, of the averages the context compares with the year's (0: all). */
static const int CONTEXT_SPANS[] = {1, 4, 13, 0};
enum { CONTEXT_SPAN_COUNT = sizeof CONTEXT_SPANS / sizeof CONTEXT_SPANS[0], MAPS_PER_CHANNEL = 2 + CONTEXT_SPAN_COUNT };

/* The spans of CONTEXT_SPANS before the whole history (1, 4, 13 bins) get level-gated copies. */
enum { GATED_SPANS = CONTEXT_SPAN_COUNT - 1 };

int cc_context_maps(int channels, int recency, int gated) {
    return (MAPS_PER_CHANNEL + recency + (gated ? GATED_SPANS : 0)) * channels + 2;
}

int cc_gated_maps(int channels) { return GATED_SPANS * channels; }

int cc_skip_only_maps(int channels, int gated) { return gated == 2 ? cc_gated_maps(channels) : 0; }

/* out [C][H][W] = log((counts of bins origin-k'+1 .. origin + 1/2) / k'), k' = min(k, origin + 1),
 * k = 0 meaning all bins up to the origin. */
static void log_average(const cc_tensor *t, int origin, int k, float *out) {
    int first = k > 0 && origin - k + 1 > 0 ? origin - k + 1 : 0;
    size_t map = (size_t)t->C * t->H * t->W;
    cc_tensor_sum_bins(t, first, origin, out); /* counts are whole numbers: float sums are exact */
    log_rates(out, map, origin - first + 1);
}

/* out[q] = log(1 + n[q] / exp(a_all[q])) over a [C][H][W] map: a count (or a
 * recency-weighted count) relative to the cell's long-run rate. */
static void relative_to_rate(const float *n, const float *a_all, size_t map, float *out) {
    for (size_t q = 0; q < map; q++) /* +-0 / exp(a) is +-0 while exp(a) > 0, and log1p(+-0) is +-0 */
        out[q] = n[q] == 0.0f && a_all[q] > -700.0f ? n[q] : (float)log1p(n[q] / exp((double)a_all[q]));
}

/* out [C][H][W] = log(1 + n_o / exp(a_all)), the near-repeat map (see the header), from
 * a_all [C][H][W], the whole-history log-average at the origin o. */
static void near_repeat_map(const cc_tensor *t, int origin, const float *a_all, float *out) {
    relative_to_rate(t->values + cc_tensor_offset(t, origin, 0, 0, 0), a_all, (size_t)t->C * t->H * t->W, out);
}

/* out [recency][C][H][W] = log(1 + R_tau(o) / exp(a_all)), the recency maps (see the
 * header), from a_all [C][H][W] as for the near-repeat map. */
static void recency_maps(const cc_tensor *t, int origin, int recency, const float *a_all, float *out) {
    size_t map = (size_t)t->C * t->H * t->W;
    for (int r = 0; r < recency; r++)
        relative_to_rate(t->recency + cc_tensor_recency_offset(t, origin, r, 0, 0, 0), a_all, map, out + r * map);
}

/* out [GATED_SPANS][C][H][W] = (a_k - a_P) log(1 + exp(a_P)), k = 1, 4, 13: the ratio maps
 * `ratios` [..][C][H][W] scaled by the cell's level, from the year's log-rate a_P `year`. */
static void gated_ratio_maps(const float *year, const float *ratios, size_t map, float *out) {
    float last = NAN; /* most cells share the year's rate of no crime: its level is kept */
    double level = 0;
    for (size_t q = 0; q < map; q++) {
        if (!(year[q] == last)) last = year[q], level = log1p(exp((double)year[q]));
        for (int s = 0; s < GATED_SPANS; s++) out[s * map + q] = (float)(ratios[s * map + q] * level);
    }
}

/* The context maps of one sample (see the header) into out [cc_context_maps(C, recency,
 * gated)][H][W], using `scratch` [C][H][W]; the target is a bin of the tensor (samples never
 * reach past it). */
static void context_maps(const cc_tensor *t, int origin, int target, int recency, int gated, float *out,
                         float *scratch) {
    size_t plane = (size_t)t->H * t->W, map = (size_t)t->C * plane;
    float *year = out; /* maps 0 .. C-1 */
    log_average(t, origin, cc_bin_kind_per_year(t->bin), year);
    for (int s = 0; s < CONTEXT_SPAN_COUNT; s++) {
        float *ratio = out + (size_t)(1 + s) * map;
        log_average(t, origin, CONTEXT_SPANS[s], scratch);
        for (size_t q = 0; q < map; q++) ratio[q] = scratch[q] - year[q];
        if (CONTEXT_SPANS[s] == 0) { /* scratch holds a_all */
            near_repeat_map(t, origin, scratch, out + (size_t)(1 + CONTEXT_SPAN_COUNT) * map);
            recency_maps(t, origin, recency, scratch, out + (size_t)MAPS_PER_CHANNEL * map + 2 * plane);
        }
    }
    const double two_pi = 6.283185307179586, days_per_year = 365.2425;
    double phase = two_pi * fmod((double)cc_tensor_bin_start(t, target), days_per_year) / days_per_year; /* days since 1970 */
    float *season = out + (size_t)MAPS_PER_CHANNEL * map;
    for (size_t k = 0; k < plane; k++) season[k] = (float)sin(phase), season[plane + k] = (float)cos(phase);
    if (gated) gated_ratio_maps(year, out + map, map, out + (size_t)(MAPS_PER_CHANNEL + recency) * map + 2 * plane);
}

int cc_sample_context_maps(const cc_sample_spec *spec, int channels) {
    return spec->context ? cc_context_maps(channels, spec->recency, spec->gated) : 0;
}

int cc_sample_steps(const cc_sample_spec *spec) { return cc_lags_steps(&spec->lags, spec->window); }

int cc_sample_step_bin(const cc_sample_spec *spec, int start, int s) {
    return start + spec->window - cc_lags_lag_of_step(&spec->lags, spec->window, s);
}

int cc_sample_extra_maps(const cc_sample_spec *spec, const cc_tensor *t) {
    return (spec->covariates ? t->input_static + t->input_dynamic : 0) + cc_sample_context_maps(spec, t->C);
}

/* The covariate input maps of bin `bin` into dst: the static ones, then the bin's dynamic ones. */
static void covariate_maps(const cc_tensor *t, int bin, float *dst) {
    size_t plane = (size_t)t->H * t->W, s = (size_t)t->input_static * plane, d = (size_t)t->input_dynamic * plane;
    if (s) memcpy(dst, t->static_inputs, sizeof(float) * s);
    if (d) memcpy(dst + s, t->dynamic_inputs + (size_t)bin * d, sizeof(float) * d);
}

void cc_normalise_counts(const cc_tensor *t, const float *scale, float *values, size_t maps) {
    size_t plane = (size_t)t->H * t->W;
    for (size_t m = 0; m < maps; m++) normalise_plane(values + m * plane, values + m * plane, plane, scale[m % (size_t)t->C]);
}

/* Sample i of cc_gather_batch's n: its steps of x, its targets in y, y[0][i] its scratch
 * until then (no other sample's). */
static void gather_sample(const cc_tensor *t, const float *scale, const int *starts, int n, int i,
                          const cc_sample_spec *spec, float *x, float *y) {
    int window = spec->window, horizon = spec->horizon, steps = cc_sample_steps(spec);
    size_t plane = (size_t)t->H * t->W, map = (size_t)t->C * plane;
    size_t covariates = spec->covariates ? (size_t)(t->input_static + t->input_dynamic) * plane : 0;
    size_t step_maps = map + covariates + (size_t)cc_sample_context_maps(spec, t->C) * plane;
    size_t context_at = map + covariates; /* where a step's context maps start */
    for (int s = 0; s < steps; s++) {
        int bin = cc_sample_step_bin(spec, starts[i], s);
        const float *src = t->values + cc_tensor_offset(t, bin, 0, 0, 0);
        float *dst = x + ((size_t)s * n + i) * step_maps;
        for (int c = 0; c < t->C; c++) normalise_plane(src + c * plane, dst + c * plane, plane, scale[c]);
        if (covariates) covariate_maps(t, bin, dst + map);
    }
    if (spec->context) { /* computed once, copied into every step; the target (written below) is scratch */
        float *first = x + (size_t)i * step_maps + context_at;
        context_maps(t, starts[i] + window - 1, starts[i] + window + horizon - 1, spec->recency, spec->gated, first,
                     y + (size_t)i * map);
        for (int s = 1; s < steps; s++)
            memcpy(x + ((size_t)s * n + i) * step_maps + context_at, first, sizeof(float) * (step_maps - context_at));
    }
    for (int s = 0; s < horizon; s++) { /* a target past the last bin (a forecast of what comes next) has no count */
        int bin = starts[i] + window + s;
        float *target = y + ((size_t)s * n + i) * map;
        if (bin < t->T) memcpy(target, t->values + cc_tensor_offset(t, bin, 0, 0, 0), sizeof(float) * map);
        else memset(target, 0, sizeof(float) * map);
    }
}

void cc_gather_batch(const cc_tensor *t, const float *scale, const int *starts, int n, const cc_sample_spec *spec,
                     float *x, float *y) {
    for (int i = 0; i < n; i++) gather_sample(t, scale, starts, n, i, spec, x, y);
}

void cc_gather_batch_threads(const cc_ops_context *ctx, const cc_tensor *t, const float *scale, const int *starts,
                             int n, const cc_sample_spec *spec, float *x, float *y) {
    (void)ctx;
    CC_PARALLEL_FOR(ctx)
    for (int i = 0; i < n; i++) gather_sample(t, scale, starts, n, i, spec, x, y);
}

/* out = G * in along one axis (stride between neighbours, n of them, count lines each
 * `line` apart), G the normalised taps[0..radius] (symmetric). */
static void blur_lines(const float *in, float *out, int n, int count, size_t stride, size_t line, const double *taps,
                       int radius) {
    for (int l = 0; l < count; l++)
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int d = -radius; d <= radius; d++) {
                int j = i + d;
                if (j >= 0 && j < n) sum += taps[d < 0 ? -d : d] * in[(size_t)l * line + (size_t)j * stride];
            }
            out[(size_t)l * line + (size_t)i * stride] = (float)sum;
        }
}

/* map = G * map (separable: rows, then columns). tmp: room for H W floats. */
static void gaussian_blur(float *map, int H, int W, const double *taps, int radius, float *tmp) {
    blur_lines(map, tmp, W, H, 1, (size_t)W, taps, radius);  /* along x, each row */
    blur_lines(tmp, map, H, W, (size_t)W, 1, taps, radius);  /* along y, each column */
}

void cc_smooth_in_mask(float *map, const uint8_t *mask, int H, int W, double sigma, float *scratch) {
    int radius = (int)ceil(3 * sigma);
    double taps[64];
    if (radius > 63) radius = 63;
    for (int d = 0; d <= radius; d++) taps[d] = exp(-0.5 * d * d / (sigma * sigma));
    size_t cells = (size_t)H * W;
    float *weight = scratch, *tmp = scratch + cells, *numerator = scratch + 2 * cells;
    for (size_t q = 0; q < cells; q++) weight[q] = mask[q] ? 1.0f : 0.0f, numerator[q] = mask[q] ? map[q] : 0.0f;
    gaussian_blur(numerator, H, W, taps, radius, tmp);
    gaussian_blur(weight, H, W, taps, radius, tmp);
    for (size_t q = 0; q < cells; q++)
        if (weight[q] > 0) map[q] = numerator[q] / weight[q];
}

void cc_gather_baseline(const cc_tensor *t, const int *starts, int n, int window, int horizon, int k, double sigma,
                        float *log_rate, float *scratch) {
    size_t plane = (size_t)t->H * t->W, map = (size_t)t->C * plane;
    if (!(sigma > 0)) scratch = NULL;
    for (int i = 0; i < n; i++) {
        float *first_step = log_rate + (size_t)i * map;
        int origin = starts[i] + window - 1, first = k > 0 && origin - k + 1 > 0 ? origin - k + 1 : 0;
        cc_tensor_sum_bins(t, first, origin, first_step); /* counts are whole numbers: float sums are exact */
        for (int c = 0; scratch && c < t->C; c++) cc_smooth_in_mask(first_step + c * plane, t->mask, t->H, t->W, sigma, scratch);
        log_rates(first_step, map, origin - first + 1);
        for (int s = 1; s < horizon; s++) memcpy(log_rate + ((size_t)s * n + i) * map, first_step, sizeof(float) * map);
    }
}
