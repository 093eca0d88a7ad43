/* AdamW and the reductions behind gradient clipping on the GPU (reference
 * kernels/cpu/optim.c). The AdamW step is one fused pass over the whole parameter arena;
 * sums of squares are deterministic two-pass reductions in double. The clip itself
 * (norm, then cc_cuda_scale) is composed in kernels/dispatch.c for both backends. */
#include <math.h>

#include "kernels/cuda/cuda_internal.cuh"

/* The step's constants. The bias corrections 1 - beta^t are computed on the device by one
 * thread (cc_cuda_bias_corrections), for this op and the guarded one alike, so that both
 * give the same bits (the host's pow and the device's may differ in the last place). */
struct adamw_constants {
    float lr, beta1, beta2, eps, weight_decay;
};

/* The CPU's arithmetic, operation for operation: m and v in float with explicit
 * round-to-nearest products and sums (no fused multiply-add, which the CPU build does
 * not use either), the update in double. */
__device__ inline void adamw_update(const adamw_constants &a, double correction1, double correction2, float *p,
                                    const float *g, float *m, float *v, size_t k) {
    float gk = g[k];
    float mk = __fadd_rn(__fmul_rn(a.beta1, m[k]), __fmul_rn(1.0f - a.beta1, gk));
    float vk = __fadd_rn(__fmul_rn(a.beta2, v[k]), __fmul_rn(__fmul_rn(1.0f - a.beta2, gk), gk));
    m[k] = mk, v[k] = vk;
    double mhat = mk / correction1, vhat = vk / correction2;
    float decay = __fmul_rn(a.weight_decay, p[k]);
    p[k] -= (float)(a.lr * (decay + mhat / (sqrt(vhat) + a.eps)));
}

__global__ void corrections_kernel(float beta1, float beta2, double t, double *corrections) {
    cc_cuda_bias_corrections(beta1, beta2, t, &corrections[0], &corrections[1]);
}

__global__ void adamw_kernel(adamw_constants a, const double *corrections, float *p, const float *g, float *m,
                             float *v, size_t n) {
    double correction1 = corrections[0], correction2 = corrections[1];
    CC_GRID_STRIDE_LOOP(k, n) adamw_update(a, correction1, correction2, p, g, m, v, k);
}

/* cc_adamw_step_guarded: t and the skip read on the device (kernels/cuda/step.cu sets the
 * corrections first, or marks the step bad). */
__global__ void adamw_guarded_kernel(adamw_constants a, const cc_step_scalars *s, float *p, const float *g, float *m,
                                     float *v, size_t n) {
    if (s->bad_step >= 0) return;
    double correction1 = s->correction1, correction2 = s->correction2;
    CC_GRID_STRIDE_LOOP(k, n) adamw_update(a, correction1, correction2, p, g, m, v, k);
}

void cc_cuda_adamw_guarded_update(const cc_ops_context *ctx, const cc_adamw *opt, const cc_step_scalars *s,
                                  float *params, const float *grads, float *m, float *v, size_t n) {
    if (!n) return;
    adamw_constants a = {opt->lr, opt->beta1, opt->beta2, opt->eps, opt->weight_decay};
    adamw_guarded_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(a, s, params, grads, m, v, n);
    CC_CUDA_CHECK(cudaGetLastError());
}

__global__ void sum_squares_kernel(const float *x, size_t n, double *partials) {
    double sum = 0;
    CC_GRID_STRIDE_LOOP(k, n) sum += (double)x[k] * x[k];
    sum = cc_block_sum(sum);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/* One block adds the partials: each thread a fixed stride of them, then the tree. */
__global__ void finish_sum_kernel(const double *partials, unsigned blocks, const unsigned long long *count,
                                  double *result) {
    double sum = 0;
    for (unsigned b = threadIdx.x; b < blocks; b += blockDim.x) sum += partials[b];
    sum = cc_block_sum(sum);
    if (threadIdx.x == 0) *result = count ? sum * (*count ? 1.0 / (double)*count : 0.0) : sum;
}

void cc_cuda_finish_sum_into(const cc_ops_context *ctx, unsigned blocks, const unsigned long long *count,
                             double *result) {
    struct cc_cuda_state *st = ctx->cuda;
    finish_sum_kernel<<<1, CC_REDUCE_THREADS, 0, st->stream>>>(st->partials, blocks, count, result);
    CC_CUDA_CHECK(cudaGetLastError());
}

double cc_cuda_finish_sum(const cc_ops_context *ctx, unsigned blocks, const unsigned long long *count) {
    struct cc_cuda_state *st = ctx->cuda;
    cc_cuda_finish_sum_into(ctx, blocks, count, st->result);
    double result = 0;
    cc_cuda_copy_to_host(st, &result, st->result, sizeof result);
    return result;
}

extern "C" void cc_cuda_adamw_step(const cc_ops_context *ctx, const cc_adamw *opt, float *params, const float *grads,
                                   float *m, float *v, size_t n) {
    if (!n) return;
    double *corrections = ctx->cuda->partials; /* free between reductions: the stream runs one op at a time */
    corrections_kernel<<<1, 1, 0, cc_stream(ctx)>>>(opt->beta1, opt->beta2, (double)opt->step, corrections);
    CC_CUDA_CHECK(cudaGetLastError());
    adamw_constants a = {opt->lr, opt->beta1, opt->beta2, opt->eps, opt->weight_decay};
    adamw_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(a, corrections, params, grads, m, v, n);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* The first pass of sum(x^2) over n > 0 floats into the partials; returns their count. */
static unsigned sum_squares_terms(const cc_ops_context *ctx, const float *x, size_t n) {
    unsigned blocks = cc_reduce_blocks(n);
    sum_squares_kernel<<<blocks, CC_REDUCE_THREADS, 0, cc_stream(ctx)>>>(x, n, ctx->cuda->partials);
    CC_CUDA_CHECK(cudaGetLastError());
    return blocks;
}

void cc_cuda_sum_squares_into(const cc_ops_context *ctx, const float *x, size_t n, double *result) {
    cc_cuda_finish_sum_into(ctx, sum_squares_terms(ctx, x, n), NULL, result);
}

extern "C" double cc_cuda_sum_squares(const cc_ops_context *ctx, const float *x, size_t n) {
    if (!n) return 0.0;
    return cc_cuda_finish_sum(ctx, sum_squares_terms(ctx, x, n), NULL);
}
