/* AdamW, the reductions behind gradient clipping, and the element-wise and copy ops, on the CPU. */
#include <math.h>
#include <string.h>

#include "kernels/cpu/cpu_ops.h"

void cc_cpu_adamw_step(const cc_adamw *o, float *p, const float *g, float *m, float *v, size_t n) {
    cc_cpu_adamw_update(o, 1.0 - pow(o->beta1, o->step), 1.0 - pow(o->beta2, o->step), p, g, m, v, n);
}

void cc_cpu_adamw_update(const cc_adamw *o, double c1, double c2, float *p, const float *g, float *m, float *v,
                         size_t n) {
    for (size_t k = 0; k < n; k++) {
        m[k] = o->beta1 * m[k] + (1.0f - o->beta1) * g[k];
        v[k] = o->beta2 * v[k] + (1.0f - o->beta2) * g[k] * g[k];
        double mhat = m[k] / c1, vhat = v[k] / c2;
        p[k] -= (float)(o->lr * (o->weight_decay * p[k] + mhat / (sqrt(vhat) + o->eps)));
    }
}

double cc_cpu_sum_squares(const float *x, size_t n) {
    double sum = 0;
    for (size_t k = 0; k < n; k++) sum += (double)x[k] * x[k];
    return sum;
}

void cc_cpu_scale(float *x, size_t n, float factor) {
    for (size_t k = 0; k < n; k++) x[k] *= factor;
}

void cc_cpu_axpy(size_t n, float alpha, const float *x, float *y) {
    for (size_t k = 0; k < n; k++) y[k] += alpha * x[k];
}

void cc_cpu_fill(float *x, size_t n, float value) {
    for (size_t k = 0; k < n; k++) x[k] = value;
}

void cc_cpu_relu_forward(float *x, size_t n) {
    for (size_t k = 0; k < n; k++) x[k] = x[k] > 0 ? x[k] : 0.0f;
}

void cc_cpu_relu_backward(const float *y, float *dy, size_t n) {
    for (size_t k = 0; k < n; k++) dy[k] = y[k] > 0 ? dy[k] : 0.0f;
}

void cc_cpu_gather_rows(int blocks, const int *rows, const float *table, size_t row_stride, size_t count, float *dst,
                        size_t dst_stride) {
    for (int j = 0; j < blocks; j++)
        memcpy(dst + (size_t)j * dst_stride, table + (size_t)rows[j] * row_stride, sizeof(float) * count);
}

void cc_cpu_plane_copy(int planes, int rows, int cols, const float *src, int src_h, int src_w, float *dst, int dst_h,
                       int dst_w) {
    for (int p = 0; p < planes; p++)
        for (int r = 0; r < rows; r++)
            memcpy(dst + ((size_t)p * dst_h + r) * dst_w, src + ((size_t)p * src_h + r) * src_w, sizeof(float) * cols);
}
