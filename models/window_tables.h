/* Resident windows: per-bin tables of a training run's samples, held where the ops run,
 * from which every batch is assembled there (cc_gather_rows) instead of being gathered on
 * the host and uploaded each step. On a GPU this is what keeps training GPU-first: after
 * the tables are built, no count, context map or target crosses from the host inside an
 * epoch. At 150 m the host's gather of a batch (context maps: sums over bins, logs) takes
 * seconds, more than the GPU's step.
 *
 * A sample (models/dataset.h) whose first input bin is b0 has its origin o = b0 + window - 1
 * and its targets o + 1 .. o + horizon. With, for every bin b that can be an input or an
 * origin (b < rows = T - horizon),
 *   window[b] = [steps of b | context of b]  what cc_gather_batch writes for a one-bin
 *               window starting at b: the C normalised count maps and the covariates' input
 *               maps of bin b, then the context maps of origin b (target b + horizon)
 *   base[b]   = the baseline log-rate at origin b (cc_gather_baseline), when the model has one
 * and for every bin b < T
 *   targets[b] = the counts of bin b as the loss compares them (normalised for MSE),
 * a batch is
 *   x[s][i]          = [steps of window[b_s] | context of window[o]]   s < steps
 *                      (b_s = cc_sample_step_bin(b0, s): b0 + s, or the held lags' bins)
 *   y[h][i]          = targets[o + 1 + h]                                h < horizon
 *   log_offset[h][i] = base[o]
 * the host's gather bit for bit, since every row is the host's own gather of that bin. */
#ifndef CRIMECAST_MODELS_WINDOW_TABLES_H
#define CRIMECAST_MODELS_WINDOW_TABLES_H

#include <stddef.h>

#include "heatmaps/tensor.h"
#include "kernels/ops.h"
#include "models/dataset.h"
#include "models/train_step.h"

typedef struct cc_window_tables {
    float *window, *targets, *base;  /* at `device`; base NULL without a baseline offset */
    int rows, T, horizon;
    int mse;                         /* targets normalised (the MSE loss's) */
    cc_sample_spec sample;           /* what a sample holds: its window and the lags it reads */
    size_t step_floats, row_floats, map_floats;  /* a bin's step maps, a window row, a count map */
    int *blocks;                     /* host scratch: the row of each run of a batch */
    int batch;                       /* the most samples a batch holds */
    struct cc_cuda_state *device;    /* NULL: host memory */
    /* How the build went, for train's log: seconds the CPU threads spent gathering rows,
     * seconds the host then waited for uploads and the targets, the build threads, and
     * whether a GPU build's staging was page-locked. */
    double gather_seconds, upload_seconds;
    int build_threads, pinned;
} cc_window_tables;

/* What the tables hold: samples of `spec` on tensor t, with the baseline offset of
 * cc_gather_baseline (its k bins and sigma) when baseline_k > 0, targets normalised
 * (cc_normalise_counts) when `mse` is 1 (the loss compares normalised values). */
typedef struct cc_window_tables_spec {
    cc_sample_spec sample;
    int baseline_k;
    double baseline_sigma;
    int mse;
} cc_window_tables_spec;

/* Bytes the tables take on tensor t (where the ops run). */
double cc_window_tables_bytes(const cc_window_tables_spec *spec, const cc_tensor *t);
/* Host bytes a GPU build of them stages through on `threads` CPU threads (the two halves
 * of cc_window_tables_open), held while they are built. */
double cc_window_tables_staging_bytes(const cc_window_tables_spec *spec, const cc_tensor *t, int threads);

/* Builds the tables for batches of up to `batch` samples where ctx's ops run: one host
 * gather per bin, on the context's CPU threads (cc_cpu_threads: on a GPU context, all of
 * them unless --threads says otherwise; at most 16). On a GPU the rows go through two
 * halves of host staging (page-locked when the system lends it), each of 128 MiB or of
 * a row per thread when that is more: one chunk uploads while the next is gathered. The
 * same bits on any number of threads. `scale` is the normalisation.
 * 0, or -1 with err (out of host memory). */
int cc_window_tables_open(cc_window_tables *w, const cc_ops_context *ctx, const cc_tensor *t, const float *scale,
                          const cc_window_tables_spec *spec, int batch, char *err, size_t err_len);
void cc_window_tables_close(cc_window_tables *w);

/* Assembles the batch of n samples with first input bins starts[0..n) into io's x,
 * target and (when the tables have one) log_offset, where the ops run. */
void cc_window_tables_assemble(cc_window_tables *w, const cc_ops_context *ctx, const int *starts, int n,
                               cc_train_step_io *io);

#endif
