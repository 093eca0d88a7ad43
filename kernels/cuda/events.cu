/* CUDA events for timing ops on a state's stream (kernels/op_profile.h). */
#include "kernels/cuda/cuda_internal.cuh"

extern "C" void *cc_cuda_event_create(void) {
    cudaEvent_t e;
    CC_CUDA_CHECK(cudaEventCreate(&e));
    return (void *)e;
}

extern "C" void cc_cuda_event_record(struct cc_cuda_state *st, void *event) {
    CC_CUDA_CHECK(cudaEventRecord((cudaEvent_t)event, st->stream));
}

extern "C" double cc_cuda_event_seconds(void *start, void *end) {
    float ms = 0;
    CC_CUDA_CHECK(cudaEventSynchronize((cudaEvent_t)end));
    CC_CUDA_CHECK(cudaEventElapsedTime(&ms, (cudaEvent_t)start, (cudaEvent_t)end));
    return 1e-3 * (double)ms;
}

extern "C" void cc_cuda_event_destroy(void *event) {
    if (event) CC_CUDA_CHECK(cudaEventDestroy((cudaEvent_t)event));
}
