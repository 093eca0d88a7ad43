/* Local wall-clock timestamps as the portals write them.
 *
 * Every source gives local time of its city (no zone), at minute, day or month
 * precision. crimecast stores them as "YYYY-MM-DD HH:MM" plus the precision; a
 * day-precision time is midnight of that day, a month-precision time midnight of the
 * first. Accepted forms (seconds and fractions are read and dropped):
 *   YYYY-MM-DD[( |T)HH:MM[:SS[.fff]][ ](AM|PM)]   ISO-like, Socrata floating timestamps
 *   YYYY/MM/DD[ HH:MM[:SS][ ](AM|PM)]             SF 2018- portal CSV
 *   MM/DD/YYYY[ HH:MM[:SS][ ](AM|PM)]             Chicago, LA, SF portal CSV
 *   YYYY-MM                                      police.uk month
 * A 12-hour clock is used when AM/PM follows. Calendar validity is checked (no
 * 31 April, 29 February only in leap years, hours 0-23 or 1-12 with AM/PM). */
#ifndef CRIMECAST_CRAWLER_DATETIME_H
#define CRIMECAST_CRAWLER_DATETIME_H

#include <stdint.h>

typedef enum { CC_TIME_MINUTE, CC_TIME_DAY, CC_TIME_MONTH } cc_time_precision;

typedef struct cc_local_time {
    int year, month, day, hour, minute;
    cc_time_precision precision;
} cc_local_time;

/* Parses `text` into `t`. Returns 0, or -1 when it is not a valid date-time. */
int cc_parse_local_time(const char *text, cc_local_time *t);

/* Parses a time of day: "HH:MM[:SS]", or a bare clock number "HHMM" (LA's TIME OCC,
 * where leading zeros may be lost: "5" is 00:05). Returns 0 or -1. */
int cc_parse_time_of_day(const char *text, int *hour, int *minute);

/* Writes "YYYY-MM-DD HH:MM" (16 characters and a NUL) into out. */
void cc_format_local_time(const cc_local_time *t, char out[17]);

/* "minute", "day" or "month". */
const char *cc_time_precision_name(cc_time_precision precision);

int cc_days_in_month(int year, int month);

/* Days since 1970-01-01 of a (proleptic) Gregorian date, and back. */
int64_t cc_days_from_civil(int year, int month, int day);
void cc_civil_from_days(int64_t days, int *year, int *month, int *day);
/* "YYYY-MM-DD" → days; 0, or -1 when not a valid date. */
int cc_parse_iso_date(const char *text, int64_t *days);
/* days → "YYYY-MM-DD". */
void cc_format_iso_date(int64_t days, char out[11]);

#endif
