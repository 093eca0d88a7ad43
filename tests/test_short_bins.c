/* host/short_bins.h: which bins are far below the bins before them, on series set by
 * hand (one cell, one channel), each case's verdict worked out from the rules: the year's
 * median (half; 40% for days) and the 8 nearest bins' (70%; 50% for days), both 5 Poisson
 * deviations down, the short bins themselves left out of what later bins are judged by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "heatmaps/tensor.h"
#include "host/short_bins.h"

/* A one-cell tensor of `n` bins of kind `bin` whose totals are `totals`. */
static void series(cc_tensor *t, cc_bin_kind bin, const double *totals, int n) {
    assert_int_equal(cc_tensor_alloc(t, n, 1, 1, 1), 0);
    t->bin = bin;
    for (int b = 0; b < n; b++) {
        t->values[b] = (float)totals[b];
        t->time[b] = 16800 + (bin == CC_BIN_DAY ? b : 7 * b); /* days since 1970 */
    }
}

static int short_count(cc_bin_kind bin, const double *totals, int n, int first, cc_short_bins *out) {
    cc_tensor t;
    series(&t, bin, totals, n);
    int count = cc_find_short_bins(&t, first, n - 1, out);
    cc_tensor_free(&t);
    return count;
}

/* 60 weeks of 1000, then 52 empty: every empty week is short, each against the weeks
 * before the gap (judged against the gap itself, half of them passed). */
static void test_long_gap(void **unused) {
    (void)unused;
    double totals[112];
    for (int b = 0; b < 112; b++) totals[b] = b < 60 ? 1000 : 0;
    cc_short_bins out;
    assert_int_equal(short_count(CC_BIN_WEEK, totals, 112, 34, &out), 52);
    assert_int_equal(out.first_short, 60);
    assert_non_null(strstr(out.listed, "(0, where the 52 weeks before it had a median of 1000)"));
    assert_non_null(strstr(out.listed, ", ..."));
}

/* Weeks of 1000: a last week of 600 is short by the 8 weeks (60% < 70%, and 5 sd below:
 * 1000 - 158), not by the year (above half); one of 750 is neither. */
static void test_recent_week(void **unused) {
    (void)unused;
    double totals[70];
    for (int b = 0; b < 70; b++) totals[b] = 1000;
    cc_short_bins out;
    totals[69] = 600;
    assert_int_equal(short_count(CC_BIN_WEEK, totals, 70, 60, &out), 1);
    assert_string_equal(out.listed, "2017-04-27 (600: 60% of the 8 weeks before it)");
    totals[69] = 750;
    assert_int_equal(short_count(CC_BIN_WEEK, totals, 70, 60, &out), 0);
    assert_int_equal(out.first_short, -1);
}

/* Days of 700: a holiday at 52% of them (Chicago's Christmas Day) is no gap for days
 * (above 40% of the year, 50% of the 8); one at 30% is, by the year. */
static void test_day_holiday(void **unused) {
    (void)unused;
    double totals[400];
    for (int b = 0; b < 400; b++) totals[b] = 700;
    cc_short_bins out;
    totals[399] = 364;
    assert_int_equal(short_count(CC_BIN_DAY, totals, 400, 390, &out), 0);
    totals[399] = 210;
    assert_int_equal(short_count(CC_BIN_DAY, totals, 400, 390, &out), 1);
    assert_non_null(strstr(out.listed, "(210, where the 364 days before it had a median of 700)"));
}

/* Too little before it (3 bins): not judged. Few incidents (a usual 20): 9 is not 5 sd
 * down (20 - 22.4 < 0), so not short; none is one in e^20, so short. */
static void test_too_little(void **unused) {
    (void)unused;
    double early[4] = {1000, 1000, 1000, 0}, sparse[30];
    cc_short_bins out;
    assert_int_equal(short_count(CC_BIN_WEEK, early, 4, 3, &out), 0);
    for (int b = 0; b < 30; b++) sparse[b] = 20;
    sparse[29] = 9;
    assert_int_equal(short_count(CC_BIN_WEEK, sparse, 30, 29, &out), 0);
    sparse[29] = 0; /* none where 20 are usual: one in e^20 */
    assert_int_equal(short_count(CC_BIN_WEEK, sparse, 30, 29, &out), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_gap),
        cmocka_unit_test(test_recent_week),
        cmocka_unit_test(test_day_holiday),
        cmocka_unit_test(test_too_little),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
