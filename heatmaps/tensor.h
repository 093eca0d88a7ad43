/* A space-time tensor with its metadata: what a tensor file (`crimecast raster`) or a
 * forecast file holds. values is [T][C][H][W], row-major; row 0 is north.
 *
 * Recency maps (tensor files only, optional): for each decay time tau_r of
 * cc_recency_tau_days, the incidents up to the end e_b of bin b weighted by how recent
 * they were,
 *     recency[b][r][c][y][x] = sum over incidents i of cell (y, x), channel c, with
 *                              t_i < e_b  of  exp(-(e_b - t_i) / tau_r),
 * t_i in days on the local clock (a minute-precision record at its minute, a
 * day-precision one at noon, a month-precision one in the middle of its month). A sum below CC_RECENCY_FLOOR is stored as 0: a
 * millionth of a millionth of an incident, and as a subnormal float it would slow every
 * product it enters (a cell quiet for months decays that far). They carry what the bin's count hides: whether its
 * incidents came at the start or the end of the bin (a burglary on Sunday night still
 * has most of its near repeats to come; one on Monday morning has had them). */
#ifndef CRIMECAST_HEATMAPS_TENSOR_H
#define CRIMECAST_HEATMAPS_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "heatmaps/count_limit.h"
#include "heatmaps/recency.h"
#include "heatmaps/time_bins.h"


/* The largest tensor crimecast makes or reads: bins, channels, cells a side, and values
 * in all (16 GiB of floats). A file or a grid asking for more is refused before anything
 * is allocated for it. A channel's name is at most CC_TENSOR_MOST_NAME bytes (the tables
 * of eval and report keep that many). */
enum {
    CC_TENSOR_MOST_BINS = 100000,
    CC_TENSOR_MOST_CHANNELS = 64,
    CC_TENSOR_MOST_SIDE = 8192,
    CC_TENSOR_MOST_NAME = 63
};
#define CC_TENSOR_MOST_VALUES ((uint64_t)1 << 32)

struct cc_sparse; /* heatmaps/sparse.h */

typedef struct cc_tensor {
    int T, C, H, W;
    float *values;          /* [T][C][H][W]; NULL only for a sparse raster (below) */
    int64_t *time;          /* [T] bin start, days since 1970-01-01, local calendar */
    char **categories;      /* [C] channel names, "all" first */
    uint8_t *mask;          /* [H][W], 1 inside the study area */
    char city[32];
    char crs[64];
    double x0, y0, cell;    /* west edge, north edge, cell side (metres) */
    cc_bin_kind bin;        /* day, week or month (heatmaps/time_bins.h) */
    char *source;           /* provenance: store and query */
    char *created_by;       /* the command that wrote it */
    char model[64];         /* forecast files: the model that made them ("" otherwise, or
                             * when the file names none) */
    int forecast;           /* 1: read from a forecast file's /forecast (format crimecast-forecast) */
    int R;                  /* recency maps per bin: CC_RECENCY_MAPS, or 0 when absent */
    float *recency;         /* [T][R][C][H][W] (see above), NULL when R is 0 */
    int input_static;       /* covariate input maps, as the network reads them (models/covariate_inputs.h): */
    int input_dynamic;      /*   static ones [input_static][H][W], dynamic ones per bin */
    float *static_inputs;   /*   [T][input_dynamic][H][W]; NULL (and 0) when the network reads none */
    float *dynamic_inputs;
    struct cc_sparse *sparse; /* raster's output: the counts and in-bin recency sums of the cells
                               with incidents (heatmaps/sparse.h); NULL when read from a file */
    struct cc_sparse *nonzeros; /* an index of values' nonzero counts for sums over bins
                                 (cc_tensor_index_nonzeros; a sparse file's reader keeps
                                 its entries as it), or NULL: code that changes values
                                 must free it first */
    unsigned long long file_identity[2]; /* the file it was read from (device, inode; zero:
                                 none), which a later read of its recency maps or
                                 covariates by the same path must find again */
} cc_tensor;

/* Allocates values (zeroed), time, categories (NULL names) and mask (zeroed); no
 * recency maps. Returns 0 or -1 (out of memory; the tensor is freed). */
int cc_tensor_alloc(cc_tensor *tensor, int T, int C, int H, int W);
/* The same without values (a sparse raster's tensor: counts in t->sparse). */
int cc_tensor_alloc_frame(cc_tensor *tensor, int T, int C, int H, int W);
/* Allocates zeroed recency maps (R = CC_RECENCY_MAPS) for an allocated tensor. 0 or -1. */
int cc_tensor_alloc_recency(cc_tensor *tensor);
void cc_tensor_free(cc_tensor *tensor);

/* The channel called `name`, or -1. */
int cc_tensor_channel(const cc_tensor *t, const char *name);
/* The number of cells inside the mask. */
size_t cc_tensor_mask_cells(const cc_tensor *t);
/* Whether a's grid differs from b's: 0 when the two share size, CRS, cell, north-west
 * corner (to a millimetre) and bin kind; else 1, with `what` saying the first that
 * differs, a's value before b's ("its north-west corner is (x, y), not (x, y)"). The
 * city is not compared: two files of one grid may name it differently. */
int cc_tensor_grid_difference(const cc_tensor *a, const cc_tensor *b, char *what, size_t len);

/* `crs` as a grid keeps it: without the white space around it, an EPSG code's prefix in
 * capitals and its number without blanks or leading zeros ("epsg: 026911 " is
 * EPSG:26911), so that grids alike compare alike (the
 * comparison above takes both so, for files written before raster kept it so). */
void cc_crs_canonical(const char *crs, char *out, size_t len);
/* The bin starting on `day` (days since 1970-01-01), or -1. */
int cc_tensor_bin(const cc_tensor *t, int64_t day);
/* The first day of bin b (b >= 0; T > 0): t->time[b], and past the last bin (b >= T) the
 * bins the calendar goes on with, as raster would make them (the week after, the next
 * month): a forecast of the bins after the data has their dates, not their counts. */
int64_t cc_tensor_bin_start(const cc_tensor *t, int b);

/* out [C][H][W] = the sum of the counts of bins first .. last (first clamped to 0). With
 * the nonzero index it costs the incidents of those bins rather than their cells (at
 * 150 m, 1% of the values are counts: a year's sum reads a hundredth of the bytes); the
 * sums are the same, bit for bit (whole numbers, added in bin order either way). */
void cc_tensor_sum_bins(const cc_tensor *t, int first, int last, float *out);

/* The incidents of channel c in bin b over the whole grid: from the values, or a sparse
 * raster's entries where it has none. In double: a city's bin sums exactly. */
double cc_tensor_plane_total(const cc_tensor *t, int b, int c);

/* Builds t->nonzeros from t->values when at most an eighth of the values are nonzero
 * (denser, the plain sum is as fast and the index would cost more memory than it saves
 * time). Values must not change afterwards (the index would go stale). Returns 1 built,
 * 0 not worth it (or no values), -1 out of memory (no index: the sums read every cell). */
int cc_tensor_index_nonzeros(cc_tensor *t);
/* Frees t->nonzeros, as whoever changes t->values must. */
void cc_tensor_drop_index(cc_tensor *t);

/* Index of recency map r of bin ti, channel c, cell (row, col). */
static inline size_t cc_tensor_recency_offset(const cc_tensor *t, int ti, int r, int c, int row, int col) {
    return ((((size_t)ti * (size_t)t->R + (size_t)r) * (size_t)t->C + (size_t)c) * (size_t)t->H + (size_t)row) *
               (size_t)t->W +
           (size_t)col;
}

static inline size_t cc_tensor_offset(const cc_tensor *t, int ti, int c, int row, int col) {
    return (((size_t)ti * (size_t)t->C + (size_t)c) * (size_t)t->H + (size_t)row) * (size_t)t->W +
           (size_t)col;
}

#endif
