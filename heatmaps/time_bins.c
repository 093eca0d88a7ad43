#include "heatmaps/time_bins.h"

#include <stdio.h>
#include <string.h>

#include "crawler/datetime.h"

int cc_bin_kind_parse(const char *name, cc_bin_kind *kind) {
    static const char *const NAMES[] = {"day", "week", "month"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, NAMES[i])) {
            *kind = (cc_bin_kind)i;
            return 0;
        }
    return -1;
}

const char *cc_bin_kind_name(cc_bin_kind kind) {
    switch (kind) {
    case CC_BIN_DAY: return "day";
    case CC_BIN_WEEK: return "week";
    case CC_BIN_MONTH: return "month";
    }
    return "?";
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t cc_days_from_civil(int year, int month, int day) {
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cc_civil_from_days(int64_t z, int *year, int *month, int *day) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

int cc_parse_iso_date(const char *text, int64_t *days) {
    int y, m, d;
    char extra;
    if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) return -1;
    if (y < 1800 || y > 2200 || d < 1 || d > cc_days_in_month(y, m)) return -1;
    *days = cc_days_from_civil(y, m, d);
    return 0;
}

void cc_format_iso_date(int64_t days, char out[11]) {
    int y, m, d;
    cc_civil_from_days(days, &y, &m, &d);
    char text[48]; /* roomy: the compiler cannot see that y has 4 digits */
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
    memcpy(out, text, 10);
    out[10] = '\0';
}

int cc_weekday(int64_t days) {
    /* 1970-01-01 was a Thursday (3 counting from Monday = 0). */
    return (int)(((days % 7) + 7 + 3) % 7);
}

static int months_since_zero(int64_t days) {
    int y, m, d;
    cc_civil_from_days(days, &y, &m, &d);
    return y * 12 + (m - 1);
}

static int64_t month_start(int months) {
    return cc_days_from_civil(months / 12, months % 12 + 1, 1);
}

int cc_time_axis_build(cc_bin_kind kind, int64_t from, int64_t to, cc_time_axis *axis) {
    memset(axis, 0, sizeof *axis);
    axis->kind = kind;
    if (kind == CC_BIN_DAY) {
        axis->first_start = from;
        axis->count = to > from ? (int)(to - from) : 0;
    } else if (kind == CC_BIN_WEEK) {
        axis->first_start = from + (7 - cc_weekday(from)) % 7;
        axis->count = to > axis->first_start ? (int)((to - axis->first_start) / 7) : 0;
    } else {
        int first = months_since_zero(from);
        if (month_start(first) < from) first++;
        axis->first_month = first;
        axis->first_start = month_start(first);
        while (month_start(first + axis->count + 1) <= to) axis->count++;
    }
    if (axis->count <= 0) return -1;
    axis->end = cc_time_axis_start(axis, axis->count);
    axis->dropped_head_days = axis->first_start - from;
    axis->dropped_tail_days = to - axis->end;
    return 0;
}

int64_t cc_time_axis_start(const cc_time_axis *axis, int i) {
    switch (axis->kind) {
    case CC_BIN_DAY: return axis->first_start + i;
    case CC_BIN_WEEK: return axis->first_start + 7 * (int64_t)i;
    case CC_BIN_MONTH: return month_start(axis->first_month + i);
    }
    return 0;
}

int cc_time_axis_bin(const cc_time_axis *axis, int year, int month, int day) {
    int64_t bin;
    if (axis->kind == CC_BIN_MONTH) {
        bin = (int64_t)year * 12 + (month - 1) - axis->first_month;
    } else {
        int64_t offset = cc_days_from_civil(year, month, day) - axis->first_start;
        if (offset < 0) return -1;
        bin = axis->kind == CC_BIN_WEEK ? offset / 7 : offset;
    }
    return bin >= 0 && bin < axis->count ? (int)bin : -1;
}
