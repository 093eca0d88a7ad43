/* The portals' published record layouts, recognised by header, each turned into
 * crimecast's one incident record.
 *
 * Header names are compared after normalising (lower case, every run of other
 * characters than letters and digits made one '_', trimmed): "Primary Type",
 * "primary_type" and "PRIMARY TYPE " are one name, so a portal's CSV export and its
 * Socrata API output (lower-case names) are the same layout. Layouts known:
 *   chicago          Chicago portal CSV and SODA API (ijzp-q8t2)
 *   sf-2003-2018     SFPD incidents 2003-May 2018 (tmnf-yvry), CSV and API
 *   sf-2018          SFPD incident reports 2018- (wg3w-h783), CSV and API
 *   sf-kaggle-train  Kaggle sf-crime train.csv (no id: hashed)
 *   sf-kaggle-test   Kaggle sf-crime test.csv, either column order (no crime type)
 *   la-2010          LAPD 2010-2019 as first published (63jg-8b9z, "Location" point)
 *   la               LAPD 2020- (2nrs-mtv8) and the republished 2010-2019 layout, CSV and API
 *   police-uk-street data.police.uk street-level CSV (month precision, snapped points) */
#ifndef CRIMECAST_CRAWLER_SOURCE_FORMATS_H
#define CRIMECAST_CRAWLER_SOURCE_FORMATS_H

#include <stddef.h>

#include "crawler/city.h"
#include "crawler/csv_reader.h"
#include "crawler/datetime.h"

typedef enum {
    CC_PARSE_NO_MEMORY = -1,   /* no verdict on the row: the parser ran out of memory (the import fails) */
    CC_REJECT_NONE = 0,
    CC_REJECT_NO_COORDINATES,  /* missing, or a (0, 0) placeholder */
    CC_REJECT_OUTSIDE_BBOX,    /* outside the city's bounding box (e.g. SF's -120.5, 90) */
    CC_REJECT_BAD_DATE,        /* unparseable or impossible date */
    CC_REJECT_MALFORMED,       /* wrong field count, open quote, missing id, bad number */
    CC_REJECT_REASON_COUNT
} cc_reject_reason;

/* One incident, the schema every source produces. Strings are borrowed from the row
 * and the parser: valid until the next parse. */
typedef struct cc_incident {
    const char *source_id;
    char occurred[17];               /* local wall clock, "YYYY-MM-DD HH:MM" */
    cc_time_precision time_precision;
    double lat, lon;                 /* WGS84 */
    cc_loc_precision loc_precision;
    const char *category;            /* crimecast taxonomy */
    const char *raw_type;            /* the portal's own type, verbatim but for bytes that are
                                        not UTF-8 (U+FFFD); NULL when none */
    const char *description;         /* NULL when none */
    int raw_type_mapped;             /* 0 when raw_type was not in the city's map */
    const char *mended_field;        /* the first column whose text was not UTF-8 and was
                                        mended (cc_utf8_repaired); NULL when none */
} cc_incident;

typedef struct cc_row_parser cc_row_parser;

/* Picks the layout from a header row. Fails (NULL, `err` filled) when no layout
 * matches, or when the layout belongs to another city than `city`. */
cc_row_parser *cc_row_parser_for_header(const cc_city *city, const cc_csv_row *header,
                                        char *err, size_t err_len);
void cc_row_parser_free(cc_row_parser *parser);

/* The layout's name, e.g. "chicago". */
const char *cc_row_parser_format(const cc_row_parser *parser);

/* Turns a data row into `out`. Returns CC_REJECT_NONE, or the reason with a short
 * explanation in `detail` (naming the field), or CC_PARSE_NO_MEMORY with what it was
 * doing in `detail` (a row is not malformed because memory ran out). */
cc_reject_reason cc_row_parser_parse(cc_row_parser *parser, const cc_csv_row *row,
                                     cc_incident *out, char *detail, size_t detail_len);

const char *cc_reject_reason_name(cc_reject_reason reason);

/* Writes the normalised form of a header name into out. */
void cc_normalise_column_name(const char *name, char *out, size_t out_len);

#endif
