/* What the CUDA op files share (nvcc only): the state's layout, launch geometry, the
 * deterministic block reduction, and the helpers one op file lends another. */
#ifndef CRIMECAST_KERNELS_CUDA_INTERNAL_CUH
#define CRIMECAST_KERNELS_CUDA_INTERNAL_CUH

#include <cuda_bf16.h>
#include <stddef.h>

#include "kernels/cuda/cublas_library.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_ops.h"

constexpr unsigned CC_THREADS = 256;        /* threads per block of the element-wise kernels */
constexpr size_t CC_MAX_BLOCKS = 1 << 16;   /* grid cap: kernels loop over the rest (grid-stride) */
constexpr unsigned CC_REDUCE_THREADS = 256; /* threads per block of a reduction: a power of two */
constexpr size_t CC_REDUCE_BLOCKS = 1024;   /* most first-pass partials of a reduction */

struct cc_cuda_state {
    int device;
    cudaStream_t stream;
    struct cc_cublas_library blas; /* cuBLAS's functions, opened with the state */
    cublasHandle_t cublas;
#ifdef CRIMECAST_HAVE_CUDNN
    cudnnHandle_t cudnn;
    struct cc_cudnn_plans *cudnn_plans; /* per convolution shape: descriptors, algorithms */
#endif
    float *scratch;            /* im2col columns, cuDNN workspace: grows on demand */
    size_t scratch_floats;
    unsigned long scratch_moves; /* times the scratch was reallocated: a recorded graph holds
                                    its address and is stale once this changes (graph.cu) */
    double *partials;          /* [CC_REDUCE_BLOCKS] first-pass sums of a reduction */
    double *result;            /* the reduction's final value */
    unsigned long long *count; /* elements a masked loss counts */
};

static inline cudaStream_t cc_stream(const cc_ops_context *ctx) { return ctx->cuda->stream; }

/* Blocks for n elements at CC_THREADS each, capped (kernels stride over the rest).
 * Callers return before launching when n is 0: an empty grid is a launch error. */
static inline unsigned cc_blocks(size_t n) {
    size_t blocks = (n + CC_THREADS - 1) / CC_THREADS;
    return (unsigned)(blocks < CC_MAX_BLOCKS ? blocks : CC_MAX_BLOCKS);
}

/* First-pass blocks of a reduction over n elements. The count depends on n alone, never
 * on the device, so a sum is added up in the same order on every GPU and every run. */
static inline unsigned cc_reduce_blocks(size_t n) {
    size_t blocks = (n + CC_REDUCE_THREADS - 1) / CC_REDUCE_THREADS;
    if (blocks < 1) blocks = 1;
    return (unsigned)(blocks < CC_REDUCE_BLOCKS ? blocks : CC_REDUCE_BLOCKS);
}

#define CC_GRID_STRIDE_LOOP(i, n)                                                                \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                      \
         i += (size_t)gridDim.x * blockDim.x)

/* Kernels over `rows` rows of `len` elements each (an image's plane, a channel of one
 * image): the blocks along y take the rows, those along x the elements of a row
 *   CC_ROW_LOOP(r, rows) { ...once per row... CC_GRID_STRIDE_LOOP(k, len) { ... } }
 * so what depends on the row alone (its image, channel, bias) is worked out once per row,
 * not by dividing every element's flat index: an integer division by a value known only at
 * run time is a software routine on a GPU, tens of instructions (64-bit: more), beside a
 * copy's one load and store. Launch with cc_row_grid(rows, len). */
constexpr size_t CC_MAX_ROW_BLOCKS = 65535; /* gridDim.y's limit: kernels loop over the rest */

#define CC_ROW_LOOP(r, rows) for (size_t r = blockIdx.y; r < (rows); r += gridDim.y)

static inline dim3 cc_row_grid(size_t rows, size_t len) {
    return dim3(cc_blocks(len), (unsigned)(rows < CC_MAX_ROW_BLOCKS ? rows : CC_MAX_ROW_BLOCKS));
}

/* Sum of v over the block (CC_REDUCE_THREADS threads), valid in thread 0: a fixed tree,
 * so the same inputs always give the same bits (no atomics). */
template <typename T>
__device__ inline T cc_block_sum(T v) {
    __shared__ T lane[CC_REDUCE_THREADS];
    lane[threadIdx.x] = v;
    __syncthreads();
    for (unsigned half = CC_REDUCE_THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) lane[threadIdx.x] += lane[threadIdx.x + half];
        __syncthreads();
    }
    return lane[0];
}

/* AdamW's bias corrections 1 - beta1^t and 1 - beta2^t, in double on the device: one
 * formula for the plain and the guarded AdamW, so that both give the same bits. */
__device__ inline void cc_cuda_bias_corrections(float beta1, float beta2, double t, double *correction1,
                                                double *correction2) {
    *correction1 = 1.0 - pow((double)beta1, t);
    *correction2 = 1.0 - pow((double)beta2, t);
}

/* Second pass of a reduction (kernels/cuda/optim.cu): sums the state's `blocks` partials
 * in a fixed order, times 1/count when count is given (0 when it is 0, the mean of no
 * elements), and returns it on the host. Synchronises the stream. */
double cc_cuda_finish_sum(const cc_ops_context *ctx, unsigned blocks, const unsigned long long *count);
/* The same second pass with the result left on the device, at `result`: no wait. */
void cc_cuda_finish_sum_into(const cc_ops_context *ctx, unsigned blocks, const unsigned long long *count,
                             double *result);

/* sum(x^2) over n > 0 floats in double, left on the device at `result` (optim.cu). */
void cc_cuda_sum_squares_into(const cc_ops_context *ctx, const float *x, size_t n, double *result);

/* The AdamW update of kernels/cuda/optim.cu with the bias corrections and the skip read
 * from s on the device (kernels/cuda/step.cu prepares them). */
void cc_cuda_adamw_guarded_update(const cc_ops_context *ctx, const cc_adamw *opt, const cc_step_scalars *s,
                                  float *params, const float *grads, float *m, float *v, size_t n);

/* Device scratch of at least `floats` floats, grown (after the stream drains) when too
 * small (kernels/cuda/scratch.cu). Valid until the next call: one op at a time uses it. */
float *cc_cuda_scratch(const cc_ops_context *ctx, size_t floats);

/* cuBLAS math for a context's convolutions: TF32 tensor cores with ctx->tf32, else
 * CUBLAS_DEFAULT_MATH (full FP32, results close to the CPU's). */
void cc_cuda_set_gemm_math(const cc_ops_context *ctx);

/* dst[k] += slices[0][k] + slices[1][k] + ... (count slices of n floats), added in slice
 * order: per-image partial gradients summed deterministically (elementwise.cu). */
void cc_cuda_add_slices(const cc_ops_context *ctx, const float *slices, int count, size_t n, float *dst);

/* The sizes of a convolution's products, shared by the GEMM paths (conv2d.cu, and
 * conv2d_bf16.cu in bfloat16). */
struct cc_conv_dims {
    int out_plane;            /* Ho * Wo */
    int rows;                 /* Cin * K * K: the columns' rows */
    size_t in_size, out_size; /* floats of one image in and out */
    size_t weights;           /* Cout * Cin * K * K */
    int direct;               /* 1x1, stride 1, no padding: the columns are x itself */
};

static inline cc_conv_dims cc_cuda_conv_dims(const cc_conv2d_shape *s) {
    cc_conv_dims d;
    d.out_plane = cc_conv2d_out_height(s) * cc_conv2d_out_width(s);
    d.rows = s->in_channels * s->kernel * s->kernel;
    d.in_size = (size_t)s->in_channels * s->height * s->width;
    d.out_size = (size_t)s->out_channels * d.out_plane;
    d.weights = (size_t)s->out_channels * d.rows;
    d.direct = s->kernel == 1 && s->stride == 1 && s->padding == 0;
    return d;
}

/* Images of a batch taken at once when each needs `per_image` of `room` (floats or bytes):
 * the whole batch when it fits (or needs nothing), else as many as fit, at least one. */
static inline int cc_cuda_images_per_chunk(int batch, size_t room, size_t per_image) {
    size_t fit = per_image ? room / per_image : (size_t)batch;
    return fit >= (size_t)batch ? batch : fit ? (int)fit : 1;
}

/* im2col / col2im over `images` consecutive images (kernels/cuda/im2col.cu):
 * columns [images][Cin*K*K][Ho*Wo]. col2im gathers each input pixel's contributions
 * (no atomics) into dx, keeping dx's old value when beta != 0 (beta 0: dx is not read). */
void cc_cuda_im2col(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *x,
                    float *columns);
void cc_cuda_col2im(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *columns,
                    float beta, float *dx);
/* im2col with each element rounded to bfloat16 (to nearest even). */
void cc_cuda_im2col_bf16(const cc_ops_context *ctx, const cc_conv2d_shape *s, int images, const float *x,
                         __nv_bfloat16 *columns);

/* bfloat16 copies (kernels/cuda/bf16_copy.cu): y = x rounded to nearest even; and back,
 * y = x + beta y in FP32 (beta 0: y is not read). */
void cc_cuda_to_bf16(const cc_ops_context *ctx, const float *x, size_t n, __nv_bfloat16 *y);
void cc_cuda_from_bf16(const cc_ops_context *ctx, const __nv_bfloat16 *x, size_t n, float beta, float *y);
/* The same between FP32 [images][channels][plane] and bfloat16 channels last,
 * [images][plane][channels] (NHWC; a filter [out][in][K][K] is images = out, plane = K*K). */
void cc_cuda_to_bf16_nhwc(const cc_ops_context *ctx, const float *x, int images, int channels, size_t plane,
                          __nv_bfloat16 *y);
void cc_cuda_from_bf16_nhwc(const cc_ops_context *ctx, const __nv_bfloat16 *x, int images, int channels,
                            size_t plane, float beta, float *y);
/* The context's scratch cut into consecutive regions of bytes[0..regions) (each 256-byte
 * aligned; NULL for an empty one) at at[0..regions): one cc_cuda_scratch call, so the
 * regions never overlap (scratch.cu). */
void cc_cuda_carve_scratch(const cc_ops_context *ctx, int regions, const size_t *bytes, void **at);

/* The bf16 convolution path (kernels/cuda/conv2d_bf16.cu; ctx->bf16), same contracts:
 * x, w and dy rounded to bfloat16, products summed in FP32, outputs FP32. */
void cc_bf16_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                            const float *bias, float beta, float *y);
void cc_bf16_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                  const float *w, float beta, float *dx);
void cc_bf16_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                    const float *dy, float *dw, float *dbias);

#ifdef CRIMECAST_HAVE_CUDNN
/* The cuDNN convolution path (kernels/cuda/conv2d_cudnn.cu), same contracts. */
void cc_cudnn_conv2d_forward(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x, const float *w,
                             const float *bias, float beta, float *y);
void cc_cudnn_conv2d_backward_data(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *dy,
                                   const float *w, float beta, float *dx);
void cc_cudnn_conv2d_backward_filter(const cc_ops_context *ctx, const cc_conv2d_shape *s, const float *x,
                                     const float *dy, float *dw, float *dbias);
/* Frees the plans conv2d_cudnn.cu made on first use of each shape (null: nothing). */
void cc_cudnn_plans_free(struct cc_cudnn_plans *plans);
#endif

#endif
