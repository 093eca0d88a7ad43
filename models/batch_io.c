/* Host and device buffers of a training or prediction run (models/batch_io.h), through
 * kernels/buffer.h: the same code on either backend. */
#include "models/batch_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/buffer.h"
#include "models/dataset.h"

/* The host's buffers: the gathered batch (x, y, base) unless the ops assemble it where
 * they run, the outputs read back, and on the CPU the loss gradient dL/dr. */
static int open_host(cc_batch_io *b, const cc_convlstm_config *c, int batch, int gathered, int on_gpu) {
    size_t nx = cc_model_input_floats(c, batch), ny = cc_model_output_floats(c, batch);
    if (gathered) b->x = malloc(sizeof(float) * nx), b->y = malloc(sizeof(float) * ny), b->base = malloc(sizeof(float) * ny);
    int smoothed = gathered && c->baseline_k > 0 && c->baseline_sigma > 0;
    if (smoothed) b->smooth = malloc(sizeof(float) * CC_BASELINE_SCRATCH_FLOATS(c->height, c->width));
    b->out = malloc(sizeof(float) * ny);
    b->starts = malloc(sizeof(int) * (size_t)batch);
    float *d = on_gpu ? NULL : malloc(sizeof(float) * ny);
    b->io = (cc_train_step_io){b->x, b->y, NULL, c->baseline_k > 0 ? b->base : NULL, b->out, d, NULL, NULL};
    return (!gathered || (b->x && b->y && b->base)) && (!smoothed || b->smooth) && b->out && b->starts && (on_gpu || d)
               ? 0 : -1;
}

/* A device buffer of `bytes`, holding `host`'s bytes when host is not NULL. */
static void *placed(struct cc_cuda_state *device, const void *host, size_t bytes) {
    void *buffer = cc_buffer_alloc(device, bytes);
    if (host) cc_buffer_upload(device, buffer, host, bytes);
    return buffer;
}

/* The model's copy on the GPU and device buffers for the ops. */
static int open_device(cc_batch_io *b, const cc_convlstm *model, const cc_ops_context *ctx, const uint8_t *mask,
                       size_t mask_cells, char *err, size_t err_len) {
    const cc_convlstm_config *c = &model->cfg;
    struct cc_cuda_state *gpu = ctx->cuda;
    if (cc_convlstm_create_on(&b->mirror, c, b->batch, 1, gpu, err, err_len) != 0) return -1;
    cc_buffer_upload(gpu, b->mirror.params.data, model->params.data, sizeof(float) * model->params.size);
    size_t nx = sizeof(float) * cc_model_input_floats(c, b->batch), ny = sizeof(float) * cc_model_output_floats(c, b->batch);
    b->io = (cc_train_step_io){placed(gpu, NULL, nx), placed(gpu, NULL, ny), mask ? placed(gpu, mask, mask_cells) : NULL,
                               c->baseline_k > 0 ? placed(gpu, NULL, ny) : NULL, placed(gpu, NULL, ny),
                               placed(gpu, NULL, ny), NULL, NULL};
    b->model = &b->mirror;
    b->device = gpu;
    return 0;
}

int cc_batch_io_open(cc_batch_io *b, cc_convlstm *model, const cc_ops_context *ctx, const uint8_t *mask,
                     size_t mask_cells, int batch, int host_gather, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    b->batch = batch, b->model = model;
    int on_gpu = cc_ops_device(ctx) != NULL;
    if (open_host(b, &model->cfg, batch, host_gather || !on_gpu, on_gpu) != 0) {
        snprintf(err, err_len, "out of memory for batches of %d samples", batch);
        cc_batch_io_close(b);
        return -1;
    }
    b->io.mask = (uint8_t *)mask;
    if (!on_gpu) return 0;
    if (open_device(b, model, ctx, mask, mask_cells, err, err_len) == 0) return 0;
    cc_batch_io_close(b);
    return -1;
}

void cc_batch_io_close(cc_batch_io *b) {
    free(b->x), free(b->y), free(b->out), free(b->base), free(b->smooth), free(b->starts);
    if (b->device) {
        void *device[] = {(void *)b->io.x, (void *)b->io.target, (void *)b->io.mask, (void *)b->io.log_offset,
                          b->io.out, b->io.d, b->io.adam_m, b->io.adam_v};
        for (size_t k = 0; k < sizeof device / sizeof *device; k++) cc_buffer_free(b->device, device[k]);
    } else {
        free(b->io.d);
    }
    cc_convlstm_free(&b->mirror);
    memset(b, 0, sizeof *b);
}

void cc_batch_io_stage(cc_batch_io *b, int n) {
    if (!b->device) return; /* the ops read the gathered host buffers themselves */
    const cc_convlstm_config *c = &b->model->cfg;
    size_t ny = sizeof(float) * cc_model_output_floats(c, n);
    cc_buffer_upload(b->device, (float *)b->io.x, b->x, sizeof(float) * cc_model_input_floats(c, n));
    cc_buffer_upload(b->device, (float *)b->io.target, b->y, ny);
    if (b->io.log_offset) cc_buffer_upload(b->device, (float *)b->io.log_offset, b->base, ny);
}

void cc_batch_io_fetch_out(cc_batch_io *b, int n) {
    if (b->device) cc_buffer_download(b->device, b->out, b->io.out, sizeof(float) * cc_model_output_floats(&b->model->cfg, n));
}

void cc_batch_io_load_moments(cc_batch_io *b, const cc_arena *m, const cc_arena *v) {
    b->io.adam_m = m->data, b->io.adam_v = v->data;
    if (!b->device) return;
    size_t bytes = sizeof(float) * m->size;
    b->io.adam_m = placed(b->device, m->data, bytes), b->io.adam_v = placed(b->device, v->data, bytes);
}

void cc_batch_io_sync_back(cc_batch_io *b, cc_convlstm *host, cc_arena *m, cc_arena *v) {
    if (!b->device) return;
    size_t bytes = sizeof(float) * host->params.size;
    cc_arena_copy_out(&b->mirror.params, host->params.data);
    cc_buffer_download(b->device, m->data, b->io.adam_m, bytes);
    cc_buffer_download(b->device, v->data, b->io.adam_v, bytes);
}
