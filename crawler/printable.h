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

/* The same, but well-formed UTF-8 kept as it is (a name with accents reads as itself on
 * a terminal); control characters (C0, DEL, C1) and ill-formed bytes still as \xNN. */
const char *cc_printable_utf8(const char *text, char *out, size_t len, size_t most);

/* 1 when text is well-formed UTF-8 (Unicode's table 3-7: no overlong form, no
 * surrogate, nothing past U+10FFFF), else 0. */
int cc_utf8_well_formed(const char *text);

/* The length of the longest prefix of `text` that is at most `most` bytes and splits no
 * UTF-8 character (an ill-formed part counts as Unicode's maximal subparts, each whole):
 * where to cut text that must fit a fixed field. */
size_t cc_utf8_prefix(const char *text, size_t most);

/* Text from a file made well-formed UTF-8, as SQLite's TEXT and every reader of the
 * store expect: each ill-formed part (a Latin-1 byte, a cut sequence; the maximal
 * subpart of Unicode's recommended practice, as Python's errors='replace') becomes
 * U+FFFD. Returns `text` itself when it is well-formed (*repaired = 0); else the mended
 * copy in *buffer, grown to *capacity bytes as needed (*repaired = 1); NULL when out of
 * memory. */
const char *cc_utf8_repaired(const char *text, char **buffer, size_t *capacity, int *repaired);

/* Text from a file (a model's or a category's name) as one JSON string value: quoted,
 * with quotes, backslashes and control bytes escaped and each ill-formed UTF-8 part as
 * \ufffd. */
void cc_print_json_string(FILE *out, const char *text);

/* The same as one CSV field (RFC 4180): as it is, or quoted with inner quotes doubled
 * when it holds a comma, a quote or a line break. */
void cc_print_csv_field(FILE *out, const char *text);

#endif
