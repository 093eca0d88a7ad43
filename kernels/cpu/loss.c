/* Masked losses on the CPU, accumulated in double. */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"

typedef enum { POISSON, SQUARED } loss_kind;

/* Mean of the loss over counted elements, its gradient into d (0 where masked). */
static double masked_mean(loss_kind kind, const float *r, const float *y, const uint8_t *mask, int maps, int plane,
                          float *d) {
    long n = 0;
    for (int k = 0; k < plane; k++) n += !mask || mask[k];
    n *= maps;
    double sum = 0, scale = n ? 1.0 / (double)n : 0.0;
    for (int m = 0; m < maps; m++)
        for (int k = 0; k < plane; k++) {
            size_t e = (size_t)m * plane + k;
            if (mask && !mask[k]) {
                d[e] = 0.0f;
                continue;
            }
            if (kind == POISSON) { /* exp(r) - y r, on a log-rate r */
                double rate = exp((double)r[e]);
                sum += rate - (double)y[e] * r[e];
                d[e] = (float)((rate - y[e]) * scale);
            } else {
                double diff = (double)r[e] - y[e];
                sum += diff * diff;
                d[e] = (float)(2.0 * diff * scale);
            }
        }
    return sum * scale;
}

double cc_cpu_poisson_nll(const float *r, const float *y, const uint8_t *mask, int maps, int plane, float *d) {
    return masked_mean(POISSON, r, y, mask, maps, plane, d);
}

double cc_cpu_mse(const float *r, const float *y, const uint8_t *mask, int maps, int plane, float *d) {
    return masked_mean(SQUARED, r, y, mask, maps, plane, d);
}
