#include "models/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/rng.h"

/* qsort has no context argument: sort (value, index) pairs instead. */
typedef struct keyed {
    double key;
    int index;
} keyed;

/* Descending by key, then ascending by index: "highest first, lower index wins ties". */
static int by_key_desc(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? 1 : -1;
    return x->index - y->index;
}

/* 1 when every value is finite. A ranking of NaN means nothing, and the tie groups below
 * (runs of equal scores) would never end on one: NaN equals nothing, itself included. */
static int all_finite(const float *v, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

/* The end of the run of scores equal to scores[order[i]] from i on (at least i + 1). */
static int tie_end(const float *scores, const int *order, int n, int i) {
    int j = i + 1;
    while (j < n && scores[order[j]] == scores[order[i]]) j++;
    return j;
}

/* order[0..n) = cell indices sorted by value (desc), ties by index. */
static void rank_cells(const float *v, int n, int *order) {
    keyed *k = malloc(sizeof *k * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) k[i].key = v[i], k[i].index = i;
    qsort(k, (size_t)n, sizeof *k, by_key_desc);
    for (int i = 0; i < n; i++) order[i] = k[i].index;
    free(k);
}

double cc_roc_auc(const unsigned char *labels, const float *scores, int n, int *scratch) {
    if (!all_finite(scores, n)) return NAN;
    rank_cells(scores, n, scratch); /* descending score */
    long positives = 0;
    for (int i = 0; i < n; i++) positives += labels[i] != 0;
    long negatives = n - positives;
    if (!positives || !negatives) return NAN;
    /* Mann-Whitney: pairs (positive, negative) with the positive scored higher, ties half. */
    double wins = 0;
    long negatives_below = negatives;
    for (int i = 0; i < n;) {
        int j = tie_end(scores, scratch, n, i);
        long pos = 0, neg = 0;
        for (int k = i; k < j; k++) {
            if (labels[scratch[k]]) pos++; else neg++;
        }
        negatives_below -= neg;
        wins += (double)pos * ((double)negatives_below + 0.5 * (double)neg);
        i = j;
    }
    return wins / ((double)positives * (double)negatives);
}

double cc_average_precision(const unsigned char *labels, const float *scores, int n, int *scratch) {
    if (!all_finite(scores, n)) return NAN;
    rank_cells(scores, n, scratch);
    long positives = 0;
    for (int i = 0; i < n; i++) positives += labels[i] != 0;
    if (!positives) return NAN;
    double ap = 0, previous_recall = 0;
    long tp = 0, fp = 0;
    for (int i = 0; i < n;) {
        int j = tie_end(scores, scratch, n, i);
        for (int k = i; k < j; k++) {
            if (labels[scratch[k]]) tp++; else fp++;
        }
        double recall = (double)tp / (double)positives, precision = (double)tp / (double)(tp + fp);
        ap += (recall - previous_recall) * precision;
        previous_recall = recall;
        i = j;
    }
    return ap;
}

void cc_hotspot_labels(const float *truth, int n, int *scratch, unsigned char *labels) {
    rank_cells(truth, n, scratch);
    memset(labels, 0, (size_t)n);
    int k = (int)lround(0.10 * n);
    for (int i = 0; i < k; i++) labels[scratch[i]] = 1;
}

/* Linear interpolation of the ROC segment (f0, t0)-(f1, t1) at false-positive rate f. */
static double segment_tpr(double f0, double t0, double f1, double t1, double f) {
    return f1 > f0 ? t0 + (t1 - t0) * (f - f0) / (f1 - f0) : t1;
}

int cc_roc_curve_sampled(const unsigned char *labels, const float *scores, int n, int *scratch, int points,
                         double *tpr) {
    long positives = 0;
    for (int i = 0; i < n; i++) positives += labels[i] != 0;
    long negatives = n - positives;
    if (!positives || !negatives || points < 2 || !all_finite(scores, n)) return -1;
    rank_cells(scores, n, scratch);
    for (int s = 0; s < points; s++) tpr[s] = 0;
    double f0 = 0, t0 = 0;
    long tp = 0, fp = 0;
    for (int i = 0; i < n;) { /* one vertex per distinct score, highest first */
        int j = tie_end(scores, scratch, n, i);
        for (int k = i; k < j; k++) {
            if (labels[scratch[k]]) tp++; else fp++;
        }
        double f1 = (double)fp / negatives, t1 = (double)tp / positives;
        for (int s = 0; s < points; s++) {
            double f = (double)s / (points - 1);
            if (f >= f0 && f <= f1) {
                double t = segment_tpr(f0, t0, f1, t1, f);
                if (t > tpr[s]) tpr[s] = t;
            }
        }
        f0 = f1, t0 = t1;
        i = j;
    }
    return 0;
}

static void count_errors(const float *y, const float *p, int n, cc_map_metrics *m) {
    double se = 0, ae = 0, dev = 0;
    for (int i = 0; i < n; i++) {
        double d = (double)p[i] - y[i], pp = p[i] > 1e-9 ? p[i] : 1e-9;
        se += d * d, ae += fabs(d);
        dev += 2.0 * ((y[i] > 0 ? y[i] * log(y[i] / pp) : 0.0) - (y[i] - pp));
    }
    m->mse = n ? se / n : NAN, m->mae = n ? ae / n : NAN, m->deviance = n ? dev / n : NAN;
}

int cc_flagged_for_percent(double percent, int n) {
    int a = (int)lround(percent / 100.0 * n);
    return a < 1 ? 1 : a > n ? n : a;
}

int cc_flagged_for_area(double km2, double cell_m, int n) {
    int a = (int)lround(km2 * 1e6 / (cell_m * cell_m));
    return a < 1 ? 1 : a > n ? n : a;
}

static void area_measures(const float *y, const int *forecast_order, const int *truth_order, int n,
                          const int *flagged, int count, cc_map_metrics *m) {
    double total = 0;
    for (int i = 0; i < n; i++) total += y[i];
    m->topk_count = count;
    for (int t = 0; t < count; t++) {
        int a = flagged[t] < 1 ? 1 : flagged[t] > n ? n : flagged[t];
        double caught = 0, best = 0;
        for (int i = 0; i < a; i++) caught += y[forecast_order[i]], best += y[truth_order[i]];
        int defined = total > 0;
        m->hit[t] = defined ? caught / total : NAN;
        m->pai[t] = defined ? (caught / total) / ((double)a / n) : NAN;
        m->pei[t] = best > 0 ? caught / best : NAN;
    }
}

void cc_map_metrics_compute(const float *y, const float *p, int n, const double *topk_percent, int topk_count,
                            int *scratch, cc_map_metrics *m) {
    int flagged[CC_MAX_TOPK];
    for (int t = 0; t < topk_count && t < CC_MAX_TOPK; t++) flagged[t] = cc_flagged_for_percent(topk_percent[t], n);
    cc_map_metrics_flagged(y, p, n, flagged, topk_count, scratch, m);
}

void cc_map_metrics_flagged(const float *y, const float *p, int n, const int *flagged, int topk_count,
                            int *scratch, cc_map_metrics *m) {
    memset(m, 0, sizeof *m);
    if (!all_finite(y, n) || !all_finite(p, n)) { /* no figure of a map with a NaN in it */
        m->mse = m->mae = m->deviance = m->auc = m->ap = m->f1 = NAN;
        m->topk_count = topk_count;
        for (int t = 0; t < topk_count; t++) m->hit[t] = m->pai[t] = m->pei[t] = NAN;
        return;
    }
    count_errors(y, p, n, m);
    int *truth_order = scratch, *forecast_order = scratch + n, *work = scratch + 2 * n;
    rank_cells(y, n, truth_order);
    rank_cells(p, n, forecast_order);
    int k = (int)lround(0.10 * n);
    unsigned char *labels = calloc((size_t)(n > 0 ? n : 1), 1);
    cc_hotspot_labels(y, n, work, labels);
    m->auc = cc_roc_auc(labels, p, n, work);
    m->ap = cc_average_precision(labels, p, n, work);
    int tp = 0;
    for (int i = 0; i < k; i++) tp += labels[forecast_order[i]];
    m->f1 = k > 0 ? (double)tp / k : NAN; /* k flagged, k hotspots: 2TP / (2TP + FP + FN) = TP / k */
    free(labels);
    area_measures(y, forecast_order, truth_order, n, flagged, topk_count, m);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cc_bootstrap_mean(const double *values, int n, int resamples, unsigned seed, double *mean, double *lo,
                       double *hi) {
    double *finite = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), sum = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(values[i])) finite[m++] = values[i], sum += values[i];
    if (m == 0) {
        *mean = *lo = *hi = NAN;
        free(finite);
        return;
    }
    *mean = sum / m;
    double *means = malloc(sizeof(double) * (size_t)resamples);
    unsigned state = seed ? seed : 1;
    for (int r = 0; r < resamples; r++) {
        double s = 0;
        for (int i = 0; i < m; i++) {
            s += finite[cc_lcg_next(&state) % (unsigned)m];
        }
        means[r] = s / m;
    }
    qsort(means, (size_t)resamples, sizeof *means, compare_doubles);
    *lo = means[(int)floor(0.025 * (resamples - 1))];
    *hi = means[(int)ceil(0.975 * (resamples - 1))];
    free(finite);
    free(means);
}
