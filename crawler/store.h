/* The incident store: one SQLite database (WAL mode) with one table, `incidents`,
 * unique on (city, source_id) and indexed on (city, occurred), so analysts can query
 * it with the sqlite3 shell:
 *
 *   city TEXT, source_id TEXT, occurred TEXT ('YYYY-MM-DD HH:MM', local wall clock),
 *   time_precision TEXT ('minute'|'day'|'month'), lat REAL, lon REAL (WGS84),
 *   loc_precision TEXT ('exact'|'block'|'snapped'), category TEXT (crimecast taxonomy),
 *   raw_type TEXT (the portal's type, verbatim; NULL when the source has none),
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

#define CC_STORE_SCHEMA_VERSION 1

typedef struct cc_store cc_store;

/* Opens (creating when missing) the store at `path`. NULL with `err` on failure. */
cc_store *cc_store_open(const char *path, char *err, size_t err_len);
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

/* Number of incidents of `city` (all cities when NULL); -1 on error. */
long long cc_store_count(cc_store *store, const char *city);

#endif
