/* bfloat16 copies of FP32 buffers and back (cuda_internal.cuh): the operands of the bf16
 * convolutions, on the GEMM path (conv2d_bf16.cu) and through cuDNN (conv2d_cudnn.cu). */
#include "kernels/cuda/cuda_internal.cuh"

typedef __nv_bfloat16 bf16;

__global__ void to_bf16_kernel(const float *x, bf16 *y, size_t n) {
    CC_GRID_STRIDE_LOOP(k, n) y[k] = __float2bfloat16_rn(x[k]);
}

void cc_cuda_to_bf16(const cc_ops_context *ctx, const float *x, size_t n, bf16 *y) {
    if (!n) return;
    to_bf16_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(x, y, n);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* beta 0 must not read y: it may hold garbage (NaN) that 0 * y would keep. */
__global__ void from_bf16_kernel(const bf16 *x, float beta, float *y, size_t n) {
    CC_GRID_STRIDE_LOOP(k, n) y[k] = beta != 0.0f ? __bfloat162float(x[k]) + beta * y[k] : __bfloat162float(x[k]);
}

void cc_cuda_from_bf16(const cc_ops_context *ctx, const bf16 *x, size_t n, float beta, float *y) {
    if (!n) return;
    from_bf16_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(x, beta, y, n);
    CC_CUDA_CHECK(cudaGetLastError());
}
