/* Dispatch of kernels/ops.h to a backend. The CUDA backend's ops arrive with the GPU
 * work; until then a CUDA context reaching an op is a programming error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/cpu/cpu_ops.h"

static void require_cpu(const cc_ops_context *ctx, const char *op) {
    if (ctx->backend == CC_BACKEND_CPU) return;
    fprintf(stderr, "crimecast: op %s has no implementation for this backend yet\n", op);
    abort();
}

int cc_ops_threads(const cc_ops_context *ctx) { return cc_cpu_threads(ctx); }

void cc_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                       const float *bias, float beta, float *y) {
    require_cpu(ctx, "conv2d_forward");
    cc_cpu_conv2d_forward(ctx, s, x, w, bias, beta, y);
}

void cc_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy, const float *w,
                             float beta, float *dx) {
    require_cpu(ctx, "conv2d_backward_data");
    cc_cpu_conv2d_backward_data(ctx, s, dy, w, beta, dx);
}

void cc_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *dy,
                               float *dw, float *dbias) {
    require_cpu(ctx, "conv2d_backward_filter");
    cc_cpu_conv2d_backward_filter(ctx, s, x, dy, dw, dbias);
}

void cc_axpy(const cc_ops_context *ctx, size_t n, float alpha, const float *x, float *y) {
    require_cpu(ctx, "axpy");
    cc_cpu_axpy(n, alpha, x, y);
}

void cc_fill(const cc_ops_context *ctx, float *x, size_t n, float value) {
    require_cpu(ctx, "fill");
    cc_cpu_fill(x, n, value);
}

void cc_relu_forward(const cc_ops_context *ctx, float *x, size_t n) {
    require_cpu(ctx, "relu_forward");
    cc_cpu_relu_forward(x, n);
}

void cc_relu_backward(const cc_ops_context *ctx, const float *y, float *dy, size_t n) {
    require_cpu(ctx, "relu_backward");
    cc_cpu_relu_backward(y, dy, n);
}

void cc_bias_add(const cc_ops_context *ctx, float *y, const float *bias, int batch, int channels, int plane) {
    require_cpu(ctx, "bias_add");
    cc_cpu_bias_add(y, bias, batch, channels, plane);
}

void cc_bias_backward(const cc_ops_context *ctx, const float *dy, int batch, int channels, int plane, float *dbias) {
    require_cpu(ctx, "bias_backward");
    cc_cpu_bias_backward(dy, batch, channels, plane, dbias);
}

void cc_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates, const float *c_prev,
                           const float *peep, float *c, float *h) {
    require_cpu(ctx, "lstm_gates_forward");
    cc_cpu_lstm_gates_forward(ctx, s, gates, c_prev, peep, c, h);
}

void cc_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                            const float *c_prev, const float *c, const float *peep, const float *dh,
                            const float *dc_next, float *dgates, float *dc_prev, float *dpeep) {
    require_cpu(ctx, "lstm_gates_backward");
    cc_cpu_lstm_gates_backward(ctx, s, gates, c_prev, c, peep, dh, dc_next, dgates, dc_prev, dpeep);
}

double cc_poisson_nll(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                      int plane, float *d) {
    require_cpu(ctx, "poisson_nll");
    return cc_cpu_poisson_nll(r, y, mask, maps, plane, d);
}

double cc_mse(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps, int plane,
              float *d) {
    require_cpu(ctx, "mse");
    return cc_cpu_mse(r, y, mask, maps, plane, d);
}

void cc_adamw_step(const cc_ops_context *ctx, const cc_adamw *opt, float *params, const float *grads, float *m,
                   float *v, size_t n) {
    require_cpu(ctx, "adamw_step");
    cc_cpu_adamw_step(opt, params, grads, m, v, n);
}

double cc_sum_squares(const cc_ops_context *ctx, const float *x, size_t n) {
    require_cpu(ctx, "sum_squares");
    return cc_cpu_sum_squares(x, n);
}

double cc_clip_global_norm(const cc_ops_context *ctx, float *g, size_t n, double max_norm) {
    double norm = sqrt(cc_sum_squares(ctx, g, n));
    if (norm > max_norm && norm > 0) cc_cpu_scale(g, n, (float)(max_norm / norm));
    return norm;
}
