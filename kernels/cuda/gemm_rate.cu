/* The device's measured cuBLAS SGEMM rate: the yardstick `crimecast bench train` prints
 * beside its step, so a step's TFLOP/s reads against what this GPU's GEMM reaches. */
#include "kernels/cuda/cuda_internal.cuh"

extern "C" double cc_cuda_gemm_tflops(struct cc_cuda_state *st, int n, int tf32, int repeats) {
    size_t floats = (size_t)n * n;
    float *a = (float *)cc_cuda_alloc(sizeof(float) * floats * 3), *b = a + floats, *c = b + floats;
    cc_ops_context ctx = {};
    ctx.backend = CC_BACKEND_CUDA, ctx.cuda = st, ctx.tf32 = tf32;
    cc_cuda_fill(&ctx, a, 2 * floats, 0.5f); /* a, b: finite values; c is written */
    cc_cuda_set_gemm_math(&ctx);
    const float one = 1.0f, zero = 0.0f;
    cudaEvent_t start, stop;
    CC_CUDA_CHECK(cudaEventCreate(&start));
    CC_CUDA_CHECK(cudaEventCreate(&stop));
    for (int i = -2; i < repeats; i++) { /* two warm-up products, then the timed ones */
        if (i == 0) CC_CUDA_CHECK(cudaEventRecord(start, st->stream));
        CC_CUBLAS_CHECK(cublasSgemm(st->cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, n, b, n, &zero, c, n));
    }
    CC_CUDA_CHECK(cudaEventRecord(stop, st->stream));
    CC_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CC_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    CC_CUDA_CHECK(cudaEventDestroy(start));
    CC_CUDA_CHECK(cudaEventDestroy(stop));
    cc_cuda_free(a);
    return 2.0 * n * (double)n * n * repeats / (ms * 1e-3) * 1e-12;
}
