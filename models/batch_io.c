/* Host and device buffers of a training or prediction run (models/batch_io.h). */
#include "models/batch_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#endif

static size_t input_floats(const cc_convlstm_config *c, int n) {
    return (size_t)c->window * n * (c->channels + c->context) * c->height * c->width;
}

static size_t output_floats(const cc_convlstm_config *c, int n) {
    return (size_t)c->horizon * n * c->channels * c->height * c->width;
}

static int open_host(cc_batch_io *b, const cc_convlstm_config *c, int batch) {
    size_t nx = input_floats(c, batch), ny = output_floats(c, batch);
    b->x = malloc(sizeof(float) * nx);
    b->y = malloc(sizeof(float) * ny);
    b->out = malloc(sizeof(float) * ny);
    b->base = malloc(sizeof(float) * ny);
    b->starts = malloc(sizeof(int) * (size_t)batch);
    float *d = malloc(sizeof(float) * ny);
    b->io = (cc_train_step_io){b->x, b->y, NULL, c->baseline_k > 0 ? b->base : NULL, b->out, d, NULL, NULL};
    return b->x && b->y && b->out && b->base && b->starts && d ? 0 : -1;
}

#ifdef CRIMECAST_HAVE_CUDA
static struct cc_cuda_state *device_of(const cc_batch_io *b) { return b->mirror.params.device; }

/* The model's copy on the GPU and device buffers for the ops. */
static int open_device(cc_batch_io *b, const cc_convlstm *model, const cc_ops_context *ctx, const uint8_t *mask,
                       size_t mask_cells, char *err, size_t err_len) {
    const cc_convlstm_config *c = &model->cfg;
    if (cc_convlstm_create(&b->mirror, c, b->batch, 1, err, err_len) != 0) return -1;
    memcpy(b->mirror.params.data, model->params.data, sizeof(float) * model->params.size);
    if (cc_convlstm_to_device(&b->mirror, ctx->cuda, err, err_len) != 0) return -1;
    size_t nx = input_floats(c, b->batch), ny = output_floats(c, b->batch);
    uint8_t *device_mask = NULL;
    if (mask) {
        device_mask = cc_cuda_alloc(mask_cells);
        cc_cuda_copy_to_device(ctx->cuda, device_mask, mask, mask_cells);
    }
    b->io = (cc_train_step_io){cc_cuda_alloc(sizeof(float) * nx), cc_cuda_alloc(sizeof(float) * ny), device_mask,
                               c->baseline_k > 0 ? cc_cuda_alloc(sizeof(float) * ny) : NULL,
                               cc_cuda_alloc(sizeof(float) * ny), cc_cuda_alloc(sizeof(float) * ny), NULL, NULL};
    b->model = &b->mirror;
    b->on_gpu = 1;
    return 0;
}
#endif

int cc_batch_io_open(cc_batch_io *b, cc_convlstm *model, const cc_ops_context *ctx, const uint8_t *mask,
                     size_t mask_cells, int batch, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    b->batch = batch, b->model = model;
    if (open_host(b, &model->cfg, batch) != 0) {
        snprintf(err, err_len, "out of memory for batches of %d samples", batch);
        cc_batch_io_close(b);
        return -1;
    }
    b->io.mask = (uint8_t *)mask;
    if (ctx->backend != CC_BACKEND_CUDA) return 0;
    float *host_d = b->io.d;
    b->io.d = NULL;
    free(host_d); /* the host needs no dL/dr on a GPU */
#ifdef CRIMECAST_HAVE_CUDA
    if (open_device(b, model, ctx, mask, mask_cells, err, err_len) == 0) return 0;
#else
    (void)mask_cells;
    snprintf(err, err_len, "this build of crimecast has no CUDA backend");
#endif
    cc_batch_io_close(b);
    return -1;
}

void cc_batch_io_close(cc_batch_io *b) {
    free(b->x), free(b->y), free(b->out), free(b->base), free(b->starts);
    if (!b->on_gpu) free(b->io.d);
#ifdef CRIMECAST_HAVE_CUDA
    if (b->on_gpu) {
        void *device[] = {(void *)b->io.x, (void *)b->io.target, (void *)b->io.mask, (void *)b->io.log_offset,
                          b->io.out, b->io.d, b->io.adam_m, b->io.adam_v};
        for (size_t k = 0; k < sizeof device / sizeof *device; k++) cc_cuda_free(device[k]);
    }
#endif
    cc_convlstm_free(&b->mirror);
    memset(b, 0, sizeof *b);
}

void cc_batch_io_stage(cc_batch_io *b, int n) {
#ifdef CRIMECAST_HAVE_CUDA
    if (!b->on_gpu) return;
    const cc_convlstm_config *c = &b->model->cfg;
    size_t ny = sizeof(float) * output_floats(c, n);
    cc_cuda_copy_to_device(device_of(b), (float *)b->io.x, b->x, sizeof(float) * input_floats(c, n));
    cc_cuda_copy_to_device(device_of(b), (float *)b->io.target, b->y, ny);
    if (b->io.log_offset) cc_cuda_copy_to_device(device_of(b), (float *)b->io.log_offset, b->base, ny);
#else
    (void)b, (void)n;
#endif
}

void cc_batch_io_fetch_out(cc_batch_io *b, int n) {
#ifdef CRIMECAST_HAVE_CUDA
    if (b->on_gpu) cc_cuda_copy_to_host(device_of(b), b->out, b->io.out, sizeof(float) * output_floats(&b->model->cfg, n));
#else
    (void)b, (void)n;
#endif
}

void cc_batch_io_load_moments(cc_batch_io *b, cc_train_state *s) {
    b->io.adam_m = s->m.data, b->io.adam_v = s->v.data;
#ifdef CRIMECAST_HAVE_CUDA
    if (!b->on_gpu) return;
    size_t bytes = sizeof(float) * s->m.size;
    b->io.adam_m = cc_cuda_alloc(bytes), b->io.adam_v = cc_cuda_alloc(bytes);
    cc_cuda_copy_to_device(device_of(b), b->io.adam_m, s->m.data, bytes);
    cc_cuda_copy_to_device(device_of(b), b->io.adam_v, s->v.data, bytes);
#endif
}

void cc_batch_io_sync_back(cc_batch_io *b, cc_convlstm *host, cc_train_state *s) {
#ifdef CRIMECAST_HAVE_CUDA
    if (!b->on_gpu) return;
    size_t bytes = sizeof(float) * host->params.size;
    cc_arena_copy_out(&b->mirror.params, host->params.data);
    cc_cuda_copy_to_host(device_of(b), s->m.data, b->io.adam_m, bytes);
    cc_cuda_copy_to_host(device_of(b), s->v.data, b->io.adam_v, bytes);
#else
    (void)b, (void)host, (void)s;
#endif
}
