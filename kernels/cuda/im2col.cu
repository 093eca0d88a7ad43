/* im2col and col2im on the GPU, over a run of consecutive images (layouts as in
 * kernels/cpu/conv2d.c):
 *   columns[n][c*K*K + i*K + j][p*Wo + q] = x[n][c][p*stride + i - pad][q*stride + j - pad]
 * col2im is written as a gather, one thread per input pixel summing the column entries
 * that came from it, in the CPU's (i, j) order: no atomics, so it is deterministic. Both
 * take a row at a time (CC_ROW_LOOP), not a flat index divided into its coordinates. The
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

/* One block row per column row (image n, channel c, tap i, j), its threads along the
 * output plane: the row's taps and source plane are worked out once per row, and an
 * element costs one 32-bit division (its p, q). The same values as an element-wise
 * kernel: a copy, or a zero for padding. */
template <typename T>
__global__ void im2col_kernel(conv_geometry g, size_t column_rows, const float *x, T *columns) {
    unsigned taps = (unsigned)(g.kernel * g.kernel), rows = (unsigned)g.channels * taps;
    unsigned out_plane = (unsigned)g.out_height * (unsigned)g.out_width, in_plane = (unsigned)g.height * g.width;
    CC_ROW_LOOP(r, column_rows) { /* r = n * rows + row: columns[n][row] is row r */
        size_t n = r / rows;
        unsigned row = (unsigned)(r - n * rows);
        int c = (int)(row / taps), i = (int)(row / g.kernel % g.kernel), j = (int)(row % g.kernel);
        const float *plane = x + (n * g.channels + c) * in_plane;
        T *out = columns + r * out_plane;
        CC_GRID_STRIDE_LOOP(pq, out_plane) {
            int p = (int)((unsigned)pq / (unsigned)g.out_width), q = (int)pq - p * g.out_width;
            int yy = p * g.stride + i - g.padding, xx = q * g.stride + j - g.padding;
            bool inside = yy >= 0 && yy < g.height && xx >= 0 && xx < g.width;
            store(out + pq, inside ? plane[yy * g.width + xx] : 0.0f);
        }
    }
}

/* Output index a kernel tap (offset `tap` in one dimension) reads input coordinate `at`
 * from, or -1 when no output position does. Stride 1 (every ConvLSTM convolution) needs
 * no division: the branch is the same for the whole launch. */
__device__ inline int source_position(int at, int tap, int stride, int padding, int out_size) {
    int shifted = at + padding - tap;
    if (shifted < 0) return -1;
    if (stride != 1) {
        if (shifted % stride) return -1;
        shifted /= stride;
    }
    return shifted < out_size ? shifted : -1;
}

/* One block row per input plane (image n, channel c), its threads along the plane's
 * pixels, each summing in the CPU's (i, j) order. */
__global__ void col2im_kernel(conv_geometry g, size_t planes, const float *columns, int keep, float *dx) {
    size_t out_plane = (size_t)g.out_height * g.out_width, rows = (size_t)g.channels * g.kernel * g.kernel;
    unsigned in_plane = (unsigned)g.height * g.width;
    CC_ROW_LOOP(r, planes) { /* r = n * channels + c: dx[n][c] is plane r */
        size_t n = r / g.channels;
        int c = (int)(r - n * g.channels);
        const float *image = columns + n * rows * out_plane;
        float *target = dx + r * in_plane;
        CC_GRID_STRIDE_LOOP(e, in_plane) {
            int yy = (int)((unsigned)e / (unsigned)g.width), xx = (int)e - yy * g.width;
            float sum = keep ? target[e] : 0.0f; /* beta 0: dx may hold garbage, even NaN */
            for (int i = 0; i < g.kernel; i++) {
                int p = source_position(yy, i, g.stride, g.padding, g.out_height);
                if (p < 0) continue;
                for (int j = 0; j < g.kernel; j++) {
                    int q = source_position(xx, j, g.stride, g.padding, g.out_width);
                    if (q < 0) continue;
                    size_t row = ((size_t)c * g.kernel + i) * g.kernel + j;
                    sum += image[row * out_plane + (size_t)p * g.out_width + q];
                }
            }
            target[e] = sum;
        }
    }
}

template <typename T>
static void im2col(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *x, T *columns) {
    conv_geometry g = geometry_of(s);
    size_t column_rows = (size_t)images * g.channels * g.kernel * g.kernel;
    size_t out_plane = (size_t)g.out_height * g.out_width;
    if (!column_rows || !out_plane) return;
    dim3 grid = cc_row_grid(column_rows, out_plane);
    im2col_kernel<T><<<grid, CC_THREADS, 0, cc_stream(ctx)>>>(g, column_rows, x, columns);
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
    size_t planes = (size_t)images * g.channels, in_plane = (size_t)g.height * g.width;
    if (!planes || !in_plane) return;
    col2im_kernel<<<cc_row_grid(planes, in_plane), CC_THREADS, 0, cc_stream(ctx)>>>(g, planes, columns, beta != 0.0f,
                                                                                   dx);
    CC_CUDA_CHECK(cudaGetLastError());
}
