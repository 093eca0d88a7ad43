/* Tensor and forecast files (HDF5), the one place that defines their layout:
 *
 *   /<dataset>  float32 [T][C][H][W] ("counts" in a tensor file, "forecast" in a
 *               forecast file), one time step per chunk, shuffle + deflate + Fletcher32,
 *               dimensions labelled time, category, y, x with H5DS scales attached:
 *   /time       int64 [T]   bin start, days since 1970-01-01 (local calendar)
 *   /category   variable-length UTF-8 strings [C]
 *   /y, /x      float64 [H], [W]   cell centres in the CRS (y decreasing: row 0 north)
 *   /mask       uint8 [H][W]
 *   /sparse     the cells with incidents, plane by plane (heatmaps/sparse.h), tensor
 *               files only: start int64 [T*C + 1], cell int32 [N], count float32 [N]
 *               (only when /counts is absent: a sparse layout), recent float32 [N][2]
 *               (the in-bin recency sums, attribute tau_days, when there are some);
 *               shuffle + deflate 1 (recent: none) + Fletcher32.
 *               Files of older crimecasts hold dense /recency [T][2][C][H][W] instead.
 *   root attributes: format, format_version (int), city, crs, cell_size_m (double),
 *   bin, first_bin, last_bin (ISO dates), source, created_by, plus any extra text
 *   attributes. Text is variable-length UTF-8 (h5py reads str).
 *
 * Files are written under a temporary name in the same directory and renamed, so the
 * final name never holds half a file. */
#ifndef CRIMECAST_HEATMAPS_TENSOR_FILE_H
#define CRIMECAST_HEATMAPS_TENSOR_FILE_H

#include <stddef.h>

#include "heatmaps/tensor.h"

#define CC_TENSOR_FORMAT "crimecast-tensor"
#define CC_TENSOR_FORMAT_VERSION 1

/* An extra root attribute: text (value), a list of reals (reals, real_count), or else
 * the integer `number`. */
typedef struct cc_file_attribute {
    const char *name, *value;
    long long number;
    const double *reals;
    int real_count;
} cc_file_attribute;

/* Writes `t` to `path` with the data in /<dataset> and root attribute format=`format`.
 * Returns 0 or -1 with `err` naming the file. */
int cc_tensor_write(const char *path, const cc_tensor *t, const char *dataset, const char *format,
                    const cc_file_attribute *extra, int extra_count, char *err, size_t err_len);

/* What a forecast file says of itself: the model's name, the horizon in bins, what it
 * was made from ("model m.h5 on t.h5, test span") and the command line that made it
 * (created_by; NULL: "crimecast VERSION" alone). */
typedef struct cc_forecast_label {
    const char *model;
    int horizon;
    const char *source;
    const char *created_by;
} cc_forecast_label;

/* Writes a forecast file: n maps `values` [n][C][H][W] for bins `time`, on the grid,
 * channels and mask of `truth`; format = crimecast-forecast, model, horizon. */
int cc_forecast_write(const char *path, const cc_tensor *truth, const float *values, const int64_t *time, int n,
                      const cc_forecast_label *label, char *err, size_t err_len);

/* The same with extra root attributes (a baseline's fitted parameters). */
int cc_forecast_write_with(const char *path, const cc_tensor *truth, const float *values, const int64_t *time, int n,
                           const cc_forecast_label *label, const cc_file_attribute *extra, int extra_count, char *err,
                           size_t err_len);

/* Reads a file written by cc_tensor_write; `dataset` NULL picks "counts" of a tensor or
 * "forecast" of a forecast (by the format attribute; asked for the other, it is refused) ("counts" of a sparse file are made dense). Returns 0 or -1 with
 * `err`. No recency maps: */
int cc_tensor_read(const char *path, const char *dataset, cc_tensor *t, char *err, size_t err_len);

/* Lookups by name for the commands that read a file `path` into t: the channel called
 * `name` exactly, or -1 with err "PATH has no category 'x' (it has: all burglary ...)",
 * "(did you mean 'theft'? it has: ...)" where a channel is it but for case; the bin that
 * starts on ISO date `date` (already valid), or -1 with err "PATH: no week bin starts on
 * DATE (bins start FIRST .. LAST; the week holding it starts ...)". */
int cc_tensor_channel_named(const cc_tensor *t, const char *path, const char *name, char *err, size_t err_len);
int cc_tensor_bin_dated(const cc_tensor *t, const char *path, const char *date, char *err, size_t err_len);

/* A forecast file's horizon attribute (bins ahead), or 0 when it has none. */
int cc_forecast_horizon(const char *path);

/* The shape [T, C, H, W] of a tensor file's counts as every reader holds them (dense, a
 * sparse file's too), from its metadata alone: nothing of size is read, so a command can
 * weigh the memory a read would take first. 0, or -1 with err (cc_tensor_read then says
 * what is wrong with the file). */
int cc_tensor_file_shape(const char *path, int shape[4], char *err, size_t err_len);

/* Adds the file's recency maps to `t` (read from the same file by cc_tensor_read), when
 * it has them (else t->R stays 0), derived from /sparse/recent (or an older file's dense
 * /recency) on at most `threads` CPU threads (0: all): for train and predict, the only
 * readers; twice the counts' memory. -1 with `err` when they are not the maps this
 * crimecast computes. */
int cc_tensor_read_recency(const char *path, cc_tensor *t, int threads, char *err, size_t err_len);

#endif
