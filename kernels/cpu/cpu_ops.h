/* The CPU implementations of kernels/ops.h (same contracts; see there). */
#ifndef CRIMECAST_KERNELS_CPU_OPS_H
#define CRIMECAST_KERNELS_CPU_OPS_H

#include "kernels/ops.h"

void cc_cpu_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                           const float *bias, float beta, float *y);
void cc_cpu_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                 const float *w, float beta, float *dx);
void cc_cpu_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                   const float *dy, float *dw, float *dbias);
void cc_cpu_cell_scale_forward(const cc_ops_context *ctx, const float *w, const float *x, float *y, int batch, int maps,
                               int plane);
void cc_cpu_cell_scale_backward(const cc_ops_context *ctx, const float *w, const float *x, const float *dy, float *dx,
                                float *dw, int batch, int maps, int plane);
void cc_cpu_bias_add(float *y, const float *bias, int batch, int channels, int plane);
void cc_cpu_bias_backward(const float *dy, int batch, int channels, int plane, float *dbias);
void cc_cpu_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates,
                               const float *c_prev, const float *peep, float *c, float *h);
void cc_cpu_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                                const float *c_prev, const float *c, const float *peep, const float *dh,
                                const float *dc_next, float *dgates, float *dc_prev, float *dpeep);
double cc_cpu_poisson_nll(const float *r, const float *y, const uint8_t *mask, int maps, int plane, float *d);
double cc_cpu_mse(const float *r, const float *y, const uint8_t *mask, int maps, int plane, float *d);
void cc_cpu_adamw_step(const cc_adamw *opt, float *params, const float *grads, float *m, float *v, size_t n);
/* The AdamW update with the bias corrections c1 = 1 - beta1^t, c2 = 1 - beta2^t given. */
void cc_cpu_adamw_update(const cc_adamw *opt, double c1, double c2, float *params, const float *grads, float *m,
                         float *v, size_t n);
void cc_cpu_step_account(cc_step_scalars *s);
void cc_cpu_adamw_step_guarded(const cc_adamw *opt, cc_step_scalars *s, float *params, const float *grads, float *m,
                               float *v, size_t n);
double cc_cpu_sum_squares(const float *x, size_t n);
void cc_cpu_scale(float *x, size_t n, float factor);
void cc_cpu_axpy(size_t n, float alpha, const float *x, float *y);
void cc_cpu_fill(float *x, size_t n, float value);
void cc_cpu_relu_forward(float *x, size_t n);
void cc_cpu_relu_backward(const float *y, float *dy, size_t n);
void cc_cpu_gather_rows(int blocks, const int *rows, const float *table, size_t row_stride, size_t count, float *dst,
                        size_t dst_stride);
void cc_cpu_plane_copy(int planes, int rows, int cols, const float *src, int src_h, int src_w, float *dst, int dst_h,
                       int dst_w);

#endif
