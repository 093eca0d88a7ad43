/* Import of local record files into the incident store (`crimecast import`).
 *
 * A file is a CSV (plain or gzip) in one of the layouts of source_formats.h, or a
 * zip archive of them (police.uk monthly archives: for London only the street-level
 * CSVs of the Metropolitan and City of London forces are read; for other cities every
 * .csv member). Each file is one transaction: a file that fails part way (truncated
 * gzip, a read error, an unknown header) leaves the store exactly as it was.
 *
 * Within a file, a row that cannot become an incident is counted under its reason and
 * skipped; rows_read = inserted + duplicates + sum(rejected), always. Text the store
 * keeps is UTF-8: a raw type or description that is not (a Latin-1 export) is mended
 * and counted, an id that is not refuses its row. */
#ifndef CRIMECAST_CRAWLER_IMPORT_H
#define CRIMECAST_CRAWLER_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "crawler/city.h"
#include "crawler/source_formats.h"
#include "crawler/store.h"

enum { CC_IMPORT_MAX_EXAMPLES = 5, CC_IMPORT_MAX_UNMAPPED = 10 };

typedef struct cc_import_stats {
    char format[32];             /* layout of the (first) CSV read */
    uint64_t rows_read, inserted, duplicates;
    uint64_t rejected[CC_REJECT_REASON_COUNT];
    uint64_t unmapped_rows;      /* stored as "other" because the raw type is not in the map */
    int unmapped_count;          /* distinct unmapped raw types listed below (capped) */
    char unmapped[CC_IMPORT_MAX_UNMAPPED][128];
    uint64_t mended_rows;        /* accepted rows whose raw type or description was not
                                    UTF-8: each ill-formed part stored as U+FFFD */
    char first_mended[320];      /* the first of them, "file:line, field 'description'" */
    char unended[320];           /* "file:line" of the first last line without a line end
                                    (a file cut short ends so), or "" */
    int members_read, members_skipped;  /* zip archives */
    char earliest[17], latest[17]; /* the accepted rows' first and last `occurred` ("" before any) */
    int example_count;           /* rejected rows, "file:line: reason (detail)", in line order: the
                                    first CC_IMPORT_MAX_EXAMPLES, and the first of each reason
                                    past them (one bad row among thousands without coordinates
                                    is named too) */
    char examples[CC_IMPORT_MAX_EXAMPLES + CC_REJECT_REASON_COUNT][512];
} cc_import_stats;

/* Called now and then with work done and the total, in bytes of the input file. */
typedef void (*cc_import_progress_fn)(void *context, uint64_t done, uint64_t total);

/* Imports one file. Returns 0 (committed) or -1 (rolled back, `err` names the file and
 * line). `progress` may be NULL. */
int cc_import_file(cc_store *store, const cc_city *city, const char *path, cc_import_stats *stats,
                   cc_import_progress_fn progress, void *progress_context, char *err,
                   size_t err_len);

/* Parses CSV bytes in memory (e.g. a portal's API response) exactly as a file would
 * be, inserting into the transaction the caller has open; adds to `stats` (which the
 * caller zeroes once). Returns 0 or -1 with `err`; the caller rolls back on -1. */
int cc_import_bytes(cc_store *store, const cc_city *city, const char *data, size_t length,
                    const char *label, cc_import_stats *stats, char *err, size_t err_len);

/* One row already split into fields (e.g. built from a JSON API record): parsed by
 * `parser` and inserted into the open transaction, counted in `stats` like a file's
 * rows. Returns 0 (stored, duplicate or rejected) or -1 on a store error. */
int cc_import_row(cc_store *store, const cc_city *city, cc_row_parser *parser, const cc_csv_row *row,
                  const char *label, cc_import_stats *stats, char *err, size_t err_len);

/* A row read and rejected for `reason` without parsing (the caller judged it: a police.uk
 * crime of another month than the one asked), counted and exemplified as cc_import_row
 * counts a rejected row. */
void cc_import_reject(cc_import_stats *stats, const char *label, long line, cc_reject_reason reason,
                      const char *detail);

uint64_t cc_import_rejected_total(const cc_import_stats *stats);

#endif
