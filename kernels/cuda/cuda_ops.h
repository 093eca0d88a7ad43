/* The CUDA backend of kernels/ops.h, callable from C.
 *
 * Each cc_cuda_<op> has the signature and contract of cc_<op> in kernels/ops.h, on
 * device pointers (masks included), and is reached through that header's dispatch when
 * ctx->backend is CC_BACKEND_CUDA. The ops run in order on the stream of ctx->cuda and
 * return without waiting for the device, except the ones that return a scalar to the
 * host (the losses, cc_cuda_sum_squares, and so the clipping): those copy it back and
 * wait, the one synchronisation of a training step.
 *
 * The state (stream, cuBLAS and cuDNN handles - cuDNN's made when it is to be used -, device
 * scratch for im2col columns and the cuDNN workspace, reduction partials) belongs to
 * whoever builds the context, never to a global: create one per device and thread, put
 * it in cc_ops_context.cuda. Every CUDA, cuBLAS and cuDNN call is checked
 * (kernels/cuda/cuda_check.h); a failure ends the process with the call, file, line and
 * the library's message. */
#ifndef CRIMECAST_KERNELS_CUDA_OPS_H
#define CRIMECAST_KERNELS_CUDA_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ state, memory */

/* A state on `device`: NULL, with the reason in err, when the device or a library
 * cannot be set up (no GPU, no driver): the one recoverable failure. */
struct cc_cuda_state *cc_cuda_state_create(int device, char *err, size_t err_len);
/* Waits for the state's work and frees it; NULL is allowed. */
void cc_cuda_state_destroy(struct cc_cuda_state *state);
/* 1 when this build has the cuDNN convolution path (ctx->conv_cudnn). */
int cc_cuda_has_cudnn(void);
/* Opens cuBLAS as a state's creation does (kernels/cuda/cublas_library.cuh: at run time,
 * no GPU needed): 0 with the file opened in `where`, or -1 with why in err. */
int cc_cuda_find_cublas(char *where, size_t where_len, char *err, size_t err_len);
/* Floats of device scratch the state holds: the most any convolution so far borrowed (im2col
 * columns, cuDNN's workspace and timing runs). */
size_t cc_cuda_scratch_floats(const struct cc_cuda_state *state);
/* Starts cuDNN on the state (its handle, on the state's stream) unless it has been: 0, or
 * -1 with the reason in err (no cuDNN in the build, or the library failed to start). A
 * state's first cuDNN convolution starts it too, ending the process if it cannot. */
int cc_cuda_start_cudnn(struct cc_cuda_state *state, char *err, size_t err_len);

/* Device memory (cudaMalloc: never managed memory). NULL for 0 bytes. */
void *cc_cuda_alloc(size_t bytes);
void cc_cuda_free(void *device_ptr);
/* Copies on the state's stream, ordered after the ops already queued there; both return
 * once the copy is complete, so the host buffer may be reused at once. */
void cc_cuda_copy_to_device(struct cc_cuda_state *state, void *device_dst, const void *host_src, size_t bytes);
void cc_cuda_copy_to_host(struct cc_cuda_state *state, void *host_dst, const void *device_src, size_t bytes);
/* Queues the copy on the state's stream and returns: the host buffer must stay as it is
 * until cc_cuda_synchronize (the copy overlaps the host's work when it is page-locked). */
void cc_cuda_copy_to_device_start(struct cc_cuda_state *state, void *device_dst, const void *host_src, size_t bytes);
/* Zero bytes (all-zero bits: 0.0f) on the state's stream, ordered before the ops queued
 * after it; returns without waiting. */
void cc_cuda_zero(struct cc_cuda_state *state, void *device_dst, size_t bytes);
/* Page-locked host memory (cudaHostAlloc), or NULL when the system lends none (the
 * failure is cleared: the caller falls back to ordinary memory). */
void *cc_cuda_host_alloc(size_t bytes);
void cc_cuda_host_free(void *host_ptr);
/* Waits until every op queued on the state has finished. */
void cc_cuda_synchronize(struct cc_cuda_state *state);

/* Timing events on a state's stream (kernels/op_profile.h): created once and reused;
 * cc_cuda_event_seconds waits for `end` and gives the time from `start` to it. */
void *cc_cuda_event_create(void);
void cc_cuda_event_record(struct cc_cuda_state *state, void *event);
double cc_cuda_event_seconds(void *start, void *end);
void cc_cuda_event_destroy(void *event);

/* cuBLAS's GEMM rate on the state's device, in TFLOP/s: the mean of `repeats` n x n x n
 * products after two warm-ups, at "fp32", "tf32" or "bf16" (kernels/device.h,
 * cc_backend_gemm_tflops). */
double cc_cuda_gemm_tflops(struct cc_cuda_state *state, int n, const char *precision, int repeats);

/* CUDA graphs (kernels/graph.h, kernels/cuda/graph.cu). */
struct cc_cuda_graph;
struct cc_cuda_graph *cc_cuda_graph_record(const cc_ops_context *ctx, void (*record)(void *), void *arg, char *why,
                                           size_t why_len);
int cc_cuda_graph_replay(const cc_ops_context *ctx, struct cc_cuda_graph *graph);
void cc_cuda_graph_free(struct cc_cuda_graph *graph);

/* ------------------------------------------------------------------ ops (see kernels/ops.h) */

void cc_cuda_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                            const float *bias, float beta, float *y);
void cc_cuda_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                  const float *w, float beta, float *dx);
void cc_cuda_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                    const float *dy, float *dw, float *dbias);

void cc_cuda_axpy(const cc_ops_context *ctx, size_t n, float alpha, const float *x, float *y);
void cc_cuda_fill(const cc_ops_context *ctx, float *x, size_t n, float value);
void cc_cuda_scale(const cc_ops_context *ctx, float *x, size_t n, float factor);
void cc_cuda_relu_forward(const cc_ops_context *ctx, float *x, size_t n);
void cc_cuda_relu_backward(const cc_ops_context *ctx, const float *y, float *dy, size_t n);
void cc_cuda_gather_rows(const cc_ops_context *ctx, int blocks, const int *rows, const float *table,
                         size_t row_stride, size_t count, float *dst, size_t dst_stride);
void cc_cuda_plane_copy(const cc_ops_context *ctx, int planes, int rows, int cols, const float *src, int src_h,
                        int src_w, float *dst, int dst_h, int dst_w);
void cc_cuda_cell_scale_forward(const cc_ops_context *ctx, const float *w, const float *x, float *y, int batch,
                                int maps, int plane);
void cc_cuda_cell_scale_backward(const cc_ops_context *ctx, const float *w, const float *x, const float *dy, float *dx,
                                 float *dw, int batch, int maps, int plane);
void cc_cuda_poisson_nll_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                              int plane, float *d, double *mean);
void cc_cuda_mse_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                      int plane, float *d, double *mean);
void cc_cuda_step_account(const cc_ops_context *ctx, cc_step_scalars *s);
void cc_cuda_clip_global_norm_in_place(const cc_ops_context *ctx, float *g, size_t n, double max_norm);
void cc_cuda_adamw_step_guarded(const cc_ops_context *ctx, const cc_adamw *opt, cc_step_scalars *s, float *params,
                                const float *grads, float *m, float *v, size_t n);
void cc_cuda_bias_add(const cc_ops_context *ctx, float *y, const float *bias, int batch, int channels, int plane);
void cc_cuda_bias_backward(const cc_ops_context *ctx, const float *dy, int batch, int channels, int plane,
                           float *dbias);

void cc_cuda_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates,
                                const float *c_prev, const float *peep, float *c, float *h);
void cc_cuda_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                                 const float *c_prev, const float *c, const float *peep, const float *dh,
                                 const float *dc_next, float *dgates, float *dc_prev, float *dpeep);

/* The mean comes back to the host (synchronises the stream); d stays on the device. */
double cc_cuda_poisson_nll(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask,
                           int maps, int plane, float *d);
double cc_cuda_mse(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                   int plane, float *d);

/* One fused pass over the whole parameter arena. */
void cc_cuda_adamw_step(const cc_ops_context *ctx, const cc_adamw *opt, float *params, const float *grads,
                        float *m, float *v, size_t n);
/* Accumulated in double, in a fixed order (the same result every run); synchronises. */
double cc_cuda_sum_squares(const cc_ops_context *ctx, const float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif
