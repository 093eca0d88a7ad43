/* The CUDA backend's state (stream, library handles, scratch) and device memory helpers. */
#include <stdlib.h>

#include "kernels/cuda/cuda_internal.cuh"

/* Sets up everything but the scratch, which grows with the first convolution, and cuDNN's
 * handle (cc_cuda_start_cudnn). Returns 0, or -1 with the failing call in err; the caller
 * destroys the partial state. */
static int init_state(struct cc_cuda_state *st, char *err, size_t err_len) {
    if (CC_CUDA_TRY(cudaSetDevice(st->device), err, err_len)) return -1;
    /* A blocking stream: it stays ordered with the legacy default stream, so a stray
     * cudaMemcpy elsewhere in the program cannot overtake queued ops. */
    if (CC_CUDA_TRY(cudaStreamCreate(&st->stream), err, err_len)) return -1;
    if (cc_cublas_library_open(&st->blas, NULL, 0, err, err_len) != 0) return -1;
    if (CC_CUBLAS_TRY(st->blas.create(&st->cublas), err, err_len)) return -1;
    if (CC_CUBLAS_TRY(st->blas.set_stream(st->cublas, st->stream), err, err_len)) return -1;
    /* cuDNN's handle only for a context that will use it (cc_cuda_start_cudnn): a run on
     * the GEMM path, the default, never starts cuDNN. */
    if (CC_CUDA_TRY(cudaMalloc((void **)&st->partials, sizeof(double) * (CC_REDUCE_BLOCKS + 1)), err, err_len))
        return -1;
    st->result = st->partials + CC_REDUCE_BLOCKS;
    if (CC_CUDA_TRY(cudaMalloc((void **)&st->count, sizeof *st->count), err, err_len)) return -1;
    return 0;
}

extern "C" struct cc_cuda_state *cc_cuda_state_create(int device, char *err, size_t err_len) {
    struct cc_cuda_state *st = (struct cc_cuda_state *)calloc(1, sizeof *st);
    if (!st) {
        if (err && err_len) snprintf(err, err_len, "out of host memory for the CUDA state");
        return NULL;
    }
    st->device = device;
    if (init_state(st, err, err_len) != 0) {
        cc_cuda_state_destroy(st);
        return NULL;
    }
    return st;
}

/* Tolerates a partly built state (from a failed create): every member may be null. */
extern "C" void cc_cuda_state_destroy(struct cc_cuda_state *st) {
    if (!st) return;
    if (st->stream) CC_CUDA_CHECK(cudaStreamSynchronize(st->stream));
    if (st->scratch) CC_CUDA_CHECK(cudaFree(st->scratch));
    if (st->partials) CC_CUDA_CHECK(cudaFree(st->partials));
    if (st->count) CC_CUDA_CHECK(cudaFree(st->count));
#ifdef CRIMECAST_HAVE_CUDNN
    cc_cudnn_plans_free(st->cudnn_plans);
    if (st->cudnn) CC_CUDNN_CHECK(cudnnDestroy(st->cudnn));
#endif
    if (st->cublas) CC_CUBLAS_CHECK(st->blas.destroy(st->cublas));
    if (st->stream) CC_CUDA_CHECK(cudaStreamDestroy(st->stream));
    free(st);
}

#ifndef CRIMECAST_HAVE_CUDNN
/* With cuDNN it is kernels/cuda/conv2d_cudnn.cu's. */
extern "C" int cc_cuda_start_cudnn(struct cc_cuda_state *st, char *err, size_t err_len) {
    (void)st;
    if (err && err_len) snprintf(err, err_len, "this build has no cuDNN");
    return -1;
}
#endif

extern "C" int cc_cuda_has_cudnn(void) {
#ifdef CRIMECAST_HAVE_CUDNN
    return 1;
#else
    return 0;
#endif
}

extern "C" void *cc_cuda_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes) CC_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
}

extern "C" void cc_cuda_free(void *device_ptr) {
    if (device_ptr) CC_CUDA_CHECK(cudaFree(device_ptr));
}

/* The state's stream, or the legacy default stream for a null state. */
static cudaStream_t stream_of(const struct cc_cuda_state *st) { return st ? st->stream : (cudaStream_t)0; }

extern "C" void cc_cuda_copy_to_device(struct cc_cuda_state *st, void *device_dst, const void *host_src,
                                       size_t bytes) {
    if (!bytes) return;
    CC_CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream_of(st)));
    CC_CUDA_CHECK(cudaStreamSynchronize(stream_of(st)));
}

extern "C" void cc_cuda_copy_to_device_start(struct cc_cuda_state *st, void *device_dst, const void *host_src,
                                             size_t bytes) {
    if (bytes) CC_CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream_of(st)));
}

extern "C" void cc_cuda_zero(struct cc_cuda_state *st, void *device_dst, size_t bytes) {
    if (bytes) CC_CUDA_CHECK(cudaMemsetAsync(device_dst, 0, bytes, stream_of(st)));
}

extern "C" void *cc_cuda_host_alloc(size_t bytes) {
    void *p = NULL;
    if (!bytes) return NULL;
    if (cudaHostAlloc(&p, bytes, cudaHostAllocDefault) != cudaSuccess) {
        (void)cudaGetLastError(); /* not sticky: the process carries on with pageable memory */
        return NULL;
    }
    return p;
}

extern "C" void cc_cuda_host_free(void *host_ptr) {
    if (host_ptr) CC_CUDA_CHECK(cudaFreeHost(host_ptr));
}

extern "C" void cc_cuda_copy_to_host(struct cc_cuda_state *st, void *host_dst, const void *device_src,
                                     size_t bytes) {
    if (!bytes) return;
    CC_CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream_of(st)));
    CC_CUDA_CHECK(cudaStreamSynchronize(stream_of(st)));
}

extern "C" void cc_cuda_synchronize(struct cc_cuda_state *st) { CC_CUDA_CHECK(cudaStreamSynchronize(stream_of(st))); }

void cc_cuda_set_gemm_math(const cc_ops_context *ctx) {
    CC_CUBLAS_CHECK(ctx->cuda->blas.set_math_mode(ctx->cuda->cublas,
                                                  ctx->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}
