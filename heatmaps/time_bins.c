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

int cc_bin_kind_per_year(cc_bin_kind kind) { return kind == CC_BIN_MONTH ? 12 : kind == CC_BIN_DAY ? 364 : 52; }

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

int64_t cc_bin_end(cc_bin_kind kind, int64_t start) {
    switch (kind) {
    case CC_BIN_DAY: return start + 1;
    case CC_BIN_WEEK: return start + 7;
    case CC_BIN_MONTH: return month_start(months_since_zero(start) + 1);
    }
    return start;
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
