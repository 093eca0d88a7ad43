/* Resident windows (models/window_tables.h): built by the host's own gathers, one bin per
 * CPU thread at a time, and read by cc_gather_rows wherever the ops run. */
#include "models/window_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/clock.h"
#include "kernels/buffer.h"
#include "kernels/cpu/threads.h"

/* The host's two chunks of rows on their way to a GPU; each holds at least a row per
 * build thread, so at 150 m (41-48 MiB a row, 16 threads) the staging is 1.3-1.5 GiB. */
enum { STAGING_BYTES = 256 << 20 };
enum { MOST_BUILD_THREADS = 16 };    /* staging holds a row per thread: at 150 m up to 48 MiB each */

static size_t map_floats(const cc_tensor *t) { return (size_t)t->C * t->H * t->W; }

/* A window row: a bin's count maps and the extra maps cc_gather_batch lays after them
 * (covariates, then the context of the origin), as one step of its input. */
static size_t row_floats(const cc_window_tables_spec *spec, const cc_tensor *t) {
    return map_floats(t) + (size_t)cc_sample_extra_maps(&spec->sample, t) * t->H * t->W;
}

/* A step's own maps (counts, covariates): the row less its context maps. */
static size_t step_floats(const cc_window_tables_spec *spec, const cc_tensor *t) {
    return row_floats(spec, t) - (size_t)cc_sample_context_maps(&spec->sample, t->C) * t->H * t->W;
}

static int table_rows(const cc_window_tables_spec *spec, const cc_tensor *t) {
    return t->T > spec->sample.horizon ? t->T - spec->sample.horizon : 0;
}

/* Rows in each half of a GPU build's staging: 128 MiB of them, or a row per build thread
 * when that is more, or every row when there are fewer. */
static int staging_chunk(int rows, size_t per_row_floats, int threads) {
    int chunk = (int)(STAGING_BYTES / 2 / (sizeof(float) * per_row_floats));
    if (chunk < threads) chunk = threads;
    return chunk > rows ? rows : chunk;
}

static int build_threads(int threads) { return threads > MOST_BUILD_THREADS ? MOST_BUILD_THREADS : threads; }

double cc_window_tables_staging_bytes(const cc_window_tables_spec *spec, const cc_tensor *t, int threads) {
    size_t per_row = row_floats(spec, t) + (spec->baseline_k > 0 ? map_floats(t) : 0);
    return 2.0 * sizeof(float) * (double)per_row * staging_chunk(table_rows(spec, t), per_row, build_threads(threads));
}

double cc_window_tables_bytes(const cc_window_tables_spec *spec, const cc_tensor *t) {
    double rows = table_rows(spec, t), map = (double)map_floats(t);
    return sizeof(float) * (rows * (double)row_floats(spec, t) + (double)t->T * map +
                            (spec->baseline_k > 0 ? rows * map : 0.0));
}

/* Rows [first, first + n) of the window and base tables, written at `window` and `base`
 * (host memory), one bin per iteration on the context's CPU threads: every row is its
 * bin's own gather, so the bits do not depend on the threads. scratch: `per_thread`
 * floats a thread, cc_gather_batch's targets (y_floats) then cc_gather_baseline's
 * smoothing scratch. */
static void gather_rows_of(const cc_ops_context *ctx, const cc_tensor *t, const float *scale,
                           const cc_window_tables_spec *spec, int first, int n, size_t row, float *window, float *base,
                           float *scratch, size_t y_floats, size_t per_thread) {
    cc_sample_spec one = spec->sample;
    one.window = 1, one.lags = (cc_lags){{0}}; /* one bin: its step maps and the context of its origin */
    (void)ctx;
    CC_PARALLEL_FOR(ctx)
    for (int b = first; b < first + n; b++) {
        float *y_own = scratch + (size_t)cc_cpu_thread_index() * per_thread;
        cc_gather_batch(t, scale, &b, 1, &one, window + (size_t)(b - first) * row, y_own);
        if (base)
            cc_gather_baseline(t, &b, 1, 1, 1, spec->baseline_k, spec->baseline_sigma,
                               base + (size_t)(b - first) * map_floats(t), y_own + y_floats);
    }
}

/* The window and base tables, filled chunk by chunk through host staging (directly on
 * the host), on the context's threads up to MOST_BUILD_THREADS. A chunk holds at least a
 * row per thread, so that every thread has a bin. On a GPU the staging has two halves,
 * page-locked when the system lends it: while one chunk's rows upload from one half, the
 * threads gather the next into the other. */
static int fill_windows(cc_window_tables *w, const cc_ops_context *all_threads, const cc_tensor *t,
                        const float *scale, const cc_window_tables_spec *spec) {
    size_t map = w->map_floats, per_row = w->row_floats + (w->base ? map : 0);
    cc_ops_context build = *all_threads; /* only its thread count is read here */
    int threads = build_threads(cc_cpu_threads(&build));
    build.threads = threads;
    const cc_ops_context *ctx = &build;
    size_t y_floats = map * (size_t)w->horizon;
    size_t per_thread = y_floats + (w->base && spec->baseline_sigma > 0 ? CC_BASELINE_SCRATCH_FLOATS(t->H, t->W) : 0);
    float *y = malloc(sizeof(float) * per_thread * (size_t)threads);
    if (!y) return -1;
    w->build_threads = threads;
    if (!w->device || w->rows == 0) {
        double began = cc_now_seconds();
        gather_rows_of(ctx, t, scale, spec, 0, w->rows, w->row_floats, w->window, w->base, y, y_floats, per_thread);
        w->gather_seconds = cc_now_seconds() - began;
        free(y);
        return 0;
    }
    int chunk = staging_chunk(w->rows, per_row, threads);
    size_t half = per_row * (size_t)chunk;
    cc_staging staging;
    cc_staging_alloc(&staging, w->device, sizeof(float) * 2 * half);
    if (!staging.data) {
        free(y);
        return -1;
    }
    w->pinned = staging.pinned;
    for (int first = 0, k = 0; first < w->rows; first += chunk, k ^= 1) {
        int n = w->rows - first < chunk ? w->rows - first : chunk;
        float *rows = (float *)staging.data + (size_t)k * half, *base = w->base ? rows + w->row_floats * (size_t)chunk : NULL;
        double began = cc_now_seconds();
        gather_rows_of(ctx, t, scale, spec, first, n, w->row_floats, rows, base, y, y_floats, per_thread);
        double gathered = cc_now_seconds();
        cc_buffer_wait(w->device); /* the previous chunk's upload, from the other half, is done */
        w->gather_seconds += gathered - began, w->upload_seconds += cc_now_seconds() - gathered;
        cc_buffer_upload_start(w->device, w->window + (size_t)first * w->row_floats, rows,
                               sizeof(float) * w->row_floats * (size_t)n);
        if (base) cc_buffer_upload_start(w->device, w->base + (size_t)first * map, base, sizeof(float) * map * (size_t)n);
    }
    double waited = cc_now_seconds();
    cc_buffer_wait(w->device);
    w->upload_seconds += cc_now_seconds() - waited;
    cc_staging_free(&staging);
    free(y);
    return 0;
}

/* Every bin's counts as the loss compares them. */
static int fill_targets(cc_window_tables *w, const cc_tensor *t, const float *scale, int mse) {
    size_t bytes = sizeof(float) * w->map_floats * (size_t)t->T;
    if (!mse) {
        double began = cc_now_seconds();
        cc_buffer_upload(w->device, w->targets, t->values, bytes);
        if (w->device) w->upload_seconds += cc_now_seconds() - began;
        return 0;
    }
    float *normalised = w->device ? malloc(bytes) : w->targets;
    if (!normalised) return -1;
    memcpy(normalised, t->values, bytes);
    cc_normalise_counts(t, scale, normalised, (size_t)t->T * t->C);
    if (w->device) {
        double began = cc_now_seconds();
        cc_buffer_upload(w->device, w->targets, normalised, bytes);
        w->upload_seconds += cc_now_seconds() - began;
        free(normalised);
    }
    return 0;
}

int cc_window_tables_open(cc_window_tables *w, const cc_ops_context *ctx, const cc_tensor *t, const float *scale,
                          const cc_window_tables_spec *spec, int batch, char *err, size_t err_len) {
    memset(w, 0, sizeof *w);
    w->device = cc_ops_device(ctx);
    w->rows = table_rows(spec, t), w->T = t->T, w->batch = batch;
    w->horizon = spec->sample.horizon, w->sample = spec->sample, w->mse = spec->mse;
    w->map_floats = map_floats(t), w->step_floats = step_floats(spec, t), w->row_floats = row_floats(spec, t);
    int steps = cc_sample_steps(&w->sample), runs = (steps > w->horizon ? steps : w->horizon) * batch;
    w->blocks = malloc(sizeof(int) * (size_t)runs);
    w->window = cc_buffer_alloc(w->device, sizeof(float) * w->row_floats * (size_t)w->rows);
    w->targets = cc_buffer_alloc(w->device, sizeof(float) * w->map_floats * (size_t)t->T);
    if (spec->baseline_k > 0) w->base = cc_buffer_alloc(w->device, sizeof(float) * w->map_floats * (size_t)w->rows);
    int ok = w->blocks && w->window && w->targets && (w->base || spec->baseline_k <= 0) &&
             fill_windows(w, ctx, t, scale, spec) == 0 && fill_targets(w, t, scale, spec->mse) == 0;
    if (ok) return 0;
    snprintf(err, err_len, "out of host memory for the resident windows (%.2f GiB): try --gather host",
             cc_window_tables_bytes(spec, t) / (1024.0 * 1024 * 1024));
    cc_window_tables_close(w);
    return -1;
}

void cc_window_tables_close(cc_window_tables *w) {
    cc_buffer_free(w->device, w->window);
    cc_buffer_free(w->device, w->targets);
    cc_buffer_free(w->device, w->base);
    free(w->blocks);
    memset(w, 0, sizeof *w);
}

void cc_window_tables_assemble(cc_window_tables *w, const cc_ops_context *ctx, const int *starts, int n,
                               cc_train_step_io *io) {
    int window = w->sample.window, horizon = w->horizon, steps = cc_sample_steps(&w->sample);
    size_t row = w->row_floats, step = w->step_floats, map = w->map_floats;
    float *x = (float *)io->x;
    for (int s = 0; s < steps; s++) /* x[s][i]'s own maps: the window row of the step's bin */
        for (int i = 0; i < n; i++) w->blocks[s * n + i] = cc_sample_step_bin(&w->sample, starts[i], s);
    cc_gather_rows(ctx, steps * n, w->blocks, w->window, row, step, x, row);
    if (row > step) { /* x[s][i]'s context maps: those of the origin's row, on every step */
        for (int s = 0; s < steps; s++)
            for (int i = 0; i < n; i++) w->blocks[s * n + i] = starts[i] + window - 1;
        cc_gather_rows(ctx, steps * n, w->blocks, w->window + step, row, row - step, x + step, row);
    }
    for (int h = 0; h < horizon; h++) /* y[h][i]: the counts of bin o + 1 + h */
        for (int i = 0; i < n; i++) w->blocks[h * n + i] = starts[i] + window + h;
    cc_gather_rows(ctx, horizon * n, w->blocks, w->targets, map, map, (float *)io->target, map);
    if (w->base && io->log_offset) { /* log_offset[h][i]: the origin's baseline, every h */
        for (int h = 0; h < horizon; h++)
            for (int i = 0; i < n; i++) w->blocks[h * n + i] = starts[i] + window - 1;
        cc_gather_rows(ctx, horizon * n, w->blocks, w->base, map, map, (float *)io->log_offset, map);
    }
}
