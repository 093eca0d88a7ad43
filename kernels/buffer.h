/* Memory where a context's ops read and write: the host's, or a GPU's.
 *
 * `device` names the place: NULL for host memory, a CUDA state (cc_ops_context.cuda)
 * for that state's GPU; cc_ops_device(ctx) gives the place of a context's ops. The same
 * code then serves both backends: allocate where the ops run, upload what the host
 * gathered, download what the host reads. On the host an upload or download is a copy
 * (nothing when source and destination are the same). A CUDA place in a build without
 * CUDA is a programming error: the call says so and aborts. Device allocations that
 * fail end the process with the CUDA error (kernels/cuda/cuda_check.h); host ones
 * return NULL. */
#ifndef CRIMECAST_KERNELS_BUFFER_H
#define CRIMECAST_KERNELS_BUFFER_H

#include <stddef.h>

#include "kernels/ops.h"

/* The place of a context's ops: NULL (host) for the CPU, the CUDA state for a GPU. */
static inline struct cc_cuda_state *cc_ops_device(const cc_ops_context *ctx) {
    return ctx->backend == CC_BACKEND_CUDA ? ctx->cuda : NULL;
}

/* `bytes` of memory at `device` (uninitialised); NULL for 0 bytes, or out of host memory. */
void *cc_buffer_alloc(struct cc_cuda_state *device, size_t bytes);
/* Frees a buffer of cc_buffer_alloc at the same place; NULL is allowed. */
void cc_buffer_free(struct cc_cuda_state *device, void *buffer);
/* Copies host memory into a buffer at `device`; returns once the copy is complete. */
void cc_buffer_upload(struct cc_cuda_state *device, void *dst, const void *host_src, size_t bytes);
/* Sets `bytes` of a buffer at `device` to zero bits (0.0f): on the host at once, on a GPU
 * on its stream, before the ops queued after it (nothing crosses from the host). */
void cc_buffer_zero(struct cc_cuda_state *device, void *dst, size_t bytes);
/* Copies a buffer at `device` into host memory; returns once the copy is complete (after
 * the ops queued before it). */
void cc_buffer_download(struct cc_cuda_state *device, void *host_dst, const void *src, size_t bytes);

/* Host memory that uploads to `device` read from: page-locked for a GPU when the system
 * lends it (the copy engine reads it directly, at several times the rate of pageable
 * memory, and an upload from it runs beside the host's work), else ordinary memory. */
typedef struct cc_staging {
    void *data;   /* NULL when out of host memory */
    int pinned;   /* 1: page-locked (cudaHostAlloc) */
} cc_staging;
/* `bytes` of staging for uploads to `device`; s->data NULL when out of host memory. */
void cc_staging_alloc(cc_staging *s, struct cc_cuda_state *device, size_t bytes);
void cc_staging_free(cc_staging *s);
/* Starts copying host memory into a buffer at `device` and returns: host_src must stay
 * as it is until cc_buffer_wait. On the host it is a copy, complete on return. */
void cc_buffer_upload_start(struct cc_cuda_state *device, void *dst, const void *host_src, size_t bytes);
/* Returns once every copy started at `device` (and every op queued there) is complete. */
void cc_buffer_wait(struct cc_cuda_state *device);

#endif
