/* A city's records from its open-data portal into the incident store, as `crimecast
 * crawl` runs it (crawler/crawl.h does the paging): resumable, Ctrl-C stops it cleanly. */
#ifndef CRIMECAST_HOST_RUN_CRAWL_H
#define CRIMECAST_HOST_RUN_CRAWL_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"

typedef struct cc_crawl_request {
    const char *city, *db;
    const char *from, *to;         /* [from, to), ISO dates */
    const char *base_url, *token;  /* token NULL: CRIMECAST_SOCRATA_TOKEN, if set */
    int page_size, retries;
    double timeout, backoff;       /* seconds */
} cc_crawl_request;

extern const cc_command_spec CC_CRAWL_SPEC;

void cc_crawl_request_defaults(cc_crawl_request *request);

/* Crawls, with progress on stderr (a terminal) or a line per window on `out`, and the
 * summary on `out`. 0 when the range was crawled; -1 with err on an error or after
 * Ctrl-C (everything before is stored; err says how to resume). */
int cc_run_crawl(const cc_crawl_request *request, FILE *out, char *err, size_t err_len);

#endif
