/* City definitions: data/cities/<city>.json.
 *
 * A city file gives the city's bounding box (WGS84) and, optionally, its outline, time zone, default metric CRS,
 * portal datasets, and the mapping of every raw crime type the city's portals use onto
 * crimecast's common taxonomy. Raw types are matched case-insensitively after trimming
 * spaces. A raw type missing from the map falls into "other" and is reported as
 * unmapped, so a new portal type never disappears silently; rows whose source has no
 * type at all get "unknown".
 *
 * Files are looked up in $CRIMECAST_DATA_DIR/cities, then the source tree's
 * data/cities, then the installed share/crimecast/cities. */
#ifndef CRIMECAST_CRAWLER_CITY_H
#define CRIMECAST_CRAWLER_CITY_H

#include <stddef.h>
#include <stdint.h>

#include "crawler/datetime.h"

typedef struct cc_bbox {
    double min_lon, min_lat, max_lon, max_lat;
} cc_bbox;

typedef enum { CC_LOC_EXACT, CC_LOC_BLOCK, CC_LOC_SNAPPED } cc_loc_precision;

typedef struct cc_city cc_city;

/* Where a city's records come from ("portal" in the city file). */
enum { CC_MAX_DATASETS = 4 };
typedef struct cc_dataset {
    char id[32];            /* Socrata dataset id, e.g. "ijzp-q8t2" */
    char date_field[64];    /* the field the date window applies to */
    int64_t from, to;       /* days since 1970-01-01 covered: [from, to); to = INT64_MAX if open */
} cc_dataset;

typedef struct cc_portal {
    char kind[16];          /* "socrata" or "police.uk" */
    char base_url[256];     /* scheme and host, e.g. "https://data.cityofchicago.org" */
    int dataset_count;
    cc_dataset datasets[CC_MAX_DATASETS];
} cc_portal;

/* crimecast's common taxonomy, in a fixed order; NULL-terminated. */
extern const char *const CC_TAXONOMY[];
#define CC_CATEGORY_OTHER "other"
#define CC_CATEGORY_UNKNOWN "unknown"

/* The path of city `name`'s definition (data/cities/NAME.json, under cc_data_dir) into
 * path: 0 when the file is there; -1 with err for a name that is not one (characters
 * other than a-z, 0-9, '_' and '-'), no data directory, or no such city (the known
 * ones listed). Whether the file is a valid definition is cc_city_load_file's to say. */
int cc_city_path(const char *name, char *path, size_t path_len, char *err, size_t err_len);
/* Loads the definition of city `name` (e.g. "chicago"). NULL with `err` on failure. */
cc_city *cc_city_load(const char *name, char *err, size_t err_len);
/* Loads a city definition from an explicit JSON file. */
cc_city *cc_city_load_file(const char *path, char *err, size_t err_len);
void cc_city_free(cc_city *city);

const char *cc_city_name(const cc_city *city);
const char *cc_city_timezone(const cc_city *city);
const char *cc_city_crs(const cc_city *city);
cc_bbox cc_city_bbox(const cc_city *city);
/* Whether a point is in the city's area: inside its bounding box and, where the city file
 * gives one ("boundary": London's, Greater London, the Metropolitan and City of London
 * police areas), inside its outline. police.uk answers an area's query with every force's
 * crimes in it, so London's bbox alone took Kent's, Surrey's and Essex's near the edge. */
int cc_city_contains(const cc_city *city, double lat, double lon);
int cc_city_has_boundary(const cc_city *city);

/* The category of `raw_type`: a pointer into CC_TAXONOMY (stable for the program's
 * life). "unknown" for NULL or empty; "other" with *mapped = 0 when the raw type is not
 * in the city's map. `mapped` may be NULL. */
const char *cc_city_category(const cc_city *city, const char *raw_type, int *mapped);

const cc_portal *cc_city_portal(const cc_city *city);

/* police.uk API category slug ("violent-crime") → the street-level CSV's crime type
 * ("Violence and sexual offences"); NULL when the city file does not map it. */
const char *cc_city_api_category(const cc_city *city, const char *slug);

/* Number of raw types in the map, and the i-th (for listings and tests). */
int cc_city_raw_type_count(const cc_city *city);
const char *cc_city_raw_type(const cc_city *city, int i);

const char *cc_loc_precision_name(cc_loc_precision precision);

/* Directory holding cities/, as found by the lookup above ("" when none exists). */
const char *cc_data_dir(char *buf, size_t buf_len);

#endif
