/* The date and time parsers every record and option goes through (crawler/datetime.h).
 *
 * Input: text (up to 64 bytes, cut at a NUL as a C string would be).
 *
 * Promises checked: what parses is a real calendar time (month 1-12, a day of that
 * month, 00:00-23:59), prints as "YYYY-MM-DD HH:MM" and parses back to itself; an ISO
 * date parses back from its own printing to the same day, and days <-> civil dates
 * round-trip. */
#include <stdio.h>
#include <string.h>

#include "crawler/datetime.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_calendar(int year, int month, int day, const char *text) {
    FUZZ_CHECK(month >= 1 && month <= 12 && day >= 1 && day <= cc_days_in_month(year, month),
               "'%s' parsed to %d-%d-%d", text, year, month, day);
    int y, m, d;
    cc_civil_from_days(cc_days_from_civil(year, month, day), &y, &m, &d);
    FUZZ_CHECK(y == year && m == month && d == day, "%d-%d-%d round-trips to %d-%d-%d", year, month, day, y, m, d);
}

static void check_local_time(const char *text) {
    cc_local_time t;
    if (cc_parse_local_time(text, &t) != 0) return;
    check_calendar(t.year, t.month, t.day, text);
    FUZZ_CHECK(t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59, "'%s' parsed to %02d:%02d", text,
               t.hour, t.minute);
    FUZZ_CHECK(t.precision == CC_TIME_MINUTE || t.precision == CC_TIME_DAY || t.precision == CC_TIME_MONTH,
               "'%s': precision %d", text, (int)t.precision);
    char printed[17];
    cc_format_local_time(&t, printed);
    FUZZ_CHECK(strlen(printed) == 16, "'%s' printed as '%s'", text, printed);
    cc_local_time back;
    FUZZ_CHECK(cc_parse_local_time(printed, &back) == 0 && back.year == t.year && back.month == t.month &&
                   back.day == t.day && back.hour == t.hour && back.minute == t.minute,
               "'%s' printed as '%s', which does not parse back", text, printed);
}

static void check_iso_date(const char *text) {
    int64_t days;
    if (cc_parse_iso_date(text, &days) != 0) return;
    char printed[11];
    cc_format_iso_date(days, printed);
    int64_t back;
    FUZZ_CHECK(cc_parse_iso_date(printed, &back) == 0 && back == days, "'%s' (day %lld) printed as '%s'", text,
               (long long)days, printed);
    int y, m, d;
    cc_civil_from_days(days, &y, &m, &d);
    check_calendar(y, m, d, text);
}

static void check_time_of_day(const char *text) {
    int hour, minute;
    if (cc_parse_time_of_day(text, &hour, &minute) != 0) return;
    FUZZ_CHECK(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59, "'%s' parsed to %d:%d", text, hour, minute);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char text[65];
    size_t n = size < 64 ? size : 64;
    memcpy(text, data, n);
    text[n] = '\0';
    check_local_time(text);
    check_iso_date(text);
    check_time_of_day(text);
    return 0;
}
