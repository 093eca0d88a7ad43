/* A space-time tensor with its metadata: what a tensor file (`crimecast raster`) or a
 * forecast file holds. values is [T][C][H][W], row-major; row 0 is north. */
#ifndef CRIMECAST_HOST_TENSOR_H
#define CRIMECAST_HOST_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct cc_tensor {
    int T, C, H, W;
    float *values;          /* [T][C][H][W] */
    int64_t *time;          /* [T] bin start, days since 1970-01-01, local calendar */
    char **categories;      /* [C] channel names, "all" first */
    uint8_t *mask;          /* [H][W], 1 inside the study area */
    char city[32];
    char crs[64];
    double x0, y0, cell;    /* west edge, north edge, cell side (metres) */
    char bin[8];            /* "day", "week", "month" */
    char *source;           /* provenance: store and query */
    char *created_by;       /* the command that wrote it */
    char model[64];         /* forecast files: the model that made them ("" otherwise) */
} cc_tensor;

/* Allocates values (zeroed), time, categories (NULL names) and mask (zeroed).
 * Returns 0 or -1 (out of memory; the tensor is freed). */
int cc_tensor_alloc(cc_tensor *tensor, int T, int C, int H, int W);
void cc_tensor_free(cc_tensor *tensor);

/* The channel called `name`, or -1. */
int cc_tensor_channel(const cc_tensor *t, const char *name);
/* The number of cells inside the mask. */
size_t cc_tensor_mask_cells(const cc_tensor *t);
/* The bin starting on `day` (days since 1970-01-01), or -1. */
int cc_tensor_bin(const cc_tensor *t, int64_t day);

static inline size_t cc_tensor_offset(const cc_tensor *t, int ti, int c, int row, int col) {
    return (((size_t)ti * (size_t)t->C + (size_t)c) * (size_t)t->H + (size_t)row) * (size_t)t->W +
           (size_t)col;
}

#endif
