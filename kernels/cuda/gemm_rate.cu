/* The device's measured cuBLAS GEMM rate: the yardstick `crimecast bench train` prints
 * beside its step, so a step's TFLOP/s reads against what this GPU's GEMM reaches at the
 * step's precision (SGEMM in FP32 or on TF32 tensor cores; bfloat16 inputs with FP32 sums
 * and output, the products of kernels/cuda/conv2d_bf16.cu). */
#include <string.h>

#include "kernels/cuda/cuda_internal.cuh"

__global__ void fill_bf16_kernel(__nv_bfloat16 *x, size_t n, float value) {
    CC_GRID_STRIDE_LOOP(k, n) x[k] = __float2bfloat16_rn(value);
}

/* One n x n x n product c = a . b at the context's math (ctx->bf16: a and b are bfloat16). */
static void product(const cc_ops_context *ctx, int n, const void *a, const void *b, float *c) {
    const float one = 1.0f, zero = 0.0f;
    if (ctx->bf16)
        CC_CUBLAS_CHECK(ctx->cuda->blas.gemm_ex(ctx->cuda->cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a,
                                                CUDA_R_16BF, n, b, CUDA_R_16BF, n, &zero, c, CUDA_R_32F, n,
                                                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    else
        CC_CUBLAS_CHECK(ctx->cuda->blas.sgemm(ctx->cuda->cublas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one,
                                              (const float *)a, n, (const float *)b, n, &zero, c, n));
}

extern "C" double cc_cuda_gemm_tflops(struct cc_cuda_state *st, int n, const char *precision, int repeats) {
    size_t floats = (size_t)n * n;
    float *a = (float *)cc_cuda_alloc(sizeof(float) * floats * 3), *b = a + floats, *c = b + floats;
    cc_ops_context ctx = {};
    ctx.backend = CC_BACKEND_CUDA, ctx.cuda = st;
    ctx.tf32 = !strcmp(precision, "tf32"), ctx.bf16 = !strcmp(precision, "bf16");
    if (ctx.bf16) /* a and b as bfloat16, in the first half of their FP32 room */
        fill_bf16_kernel<<<cc_blocks(2 * floats), CC_THREADS, 0, st->stream>>>((__nv_bfloat16 *)a, 2 * floats, 0.5f);
    else
        cc_cuda_fill(&ctx, a, 2 * floats, 0.5f); /* a, b: finite values; c is written */
    CC_CUDA_CHECK(cudaGetLastError());
    const void *a_in = a, *b_in = ctx.bf16 ? (const void *)((__nv_bfloat16 *)a + floats) : (const void *)b;
    cc_cuda_set_gemm_math(&ctx);
    cudaEvent_t start, stop;
    CC_CUDA_CHECK(cudaEventCreate(&start));
    CC_CUDA_CHECK(cudaEventCreate(&stop));
    for (int i = -2; i < repeats; i++) { /* two warm-up products, then the timed ones */
        if (i == 0) CC_CUDA_CHECK(cudaEventRecord(start, st->stream));
        product(&ctx, n, a_in, b_in, c);
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
