/* Convolution on the CPU as im2col + GEMM, one image at a time:
 *   columns[c*K*K + i*K + j][p*Wo + q] = x[c][p*stride + i - pad][q*stride + j - pad]
 *   forward:         y_n[Cout][Ho*Wo]  = W[Cout][Cin*K*K] . columns
 *   backward data:   columns = W^T . dy_n, then col2im sums them back into dx_n
 *   backward filter: dW += dy_n . columns^T,  dbias += row sums of dy_n
 * unless the context holds a oneDNN object (kernels/cpu/onednn.h): then oneDNN runs them,
 * and this path only where it has no primitive for a shape. */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/threads.h"


/* The output columns q whose input column q*stride + j - pad lies inside [0, width):
 * [*first, *last). Computed once per kernel column so the copies below run without a
 * bounds test per element (they were a sixth of a CPU training step with one). */
static void valid_columns(const cc_conv2d_shape *s, int j, int out_width, int *first, int *last) {
    int offset = j - s->padding, lo = 0, hi = out_width;
    while (lo < hi && lo * s->stride + offset < 0) lo++;
    while (hi > lo && (hi - 1) * s->stride + offset >= s->width) hi--;
    *first = lo, *last = hi;
}

static void im2col(const cc_conv2d_shape *s, const float *x, float *columns) {
    int K = s->kernel, Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s), stride = s->stride;
    for (int c = 0; c < s->in_channels; c++)
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                float *out = columns + ((size_t)(c * K + i) * K + j) * Ho * Wo;
                const float *plane = x + (size_t)c * s->height * s->width;
                int first, last;
                valid_columns(s, j, Wo, &first, &last);
                for (int p = 0; p < Ho; p++) {
                    int y = p * stride + i - s->padding;
                    float *row = out + (size_t)p * Wo;
                    if (y < 0 || y >= s->height || first >= last) {
                        memset(row, 0, sizeof *row * (size_t)Wo);
                        continue;
                    }
                    const float *in = plane + (size_t)y * s->width;
                    int offset = j - s->padding; /* input column of output column q: q*stride + offset */
                    memset(row, 0, sizeof *row * (size_t)first);
                    if (stride == 1)
                        memcpy(row + first, in + first + offset, sizeof *row * (size_t)(last - first));
                    else
                        for (int q = first; q < last; q++) row[q] = in[q * stride + offset];
                    memset(row + last, 0, sizeof *row * (size_t)(Wo - last));
                }
            }
}

/* Adds the columns back onto the image they came from. */
static void col2im(const cc_conv2d_shape *s, const float *columns, float *x) {
    int K = s->kernel, Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s), stride = s->stride;
    for (int c = 0; c < s->in_channels; c++)
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                const float *in = columns + ((size_t)(c * K + i) * K + j) * Ho * Wo;
                float *plane = x + (size_t)c * s->height * s->width;
                int first, last;
                valid_columns(s, j, Wo, &first, &last);
                for (int p = 0; p < Ho; p++) {
                    int y = p * stride + i - s->padding;
                    if (y < 0 || y >= s->height) continue;
                    float *out = plane + (size_t)y * s->width;
                    const float *row = in + (size_t)p * Wo;
                    int offset = j - s->padding;
                    if (stride == 1)
                        for (int q = first; q < last; q++) out[q + offset] += row[q];
                    else
                        for (int q = first; q < last; q++) out[q * stride + offset] += row[q];
                }
            }
}

/* Images are spread over the threads, each with its own slice of the workspace and a
 * single-threaded GEMM: no BLAS threads left spinning while im2col runs. */
static float *thread_columns(const cc_ops_context *ctx, const cc_conv2d_shape *s) {
    return ctx->workspace + (size_t)cc_cpu_thread_index() * cc_conv2d_workspace_floats(s);
}

static void gemm_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                         const float *bias, float beta, float *y) {
    int Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s), ckk = s->in_channels * s->kernel * s->kernel;
    size_t in_size = (size_t)s->in_channels * s->height * s->width, out_size = (size_t)s->out_channels * Ho * Wo;
    CC_PARALLEL_FOR(ctx)
    for (int n = 0; n < s->batch; n++) {
        float *yn = y + n * out_size, *columns = thread_columns(ctx, s);
        im2col(s, x + n * in_size, columns);
        cc_cpu_sgemm(0, 0, s->out_channels, Ho * Wo, ckk, 1.0f, w, ckk, columns, Ho * Wo, beta, yn, Ho * Wo);
        if (bias) cc_cpu_bias_add(yn, bias, 1, s->out_channels, Ho * Wo);
    }
}

void cc_cpu_bias_add(float *y, const float *bias, int batch, int channels, int plane) {
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < channels; c++) {
            float *row = y + ((size_t)n * channels + c) * plane;
            for (int k = 0; k < plane; k++) row[k] += bias[c];
        }
}

void cc_cpu_bias_backward(const float *dy, int batch, int channels, int plane, float *dbias) {
    for (int c = 0; c < channels; c++) {
        double sum = 0;
        for (int n = 0; n < batch; n++) {
            const float *row = dy + ((size_t)n * channels + c) * plane;
            for (int k = 0; k < plane; k++) sum += row[k];
        }
        dbias[c] += (float)sum;
    }
}

static void gemm_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                               const float *w, float beta, float *dx) {
    int Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s), ckk = s->in_channels * s->kernel * s->kernel;
    size_t in_size = (size_t)s->in_channels * s->height * s->width, out_size = (size_t)s->out_channels * Ho * Wo;
    CC_PARALLEL_FOR(ctx)
    for (int n = 0; n < s->batch; n++) {
        float *dxn = dx + n * in_size, *columns = thread_columns(ctx, s);
        if (beta == 0) memset(dxn, 0, sizeof *dxn * in_size);
        cc_cpu_sgemm(1, 0, ckk, Ho * Wo, s->out_channels, 1.0f, w, ckk, dy + n * out_size, Ho * Wo, 0.0f, columns,
                     Ho * Wo);
        col2im(s, columns, dxn);
    }
}

/* Each thread sums its images' filter gradients in its own slice of the workspace;
 * the slices are then added in thread order, so results do not depend on timing. */
static void gemm_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                 const float *dy, float *dw, float *dbias) {
    int Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s), ckk = s->in_channels * s->kernel * s->kernel;
    size_t in_size = (size_t)s->in_channels * s->height * s->width, out_size = (size_t)s->out_channels * Ho * Wo;
    size_t columns_floats = (size_t)ckk * Ho * Wo, dw_floats = (size_t)s->out_channels * ckk;
    int threads = cc_cpu_threads(ctx);
    CC_PARALLEL(ctx) {
        float *columns = thread_columns(ctx, s), *partial = columns + columns_floats;
        memset(partial, 0, sizeof *partial * (dw_floats + (size_t)s->out_channels));
        CC_FOR
        for (int n = 0; n < s->batch; n++) {
            const float *dyn = dy + n * out_size;
            im2col(s, x + n * in_size, columns);
            cc_cpu_sgemm(0, 1, s->out_channels, ckk, Ho * Wo, 1.0f, dyn, Ho * Wo, columns, Ho * Wo, 1.0f, partial, ckk);
            if (dbias) cc_cpu_bias_backward(dyn, 1, s->out_channels, Ho * Wo, partial + dw_floats);
        }
    }
    for (int t = 0; t < threads; t++) {
        const float *partial = ctx->workspace + (size_t)t * cc_conv2d_workspace_floats(s) + columns_floats;
        for (size_t k = 0; k < dw_floats; k++) dw[k] += partial[k];
        if (dbias)
            for (int o = 0; o < s->out_channels; o++) dbias[o] += partial[dw_floats + o];
    }
}

/* ---- the ops: oneDNN in chunks of images when the context has it, each chunk it
 * declines (no primitive, no memory) run by im2col + GEMM above ---- */

typedef struct image_sizes {
    size_t in, out;
} image_sizes;

static image_sizes sizes_of(const cc_conv2d_shape *s) {
    image_sizes z = {(size_t)s->in_channels * s->height * s->width,
                     (size_t)s->out_channels * cc_conv2d_out_height(s) * cc_conv2d_out_width(s)};
    return z;
}

static cc_conv2d_shape chunk_of(const cc_conv2d_shape *s, int first, int chunk) {
    cc_conv2d_shape c = *s;
    c.batch = first + chunk <= s->batch ? chunk : s->batch - first;
    return c;
}

void cc_cpu_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                           const float *bias, float beta, float *y) {
    if (!ctx->onednn) {
        gemm_forward(ctx, s, x, w, bias, beta, y);
        return;
    }
    image_sizes z = sizes_of(s);
    for (int first = 0, chunk = cc_onednn_chunk_images(s); first < s->batch; first += chunk) {
        cc_conv2d_shape c = chunk_of(s, first, chunk);
        const float *xc = x + first * z.in;
        float *yc = y + first * z.out;
        if (cc_onednn_conv2d_forward(ctx->onednn, cc_cpu_threads(ctx), &c, xc, w, bias, beta, yc) != 0)
            gemm_forward(ctx, &c, xc, w, bias, beta, yc);
    }
}

void cc_cpu_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                 const float *w, float beta, float *dx) {
    if (!ctx->onednn) {
        gemm_backward_data(ctx, s, dy, w, beta, dx);
        return;
    }
    image_sizes z = sizes_of(s);
    for (int first = 0, chunk = cc_onednn_chunk_images(s); first < s->batch; first += chunk) {
        cc_conv2d_shape c = chunk_of(s, first, chunk);
        const float *dyc = dy + first * z.out;
        float *dxc = dx + first * z.in;
        if (cc_onednn_conv2d_backward_data(ctx->onednn, cc_cpu_threads(ctx), &c, dyc, w, beta, dxc) != 0)
            gemm_backward_data(ctx, &c, dyc, w, beta, dxc);
    }
}

/* dw and dbias accumulate: each chunk adds its share, in image order. */
void cc_cpu_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                   const float *dy, float *dw, float *dbias) {
    if (!ctx->onednn) {
        gemm_backward_filter(ctx, s, x, dy, dw, dbias);
        return;
    }
    image_sizes z = sizes_of(s);
    for (int first = 0, chunk = cc_onednn_chunk_images(s); first < s->batch; first += chunk) {
        cc_conv2d_shape c = chunk_of(s, first, chunk);
        const float *xc = x + first * z.in, *dyc = dy + first * z.out;
        if (cc_onednn_conv2d_backward_filter(ctx->onednn, cc_cpu_threads(ctx), &c, xc, dyc, dw, dbias) != 0)
            gemm_backward_filter(ctx, &c, xc, dyc, dw, dbias);
    }
}
