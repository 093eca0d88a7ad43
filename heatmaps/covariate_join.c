/* heatmaps/covariate_join.h */
#include "heatmaps/covariate_join.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/csv_reader.h"

/* ------------------------------------------------------------------ the lookup */

typedef struct code_pair {
    char *polygon, *table;
} code_pair;

static int by_polygon_code(const void *a, const void *b) {
    return strcmp(((const code_pair *)a)->polygon, ((const code_pair *)b)->polygon);
}

static int read_pairs(cc_csv_reader *csv, int a, int b, code_pair **out, long *count) {
    long n = 0, cap = 0;
    code_pair *pairs = NULL;
    cc_csv_row row;
    int got;
    while ((got = cc_csv_next(csv, &row)) == 1) {
        if (row.too_many_fields || row.field_count <= (a > b ? a : b) || !row.fields[a][0] || !row.fields[b][0])
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            code_pair *grown = realloc(pairs, sizeof *pairs * (size_t)cap);
            if (!grown) break;
            pairs = grown;
        }
        pairs[n].polygon = strdup(row.fields[a]), pairs[n].table = strdup(row.fields[b]);
        if (!pairs[n].polygon || !pairs[n].table) {
            free(pairs[n].polygon), free(pairs[n].table);
            break;
        }
        n++;
    }
    *out = pairs, *count = n;
    return got; /* 0 at the end; 1 when stopped for memory; -1 on a read error */
}

int cc_code_lookup_read(const char *path, const char *polygon_column, const char *table_column, cc_code_lookup *l,
                        char *err, size_t err_len) {
    memset(l, 0, sizeof *l);
    cc_byte_source *src = cc_byte_source_open_file(path, err, err_len);
    if (!src) return -1;
    cc_csv_reader *csv = cc_csv_open(src);
    cc_csv_row header;
    int status = -1, a = -1, b = -1;
    if (!csv || cc_csv_next(csv, &header) != 1) snprintf(err, err_len, "%s: no header line", path);
    else if (header.too_many_fields)
        snprintf(err, err_len, "%s: the header has more than %d fields (not a lookup table?)", path, CC_CSV_MOST_FIELDS);
    else if ((a = cc_table_column(&header, path, "lookup", polygon_column, err, err_len)) < 0 ||
             (b = cc_table_column(&header, path, "lookup", table_column, err, err_len)) < 0) {
        /* err says which column is missing */
    } else {
        code_pair *pairs = NULL;
        int got = read_pairs(csv, a, b, &pairs, &l->n);
        if (got) snprintf(err, err_len, "%s: %s", path, got < 0 ? cc_csv_error(csv) : "out of memory");
        if (l->n > 1) qsort(pairs, (size_t)l->n, sizeof *pairs, by_polygon_code); /* none read: pairs is NULL */
        l->polygon_code = malloc(sizeof(char *) * (size_t)(l->n ? l->n : 1));
        l->table_code = malloc(sizeof(char *) * (size_t)(l->n ? l->n : 1));
        for (long i = 0; l->polygon_code && l->table_code && i < l->n; i++)
            l->polygon_code[i] = pairs[i].polygon, l->table_code[i] = pairs[i].table;
        status = got || !l->polygon_code || !l->table_code ? -1 : 0;
        if (!got && status) snprintf(err, err_len, "%s: out of memory", path);
        if (status) /* the pairs were not handed over: free them here */
            for (long i = 0; i < l->n; i++) free(pairs[i].polygon), free(pairs[i].table);
        if (status) l->n = 0;
        free(pairs);
    }
    if (csv) cc_csv_close(csv);
    cc_byte_source_close(src);
    if (!status && l->n == 0) snprintf(err, err_len, "%s: no pair of codes in it", path), status = -1;
    if (status) cc_code_lookup_free(l);
    return status;
}

void cc_code_lookup_free(cc_code_lookup *l) {
    for (long i = 0; i < l->n; i++) free(l->polygon_code[i]), free(l->table_code[i]);
    free(l->polygon_code), free(l->table_code);
    memset(l, 0, sizeof *l);
}

/* The first pair of polygon code `code` (pairs are sorted), or -1. */
static long first_pair(const cc_code_lookup *l, const char *code) {
    long lo = 0, hi = l->n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (strcmp(l->polygon_code[mid], code) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < l->n && !strcmp(l->polygon_code[lo], code) ? lo : -1;
}

/* Whether any polygon's code is in the lookup's polygon column. */
static int polygon_in_lookup(const cc_area_weights *w, const cc_code_lookup *l) {
    for (int p = 0; p < w->polygons; p++)
        if (first_pair(l, w->keys[p]) >= 0) return 1;
    return 0;
}

/* How many pairs name table code `code` (a parent's children): a linear count, made once
 * per code through the sorted list built in count_children. */
typedef struct child_count {
    const char *code;
    const char *child;  /* while counting: the pair's polygon code */
    int children;
} child_count;

static int by_code(const void *a, const void *b) {
    return strcmp(((const child_count *)a)->code, ((const child_count *)b)->code);
}

static int by_code_then_child(const void *a, const void *b) {
    int c = by_code(a, b);
    return c ? c : strcmp(((const child_count *)a)->child, ((const child_count *)b)->child);
}

/* Distinct polygon codes per table code (a lookup may repeat a pair, as an OA-level one
 * does once per output area: a repeat is no second child). */
static child_count *count_children(const cc_code_lookup *l, long *distinct) {
    child_count *c = malloc(sizeof *c * (size_t)(l->n ? l->n : 1));
    if (!c) return NULL;
    for (long i = 0; i < l->n; i++) c[i] = (child_count){l->table_code[i], l->polygon_code[i], 1};
    qsort(c, (size_t)l->n, sizeof *c, by_code_then_child);
    long n = 0;
    for (long i = 0; i < l->n; i++) {
        if (n && !strcmp(c[n - 1].code, c[i].code)) c[n - 1].children += strcmp(c[i - 1].child, c[i].child) != 0;
        else c[n++] = c[i];
    }
    *distinct = n;
    return c;
}

/* ------------------------------------------------------------------ the join */

/* The table's distinct keys (its rows are sorted by key): key q's first row. */
static int table_keys(const cc_covariate_table *t, cc_join *j) {
    j->key_first = malloc(sizeof *j->key_first * (size_t)(t->rows + 1));
    if (!j->key_first) return -1;
    j->keys = 0;
    for (long i = 0; i < t->rows; i++)
        if (i == 0 || strcmp(t->keys[i], t->keys[i - 1])) j->key_first[j->keys++] = i;
    j->key_first[j->keys] = t->rows;
    return 0;
}

static int find_key(const cc_covariate_table *t, const cc_join *j, const char *code) {
    int lo = 0, hi = j->keys;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(t->keys[j->key_first[mid]], code);
        if (!c) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* Polygon p's table keys through the lookup, into keys (room: the lookup's size), and
 * how the code changed; the number of keys found. *parents: the distinct table-side
 * codes the lookup gives it, found in the table or not. */
static int lookup_keys(const cc_covariate_table *t, const cc_join *j, const cc_code_lookup *l,
                       const child_count *children, long distinct, const char *code, int *keys, int *split,
                       int *parents) {
    long first = first_pair(l, code), i = first;
    int n = 0;
    *split = 0, *parents = 0;
    for (; i >= 0 && i < l->n && !strcmp(l->polygon_code[i], code); i++) {
        int listed = 0; /* this table-side code in an earlier pair of the polygon's */
        for (long e = first; e < i && !listed; e++) listed = !strcmp(l->table_code[e], l->table_code[i]);
        *parents += !listed;
        int q = find_key(t, j, l->table_code[i]);
        if (q < 0) continue;
        int seen = 0;
        for (int k = 0; k < n; k++) seen |= keys[k] == q;
        if (seen) continue;
        keys[n++] = q;
        child_count probe = {l->table_code[i], NULL, 0}, *c = bsearch(&probe, children, (size_t)distinct, sizeof probe, by_code);
        *split = c && c->children > 1;
    }
    return n;
}

static int add_terms(cc_join *j, int *cap, int p, const int *keys, int n) {
    if (j->start[p] + n > *cap) {
        int grown = 2 * *cap + n;
        int *key = realloc(j->key, sizeof *key * (size_t)grown);
        if (key) j->key = key;
        double *share = realloc(j->share, sizeof *share * (size_t)grown);
        if (share) j->share = share;
        if (!key || !share) return -1;
        *cap = grown;
    }
    for (int k = 0; k < n; k++) j->key[j->start[p] + k] = keys[k], j->share[j->start[p] + k] = 1.0 / n;
    j->start[p + 1] = j->start[p] + n;
    return 0;
}

/* Each polygon's terms, and the counts of how each matched. */
static int match_polygons(const cc_area_weights *w, const cc_covariate_table *t, const cc_code_lookup *l, cc_join *j,
                          int *keys, const child_count *children, long distinct) {
    int cap = w->polygons + 16;
    j->key = malloc(sizeof *j->key * (size_t)cap);
    j->share = malloc(sizeof *j->share * (size_t)cap);
    if (!j->key || !j->share) return -1;
    j->start[0] = 0;
    for (int p = 0; p < w->polygons; p++) {
        int q = find_key(t, j, w->keys[p]), n = 0, split = 0, parents = 0;
        if (q >= 0) keys[n++] = q, j->direct++, j->how[p] = 'd';
        else if (l && (n = lookup_keys(t, j, l, children, distinct, w->keys[p], keys, &split, &parents)) > 0) {
            if (n < parents && j->parents_missing++ == 0) /* the mean of the parents there: said */
                snprintf(j->first_parents_missing, sizeof j->first_parents_missing, "%s", w->keys[p]);
            if (parents > 1) j->merged++, j->how[p] = 'm'; /* of one parent found it was called renamed */
            else if (split) j->split++, j->how[p] = 's';
            else j->renamed++, j->how[p] = 'r';
        } else {
            j->unmatched++, j->how[p] = 'u';
            if (!j->first_unmatched[0]) snprintf(j->first_unmatched, sizeof j->first_unmatched, "%s", w->keys[p]);
        }
        if (add_terms(j, &cap, p, keys, n) != 0) return -1;
    }
    return 0;
}

static void count_unused_keys(cc_join *j) {
    char *used = calloc((size_t)(j->keys ? j->keys : 1), 1);
    if (!used) return;
    for (int i = 0; i < j->start[j->polygons]; i++) used[j->key[i]] = 1;
    j->keys_unused = 0;
    for (int q = 0; q < j->keys; q++) j->keys_unused += !used[q];
    free(used);
}

/* Whether the lookup the other way round would join an unmatched polygon: a pair whose
 * table-side code is the polygon's and whose polygon-side code is another one the table
 * holds (a pair of an unchanged code, X to X, says nothing: the table may lack X). A
 * linear scan per unmatched polygon, made only when the lookup joined none. */
static int swapped_would_join(const cc_area_weights *w, const cc_covariate_table *t, const cc_code_lookup *l,
                              const cc_join *j) {
    for (int p = 0; p < w->polygons; p++)
        for (long i = 0; j->how[p] == 'u' && i < l->n; i++)
            if (!strcmp(l->table_code[i], w->keys[p]) && strcmp(l->polygon_code[i], w->keys[p]) != 0 &&
                find_key(t, j, l->polygon_code[i]) >= 0)
                return 1;
    return 0;
}

/* Whether the lookup names an unmatched polygon (it was given for them) while no code of
 * its table column is a key of the table: a column of names, LSOA11NM for LSOA11CD (taken,
 * the polygons left without values; a probe). Linear scans, made only when the lookup
 * joined none. */
static int lookup_misses_table(const cc_area_weights *w, const cc_covariate_table *t, const cc_code_lookup *l,
                               const cc_join *j) {
    int names_unmatched = 0;
    for (int p = 0; p < w->polygons && !names_unmatched; p++)
        names_unmatched = j->how[p] == 'u' && first_pair(l, w->keys[p]) >= 0;
    for (long i = 0; names_unmatched && i < l->n; i++)
        if (find_key(t, j, l->table_code[i]) >= 0) return 0;
    return names_unmatched;
}

int cc_join_polygons(const cc_area_weights *w, const cc_covariate_table *t, const cc_code_lookup *l, cc_join *j,
                     char *err, size_t err_len) {
    memset(j, 0, sizeof *j);
    j->polygons = w->polygons;
    j->start = malloc(sizeof *j->start * (size_t)(w->polygons + 1));
    j->how = malloc((size_t)w->polygons + 1);
    int *keys = malloc(sizeof *keys * (size_t)((l ? l->n : 0) + 1));
    long distinct = 0;
    child_count *children = l ? count_children(l, &distinct) : NULL;
    int status = j->start && j->how && keys && (!l || children) && table_keys(t, j) == 0 ? 0 : -1;
    if (!status) status = match_polygons(w, t, l, j, keys, children, distinct);
    if (status) snprintf(err, err_len, "out of memory joining the polygons to the table");
    free(keys), free(children);
    if (!status) count_unused_keys(j);
    if (!status && j->unmatched == j->polygons) {
        snprintf(err, err_len, "no polygon's code matches a key of the table (the first: '%s'%s)", j->first_unmatched,
                 l ? ", nor through the lookup" : "; a lookup of code changes may help");
        status = -1;
    } else if (!status && l && j->unmatched > 0 && j->renamed + j->split + j->merged == 0 &&
               (!polygon_in_lookup(w, l) || swapped_would_join(w, t, l, j) || lookup_misses_table(w, t, l, j))) {
        /* a lookup given for the codes the table lacks that joins none of them, and either
         * holds no polygon's code in its polygon column or would join them the other way
         * round: its columns are swapped (codes that did not change are alike in both, so
         * the polygon column alone may still hold polygons' codes: London's 2011-2021
         * lookup), and the maps would silently miss those polygons. A lookup that joins
         * nothing the table lacks and has no word of the unmatched is not needed: fine. */
        int misses = lookup_misses_table(w, t, l, j);
        snprintf(err, err_len, "the lookup joins none of the %d polygons the table lacks (the first: '%s')%s%s: %s "
                 "--lookup-columns names the polygons' code column first, the table's second (or leave --lookup out)",
                 j->unmatched, j->first_unmatched,
                 polygon_in_lookup(w, l) ? "" : ", and its polygon column holds no polygon's code",
                 misses ? ", and its table column holds no key of the table" : "",
                 misses ? "is its second column the table's codes?" : "are its columns swapped?");
        status = -1;
    }
    if (status) cc_join_free(j);
    return status;
}

void cc_join_free(cc_join *j) {
    free(j->start), free(j->how), free(j->key), free(j->share), free(j->key_first);
    memset(j, 0, sizeof *j);
}

/* Text inside a quoted CSV field: inner quotes doubled. */
static void csv_text(const char *text, FILE *out) {
    for (const char *c = text; *c; c++) fputs(*c == '"' ? "\"\"" : (char[2]){*c, 0}, out);
}

static void csv_field(const char *text, FILE *out) {
    fputc('"', out);
    csv_text(text, out);
    fputc('"', out);
}

void cc_join_write_csv(const cc_join *j, const cc_area_weights *w, const cc_covariate_table *t, FILE *out) {
    fprintf(out, "polygon_code,how,table_codes,share\n");
    for (int p = 0; p < j->polygons; p++) {
        const char *how = j->how[p] == 'd' ? "direct" : j->how[p] == 'r' ? "renamed" : j->how[p] == 's' ? "split"
                          : j->how[p] == 'm' ? "merged" : "unmatched";
        csv_field(w->keys[p], out);
        fprintf(out, ",%s,\"", how);
        for (int k = j->start[p]; k < j->start[p + 1]; k++) {
            if (k > j->start[p]) fputc(';', out);
            csv_text(t->keys[j->key_first[j->key[k]]], out);
        }
        fprintf(out, "\",%.6g\n", j->start[p + 1] > j->start[p] ? j->share[j->start[p]] : 0.0);
    }
}

void cc_join_describe(const cc_join *j, char *out, size_t len) {
    snprintf(out, len,
             "%d polygons: %d direct, %d renamed, %d split (parent's value repeated), %d merged (mean of the parents), "
             "%d unmatched%s%s%s; %d of %d table keys unused",
             j->polygons, j->direct, j->renamed, j->split, j->merged, j->unmatched, j->unmatched ? " (the first: '" : "",
             j->unmatched ? j->first_unmatched : "", j->unmatched ? "')" : "", j->keys_unused, j->keys);
    size_t n = strlen(out);
    if (j->parents_missing > 0 && n < len)
        snprintf(out + n, len - n, "; %d merged polygon%s lack%s parents in the table (the first: '%s'): the mean of "
                 "the parents there", j->parents_missing, j->parents_missing > 1 ? "s" : "",
                 j->parents_missing > 1 ? "" : "s", j->first_parents_missing);
}

/* ------------------------------------------------------------------ the maps */

/* v [bins][keys][columns]: each key's value per bin (the bin's mean over its days). */
static double *key_values(const cc_join *j, const cc_covariate_table *t, const int64_t *start, const int64_t *end,
                          int bins) {
    int K = t->columns;
    double *v = malloc(sizeof *v * (size_t)bins * j->keys * K);
    double *sum = malloc(sizeof *sum * (size_t)K);
    int *n = malloc(sizeof *n * (size_t)K);
    for (int b = 0; v && sum && n && b < bins; b++)
        for (int q = 0; q < j->keys; q++) {
            for (int k = 0; k < K; k++) sum[k] = 0, n[k] = 0;
            long first = j->key_first[q], last = j->key_first[q + 1];
            if (t->days) { /* the key's rows are sorted by day: the bin's first by bisection */
                long hi = last;
                while (first < hi) {
                    long mid = first + (hi - first) / 2;
                    if (t->days[mid] < start[b]) first = mid + 1;
                    else hi = mid;
                }
            }
            for (long i = first; i < last; i++) {
                if (t->days && t->days[i] >= end[b]) break;
                for (int k = 0; k < K; k++) {
                    double x = t->values[(size_t)i * K + k];
                    if (isfinite(x)) sum[k] += x, n[k]++;
                }
            }
            for (int k = 0; k < K; k++) v[((size_t)b * j->keys + q) * K + k] = n[k] ? sum[k] / n[k] : NAN;
        }
    if (!sum || !n) free(v), v = NULL; /* out of memory: nothing filled */
    free(sum), free(n);
    return v;
}

int cc_join_maps(const cc_area_weights *w, const cc_join *j, const cc_covariate_table *t, const int64_t *start,
                 const int64_t *end, int bins, int H, int W, float *maps) {
    int K = t->columns;
    size_t plane = (size_t)H * W;
    double *v = key_values(j, t, start, end, bins);
    double *num = malloc(sizeof *num * (size_t)bins * K), *den = malloc(sizeof *den * (size_t)bins * K);
    if (!v || !num || !den) {
        free(v), free(num), free(den);
        return -1;
    }
    for (size_t i = 0; i < (size_t)bins * K * plane; i++) maps[i] = NAN;
    for (long a = 0; a < w->pieces;) { /* the pieces of one cell: a .. e */
        long e = a;
        int cell = w->piece[a].cell;
        while (e < w->pieces && w->piece[e].cell == cell) e++;
        memset(num, 0, sizeof *num * (size_t)bins * K), memset(den, 0, sizeof *den * (size_t)bins * K);
        for (long i = a; i < e; i++) {
            int p = w->piece[i].polygon;
            for (int term = j->start[p]; term < j->start[p + 1]; term++) {
                double weight = w->piece[i].area * j->share[term];
                for (int b = 0; b < bins; b++)
                    for (int k = 0; k < K; k++) {
                        double x = v[((size_t)b * j->keys + j->key[term]) * K + k];
                        if (isfinite(x)) num[b * K + k] += weight * x, den[b * K + k] += weight;
                    }
            }
        }
        for (int b = 0; b < bins; b++)
            for (int k = 0; k < K; k++)
                if (den[b * K + k] > 0) maps[((size_t)b * K + k) * plane + cell] = (float)(num[b * K + k] / den[b * K + k]);
        a = e;
    }
    free(v), free(num), free(den);
    return 0;
}
