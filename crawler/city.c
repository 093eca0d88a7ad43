#include "crawler/city.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crawler/json_file.h"
#include "crawler/printable.h"

/* A name from the file as a message may show it: printable, at most 40 bytes of it. */
enum { SHOWN = 4 * 40 + 8 };
static const char *shown(const char *text, char *out) { return cc_printable(text, out, SHOWN, 40); }

const char *const CC_TAXONOMY[] = {
    "violence", "robbery", "burglary", "theft", "vehicle_theft", "drugs", "weapons",
    "criminal_damage", "fraud", "public_order", CC_CATEGORY_OTHER, CC_CATEGORY_UNKNOWN, NULL};

typedef struct raw_type_entry {
    char *key;              /* upper-cased, trimmed raw type */
    const char *category;   /* into CC_TAXONOMY */
} raw_type_entry;

struct cc_city {
    char *name, *timezone, *crs;
    cc_bbox bbox;
    double *boundary;       /* the area's outline, lon/lat pairs of one closed ring (NULL: the bbox alone) */
    int boundary_points;
    raw_type_entry *table;  /* open addressing, power-of-two size */
    size_t table_size;
    char **raw_types;       /* in file order */
    int raw_type_count;
    cc_portal portal;
    char **api_slugs, **api_types;  /* police.uk category slugs and their crime types */
    int api_count;
};

enum { KEY_MAX = 256 };

static uint64_t hash_key(const char *key) {
    uint64_t h = 1469598103934665603ULL;
    for (; *key; key++) h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    return h;
}

/* Upper-cases and trims `raw` into `key`; returns its length. */
static size_t normalise_raw_type(const char *raw, char key[KEY_MAX]) {
    while (*raw == ' ' || *raw == '\t') raw++;
    size_t n = 0;
    for (; raw[n] && n < KEY_MAX - 1; n++) key[n] = (char)toupper((unsigned char)raw[n]);
    while (n > 0 && (key[n - 1] == ' ' || key[n - 1] == '\t')) n--;
    key[n] = '\0';
    return n;
}

static const char *taxonomy_entry(const char *name) {
    for (int i = 0; CC_TAXONOMY[i]; i++)
        if (!strcmp(CC_TAXONOMY[i], name)) return CC_TAXONOMY[i];
    return NULL;
}

static raw_type_entry *find_slot(const cc_city *city, const char *key) {
    size_t mask = city->table_size - 1;
    for (size_t i = (size_t)hash_key(key) & mask;; i = (i + 1) & mask)
        if (!city->table[i].key || !strcmp(city->table[i].key, key)) return &city->table[i];
}

void cc_city_free(cc_city *city) {
    if (!city) return;
    free(city->name);
    free(city->timezone);
    free(city->crs);
    free(city->boundary);
    for (size_t i = 0; i < city->table_size; i++) free(city->table[i].key);
    free(city->table);
    for (int i = 0; i < city->raw_type_count; i++) free(city->raw_types[i]);
    free(city->raw_types);
    for (int i = 0; i < city->api_count; i++) free(city->api_slugs[i]), free(city->api_types[i]);
    free(city->api_slugs);
    free(city->api_types);
    free(city);
}

static char *copy_string_field(const cJSON *obj, const char *field) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!cJSON_IsString(item)) return NULL;
    size_t n = strlen(item->valuestring);
    char *copy = malloc(n + 1);
    if (copy) memcpy(copy, item->valuestring, n + 1);
    return copy;
}

static int read_bbox(const cJSON *root, cc_bbox *bbox) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "bbox");
    const char *names[4] = {"min_lon", "min_lat", "max_lon", "max_lat"};
    double *values[4] = {&bbox->min_lon, &bbox->min_lat, &bbox->max_lon, &bbox->max_lat};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, names[i]);
        if (!cJSON_IsNumber(v)) return -1;
        *values[i] = v->valuedouble;
    }
    /* WGS84 degrees: a longitude in [-180, 180], a latitude in [-90, 90] (so no infinity). */
    int degrees = bbox->min_lon >= -180 && bbox->max_lon <= 180 && bbox->min_lat >= -90 && bbox->max_lat <= 90;
    return degrees && bbox->min_lon < bbox->max_lon && bbox->min_lat < bbox->max_lat ? 0 : -1;
}

/* |the shoelace area| of a ring of n points, in square degrees. */
static double ring_area(const double *ring, int n) {
    double twice = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) twice += ring[2 * j] * ring[2 * i + 1] - ring[2 * i] * ring[2 * j + 1];
    return fabs(twice) / 2;
}

/* "boundary": {"ring": [[lon, lat], ...]}, optional: the area's outline, at least three
 * points inside the bbox (the last joined to the first). 0, or -1 with err. */
static int read_boundary(const cJSON *root, cc_city *city, const char *path, char *err, size_t err_len) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "boundary");
    if (!b) return 0;
    const cJSON *ring = cJSON_GetObjectItemCaseSensitive(b, "ring"), *point;
    int n = cJSON_IsArray(ring) ? cJSON_GetArraySize(ring) : 0;
    city->boundary = n >= 3 ? malloc(sizeof(double) * 2 * (size_t)n) : NULL;
    int i = 0;
    if (!city->boundary) ring = NULL; /* fewer than 3 points, or no memory: said below */
    cJSON_ArrayForEach(point, ring) {
        const cJSON *lon = cJSON_GetArrayItem(point, 0), *lat = cJSON_GetArrayItem(point, 1);
        if (!cJSON_IsArray(point) || cJSON_GetArraySize(point) != 2 || !cJSON_IsNumber(lon) || !cJSON_IsNumber(lat) ||
            lon->valuedouble < city->bbox.min_lon || lon->valuedouble > city->bbox.max_lon ||
            lat->valuedouble < city->bbox.min_lat || lat->valuedouble > city->bbox.max_lat)
            break;
        city->boundary[2 * i] = lon->valuedouble, city->boundary[2 * i + 1] = lat->valuedouble;
        i++;
    }
    city->boundary_points = i;
    /* no area against the box's (a line's rounding left 2e-13 square degrees: a reviewer) */
    double box = (city->bbox.max_lon - city->bbox.min_lon) * (city->bbox.max_lat - city->bbox.min_lat);
    if (n >= 3 && i == n && city->boundary && ring_area(city->boundary, n) > 1e-9 * box) return 0;
    if (n >= 3 && i == n && city->boundary)
        snprintf(err, err_len, "%s: 'boundary' ring encloses no area (its points on one line or at one point, or a "
                 "ring crossing itself whose parts cancel): every place would be outside it", path);
    else if (n >= 3 && !city->boundary)
        snprintf(err, err_len, "%s: out of memory for 'boundary'", path);
    else if (n < 3)
        snprintf(err, err_len, "%s: field 'boundary' must hold 'ring': at least 3 [lon, lat] points (it has %d)", path, n);
    else
        snprintf(err, err_len, "%s: 'boundary' ring's point %d (from 1) is not [lon, lat] inside 'bbox'", path, i + 1);
    return -1;
}

/* Adds every raw type of "categories": {"violence": ["ASSAULT", ...], ...}. */
static int read_categories(const cJSON *root, cc_city *city, const char *path, char *err,
                           size_t err_len) {
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(root, "categories");
    if (!cJSON_IsObject(cats)) {
        snprintf(err, err_len, "%s: field 'categories' missing or not an object", path);
        return -1;
    }
    int total = 0;
    const cJSON *cat;
    cJSON_ArrayForEach(cat, cats) total += cJSON_GetArraySize(cat);
    city->table_size = 16;
    while (city->table_size < (size_t)total * 2 + 1) city->table_size *= 2;
    city->table = calloc(city->table_size, sizeof *city->table);
    city->raw_types = calloc((size_t)total + 1, sizeof *city->raw_types);
    if (!city->table || !city->raw_types) {
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    cJSON_ArrayForEach(cat, cats) {
        const char *category = taxonomy_entry(cat->string);
        if (!category || !cJSON_IsArray(cat)) {
            char name[SHOWN];
            snprintf(err, err_len, "%s: categories.%s: not a crimecast category (or not a list)",
                     path, shown(cat->string, name));
            return -1;
        }
        const cJSON *raw;
        cJSON_ArrayForEach(raw, cat) {
            char key[KEY_MAX];
            if (!cJSON_IsString(raw) || normalise_raw_type(raw->valuestring, key) == 0) {
                char name[SHOWN];
                snprintf(err, err_len, "%s: categories.%s: every raw type must be a non-empty string",
                         path, shown(cat->string, name));
                return -1;
            }
            raw_type_entry *slot = find_slot(city, key);
            if (slot->key) {
                char name[SHOWN];
                snprintf(err, err_len, "%s: raw type '%s' is mapped twice (%s and %s)", path,
                         shown(raw->valuestring, name), slot->category, category);
                return -1;
            }
            slot->key = strdup(key);
            slot->category = category;
            city->raw_types[city->raw_type_count++] = strdup(raw->valuestring);
            if (!slot->key || !city->raw_types[city->raw_type_count - 1]) {
                snprintf(err, err_len, "%s: out of memory", path);
                return -1;
            }
        }
    }
    return 0;
}

static int read_date(const cJSON *obj, const char *field, int64_t missing, int64_t *days) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!item || cJSON_IsNull(item)) {
        *days = missing;
        return 0;
    }
    return cJSON_IsString(item) ? cc_parse_iso_date(item->valuestring, days) : -1;
}

static int copy_json_string(const cJSON *obj, const char *field, char *out, size_t len) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= len) return -1;
    snprintf(out, len, "%s", item->valuestring);
    return 0;
}

static int read_api_categories(const cJSON *portal, cc_city *city) {
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(portal, "api_categories");
    if (!map) return 0;
    if (!cJSON_IsObject(map)) return -1; /* a list's items have no names: strdup(NULL) crashed (a probe) */
    int n = cJSON_GetArraySize(map);
    city->api_slugs = calloc((size_t)n + 1, sizeof *city->api_slugs);
    city->api_types = calloc((size_t)n + 1, sizeof *city->api_types);
    if (!city->api_slugs || !city->api_types) return -1;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, map) {
        if (!cJSON_IsString(entry) || !entry->string) return -1;
        char *slug = strdup(entry->string), *type = strdup(entry->valuestring);
        city->api_slugs[city->api_count] = slug, city->api_types[city->api_count++] = type; /* freed with the city */
        if (!slug || !type) return -1;
    }
    return 0;
}

/* "portal": {"kind", "base_url", "datasets": [{"id", "date_field", "from", "to"}]}. */
static int read_portal(const cJSON *root, cc_city *city, const char *path, char *err, size_t err_len) {
    const cJSON *portal = cJSON_GetObjectItemCaseSensitive(root, "portal");
    cc_portal *p = &city->portal;
    if (!portal || copy_json_string(portal, "kind", p->kind, sizeof p->kind) != 0 ||
        copy_json_string(portal, "base_url", p->base_url, sizeof p->base_url) != 0) {
        snprintf(err, err_len, "%s: 'portal' needs string fields 'kind' and 'base_url'", path);
        return -1;
    }
    const cJSON *datasets = cJSON_GetObjectItemCaseSensitive(portal, "datasets"), *d;
    cJSON_ArrayForEach(d, datasets) {
        if (p->dataset_count == CC_MAX_DATASETS) break;
        cc_dataset *ds = &p->datasets[p->dataset_count];
        if (copy_json_string(d, "id", ds->id, sizeof ds->id) != 0 ||
            copy_json_string(d, "date_field", ds->date_field, sizeof ds->date_field) != 0 ||
            read_date(d, "from", INT64_MIN, &ds->from) != 0 || read_date(d, "to", INT64_MAX, &ds->to) != 0) {
            snprintf(err, err_len, "%s: portal.datasets[%d] needs 'id', 'date_field' and ISO dates 'from', 'to'",
                     path, p->dataset_count);
            return -1;
        }
        p->dataset_count++;
    }
    if (read_api_categories(portal, city) != 0) {
        snprintf(err, err_len, "%s: portal.api_categories must map slugs to crime type strings", path);
        return -1;
    }
    return 0;
}

cc_city *cc_city_load_file(const char *path, char *err, size_t err_len) {
    cJSON *root = cc_json_file_parse(path, "city definition", err, err_len);
    if (!root) return NULL;
    cc_city *city = calloc(1, sizeof *city);
    int ok = city != NULL;
    if (ok) {
        city->name = copy_string_field(root, "name");
        city->timezone = copy_string_field(root, "timezone");
        city->crs = copy_string_field(root, "crs");
        if (!city->name || !city->timezone || !city->crs) {
            snprintf(err, err_len, "%s: fields 'name', 'timezone' and 'crs' must be strings", path);
            ok = 0;
        } else if (read_bbox(root, &city->bbox) != 0) {
            snprintf(err, err_len, "%s: field 'bbox' must hold min_lon < max_lon in [-180, 180] and min_lat < "
                     "max_lat in [-90, 90] (WGS84 degrees)", path);
            ok = 0;
        } else if (read_boundary(root, city, path, err, err_len) != 0 ||
                   read_categories(root, city, path, err, err_len) != 0 ||
                   read_portal(root, city, path, err, err_len) != 0) {
            ok = 0;
        }
    } else {
        snprintf(err, err_len, "%s: out of memory", path);
    }
    cJSON_Delete(root);
    if (!ok) {
        cc_city_free(city);
        return NULL;
    }
    return city;
}

static int is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cc_data_dir(char *buf, size_t buf_len) {
    const char *candidates[3] = {getenv("CRIMECAST_DATA_DIR"), CRIMECAST_SOURCE_DATA_DIR,
                                 CRIMECAST_INSTALL_DATA_DIR};
    for (int i = 0; i < 3; i++) {
        if (!candidates[i] || !*candidates[i]) continue;
        char cities[4096];
        snprintf(cities, sizeof cities, "%s/cities", candidates[i]);
        if (is_directory(cities)) {
            snprintf(buf, buf_len, "%s", candidates[i]);
            return buf;
        }
        if (i == 0) break; /* a CRIMECAST_DATA_DIR without cities/ is a mistake to say, not to pass over */
    }
    if (buf_len) buf[0] = '\0';
    return buf;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "chicago, london, ..." from the *.json files of dir/cities, sorted. */
static void list_known_cities(const char *dir, char *out, size_t out_len) {
    char cities[4200];
    snprintf(cities, sizeof cities, "%s/cities", dir);
    snprintf(out, out_len, "none");
    DIR *d = opendir(cities);
    if (!d) return;
    char *names[64];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) && count < 64) {
        size_t n = strlen(entry->d_name);
        if (n > 5 && !strcmp(entry->d_name + n - 5, ".json"))
            names[count++] = strndup(entry->d_name, n - 5);
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], compare_names);
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        if (names[i] && used < out_len)
            used += (size_t)snprintf(out + used, out_len - used, "%s%s", i ? ", " : "", names[i]);
        free(names[i]);
    }
}

int cc_city_path(const char *name, char *path, size_t path_len, char *err, size_t err_len) {
    char dir[4096];
    int found = *cc_data_dir(dir, sizeof dir) != 0;
    for (const char *c = name; *c; c++) {
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_' && *c != '-') {
            char quoted[SHOWN], known[512] = "";
            if (found) list_known_cities(dir, known, sizeof known); /* 'Chicago' was named only invalid */
            snprintf(err, err_len, "invalid city name '%s' (a name is lower-case letters, digits, '-' and '_'%s%s)",
                     shown(name, quoted), found ? "; known: " : "", known);
            return -1;
        }
    }
    if (!found) {
        const char *set = getenv("CRIMECAST_DATA_DIR");
        char quoted[SHOWN];
        if (set && *set)
            snprintf(err, err_len, "CRIMECAST_DATA_DIR is '%s', which holds no cities/ directory", shown(set, quoted));
        else
            snprintf(err, err_len, "no data/cities directory found (set CRIMECAST_DATA_DIR)");
        return -1;
    }
    snprintf(path, path_len, "%s/cities/%s.json", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) {
        char known[512];
        list_known_cities(dir, known, sizeof known);
        snprintf(err, err_len, "unknown city '%s' (known: %s; no %s)", name, known, path);
        return -1;
    }
    return 0;
}

cc_city *cc_city_load(const char *name, char *err, size_t err_len) {
    char path[4400];
    if (cc_city_path(name, path, sizeof path, err, err_len) != 0) return NULL;
    cc_city *city = cc_city_load_file(path, err, err_len);
    /* the store files incidents under the file's 'name', messages and provenance under
     * --city: a copy of chicago.json as mycity.json counted Chicago's incidents as mycity's
     * (a probe) */
    if (city && strcmp(city->name, name) != 0) {
        char quoted[SHOWN];
        snprintf(err, err_len, "%s: its field 'name' is '%s', not '%s' as its file name is: the store keeps a city's "
                 "incidents under its 'name', so the two must be one", path, shown(city->name, quoted), name);
        cc_city_free(city);
        return NULL;
    }
    return city;
}

const char *cc_city_name(const cc_city *city) { return city->name; }
const char *cc_city_timezone(const cc_city *city) { return city->timezone; }
const char *cc_city_crs(const cc_city *city) { return city->crs; }
cc_bbox cc_city_bbox(const cc_city *city) { return city->bbox; }

/* Whether (lon, lat) is inside the closed ring of n points: the crossings of a ray east
 * of it with the ring's edges, odd inside (even-odd rule; a point on an edge may fall
 * either way). */
static int inside_ring(const double *ring, int n, double lon, double lat) {
    int inside = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double xi = ring[2 * i], yi = ring[2 * i + 1], xj = ring[2 * j], yj = ring[2 * j + 1];
        if ((yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
}

int cc_city_contains(const cc_city *city, double lat, double lon) {
    const cc_bbox *b = &city->bbox;
    if (!(lon >= b->min_lon && lon <= b->max_lon && lat >= b->min_lat && lat <= b->max_lat)) return 0;
    return !city->boundary || inside_ring(city->boundary, city->boundary_points, lon, lat);
}

int cc_city_has_boundary(const cc_city *city) { return city->boundary != NULL; }

const char *cc_city_category(const cc_city *city, const char *raw_type, int *mapped) {
    char key[KEY_MAX];
    if (mapped) *mapped = 1;
    if (!raw_type || normalise_raw_type(raw_type, key) == 0) return taxonomy_entry(CC_CATEGORY_UNKNOWN);
    const raw_type_entry *slot = find_slot(city, key);
    if (slot->key) return slot->category;
    if (mapped) *mapped = 0;
    return taxonomy_entry(CC_CATEGORY_OTHER);
}

const cc_portal *cc_city_portal(const cc_city *city) { return &city->portal; }

const char *cc_city_api_category(const cc_city *city, const char *slug) {
    for (int i = 0; i < city->api_count; i++)
        if (!strcmp(city->api_slugs[i], slug)) return city->api_types[i];
    return NULL;
}

int cc_city_raw_type_count(const cc_city *city) { return city->raw_type_count; }
const char *cc_city_raw_type(const cc_city *city, int i) { return city->raw_types[i]; }

const char *cc_loc_precision_name(cc_loc_precision precision) {
    switch (precision) {
    case CC_LOC_EXACT: return "exact";
    case CC_LOC_BLOCK: return "block";
    case CC_LOC_SNAPPED: return "snapped";
    }
    return "?";
}
