/* The incident store: one SQLite database (WAL mode) with one table, `incidents`,
 * unique on (city, source_id) and indexed on (city, occurred), so analysts can query
 * it with the sqlite3 shell:
 *
 *   city TEXT, source_id TEXT, occurred TEXT ('YYYY-MM-DD HH:MM', local wall clock),
 *   time_precision TEXT ('minute'|'day'|'month'), lat REAL, lon REAL (WGS84),
 *   loc_precision TEXT ('exact'|'block'|'snapped'), category TEXT (crimecast taxonomy),
 *   raw_type TEXT (the portal's type, verbatim but for text not UTF-8, each ill-formed
 *     part U+FFFD; NULL when the source has none),
 *   description TEXT (NULL when none)
 *
 * The schema version is PRAGMA user_version, checked on open: a store written by a
 * different schema, or a SQLite file that is not a crimecast store, is refused.
 * Column values are validated by crimecast before they are written (CHECK constraints
 * would cost SQLite a statement journal per row, doubling import time).
 * A store handle belongs to one thread at a time.
 * Writes happen inside explicit transactions, so a failure or a kill part way leaves
 * the store as it was before the transaction. */
#ifndef CRIMECAST_CRAWLER_STORE_H
#define CRIMECAST_CRAWLER_STORE_H

#include <stddef.h>

#include "crawler/source_formats.h"

/* 1: incidents. 2: + crawl_state (a version-1 store is upgraded on open). */
#define CC_STORE_SCHEMA_VERSION 2

typedef struct cc_store cc_store;

/* Opens (creating when missing) the store at `path`. NULL with `err` on failure (also
 * for "" and ":memory:", SQLite's temporary databases: a --db that keeps nothing). */
cc_store *cc_store_open(const char *path, char *err, size_t err_len);
/* A store in memory, gone when closed: for the fuzzers, which store what they parse. */
cc_store *cc_store_open_in_memory(char *err, size_t err_len);
/* The same for a command that only reads the store: a missing `path` (a misspelt --db)
 * is an error, not a new empty store left behind. */
cc_store *cc_store_open_existing(const char *path, char *err, size_t err_len);
/* Opens an existing store to read it alone (raster, etas): read-only, neither created nor
 * upgraded, so that a store on read-only media or in another user's directory is read
 * too. Writing through it fails. NULL with `err`. */
cc_store *cc_store_open_to_read(const char *path, char *err, size_t err_len);
void cc_store_close(cc_store *store);

/* Transactions. Each returns 0, or -1 with `err` filled. Rollback cannot fail usefully. */
int cc_store_begin(cc_store *store, char *err, size_t err_len);
int cc_store_commit(cc_store *store, char *err, size_t err_len);
void cc_store_rollback(cc_store *store);

/* Inserts one incident of `city`. Returns 1 when inserted, 0 when (city, source_id) is
 * already stored (the stored row is left as it is), -1 on error. */
int cc_store_insert(cc_store *store, const char *city, const cc_incident *incident, char *err,
                    size_t err_len);

/* Inserts `count` incidents of `city`, several per statement. Returns how many were
 * inserted (the rest were already stored), or -1 on error. */
long cc_store_insert_many(cc_store *store, const char *city, const cc_incident *incidents,
                          int count, char *err, size_t err_len);

/* One incident as the rasteriser sees it; strings valid during the callback only. */
typedef struct cc_incident_point {
    const char *occurred;   /* "YYYY-MM-DD HH:MM" */
    double lat, lon;
    const char *category;
    const char *time_precision;
} cc_incident_point;

/* Called for each incident; return non-zero to stop the scan. */
typedef int (*cc_store_visit_fn)(void *context, const cc_incident_point *incident);

/* Visits the incidents of `city` with from <= occurred < to (texts compared as
 * "YYYY-MM-DD HH:MM" strings), in no particular order. Returns 0, 1 when the visitor
 * stopped it, or -1 with `err`. */
int cc_store_scan(cc_store *store, const char *city, const char *from, const char *to,
                  cc_store_visit_fn visit, void *context, char *err, size_t err_len);

/* Where a crawl of one query window stands: the next record offset to fetch, and
 * whether the window was read to its end. */
typedef struct cc_crawl_position {
    long long next_offset;
    int complete;
} cc_crawl_position;

/* Reads the position (zeros when the window was never crawled). 0 or -1 with `err`. */
int cc_store_crawl_position(cc_store *store, const char *city, const char *source, const char *window,
                            cc_crawl_position *position, char *err, size_t err_len);
/* Saves the position; call inside the transaction that stores the page it follows. */
int cc_store_set_crawl_position(cc_store *store, const char *city, const char *source,
                                const char *window, const cc_crawl_position *position, char *err,
                                size_t err_len);

/* Forgets the positions of every window whose name begins with `prefix` (all of a month's
 * tiles, split ones' children too): as never crawled. 0 or -1 with `err`. */
int cc_store_forget_crawl_windows(cc_store *store, const char *city, const char *source, const char *prefix,
                                  char *err, size_t err_len);

/* The first and last `occurred` of `city` ("YYYY-MM-DD HH:MM", through the index).
 * Returns 0, 1 when the city has no incident, -1 on error. */
int cc_store_time_range(cc_store *store, const char *city, char first[17], char last[17]);

/* The path the store was opened with. */
const char *cc_store_path(const cc_store *store);

/* Number of incidents of `city` (all cities when NULL); -1 on error. */
long long cc_store_count(cc_store *store, const char *city);
/* Incidents of `city` whose `occurred` text lies in [from, to) (texts compared as stored,
 * "YYYY-MM-DD HH:MM"; "2016-02" .. "2016-03" is a month). -1 on an SQLite error. */
long long cc_store_count_occurred(cc_store *store, const char *city, const char *from, const char *to);

#endif
