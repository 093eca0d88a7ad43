#include "crawler/source_formats.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/printable.h"
#include "crawler/row_ordinals.h"

/* A field as a message may show it: printable, at most 40 bytes of it. */
enum { SHOWN = 4 * 40 + 8 };
static const char *shown(const char *text, char *out) { return cc_printable(text, out, SHOWN, 40); }

/* A layout, as data. Column names are normalised; NULL means "not in this layout". */
typedef struct source_format {
    const char *name;
    const char *city;
    const char *id_col;        /* NULL: every row gets a hashed id */
    const char *id_prefix;     /* prepended to the id column's value */
    int hash_empty_id;         /* an empty id is hashed (police.uk ASB rows) instead of rejected */
    const char *datetime_col;  /* a date or a date-time */
    const char *time_col;      /* a separate time of day, or NULL */
    const char *type_col;      /* NULL: the source gives no type ("unknown") */
    const char *desc_col;
    const char *lat_col, *lon_col;
    const char *point_col;     /* "(lat, lon)" or "POINT (lon lat)", used when lat/lon are absent or empty */
    cc_loc_precision loc_precision;
    const char *marker_col;    /* one more column that must be present to tell layouts apart */
    /* Hashed ids: the publisher's columns in the publisher's order. A row's id hashes its
     * fields in this order (and no other column), so the same rows saved again with the
     * columns moved, or with a column added, keep their ids, and a file as published
     * hashes as it always has (its order is this one). */
    const char *const *hash_order;
    int month_only;            /* the date column holds a month, YYYY-MM, and nothing finer (police.uk) */
} source_format;

static const char *const KAGGLE_TRAIN_COLUMNS[] = {"dates", "category", "descript", "dayofweek", "pddistrict",
                                                   "resolution", "address", "x", "y", NULL};
static const char *const POLICE_UK_COLUMNS[] = {"crime_id", "month", "reported_by", "falls_within", "longitude",
                                                "latitude", "location", "lsoa_code", "lsoa_name", "crime_type",
                                                "last_outcome_category", "context", NULL};

static const source_format FORMATS[] = {
    {"chicago", "chicago", "id", "", 0, "date", NULL, "primary_type", "description", "latitude",
     "longitude", NULL, CC_LOC_BLOCK, "case_number"},
    {"sf-2003-2018", "sanfrancisco", "pdid", "", 0, "date", "time", "category", "descript", "y", "x",
     NULL, CC_LOC_BLOCK, "incidntnum"},
    {"sf-2018", "sanfrancisco", "row_id", "", 0, "incident_datetime", NULL, "incident_category",
     "incident_description", "latitude", "longitude", "point", CC_LOC_BLOCK, "incident_id"},
    {"sf-kaggle-train", "sanfrancisco", NULL, "", 0, "dates", NULL, "category", "descript", "y", "x",
     NULL, CC_LOC_BLOCK, "pddistrict", KAGGLE_TRAIN_COLUMNS},
    {"sf-kaggle-test", "sanfrancisco", "id", "kaggle-test-", 0, "dates", NULL, NULL, NULL, "y", "x",
     NULL, CC_LOC_BLOCK, "pddistrict"},
    {"la-2010", "losangeles", "dr_number", "", 0, "date_occurred", "time_occurred",
     "crime_code_description", NULL, NULL, NULL, "location", CC_LOC_BLOCK, "area_id"},
    {"la", "losangeles", "dr_no", "", 0, "date_occ", "time_occ", "crm_cd_desc", NULL, "lat", "lon",
     NULL, CC_LOC_BLOCK, "area"},
    {"police-uk-street", "london", "crime_id", "", 1, "month", NULL, "crime_type", NULL, "latitude",
     "longitude", NULL, CC_LOC_SNAPPED, "falls_within", POLICE_UK_COLUMNS, 1},
};
enum { FORMAT_COUNT = sizeof FORMATS / sizeof FORMATS[0] };

/* Column slots resolved against a header; -1 when absent. */
enum { COL_ID, COL_DATETIME, COL_TIME, COL_TYPE, COL_DESC, COL_LAT, COL_LON, COL_POINT, COL_MARKER,
       COL_COUNT };

struct cc_row_parser {
    const source_format *format;
    const cc_city *city;
    int col[COL_COUNT];
    int header_fields;
    cc_row_ordinals *ordinals;
    int *hash_order;              /* [hash_count]: the file's columns in the order hashed */
    int hash_count;               /* the layout's columns the file has (hash_order_of) */
    char **hashed_fields;         /* [hash_count]: a row's fields in that order */
    size_t *hashed_lengths;
    char source_id[160];
    struct mended_text { char *text; size_t capacity; } mended[2]; /* the type and description, made UTF-8 */
};

void cc_normalise_column_name(const char *name, char *out, size_t out_len) {
    size_t n = 0;
    int pending_sep = 0;
    if (!strncmp(name, "\xEF\xBB\xBF", 3)) name += 3;
    for (; *name && n + 2 < out_len; name++) {
        unsigned char c = (unsigned char)*name;
        if (isalnum(c)) {
            if (pending_sep && n > 0) out[n++] = '_';
            pending_sep = 0;
            out[n++] = (char)tolower(c);
        } else {
            pending_sep = 1;
        }
    }
    out[n] = '\0';
}

static int find_column(char names[][64], int count, const char *wanted) {
    if (!wanted) return -1;
    for (int i = 0; i < count; i++)
        if (!strcmp(names[i], wanted)) return i;
    return -1;
}

/* The columns a hashed id reads, in the order it reads them: the layout's hash_order
 * columns the file has, in the publisher's order. Columns the layout does not name (a
 * pandas index written first, a trailing comma's empty column) are left out: the same
 * records with them are the same records. Returns their count. */
static int hash_order_of(const source_format *f, char names[][64], int count, int *order) {
    int n = 0;
    for (int k = 0; f->hash_order && f->hash_order[k]; k++) {
        int i = find_column(names, count, f->hash_order[k]);
        if (i >= 0) order[n++] = i;
    }
    return n;
}

/* A column the layout reads that the header names twice: its index into `twice` (the
 * second's), or -1. A file with two 'Latitude' columns was read through the first alone,
 * without a word (a probe; Python's DictReader takes the last). */
static int named_again(char names[][64], int count, int column, int *twice) {
    for (int k = column + 1; column >= 0 && k < count; k++)
        if (!strcmp(names[k], names[column])) {
            *twice = k;
            return column;
        }
    return -1;
}

/* The same for the columns a hashed id reads (`hashed`, n of them: a reviewer). */
static int column_named_twice(char names[][64], int count, const int col[COL_COUNT], const int *hashed, int n,
                              int *twice) {
    for (int i = 0; i < COL_COUNT + n; i++) {
        int first = named_again(names, count, i < COL_COUNT ? col[i] : hashed[i - COL_COUNT], twice);
        if (first >= 0) return first;
    }
    return -1;
}

/* A layout's columns in slot order (NULL where it has none). */
static void layout_columns(const source_format *f, const char *wanted[COL_COUNT]) {
    const char *const columns[COL_COUNT] = {f->id_col, f->datetime_col, f->time_col, f->type_col, f->desc_col,
                                            f->lat_col, f->lon_col, f->point_col, f->marker_col};
    memcpy(wanted, columns, sizeof columns);
}

/* Resolves a layout's columns; returns 1 when every column it names is present. */
static int resolve_columns(const source_format *f, char names[][64], int count, int col[COL_COUNT]) {
    const char *wanted[COL_COUNT];
    layout_columns(f, wanted);
    for (int i = 0; i < COL_COUNT; i++) {
        col[i] = find_column(names, count, wanted[i]);
        if (wanted[i] && col[i] < 0) return 0;
    }
    /* The hashed-id Kaggle layout must not swallow the test layout, which has an id. */
    if (!f->id_col && find_column(names, count, "id") >= 0) return 0;
    return 1;
}

/* For a header no layout matches: the --city's layout the header comes nearest to (the
 * fewest of its columns missing), and those missing, into `missing` ("'latitude',
 * 'longitude'"). NULL when every one of the city's layouts lacks more than half its columns:
 * then the file is something else, and naming a layout's columns would mislead. A Socrata
 * page that had lost one column said only "matches no known layout" (a probe). */
static const source_format *nearest_layout(const cc_city *city, char names[][64], int count, char *missing,
                                           size_t missing_len) {
    const source_format *best = NULL;
    int best_missing = 0, best_wanted = 0;
    for (int i = 0; i < FORMAT_COUNT; i++) {
        const source_format *f = &FORMATS[i];
        if (strcmp(f->city, cc_city_name(city)) != 0) continue;
        const char *wanted[COL_COUNT];
        layout_columns(f, wanted);
        int lacking = 0, named = 0;
        for (int k = 0; k < COL_COUNT; k++) {
            named += wanted[k] != NULL;
            lacking += wanted[k] && find_column(names, count, wanted[k]) < 0;
        }
        if (!best || lacking < best_missing) best = f, best_missing = lacking, best_wanted = named;
    }
    if (!best || best_missing == 0 || 2 * best_missing > best_wanted) return NULL;
    const char *wanted[COL_COUNT];
    layout_columns(best, wanted);
    size_t n = 0;
    missing[0] = '\0';
    for (int k = 0; k < COL_COUNT && n < missing_len; k++)
        if (wanted[k] && find_column(names, count, wanted[k]) < 0)
            n += (size_t)snprintf(missing + n, missing_len - n, "%s'%s'", n ? ", " : "", wanted[k]);
    return best;
}

cc_row_parser *cc_row_parser_for_header(const cc_city *city, const cc_csv_row *header,
                                        char *err, size_t err_len) {
    if (header->too_many_fields) {
        snprintf(err, err_len, "header (line %ld) has more than %d fields: not a layout crimecast reads", header->line,
                 CC_CSV_MOST_FIELDS);
        return NULL;
    }
    int count = header->field_count;
    char (*names)[64] = calloc((size_t)count, sizeof *names);
    cc_row_parser *p = calloc(1, sizeof *p);
    if (!names || !p) {
        free(names);
        free(p);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    for (int i = 0; i < count; i++) cc_normalise_column_name(header->fields[i], names[i], 64);
    const source_format *match = NULL;
    for (int i = 0; i < FORMAT_COUNT && !match; i++)
        if (resolve_columns(&FORMATS[i], names, count, p->col)) match = &FORMATS[i];
    if (match && (!match->id_col || match->hash_empty_id)) {
        p->hash_order = malloc(sizeof(int) * (size_t)(count > 0 ? count : 1));
        p->hashed_fields = malloc(sizeof(char *) * (size_t)(count > 0 ? count : 1));
        p->hashed_lengths = malloc(sizeof(size_t) * (size_t)(count > 0 ? count : 1));
        p->ordinals = cc_row_ordinals_new();
        if (p->hash_order) p->hash_count = hash_order_of(match, names, count, p->hash_order);
    }
    int twice = -1, first = match ? column_named_twice(names, count, p->col, p->hash_order, p->hash_count, &twice) : -1;
    if (first >= 0) {
        char a[SHOWN];
        snprintf(err, err_len, "header (line %ld) has two columns named '%s' (columns %d and %d): which one to read is "
                 "unclear; rename or remove one", header->line, shown(header->fields[first], a), first + 1, twice + 1);
        free(names);
        cc_row_parser_free(p);
        return NULL;
    }
    if (!match) {
        char a[SHOWN], b[SHOWN], c[SHOWN], missing[256], nearest[400] = "";
        const source_format *near = nearest_layout(city, names, count, missing, sizeof missing);
        if (near)
            snprintf(nearest, sizeof nearest, "; the nearest, layout '%s', lacks the column%s %s (names compared "
                     "in lower case, other characters as '_')", near->name,
                     strchr(missing, ',') ? "s" : "", missing);
        snprintf(err, err_len, /* the nearest first: a long file name before it must not cut it off */
                 "header (line %ld) matches no known layout%s; known: chicago, sf-2003-2018, sf-2018, "
                 "sf-kaggle-train, sf-kaggle-test, la-2010, la, police-uk-street; first columns: '%s', '%s', '%s'",
                 header->line, nearest, shown(count > 0 ? header->fields[0] : "", a),
                 shown(count > 1 ? header->fields[1] : "", b), shown(count > 2 ? header->fields[2] : "", c));
        free(names);
        free(p);
        return NULL;
    }
    free(names);
    if (strcmp(match->city, cc_city_name(city)) != 0) {
        snprintf(err, err_len, "header is the %s layout '%s', not a %s one (wrong --city?)",
                 match->city, match->name, cc_city_name(city));
        cc_row_parser_free(p);
        return NULL;
    }
    p->format = match;
    p->city = city;
    p->header_fields = count;
    if ((!match->id_col || match->hash_empty_id) &&
        (!p->ordinals || !p->hash_order || !p->hashed_fields || !p->hashed_lengths)) {
        snprintf(err, err_len, "out of memory");
        cc_row_parser_free(p);
        return NULL;
    }
    return p;
}

void cc_row_parser_free(cc_row_parser *p) {
    if (!p) return;
    cc_row_ordinals_free(p->ordinals);
    free(p->hash_order), free(p->hashed_fields), free(p->hashed_lengths);
    for (int i = 0; i < 2; i++) free(p->mended[i].text);
    free(p);
}

const char *cc_row_parser_format(const cc_row_parser *p) { return p->format->name; }

const char *cc_reject_reason_name(cc_reject_reason reason) {
    switch (reason) {
    case CC_REJECT_NONE: return "accepted";
    case CC_REJECT_NO_COORDINATES: return "no coordinates";
    case CC_REJECT_OUTSIDE_BBOX: return "outside the city's area (its bounding box, and its boundary where the city file gives one)";
    case CC_REJECT_BAD_DATE: return "unparseable date";
    case CC_REJECT_MALFORMED: return "malformed row";
    case CC_PARSE_NO_MEMORY: return "out of memory";
    case CC_REJECT_REASON_COUNT: break;
    }
    return "?";
}

static const char *field(const cc_row_parser *p, const cc_csv_row *row, int slot) {
    return p->col[slot] < 0 ? NULL : row->fields[p->col[slot]];
}

static int is_blank(const char *s) {
    if (!s) return 1;
    while (*s == ' ' || *s == '\t') s++;
    return *s == '\0';
}

/* A decimal number at s (spaces before it skipped): [+-]digits[.digits][(e|E)[+-]digits],
 * finite. Returns the end of it, or NULL. strtod alone would also take hexadecimal
 * ("0x29.f"), "inf" and "nan", which no portal writes for a coordinate. */
static const char *decimal(const char *s, double *value) {
    while (*s == ' ') s++;
    const char *p = s + (*s == '+' || *s == '-');
    size_t whole = strspn(p, "0123456789"), part = 0;
    p += whole;
    if (*p == '.') part = strspn(p + 1, "0123456789"), p += 1 + part;
    if (whole + part == 0) return NULL;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1 + (p[1] == '+' || p[1] == '-');
        size_t digits = strspn(q, "0123456789");
        if (!digits) return NULL;
        p = q + digits;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != p || errno == ERANGE || !isfinite(v)) return NULL;
    *value = v;
    return p;
}

/* Parses a whole field as a finite decimal number; 0 or -1. */
static int parse_number(const char *s, double *value) {
    const char *end = decimal(s, value);
    if (!end) return -1;
    while (*end == ' ') end++;
    return *end == '\0' ? 0 : -1;
}

/* The text `word` at s after spaces; the end of it, or NULL. */
static const char *expect(const char *s, const char *word) {
    while (*s == ' ') s++;
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 ? s + n : NULL;
}

/* "(lat, lon)" (LAPD) or "POINT (lon lat)" (Socrata WKT). 1 parsed, 0 empty, -1 bad. */
static int parse_point(const char *s, double *lat, double *lon) {
    if (is_blank(s)) return 0;
    double a, b;
    const char *p = expect(s, "POINT");
    int wkt = p != NULL;
    p = expect(wkt ? p : s, "(");
    if (p) p = decimal(p, &a);
    if (p && !wkt) p = expect(p, ",");
    if (p) p = decimal(p, &b);
    if (p) p = expect(p, ")");
    if (!p || !is_blank(p)) return -1;
    *lat = wkt ? b : a;
    *lon = wkt ? a : b;
    return 1;
}

static cc_reject_reason parse_coordinates(const cc_row_parser *p, const cc_csv_row *row,
                                          cc_incident *out, char *detail, size_t len) {
    const char *lat = field(p, row, COL_LAT), *lon = field(p, row, COL_LON);
    int have = 0;
    if (!is_blank(lat) || !is_blank(lon)) {
        if (parse_number(lat, &out->lat) != 0 || parse_number(lon, &out->lon) != 0) {
            char a[SHOWN], b[SHOWN];
            snprintf(detail, len, "latitude/longitude not decimal numbers: '%s', '%s'", shown(lat, a), shown(lon, b));
            return CC_REJECT_MALFORMED;
        }
        have = 1;
    }
    if (!have && p->col[COL_POINT] >= 0) {
        const char *point = field(p, row, COL_POINT);
        have = parse_point(point, &out->lat, &out->lon);
        if (have < 0) {
            char a[SHOWN];
            snprintf(detail, len, "location not a point: '%s'", shown(point, a));
            return CC_REJECT_MALFORMED;
        }
    }
    if (!have || (out->lat == 0.0 && out->lon == 0.0)) {
        snprintf(detail, len, have ? "coordinates are the (0, 0) placeholder" : "no latitude/longitude");
        return CC_REJECT_NO_COORDINATES;
    }
    if (fabs(out->lat) == 90.0) { /* a pole: SF's files mark an unknown place lat 90, lon -120.5 */
        snprintf(detail, len, "coordinates at a pole (lat %.10g, lon %.10g): a placeholder", out->lat, out->lon);
        return CC_REJECT_NO_COORDINATES;
    }
    if (!cc_city_contains(p->city, out->lat, out->lon)) {
        snprintf(detail, len, "lat %.10g, lon %.10g", out->lat, out->lon);
        return CC_REJECT_OUTSIDE_BBOX;
    }
    return CC_REJECT_NONE;
}

static cc_reject_reason parse_time(const cc_row_parser *p, const cc_csv_row *row,
                                   cc_incident *out, char *detail, size_t len) {
    const char *text = field(p, row, COL_DATETIME);
    cc_local_time t;
    if (cc_parse_local_time(text, &t) != 0) {
        char a[SHOWN];
        snprintf(detail, len, "field '%s': '%s' is not a date", p->format->datetime_col, shown(text, a));
        return CC_REJECT_BAD_DATE;
    }
    if (p->format->month_only && t.precision != CC_TIME_MONTH) {
        /* one such row would make the whole city's tensors take its day for a time */
        char a[SHOWN];
        snprintf(detail, len, "field '%s': '%s' is not a month (YYYY-MM)", p->format->datetime_col, shown(text, a));
        return CC_REJECT_BAD_DATE;
    }
    if (!p->format->month_only && t.precision == CC_TIME_MONTH) {
        /* a month where the layout dates to the day: one such row would hold the whole
         * city's tensors to months, and a separate time column would make up its day */
        char a[SHOWN];
        snprintf(detail, len, "field '%s': '%s' is a month, not a date", p->format->datetime_col, shown(text, a));
        return CC_REJECT_BAD_DATE;
    }
    const char *clock = field(p, row, COL_TIME);
    if (clock && !is_blank(clock)) { /* a separate time column replaces the date's midnight */
        if (cc_parse_time_of_day(clock, &t.hour, &t.minute) != 0) {
            char a[SHOWN];
            snprintf(detail, len, "field '%s': '%s' is not a time of day", p->format->time_col, shown(clock, a));
            return CC_REJECT_BAD_DATE;
        }
        t.precision = CC_TIME_MINUTE;
    } else if (p->col[COL_TIME] >= 0 && t.precision == CC_TIME_MINUTE) {
        /* the time column is empty: the date's own time (LAPD's "12:00:00 AM") is a
         * placeholder, not the time it happened */
        t.hour = t.minute = 0;
        t.precision = CC_TIME_DAY;
    }
    cc_format_local_time(&t, out->occurred);
    out->time_precision = t.precision;
    return CC_REJECT_NONE;
}

static cc_reject_reason make_source_id(cc_row_parser *p, const cc_csv_row *row, char *detail,
                                       size_t len) {
    const char *id = field(p, row, COL_ID);
    if (id && !is_blank(id)) {
        /* Two ids cut to the same prefix, or mended to the same U+FFFD, would make the
         * second row a false duplicate: such an id is refused, not changed. */
        char a[SHOWN];
        size_t most = sizeof p->source_id - 1 - strlen(p->format->id_prefix);
        while (*id == ' ' || *id == '\t') id++; /* " 10007423 " is the incident 10007423 */
        size_t n = strlen(id);
        while (n > 0 && (id[n - 1] == ' ' || id[n - 1] == '\t')) n--;
        if (n > most) {
            snprintf(detail, len, "field '%s' is longer than %zu bytes", p->format->id_col, most);
            return CC_REJECT_MALFORMED;
        }
        if (!cc_utf8_well_formed(id)) {
            snprintf(detail, len, "field '%s': '%s' is not UTF-8 text", p->format->id_col, shown(id, a));
            return CC_REJECT_MALFORMED;
        }
        snprintf(p->source_id, sizeof p->source_id, "%s%.*s", p->format->id_prefix, (int)n, id);
        return CC_REJECT_NONE;
    }
    if (id && !p->format->hash_empty_id) {
        snprintf(detail, len, "field '%s' is empty", p->format->id_col);
        return CC_REJECT_MALFORMED;
    }
    /* the publisher's columns in its order (hash_order_of); the row has the header's fields */
    for (int i = 0; i < p->hash_count; i++)
        p->hashed_fields[i] = row->fields[p->hash_order[i]], p->hashed_lengths[i] = row->lengths[p->hash_order[i]];
    uint64_t hash = cc_hash_fields(p->hashed_fields, p->hashed_lengths, p->hash_count);
    uint32_t ordinal = cc_row_ordinals_next(p->ordinals, hash);
    if (ordinal == 0) {
        snprintf(detail, len, "out of memory numbering rows");
        return CC_PARSE_NO_MEMORY;
    }
    snprintf(p->source_id, sizeof p->source_id, "h%016" PRIx64 "-%" PRIu32, hash, ordinal);
    return CC_REJECT_NONE;
}

/* A text field as the store keeps it: well-formed UTF-8, mended in the parser's buffer
 * `slot` when it was not (out->mended_field then names the first such column). Returns
 * "" for an absent column, NULL when out of memory. */
static const char *as_utf8(cc_row_parser *p, int slot, const char *column, const char *text, cc_incident *out) {
    if (!text) return "";
    int repaired = 0;
    const char *mended = cc_utf8_repaired(text, &p->mended[slot].text, &p->mended[slot].capacity, &repaired);
    if (repaired && !out->mended_field) out->mended_field = column;
    return mended;
}

/* Whether a field read across lines is what two stray quotes make of the lines between
 * them: one opening a field on the first line and a later one closing it join those lines
 * into one record of the right field count (one incident took another row's coordinates,
 * the rows between were lost, nothing counted: a probe). Inside, no quote (any would have
 * closed it); each whole line between holds a row's commas, the header's fields less one;
 * and the first line's part after the quote and the last's before it hold one row's
 * between them. A description written over lines matches that by chance only (a reviewer:
 * "a row's worth of commas or more" took a long one for it). */
static int joins_rows(const char *text, size_t length, int header_fields) {
    if (!memchr(text, '\n', length) || memchr(text, '"', length)) return 0;
    int first = -1, commas = 0;
    for (size_t k = 0; k <= length; k++) {
        if (k < length && text[k] != '\n') {
            commas += text[k] == ',';
            continue;
        }
        if (k == length) return first + commas == header_fields - 1; /* the last line's part */
        if (first < 0) first = commas;                                 /* the first line's part */
        else if (commas != header_fields - 1) return 0;                /* a whole line between */
        commas = 0;
    }
    return 0;
}

/* The field of a record read across lines that two stray quotes made (joins_rows), or -1. */
static int field_holding_rows(const cc_csv_row *row, int header_fields) {
    if (row->last_line <= row->line || header_fields < 3) return -1;
    for (int i = 0; i < row->field_count; i++)
        if (joins_rows(row->fields[i], row->lengths[i], header_fields)) return i;
    return -1;
}

cc_reject_reason cc_row_parser_parse(cc_row_parser *p, const cc_csv_row *row, cc_incident *out,
                                     char *detail, size_t detail_len) {
    if (row->unterminated_quote) { /* the lines after it are in this one record: said, as a stray quote's are */
        if (row->last_line > row->line)
            snprintf(detail, detail_len, "a quote opened here is not closed before the end of the file: the %ld lines "
                     "from here to the last (line %ld) were read as this one record, none of them stored (a stray "
                     "'\"' joins lines so)", row->last_line - row->line + 1, row->last_line);
        else snprintf(detail, detail_len, "quoted field not closed before the end of the file");
        return CC_REJECT_MALFORMED;
    }
    if (row->nul_byte) {
        snprintf(detail, detail_len, "a field holds a NUL byte");
        return CC_REJECT_MALFORMED;
    }
    if (row->unended) { /* stored as it stands, a cut row was there for good: its id's whole row a duplicate
                         * where the id came first, another incident where it was hashed or came last */
        snprintf(detail, detail_len, "the file's last line has no line end (a file cut short?): not stored");
        return CC_REJECT_MALFORMED;
    }
    if (row->too_many_fields) {
        snprintf(detail, detail_len, "more than %d fields, the header has %d", CC_CSV_MOST_FIELDS, p->header_fields);
        return CC_REJECT_MALFORMED;
    }
    if (row->field_count != p->header_fields && row->last_line > row->line) {
        /* a stray quote: the lines up to the one that closes it were read as one record */
        snprintf(detail, detail_len, "%d fields, the header has %d: a quote opened here closes on line %ld, and "
                 "the %ld lines from here to there were read as this one record (a stray '\"' joins lines so)",
                 row->field_count, p->header_fields, row->last_line, row->last_line - row->line + 1);
        return CC_REJECT_MALFORMED;
    }
    if (row->field_count != p->header_fields) {
        snprintf(detail, detail_len, "%d fields, the header has %d", row->field_count,
                 p->header_fields);
        return CC_REJECT_MALFORMED;
    }
    int joined = field_holding_rows(row, p->header_fields);
    if (joined >= 0) {
        snprintf(detail, detail_len, "field %d is quoted from here to line %ld and holds rows' worth of commas: a "
                 "stray '\"' here and another there join the %ld lines into this one record (their rows are not "
                 "stored; mend the quotes)", joined + 1, row->last_line, row->last_line - row->line + 1);
        return CC_REJECT_MALFORMED;
    }
    cc_reject_reason reason = make_source_id(p, row, detail, detail_len);
    if (reason == CC_REJECT_NONE) reason = parse_time(p, row, out, detail, detail_len);
    if (reason == CC_REJECT_NONE) reason = parse_coordinates(p, row, out, detail, detail_len);
    if (reason != CC_REJECT_NONE) return reason;

    out->source_id = p->source_id;
    out->loc_precision = p->format->loc_precision;
    out->mended_field = NULL;
    const char *raw_type = field(p, row, COL_TYPE), *desc = field(p, row, COL_DESC);
    if (!(raw_type = as_utf8(p, 0, p->format->type_col, raw_type, out)) ||
        !(desc = as_utf8(p, 1, p->format->desc_col, desc, out))) {
        snprintf(detail, detail_len, "out of memory mending text");
        return CC_PARSE_NO_MEMORY;
    }
    out->raw_type = is_blank(raw_type) ? NULL : raw_type;
    out->category = cc_city_category(p->city, out->raw_type, &out->raw_type_mapped);
    out->description = is_blank(desc) ? NULL : desc;
    return CC_REJECT_NONE;
}
