#include "models/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/rng.h"

/* The rank order of cells a and b of values va and vb: -1 when a ranks first. The higher
 * value first, equal values in index order (a deterministic order: no figure depends on
 * the order within a tie, see metrics.h), NaN after every number. A total order, so
 * every correct sort gives the same ranking. */
static int compare_ranks(float va, int a, float vb, int b) {
    int a_nan = isnan(va), b_nan = isnan(vb);
    if (a_nan != b_nan) return a_nan - b_nan;
    if (!a_nan && va != vb) return va > vb ? -1 : 1;
    return (a > b) - (a < b);
}

static int ranks_before(const float *v, int a, int b) { return compare_ranks(v[a], a, v[b], b) < 0; }

static void swap_cells(int *order, int i, int j) {
    int t = order[i];
    order[i] = order[j], order[j] = t;
}

/* Restores the heap below `root` of order[0..n): each cell ranks after its children. */
static void sift_down(const float *v, int *order, int root, int n) {
    for (int child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && ranks_before(v, order[child], order[child + 1])) child++; /* the later-ranked */
        if (!ranks_before(v, order[root], order[child])) return;
        swap_cells(order, root, child);
    }
}

/* order[0..n) sorted by rank, in place: a heapsort, which needs no memory, so ranking a
 * map (eval does it for every bin and category) cannot fail. */
static void sort_by_rank(const float *v, int *order, int n) {
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(v, order, i, n);
    for (int end = n - 1; end > 0; end--) {
        swap_cells(order, 0, end);
        sift_down(v, order, 0, end);
    }
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
/* qsort has no context argument: it sorts (value, index) pairs. */
typedef struct keyed {
    float key;
    int index;
} keyed;

static int by_rank(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    return compare_ranks(x->key, x->index, y->key, y->index);
}

static void rank_cells(const float *v, int n, int *order) {
    keyed *k = malloc(sizeof *k * (size_t)(n > 0 ? n : 1)); /* eval 1.5x faster than with the heap (256 x 256) */
    for (int i = 0; i < n; i++) order[i] = i;
    if (!k) {
        sort_by_rank(v, order, n); /* the same order, without memory */
        return;
    }
    for (int i = 0; i < n; i++) k[i] = (keyed){v[i], i};
    qsort(k, (size_t)n, sizeof *k, by_rank);
    for (int i = 0; i < n; i++) order[i] = k[i].index;
    free(k);
}

/* Total positive and negative weight of the cells. */
static void class_weights(const double *positive, int n, double *pos, double *neg) {
    *pos = *neg = 0;
    for (int i = 0; i < n; i++) *pos += positive[i], *neg += 1.0 - positive[i];
}

/* The positive and negative weight of the tie group order[i..j). */
static void group_weights(const double *positive, const int *order, int i, int j, double *pos, double *neg) {
    *pos = *neg = 0;
    for (int k = i; k < j; k++) *pos += positive[order[k]], *neg += 1.0 - positive[order[k]];
}

/* A class with no weight (up to rounding of the shares) leaves the figure undefined. */
static int has_weight(double w) { return w > 1e-9; }

double cc_roc_auc(const double *positive, const float *scores, int n, int *scratch) {
    if (!all_finite(scores, n)) return NAN;
    double positives, negatives;
    class_weights(positive, n, &positives, &negatives);
    if (!has_weight(positives) || !has_weight(negatives)) return NAN;
    rank_cells(scores, n, scratch); /* descending score */
    /* Mann-Whitney: pairs (positive, negative) with the positive scored higher, ties half. */
    double wins = 0, negatives_below = negatives;
    for (int i = 0; i < n;) {
        int j = tie_end(scores, scratch, n, i);
        double pos, neg;
        group_weights(positive, scratch, i, j, &pos, &neg);
        negatives_below -= neg;
        wins += pos * (negatives_below + 0.5 * neg);
        i = j;
    }
    return wins / (positives * negatives);
}

double cc_average_precision(const double *positive, const float *scores, int n, int *scratch) {
    if (!all_finite(scores, n)) return NAN;
    double positives, negatives;
    class_weights(positive, n, &positives, &negatives);
    if (!has_weight(positives)) return NAN;
    rank_cells(scores, n, scratch);
    double ap = 0, previous_recall = 0, tp = 0, fp = 0;
    for (int i = 0; i < n;) {
        int j = tie_end(scores, scratch, n, i);
        double pos, neg;
        group_weights(positive, scratch, i, j, &pos, &neg);
        tp += pos, fp += neg;
        double recall = tp / positives, precision = tp + fp > 0 ? tp / (tp + fp) : 0;
        ap += (recall - previous_recall) * precision;
        previous_recall = recall;
        i = j;
    }
    return ap;
}

void cc_top_share(const float *v, const int *order, int n, double a, double *share) {
    for (int i = 0; i < n; i++) share[i] = 0;
    double taken = 0;
    for (int i = 0; i < n && taken < a;) {
        int j = tie_end(v, order, n, i);
        double room = a - taken, each = room >= j - i ? 1.0 : room / (j - i);
        for (int k = i; k < j; k++) share[order[k]] = each;
        if (each < 1.0) break; /* the cut fell inside this tie: the places are all taken */
        taken += j - i;
        i = j;
    }
}

void cc_hotspot_weights(const float *truth, int n, cc_hotspot_label label, int *scratch, double *weight) {
    if (label == CC_HOTSPOT_OCCURRENCE) {
        for (int i = 0; i < n; i++) weight[i] = truth[i] >= 1 ? 1.0 : 0.0;
        return;
    }
    if (!all_finite(truth, n)) { /* no tie groups to share among; every figure is NaN then */
        for (int i = 0; i < n; i++) weight[i] = NAN;
        return;
    }
    double total = 0;
    for (int i = 0; i < n; i++) total += truth[i];
    if (!(total > 0)) { /* no crime, no hotspot: every cell tied at zero is no top 10% */
        for (int i = 0; i < n; i++) weight[i] = 0.0;
        return;
    }
    rank_cells(truth, n, scratch);
    cc_top_share(truth, scratch, n, (double)lround(0.10 * n), weight);
}

/* Linear interpolation of the ROC segment (f0, t0)-(f1, t1) at false-positive rate f. */
static double segment_tpr(double f0, double t0, double f1, double t1, double f) {
    return f1 > f0 ? t0 + (t1 - t0) * (f - f0) / (f1 - f0) : t1;
}

int cc_roc_curve_sampled(const double *positive, const float *scores, int n, int *scratch, int points,
                         double *tpr) {
    double positives, negatives;
    class_weights(positive, n, &positives, &negatives);
    if (!has_weight(positives) || !has_weight(negatives) || points < 2 || !all_finite(scores, n)) return -1;
    rank_cells(scores, n, scratch);
    for (int s = 0; s < points; s++) tpr[s] = 0;
    double f0 = 0, t0 = 0, tp = 0, fp = 0;
    for (int i = 0; i < n;) { /* one vertex per distinct score, highest first */
        int j = tie_end(scores, scratch, n, i);
        double pos, neg;
        group_weights(positive, scratch, i, j, &pos, &neg);
        tp += pos, fp += neg;
        double f1 = fp / negatives, t1 = tp / positives;
        if (j == n) f1 = t1 = 1.0; /* the sums of weights end where they began, up to rounding */
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
        double d = (double)p[i] - y[i];
        se += d * d, ae += fabs(d);
        dev += cc_poisson_deviance_term(y[i], p[i]);
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

int cc_rank_cells(const float *map, const unsigned char *mask, int plane, int *order) {
    int n = 0;
    for (int i = 0; i < plane; i++)
        if (!mask || mask[i]) order[n++] = i;
    sort_by_rank(map, order, n);
    return n;
}

/* Hit rate, PAI and PEI for each flagged area; `share` is room for n doubles. */
static void area_measures(const float *y, const float *p, const int *forecast_order, const int *truth_order, int n,
                          const int *flagged, int count, double *share, cc_map_metrics *m) {
    double total = 0;
    for (int i = 0; i < n; i++) total += y[i];
    m->topk_count = count;
    for (int t = 0; t < count; t++) {
        int a = flagged[t] < 1 ? 1 : flagged[t] > n ? n : flagged[t];
        double caught = 0, best = 0;
        cc_top_share(p, forecast_order, n, a, share);
        for (int i = 0; i < n; i++) caught += share[i] * y[i];
        for (int i = 0; i < a; i++) best += y[truth_order[i]]; /* ties in the truth change no sum */
        int defined = total > 0;
        m->hit[t] = defined ? caught / total : NAN;
        m->pai[t] = defined ? (caught / total) / ((double)a / n) : NAN;
        m->pei[t] = best > 0 ? caught / best : NAN;
    }
}

int cc_map_metrics_compute(const float *y, const float *p, int n, cc_hotspot_label label, const double *topk_percent,
                           int topk_count, int *scratch, cc_map_metrics *m) {
    int flagged[CC_MAX_TOPK];
    for (int t = 0; t < topk_count && t < CC_MAX_TOPK; t++) flagged[t] = cc_flagged_for_percent(topk_percent[t], n);
    return cc_map_metrics_flagged(y, p, n, label, flagged, topk_count, scratch, m);
}

/* F1 of the forecast's top k cells (k = the hotspots' weight) against the hotspots:
 * 2 TP / (flagged + positives) = TP / k, both sides weighing k. */
static double hotspot_f1(const double *positive, const float *p, const int *forecast_order, int n, double *share) {
    double k = 0, tp = 0;
    for (int i = 0; i < n; i++) k += positive[i];
    if (!has_weight(k)) return NAN;
    cc_top_share(p, forecast_order, n, k, share);
    for (int i = 0; i < n; i++) tp += share[i] * positive[i];
    return tp / k;
}

int cc_map_metrics_flagged(const float *y, const float *p, int n, cc_hotspot_label label, const int *flagged,
                           int topk_count, int *scratch, cc_map_metrics *m) {
    memset(m, 0, sizeof *m);
    if (!all_finite(y, n) || !all_finite(p, n)) { /* no figure of a map with a NaN in it */
        m->mse = m->mae = m->deviance = m->auc = m->ap = m->f1 = NAN;
        m->topk_count = topk_count;
        for (int t = 0; t < topk_count; t++) m->hit[t] = m->pai[t] = m->pei[t] = NAN;
        return 0;
    }
    count_errors(y, p, n, m);
    int *truth_order = scratch, *forecast_order = scratch + n, *work = scratch + 2 * n;
    rank_cells(y, n, truth_order);
    rank_cells(p, n, forecast_order);
    size_t room = (size_t)(n > 0 ? n : 1);
    double *positive = malloc(sizeof(double) * room), *share = malloc(sizeof(double) * room);
    if (!positive || !share) {
        free(positive), free(share);
        return -1;
    }
    cc_hotspot_weights(y, n, label, work, positive);
    m->auc = cc_roc_auc(positive, p, n, work);
    m->ap = cc_average_precision(positive, p, n, work);
    m->f1 = hotspot_f1(positive, p, forecast_order, n, share);
    area_measures(y, p, forecast_order, truth_order, n, flagged, topk_count, share, m);
    free(positive), free(share);
    return 0;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cc_bootstrap_mean_blocks(const double *values, int n, int block, int resamples, unsigned seed, double *mean,
                             double *lo, double *hi) {
    if (block <= 1) return cc_bootstrap_mean(values, n, resamples, seed, mean, lo, hi);
    double *means = malloc(sizeof(double) * (size_t)(resamples > 0 ? resamples : 1)), sum = 0;
    int m = 0, kept = 0;
    *mean = *lo = *hi = NAN;
    if (!means) return -1;
    for (int i = 0; i < n; i++)
        if (isfinite(values[i])) sum += values[i], m++;
    if (m > 0) *mean = sum / m;
    unsigned state = seed ? seed : 1;
    int enough = m >= CC_BOOTSTRAP_LEAST_VALUES && n >= CC_BOOTSTRAP_LEAST_BLOCKS * block;
    for (int r = 0; enough && r < resamples; r++) {
        double s = 0;
        int count = 0;
        for (int k = 0; k < n; k += block) {
            int start = (int)(cc_lcg_next(&state) % (unsigned)n);
            for (int j = 0; j < block && k + j < n; j++) {
                double v = values[(start + j) % n];
                if (isfinite(v)) s += v, count++;
            }
        }
        if (count > 0) means[kept++] = s / count; /* a resample of undefined bins alone has no mean */
    }
    if (kept > 0) {
        qsort(means, (size_t)kept, sizeof *means, compare_doubles);
        *lo = means[(int)floor(0.025 * (kept - 1))];
        *hi = means[(int)ceil(0.975 * (kept - 1))];
    }
    free(means);
    return 0;
}

int cc_bootstrap_mean(const double *values, int n, int resamples, unsigned seed, double *mean, double *lo,
                      double *hi) {
    double *finite = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)), sum = 0;
    double *means = malloc(sizeof(double) * (size_t)(resamples > 0 ? resamples : 1));
    int m = 0;
    *mean = *lo = *hi = NAN;
    if (!finite || !means) {
        free(finite), free(means);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (isfinite(values[i])) finite[m++] = values[i], sum += values[i];
    if (m > 0) *mean = sum / m;
    if (m >= CC_BOOTSTRAP_LEAST_VALUES && resamples > 0) {
        unsigned state = seed ? seed : 1;
        for (int r = 0; r < resamples; r++) {
            double s = 0;
            for (int i = 0; i < m; i++) s += finite[cc_lcg_next(&state) % (unsigned)m];
            means[r] = s / m;
        }
        qsort(means, (size_t)resamples, sizeof *means, compare_doubles);
        *lo = means[(int)floor(0.025 * (resamples - 1))];
        *hi = means[(int)ceil(0.975 * (resamples - 1))];
    }
    free(finite), free(means);
    return 0;
}
