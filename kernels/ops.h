/* The op boundary: every numeric operation a model needs, as plain functions over raw
 * float pointers with explicit shapes. A model is written once against this header;
 * the context's backend picks the implementation (kernels/dispatch.c routes each call to
 * kernels/cpu/, or to kernels/cuda/ for the GPU, same signatures on device pointers). No
 * op keeps state between calls. Memory on a context's device: kernels/buffer.h.
 *
 * Layouts are row-major NCHW: a batch of N images of C channels of H x W. Gradients
 * into parameters accumulate (+=) so a recurrence can sum over time steps; gradients
 * into activations are written, or accumulated where a `beta` says so (y = op + beta*y,
 * beta 0 or 1). */
#ifndef CRIMECAST_KERNELS_OPS_H
#define CRIMECAST_KERNELS_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/shapes.h"

#ifdef __cplusplus
extern "C" { /* the CUDA files (C++) implement the ops */
#endif

typedef enum { CC_BACKEND_CPU, CC_BACKEND_CUDA } cc_backend;

/* The CUDA backend's stream, cuBLAS/cuDNN handles and device scratch; opaque here, see
 * kernels/cuda/cuda_ops.h (cc_cuda_state_create). */
struct cc_cuda_state;

typedef struct cc_ops_context {
    cc_backend backend;
    int threads;            /* CPU threads the CPU ops, and the host work beside a GPU's,
                               may use (0: all) */
    float *workspace;       /* scratch owned by the caller: per thread, im2col columns and
                               filter-gradient partials (cc_conv2d_workspace_floats each) */
    size_t workspace_floats;
    /* CUDA backend only (the CPU ops ignore these). With CC_BACKEND_CUDA every pointer an
     * op takes is a device pointer, and `workspace` is unused: the state owns its scratch. */
    struct cc_cuda_state *cuda;
    int tf32;               /* allow TF32 tensor-core math in convolutions (--tf32) */
    int conv_cudnn;         /* convolutions through cuDNN, not im2col + cuBLAS (--conv cudnn) */
    int bf16;               /* convolutions in bfloat16 on tensor cores, FP32 sums and outputs
                               (--precision bf16; im2col + cuBLAS, or cuDNN with conv_cudnn) */
    int cudnn_nhwc;         /* cuDNN's bf16 convolutions on channels-last (NHWC) copies, the
                               layout of its tensor-core kernels, transposed as they are
                               rounded; else on NCHW copies (--cudnn-layout) */
    int any_algorithm;      /* cuDNN may take a non-deterministic algorithm of the GEMM
                               family (never Winograd or FFT, whose transforms round), the
                               fastest timed on the first call of each shape
                               (--deterministic off) */
    size_t cudnn_workspace_floats; /* the most workspace cuDNN's algorithms may take (0:
                               CC_CUDNN_WORKSPACE_FLOATS); train and bench grant part of
                               what their memory budget leaves (cc_cudnn_workspace_grant).
                               The deterministic choice depends on it: the same bits come
                               from the same GPU, budget and shapes */
    int graphs;             /* CUDA: training steps recorded once as a CUDA graph and replayed
                               (kernels/graph.h; --graph on); the CPU ignores it */
    /* Either backend: when set, every op is timed into it (kernels/op_profile.h; bench
     * --profile). NULL: not timed. */
    struct cc_op_profile *profile;
    /* CPU backend only: when set, the convolutions run through oneDNN (kernels/cpu/onednn.h;
     * --conv auto or onednn), else as im2col + GEMM. */
    struct cc_onednn *onednn;
} cc_ops_context;

/* Threads a context's ops run on (for sizing per-thread workspace). */
int cc_ops_threads(const cc_ops_context *ctx);

/* Returns when every op queued on the context has finished (the CPU ops finish before
 * they return; the CUDA ops are queued on the state's stream). */
void cc_ops_synchronize(const cc_ops_context *ctx);

/* ------------------------------------------------------------------ convolution */

/* y[n][o][p][q] = bias[o] + sum_{c,i,j} w[o][c][i][j] * x[n][c][p*stride+i-pad][q*stride+j-pad]
 *                 + beta * y[n][o][p][q]          (x is zero outside the image)
 * x [N][Cin][H][W], w [Cout][Cin][K][K], bias [Cout] or NULL, y [N][Cout][Ho][Wo]. */
void cc_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                       const float *w, const float *bias, float beta, float *y);

/* The workspace a GPU convolution through cuDNN (--conv cudnn, or auto with TF32 or
 * bf16) may take when its context says nothing else, 512 MiB,
 * and the least that the memory plan of a run through cuDNN reserves for it
 * (models/memory_plan.c); a run grants it half of what its budget leaves beyond that, up
 * to CC_CUDNN_WORKSPACE_MAX_FLOATS (16 GiB). Its algorithms are chosen among those that need
 * no more than the context's grant when one does. 512 MiB was too little at 64 x 64,
 * batch 64: on an H200 the TF32 step went from 107.7 to 176.8 ms and FP32 with
 * --deterministic off from 346 to 585 ms (bench/RESULTS.md). The bf16 copies of its
 * operands come on top. */
#define CC_CUDNN_WORKSPACE_FLOATS ((size_t)128 << 20)
#define CC_CUDNN_WORKSPACE_MAX_FLOATS ((size_t)4 << 30)

/* The workspace, in floats, a context lets cuDNN's algorithms take: its grant, else
 * CC_CUDNN_WORKSPACE_FLOATS. */
static inline size_t cc_cudnn_workspace_floats(const cc_ops_context *ctx) {
    return ctx->cudnn_workspace_floats ? ctx->cudnn_workspace_floats : CC_CUDNN_WORKSPACE_FLOATS;
}

/* dx = dL/dx of the convolution given dy = dL/dy (plus beta * dx). Also the forward
 * pass of a transposed convolution. */
void cc_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                             const float *w, float beta, float *dx);

/* dw += dL/dw and dbias += dL/dbias (dbias may be NULL). */
void cc_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                               const float *dy, float *dw, float *dbias);

/* y += alpha * x over n floats. */
void cc_axpy(const cc_ops_context *ctx, size_t n, float alpha, const float *x, float *y);
/* x[0..n) = value. */
void cc_fill(const cc_ops_context *ctx, float *x, size_t n, float value);

/* x = max(x, 0) in place; and its backward: dy *= (y > 0), y the forward's output. */
void cc_relu_forward(const cc_ops_context *ctx, float *x, size_t n);
void cc_relu_backward(const cc_ops_context *ctx, const float *y, float *dy, size_t n);

/* Copies the top-left rows x cols block of each of `planes` maps, src [planes][src_h][src_w]
 * to dst [planes][dst_h][dst_w] (rows <= both heights, cols <= both widths); dst's other
 * cells are left as they are. convlstm-ae crops its decoder's output with it on a grid
 * that the downsampling does not divide, and pads the gradient back into a zeroed map. */
void cc_plane_copy(const cc_ops_context *ctx, int planes, int rows, int cols, const float *src, int src_h, int src_w,
                   float *dst, int dst_h, int dst_w);

/* Copies `blocks` runs of `count` floats out of a table of rows: for j < blocks,
 *   dst[j * dst_stride .. + count) = table[rows[j] * row_stride .. + count)
 * rows[] is a host array (on a GPU its values travel with the launches, so no copy of it
 * and no synchronisation). Training assembles its batches with it out of per-bin tables
 * held where the ops run (models/window_tables.h): no gather on the host, no upload. */
void cc_gather_rows(const cc_ops_context *ctx, int blocks, const int *rows, const float *table, size_t row_stride,
                    size_t count, float *dst, size_t dst_stride);

/* y[n][c][k] += bias[c] over `batch` blocks of `channels` planes of `plane` cells. */
void cc_bias_add(const cc_ops_context *ctx, float *y, const float *bias, int batch, int channels, int plane);
/* dbias[c] += sum of dy[n][c][k]: the gradient of cc_bias_add. */
void cc_bias_backward(const cc_ops_context *ctx, const float *dy, int batch, int channels, int plane, float *dbias);

/* Per-cell weights (ST-ResNet's fusion, models/st_resnet.h): for every n,
 *   y[n][c][k] += w[c][k] * x[n][c][k]
 * over `batch` blocks of `maps` planes of `plane` cells; and its backward:
 *   dx[n][c][k] = w[c][k] * dy[n][c][k]  (written; dx may be NULL),
 *   dw[c][k]   += sum over n of x[n][c][k] * dy[n][c][k]  (in double, n in order:
 *   deterministic on both backends). */
void cc_cell_scale_forward(const cc_ops_context *ctx, const float *w, const float *x, float *y, int batch, int maps,
                           int plane);
void cc_cell_scale_backward(const cc_ops_context *ctx, const float *w, const float *x, const float *dy, float *dx,
                            float *dw, int batch, int maps, int plane);

/* ------------------------------------------------------------------ ConvLSTM gates */

/* The fused gate update of one ConvLSTM step, gate order i, f, g, o. On entry `gates`
 * [N][4*Hd][H][W] holds the pre-activations (input conv + state conv + bias); peep
 * [3][Hd][H][W] (w_ci, w_cf, w_co) is used when s->peephole:
 *   i = sigmoid(a_i + w_ci * c_prev)   f = sigmoid(a_f + w_cf * c_prev)   g = tanh(a_g)
 *   c = f * c_prev + i * g             o = sigmoid(a_o + w_co * c)        h = o * tanh(c)
 * On return `gates` holds i, f, g, o (what backward needs), and c, h [N][Hd][H][W]. */
void cc_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates,
                           const float *c_prev, const float *peep, float *c, float *h);

/* Backward of one step. Given the forward's gates (i, f, g, o), c_prev and c, and
 * dh, dc_next (the gradient reaching c from the next step; NULL for none): writes
 * dgates (gradients of the pre-activations, [N][4*Hd][H][W]) and dc_prev, and adds
 * the peephole gradients into dpeep [3][Hd][H][W] when s->peephole. dc_prev may be the
 * same buffer as dc_next (each element is read before it is written). */
void cc_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                            const float *c_prev, const float *c, const float *peep,
                            const float *dh, const float *dc_next, float *dgates, float *dc_prev,
                            float *dpeep);

/* ------------------------------------------------------------------ losses */

/* Masked losses over `maps` maps of `plane` cells; mask [plane] (1: counts, 0: ignored),
 * or NULL for none. Both return the mean over counted elements (0 when none) and write
 * its gradient into d (zero where masked).
 * Poisson negative log-likelihood on a log-rate r: mean(exp(r) - y * r) (the log(y!)
 * term, constant in r, is left out). MSE: mean((r - y)^2). */
double cc_poisson_nll(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask,
                      int maps, int plane, float *d);
double cc_mse(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
              int plane, float *d);

/* ------------------------------------------------------------------ optimisation */

typedef struct cc_adamw {
    float lr, beta1, beta2, eps, weight_decay;
    int step;               /* 1 for the first step: bias correction uses it */
} cc_adamw;

/* AdamW (Loshchilov & Hutter): p -= lr * (wd * p + mhat / (sqrt(vhat) + eps)) with
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, mhat = m / (1 - b1^t), vhat = v / (1 - b2^t). */
void cc_adamw_step(const cc_ops_context *ctx, const cc_adamw *opt, float *params, const float *grads,
                   float *m, float *v, size_t n);

/* sum(x^2), accumulated in double. */
double cc_sum_squares(const cc_ops_context *ctx, const float *x, size_t n);

/* Scales g so its L2 norm is at most max_norm; returns the norm before scaling. */
double cc_clip_global_norm(const cc_ops_context *ctx, float *g, size_t n, double max_norm);

/* ------------------------------------------------------------------ a step's scalars */

/* What a training step reads and writes besides tensors, kept where its ops run (device
 * memory on a GPU), so that a step needs no host synchronisation and can be recorded as a
 * CUDA graph (kernels/graph.h): the host reads them once per logging interval. The ops
 * below write them; the caller sets them (cc_buffer_upload) before a run of steps:
 * loss_sum 0, steps 0, bad_step -1, adam_t the AdamW steps taken so far. */
typedef struct cc_step_scalars {
    double loss;          /* this step's mean loss (cc_poisson_nll_into, cc_mse_into) */
    double loss_sum;      /* the sum of the finite losses accounted since the reset */
    double steps;         /* steps accounted since the reset */
    double bad_step;      /* the first accounted step (0-based) whose loss was not finite, or -1 */
    double bad_loss;      /* that loss */
    double adam_t;        /* AdamW updates made: t of the next bias correction less one */
    double correction1;   /* 1 - beta1^t and 1 - beta2^t of the update in flight */
    double correction2;
} cc_step_scalars;

/* cc_poisson_nll and cc_mse with the mean written to *mean (where the ops run), not
 * returned: nothing waits for it. */
void cc_poisson_nll_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps,
                         int plane, float *d, double *mean);
void cc_mse_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask, int maps, int plane,
                 float *d, double *mean);

/* Accounts s->loss: added to loss_sum when finite and no step has gone bad; else, for the
 * first bad one, bad_step = steps and bad_loss = loss. Then steps += 1. Once a step is
 * bad every later update is skipped (cc_adamw_step_guarded): the parameters stay as they
 * were before it, and the host, reading the scalars, stops the run. */
void cc_step_account(const cc_ops_context *ctx, cc_step_scalars *s);

/* cc_clip_global_norm without returning the norm: it stays on the device. */
void cc_clip_global_norm_in_place(const cc_ops_context *ctx, float *g, size_t n, double max_norm);

/* cc_adamw_step with t = s->adam_t + 1 read where the ops run (opt->step is ignored), and
 * nothing done once s->bad_step >= 0; s->adam_t is advanced with the update. The same
 * arithmetic as cc_adamw_step at that t. */
void cc_adamw_step_guarded(const cc_ops_context *ctx, const cc_adamw *opt, cc_step_scalars *s, float *params,
                           const float *grads, float *m, float *v, size_t n);

#ifdef __cplusplus
}
#endif

#endif
