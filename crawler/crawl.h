/* Crawling the portals into the incident store (`crimecast crawl`).
 *
 * Socrata (Chicago, San Francisco, Los Angeles): each dataset of the city that
 * overlaps [from, to) is read month window by month window, as CSV pages of
 * $limit rows under $order=:id with the window as $where on the dataset's date
 * field; rows go through the same layout parsers as `crimecast import`.
 *
 * police.uk (London): each month's crimes-street/all-crime is read over a 4 x 4
 * tiling of the city's bounding box; a tile the API refuses as too large (HTTP 503)
 * is split into four, recursively. A month it does not list among its published ones
 * (/api/crimes-street-dates, asked once when a month has tiles to fetch) is not asked. Records are keyed by persistent_id (the CSVs'
 * Crime ID) or hashed when it is empty, and their category slugs are translated to
 * the street-level CSV's crime types, so crawled and imported rows are one schema.
 *
 * Every page (Socrata) or tile (police.uk) is stored in one transaction together with
 * the crawl's position in crawl_state, so a crawl killed at any point and run again
 * continues where it stopped without losing or duplicating a record. A Socrata window
 * is read until its rows come to the portal's count of it ($select=count(*)): offsets
 * shift when the portal adds or removes a record before the end, and a late record
 * can sort anywhere under :id. A window read before is asked its count only, and read
 * again whole when the count changed, as is a window stopped part way; a portal that
 * refuses the count is read unchecked. A finished police.uk tile is not asked again. */
#ifndef CRIMECAST_CRAWLER_CRAWL_H
#define CRIMECAST_CRAWLER_CRAWL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "crawler/city.h"
#include "crawler/http_client.h"
#include "crawler/import.h"
#include "crawler/store.h"

typedef struct cc_crawl_stats {
    long pages, windows;
    long tiles_split;
    cc_import_stats rows;   /* rows read, inserted, duplicates, rejected by reason */
    long requests, retries;
    double seconds;
    int refused;            /* the crawl failed on a request the portal refuses (HTTP 4xx but 429): running
                               it again fails the same way */
    int page_too_big;       /* the crawl failed on a Socrata page past the client's most bytes: smaller
                               pages (page_size) go on */
    int months_unpublished; /* police.uk months with no crime in any tile: not published yet, left to fetch
                               again (their tiles not marked done) */
    char first_unpublished[16];
    int months_unlisted;    /* police.uk months its list of published months lacks: not asked, left to
                               fetch again */
    char first_unlisted[16], latest_listed[8];
    char months_unknown_why[256]; /* why police.uk's list of months could not be had ("": it was) */
    long windows_reread;    /* Socrata windows read again whole: the portal's count of them changed */
    char counts_refused[256]; /* why the portal refused a count(*) (windows then unchecked), or "" */
    long windows_miscounted; /* Socrata windows whose rows read never came to the portal's count */
    long pages_outside_window; /* Socrata pages holding a row dated outside their window (stored) */
    char first_outside_window[2300]; /* the first: "<dataset> <window> page at offset N, a row of <date>" */
    char first_miscounted[64];
} cc_crawl_stats;

typedef struct cc_crawl_options {
    int64_t from, to;                  /* days since 1970-01-01: [from, to) */
    const char *base_url;              /* replaces the portal's scheme and host; NULL: the portal */
    int page_size;                     /* Socrata $limit; 0: 10000 */
    cc_http_options http;
    const volatile sig_atomic_t *stop; /* non-zero: stop; a page being stored is stored whole,
                                          a request in flight (or waiting to retry) is dropped */
    /* Called after each page (progress) and each finished window (log); may be NULL. */
    void (*on_page)(void *context, const char *window, const cc_crawl_stats *stats);
    void (*on_window)(void *context, const char *window, long pages, long rows,
                      const cc_crawl_stats *stats);
    void *context;
} cc_crawl_options;

/* Returns 0 when the range was crawled, 1 when stopped by *stop (everything fetched
 * so far is stored; run again to resume), -1 on an error (`err` names the URL or file). */
int cc_crawl(cc_store *store, const cc_city *city, const cc_crawl_options *options,
             cc_crawl_stats *stats, char *err, size_t err_len);

#endif
