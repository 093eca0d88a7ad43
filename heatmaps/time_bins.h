/* The time axis of a tensor: local calendar days, ISO weeks (Monday to Sunday, so
 * every bin is 7 days and a 53-week year has no short week) or calendar months.
 *
 * Days are counted from 1970-01-01 on the proleptic Gregorian calendar of the city's
 * local wall clock: incidents are stored in local time, so no time zone arithmetic
 * happens here. A bin is [start, next start); an axis over [from, to) holds only
 * whole bins: partial bins at either end are dropped (and their days reported). */
#ifndef CRIMECAST_HEATMAPS_TIME_BINS_H
#define CRIMECAST_HEATMAPS_TIME_BINS_H

#include <stdint.h>

#include "crawler/datetime.h"

typedef enum { CC_BIN_DAY, CC_BIN_WEEK, CC_BIN_MONTH } cc_bin_kind;

int cc_bin_kind_parse(const char *name, cc_bin_kind *kind);
const char *cc_bin_kind_name(cc_bin_kind kind);
/* Bins in a year, as the seasonal lag and yearly averages count them: 364 days (52 whole
 * weeks, so a day lines up with its weekday), 52 weeks, 12 months. */
int cc_bin_kind_per_year(cc_bin_kind kind);
/* The day after the bin that starts on `start`: its exclusive end. */
int64_t cc_bin_end(cc_bin_kind kind, int64_t start);

/* 0 Monday ... 6 Sunday. */
int cc_weekday(int64_t days);

typedef struct cc_time_axis {
    cc_bin_kind kind;
    int count;              /* number of whole bins */
    int64_t first_start;    /* first bin's first day */
    int64_t end;            /* day after the last bin */
    int first_month;        /* months since year 0 of the first bin (month bins) */
    int64_t dropped_head_days, dropped_tail_days;
} cc_time_axis;

/* Builds the axis of whole bins inside [from, to). Returns 0, or -1 when no whole bin
 * fits. */
int cc_time_axis_build(cc_bin_kind kind, int64_t from, int64_t to, cc_time_axis *axis);

/* Start day of bin i. */
int64_t cc_time_axis_start(const cc_time_axis *axis, int i);

/* Bin of the local date (year, month, day), or -1 when outside the axis. */
int cc_time_axis_bin(const cc_time_axis *axis, int year, int month, int day);

#endif
