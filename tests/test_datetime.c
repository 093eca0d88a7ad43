/* Date-time parsing: every form the portals write, and the invalid ones rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crawler/datetime.h"

static void expect_time(const char *text, const char *formatted, cc_time_precision precision) {
    cc_local_time t;
    if (cc_parse_local_time(text, &t) != 0) fail_msg("'%s' was rejected", text);
    char out[17];
    cc_format_local_time(&t, out);
    assert_string_equal(out, formatted);
    assert_int_equal(t.precision, precision);
}

static void expect_rejected(const char *text) {
    cc_local_time t;
    if (cc_parse_local_time(text, &t) == 0) fail_msg("'%s' was accepted", text);
}

static void test_twelve_hour_clock(void **state) {
    (void)state;
    expect_time("01/01/2015 12:00:00 AM", "2015-01-01 00:00", CC_TIME_MINUTE); /* midnight */
    expect_time("01/01/2015 12:30:00 PM", "2015-01-01 12:30", CC_TIME_MINUTE); /* noon */
    expect_time("12/31/2017 11:58:00 PM", "2017-12-31 23:58", CC_TIME_MINUTE);
    expect_time("07/04/2016 01:05:59 AM", "2016-07-04 01:05", CC_TIME_MINUTE);
    expect_time("2014-12-31 11:55:00PM", "2014-12-31 23:55", CC_TIME_MINUTE);   /* SF test weeks */
    expect_time("2018/01/01 12:00:00 AM", "2018-01-01 00:00", CC_TIME_MINUTE);  /* SF 2018- */
    expect_time("3/7/2020 9:15 pm", "2020-03-07 21:15", CC_TIME_MINUTE);
}

static void test_twenty_four_hour_and_iso(void **state) {
    (void)state;
    expect_time("2015-05-13 23:53:00", "2015-05-13 23:53", CC_TIME_MINUTE);     /* Kaggle */
    expect_time("2015-01-01T00:00:00.000", "2015-01-01 00:00", CC_TIME_MINUTE); /* SODA */
    expect_time("2019-06-30T18:45:12.123456", "2019-06-30 18:45", CC_TIME_MINUTE);
    expect_time("01/08/2020 00:00", "2020-01-08 00:00", CC_TIME_MINUTE);        /* LA resaved */
    expect_time("02/29/2016 13:07", "2016-02-29 13:07", CC_TIME_MINUTE);
    /* blanks around a date are no part of it: two before it read as year 1, one after it
     * as a bad clock (a probe's hand-edited CSV) */
    expect_time("  01/01/2015 08:00:00 AM", "2015-01-01 08:00", CC_TIME_MINUTE);
    expect_time("01/01/2015 12:01:00 AM ", "2015-01-01 00:01", CC_TIME_MINUTE);
    expect_time("\t2018-03-09\t ", "2018-03-09 00:00", CC_TIME_DAY);
}

static void test_day_and_month_precision(void **state) {
    (void)state;
    expect_time("01/19/2015", "2015-01-19 00:00", CC_TIME_DAY);
    expect_time("2018-03-09", "2018-03-09 00:00", CC_TIME_DAY);
    expect_time("2016-01", "2016-01-01 00:00", CC_TIME_MONTH); /* police.uk */
    expect_time("2024-12", "2024-12-01 00:00", CC_TIME_MONTH);
}

static void test_invalid_dates(void **state) {
    (void)state;
    const char *bad[] = {"", "   ", "not a date", "2015-13-01", "2015-00-10", "02/30/2016",
                         "02/29/2015", "04/31/2017", "2015-02-29 10:00", "01/01/2015 24:00",
                         "01/01/2015 13:00:00 PM", "01/01/2015 00:00:00 AM", "01/01/2015 10:60",
                         "2016-1", "2016-01-01X10:00", "01/01/15", "2015/01", "2016-01-05 10:00 XM",
                         "12/31/2017 11:58:00 PM trailing"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_rejected(bad[i]);
}

static void test_leap_years(void **state) {
    (void)state;
    assert_int_equal(cc_days_in_month(2000, 2), 29);
    assert_int_equal(cc_days_in_month(1900, 2), 28);
    assert_int_equal(cc_days_in_month(2024, 2), 29);
    assert_int_equal(cc_days_in_month(2023, 2), 28);
    assert_int_equal(cc_days_in_month(2023, 4), 30);
    assert_int_equal(cc_days_in_month(2023, 13), 0);
}

static void test_time_of_day(void **state) {
    (void)state;
    int h, m;
    assert_int_equal(cc_parse_time_of_day("2230", &h, &m), 0);
    assert_int_equal(h * 60 + m, 22 * 60 + 30);
    assert_int_equal(cc_parse_time_of_day("5", &h, &m), 0); /* LA: 00:05 with zeros lost */
    assert_int_equal(h * 60 + m, 5);
    assert_int_equal(cc_parse_time_of_day("0001", &h, &m), 0);
    assert_int_equal(h * 60 + m, 1);
    assert_int_equal(cc_parse_time_of_day("14:00", &h, &m), 0);
    assert_int_equal(h * 60 + m, 14 * 60);
    assert_int_equal(cc_parse_time_of_day("09:15:30", &h, &m), 0);
    assert_int_equal(h * 60 + m, 9 * 60 + 15);
    assert_int_equal(cc_parse_time_of_day("2400", &h, &m), -1);
    assert_int_equal(cc_parse_time_of_day("1260", &h, &m), -1);
    assert_int_equal(cc_parse_time_of_day("12345", &h, &m), -1);
    assert_int_equal(cc_parse_time_of_day("ab", &h, &m), -1);
    assert_int_equal(cc_parse_time_of_day("", &h, &m), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twelve_hour_clock),     cmocka_unit_test(test_twenty_four_hour_and_iso),
        cmocka_unit_test(test_day_and_month_precision), cmocka_unit_test(test_invalid_dates),
        cmocka_unit_test(test_leap_years),            cmocka_unit_test(test_time_of_day),
    };
    return cmocka_run_group_tests_name("datetime", tests, NULL, NULL);
}
