/* Text from a file, made safe to put in a message: what a CSV field or header holds may
 * be anything (a binary file given to import), and an error message must not carry raw
 * control bytes to a terminal or a log. */
#ifndef CRIMECAST_CRAWLER_PRINTABLE_H
#define CRIMECAST_CRAWLER_PRINTABLE_H

#include <stddef.h>

/* Writes `text` into out (len bytes, NUL-terminated) with every byte outside printable
 * ASCII as \xNN, cut after `most` bytes of the input with "..." added. Returns out, so
 * it can stand in a printf argument list. */
const char *cc_printable(const char *text, char *out, size_t len, size_t most);

#endif
