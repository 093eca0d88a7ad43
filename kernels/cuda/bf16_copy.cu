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

/* ------------------------------------------------ the same, transposed to channels last
 *
 * [images][channels][plane] FP32 <-> [images][plane][channels] bfloat16: the layout of
 * cuDNN's tensor-core kernels on Hopper (their names say nhwc; conv2d_cudnn.cu with
 * ctx->cudnn_nhwc). The rounding pass the bf16 operands take anyway becomes the transpose,
 * so cuDNN gets its own layout and need not transform around the GEMM. A block moves a
 * TILE x TILE square (channels x plane positions) through shared memory, so that both the
 * read and the write walk consecutive addresses: along the plane on the FP32 side, along
 * the channels on the bfloat16 side. The padding column keeps the transposed reads of the
 * tile off a single shared-memory bank. */
constexpr int TILE = 32, TILE_ROWS = 8; /* blocks of TILE x TILE_ROWS threads, TILE / TILE_ROWS rows each */

static dim3 tile_grid(int channels, size_t plane, int images) {
    size_t across = (plane + TILE - 1) / TILE;
    unsigned z = (unsigned)(images < 65535 ? images : 65535); /* the kernels stride over the rest */
    return dim3((unsigned)across, (unsigned)((channels + TILE - 1) / TILE), z);
}

__global__ void to_bf16_nhwc_kernel(const float *x, bf16 *y, int images, int channels, size_t plane) {
    __shared__ float tile[TILE][TILE + 1];
    size_t p0 = (size_t)blockIdx.x * TILE;
    int c0 = blockIdx.y * TILE;
    for (int n = blockIdx.z; n < images; n += gridDim.z) {
        const float *from = x + (size_t)n * channels * plane;
        bf16 *to = y + (size_t)n * channels * plane;
        for (int r = threadIdx.y; r < TILE; r += TILE_ROWS) { /* r: channel in the tile, threadIdx.x: position */
            int c = c0 + r;
            size_t p = p0 + threadIdx.x;
            if (c < channels && p < plane) tile[r][threadIdx.x] = from[(size_t)c * plane + p];
        }
        __syncthreads();
        for (int r = threadIdx.y; r < TILE; r += TILE_ROWS) { /* r: position in the tile, threadIdx.x: channel */
            size_t p = p0 + r;
            int c = c0 + threadIdx.x;
            if (c < channels && p < plane) to[p * channels + c] = __float2bfloat16_rn(tile[threadIdx.x][r]);
        }
        __syncthreads(); /* the tile is refilled for the next image */
    }
}

void cc_cuda_to_bf16_nhwc(const cc_ops_context *ctx, const float *x, int images, int channels, size_t plane,
                          bf16 *y) {
    if (images <= 0 || channels <= 0 || !plane) return;
    to_bf16_nhwc_kernel<<<tile_grid(channels, plane, images), dim3(TILE, TILE_ROWS), 0, cc_stream(ctx)>>>(
        x, y, images, channels, plane);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* beta 0 must not read y, as in from_bf16_kernel. */
__global__ void from_bf16_nhwc_kernel(const bf16 *x, float beta, float *y, int images, int channels, size_t plane) {
    __shared__ float tile[TILE][TILE + 1];
    size_t p0 = (size_t)blockIdx.x * TILE;
    int c0 = blockIdx.y * TILE;
    for (int n = blockIdx.z; n < images; n += gridDim.z) {
        const bf16 *from = x + (size_t)n * channels * plane;
        float *to = y + (size_t)n * channels * plane;
        for (int r = threadIdx.y; r < TILE; r += TILE_ROWS) { /* r: position in the tile, threadIdx.x: channel */
            size_t p = p0 + r;
            int c = c0 + threadIdx.x;
            if (c < channels && p < plane) tile[r][threadIdx.x] = __bfloat162float(from[p * channels + c]);
        }
        __syncthreads();
        for (int r = threadIdx.y; r < TILE; r += TILE_ROWS) { /* r: channel in the tile, threadIdx.x: position */
            int c = c0 + r;
            size_t p = p0 + threadIdx.x;
            if (c < channels && p < plane) {
                float v = tile[threadIdx.x][r];
                size_t at = (size_t)c * plane + p;
                to[at] = beta != 0.0f ? v + beta * to[at] : v;
            }
        }
        __syncthreads();
    }
}

void cc_cuda_from_bf16_nhwc(const cc_ops_context *ctx, const bf16 *x, int images, int channels, size_t plane,
                            float beta, float *y) {
    if (images <= 0 || channels <= 0 || !plane) return;
    from_bf16_nhwc_kernel<<<tile_grid(channels, plane, images), dim3(TILE, TILE_ROWS), 0, cc_stream(ctx)>>>(
        x, beta, y, images, channels, plane);
    CC_CUDA_CHECK(cudaGetLastError());
}
