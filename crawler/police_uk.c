#include "crawler/police_uk.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/printable.h"

static const char *const POLICE_UK_HEADER[] = {
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"};
enum { POLICE_UK_FIELDS = 12 };

/* A field that is absent or not a string reads as empty: the row parser then rejects
 * the crime under the reason its field names (missing date, missing coordinates...). */
static const char *json_text(const cJSON *obj, const char *field) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsString(item) ? item->valuestring : "";
}

/* A coordinate as the row parser reads it: police.uk sends "51.5" as a string, but a
 * mirror or a re-serialised file may send the number 51.5; "%.17g" gives back the same
 * double. Anything else reads as empty (missing coordinates). */
static const char *json_coordinate(const cJSON *obj, const char *field, char number[32]) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!cJSON_IsNumber(item)) return json_text(obj, field);
    snprintf(number, 32, "%.17g", item->valuedouble);
    return number;
}

/* One API crime as a street-level CSV row, so the import parser reads it; numbers[] holds
 * the text of numeric coordinates, so it lives as long as the row. */
static void crime_as_row(const cc_city *city, const cJSON *crime, long index, char **fields, size_t *lengths,
                         char numbers[2][32], cc_csv_row *row) {
    const cJSON *location = cJSON_GetObjectItemCaseSensitive(crime, "location");
    const cJSON *street = cJSON_GetObjectItemCaseSensitive(location, "street");
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(crime, "outcome_status");
    const char *slug = json_text(crime, "category");
    const char *type = cc_city_api_category(city, slug);
    const char *values[POLICE_UK_FIELDS] = {
        json_text(crime, "persistent_id"), json_text(crime, "month"), "", "",
        json_coordinate(location, "longitude", numbers[0]), json_coordinate(location, "latitude", numbers[1]),
        json_text(street, "name"), "", "",
        type ? type : slug, json_text(outcome, "category"), json_text(crime, "context")};
    *row = (cc_csv_row){0};
    for (int i = 0; i < POLICE_UK_FIELDS; i++) {
        fields[i] = (char *)values[i];
        lengths[i] = strlen(values[i]);
        row->nul_byte |= memchr(values[i], '\x01', lengths[i]) != NULL; /* a \u0000 (escapes_mended) */
    }
    row->field_count = POLICE_UK_FIELDS;
    row->fields = fields;
    row->lengths = lengths;
    row->line = row->last_line = index + 1;
    row->unterminated_quote = 0;
}

static cc_row_parser *street_level_parser(const cc_city *city, char *err, size_t err_len) {
    char *fields[POLICE_UK_FIELDS];
    size_t lengths[POLICE_UK_FIELDS];
    for (int i = 0; i < POLICE_UK_FIELDS; i++) {
        fields[i] = (char *)POLICE_UK_HEADER[i];
        lengths[i] = strlen(POLICE_UK_HEADER[i]);
    }
    cc_csv_row header = {.field_count = POLICE_UK_FIELDS, .fields = fields, .lengths = lengths, .line = 1, .last_line = 1};
    char why[512];
    cc_row_parser *parser = cc_row_parser_for_header(city, &header, why, sizeof why);
    if (!parser) snprintf(err, err_len, "police.uk: %s", why);
    return parser;
}

/* The 4 hex digits at `hex` as a number, or -1. */
static long escape_value(const char *hex) {
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int c = hex[k], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = 16 * v + d;
    }
    return v;
}

/* A copy of the answer with two kinds of \u escape mended in place (the same length):
 * - \u0000 would end cJSON's C string there, and an id cut so could make two crimes one:
 *   each becomes \u0001, which no police.uk field holds, and the crime with it is refused
 *   as a row with a NUL byte is (crime_as_row);
 * - a surrogate escape without its pair (\ud800 alone: JSON's grammar allows it, and a
 *   serialiser writes it for a lone surrogate) made cJSON refuse the whole answer, which
 *   stopped the crawl there on every run (a probe): it becomes \ufffd, the replacement
 *   character, as text that is not UTF-8 is mended elsewhere.
 * The caller frees the copy; NULL when out of memory. */
static char *escapes_mended(const char *body, size_t length) {
    char *copy = malloc(length + 1);
    if (!copy) return NULL;
    memcpy(copy, body, length);
    copy[length] = 0;
    size_t backslashes = 0; /* run of them before copy[i]: an odd one escapes the next character */
    int after_high = 0;     /* the escape just before was a high surrogate's, kept */
    for (size_t i = 0; i < length; i++) {
        int escape = copy[i] == '\\' && backslashes % 2 == 0 && i + 6 <= length && copy[i + 1] == 'u';
        long v = escape ? escape_value(copy + i + 2) : -1;
        if (v == 0) copy[i + 5] = '1';
        int high = v >= 0xD800 && v <= 0xDBFF, low = v >= 0xDC00 && v <= 0xDFFF;
        int paired_high = high && i + 12 <= length && copy[i + 6] == '\\' && copy[i + 7] == 'u' &&
                          escape_value(copy + i + 8) >= 0xDC00 && escape_value(copy + i + 8) <= 0xDFFF;
        if ((high && !paired_high) || (low && !after_high)) memcpy(copy + i + 2, "fffd", 4);
        if (v >= 0) after_high = paired_high, backslashes = 0, i += 5; /* past the escape */
        else backslashes = copy[i] == '\\' ? backslashes + 1 : 0;
    }
    return copy;
}

/* The start of an answer, printable and quoted ("..." when there is more), to name what
 * came instead of the JSON expected (an HTML error page, a cut body). */
static void answer_begins(const char *body, size_t length, char *out, size_t len) {
    char head[64], shown[80];
    size_t n = length < sizeof head - 1 ? length : sizeof head - 1;
    memcpy(head, body, n);
    head[n] = 0;
    snprintf(out, len, "'%s'%s", cc_printable(head, shown, sizeof shown, 48), length > n ? "..." : "");
}

int cc_police_uk_months(const char *body, size_t length, const char *label, char (**months)[8], int *count,
                        char *err, size_t err_len) {
    cJSON *list = cJSON_ParseWithLength(body, length);
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1, ok = n >= 0;
    *months = ok ? malloc(sizeof **months * (size_t)(n > 0 ? n : 1)) : NULL;
    *count = 0;
    const cJSON *entry, *entries = ok ? list : NULL;
    cJSON_ArrayForEach(entry, entries) {
        const char *date = json_text(entry, "date");
        int y, m;
        char tail;
        if (!*months || !date || strlen(date) != 7 || sscanf(date, "%4d-%2d%c", &y, &m, &tail) != 2 || m < 1 || m > 12) {
            ok = 0;
            break;
        }
        memcpy((*months)[(*count)++], date, 8);
    }
    if (!ok) {
        char begins[96];
        answer_begins(body, length, begins, sizeof begins);
        snprintf(err, err_len, "%s: not a JSON array of months ({\"date\": \"YYYY-MM\"}) (%zu bytes: %s)", label,
                 length, begins);
        free(*months);
        *months = NULL, *count = 0;
    }
    cJSON_Delete(list);
    return ok ? 0 : -1;
}

/* Whether the crime is of a month other than the one asked (an empty month aside: the row
 * parser names it missing). */
static int of_other_month(const cJSON *crime, const char *month) {
    const char *its = json_text(crime, "month");
    return *its && strcmp(its, month) != 0;
}

/* Whether most of the answer's crimes are of a month other than the one asked: then it is
 * not that month's answer (a proxy or mirror ignoring the query), and nothing of it is
 * stored; a few such crimes are rejected one by one (a bad date), as one refused the
 * whole answer on every run and the crawl never got past it (a probe). 0, or -1 with err. */
static int other_month(const cJSON *crimes, const char *month, const char *label, char *err, size_t err_len) {
    int others = 0, total = 0;
    const char *first = "";
    const cJSON *crime;
    cJSON_ArrayForEach(crime, crimes) {
        total++;
        if (of_other_month(crime, month) && others++ == 0) first = json_text(crime, "month");
    }
    if (2 * others <= total) return 0;
    char shown[64];
    snprintf(err, err_len, "%s: %d of %d crimes are of another month than the %s asked for (the first: '%s'): the "
             "answer is not that month's (a proxy or mirror ignoring the query?); nothing of it stored", label, others,
             total, month, cc_printable(first, shown, sizeof shown, 16));
    return -1;
}

int cc_police_uk_import_page(cc_store *store, const cc_city *city, const char *body, size_t length, const char *month,
                             const char *label, cc_import_stats *stats, char *err, size_t err_len) {
    char *marked = escapes_mended(body, length);
    if (!marked) {
        snprintf(err, err_len, "%s: out of memory", label);
        return -1;
    }
    cJSON *crimes = cJSON_ParseWithLength(marked, length);
    free(marked);
    if (!cJSON_IsArray(crimes)) {
        char begins[96];
        answer_begins(body, length, begins, sizeof begins);
        snprintf(err, err_len, "%s: the response is not a JSON array of crimes (%s%zu bytes: %s)", label,
                 crimes ? "" : "not JSON, ", length, begins);
        cJSON_Delete(crimes);
        return -1;
    }
    if (month && other_month(crimes, month, label, err, err_len) != 0) {
        cJSON_Delete(crimes);
        return -1;
    }
    cc_row_parser *parser = street_level_parser(city, err, err_len);
    int status = parser ? 0 : -1;
    long index = 0;
    const cJSON *crime;
    cJSON_ArrayForEach(crime, crimes) {
        if (status != 0) break;
        char *fields[POLICE_UK_FIELDS];
        size_t lengths[POLICE_UK_FIELDS];
        char numbers[2][32];
        cc_csv_row row;
        if (month && of_other_month(crime, month)) {
            char detail[128], shown[48];
            snprintf(detail, sizeof detail, "month '%s', not the %s asked for",
                     cc_printable(json_text(crime, "month"), shown, sizeof shown, 16), month);
            cc_import_reject(stats, label, ++index, CC_REJECT_BAD_DATE, detail);
            continue;
        }
        crime_as_row(city, crime, index++, fields, lengths, numbers, &row);
        status = cc_import_row(store, city, parser, &row, label, stats, err, err_len);
    }
    cc_row_parser_free(parser);
    cJSON_Delete(crimes);
    return status;
}
