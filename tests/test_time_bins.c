/* Calendar arithmetic and time axes: day counts checked against the Gregorian rules
 * day by day, ISO weeks (Monday start, the 53-week years), month bins, partial bins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawler/datetime.h"
#include "heatmaps/time_bins.h"

static void test_day_counts_follow_the_calendar(void **state) {
    (void)state;
    assert_int_equal(cc_days_from_civil(1970, 1, 1), 0);
    /* Walk 1900..2100 one day at a time with the month lengths of datetime.c. */
    int64_t expected = cc_days_from_civil(1900, 1, 1);
    assert_int_equal(expected, -25567); /* 70 years, 17 of them leap: -(70 * 365 + 17) */
    for (int y = 1900; y <= 2100; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= cc_days_in_month(y, m); d++) {
                assert_int_equal(cc_days_from_civil(y, m, d), expected);
                int yy, mm, dd;
                cc_civil_from_days(expected, &yy, &mm, &dd);
                assert_true(yy == y && mm == m && dd == d);
                expected++;
            }
}

static void test_weekdays(void **state) {
    (void)state;
    assert_int_equal(cc_weekday(0), 3);                                  /* 1970-01-01 Thursday */
    assert_int_equal(cc_weekday(cc_days_from_civil(2015, 12, 28)), 0);  /* Monday */
    assert_int_equal(cc_weekday(cc_days_from_civil(2012, 1, 1)), 6);     /* Sunday */
    assert_int_equal(cc_weekday(cc_days_from_civil(1969, 12, 29)), 0);   /* before the epoch */
}

static void test_iso_weeks_and_the_53rd_week(void **state) {
    (void)state;
    cc_time_axis axis;
    /* 2020 has 53 ISO weeks: week 53 runs Monday 2020-12-28 to Sunday 2021-01-03. */
    int64_t from = cc_days_from_civil(2020, 12, 23), to = cc_days_from_civil(2021, 1, 13);
    assert_int_equal(cc_time_axis_build(CC_BIN_WEEK, from, to, &axis), 0);
    assert_int_equal(axis.count, 2);
    assert_int_equal(cc_time_axis_start(&axis, 0), cc_days_from_civil(2020, 12, 28));
    assert_int_equal(cc_time_axis_start(&axis, 1), cc_days_from_civil(2021, 1, 4));
    assert_int_equal(axis.dropped_head_days, 5);  /* Wed 23 .. Sun 27 */
    assert_int_equal(axis.dropped_tail_days, 2);  /* Mon 11, Tue 12 */
    assert_int_equal(cc_time_axis_bin(&axis, 2020, 12, 27), -1);
    assert_int_equal(cc_time_axis_bin(&axis, 2020, 12, 28), 0);
    assert_int_equal(cc_time_axis_bin(&axis, 2021, 1, 3), 0);   /* the same full 7-day week */
    assert_int_equal(cc_time_axis_bin(&axis, 2021, 1, 4), 1);
    assert_int_equal(cc_time_axis_bin(&axis, 2021, 1, 10), 1);
    assert_int_equal(cc_time_axis_bin(&axis, 2021, 1, 11), -1);
    /* Six years of weeks from a Monday: 313 whole weeks up to 2017-12-31. */
    assert_int_equal(cc_time_axis_build(CC_BIN_WEEK, cc_days_from_civil(2012, 1, 2),
                                        cc_days_from_civil(2018, 1, 1), &axis), 0);
    assert_int_equal(axis.count, 313);
    assert_int_equal(axis.dropped_head_days + axis.dropped_tail_days, 0);
}

static void test_month_bins(void **state) {
    (void)state;
    cc_time_axis axis;
    assert_int_equal(cc_time_axis_build(CC_BIN_MONTH, cc_days_from_civil(2016, 1, 15),
                                        cc_days_from_civil(2016, 4, 10), &axis), 0);
    assert_int_equal(axis.count, 2); /* February and March 2016 */
    assert_int_equal(axis.dropped_head_days, 17);
    assert_int_equal(axis.dropped_tail_days, 9);
    assert_int_equal(cc_time_axis_start(&axis, 1), cc_days_from_civil(2016, 3, 1));
    assert_int_equal(cc_time_axis_bin(&axis, 2016, 2, 29), 0);
    assert_int_equal(cc_time_axis_bin(&axis, 2016, 3, 1), 1);
    assert_int_equal(cc_time_axis_bin(&axis, 2016, 1, 31), -1);
    assert_int_equal(cc_time_axis_bin(&axis, 2016, 4, 1), -1);
    /* Across a year end, from the first of a month. */
    assert_int_equal(cc_time_axis_build(CC_BIN_MONTH, cc_days_from_civil(2016, 11, 1),
                                        cc_days_from_civil(2017, 3, 1), &axis), 0);
    assert_int_equal(axis.count, 4);
    assert_int_equal(cc_time_axis_bin(&axis, 2017, 2, 28), 3);
    assert_int_equal(axis.end, cc_days_from_civil(2017, 3, 1));
}

static void test_day_bins_and_empty_spans(void **state) {
    (void)state;
    cc_time_axis axis;
    assert_int_equal(cc_time_axis_build(CC_BIN_DAY, cc_days_from_civil(2016, 2, 28),
                                        cc_days_from_civil(2016, 3, 2), &axis), 0);
    assert_int_equal(axis.count, 3);
    assert_int_equal(cc_time_axis_bin(&axis, 2016, 2, 29), 1);
    assert_int_equal(cc_time_axis_build(CC_BIN_WEEK, cc_days_from_civil(2016, 2, 2),
                                        cc_days_from_civil(2016, 2, 8), &axis), -1);
    assert_int_equal(cc_time_axis_build(CC_BIN_MONTH, cc_days_from_civil(2016, 2, 2),
                                        cc_days_from_civil(2016, 3, 31), &axis), -1);
}

static void test_iso_date_text(void **state) {
    (void)state;
    int64_t d;
    assert_int_equal(cc_parse_iso_date("2016-02-29", &d), 0);
    char out[11];
    cc_format_iso_date(d, out);
    assert_string_equal(out, "2016-02-29");
    assert_int_equal(cc_parse_iso_date("2015-02-29", &d), -1);
    assert_int_equal(cc_parse_iso_date("2015-2-01", &d), -1);
    assert_int_equal(cc_parse_iso_date("2015-02-01x", &d), -1);
    /* ten characters that sscanf's %d read as a date: blanks and signs inside a field */
    const char *not_dates[] = {"2020-+3-02", "2020-03- 2", "2020- 3-02", "2020-03-+2", " 202-03-02", "+202-03-02",
                               "2020/03/02", "2020-03-0a"};
    for (size_t i = 0; i < sizeof not_dates / sizeof *not_dates; i++)
        assert_int_equal(cc_parse_iso_date(not_dates[i], &d), -1);
    cc_bin_kind kind;
    assert_int_equal(cc_bin_kind_parse("week", &kind), 0);
    assert_int_equal(kind, CC_BIN_WEEK);
    assert_int_equal(cc_bin_kind_parse("fortnight", &kind), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_counts_follow_the_calendar), cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_iso_weeks_and_the_53rd_week),   cmocka_unit_test(test_month_bins),
        cmocka_unit_test(test_day_bins_and_empty_spans),       cmocka_unit_test(test_iso_date_text),
    };
    return cmocka_run_group_tests_name("time_bins", tests, NULL, NULL);
}
