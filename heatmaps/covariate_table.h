/* A table of covariates keyed by an area's code: a CSV (plain or gzip) with a header,
 * one key column, optionally a date column (a daily series: one row per key and day),
 * and the numeric columns chosen as covariates. Keys and dates are taken without the
 * spaces and tabs around them.
 *
 * Columns are chosen by `patterns`: each selects every column whose header contains it
 * (case-insensitive), so "Score" picks the eight IoD2019 score columns and
 * "percent_change" Google's six mobility series; with no pattern, every column but the
 * key and the date whose filled values are mostly numbers (fewer than half of them text:
 * names and codes are left out, a numeric column's stray text is counted as below). Values:
 *   - an empty field, "NA", "NaN" or "null" is missing (NaN), and counted per column;
 *   - a field that is not a number is missing too, counted, and the first such field's
 *     row and column named in the report (never an invented zero);
 *   - a number is decimal and within a float's range (hexadecimal, 1e39 are not numbers);
 *   - a row with an empty key or a bad date is skipped and counted; the first one is
 *     named. A key (with a date column: a key and date) seen before with the same values
 *     is skipped and counted too; with other values it is an error naming both lines
 *     (a series read as maps, two sources mixed, a day reported twice).
 * The reader trusts no size a file states: at most CC_TABLE_MOST_ROWS rows and
 * CC_TABLE_MOST_COLUMNS chosen columns. */
#ifndef CRIMECAST_HEATMAPS_COVARIATE_TABLE_H
#define CRIMECAST_HEATMAPS_COVARIATE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "crawler/csv_reader.h"

enum { CC_TABLE_MOST_COLUMNS = 32, CC_TABLE_MOST_ROWS = 20000000 };

typedef struct cc_covariate_table {
    int columns;                              /* chosen value columns */
    char *headers[CC_TABLE_MOST_COLUMNS];     /* their header text */
    long rows;                                /* rows kept */
    char **keys;                              /* [rows] */
    int64_t *days;                            /* [rows] days since 1970-01-01; NULL without a date column */
    double *values;                           /* [rows][columns], NaN when missing */
    long missing[CC_TABLE_MOST_COLUMNS];      /* empty or NA fields per column */
    long not_numeric[CC_TABLE_MOST_COLUMNS];  /* fields that were not numbers per column */
    long skipped;                             /* rows skipped: empty key, bad date, repeated key */
    char first_problem[1024];                  /* the first field or row not taken, named ("" if none) */
} cc_covariate_table;

/* Reads `path`. key_column and date_column (NULL: none) are exact header names;
 * patterns (pattern_count may be 0) choose the value columns as above. Returns 0, or -1
 * with `err` naming the file and what is wrong (an unknown key column lists the
 * columns there are; a pattern that matches nothing says so). */
int cc_covariate_table_read(const char *path, const char *key_column, const char *date_column,
                            const char *const *patterns, int pattern_count, cc_covariate_table *table, char *err,
                            size_t err_len);
void cc_covariate_table_free(cc_covariate_table *table);

/* The column of `header` named exactly `name`, or -1 with `err`: "PATH has no WHAT column
 * 'NAME' (it has: 'a', 'b', ...)", the file's text made printable, or two columns of that
 * name (which is meant is unclear). For the table's key and date columns and a code
 * lookup's two columns. */
int cc_table_column(const cc_csv_row *header, const char *path, const char *what, const char *name, char *err,
                    size_t err_len);

#endif
