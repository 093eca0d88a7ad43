/* Hit rate, PAI and PEI on hand-computed maps, ties included; AUC and AP on small cases
 * worked out by hand; the bootstrap interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "host/metrics_table.h"
#include "models/metrics.h"

static void test_area_measures_by_hand(void **state) {
    (void)state;
    /* 20 cells, 10 crimes: 4 in cell 3, 3 in cell 7, 2 in cell 11, 1 in cell 0. */
    float y[20] = {0}, p[20] = {0};
    y[3] = 4, y[7] = 3, y[11] = 2, y[0] = 1;
    /* The forecast ranks cell 7 first, then cells 3 and 5 tied. */
    p[7] = 9, p[3] = 5, p[5] = 5, p[11] = 1;
    int scratch[60];
    const double topk[2] = {5, 10}; /* 1 cell, then 2 cells */
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 20, CC_HOTSPOT_TOP10, topk, 2, scratch, &m);
    /* 1 cell flagged: cell 7 holds 3 of 10; the best single cell held 4. */
    assert_true(fabs(m.hit[0] - 0.3) < 1e-12);
    assert_true(fabs(m.pai[0] - 0.3 / (1.0 / 20)) < 1e-12);
    assert_true(fabs(m.pei[0] - 3.0 / 4.0) < 1e-12);
    /* 2 cells: 7, then half of 3 and half of 5 (tied for the last place): 3 + 4/2 + 0/2
     * = 5 of 10, the best 2 cells held 7. */
    assert_true(fabs(m.hit[1] - 0.5) < 1e-12);
    assert_true(fabs(m.pai[1] - 0.5 / 0.1) < 1e-12);
    assert_true(fabs(m.pei[1] - 5.0 / 7.0) < 1e-12);
    /* k = 2 hotspots (cells 3, 7); flagged 7, half of 3, half of 5: TP = 1.5, F1 = 1.5/2. */
    assert_true(fabs(m.f1 - 0.75) < 1e-12);
    assert_true(fabs(m.mae - (1 + 1 + 5 + 6 + 1) / 20.0) < 1e-12); /* cells 0, 3, 5, 7, 11 */
}

static void test_auc_and_ap_by_hand(void **state) {
    (void)state;
    int scratch[8];
    /* Positives scored 0.9 and 0.5; negatives 0.5, 0.1: of 4 pairs, 3 won and 1 tied. */
    double labels[4] = {1, 1, 0, 0};
    float scores[4] = {0.9f, 0.5f, 0.5f, 0.1f};
    assert_true(fabs(cc_roc_auc(labels, scores, 4, scratch) - 3.5 / 4) < 1e-12);
    /* Thresholds 0.9: recall 1/2 at precision 1; 0.5: recall 1 at precision 2/3. */
    assert_true(fabs(cc_average_precision(labels, scores, 4, scratch) - (0.5 * 1 + 0.5 * 2.0 / 3)) < 1e-12);
    double none[4] = {0, 0, 0, 0};
    assert_true(isnan(cc_roc_auc(none, scores, 4, scratch)));
    assert_true(isnan(cc_average_precision(none, scores, 4, scratch)));
}

/* A sparse map, as at 150 m: 6 crimes in 4 of 20 cells. k = 2 hotspots: the cell of 3
 * crimes, and one place shared by the three cells of 1 (a third each). A forecast of
 * nothing anywhere (persistence after an empty week) ranks no cell above another: AUC
 * one half, AP the positive share 2/20, the 2 flagged cells a tenth of every cell. */
static void test_sparse_map_shares_ties(void **state) {
    (void)state;
    float y[20] = {0}, p[20] = {0};
    y[4] = 3, y[1] = y[9] = y[15] = 1;
    int scratch[60];
    double w[20];
    cc_hotspot_weights(y, 20, CC_HOTSPOT_TOP10, scratch, w);
    assert_true(w[4] == 1.0 && fabs(w[1] - 1.0 / 3) < 1e-15 && fabs(w[15] - 1.0 / 3) < 1e-15 && w[0] == 0);
    cc_hotspot_weights(y, 20, CC_HOTSPOT_OCCURRENCE, scratch, w);
    assert_true(w[4] == 1 && w[1] == 1 && w[9] == 1 && w[15] == 1 && w[0] == 0 && w[19] == 0);
    const double topk[1] = {10};
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 20, CC_HOTSPOT_TOP10, topk, 1, scratch, &m);
    assert_true(fabs(m.auc - 0.5) < 1e-12 && fabs(m.ap - 0.1) < 1e-12);
    assert_true(fabs(m.f1 - 0.1) < 1e-12);                       /* TP = 0.1 x 2 of k = 2 */
    assert_true(fabs(m.hit[0] - 0.1) < 1e-12 && fabs(m.pai[0] - 1.0) < 1e-12);
    assert_true(fabs(m.pei[0] - 0.6 / 4) < 1e-12);               /* the best 2 cells held 4 */
    /* Occurrence: 4 positives; a forecast of 2 at cell 4 and 1 at cells 1 and 7 ranks
     * positives 4, 1 first, then 7 (a negative), then 17 cells tied at 0 (2 positives). */
    p[4] = 2, p[1] = 1, p[7] = 1;
    cc_map_metrics_compute(y, p, 20, CC_HOTSPOT_OCCURRENCE, topk, 1, scratch, &m);
    /* wins: 4 beats 16 negatives, 1 beats 15 and ties 1 (7), 9 and 15 tie 15 each. */
    double wins = 16 + 15 + 0.5 + 2 * (0.5 * 15);
    assert_true(fabs(m.auc - wins / (4.0 * 16)) < 1e-12);
    /* Thresholds: 2 -> recall 1/4 at precision 1; 1 -> 2/4 at 2/3; 0 -> 1 at 4/20. */
    assert_true(fabs(m.ap - (0.25 * 1 + 0.25 * 2.0 / 3 + 0.5 * 0.2)) < 1e-12);
    /* F1: k = 4 flagged: cells 4, 1, 7 and one place shared by the 17 zeros (2 positives). */
    assert_true(fabs(m.f1 - (2 + 2.0 / 17) / 4) < 1e-12);
}

/* A map with no crime (a day of a rare category) has no hotspot, under either label: its
 * AUC, AP and F1 are undefined, as its hit rate is, not the 0.5, 0.1 and 0.1 of 10% of
 * the cells tied at zero, which pulled a sparse category's mean towards chance. */
static void test_map_without_crime_has_no_hotspot(void **state) {
    (void)state;
    float y[20] = {0}, p[20] = {0};
    p[3] = 2, p[7] = 1;
    int scratch[60];
    double w[20];
    for (int label = 0; label < 2; label++) {
        cc_hotspot_weights(y, 20, (cc_hotspot_label)label, scratch, w);
        for (int i = 0; i < 20; i++) assert_true(w[i] == 0.0);
        const double topk[1] = {10};
        cc_map_metrics m;
        cc_map_metrics_compute(y, p, 20, (cc_hotspot_label)label, topk, 1, scratch, &m);
        assert_true(isnan(m.auc) && isnan(m.ap) && isnan(m.f1) && isnan(m.hit[0]) && isnan(m.pai[0]));
        assert_true(fabs(m.mse - 5.0 / 20) < 1e-12); /* the count errors stay defined */
    }
}

/* No figure depends on where the cells lie: the same map with its cells reversed. */
static void test_figures_ignore_cell_order(void **state) {
    (void)state;
    float y[30], p[30], ry[30], rp[30];
    for (int i = 0; i < 30; i++) {
        y[i] = (float)((i * 7) % 5 == 0 ? (i % 3) : 0);
        p[i] = (float)((i * 11) % 4);
        ry[29 - i] = y[i], rp[29 - i] = p[i];
    }
    int scratch[90];
    const double topk[2] = {5, 20};
    for (int label = 0; label < 2; label++) {
        cc_map_metrics a, b;
        cc_map_metrics_compute(y, p, 30, (cc_hotspot_label)label, topk, 2, scratch, &a);
        cc_map_metrics_compute(ry, rp, 30, (cc_hotspot_label)label, topk, 2, scratch, &b);
        assert_true(fabs(a.auc - b.auc) < 1e-12 && fabs(a.ap - b.ap) < 1e-12 && fabs(a.f1 - b.f1) < 1e-12);
        for (int t = 0; t < 2; t++)
            assert_true(fabs(a.hit[t] - b.hit[t]) < 1e-12 && fabs(a.pei[t] - b.pei[t]) < 1e-12);
    }
}

static void test_empty_map_is_undefined(void **state) {
    (void)state;
    float y[10] = {0}, p[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    int scratch[30];
    const double topk[1] = {10};
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 10, CC_HOTSPOT_TOP10, topk, 1, scratch, &m);
    assert_true(isnan(m.hit[0]) && isnan(m.pai[0]) && isnan(m.pei[0]));
    assert_true(fabs(m.mse - 38.5) < 1e-12); /* mean of squares 1..10 */
}

/* A NaN among the scores used to hang the tie groups (NaN equals nothing, itself included):
 * every ranking figure is NaN instead, at once, and the whole map's figures too. */
static void test_nan_scores_end(void **state) {
    (void)state;
    int scratch[30];
    double labels[4] = {1, 0, 1, 0};
    float scores[4] = {0.9f, NAN, 0.5f, 0.1f};
    double tpr[5];
    assert_true(isnan(cc_roc_auc(labels, scores, 4, scratch)));
    assert_true(isnan(cc_average_precision(labels, scores, 4, scratch)));
    assert_int_equal(cc_roc_curve_sampled(labels, scores, 4, scratch, 5, tpr), -1);
    float y[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, p[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, INFINITY};
    const double topk[1] = {10};
    cc_map_metrics m;
    cc_map_metrics_compute(y, p, 10, CC_HOTSPOT_TOP10, topk, 1, scratch, &m);
    assert_true(isnan(m.mse) && isnan(m.deviance) && isnan(m.auc) && isnan(m.ap) && isnan(m.pai[0]));
}

static void test_bootstrap(void **state) {
    (void)state;
    double v[12] = {1, 2, 3, 4, NAN, 5, 6, 7, 8, 9, 10, 11}, mean, lo, hi;
    cc_bootstrap_mean(v, 12, 2000, 7, &mean, &lo, &hi);
    assert_true(fabs(mean - 6.0) < 1e-12); /* NaN left out */
    assert_true(lo < mean && mean < hi && lo >= 1.0 && hi <= 11.0);
    double same[10] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    cc_bootstrap_mean(same, 10, 100, 7, &mean, &lo, &hi);
    assert_true(mean == 2.0 && lo == 2.0 && hi == 2.0);
    /* Ten values make an interval, nine (the NaN is none of them) do not: the mean alone. */
    cc_bootstrap_mean(v, 10, 2000, 7, &mean, &lo, &hi);
    assert_true(fabs(mean - 5.0) < 1e-12 && isnan(lo) && isnan(hi)); /* (1+...+9) / 9 */
    cc_bootstrap_mean(v, 1, 2000, 7, &mean, &lo, &hi);
    assert_true(mean == 1.0 && isnan(lo) && isnan(hi));
    /* Blocks: of one bin, the single bins' bootstrap bit for bit; of two, an interval
     * about the same mean inside the values' range; too few values, none. */
    double blo, bhi, bmean;
    cc_bootstrap_mean(v, 12, 2000, 7, &mean, &lo, &hi);
    cc_bootstrap_mean_blocks(v, 12, 1, 2000, 7, &bmean, &blo, &bhi);
    assert_true(bmean == mean && blo == lo && bhi == hi);
    cc_bootstrap_mean_blocks(v, 12, 2, 2000, 7, &bmean, &blo, &bhi);
    assert_true(fabs(bmean - 6.0) < 1e-12 && blo < bmean && bmean < bhi && blo >= 1.0 && bhi <= 11.0);
    cc_bootstrap_mean_blocks(v, 10, 3, 2000, 7, &bmean, &blo, &bhi);
    assert_true(fabs(bmean - 5.0) < 1e-12 && isnan(blo) && isnan(bhi));
    /* Fewer than five blocks in the series (12 values, blocks of 3): no interval either
     * (a block of all 12 gave every resample the same mean, a zero-width interval). */
    cc_bootstrap_mean_blocks(v, 12, 3, 2000, 7, &bmean, &blo, &bhi);
    assert_true(fabs(bmean - 6.0) < 1e-12 && isnan(blo) && isnan(bhi));
}

/* cc_rank_cells by hand: highest first, ties in index order, masked cells left out. */
static void test_rank_cells(void **state) {
    (void)state;
    const float map[8] = {2, 5, 2, 9, 5, 0, 7, 2};
    const unsigned char mask[8] = {1, 1, 1, 1, 1, 1, 0, 1};
    int order[8], want[7] = {3, 1, 4, 0, 2, 7, 5};
    assert_int_equal(cc_rank_cells(map, mask, 8, order), 7);
    assert_memory_equal(order, want, sizeof want);
    int all[8], want_all[8] = {3, 6, 1, 4, 0, 2, 7, 5};
    assert_int_equal(cc_rank_cells(map, NULL, 8, all), 8);
    assert_memory_equal(all, want_all, sizeof want_all);
}

/* The ranking (now a heapsort, which needs no memory) against the definition checked
 * pair by pair on random maps of many ties and some NaN: every cell ranks before the
 * next, and each appears once. */
static void test_rank_cells_random(void **state) {
    (void)state;
    unsigned rng = 12345;
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + trial % 97;
        float map[97];
        int order[97], seen[97] = {0};
        for (int i = 0; i < n; i++) {
            rng = rng * 1103515245u + 12345u;
            int draw = (int)((rng >> 16) % 9);
            map[i] = draw == 8 ? NAN : (float)(draw % 4) - 1.5f; /* four values, many ties; NaN one in nine */
        }
        assert_int_equal(cc_rank_cells(map, NULL, n, order), n);
        for (int i = 0; i < n; i++) seen[order[i]]++;
        for (int i = 0; i < n; i++) assert_int_equal(seen[i], 1);
        for (int i = 0; i + 1 < n; i++) {
            float a = map[order[i]], b = map[order[i + 1]];
            int ordered = isnan(a) ? isnan(b) && order[i] < order[i + 1]
                                   : isnan(b) || a > b || (a == b && order[i] < order[i + 1]);
            if (!ordered) fail_msg("trial %d: cell %d (%g) before cell %d (%g)", trial, order[i], a, order[i + 1], b);
        }
    }
}

/* The verdict on a paired interval: ahead or behind only when it excludes 0; an end that
 * is floating-point residue of 0 beside the figures' size (-7.4e-17 beside an F1 of 0.3:
 * a probe's "behind") is snapped to 0 first, one that is not is kept. */
static void test_paired_verdict(void **state) {
    (void)state;
    assert_string_equal(cc_paired_verdict(-0.3, -0.1, 1), "ahead");   /* an error lower: ahead */
    assert_string_equal(cc_paired_verdict(0.1, 0.3, 1), "behind");
    assert_string_equal(cc_paired_verdict(-0.1, 0.3, 1), "tie");
    assert_string_equal(cc_paired_verdict(0.1, 0.3, 0), "ahead");     /* an AUC higher: ahead */
    double mean = -0.011, lo = -0.0244, hi = -7.4e-17;
    cc_paired_snap(&mean, &lo, &hi, 0.3);
    assert_true(mean == -0.011 && lo == -0.0244 && hi == 0.0);
    assert_string_equal(cc_paired_verdict(lo, hi, 0), "tie");
    mean = 1e-17, lo = 4e-18, hi = 2e-17; /* figures of 1e-16: their differences are no residue */
    cc_paired_snap(&mean, &lo, &hi, 1e-16);
    assert_true(lo == 4e-18 && hi == 2e-17);
    assert_string_equal(cc_paired_verdict(lo, hi, 1), "behind");
    mean = lo = hi = NAN;
    cc_paired_snap(&mean, &lo, &hi, 1.0);
    assert_true(isnan(mean) && isnan(lo) && isnan(hi));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_area_measures_by_hand), cmocka_unit_test(test_auc_and_ap_by_hand),
                                       cmocka_unit_test(test_sparse_map_shares_ties),
        cmocka_unit_test(test_map_without_crime_has_no_hotspot),
                                       cmocka_unit_test(test_figures_ignore_cell_order),
                                       cmocka_unit_test(test_empty_map_is_undefined), cmocka_unit_test(test_bootstrap),
                                       cmocka_unit_test(test_nan_scores_end), cmocka_unit_test(test_rank_cells),
                                       cmocka_unit_test(test_rank_cells_random),
                                       cmocka_unit_test(test_paired_verdict)};
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
