/* Per-cell weights on the CPU (kernels/ops.h: cc_cell_scale_*), the reference of
 * kernels/cuda/cell_scale.cu. */
#include <stddef.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"

void cc_cpu_cell_scale_forward(const cc_ops_context *ctx, const float *w, const float *x, float *y, int batch, int maps,
                               int plane) {
    size_t block = (size_t)maps * plane;
    for (int n = 0; n < batch; n++) {
        const float *xn = x + n * block;
        float *yn = y + n * block;
        CC_PARALLEL_FOR(ctx)
        for (size_t k = 0; k < block; k++) yn[k] += w[k] * xn[k];
    }
}

void cc_cpu_cell_scale_backward(const cc_ops_context *ctx, const float *w, const float *x, const float *dy, float *dx,
                                float *dw, int batch, int maps, int plane) {
    size_t block = (size_t)maps * plane;
    CC_PARALLEL_FOR(ctx)
    for (size_t k = 0; k < block; k++) {
        double sum = 0;
        for (int n = 0; n < batch; n++) {
            size_t at = n * block + k;
            sum += (double)x[at] * dy[at];
            if (dx) dx[at] = w[k] * dy[at];
        }
        dw[k] += (float)sum;
    }
}
