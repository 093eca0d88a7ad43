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
 * so cuDNN gets its own layout and need not transform around the GEMM. Both directions
 * are one kernel: each image a [rows][cols] matrix written transposed, [cols][rows], each
 * value through a store (rounding to bfloat16 one way, widening with + beta y the other).
 * A block moves a TILE x TILE square through shared memory, so that both the read and the
 * write walk consecutive addresses (along a row of the source, along a row of the
 * result). The padding column keeps the transposed reads of the tile off a single
 * shared-memory bank. */
constexpr int TILE = 32, TILE_ROWS = 8; /* blocks of TILE x TILE_ROWS threads, TILE / TILE_ROWS rows each */
constexpr unsigned GRID_CAP = 65535;    /* y and z grid limit: the kernel strides over the rest */

static __device__ float widen(float v) { return v; }
static __device__ float widen(bf16 v) { return __bfloat162float(v); }

struct round_to_bf16 {
    __device__ void operator()(bf16 *at, float v) const { *at = __float2bfloat16_rn(v); }
};

/* beta 0 must not read y, as in from_bf16_kernel. */
struct add_to_scaled {
    float beta;
    __device__ void operator()(float *at, float v) const { *at = beta != 0.0f ? v + beta * *at : v; }
};

/* y[n][c][r] = store(x[n][r][c]) for each of `images` [rows][cols] matrices. The loops'
 * trip counts depend on the block alone, so every thread meets every __syncthreads. */
template <typename In, typename Out, typename Store>
__global__ void transpose_kernel(const In *x, Out *y, int images, size_t rows, size_t cols, Store store) {
    __shared__ float tile[TILE][TILE + 1];
    size_t c0 = (size_t)blockIdx.x * TILE, matrix = rows * cols;
    for (int n = blockIdx.z; n < images; n += gridDim.z) {
        const In *from = x + (size_t)n * matrix;
        Out *to = y + (size_t)n * matrix;
        for (size_t r0 = (size_t)blockIdx.y * TILE; r0 < rows; r0 += (size_t)gridDim.y * TILE) {
            for (int i = threadIdx.y; i < TILE; i += TILE_ROWS) { /* i: row in the tile, threadIdx.x: column */
                size_t r = r0 + i, c = c0 + threadIdx.x;
                if (r < rows && c < cols) tile[i][threadIdx.x] = widen(from[r * cols + c]);
            }
            __syncthreads();
            for (int i = threadIdx.y; i < TILE; i += TILE_ROWS) { /* i: column in the tile, threadIdx.x: row */
                size_t c = c0 + i, r = r0 + threadIdx.x;
                if (r < rows && c < cols) store(&to[c * rows + r], tile[threadIdx.x][i]);
            }
            __syncthreads(); /* the tile is refilled for the next rows or image */
        }
    }
}

template <typename In, typename Out, typename Store>
static void transpose(const cc_ops_context *ctx, const In *x, Out *y, int images, size_t rows, size_t cols,
                      Store store) {
    if (images <= 0 || !rows || !cols) return;
    size_t down = (rows + TILE - 1) / TILE;
    dim3 grid((unsigned)((cols + TILE - 1) / TILE), (unsigned)(down < GRID_CAP ? down : GRID_CAP),
              (unsigned)images < GRID_CAP ? (unsigned)images : GRID_CAP);
    transpose_kernel<<<grid, dim3(TILE, TILE_ROWS), 0, cc_stream(ctx)>>>(x, y, images, rows, cols, store);
    CC_CUDA_CHECK(cudaGetLastError());
}

void cc_cuda_to_bf16_nhwc(const cc_ops_context *ctx, const float *x, int images, int channels, size_t plane,
                          bf16 *y) {
    if (channels > 0) transpose(ctx, x, y, images, (size_t)channels, plane, round_to_bf16{});
}

void cc_cuda_from_bf16_nhwc(const cc_ops_context *ctx, const bf16 *x, int images, int channels, size_t plane,
                            float beta, float *y) {
    if (channels > 0) transpose(ctx, x, y, images, plane, (size_t)channels, add_to_scaled{beta});
}
