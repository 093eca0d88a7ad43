/* Text from a file, made safe to put in a message: what a CSV field or header holds may
 * be anything (a binary file given to import), and an error message must not carry raw
 * control bytes to a terminal or a log. And the same text written into JSON or CSV
 * output, where it must not break the format a reader parses. */
#ifndef CRIMECAST_CRAWLER_PRINTABLE_H
#define CRIMECAST_CRAWLER_PRINTABLE_H

#include <stddef.h>
#include <stdio.h>

/* Writes `text` into out (len bytes, NUL-terminated) with every byte outside printable
 * ASCII as \xNN, cut after `most` bytes of the input with "..." added. Returns out, so
 * it can stand in a printf argument list. */
const char *cc_printable(const char *text, char *out, size_t len, size_t most);

/* Text from a file (a model's or a category's name) as one JSON string value: quoted,
 * with quotes, backslashes and control bytes escaped. */
void cc_print_json_string(FILE *out, const char *text);

/* The same as one CSV field (RFC 4180): as it is, or quoted with inner quotes doubled
 * when it holds a comma, a quote or a line break. */
void cc_print_csv_field(FILE *out, const char *text);

#endif
