/* Convolution on the GPU as im2col + cuBLAS GEMM (the default path; ctx->conv_cudnn sends
 * the three ops to kernels/cuda/conv2d_cudnn.cu instead). Row-major products as in
 * kernels/cpu/conv2d.c, per image n:
 *   forward:         y_n[Cout][Ho*Wo]  = W[Cout][Cin*K*K] . columns_n
 *   backward data:   columns_n = W^T . dy_n, then col2im gathers them into dx_n
 *   backward filter: dW += dy_n . columns_n^T,  dbias += row sums of dy_n
 * cuBLAS is column-major: a row-major [r][c] matrix is its column-major transpose, so
 * C = A.B is issued as C^T = B^T.A^T with the operands swapped.
 *
 * ctx->bf16 sends them to kernels/cuda/conv2d_bf16.cu (the same products in bfloat16),
 * unless they go through cuDNN (conv2d_cudnn.cu, which has its own bf16).
 *
 * Images go through in chunks whose columns fit a fixed scratch budget; a 1x1, stride-1,
 * unpadded convolution needs no columns at all (x already is them). */
#include "kernels/cuda/cuda_internal.cuh"

/* Most floats of im2col columns held at once (256 MiB). */
static const size_t COLUMNS_BUDGET_FLOATS = (size_t)64 << 20;

/* Images per GEMM batch: as many as have their columns within the budget. */
static int columns_chunk(const cc_conv2d_shape *s, const cc_conv_dims *d) {
    return cc_cuda_images_per_chunk(s->batch, COLUMNS_BUDGET_FLOATS, d->direct ? 0 : (size_t)d->rows * d->out_plane);
}

static int empty(const cc_conv2d_shape *s, const cc_conv_dims *d) { return s->batch <= 0 || d->out_size == 0; }

static int use_cudnn(const cc_ops_context *ctx) {
    if (!ctx->conv_cudnn) return 0;
#ifdef CRIMECAST_HAVE_CUDNN
    return 1;
#else
    fprintf(stderr, "crimecast: the cuDNN convolution path was asked for (--conv cudnn), but this build has no "
                    "cuDNN (see kernels/README.md)\n");
    exit(1);
#endif
}

/* Columns of images [first, first + count): x itself when direct, else im2col'd into
 * the scratch. */
static const float *columns_of(const cc_ops_context *ctx, const cc_conv2d_shape *s, const cc_conv_dims *d,
                               const float *x, int first, int count, float *scratch) {
    const float *images = x + (size_t)first * d->in_size;
    if (d->direct) return images;
    cc_cuda_im2col(ctx, s, count, images, scratch);
    return scratch;
}

static float *columns_scratch(const cc_ops_context *ctx, const cc_conv_dims *d, int chunk) {
    return d->direct ? NULL : cc_cuda_scratch(ctx, (size_t)chunk * d->rows * d->out_plane);
}

static int min_int(int a, int b) { return a < b ? a : b; }

extern "C" void cc_cuda_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                       const float *w, const float *bias, float beta, float *y) {
    if (use_cudnn(ctx)) { /* in FP32, TF32 or bf16 */
#ifdef CRIMECAST_HAVE_CUDNN
        cc_cudnn_conv2d_forward(ctx, s, x, w, bias, beta, y);
#endif
        return;
    }
    if (ctx->bf16) {
        cc_bf16_conv2d_forward(ctx, s, x, w, bias, beta, y);
        return;
    }
    cc_conv_dims d = cc_cuda_conv_dims(s);
    if (empty(s, &d)) return;
    int chunk = columns_chunk(s, &d);
    float *scratch = columns_scratch(ctx, &d, chunk);
    const float one = 1.0f;
    cc_cuda_set_gemm_math(ctx);
    for (int first = 0; first < s->batch; first += chunk) {
        int count = min_int(chunk, s->batch - first);
        const float *columns = columns_of(ctx, s, &d, x, first, count, scratch);
        /* y_n^T [P x Cout] = columns_n^T [P x R] . W^T [R x Cout]; W shared (stride 0).
         * beta 0: cuBLAS does not read y, so garbage (NaN) there cannot leak in. */
        CC_CUBLAS_CHECK(ctx->cuda->blas.sgemm_strided_batched(
            ctx->cuda->cublas, CUBLAS_OP_N, CUBLAS_OP_N, d.out_plane, s->out_channels, d.rows, &one, columns,
            d.out_plane, (long long)d.rows * d.out_plane, w, d.rows, 0, &beta, y + (size_t)first * d.out_size,
            d.out_plane, (long long)d.out_size, count));
    }
    if (bias) cc_cuda_bias_add(ctx, y, bias, s->batch, s->out_channels, d.out_plane);
}

extern "C" void cc_cuda_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                             const float *w, float beta, float *dx) {
    if (use_cudnn(ctx)) { /* in FP32, TF32 or bf16 */
#ifdef CRIMECAST_HAVE_CUDNN
        cc_cudnn_conv2d_backward_data(ctx, s, dy, w, beta, dx);
#endif
        return;
    }
    if (ctx->bf16) {
        cc_bf16_conv2d_backward_data(ctx, s, dy, w, beta, dx);
        return;
    }
    cc_conv_dims d = cc_cuda_conv_dims(s);
    if (empty(s, &d)) return;
    int chunk = columns_chunk(s, &d);
    float *scratch = columns_scratch(ctx, &d, chunk);
    const float one = 1.0f, zero = 0.0f;
    cc_cuda_set_gemm_math(ctx);
    for (int first = 0; first < s->batch; first += chunk) {
        int count = min_int(chunk, s->batch - first);
        /* Direct: the columns are dx itself, so the GEMM applies beta; else the GEMM
         * overwrites the columns and col2im applies beta. */
        float *target = d.direct ? dx + (size_t)first * d.in_size : scratch;
        /* columns_n^T [P x R] = dy_n^T [P x Cout] . W [Cout x R] */
        CC_CUBLAS_CHECK(ctx->cuda->blas.sgemm_strided_batched(
            ctx->cuda->cublas, CUBLAS_OP_N, CUBLAS_OP_T, d.out_plane, d.rows, s->out_channels, &one,
            dy + (size_t)first * d.out_size, d.out_plane, (long long)d.out_size, w, d.rows, 0,
            d.direct ? &beta : &zero, target, d.out_plane, (long long)d.rows * d.out_plane, count));
        if (!d.direct) cc_cuda_col2im(ctx, s, count, scratch, beta, dx + (size_t)first * d.in_size);
    }
}

/* The filter gradient as one strided-batched GEMM per chunk of images, each image's
 * product into its own slice of partials [count][Cout][R], then the slices added into dW
 * in image order (cc_cuda_add_slices): one launch for the chunk rather than one per image,
 * and still deterministic. Chunks hold columns and partials within the scratch budget. */
extern "C" void cc_cuda_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                               const float *dy, float *dw, float *dbias) {
    if (use_cudnn(ctx)) { /* in FP32, TF32 or bf16 */
#ifdef CRIMECAST_HAVE_CUDNN
        cc_cudnn_conv2d_backward_filter(ctx, s, x, dy, dw, dbias);
#endif
        return;
    }
    if (ctx->bf16) {
        cc_bf16_conv2d_backward_filter(ctx, s, x, dy, dw, dbias);
        return;
    }
    cc_conv_dims d = cc_cuda_conv_dims(s);
    if (empty(s, &d)) return;
    size_t column_floats = d.direct ? 0 : (size_t)d.rows * d.out_plane, weights = d.weights;
    int chunk = cc_cuda_images_per_chunk(s->batch, COLUMNS_BUDGET_FLOATS, column_floats + weights);
    float *scratch = cc_cuda_scratch(ctx, (column_floats + weights) * chunk);
    float *partials = scratch + column_floats * chunk;
    const float one = 1.0f, zero = 0.0f;
    cc_cuda_set_gemm_math(ctx);
    for (int first = 0; first < s->batch; first += chunk) {
        int count = min_int(chunk, s->batch - first);
        const float *columns = columns_of(ctx, s, &d, x, first, count, scratch);
        long long column_stride = d.direct ? (long long)d.in_size : (long long)d.rows * d.out_plane;
        /* partial_n^T [R x Cout] = columns_n [R x P] . dy_n^T [P x Cout] */
        CC_CUBLAS_CHECK(ctx->cuda->blas.sgemm_strided_batched(
            ctx->cuda->cublas, CUBLAS_OP_T, CUBLAS_OP_N, d.rows, s->out_channels, d.out_plane, &one, columns,
            d.out_plane, column_stride, dy + (size_t)first * d.out_size, d.out_plane, (long long)d.out_size, &zero,
            partials, d.rows, (long long)weights, count));
        cc_cuda_add_slices(ctx, partials, count, weights, dw);
    }
    if (dbias) cc_cuda_bias_backward(ctx, dy, s->batch, s->out_channels, d.out_plane, dbias);
}
