/* Local record files into the incident store, as `crimecast import` and `demo` run it:
 * each file one transaction, stored whole or not at all. */
#ifndef CRIMECAST_HOST_RUN_IMPORT_H
#define CRIMECAST_HOST_RUN_IMPORT_H

#include <stddef.h>
#include <stdio.h>

#include "crawler/import.h"
#include "host/options.h"

enum { CC_IMPORT_MAX_FILES = 4096 };

typedef struct cc_import_request {
    const char *city, *db;
    const char *files[CC_IMPORT_MAX_FILES];
    int file_count;
} cc_import_request;

extern const cc_command_spec CC_IMPORT_SPEC;

void cc_import_request_defaults(cc_import_request *request);

/* Imports every file, a report line per file to `out`, rejected rows' examples and
 * warnings to stderr. A file that fails leaves the store as it was and the next one is
 * still imported. 0 when every file was imported; -1 with err otherwise. */
int cc_run_import(const cc_import_request *request, FILE *out, char *err, size_t err_len);

/* What an import or a crawl has to say about its rows beyond the counts, to `err`: the
 * first rejected rows, the raw types not in `city`'s category map, the rows whose text
 * was mended to UTF-8. */
void cc_print_row_notes(FILE *err, const cc_import_stats *stats, const char *city);

#endif
