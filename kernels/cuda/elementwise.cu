/* Element-wise ops and the bias kernels on the GPU (kernels/cpu/optim.c and conv2d.c are
 * the references). Each launch is skipped for an empty range: a zero-block grid is a
 * launch error. */
#include <string.h>

#include "kernels/cuda/cuda_internal.cuh"

__global__ void axpy_kernel(size_t n, float alpha, const float *x, float *y) {
    CC_GRID_STRIDE_LOOP(k, n) y[k] += alpha * x[k];
}

__global__ void fill_kernel(float *x, size_t n, float value) {
    CC_GRID_STRIDE_LOOP(k, n) x[k] = value;
}

__global__ void scale_kernel(float *x, size_t n, float factor) {
    CC_GRID_STRIDE_LOOP(k, n) x[k] *= factor;
}

__global__ void relu_forward_kernel(float *x, size_t n) {
    CC_GRID_STRIDE_LOOP(k, n) x[k] = x[k] > 0 ? x[k] : 0.0f;
}

/* The derivative is taken as 0 at 0, as on the CPU. */
__global__ void relu_backward_kernel(const float *y, float *dy, size_t n) {
    CC_GRID_STRIDE_LOOP(k, n) dy[k] = y[k] > 0 ? dy[k] : 0.0f;
}

/* dst (p, r, c) <- src (p, r, c): a block row per copied row (p, r), threads along c. */
__global__ void plane_copy_kernel(size_t copied_rows, int rows, int cols, const float *src, int src_h, int src_w,
                                  float *dst, int dst_h, int dst_w) {
    CC_ROW_LOOP(pr, copied_rows) {
        size_t p = pr / (unsigned)rows, r = pr - p * rows;
        const float *from = src + (p * src_h + r) * src_w;
        float *to = dst + (p * dst_h + r) * dst_w;
        CC_GRID_STRIDE_LOOP(c, (size_t)cols) to[c] = from[c];
    }
}

/* One thread per element: dst[k] += slices[0][k], then slices[1][k], ... in order. */
__global__ void add_slices_kernel(const float *slices, int count, size_t n, float *dst) {
    CC_GRID_STRIDE_LOOP(k, n) {
        float sum = dst[k];
        for (int i = 0; i < count; i++) sum += slices[(size_t)i * n + k];
        dst[k] = sum;
    }
}

void cc_cuda_add_slices(const cc_ops_context *ctx, const float *slices, int count, size_t n, float *dst) {
    if (count <= 0 || !n) return;
    add_slices_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(slices, count, n, dst);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* A block row per plane (n, c) of y, which takes bias[c] throughout. */
__global__ void bias_add_kernel(float *y, const float *bias, int channels, size_t plane, size_t planes) {
    CC_ROW_LOOP(r, planes) {
        float b = bias[r % (unsigned)channels], *row = y + r * plane;
        CC_GRID_STRIDE_LOOP(k, plane) row[k] += b;
    }
}

/* One block per channel sums its batch x plane gradients in double, in a fixed order, and
 * adds the sum once: deterministic, and as accurate as the CPU's double sum. Thread t
 * takes elements t, t + T, t + 2T, ... of the channel's batch x plane (T threads), their
 * image n and cell k carried from one to the next rather than divided out of each. */
__global__ void bias_backward_kernel(const float *dy, int batch, int channels, size_t plane, float *dbias) {
    int c = blockIdx.x;
    size_t cells = (size_t)batch * plane;
    size_t each = plane ? plane : 1; /* no plane, no elements: only keeps the divisions defined */
    size_t n = threadIdx.x / each, k = threadIdx.x % each, skip_images = blockDim.x / each,
           skip_cells = blockDim.x % each;
    double sum = 0;
    for (size_t e = threadIdx.x; e < cells; e += blockDim.x) {
        sum += dy[(n * channels + c) * plane + k];
        n += skip_images, k += skip_cells;
        if (k >= plane) k -= plane, n++;
    }
    sum = cc_block_sum(sum);
    if (threadIdx.x == 0) dbias[c] += (float)sum;
}

extern "C" void cc_cuda_axpy(const cc_ops_context *ctx, size_t n, float alpha, const float *x, float *y) {
    if (!n) return;
    axpy_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(n, alpha, x, y);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_fill(const cc_ops_context *ctx, float *x, size_t n, float value) {
    if (!n) return;
    fill_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(x, n, value);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_scale(const cc_ops_context *ctx, float *x, size_t n, float factor) {
    if (!n) return;
    scale_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(x, n, factor);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_relu_forward(const cc_ops_context *ctx, float *x, size_t n) {
    if (!n) return;
    relu_forward_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(x, n);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_relu_backward(const cc_ops_context *ctx, const float *y, float *dy, size_t n) {
    if (!n) return;
    relu_backward_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(y, dy, n);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* The row indices of up to CC_GATHER_ROWS_PER_LAUNCH blocks, passed by value with the
 * launch (2 KiB, inside every architecture's 4 KiB of kernel parameters). */
#define CC_GATHER_ROWS_PER_LAUNCH 512
struct gather_rows_batch {
    int rows[CC_GATHER_ROWS_PER_LAUNCH];
};

/* blockIdx.y: the run; x and the threads: its floats. */
__global__ void gather_rows_kernel(gather_rows_batch b, const float *table, size_t row_stride, size_t count,
                                   float *dst, size_t dst_stride) {
    const float *src = table + (size_t)b.rows[blockIdx.y] * row_stride;
    float *out = dst + (size_t)blockIdx.y * dst_stride;
    for (size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x; k < count; k += (size_t)gridDim.x * blockDim.x)
        out[k] = src[k];
}

extern "C" void cc_cuda_gather_rows(const cc_ops_context *ctx, int blocks, const int *rows, const float *table,
                                    size_t row_stride, size_t count, float *dst, size_t dst_stride) {
    if (blocks <= 0 || !count) return;
    unsigned across = (unsigned)((count + CC_THREADS - 1) / CC_THREADS);
    if (across > 1024) across = 1024; /* the blocks stride over longer runs */
    for (int first = 0; first < blocks; first += CC_GATHER_ROWS_PER_LAUNCH) {
        int n = blocks - first < CC_GATHER_ROWS_PER_LAUNCH ? blocks - first : CC_GATHER_ROWS_PER_LAUNCH;
        gather_rows_batch b;
        memcpy(b.rows, rows + first, sizeof(int) * (size_t)n);
        gather_rows_kernel<<<dim3(across, (unsigned)n), CC_THREADS, 0, cc_stream(ctx)>>>(
            b, table, row_stride, count, dst + (size_t)first * dst_stride, dst_stride);
        CC_CUDA_CHECK(cudaGetLastError());
    }
}

extern "C" void cc_cuda_plane_copy(const cc_ops_context *ctx, int planes, int rows, int cols, const float *src,
                                   int src_h, int src_w, float *dst, int dst_h, int dst_w) {
    if (planes <= 0 || rows <= 0 || cols <= 0) return;
    size_t copied_rows = (size_t)planes * rows;
    plane_copy_kernel<<<cc_row_grid(copied_rows, (size_t)cols), CC_THREADS, 0, cc_stream(ctx)>>>(
        copied_rows, rows, cols, src, src_h, src_w, dst, dst_h, dst_w);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_bias_add(const cc_ops_context *ctx, float *y, const float *bias, int batch, int channels,
                                 int plane) {
    if (batch <= 0 || channels <= 0 || plane <= 0) return;
    size_t planes = (size_t)batch * channels;
    bias_add_kernel<<<cc_row_grid(planes, (size_t)plane), CC_THREADS, 0, cc_stream(ctx)>>>(y, bias, channels,
                                                                                         (size_t)plane, planes);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_bias_backward(const cc_ops_context *ctx, const float *dy, int batch, int channels, int plane,
                                      float *dbias) {
    if (channels <= 0) return;
    bias_backward_kernel<<<channels, CC_REDUCE_THREADS, 0, cc_stream(ctx)>>>(dy, batch < 0 ? 0 : batch, channels,
                                                                             (size_t)(plane < 0 ? 0 : plane), dbias);
    CC_CUDA_CHECK(cudaGetLastError());
}
