/* Per-cell weights on the GPU (kernels/ops.h: cc_cell_scale_*; kernels/cpu/cell_scale.c is
 * the reference). The weight gradient: one thread per (map, cell) sums its batch in
 * double in order, as the CPU does, so both are deterministic and agree to rounding. */
#include "kernels/cuda/cuda_internal.cuh"

__global__ void cell_scale_forward_kernel(const float *w, const float *x, float *y, size_t block, size_t n) {
    CC_GRID_STRIDE_LOOP(k, n) y[k] += w[k % block] * x[k];
}

__global__ void cell_scale_backward_kernel(const float *w, const float *x, const float *dy, float *dx, float *dw,
                                           int batch, size_t block) {
    CC_GRID_STRIDE_LOOP(k, block) {
        double sum = 0;
        for (int n = 0; n < batch; n++) {
            size_t at = (size_t)n * block + k;
            sum += (double)x[at] * dy[at];
            if (dx) dx[at] = w[k] * dy[at];
        }
        dw[k] += (float)sum;
    }
}

extern "C" void cc_cuda_cell_scale_forward(const cc_ops_context *ctx, const float *w, const float *x, float *y, int batch,
                                           int maps, int plane) {
    size_t block = (size_t)maps * plane, n = block * batch;
    if (!n) return;
    cell_scale_forward_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(w, x, y, block, n);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_cell_scale_backward(const cc_ops_context *ctx, const float *w, const float *x, const float *dy,
                                            float *dx, float *dw, int batch, int maps, int plane) {
    size_t block = (size_t)maps * plane;
    if (!block || batch < 1) return;
    cell_scale_backward_kernel<<<cc_blocks(block), CC_THREADS, 0, cc_stream(ctx)>>>(w, x, dy, dx, dw, batch, block);
    CC_CUDA_CHECK(cudaGetLastError());
}
