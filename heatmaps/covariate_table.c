/* heatmaps/covariate_table.h */
#include "heatmaps/covariate_table.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"

static int contains_nocase(const char *text, const char *pattern) {
    size_t n = strlen(pattern);
    for (const char *p = text; *p; p++)
        if (!strncasecmp(p, pattern, n)) return 1;
    return n == 0;
}

static int is_missing_text(const char *s) {
    while (isspace((unsigned char)*s)) s++;
    return !*s || !strcasecmp(s, "NA") || !strcasecmp(s, "NaN") || !strcasecmp(s, "null");
}

/* A decimal number filling the whole field (spaces around allowed) that a map's float
 * holds, or -1: strtod's hexadecimal ("0x10") is no table's number, and 3.5e38 would be
 * an infinity in the map. */
static int parse_number(const char *s, double *v) {
    char *end;
    errno = 0;
    if (strpbrk(s, "xX")) return -1;
    *v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    return end != s && !*end && errno == 0 && isfinite(*v) && fabs(*v) <= FLT_MAX ? 0 : -1;
}

/* The reading state: the header's column indices and the growing arrays. */
typedef struct table_reader {
    const char *path;
    int key, date, field_count;
    int source[CC_TABLE_MOST_COLUMNS];   /* header index of each chosen column */
    int tentative;                        /* columns chosen by default: drop those with text */
    char first_bad[CC_TABLE_MOST_COLUMNS][640]; /* each column's first field that is not a number */
    long capacity;
    long *lines;                          /* each kept row's line in the file */
    char *state;                          /* [rows][columns]: 0 a number, 1 missing, 2 not a number */
} table_reader;

/* A file's text as a message may show it: printable, at most 60 bytes of it. */
typedef struct shown_text {
    char text[256];
} shown_text;

static shown_text shown(const char *text) {
    shown_text s;
    cc_printable(text, s.text, sizeof s.text, 60);
    return s;
}

static int find_column(const cc_csv_row *header, const char *name) {
    for (int i = 0; i < header->field_count; i++)
        if (!strcmp(header->fields[i], name)) return i;
    return -1;
}

static void list_columns(const char *path, const cc_csv_row *header, const char *what, const char *name, char *err,
                         size_t err_len) {
    size_t n = (size_t)snprintf(err, err_len, "%s has no %s column '%s' (it has:", path, what, shown(name).text);
    for (int i = 0; i < header->field_count && n < err_len; i++)
        n += (size_t)snprintf(err + n, err_len - n, "%s '%s'", i ? "," : "", shown(header->fields[i]).text);
    if (n < err_len) snprintf(err + n, err_len - n, ")");
}

int cc_table_column(const cc_csv_row *header, const char *path, const char *what, const char *name, char *err,
                    size_t err_len) {
    int i = find_column(header, name);
    if (i < 0) list_columns(path, header, what, name, err, err_len);
    for (int again = i + 1; i >= 0 && again < header->field_count; again++)
        if (!strcmp(header->fields[again], name)) { /* the first was taken without a word */
            snprintf(err, err_len, "%s has two columns named '%s' (columns %d and %d): which is the %s column is "
                     "unclear; rename one", path, shown(name).text, i + 1, again + 1, what);
            return -1;
        }
    return i;
}

static int add_column(table_reader *r, cc_covariate_table *t, const cc_csv_row *header, int i, char *err,
                      size_t err_len) {
    for (int k = 0; k < t->columns; k++)
        if (r->source[k] == i) return 0;
    if (t->columns == CC_TABLE_MOST_COLUMNS) {
        snprintf(err, err_len, "%s: more than %d value columns chosen; choose fewer with --columns", r->path,
                 CC_TABLE_MOST_COLUMNS);
        return -1;
    }
    r->source[t->columns] = i;
    t->headers[t->columns++] = strdup(header->fields[i]);
    return 0;
}

static int choose_columns(table_reader *r, cc_covariate_table *t, const cc_csv_row *header,
                          const char *const *patterns, int pattern_count, char *err, size_t err_len) {
    r->tentative = pattern_count == 0;
    for (int p = 0; p < pattern_count; p++) {
        int found = 0;
        for (int i = 0; i < header->field_count; i++)
            if (i != r->key && i != r->date && contains_nocase(header->fields[i], patterns[p])) {
                if (add_column(r, t, header, i, err, err_len) != 0) return -1;
                found = 1;
            }
        int only_key_or_date = 0; /* matched by the key or date column alone: say so (it said "no value column") */
        for (int i = 0; !found && i < header->field_count; i++)
            only_key_or_date |= (i == r->key || i == r->date) && contains_nocase(header->fields[i], patterns[p]);
        if (!found && only_key_or_date)
            snprintf(err, err_len, "%s: --columns '%s' matches only the %s column, which holds no values to map; give "
                     "a pattern of a value column", r->path, shown(patterns[p]).text,
                     r->key >= 0 && contains_nocase(header->fields[r->key], patterns[p]) ? "key" : "date");
        else if (!found)
            list_columns(r->path, header, "value", patterns[p], err, err_len);
        if (!found) return -1;
    }
    for (int i = 0; r->tentative && i < header->field_count; i++)
        if (i != r->key && i != r->date && header->fields[i][0] && add_column(r, t, header, i, err, err_len) != 0)
            return -1;
    return 0;
}

static int grow(table_reader *r, cc_covariate_table *t, int dated) {
    if (t->rows < r->capacity) return 0;
    long cap = r->capacity ? 2 * r->capacity : 1024;
    char **keys = realloc(t->keys, sizeof *keys * (size_t)cap);
    if (keys) t->keys = keys;
    double *values = realloc(t->values, sizeof *values * (size_t)cap * (size_t)(t->columns ? t->columns : 1));
    if (values) t->values = values;
    long *lines = realloc(r->lines, sizeof *lines * (size_t)cap);
    if (lines) r->lines = lines;
    char *state = realloc(r->state, (size_t)cap * (size_t)(t->columns ? t->columns : 1));
    if (state) r->state = state;
    int64_t *days = dated ? realloc(t->days, sizeof *days * (size_t)cap) : NULL;
    if (days) t->days = days;
    if (!keys || !values || !lines || !state || (dated && !days)) return -1;
    r->capacity = cap;
    return 0;
}

/* The first field or row not taken, in words (later ones are only counted). */
__attribute__((format(printf, 2, 3))) static void note_problem(cc_covariate_table *t, const char *fmt, ...) {
    if (t->first_problem[0]) return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(t->first_problem, sizeof t->first_problem, fmt, args);
    va_end(args);
}

/* A field without the spaces and tabs around it, in the row's own buffer (a code saved
 * as "E01000001 " is the polygons' E01000001, as a value " 2.5" is 2.5). */
static char *trimmed(char *field) {
    while (*field == ' ' || *field == '\t') field++;
    size_t n = strlen(field);
    while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\t')) field[--n] = '\0';
    return field;
}

/* One data row into the table (or skipped and counted). */
static int take_row(table_reader *r, cc_covariate_table *t, const cc_csv_row *row) {
    const char *key = r->key < row->field_count ? trimmed(row->fields[r->key]) : "";
    int64_t day = 0;
    if (row->field_count != r->field_count || !key[0] ||
        (r->date >= 0 && cc_parse_iso_date(trimmed(row->fields[r->date]), &day) != 0)) {
        t->skipped++;
        note_problem(t, "%s: row at line %ld skipped: %s%s", r->path, row->line,
                     row->field_count != r->field_count ? "a different number of fields than the header"
                     : !key[0]                          ? "empty key"
                                                        : "not a YYYY-MM-DD date: ",
                     row->field_count == r->field_count && key[0] ? shown(row->fields[r->date]).text : "");
        return 0;
    }
    if (t->rows >= CC_TABLE_MOST_ROWS) return -2;
    if (grow(r, t, r->date >= 0) != 0 || !(t->keys[t->rows] = strdup(key))) return -1;
    if (t->days) t->days[t->rows] = day;
    r->lines[t->rows] = row->line;
    double *v = t->values + (size_t)t->rows * t->columns;
    for (int k = 0; k < t->columns; k++) {
        const char *field = row->fields[r->source[k]];
        char *state = r->state + (size_t)t->rows * t->columns + k;
        *state = 0;
        if (is_missing_text(field)) v[k] = NAN, t->missing[k]++, *state = 1;
        else if (parse_number(field, &v[k]) != 0) {
            v[k] = NAN, t->not_numeric[k]++, *state = 2;
            if (!r->first_bad[k][0])
                snprintf(r->first_bad[k], sizeof r->first_bad[k], "line %ld, column '%s': '%s'", row->line,
                         shown(t->headers[k]).text, shown(field).text);
        }
    }
    t->rows++;
    return 0;
}

/* Default columns holding text (names, codes: most filled fields not numbers) or nothing
 * are no covariates: dropped, and the values compacted in place (a row's new start
 * never passes its old one). A numeric column's few bad fields stay counted. */
static void drop_text_columns(table_reader *r, cc_covariate_table *t) {
    int kept = 0, old = t->columns, keep[CC_TABLE_MOST_COLUMNS];
    for (int k = 0; k < old; k++) {
        long filled = t->rows - t->missing[k];
        keep[k] = filled > 0 && 2 * t->not_numeric[k] < filled;
    }
    size_t w = 0;
    for (long i = 0; i < t->rows; i++)
        for (int k = 0; k < old; k++)
            if (keep[k]) r->state[w] = r->state[(size_t)i * old + k], t->values[w++] = t->values[(size_t)i * old + k];
    for (int k = 0; k < old; k++) {
        if (!keep[k]) {
            free(t->headers[k]);
            continue;
        }
        t->headers[kept] = t->headers[k], t->missing[kept] = t->missing[k];
        t->not_numeric[kept] = t->not_numeric[k], r->source[kept] = r->source[k];
        memmove(r->first_bad[kept], r->first_bad[k], sizeof r->first_bad[k]);
        kept++;
    }
    t->columns = kept;
}

/* A row's sort key: rows sort by key, then day, then position in the file. */
typedef struct row_ref {
    const char *key;
    int64_t day;
    long row;
} row_ref;

static int by_key_day_row(const void *a, const void *b) {
    const row_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Whether rows i and j hold the same values (missing alike). */
static int same_values(const cc_covariate_table *t, long i, long j) {
    for (int k = 0; k < t->columns; k++) {
        double a = t->values[(size_t)i * t->columns + k], b = t->values[(size_t)j * t->columns + k];
        if (!(a == b || (isnan(a) && isnan(b)))) return 0;
    }
    return 1;
}

/* A (key, day) seen before with the same values: the later rows are skipped and counted.
 * Leaves the rows sorted by key and day, which the joins look up by bisection. A key (and
 * day, in a series) that repeats with other values is refused (-2, err): a series read
 * without --date, or two sources mixed, and which row is the map's cannot be guessed. */
static int drop_repeats(table_reader *r, cc_covariate_table *t, char *err, size_t err_len) {
    long n = t->rows, kept = 0;
    size_t room = (size_t)(n ? n : 1);
    row_ref *order = malloc(sizeof *order * room);
    char **keys = malloc(sizeof *keys * room);
    double *values = malloc(sizeof *values * room * (size_t)(t->columns ? t->columns : 1));
    int64_t *days = t->days ? malloc(sizeof *days * room) : NULL;
    char *repeat = calloc(room, 1);
    if (!order || !keys || !values || (t->days && !days) || !repeat) {
        free(order), free(keys), free(values), free(days), free(repeat);
        return -1;
    }
    for (long i = 0; i < n; i++) order[i] = (row_ref){t->keys[i], t->days ? t->days[i] : 0, i};
    qsort(order, (size_t)n, sizeof *order, by_key_day_row);
    for (long s = 0; s < n; s++) {
        long i = order[s].row;
        if (s && !by_key_day_row(&(row_ref){order[s].key, order[s].day, 0}, &(row_ref){order[s - 1].key, order[s - 1].day, 0})) {
            char day[16] = "";
            if (t->days) {
                char iso[11];
                cc_format_iso_date(order[s].day, iso);
                snprintf(day, sizeof day, " on %s", iso);
            }
            if (!same_values(t, i, order[s - 1].row)) { /* which row is the map's (the day's) cannot be guessed */
                if (t->days)
                    snprintf(err, err_len, "%s: key '%s'%s has rows of other values (lines %ld and %ld): a series "
                             "takes one row per code and day", r->path, shown(t->keys[i]).text, day,
                             r->lines[order[s - 1].row], r->lines[i]);
                else
                    snprintf(err, err_len, "%s: key '%s' has rows of other values (lines %ld and %ld): a table of "
                             "maps takes one row per code; a series by date needs --date COLUMN", r->path,
                             shown(t->keys[i]).text, r->lines[order[s - 1].row], r->lines[i]);
                free(order), free(keys), free(values), free(days), free(repeat);
                return -2;
            }
            t->skipped++;
            note_problem(t, "%s: row at line %ld skipped: key '%s'%s repeats the row at line %ld", r->path, r->lines[i],
                         shown(t->keys[i]).text, day, r->lines[order[s - 1].row]);
            repeat[s] = 1; /* its key is freed below: the next row is compared with it */
            continue;
        }
        keys[kept] = t->keys[i];
        if (days) days[kept] = t->days[i];
        memcpy(values + (size_t)kept * t->columns, t->values + (size_t)i * t->columns,
               sizeof *values * (size_t)t->columns);
        kept++;
    }
    for (int k = 0; k < t->columns; k++) t->missing[k] = t->not_numeric[k] = 0; /* over the rows kept */
    for (long s = 0; s < n; s++) {
        if (repeat[s]) {
            free(t->keys[order[s].row]);
            continue;
        }
        const char *state = r->state + (size_t)order[s].row * t->columns;
        for (int k = 0; k < t->columns; k++) t->missing[k] += state[k] == 1, t->not_numeric[k] += state[k] == 2;
    }
    free(repeat), free(order), free(t->keys), free(t->values), free(t->days);
    t->keys = keys, t->values = values, t->days = days, t->rows = kept;
    return 0;
}

static int read_header(table_reader *r, cc_csv_reader *csv, cc_covariate_table *t, const char *key_column,
                       const char *date_column, const char *const *patterns, int pattern_count, char *err,
                       size_t err_len) {
    cc_csv_row header;
    if (cc_csv_next(csv, &header) != 1) {
        snprintf(err, err_len, "%s: no header line (%s)", r->path, cc_csv_error(csv) ? cc_csv_error(csv) : "empty");
        return -1;
    }
    if (header.too_many_fields) {
        snprintf(err, err_len, "%s: the header has more than %d fields (not a covariate table?)", r->path,
                 CC_CSV_MOST_FIELDS);
        return -1;
    }
    r->field_count = header.field_count;
    r->date = -1;
    if ((r->key = cc_table_column(&header, r->path, "key", key_column, err, err_len)) < 0 ||
        (date_column && (r->date = cc_table_column(&header, r->path, "date", date_column, err, err_len)) < 0))
        return -1;
    return choose_columns(r, t, &header, patterns, pattern_count, err, err_len);
}

static int read_rows(table_reader *r, cc_csv_reader *csv, cc_covariate_table *t, char *err, size_t err_len) {
    cc_csv_row row;
    int got;
    while ((got = cc_csv_next(csv, &row)) == 1) {
        if (row.unterminated_quote || row.nul_byte || row.too_many_fields) {
            t->skipped++;
            if (row.too_many_fields)
                note_problem(t, "%s: row at line %ld skipped: more than %d fields", r->path, row.line,
                             CC_CSV_MOST_FIELDS);
            else
                note_problem(t, "%s: row at line %ld skipped: %s", r->path, row.line,
                             row.nul_byte ? "a NUL byte in a field" : "a quote left open");
            continue;
        }
        int status = take_row(r, t, &row);
        if (status == -2) snprintf(err, err_len, "%s: more than %d rows", r->path, CC_TABLE_MOST_ROWS);
        else if (status) snprintf(err, err_len, "%s: out of memory at line %ld", r->path, row.line);
        if (status) return -1;
    }
    if (got < 0) snprintf(err, err_len, "%s: %s", r->path, cc_csv_error(csv));
    return got < 0 ? -1 : 0;
}

/* 1 when the first 4 KiB of the table's text (a .gz's, uncompressed) hold a NUL byte, as
 * text never does: a binary file given as the table (its bytes were listed as the table's
 * columns; a probe), a zip archive, or UTF-16. Looked at through the reader's own stream,
 * so a pipe is judged too; 0 when it cannot be read (the reading proper then says why). */
static int binary_text(cc_byte_source *src) {
    const char *head;
    long got = cc_byte_source_peek(src, &head, 4096);
    return got > 0 && memchr(head, 0, (size_t)got) != NULL;
}

int cc_covariate_table_read(const char *path, const char *key_column, const char *date_column,
                            const char *const *patterns, int pattern_count, cc_covariate_table *t, char *err,
                            size_t err_len) {
    memset(t, 0, sizeof *t);
    table_reader r = {.path = path};
    cc_byte_source *src = cc_byte_source_open_file(path, err, err_len);
    if (!src) return -1;
    if (binary_text(src)) {
        snprintf(err, err_len, "%s: not a text table: a NUL byte in its first 4 KiB (a binary file%s, or text in "
                 "UTF-16?)", path, cc_file_is_zip(path) ? ": a zip archive; give the table inside it" : "");
        cc_byte_source_close(src);
        return -1;
    }
    cc_csv_reader *csv = cc_csv_open(src);
    int status = csv ? read_header(&r, csv, t, key_column, date_column, patterns, pattern_count, err, err_len) : -1;
    if (!csv) snprintf(err, err_len, "%s: out of memory", path);
    if (!status) status = read_rows(&r, csv, t, err, err_len);
    if (csv) cc_csv_close(csv);
    cc_byte_source_close(src);
    if (!status && r.tentative) drop_text_columns(&r, t);
    for (int k = 0; !status && k < t->columns; k++)
        if (r.first_bad[k][0]) note_problem(t, "%s: %s is not a number (taken as missing)", path, r.first_bad[k]);
    int dropped = status ? 0 : drop_repeats(&r, t, err, err_len);
    if (dropped == -1) snprintf(err, err_len, "%s: out of memory", path);
    if (dropped) status = -1;
    /* no row first: without rows every column looks like text (dates of another form) */
    if (!status && t->rows == 0) {
        if (t->skipped) snprintf(err, err_len, "%s: no row kept (%ld skipped; %s)", path, t->skipped, t->first_problem);
        else snprintf(err, err_len, "%s: no row below the header", path);
        status = -1;
    }
    if (!status && t->columns == 0) {
        snprintf(err, err_len, "%s: no numeric column to take (choose with --columns)", path);
        status = -1;
    }
    free(r.lines), free(r.state);
    if (status) cc_covariate_table_free(t);
    return status;
}

void cc_covariate_table_free(cc_covariate_table *t) {
    for (long i = 0; t->keys && i < t->rows; i++) free(t->keys[i]);
    for (int k = 0; k < t->columns; k++) free(t->headers[k]);
    free(t->keys), free(t->days), free(t->values);
    memset(t, 0, sizeof *t);
}
