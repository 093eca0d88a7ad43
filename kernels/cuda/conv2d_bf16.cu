/* Convolutions in bfloat16 on the GPU's tensor cores (ctx->bf16, --precision bf16): the
 * products of kernels/cuda/conv2d.cu (im2col + GEMM, same layouts), with their inputs
 * rounded to bfloat16 and their sums kept in FP32 (cuBLAS's GemmEx, CUBLAS_COMPUTE_32F):
 *   forward:         y_n  = bf16(W) . bf16(columns_n)             (+ bias, + beta y, FP32)
 *   backward data:   columns_n = bf16(W)^T . bf16(dy_n), then col2im in FP32
 *   backward filter: dW += sum_n bf16(dy_n) . bf16(columns_n)^T    (dbias from FP32 dy)
 * The parameters, their gradients and the optimizer stay FP32 (master weights): W is
 * rounded afresh on every call, a copy the size of the filter. Each output is off from
 * FP32's by at most about 2^-7 of the sum of |products| behind it (two inputs rounded to
 * 8 significant bits); tests/test_ops_cuda.c checks exactly that bound.
 *
 * Images go through in chunks whose bfloat16 copies fit a fixed scratch budget, and the
 * filter gradient is one batched product into per-image slices, added into dW in image
 * order, so results are the same every run. */
#include "kernels/cuda/cuda_internal.cuh"

/* Most bytes of the rounded copies (and FP32 columns) held at once. */
static const size_t SCRATCH_BUDGET_BYTES = (size_t)256 << 20;
static const size_t ALIGN = 256; /* cc_cuda_carve_scratch's alignment */

typedef __nv_bfloat16 bf16;

static size_t aligned(size_t bytes) { return (bytes + ALIGN - 1) / ALIGN * ALIGN; }

/* Images per chunk when each takes `per_image` bytes of scratch beside `fixed` bytes. */
static int chunk_of(const cc_conv2d_shape *s, size_t fixed, size_t per_image) {
    return cc_cuda_images_per_chunk(s->batch, SCRATCH_BUDGET_BYTES > fixed ? SCRATCH_BUDGET_BYTES - fixed : 0, per_image);
}

/* C = A . B (+ beta C) over `batch` products, cuBLAS's column-major view (conv2d.cu's
 * comment): A and B bfloat16, C FP32, sums in FP32 on the tensor cores. */
static void gemm(const cc_ops_context *ctx, cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
                 const bf16 *a, int lda, long long stride_a, const bf16 *b, int ldb, long long stride_b, float beta,
                 float *c, int ldc, long long stride_c, int batch) {
    const float one = 1.0f;
    CC_CUBLAS_CHECK(ctx->cuda->blas.gemm_strided_batched_ex(
        ctx->cuda->cublas, op_a, op_b, m, n, k, &one, a, CUDA_R_16BF, lda, stride_a, b, CUDA_R_16BF, ldb, stride_b,
        &beta, c, CUDA_R_32F, ldc, stride_c, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

static int empty(const cc_conv2d_shape *s, const cc_conv_dims *d) {
    return s->batch <= 0 || d->out_size == 0 || d->rows == 0;
}
static int min_int(int a, int b) { return a < b ? a : b; }

void cc_bf16_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                            const float *bias, float beta, float *y) {
    cc_conv_dims d = cc_cuda_conv_dims(s);
    if (empty(s, &d)) return;
    size_t column_bytes = sizeof(bf16) * d.rows * d.out_plane;
    int chunk = chunk_of(s, aligned(sizeof(bf16) * d.weights), column_bytes);
    size_t bytes[2] = {sizeof(bf16) * d.weights, column_bytes * chunk};
    void *at[2];
    cc_cuda_carve_scratch(ctx, 2, bytes, at);
    bf16 *w16 = (bf16 *)at[0], *columns = (bf16 *)at[1];
    cc_cuda_set_gemm_math(ctx);
    cc_cuda_to_bf16(ctx, w, d.weights, w16);
    for (int first = 0; first < s->batch; first += chunk) {
        int count = min_int(chunk, s->batch - first);
        cc_cuda_im2col_bf16(ctx, s, count, x + (size_t)first * d.in_size, columns);
        /* y_n^T [P x Cout] = columns_n^T [P x R] . W^T [R x Cout]; beta 0 does not read y */
        gemm(ctx, CUBLAS_OP_N, CUBLAS_OP_N, d.out_plane, s->out_channels, d.rows, columns, d.out_plane,
             (long long)d.rows * d.out_plane, w16, d.rows, 0, beta, y + (size_t)first * d.out_size, d.out_plane,
             (long long)d.out_size, count);
    }
    if (bias) cc_cuda_bias_add(ctx, y, bias, s->batch, s->out_channels, d.out_plane);
}

void cc_bf16_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                  const float *w, float beta, float *dx) {
    cc_conv_dims d = cc_cuda_conv_dims(s);
    if (empty(s, &d)) return;
    /* per image: dy_n rounded, and (unless direct) its FP32 columns for col2im */
    size_t dy_bytes = sizeof(bf16) * d.out_size, column_bytes = d.direct ? 0 : sizeof(float) * d.rows * d.out_plane;
    int chunk = chunk_of(s, aligned(sizeof(bf16) * d.weights), dy_bytes + column_bytes);
    size_t bytes[3] = {sizeof(bf16) * d.weights, dy_bytes * chunk, column_bytes * chunk};
    void *at[3];
    cc_cuda_carve_scratch(ctx, 3, bytes, at);
    bf16 *w16 = (bf16 *)at[0], *dy16 = (bf16 *)at[1];
    float *columns = (float *)at[2];
    cc_cuda_set_gemm_math(ctx);
    cc_cuda_to_bf16(ctx, w, d.weights, w16);
    for (int first = 0; first < s->batch; first += chunk) {
        int count = min_int(chunk, s->batch - first);
        cc_cuda_to_bf16(ctx, dy + (size_t)first * d.out_size, (size_t)count * d.out_size, dy16);
        /* Direct: the columns are dx itself, so the GEMM applies beta; else col2im does. */
        float *target = d.direct ? dx + (size_t)first * d.in_size : columns;
        /* columns_n^T [P x R] = dy_n^T [P x Cout] . W [Cout x R] */
        gemm(ctx, CUBLAS_OP_N, CUBLAS_OP_T, d.out_plane, d.rows, s->out_channels, dy16, d.out_plane,
             (long long)d.out_size, w16, d.rows, 0, d.direct ? beta : 0.0f, target, d.out_plane,
             (long long)d.rows * d.out_plane, count);
        if (!d.direct) cc_cuda_col2im(ctx, s, count, columns, beta, dx + (size_t)first * d.in_size);
    }
}

void cc_bf16_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                    const float *dy, float *dw, float *dbias) {
    cc_conv_dims d = cc_cuda_conv_dims(s);
    if (empty(s, &d)) return;
    /* per image: its rounded columns and dy, and its FP32 slice of the filter gradient */
    size_t column_bytes = sizeof(bf16) * d.rows * d.out_plane, dy_bytes = sizeof(bf16) * d.out_size;
    size_t slice_bytes = sizeof(float) * d.weights;
    int chunk = chunk_of(s, 0, column_bytes + dy_bytes + slice_bytes);
    size_t bytes[3] = {column_bytes * chunk, dy_bytes * chunk, slice_bytes * chunk};
    void *at[3];
    cc_cuda_carve_scratch(ctx, 3, bytes, at);
    bf16 *columns = (bf16 *)at[0], *dy16 = (bf16 *)at[1];
    float *slices = (float *)at[2];
    cc_cuda_set_gemm_math(ctx);
    for (int first = 0; first < s->batch; first += chunk) {
        int count = min_int(chunk, s->batch - first);
        cc_cuda_im2col_bf16(ctx, s, count, x + (size_t)first * d.in_size, columns);
        cc_cuda_to_bf16(ctx, dy + (size_t)first * d.out_size, (size_t)count * d.out_size, dy16);
        /* slice_n^T [R x Cout] = columns_n [R x P] . dy_n^T [P x Cout], one batched product;
         * then the slices added into dW in image order */
        gemm(ctx, CUBLAS_OP_T, CUBLAS_OP_N, d.rows, s->out_channels, d.out_plane, columns, d.out_plane,
             (long long)d.rows * d.out_plane, dy16, d.out_plane, (long long)d.out_size, 0.0f, slices, d.rows,
             (long long)d.weights, count);
        cc_cuda_add_slices(ctx, slices, count, d.weights, dw);
    }
    if (dbias) cc_cuda_bias_backward(ctx, dy, s->batch, s->out_channels, d.out_plane, dbias);
}
