/* The second convolution path, through cuDNN (ctx->conv_cudnn, `--conv cudnn`); built
 * only when CMake finds cuDNN (CRIMECAST_HAVE_CUDNN). Same contracts as the GEMM path:
 * cross-correlation, zero padding, NCHW; y = conv + beta*y, dw and dbias accumulate.
 *
 * Every run takes the GEMM family (implicit or explicit GEMM, direct): FFT and Winograd
 * algorithms do fewer multiplications but round in their transforms, and on an H200 (cuDNN
 * 9, FP32, 2026-12-04) the one cuDNN timed fastest for the filter gradient of a 64 x 64,
 * 17 -> 80 channel, kernel 5 shape was off by 1.1-2.0% of the largest value, worse than
 * TF32 or bf16, while the point of this path is FP32 that compares with the GEMM path.
 * Deterministic runs (the default) take the first of cuDNN's heuristic results (ranked by
 * expected speed, no timing runs) that is deterministic as well: a choice made by timing
 * could differ from one run to the next, and with it the bits. With ctx->any_algorithm
 * (--deterministic off: determinism lifted, not precision) the algorithms are timed on the
 * shape's first call (cuDNN's Find, as PyTorch's cudnn.benchmark does) and the fastest of
 * the family is kept, non-deterministic ones (atomic sums) included: the heuristics' first
 * was 1.3x PyTorch's timed choice in FP32 and, at 64 x 64 in TF32, slower than the
 * deterministic one (bench/RESULTS.md). A first call recorded into a CUDA graph cannot
 * time (the runs would be recorded) and takes the heuristics' first. Either way within the
 * context's workspace grant (ctx->cudnn_workspace_floats, else CC_CUDNN_WORKSPACE_FLOATS),
 * which the memory plan counts, when one is. Without ctx->tf32 the math is restricted to
 * FMA (CUDNN_DEFAULT_MATH would allow TF32 on Ampere and later).
 *
 * --precision bf16 (ctx->bf16): the descriptors say bfloat16 for x, w and y with FP32
 * accumulation (cuDNN's pseudo-bfloat16 configuration, on the tensor cores). x, w and dy
 * are rounded into scratch, and each result, rounded to bfloat16 by cuDNN, is widened back
 * into FP32, where beta and dW's += apply: one rounding more than the GEMM path's bf16
 * (the result's own, at most 2^-9 of it). Parameters, gradients and the optimizer stay
 * FP32 (master weights), as on the GEMM path. With ctx->cudnn_nhwc (--cudnn-layout nhwc)
 * the copies are channels last, transposed in the same pass (bf16_copy.cu), and the
 * descriptors say NHWC: cuDNN's Hopper tensor-core kernels are NHWC ones, which on NCHW
 * data would have to transform around the GEMM; the same sums either way. A shape for
 * which cuDNN runs no NHWC algorithm of the GEMM family in some direction keeps NCHW
 * copies (settle_layout, when the plan is made; said on stderr for each such plan).
 * Descriptors and the algorithm choices are made once per shape and math (a plan, kept in
 * the CUDA state: a model runs a dozen shapes), not on every call: cuDNN's heuristics are
 * host work that a small convolution would wait on, and timing runs take longer still. */
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/cuda_internal.cuh"

typedef struct cudnn_conv {
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
} cudnn_conv;

/* Tensor-core math: TF32 on FP32 data, or bfloat16 data. */
static bool tensor_ops(const cc_ops_context *ctx) { return ctx->tf32 || ctx->bf16; }

/* Whether the call's bf16 copies are channels last (--cudnn-layout nhwc); FP32 data is
 * convolved where it lies, NCHW. */
static bool nhwc(const cc_ops_context *ctx) { return ctx->bf16 && ctx->cudnn_nhwc; }

static cudnn_conv describe(const cc_ops_context *ctx, const cc_conv2d_shape *s, bool channels_last) {
    cudnn_conv d;
    int Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s);
    cudnnDataType_t data = ctx->bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT; /* the sums: FP32 either way */
    /* NHWC: dimensions still given as n, c, h, w; the filter's format says [out][K][K][in] */
    cudnnTensorFormat_t layout = channels_last ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    CC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d.x));
    CC_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d.y));
    CC_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d.w));
    CC_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d.conv));
    CC_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(d.x, layout, data, s->batch, s->in_channels, s->height, s->width));
    CC_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d.y, layout, data, s->batch, s->out_channels, Ho, Wo));
    CC_CUDNN_CHECK(
        cudnnSetFilter4dDescriptor(d.w, data, layout, s->out_channels, s->in_channels, s->kernel, s->kernel));
    CC_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(d.conv, s->padding, s->padding, s->stride, s->stride, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CC_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, tensor_ops(ctx) ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
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

/* Bytes of workspace the context grants cuDNN (kernels/ops.h), which the memory plan counts. */
static size_t workspace_grant(const cc_ops_context *ctx) { return sizeof(float) * cc_cudnn_workspace_floats(ctx); }

/* Whether result r runs (off the tensor cores without TF32 or bf16) and is of the GEMM
 * family; when `strict`, deterministic unless ctx->any_algorithm; when `within`, needing
 * no more workspace than the context grants. */
template <typename Perf, typename Algo>
static bool eligible(const cc_ops_context *ctx, const Perf *r, bool (*precise)(Algo), bool strict, bool within) {
    return r->status == CUDNN_STATUS_SUCCESS && (tensor_ops(ctx) || !tensor_op_math(r->mathType)) &&
           precise(r->algo) && (!strict || ctx->any_algorithm || r->determinism == CUDNN_DETERMINISTIC) &&
           (!within || r->memory <= workspace_grant(ctx));
}

/* The first result (heuristic ones come ranked by expected speed, timed ones by time) that is eligible:
 * of the GEMM family and deterministic unless any_algorithm, within the workspace budget;
 * failing that, the same beyond the budget; then, where no deterministic one runs, a
 * non-deterministic one of the family (within the budget first). Never a transform: -1
 * when no GEMM-family result runs, and the caller's GEMM-family fallback is tried. */
template <typename Perf, typename Algo>
static int pick(const cc_ops_context *ctx, const Perf *perf, int returned, bool (*precise)(Algo)) {
    static const bool ORDER[4][2] = {{true, true}, {true, false}, {false, true}, {false, false}}; /* strict, within */
    for (int pass = 0; pass < 4; pass++)
        for (int k = 0; k < returned; k++)
            if (eligible(ctx, &perf[k], precise, ORDER[pass][0], ORDER[pass][1])) return k;
    return -1;
}

enum { FORWARD, BACKWARD_DATA, BACKWARD_FILTER, DIRECTIONS };
enum { PLANS = 32 };

/* One shape and math's descriptors and, per direction once it has run, the algorithm,
 * its math type (with TF32 the descriptor takes the chosen result's, as cuDNN asks) and
 * its workspace. */
typedef struct cudnn_plan {
    cc_conv2d_shape shape;
    int tf32, bf16, asked_nhwc, any_algorithm; /* the context's ask: the key */
    int nhwc;     /* the bf16 copies are channels last: as asked, unless cuDNN had no algorithm for it */
    size_t grant; /* workspace_grant when chosen */
    cudnn_conv d;
    bool chosen[DIRECTIONS];
    int algo[DIRECTIONS];
    cudnnMathType_t math[DIRECTIONS];
    size_t bytes[DIRECTIONS];
} cudnn_plan;

/* The plans of a CUDA state: filled in order, then replaced round-robin. */
struct cc_cudnn_plans {
    cudnn_plan plan[PLANS];
    int count, next;
};

void cc_cudnn_plans_free(struct cc_cudnn_plans *plans) {
    if (!plans) return;
    for (int i = 0; i < plans->count; i++) release(&plans->plan[i].d);
    free(plans);
}

/* An operand or result of a call as its FP32 tensor: [images][channels][plane]
 * (x and dx: batch, Cin, H*W; y and dy: batch, Cout, Ho*Wo; w and dW: Cout, Cin, K*K). */
typedef struct tensor3 {
    int images, channels;
    size_t plane;
} tensor3;

static size_t count(tensor3 t) { return (size_t)t.images * t.channels * t.plane; }
static tensor3 input_of(const cc_conv2d_shape *s) { return {s->batch, s->in_channels, (size_t)s->height * s->width}; }
static tensor3 output_of(const cc_conv2d_shape *s) {
    return {s->batch, s->out_channels, (size_t)cc_conv2d_out_height(s) * cc_conv2d_out_width(s)};
}
static tensor3 filter_of(const cc_conv2d_shape *s) {
    return {s->out_channels, s->in_channels, (size_t)s->kernel * s->kernel};
}

static bool same_shape(const cc_conv2d_shape *a, const cc_conv2d_shape *b) {
    return a->batch == b->batch && a->in_channels == b->in_channels && a->out_channels == b->out_channels &&
           a->height == b->height && a->width == b->width && a->kernel == b->kernel && a->stride == b->stride &&
           a->padding == b->padding;
}

static cudnnHandle_t handle(const cc_ops_context *ctx);

/* Whether cuDNN's heuristics offer an eligible algorithm (pick) in every direction for
 * descriptors d: host work only, no run, so it may happen while a graph records. */
static bool every_direction_runs(const cc_ops_context *ctx, const cudnn_conv *d) {
    CC_CUDNN_CHECK(cudnnSetConvolutionMathType(d->conv, tensor_ops(ctx) ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n = 0;
    cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    CC_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle(ctx), d->x, d->w, d->conv, d->y,
                                                          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, fwd));
    if (pick(ctx, fwd, n, precise_forward) < 0) return false;
    cudnnConvolutionBwdDataAlgoPerf_t data[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    CC_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle(ctx), d->w, d->y, d->conv, d->x,
                                                               CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, data));
    if (pick(ctx, data, n, precise_backward_data) < 0) return false;
    cudnnConvolutionBwdFilterAlgoPerf_t filter[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    CC_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle(ctx), d->x, d->y, d->conv, d->w,
                                                                 CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, filter));
    return pick(ctx, filter, n, precise_backward_filter) >= 0;
}

/* A channels-last plan's layout, decided once when the plan is made, before any direction
 * is chosen: NCHW copies for a shape where cuDNN offers no NHWC algorithm of the GEMM
 * family in some direction (it may want channel counts of a multiple of 8), rather than a
 * run stopping on an unsupported fallback algorithm. */
static void settle_layout(const cc_ops_context *ctx, cudnn_plan *p, const cc_conv2d_shape *s) {
    if (!p->nhwc || every_direction_runs(ctx, &p->d)) return;
    fprintf(stderr,
            "crimecast: cuDNN has no bfloat16 NHWC algorithm of the GEMM family for the %d x %d x %d x %d -> %d "
            "channel convolution (kernel %d, stride %d): NCHW copies for that shape\n",
            s->batch, s->in_channels, s->height, s->width, s->out_channels, s->kernel, s->stride);
    release(&p->d);
    p->nhwc = 0;
    p->d = describe(ctx, s, false);
}

static cudnn_plan *plan_for(const cc_ops_context *ctx, const cc_conv2d_shape *s) {
    struct cc_cuda_state *st = ctx->cuda;
    if (!st->cudnn_plans && !(st->cudnn_plans = (struct cc_cudnn_plans *)calloc(1, sizeof *st->cudnn_plans))) {
        fprintf(stderr, "crimecast: out of host memory for the cuDNN plans\n");
        exit(1);
    }
    struct cc_cudnn_plans *all = st->cudnn_plans;
    for (int i = 0; i < all->count; i++)
        if (all->plan[i].tf32 == ctx->tf32 && all->plan[i].bf16 == ctx->bf16 && all->plan[i].asked_nhwc == nhwc(ctx) &&
            all->plan[i].any_algorithm == ctx->any_algorithm && all->plan[i].grant == workspace_grant(ctx) &&
            same_shape(&all->plan[i].shape, s))
            return &all->plan[i];
    cudnn_plan *p;
    if (all->count < PLANS) {
        p = &all->plan[all->count++];
    } else {
        p = &all->plan[all->next];
        all->next = (all->next + 1) % PLANS;
        release(&p->d);
    }
    memset(p, 0, sizeof *p);
    p->shape = *s, p->tf32 = ctx->tf32, p->bf16 = ctx->bf16, p->asked_nhwc = p->nhwc = nhwc(ctx);
    p->any_algorithm = ctx->any_algorithm;
    p->grant = workspace_grant(ctx);
    p->d = describe(ctx, s, p->nhwc);
    settle_layout(ctx, p, s);
    return p;
}

/* Records direction `dir`'s choice: perf[k] of the results, or `fallback` when none ran. */
template <typename Perf, typename Algo>
static void choose(const cc_ops_context *ctx, cudnn_plan *p, int dir, const Perf *perf, int returned,
                   bool (*precise)(Algo), Algo fallback) {
    int k = pick(ctx, perf, returned, precise);
    p->algo[dir] = k >= 0 ? (int)perf[k].algo : (int)fallback;
    p->math[dir] = tensor_ops(ctx) && k >= 0 ? perf[k].mathType : tensor_ops(ctx) ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    p->chosen[dir] = true;
    CC_CUDNN_CHECK(cudnnSetConvolutionMathType(p->d.conv, p->math[dir]));
}

/* The timing runs' results when one of them is eligible, else the heuristics' (a run that
 * needed more workspace than the timing had comes back failed, where the heuristics still
 * rank it). */
template <typename Perf, typename Algo>
static void choose_timed(const cc_ops_context *ctx, cudnn_plan *p, int dir, const Perf *heuristic, int heuristics,
                         const Perf *runs, int timings, bool (*precise)(Algo), Algo fallback) {
    if (timings > 0 && pick(ctx, runs, timings, precise) >= 0)
        choose(ctx, p, dir, runs, timings, precise, fallback);
    else
        choose(ctx, p, dir, heuristic, heuristics, precise, fallback);
}

static void *workspace(const cc_ops_context *ctx, size_t bytes) {
    return bytes ? (void *)cc_cuda_scratch(ctx, (bytes + sizeof(float) - 1) / sizeof(float)) : NULL;
}

extern "C" int cc_cuda_start_cudnn(struct cc_cuda_state *st, char *err, size_t err_len) {
    if (st->cudnn) return 0;
    if (CC_CUDNN_TRY(cudnnCreate(&st->cudnn), err, err_len)) return -1;
    if (CC_CUDNN_TRY(cudnnSetStream(st->cudnn, st->stream), err, err_len)) return -1;
    return 0;
}

/* The state's cuDNN handle: cc_open_backend starts it for a context that asks for cuDNN
 * (cc_cuda_start_cudnn); a context set up by hand gets it on its first cuDNN convolution,
 * which comes in an unrecorded run of the ops, as a CUDA graph's recording requires
 * (kernels/graph.h). */
static cudnnHandle_t handle(const cc_ops_context *ctx) {
    char why[256];
    if (cc_cuda_start_cudnn(ctx->cuda, why, sizeof why) != 0) cc_library_failure("cuDNN", why);
    return ctx->cuda->cudnn;
}

/* Whether the state's stream is recording a CUDA graph (kernels/graph.h): timing runs
 * there would be recorded rather than run. */
static bool recording(const cc_ops_context *ctx) {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    CC_CUDA_CHECK(cudaStreamIsCapturing(ctx->cuda->stream, &status));
    return status != cudaStreamCaptureStatusNone;
}

/* Whether this call's algorithms are timed (--deterministic off, not recording). */
static bool timed(const cc_ops_context *ctx) { return ctx->any_algorithm && !recording(ctx); }

/* Where the timing runs write and work, all within the grant: at[0] the output, `direct`
 * when the call will overwrite its output anyway (beta 0), else scratch for `out` floats
 * (an output that is accumulated into, the filter gradient's); at[1] the most workspace
 * any heuristic result of the GEMM family needs within what is left, *space its bytes
 * (the transforms' larger workspaces are not carved: they could not be chosen). false,
 * and nothing timed, when an output in scratch would leave no room. */
template <typename Perf, typename Algo>
static bool timing_scratch(const cc_ops_context *ctx, const Perf *perf, int returned, bool (*precise)(Algo),
                           size_t out, void *direct, void *at[2], size_t *space) {
    size_t grant = workspace_grant(ctx), out_bytes = direct ? 0 : sizeof(float) * out, most = 0;
    if (out_bytes >= grant) return false;
    for (int k = 0; k < returned; k++)
        if (eligible(ctx, &perf[k], precise, true, false) && perf[k].memory <= grant - out_bytes &&
            perf[k].memory > most)
            most = perf[k].memory;
    size_t bytes[2] = {out_bytes, most};
    void *where[2];
    cc_cuda_carve_scratch(ctx, 2, bytes, where);
    at[0] = direct ? direct : where[0], at[1] = where[1], *space = most;
    return true;
}

/* The plan for s with direction dir chosen, its math type set on the descriptor. a and b
 * are the direction's operands (forward: x, w; backward data: w, dy; backward filter: x,
 * dy), read by the timing runs of --deterministic off, and `direct` its output when the
 * call overwrites it (beta 0; else NULL), which the timing runs may write. */
static cudnn_plan *ready(const cc_ops_context *ctx, const cc_conv2d_shape *s, int dir, const void *a, const void *b,
                         void *direct) {
    cudnn_plan *p = plan_for(ctx, s);
    cudnn_conv *d = &p->d;
    if (p->chosen[dir]) {
        CC_CUDNN_CHECK(cudnnSetConvolutionMathType(d->conv, p->math[dir]));
        return p;
    }
    /* Each direction is asked with the precision's math, not the last direction's choice. */
    CC_CUDNN_CHECK(cudnnSetConvolutionMathType(d->conv, tensor_ops(ctx) ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    size_t nx = count(input_of(s)), ny = count(output_of(s)), nw = count(filter_of(s));
    int returned = 0, timings = 0; /* results of the heuristics, of the timing runs */
    void *at[2];
    size_t space = 0;
    if (dir == FORWARD) {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT], runs[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        CC_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle(ctx), d->x, d->w, d->conv, d->y,
                                                              CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf));
        if (timed(ctx) && timing_scratch(ctx, perf, returned, precise_forward, ny, direct, at, &space)) {
            CC_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(handle(ctx), d->x, a, d->w, b, d->conv, d->y, at[0],
                                                                  CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &timings, runs,
                                                                  at[1], space));
        }
        choose_timed(ctx, p, dir, perf, returned, runs, timings, precise_forward,
                     CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
        CC_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle(ctx), d->x, d->w, d->conv, d->y,
                                                               (cudnnConvolutionFwdAlgo_t)p->algo[dir], &p->bytes[dir]));
    } else if (dir == BACKWARD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT],
            runs[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        CC_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
            handle(ctx), d->w, d->y, d->conv, d->x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf));
        if (timed(ctx) && timing_scratch(ctx, perf, returned, precise_backward_data, nx, direct, at, &space)) {
            CC_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(handle(ctx), d->w, a, d->y, b, d->conv, d->x,
                                                                       at[0], CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                                       &timings, runs, at[1], space));
        }
        choose_timed(ctx, p, dir, perf, returned, runs, timings, precise_backward_data,
                     CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
        CC_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
            handle(ctx), d->w, d->y, d->conv, d->x, (cudnnConvolutionBwdDataAlgo_t)p->algo[dir], &p->bytes[dir]));
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT],
            runs[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        CC_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            handle(ctx), d->x, d->y, d->conv, d->w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &returned, perf));
        if (timed(ctx) && timing_scratch(ctx, perf, returned, precise_backward_filter, nw, direct, at, &space)) {
            CC_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(handle(ctx), d->x, a, d->y, b, d->conv, d->w,
                                                                         at[0], CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                                         &timings, runs, at[1], space));
        }
        choose_timed(ctx, p, dir, perf, returned, runs, timings, precise_backward_filter,
                     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);
        CC_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
            handle(ctx), d->x, d->y, d->conv, d->w, (cudnnConvolutionBwdFilterAlgo_t)p->algo[dir], &p->bytes[dir]));
    }
    return p;
}

/* ---------------------------------------------------------------- bfloat16 */

typedef __nv_bfloat16 bf16;

/* FP32 `from` rounded to bfloat16 at `to`, in the layout the plan's descriptors say. */
static void round_into(const cc_ops_context *ctx, const cudnn_plan *p, const float *from, tensor3 t, bf16 *to) {
    if (p->nhwc)
        cc_cuda_to_bf16_nhwc(ctx, from, t.images, t.channels, t.plane, to);
    else
        cc_cuda_to_bf16(ctx, from, count(t), to);
}

/* A bfloat16 result widened into FP32 `to` (NCHW): to = result + beta to. */
static void widen_into(const cc_ops_context *ctx, const cudnn_plan *p, const bf16 *from, tensor3 t, float beta,
                      float *to) {
    if (p->nhwc)
        cc_cuda_from_bf16_nhwc(ctx, from, t.images, t.channels, t.plane, beta, to);
    else
        cc_cuda_from_bf16(ctx, from, count(t), beta, to);
}

/* Operands a and b rounded to bfloat16 into scratch at at[0] and at[1], beside room for
 * the bfloat16 result `out` at at[2] and direction dir's cuDNN workspace (returned; NULL
 * when it needs none): one carve, so nothing overlaps. */
static void *round_operands(const cc_ops_context *ctx, const cudnn_plan *p, int dir, const float *a, tensor3 ta,
                            const float *b, tensor3 tb, tensor3 out, bf16 *at[3]) {
    size_t bytes[4] = {sizeof(bf16) * count(ta), sizeof(bf16) * count(tb), sizeof(bf16) * count(out), p->bytes[dir]};
    void *where[4];
    cc_cuda_carve_scratch(ctx, 4, bytes, where);
    for (int k = 0; k < 3; k++) at[k] = (bf16 *)where[k];
    round_into(ctx, p, a, ta, at[0]);
    round_into(ctx, p, b, tb, at[1]);
    return where[3];
}

/* y = bf16(x) * bf16(w) summed in FP32, rounded to bf16, widened: + beta y in FP32. */
static void forward_bf16(const cc_ops_context *ctx, const cc_conv2d_shape *s, const cudnn_plan *p, const float *x,
                         const float *w, float beta, float *y) {
    bf16 *at[3]; /* x, w, y */
    void *space = round_operands(ctx, p, FORWARD, x, input_of(s), w, filter_of(s), output_of(s), at);
    const float one = 1.0f, zero = 0.0f;
    CC_CUDNN_CHECK(cudnnConvolutionForward(handle(ctx), &one, p->d.x, at[0], p->d.w, at[1], p->d.conv,
                                           (cudnnConvolutionFwdAlgo_t)p->algo[FORWARD], space, p->bytes[FORWARD],
                                           &zero, p->d.y, at[2]));
    widen_into(ctx, p, at[2], output_of(s), beta, y);
}

/* dx = bf16(dy) * bf16(w) transposed, the same way. */
static void backward_data_bf16(const cc_ops_context *ctx, const cc_conv2d_shape *s, const cudnn_plan *p,
                               const float *dy, const float *w, float beta, float *dx) {
    bf16 *at[3]; /* dy, w, dx */
    void *space = round_operands(ctx, p, BACKWARD_DATA, dy, output_of(s), w, filter_of(s), input_of(s), at);
    const float one = 1.0f, zero = 0.0f;
    CC_CUDNN_CHECK(cudnnConvolutionBackwardData(handle(ctx), &one, p->d.w, at[1], p->d.y, at[0], p->d.conv,
                                                (cudnnConvolutionBwdDataAlgo_t)p->algo[BACKWARD_DATA], space,
                                                p->bytes[BACKWARD_DATA], &zero, p->d.x, at[2]));
    widen_into(ctx, p, at[2], input_of(s), beta, dx);
}

/* dW += the batch's filter gradient from bf16(x) and bf16(dy), added in FP32. */
static void backward_filter_bf16(const cc_ops_context *ctx, const cc_conv2d_shape *s, const cudnn_plan *p,
                                 const float *x, const float *dy, float *dw) {
    bf16 *at[3]; /* x, dy, dW */
    void *space = round_operands(ctx, p, BACKWARD_FILTER, x, input_of(s), dy, output_of(s), filter_of(s), at);
    const float one = 1.0f, zero = 0.0f;
    CC_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(ctx), &one, p->d.x, at[0], p->d.y, at[1], p->d.conv,
                                                  (cudnnConvolutionBwdFilterAlgo_t)p->algo[BACKWARD_FILTER], space,
                                                  p->bytes[BACKWARD_FILTER], &zero, p->d.w, at[2]));
    widen_into(ctx, p, at[2], filter_of(s), 1.0f, dw);
}

/* ---------------------------------------------------------------- the ops */

void cc_cudnn_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                             const float *bias, float beta, float *y) {
    if (s->batch <= 0) return;
    cudnn_plan *p = ready(ctx, s, FORWARD, x, w, beta == 0.0f ? y : NULL);
    if (ctx->bf16) {
        forward_bf16(ctx, s, p, x, w, beta, y);
        if (bias)
            cc_cuda_bias_add(ctx, y, bias, s->batch, s->out_channels, cc_conv2d_out_height(s) * cc_conv2d_out_width(s));
        return;
    }
    size_t bytes = p->bytes[FORWARD];
    void *space = workspace(ctx, bytes);
    const float one = 1.0f;
    /* beta 0: cuDNN does not read y, so garbage (NaN) there cannot leak in. */
    CC_CUDNN_CHECK(cudnnConvolutionForward(handle(ctx), &one, p->d.x, x, p->d.w, w, p->d.conv,
                                           (cudnnConvolutionFwdAlgo_t)p->algo[FORWARD], space, bytes, &beta, p->d.y, y));
    if (bias) cc_cuda_bias_add(ctx, y, bias, s->batch, s->out_channels, cc_conv2d_out_height(s) * cc_conv2d_out_width(s));
}

void cc_cudnn_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                   const float *w, float beta, float *dx) {
    if (s->batch <= 0) return;
    cudnn_plan *p = ready(ctx, s, BACKWARD_DATA, w, dy, beta == 0.0f ? dx : NULL);
    if (ctx->bf16) {
        backward_data_bf16(ctx, s, p, dy, w, beta, dx);
        return;
    }
    size_t bytes = p->bytes[BACKWARD_DATA];
    void *space = workspace(ctx, bytes);
    const float one = 1.0f;
    CC_CUDNN_CHECK(cudnnConvolutionBackwardData(handle(ctx), &one, p->d.w, w, p->d.y, dy, p->d.conv,
                                                (cudnnConvolutionBwdDataAlgo_t)p->algo[BACKWARD_DATA], space, bytes,
                                                &beta, p->d.x, dx));
}

void cc_cudnn_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                     const float *dy, float *dw, float *dbias) {
    if (s->batch <= 0) return;
    cudnn_plan *p = ready(ctx, s, BACKWARD_FILTER, x, dy, NULL); /* dw accumulates */
    if (ctx->bf16) {
        backward_filter_bf16(ctx, s, p, x, dy, dw);
    } else {
        size_t bytes = p->bytes[BACKWARD_FILTER];
        void *space = workspace(ctx, bytes);
        const float one = 1.0f; /* beta 1: dw accumulates */
        CC_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(ctx), &one, p->d.x, x, p->d.y, dy, p->d.conv,
                                                      (cudnnConvolutionBwdFilterAlgo_t)p->algo[BACKWARD_FILTER], space,
                                                      bytes, &one, p->d.w, dw));
    }
    if (dbias)
        cc_cuda_bias_backward(ctx, dy, s->batch, s->out_channels, cc_conv2d_out_height(s) * cc_conv2d_out_width(s),
                              dbias);
}
