/* The join of a polygon layer (heatmaps/area_weights.h) to a covariate table
 * (heatmaps/covariate_table.h) by code, and the maps it gives on the grid.
 *
 * A polygon takes the table's row of its own code when there is one ("direct"). Else,
 * with a code lookup (rows pairing a polygon-side code with a table-side code, such as
 * the ONS LSOA 2011 -> 2021 lookup read with the 2021 polygons and the 2011 table), it
 * takes its table-side codes found in the table:
 *   one code, which has no other polygon-side code: "renamed" (the value carried);
 *   one code, which has other polygon-side codes: "split" (each part repeats its
 *     parent's value, as the ONS advises for split areas);
 *   several codes: "merged", the unweighted mean of its parents (the lookup carries no
 *     population to weight them by; the share of each parent is 1/n); of the parents
 *     the table holds, when it lacks some (counted, and said by cc_join_describe).
 * A polygon with none of these is "unmatched" and adds no value: its area counts as
 * missing.
 *
 * Maps: for bin b (or the one static bin), column k and cell x, over the pieces (p, x)
 * of area a and the table keys q of p with share s_pq whose value v_qk(b) is known:
 *     value(x) = sum a s_pq v_qk(b) / sum a s_pq,     NaN when no such term exists,
 * the area-weighted mean over the part of the cell whose value is known. A dated table's
 * v_qk(b) is the mean of key q's values of column k over the days of bin b that have
 * one (NaN when none does): the mean of the bin's days, where the London study took the
 * median of the previous month; the forecasts read a bin's covariates only as an input
 * (the origin's), never the target bin's, so nothing of the target's days leaks. */
#ifndef CRIMECAST_HEATMAPS_COVARIATE_JOIN_H
#define CRIMECAST_HEATMAPS_COVARIATE_JOIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heatmaps/area_weights.h"
#include "heatmaps/covariate_table.h"

typedef struct cc_code_lookup {
    long n;
    char **polygon_code, **table_code;   /* [n] pairs, sorted by polygon code */
} cc_code_lookup;

/* Reads pairs (polygon_column, table_column) of a CSV (plain or gzip; a byte-order mark
 * is skipped). 0, or -1 with `err` (an unknown column lists the columns there are). */
int cc_code_lookup_read(const char *path, const char *polygon_column, const char *table_column,
                        cc_code_lookup *lookup, char *err, size_t err_len);
void cc_code_lookup_free(cc_code_lookup *lookup);

typedef struct cc_join {
    int polygons;
    int *start;          /* [polygons + 1]: polygon p's terms are start[p] .. start[p+1] */
    int *key;            /* the table key (index into key_first) of each term */
    double *share;       /* each term's share of the polygon's area */
    int keys;            /* distinct keys of the table */
    long *key_first;     /* [keys + 1]: key q's rows are key_first[q] .. key_first[q+1] (sorted by day) */
    char *how;           /* [polygons]: 'd' direct, 'r' renamed, 's' split, 'm' merged, 'u' unmatched */
    int direct, renamed, split, merged, unmatched;
    int keys_unused;     /* table keys no polygon takes */
    char first_unmatched[64];
    int parents_missing; /* merged polygons some of whose parents the table lacks (the mean of the others) */
    char first_parents_missing[64];
} cc_join;

/* Joins the polygons of `weights` to `table` (lookup may be NULL). 0, or -1 with `err`
 * when out of memory or when no polygon matches anything. */
int cc_join_polygons(const cc_area_weights *weights, const cc_covariate_table *table, const cc_code_lookup *lookup,
                     cc_join *join, char *err, size_t err_len);
void cc_join_free(cc_join *join);

/* Every polygon's join as CSV to `out`: polygon code, how (direct, renamed, split,
 * merged, unmatched), the table codes it took (';'-separated) and each one's share. */
void cc_join_write_csv(const cc_join *join, const cc_area_weights *weights, const cc_covariate_table *table, FILE *out);

/* One line on the join: "4835 polygons: 4659 direct, 0 renamed, 313 split, 44 merged,
 * 0 unmatched; 0 table keys unused". */
void cc_join_describe(const cc_join *join, char *out, size_t len);

/* The maps [bins][columns][H][W] (above). A static table: bins 1, start/end NULL. A
 * dated table: bin b covers days [start[b], end[b]). 0, or -1 (out of memory). */
int cc_join_maps(const cc_area_weights *weights, const cc_join *join, const cc_covariate_table *table,
                 const int64_t *start, const int64_t *end, int bins, int H, int W, float *maps);

#endif
