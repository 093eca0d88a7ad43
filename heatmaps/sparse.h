/* Sparse counts: the cells with incidents in each (bin, channel) plane of a tensor, each
 * with its count and its in-bin recency sums.
 *
 * What `raster` builds, at a cost that scales with the incidents rather than the cells
 * (a 150 m grid of Chicago has 21 million cells a week across 12 channels and 0.26
 * incidents a cell), and how a tensor file stores its recency maps (and, for large
 * grids, its counts: heatmaps/tensor_file.h). Planes are numbered b * C + c.
 *
 * In-bin recency sums: for entry (b, c, cell) and decay tau_r of cc_recency_tau_days,
 *     recent[r] = sum over the plane's incidents i of exp(-(e_b - t_i) / tau_r),
 * e_b the bin's end. The recency maps of heatmaps/tensor.h follow from them bin by bin,
 *     recency[b][r] = recent_b[r] + exp(-len_b / tau_r) recency[b - 1][r]
 * (len_b the length of bin b in days; sums below CC_RECENCY_FLOOR set to 0), so they
 * are derived when a reader needs them (train, predict) and never stored dense. */
#ifndef CRIMECAST_HEATMAPS_SPARSE_H
#define CRIMECAST_HEATMAPS_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* One incident in one plane: key = plane * cells + cell; age = e_b - t_i in days. */
typedef struct cc_sparse_event {
    uint32_t key;
    float age;
} cc_sparse_event;

typedef struct cc_sparse {
    int planes;       /* T * C */
    int cells;        /* H * W */
    int64_t nnz;      /* entries */
    int64_t *start;   /* [planes + 1]: plane p's entries are start[p] .. start[p + 1) */
    int32_t *cell;    /* [nnz] row-major cell, increasing within a plane */
    float *count;     /* [nnz] incidents, > 0 */
    int R;            /* recency sums per entry: 0 or CC_RECENCY_MAPS */
    float *recent;    /* [nnz][R] in-bin recency sums, NULL when R is 0 */
} cc_sparse;

/* Builds `out` from n events (sorted in place by key; planes * cells <= 2^32). R: 0 or
 * CC_RECENCY_MAPS. 0, or -1 when out of memory. */
int cc_sparse_from_events(cc_sparse_event *events, size_t n, int planes, int cells, int R, cc_sparse *out);

/* Allocates start (zeroed), cell, count and, when R > 0, recent for nnz entries. 0 or -1. */
int cc_sparse_alloc(cc_sparse *s, int planes, int cells, int64_t nnz, int R);
void cc_sparse_free(cc_sparse *s);

/* Keeps channels keep[0..kept) (increasing) of the C in every bin, in place. 0, or -1
 * (out of memory) with s unchanged. */
int cc_sparse_keep_channels(cc_sparse *s, int C, const int *keep, int kept);

/* The nonzero values of values[planes][cells] as sparse counts (R = 0): the inverse of
 * cc_sparse_scatter_counts (values must be >= 0, as counts are). 0, or -1 when out of
 * memory. */
int cc_sparse_from_dense(const float *values, int planes, int cells, cc_sparse *out);

/* values[planes][cells] = the counts (values zeroed first). */
void cc_sparse_scatter_counts(const cc_sparse *s, float *values);
/* The same into values that are already 0 (from calloc): only the entries' values are
 * written, so the memory pages of cells without incidents are never touched (at 150 m
 * most of a sparse category's). */
void cc_sparse_place_counts(const cc_sparse *s, float *values);

/* recency[T][R][C][cells] from the in-bin sums (above); bin_days[b] is bin b's length.
 * Each decay and channel on a thread of its own (OpenMP, when the build has it), on at
 * most `threads` of them (0: all): the same bits on any number of threads. */
void cc_sparse_recency_maps(const cc_sparse *s, int T, int C, const double *bin_days, int threads, float *recency);

/* Whether s is what crimecast writes: start from 0 to nnz without going back, cells in
 * range and increasing within each plane, counts finite and > 0, sums finite and >= 0
 * (the count field is not checked when count is NULL). 0, or -1 with `why`. */
int cc_sparse_check(const cc_sparse *s, char *why, size_t why_len);

#endif
