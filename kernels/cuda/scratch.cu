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
