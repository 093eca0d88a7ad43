/* The state's device scratch (cuda_internal.cuh, cc_cuda_scratch): im2col columns and the
 * cuDNN workspace, grown on demand. Apart from state.cu, which frees it, so that the
 * convolution paths that borrow it do not depend on the state's life cycle. */
#include "kernels/cuda/cuda_internal.cuh"

float *cc_cuda_scratch(const cc_ops_context *ctx, size_t floats) {
    struct cc_cuda_state *st = ctx->cuda;
    if (floats <= st->scratch_floats) return st->scratch;
    cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
    CC_CUDA_CHECK(cudaStreamIsCapturing(st->stream, &capturing));
    if (capturing != cudaStreamCaptureStatusNone) { /* the graph would keep a freed address */
        fprintf(stderr, "crimecast: the device scratch must grow to %zu floats while a CUDA graph is recorded: "
                        "run the recorded ops once before recording them (kernels/graph.h)\n", floats);
        exit(1);
    }
    /* Queued ops may still read the old buffer: let them finish before freeing it. */
    CC_CUDA_CHECK(cudaStreamSynchronize(st->stream));
    if (st->scratch) CC_CUDA_CHECK(cudaFree(st->scratch));
    st->scratch = NULL;
    st->scratch_floats = 0;
    CC_CUDA_CHECK(cudaMalloc((void **)&st->scratch, sizeof(float) * floats));
    st->scratch_floats = floats;
    st->scratch_moves++;
    return st->scratch;
}

extern "C" size_t cc_cuda_scratch_floats(const struct cc_cuda_state *st) { return st->scratch_floats; }

/* 256 bytes: cuBLAS and cuDNN want their operands aligned, and it suits every type. */
static size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

void cc_cuda_carve_scratch(const cc_ops_context *ctx, int regions, const size_t *bytes, void **at) {
    size_t total = 0;
    for (int k = 0; k < regions; k++) total += aligned(bytes[k]);
    char *base = (char *)cc_cuda_scratch(ctx, (total + sizeof(float) - 1) / sizeof(float));
    for (int k = 0; k < regions; k++) at[k] = bytes[k] ? base : NULL, base += aligned(bytes[k]);
}
