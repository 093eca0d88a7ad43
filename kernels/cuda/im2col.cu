/* im2col and col2im on the GPU, over a run of consecutive images (layouts as in
 * kernels/cpu/conv2d.c):
 *   columns[n][c*K*K + i*K + j][p*Wo + q] = x[n][c][p*stride + i - pad][q*stride + j - pad]
 * col2im is written as a gather, one thread per input pixel summing the column entries
 * that came from it, in the CPU's (i, j) order: no atomics, so it is deterministic. The
 * bf16 GEMM path (kernels/cuda/conv2d_bf16.cu) takes its columns rounded to bfloat16. */
#include "kernels/cuda/cuda_internal.cuh"

/* The geometry both kernels need, passed by value. */
struct conv_geometry {
    int channels, height, width, kernel, stride, padding, out_height, out_width;
};

static conv_geometry geometry_of(const cc_conv2d_shape *s) {
    conv_geometry g = {s->in_channels, s->height, s->width, s->kernel, s->stride, s->padding,
                       cc_conv2d_out_height(s), cc_conv2d_out_width(s)};
    return g;
}

/* The columns' element: FP32, or bfloat16 rounded to nearest (the bf16 GEMM path). */
__device__ inline void store(float *at, float v) { *at = v; }
__device__ inline void store(__nv_bfloat16 *at, float v) { *at = __float2bfloat16_rn(v); }

template <typename T>
__global__ void im2col_kernel(conv_geometry g, size_t total, const float *x, T *columns) {
    size_t out_plane = (size_t)g.out_height * g.out_width, rows = (size_t)g.channels * g.kernel * g.kernel;
    CC_GRID_STRIDE_LOOP(e, total) {
        int q = (int)(e % g.out_width), p = (int)(e / g.out_width % g.out_height);
        size_t row = e / out_plane % rows, n = e / (out_plane * rows);
        int j = (int)(row % g.kernel), i = (int)(row / g.kernel % g.kernel), c = (int)(row / ((size_t)g.kernel * g.kernel));
        int yy = p * g.stride + i - g.padding, xx = q * g.stride + j - g.padding;
        bool inside = yy >= 0 && yy < g.height && xx >= 0 && xx < g.width;
        store(columns + e, inside ? x[((n * g.channels + c) * g.height + yy) * g.width + xx] : 0.0f);
    }
}

/* Output index a kernel tap (offset `tap` in one dimension) reads input coordinate `at`
 * from, or -1 when no output position does. */
__device__ inline int source_position(int at, int tap, int stride, int padding, int out_size) {
    int shifted = at + padding - tap;
    if (shifted < 0 || shifted % stride) return -1;
    int position = shifted / stride;
    return position < out_size ? position : -1;
}

__global__ void col2im_kernel(conv_geometry g, size_t total, const float *columns, int keep, float *dx) {
    size_t out_plane = (size_t)g.out_height * g.out_width, rows = (size_t)g.channels * g.kernel * g.kernel;
    CC_GRID_STRIDE_LOOP(e, total) {
        int xx = (int)(e % g.width), yy = (int)(e / g.width % g.height);
        size_t c = e / ((size_t)g.width * g.height) % g.channels, n = e / ((size_t)g.width * g.height * g.channels);
        const float *image = columns + n * rows * out_plane;
        float sum = keep ? dx[e] : 0.0f; /* beta 0: dx may hold garbage, even NaN */
        for (int i = 0; i < g.kernel; i++) {
            int p = source_position(yy, i, g.stride, g.padding, g.out_height);
            if (p < 0) continue;
            for (int j = 0; j < g.kernel; j++) {
                int q = source_position(xx, j, g.stride, g.padding, g.out_width);
                if (q < 0) continue;
                size_t row = (c * g.kernel + i) * g.kernel + j;
                sum += image[row * out_plane + (size_t)p * g.out_width + q];
            }
        }
        dx[e] = sum;
    }
}

template <typename T>
static void im2col(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *x, T *columns) {
    conv_geometry g = geometry_of(s);
    size_t total = (size_t)images * g.channels * g.kernel * g.kernel * g.out_height * g.out_width;
    if (!total) return;
    im2col_kernel<T><<<cc_blocks(total), CC_THREADS, 0, cc_stream(ctx)>>>(g, total, x, columns);
    CC_CUDA_CHECK(cudaGetLastError());
}

void cc_cuda_im2col(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *x,
                    float *columns) {
    im2col(ctx, s, images, x, columns);
}

void cc_cuda_im2col_bf16(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *x,
                         __nv_bfloat16 *columns) {
    im2col(ctx, s, images, x, columns);
}

void cc_cuda_col2im(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *columns,
                    float beta, float *dx) {
    conv_geometry g = geometry_of(s);
    size_t total = (size_t)images * g.channels * g.height * g.width;
    if (!total) return;
    col2im_kernel<<<cc_blocks(total), CC_THREADS, 0, cc_stream(ctx)>>>(g, total, columns, beta != 0.0f, dx);
    CC_CUDA_CHECK(cudaGetLastError());
}
