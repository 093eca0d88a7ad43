/* Hit rate, PAI and PEI on hand-computed maps, ties included; AUC and AP on small cases
 * worked out by hand; the bootstrap interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "models/metrics.h"

static void test_area_measures_by_hand(void **state) {
    (void)state;
    /* 20 cells, 10 crimes: 4 in cell 3, 3 in cell 7, 2 in cell 11, 1 in cell 0. */
    float y[20] = {0}, p[20] = {0};
    y[3] = 4, y[7] = 3, y[11] = 2, y[0] = 1;
    /* The forecast ranks cell 7 first, then cells 3 and 5 tied (3 wins: lower index). */
    p[7] = 9, p[3] = 5, p[5] = 5, p[11] = 1;
    int scratch[60];
    const double topk[2] = {5, 10}; /* 1 cell, then 2 cells */
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 20, topk, 2, scratch, &m);
    /* 1 cell flagged: cell 7 holds 3 of 10; the best single cell held 4. */
    assert_true(fabs(m.hit[0] - 0.3) < 1e-12);
    assert_true(fabs(m.pai[0] - 0.3 / (1.0 / 20)) < 1e-12);
    assert_true(fabs(m.pei[0] - 3.0 / 4.0) < 1e-12);
    /* 2 cells: 7 and 3 (the tie with 5 goes to 3): 7 of 10, the best 2 cells held 7. */
    assert_true(fabs(m.hit[1] - 0.7) < 1e-12);
    assert_true(fabs(m.pai[1] - 0.7 / 0.1) < 1e-12);
    assert_true(fabs(m.pei[1] - 1.0) < 1e-12);
    /* k = 2 hotspots (cells 3, 7), the forecast's top 2 are the same: F1 = 1. */
    assert_true(fabs(m.f1 - 1.0) < 1e-12);
    assert_true(fabs(m.mae - (1 + 1 + 5 + 6 + 1) / 20.0) < 1e-12); /* cells 0, 3, 5, 7, 11 */
}

static void test_auc_and_ap_by_hand(void **state) {
    (void)state;
    int scratch[8];
    /* Positives scored 0.9 and 0.5; negatives 0.5, 0.1: of 4 pairs, 3 won and 1 tied. */
    unsigned char labels[4] = {1, 1, 0, 0};
    float scores[4] = {0.9f, 0.5f, 0.5f, 0.1f};
    assert_true(fabs(cc_roc_auc(labels, scores, 4, scratch) - 3.5 / 4) < 1e-12);
    /* Thresholds 0.9: recall 1/2 at precision 1; 0.5: recall 1 at precision 2/3. */
    assert_true(fabs(cc_average_precision(labels, scores, 4, scratch) - (0.5 * 1 + 0.5 * 2.0 / 3)) < 1e-12);
    unsigned char none[4] = {0, 0, 0, 0};
    assert_true(isnan(cc_roc_auc(none, scores, 4, scratch)));
    assert_true(isnan(cc_average_precision(none, scores, 4, scratch)));
}

static void test_empty_map_is_undefined(void **state) {
    (void)state;
    float y[10] = {0}, p[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    int scratch[30];
    const double topk[1] = {10};
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 10, topk, 1, scratch, &m);
    assert_true(isnan(m.hit[0]) && isnan(m.pai[0]) && isnan(m.pei[0]));
    assert_true(fabs(m.mse - 38.5) < 1e-12); /* mean of squares 1..10 */
}

/* A NaN among the scores used to hang the tie groups (NaN equals nothing, itself included):
 * every ranking figure is NaN instead, at once, and the whole map's figures too. */
static void test_nan_scores_end(void **state) {
    (void)state;
    int scratch[30];
    unsigned char labels[4] = {1, 0, 1, 0};
    float scores[4] = {0.9f, NAN, 0.5f, 0.1f};
    double tpr[5];
    assert_true(isnan(cc_roc_auc(labels, scores, 4, scratch)));
    assert_true(isnan(cc_average_precision(labels, scores, 4, scratch)));
    assert_int_equal(cc_roc_curve_sampled(labels, scores, 4, scratch, 5, tpr), -1);
    float y[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, p[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, INFINITY};
    const double topk[1] = {10};
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 10, topk, 1, scratch, &m);
    assert_true(isnan(m.mse) && isnan(m.deviance) && isnan(m.auc) && isnan(m.ap) && isnan(m.pai[0]));
}

static void test_bootstrap(void **state) {
    (void)state;
    double v[6] = {1, 2, 3, 4, NAN, 5}, mean, lo, hi;
    cc_bootstrap_mean(v, 6, 2000, 7, &mean, &lo, &hi);
    assert_true(fabs(mean - 3.0) < 1e-12); /* NaN left out */
    assert_true(lo < mean && mean < hi && lo >= 1.0 && hi <= 5.0);
    double same[3] = {2, 2, 2};
    cc_bootstrap_mean(same, 3, 100, 7, &mean, &lo, &hi);
    assert_true(lo == 2.0 && hi == 2.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_area_measures_by_hand), cmocka_unit_test(test_auc_and_ap_by_hand),
                                       cmocka_unit_test(test_empty_map_is_undefined), cmocka_unit_test(test_bootstrap),
                                       cmocka_unit_test(test_nan_scores_end)};
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
