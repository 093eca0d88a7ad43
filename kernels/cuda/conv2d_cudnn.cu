/* The second convolution path, through cuDNN (ctx->conv_cudnn, `--conv cudnn`); built
 * only when CMake finds cuDNN (CRIMECAST_HAVE_CUDNN). Same contracts as the GEMM path:
 * cross-correlation, zero padding, NCHW; y = conv + beta*y, dw and dbias accumulate.
 *
 * Algorithms come from cuDNN's heuristics (no timing runs), taking the first that is
 * deterministic and of the GEMM family: FFT and Winograd algorithms lose precision, and
 * the point of this path is a second, comparable implementation. Without ctx->tf32 the
 * math is restricted to FMA (CUDNN_DEFAULT_MATH would allow TF32 on Ampere and later).
 * Descriptors are made per call: host-side work, small beside a convolution. */
#include "kernels/cuda/cuda_internal.cuh"

typedef struct cudnn_conv {
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
} cudnn_conv;

static cudnn_conv describe(const cc_ops_context *ctx, const cc_conv2d_shape *s) {
    cudnn_conv d;
    int Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s);
    CC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d.x));
    CC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d.y));
    CC_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d.w));
    CC_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d.conv));
    CC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s->batch, s->in_channels,
                                              s->height, s->width));
    CC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s->batch, s->out_channels,
                                              Ho, Wo));
    CC_CUDNN_CHECK(cudnnSetFilter4dDescriptor(d.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s->out_channels,
                                              s->in_channels, s->kernel, s->kernel));
    CC_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(d.conv, s->padding, s->padding, s->stride, s->stride, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CC_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, ctx->tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n, c, h, w;
    CC_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(d.conv, d.x, d.w, &n, &c, &h, &w));
    if (n != s->batch || c != s->out_channels || h != Ho || w != Wo) {
        fprintf(stderr, "crimecast: cuDNN's output shape %dx%dx%dx%d differs from ours %dx%dx%dx%d\n", n, c, h, w,
                s->batch, s->out_channels, Ho, Wo);
        exit(1);
    }
    return d;
}

static void release(cudnn_conv *d) {
    CC_CUDNN_CHECK(cudnnDestroyConvolutionDescriptor(d->conv));
    CC_CUDNN_CHECK(cudnnDestroyFilterDescriptor(d->w));
    CC_CUDNN_CHECK(cudnnDestroyTensorDescriptor(d->y));
    CC_CUDNN_CHECK(cudnnDestroyTensorDescriptor(d->x));
}

static bool precise_forward(cudnnConvolutionFwdAlgo_t a) {
    return a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM || a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
           a == CUDNN_CONVOLUTION_FWD_ALGO_GEMM || a == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT;
}

static bool precise_backward_data(cudnnConvolutionBwdDataAlgo_t a) {
    return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
}

static bool precise_backward_filter(cudnnConvolutionBwdFilterAlgo_t a) {
    return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 ||
           a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
}

static bool tensor_op_math(cudnnMathType_t m) {
    return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

/* The first heuristic result that runs, is deterministic, of the GEMM family and (without
 * TF32) off the tensor cores; failing that the first that runs at all; else -1. With
 * TF32 the descriptor takes the result's math type, as cuDNN asks. */
template <typename Perf, typename Algo>
static int pick(const cc_ops_context *ctx, cudnn_conv *d, const Perf *perf, int returned, bool (*precise)(Algo)) {
    int chosen = -1;
    for (int k = 0; k < returned && chosen < 0; k++)
        if (perf[k].status == CUDNN_STATUS_SUCCESS && perf[k].determinism == CUDNN_DETERMINISTIC &&
            precise(perf[k].algo) && (ctx->tf32 || !tensor_op_math(perf[k].mathType)))
            chosen = k;
    for (int k = 0; k < returned && chosen < 0; k++)
        if (perf[k].status == CUDNN_STATUS_SUCCESS && (ctx->tf32 || !tensor_op_math(perf[k].mathType))) chosen = k;
    if (chosen >= 0 && ctx->tf32) CC_CUDNN_CHECK(cudnnSetConvolutionMathType(d->conv, perf[chosen].mathType));
    return chosen;
}

static void *workspace(const cc_ops_context *ctx, size_t bytes) {
    return bytes ? (void *)cc_cuda_scratch(ctx, (bytes + sizeof(float) - 1) / sizeof(float)) : NULL;
}

static cudnnHandle_t handle(const cc_ops_context *ctx) { return ctx->cuda->cudnn; }

void cc_cudnn_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                             const float *bias, float beta, float *y) {
    if (s->batch <= 0) return;
    cudnn_conv d = describe(ctx, s);
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int returned = 0;
    CC_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle(ctx), d.x, d.w, d.conv, d.y,
                                                          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf));
    int k = pick(ctx, &d, perf, returned, precise_forward);
    cudnnConvolutionFwdAlgo_t algo = k >= 0 ? perf[k].algo : CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    size_t bytes = 0;
    CC_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle(ctx), d.x, d.w, d.conv, d.y, algo, &bytes));
    void *space = workspace(ctx, bytes);
    const float one = 1.0f;
    /* beta 0: cuDNN does not read y, so garbage (NaN) there cannot leak in. */
    CC_CUDNN_CHECK(cudnnConvolutionForward(handle(ctx), &one, d.x, x, d.w, w, d.conv, algo, space, bytes, &beta,
                                           d.y, y));
    release(&d);
    if (bias) cc_cuda_bias_add(ctx, y, bias, s->batch, s->out_channels, cc_conv2d_out_height(s) * cc_conv2d_out_width(s));
}

void cc_cudnn_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                   const float *w, float beta, float *dx) {
    if (s->batch <= 0) return;
    cudnn_conv d = describe(ctx, s);
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int returned = 0;
    CC_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle(ctx), d.w, d.y, d.conv, d.x,
                                                               CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf));
    int k = pick(ctx, &d, perf, returned, precise_backward_data);
    cudnnConvolutionBwdDataAlgo_t algo = k >= 0 ? perf[k].algo : CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
    size_t bytes = 0;
    CC_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle(ctx), d.w, d.y, d.conv, d.x, algo, &bytes));
    void *space = workspace(ctx, bytes);
    const float one = 1.0f;
    CC_CUDNN_CHECK(cudnnConvolutionBackwardData(handle(ctx), &one, d.w, w, d.y, dy, d.conv, algo, space, bytes, &beta,
                                                d.x, dx));
    release(&d);
}

void cc_cudnn_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                     const float *dy, float *dw, float *dbias) {
    if (s->batch <= 0) return;
    cudnn_conv d = describe(ctx, s);
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int returned = 0;
    CC_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle(ctx), d.x, d.y, d.conv, d.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &returned, perf));
    int k = pick(ctx, &d, perf, returned, precise_backward_filter);
    cudnnConvolutionBwdFilterAlgo_t algo = k >= 0 ? perf[k].algo : CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
    size_t bytes = 0;
    CC_CUDNN_CHECK(
        cudnnGetConvolutionBackwardFilterWorkspaceSize(handle(ctx), d.x, d.y, d.conv, d.w, algo, &bytes));
    void *space = workspace(ctx, bytes);
    const float one = 1.0f; /* beta 1: dw accumulates */
    CC_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(ctx), &one, d.x, x, d.y, dy, d.conv, algo, space, bytes,
                                                  &one, d.w, dw));
    release(&d);
    if (dbias)
        cc_cuda_bias_backward(ctx, dy, s->batch, s->out_channels, cc_conv2d_out_height(s) * cc_conv2d_out_width(s),
                              dbias);
}
