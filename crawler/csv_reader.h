/* Streaming CSV reader (RFC 4180 as the portals write it).
 *
 * Handles quoted fields holding commas, quotes ("") and line breaks; LF, CRLF and
 * lone CR line ends; a UTF-8 byte-order mark at the start; empty fields. Blank lines
 * are skipped (they are not records). Like Python's csv module (non-strict), text
 * after a closing quote is kept and a quote inside an unquoted field is literal, so
 * record counts agree with it. A quoted field still open at the end of the input
 * yields a last row flagged `unterminated_quote`, and a record with a NUL byte in a field
 * is flagged `nul_byte` (its fields' C strings would stop there); callers reject both as
 * malformed. A record ended by the end of the input rather than a line end is flagged
 * `unended` (files as published end their last line; one that does not may be cut short).
 *
 * Rows are valid until the next call to cc_csv_next. A record of more than
 * CC_CSV_MOST_FIELDS fields is read whole but flagged `too_many_fields` (its fields past
 * the last kept run into that one): callers reject it as malformed, as a row of the wrong
 * field count. A record longer than CC_CSV_MOST_RECORD bytes is a read error (a file is
 * not trusted to size what the reader holds; the portals' records are < 10 kB). */
#ifndef CRIMECAST_CRAWLER_CSV_READER_H
#define CRIMECAST_CRAWLER_CSV_READER_H

#include <stddef.h>

#include "crawler/byte_source.h"

#define CC_CSV_MOST_RECORD (16 << 20)
enum { CC_CSV_MOST_FIELDS = 4096 };

typedef struct cc_csv_row {
    int field_count;
    char **fields;         /* NUL-terminated; owned by the reader */
    size_t *lengths;
    long line;             /* 1-based physical line on which the record starts */
    long last_line;        /* and the one it ends on (later where a quoted field holds line ends) */
    int unterminated_quote;
    int nul_byte;          /* a field holds a NUL byte: its C string stops short of it */
    int unended;           /* the input ended inside this record, before any line end */
    int too_many_fields;   /* more than CC_CSV_MOST_FIELDS fields: the last kept holds the rest */
} cc_csv_row;

typedef struct cc_csv_reader cc_csv_reader;

/* The reader borrows `src`; close the reader before the source. */
cc_csv_reader *cc_csv_open(cc_byte_source *src);

/* Reads the next record: 1 when a row was read, 0 at the end, -1 on a read error
 * (cc_csv_error says which). */
int cc_csv_next(cc_csv_reader *reader, cc_csv_row *row);

const char *cc_csv_error(const cc_csv_reader *reader);

void cc_csv_close(cc_csv_reader *reader);

#endif
