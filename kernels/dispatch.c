/* Dispatch of kernels/ops.h to a backend: kernels/cpu/ always, kernels/cuda/ in builds
 * with CUDA (CRIMECAST_HAVE_CUDA). A CUDA context in a build without it, or one without
 * its cc_cuda_state, is a programming error: the op says so and aborts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"
#include "kernels/op_profile.h"
#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#endif

/* 1 when `op` runs on the GPU, 0 on the CPU; aborts for a CUDA context it cannot serve. */
static int on_cuda(const cc_ops_context *ctx, const char *op) {
    if (ctx->backend == CC_BACKEND_CPU) return 0;
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA && ctx->cuda) return 1;
    fprintf(stderr, "crimecast: op %s got a CUDA context without its state (cc_cuda_state_create)\n", op);
#else
    fprintf(stderr, "crimecast: op %s needs the CUDA backend, which this build lacks (CRIMECAST_CUDA=OFF or no nvcc)\n",
            op);
#endif
    abort();
}

/* RUN(ctx, op, cuda_call, cpu_call): the call for the context's backend. Without CUDA
 * the CUDA call is not even compiled (its symbols do not exist). */
#ifdef CRIMECAST_HAVE_CUDA
#define RUN(ctx, op, cuda_call, cpu_call) (on_cuda((ctx), (op)) ? (cuda_call) : (cpu_call))
#else
#define RUN(ctx, op, cuda_call, cpu_call) (on_cuda((ctx), (op)), (cpu_call))
#endif

/* BACKEND for an op that returns nothing, BACKEND_VALUE for one that returns a double:
 * RUN, timed into ctx->profile when one is attached (kernels/op_profile.h). */
#define BACKEND(ctx, op, cuda_call, cpu_call)                                                                  \
    ((ctx)->profile ? (cc_op_profile_begin(ctx), RUN(ctx, op, cuda_call, cpu_call), cc_op_profile_end((ctx), (op))) \
                    : (void)RUN(ctx, op, cuda_call, cpu_call))
#define BACKEND_VALUE(ctx, op, cuda_call, cpu_call)                                                        \
    ((ctx)->profile ? profiled((ctx), (op), (cc_op_profile_begin(ctx), RUN(ctx, op, cuda_call, cpu_call))) \
                    : RUN(ctx, op, cuda_call, cpu_call))

/* The value of a profiled op, once its time is taken (the argument is evaluated first). */
static double profiled(const cc_ops_context *ctx, const char *op, double value) {
    cc_op_profile_end(ctx, op);
    return value;
}

/* The CUDA ops use no CPU threads or host workspace: one thread sizes it to one slice. */
int cc_ops_threads(const cc_ops_context *ctx) { return ctx->backend == CC_BACKEND_CUDA ? 1 : cc_cpu_threads(ctx); }

void cc_ops_synchronize(const cc_ops_context *ctx) {
    if (ctx->backend == CC_BACKEND_CPU) return;
#ifdef CRIMECAST_HAVE_CUDA
    if (on_cuda(ctx, "synchronize")) cc_cuda_synchronize(ctx->cuda);
#else
    on_cuda(ctx, "synchronize");
#endif
}

void cc_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                       const float *bias, float beta, float *y) {
    BACKEND(ctx, "conv2d_forward", cc_cuda_conv2d_forward(ctx, s, x, w, bias, beta, y),
            cc_cpu_conv2d_forward(ctx, s, x, w, bias, beta, y));
}

void cc_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy, const float *w,
                             float beta, float *dx) {
    BACKEND(ctx, "conv2d_backward_data", cc_cuda_conv2d_backward_data(ctx, s, dy, w, beta, dx),
            cc_cpu_conv2d_backward_data(ctx, s, dy, w, beta, dx));
}

void cc_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *dy,
                               float *dw, float *dbias) {
    BACKEND(ctx, "conv2d_backward_filter", cc_cuda_conv2d_backward_filter(ctx, s, x, dy, dw, dbias),
            cc_cpu_conv2d_backward_filter(ctx, s, x, dy, dw, dbias));
}

void cc_axpy(const cc_ops_context *ctx, size_t n, float alpha, const float *x, float *y) {
    BACKEND(ctx, "axpy", cc_cuda_axpy(ctx, n, alpha, x, y), cc_cpu_axpy(n, alpha, x, y));
}

void cc_fill(const cc_ops_context *ctx, float *x, size_t n, float value) {
    BACKEND(ctx, "fill", cc_cuda_fill(ctx, x, n, value), cc_cpu_fill(x, n, value));
}

void cc_relu_forward(const cc_ops_context *ctx, float *x, size_t n) {
    BACKEND(ctx, "relu_forward", cc_cuda_relu_forward(ctx, x, n), cc_cpu_relu_forward(x, n));
}

void cc_relu_backward(const cc_ops_context *ctx, const float *y, float *dy, size_t n) {
    BACKEND(ctx, "relu_backward", cc_cuda_relu_backward(ctx, y, dy, n), cc_cpu_relu_backward(y, dy, n));
}

void cc_plane_copy(const cc_ops_context *ctx, int planes, int rows, int cols, const float *src, int src_h, int src_w,
                   float *dst, int dst_h, int dst_w) {
    BACKEND(ctx, "plane_copy", cc_cuda_plane_copy(ctx, planes, rows, cols, src, src_h, src_w, dst, dst_h, dst_w),
            cc_cpu_plane_copy(planes, rows, cols, src, src_h, src_w, dst, dst_h, dst_w));
}

void cc_gather_rows(const cc_ops_context *ctx, int blocks, const int *rows, const float *table, size_t row_stride,
                    size_t count, float *dst, size_t dst_stride) {
    BACKEND(ctx, "gather_rows", cc_cuda_gather_rows(ctx, blocks, rows, table, row_stride, count, dst, dst_stride),
            cc_cpu_gather_rows(blocks, rows, table, row_stride, count, dst, dst_stride));
}

void cc_cell_scale_forward(const cc_ops_context *ctx, const float *w, const float *x, float *y, int batch, int maps,
                           int plane) {
    BACKEND(ctx, "cell_scale_forward", cc_cuda_cell_scale_forward(ctx, w, x, y, batch, maps, plane),
            cc_cpu_cell_scale_forward(ctx, w, x, y, batch, maps, plane));
}

void cc_cell_scale_backward(const cc_ops_context *ctx, const float *w, const float *x, const float *dy, float *dx,
                            float *dw, int batch, int maps, int plane) {
    BACKEND(ctx, "cell_scale_backward", cc_cuda_cell_scale_backward(ctx, w, x, dy, dx, dw, batch, maps, plane),
            cc_cpu_cell_scale_backward(ctx, w, x, dy, dx, dw, batch, maps, plane));
}

void cc_bias_add(const cc_ops_context *ctx, float *y, const float *bias, int batch, int channels, int plane) {
    BACKEND(ctx, "bias_add", cc_cuda_bias_add(ctx, y, bias, batch, channels, plane),
            cc_cpu_bias_add(y, bias, batch, channels, plane));
}

void cc_bias_backward(const cc_ops_context *ctx, const float *dy, int batch, int channels, int plane, float *dbias) {
    BACKEND(ctx, "bias_backward", cc_cuda_bias_backward(ctx, dy, batch, channels, plane, dbias),
            cc_cpu_bias_backward(dy, batch, channels, plane, dbias));
}

void cc_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates, const float *c_prev,
                           const float *peep, float *c, float *h) {
    BACKEND(ctx, "lstm_gates_forward", cc_cuda_lstm_gates_forward(ctx, s, gates, c_prev, peep, c, h),
            cc_cpu_lstm_gates_forward(ctx, s, gates, c_prev, peep, c, h));
}

void cc_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                            const float *c_prev, const float *c, const float *peep, const float *dh,
                            const float *dc_next, float *dgates, float *dc_prev, float *dpeep) {
    BACKEND(ctx, "lstm_gates_backward",
            cc_cuda_lstm_gates_backward(ctx, s, gates, c_prev, c, peep, dh, dc_next, dgates, dc_prev, dpeep),
            cc_cpu_lstm_gates_backward(ctx, s, gates, c_prev, c, peep, dh, dc_next, dgates, dc_prev, dpeep));
}

double cc_poisson_nll(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                      int plane, float *d) {
    return BACKEND_VALUE(ctx, "poisson_nll", cc_cuda_poisson_nll(ctx, r, y, mask, maps, plane, d),
                   cc_cpu_poisson_nll(r, y, mask, maps, plane, d));
}

double cc_mse(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps, int plane,
              float *d) {
    return BACKEND_VALUE(ctx, "mse", cc_cuda_mse(ctx, r, y, mask, maps, plane, d), cc_cpu_mse(r, y, mask, maps, plane, d));
}

void cc_adamw_step(const cc_ops_context *ctx, const cc_adamw *opt, float *params, const float *grads, float *m,
                   float *v, size_t n) {
    BACKEND(ctx, "adamw_step", cc_cuda_adamw_step(ctx, opt, params, grads, m, v, n),
            cc_cpu_adamw_step(opt, params, grads, m, v, n));
}

double cc_sum_squares(const cc_ops_context *ctx, const float *x, size_t n) {
    return BACKEND_VALUE(ctx, "sum_squares", cc_cuda_sum_squares(ctx, x, n), cc_cpu_sum_squares(x, n));
}

/* One composition for both backends: the norm (on the host), then a scale in place. */
double cc_clip_global_norm(const cc_ops_context *ctx, float *g, size_t n, double max_norm) {
    double norm = sqrt(cc_sum_squares(ctx, g, n));
    if (norm > max_norm && norm > 0) {
        float factor = (float)(max_norm / norm);
        BACKEND(ctx, "clip_global_norm", cc_cuda_scale(ctx, g, n, factor), cc_cpu_scale(g, n, factor));
    }
    return norm;
}

void cc_poisson_nll_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                         int plane, float *d, double *mean) {
    BACKEND(ctx, "poisson_nll_into", cc_cuda_poisson_nll_into(ctx, r, y, mask, maps, plane, d, mean),
            (void)(*mean = cc_cpu_poisson_nll(r, y, mask, maps, plane, d)));
}

void cc_mse_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps, int plane,
                 float *d, double *mean) {
    BACKEND(ctx, "mse_into", cc_cuda_mse_into(ctx, r, y, mask, maps, plane, d, mean),
            (void)(*mean = cc_cpu_mse(r, y, mask, maps, plane, d)));
}

void cc_step_account(const cc_ops_context *ctx, cc_step_scalars *s) {
    BACKEND(ctx, "step_account", cc_cuda_step_account(ctx, s), cc_cpu_step_account(s));
}

void cc_clip_global_norm_in_place(const cc_ops_context *ctx, float *g, size_t n, double max_norm) {
    BACKEND(ctx, "clip_global_norm_in_place", cc_cuda_clip_global_norm_in_place(ctx, g, n, max_norm),
            (void)cc_clip_global_norm(ctx, g, n, max_norm));
}

void cc_adamw_step_guarded(const cc_ops_context *ctx, const cc_adamw *opt, cc_step_scalars *s, float *params,
                           const float *grads, float *m, float *v, size_t n) {
    BACKEND(ctx, "adamw_step_guarded", cc_cuda_adamw_step_guarded(ctx, opt, s, params, grads, m, v, n),
            cc_cpu_adamw_step_guarded(opt, s, params, grads, m, v, n));
}
