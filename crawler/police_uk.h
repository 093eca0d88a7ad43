/* One page of the police.uk street-crime API (/api/crimes-street/all-crime) into the
 * incident store.
 *
 * The API answers a JSON array of crimes. Each crime becomes a street-level CSV row
 * (the layout of the monthly archives, source_formats.h) and goes through the same row
 * parser as an imported archive, so a crawled crime and an imported one are stored
 * alike and a malformed crime is counted under the same reasons and skipped.
 *
 * A body that is not a JSON array is an error (the whole page is refused); a crime
 * whose fields are missing, of the wrong JSON type or out of range is a rejected row. */
#ifndef CRIMECAST_CRAWLER_POLICE_UK_H
#define CRIMECAST_CRAWLER_POLICE_UK_H

#include <stddef.h>

#include "crawler/city.h"
#include "crawler/import.h"
#include "crawler/store.h"

/* Inserts the crimes of `body` into the transaction the caller has open, adding to
 * `stats`. `label` names the page in messages and rejected-row examples. `month`
 * ("YYYY-MM"), when not NULL, is the month asked for: an answer holding a crime of another
 * month is not that month's (a proxy or mirror ignoring the query) and is refused whole.
 * Returns 0, or -1 with `err` (the caller rolls back). */
int cc_police_uk_import_page(cc_store *store, const cc_city *city, const char *body, size_t length, const char *month,
                             const char *label, cc_import_stats *stats, char *err, size_t err_len);

/* The months police.uk has published, from its /api/crimes-street-dates answer (a JSON
 * array of objects whose "date" is "YYYY-MM"): *months (malloc'd, 8 bytes each, "YYYY-MM"),
 * *count of them. 0, or -1 with err naming `label` (not such an array). */
int cc_police_uk_months(const char *body, size_t length, const char *label, char (**months)[8], int *count,
                        char *err, size_t err_len);

#endif
