#include "crawler/datetime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int cc_days_in_month(int year, int month) {
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return DAYS[month - 1] + (month == 2 && leap);
}

/* Reads exactly `width` digits (or 1..width when width is negative). */
static int read_number(const char **p, int min_digits, int max_digits, int *value) {
    const char *s = *p;
    int n = 0, v = 0;
    while (n < max_digits && isdigit((unsigned char)s[n])) v = v * 10 + (s[n++] - '0');
    if (n < min_digits) return -1;
    *p = s + n;
    *value = v;
    return 0;
}

static int expect(const char **p, char c) {
    if (**p != c) return -1;
    (*p)++;
    return 0;
}

static int valid_date(int y, int m, int d) {
    return y >= 1800 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= cc_days_in_month(y, m);
}

/* Parses "HH:MM[:SS[.fff]][ ](AM|PM)" at *p up to the end of the string. */
static int parse_clock(const char *s, int *hour, int *minute) {
    int h, m, sec = 0;
    if (read_number(&s, 1, 2, &h) || expect(&s, ':') || read_number(&s, 2, 2, &m)) return -1;
    if (*s == ':') {
        s++;
        if (read_number(&s, 2, 2, &sec)) return -1;
        if (*s == '.') {
            s++;
            int frac;
            if (read_number(&s, 1, 9, &frac)) return -1;
        }
    }
    if (*s == ' ') s++;
    int twelve_hour = 0, pm = 0;
    if ((s[0] == 'A' || s[0] == 'a' || s[0] == 'P' || s[0] == 'p') && (s[1] == 'M' || s[1] == 'm')) {
        twelve_hour = 1;
        pm = s[0] == 'P' || s[0] == 'p';
        s += 2;
    }
    if (*s != '\0') return -1;
    if (m > 59 || sec > 60) return -1;
    if (twelve_hour) {
        if (h < 1 || h > 12) return -1;
        h = h % 12 + (pm ? 12 : 0);
    } else if (h > 23) {
        return -1;
    }
    *hour = h;
    *minute = m;
    return 0;
}

/* Finishes a date: the rest is empty (day precision) or a separator and a clock. */
static int parse_rest(const char *s, cc_local_time *t) {
    t->hour = t->minute = 0;
    if (*s == '\0') {
        t->precision = CC_TIME_DAY;
        return 0;
    }
    if (*s != ' ' && *s != 'T') return -1;
    t->precision = CC_TIME_MINUTE;
    return parse_clock(s + 1, &t->hour, &t->minute);
}

int cc_parse_local_time(const char *text, cc_local_time *t) {
    char trimmed[64]; /* blanks around the date are no part of it (two before it read as year 1) */
    while (*text == ' ' || *text == '\t') text++;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t')) n--;
    if (n >= sizeof trimmed) return -1;
    memcpy(trimmed, text, n);
    trimmed[n] = '\0';
    const char *s = trimmed;
    int a;
    if (read_number(&s, 1, 4, &a)) return -1;
    if (s - trimmed >= 4 && (*s == '-' || *s == '/')) { /* year first */
        char sep = *s++;
        t->year = a;
        if (read_number(&s, 2, 2, &t->month)) return -1;
        if (*s == '\0' && sep == '-') { /* YYYY-MM: police.uk month */
            if (t->month < 1 || t->month > 12 || !valid_date(t->year, t->month, 1)) return -1;
            t->day = 1;
            t->hour = t->minute = 0;
            t->precision = CC_TIME_MONTH;
            return 0;
        }
        if (expect(&s, sep) || read_number(&s, 2, 2, &t->day)) return -1;
    } else { /* MM/DD/YYYY */
        t->month = a;
        if (expect(&s, '/') || read_number(&s, 1, 2, &t->day) || expect(&s, '/') ||
            read_number(&s, 4, 4, &t->year))
            return -1;
    }
    if (!valid_date(t->year, t->month, t->day)) return -1;
    return parse_rest(s, t);
}

int cc_parse_time_of_day(const char *text, int *hour, int *minute) {
    const char *s = text;
    while (*s == ' ') s++;
    for (const char *q = s; *q; q++)
        if (*q == ':') return parse_clock(s, hour, minute);
    int v;
    if (read_number(&s, 1, 4, &v) || *s != '\0') return -1;
    if (v / 100 > 23 || v % 100 > 59) return -1;
    *hour = v / 100;
    *minute = v % 100;
    return 0;
}

static void put_digits(char *out, int value, int width) {
    for (int i = width - 1; i >= 0; i--, value /= 10) out[i] = (char)('0' + value % 10);
}

void cc_format_local_time(const cc_local_time *t, char out[17]) {
    /* Written by hand: this runs once per imported row. Fields are validated ranges. */
    put_digits(out, t->year, 4);
    out[4] = '-';
    put_digits(out + 5, t->month, 2);
    out[7] = '-';
    put_digits(out + 8, t->day, 2);
    out[10] = ' ';
    put_digits(out + 11, t->hour, 2);
    out[13] = ':';
    put_digits(out + 14, t->minute, 2);
    out[16] = '\0';
}

const char *cc_time_precision_name(cc_time_precision precision) {
    switch (precision) {
    case CC_TIME_MINUTE: return "minute";
    case CC_TIME_DAY: return "day";
    case CC_TIME_MONTH: return "month";
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
    static const char SHAPE[] = "dddd-dd-dd"; /* digits where sscanf also takes blanks and signs ("2020-+3-02") */
    if (strlen(text) != 10) return -1;
    for (int i = 0; i < 10; i++)
        if (SHAPE[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != SHAPE[i]) return -1;
    if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) return -1;
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

