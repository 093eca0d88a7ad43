/* Masked losses on the GPU (reference kernels/cpu/loss.c). Three launches and one copy:
 *   1. count the counted elements (one block: the mask is one plane);
 *   2. per element, the loss term and its gradient (scaled by 1/count, read on the
 *      device so the host need not wait for the count), block partials in double;
 *   3. the partials summed in a fixed order and scaled (cc_cuda_finish_sum), copied
 *      back: the mean reaches the host, the one synchronisation of a training step;
 *      or, for the _into forms, left on the device in a step's scalars (no wait).
 * Double accumulation in a fixed tree: the result matches the CPU's double sum to
 * rounding and is the same every run. */
#include "kernels/cuda/cuda_internal.cuh"

typedef enum { POISSON, SQUARED } loss_kind;

__global__ void count_kernel(const uint8_t *mask, int maps, int plane, unsigned long long *count) {
    unsigned long long counted = 0;
    for (int k = threadIdx.x; k < plane; k += blockDim.x) counted += !mask || mask[k];
    counted = cc_block_sum(counted);
    if (threadIdx.x == 0) *count = counted * (unsigned long long)maps;
}

__global__ void loss_kernel(loss_kind kind, const float *r, const float *y, const uint8_t *mask, size_t plane,
                            size_t total, const unsigned long long *count, float *d, double *partials) {
    double scale = *count ? 1.0 / (double)*count : 0.0, sum = 0;
    CC_GRID_STRIDE_LOOP(e, total) {
        if (mask && !mask[e % plane]) {
            d[e] = 0.0f;
            continue;
        }
        if (kind == POISSON) { /* exp(r) - y r, on a log-rate r */
            double rate = exp((double)r[e]);
            sum += rate - (double)y[e] * r[e];
            d[e] = (float)((rate - y[e]) * scale);
        } else {
            double diff = (double)r[e] - y[e];
            sum += diff * diff;
            d[e] = (float)(2.0 * diff * scale);
        }
    }
    sum = cc_block_sum(sum);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/* The first two launches; returns the partials' count for the second pass. */
static unsigned masked_terms(const cc_ops_context *ctx, loss_kind kind, const float *r, const float *y,
                             const uint8_t *mask, int maps, int plane, float *d) {
    struct cc_cuda_state *st = ctx->cuda;
    size_t total = (size_t)maps * plane;
    count_kernel<<<1, CC_REDUCE_THREADS, 0, st->stream>>>(mask, maps, plane, st->count);
    CC_CUDA_CHECK(cudaGetLastError());
    unsigned blocks = cc_reduce_blocks(total);
    loss_kernel<<<blocks, CC_REDUCE_THREADS, 0, st->stream>>>(kind, r, y, mask, (size_t)plane, total, st->count, d,
                                                               st->partials);
    CC_CUDA_CHECK(cudaGetLastError());
    return blocks;
}

static double masked_mean(const cc_ops_context *ctx, loss_kind kind, const float *r, const float *y,
                          const uint8_t *mask, int maps, int plane, float *d) {
    if (maps <= 0 || plane <= 0) return 0.0;
    unsigned blocks = masked_terms(ctx, kind, r, y, mask, maps, plane, d);
    return cc_cuda_finish_sum(ctx, blocks, ctx->cuda->count);
}

/* The mean left on the device at `mean` (a step's scalars): no copy, no wait. */
static void masked_mean_into(const cc_ops_context *ctx, loss_kind kind, const float *r, const float *y,
                             const uint8_t *mask, int maps, int plane, float *d, double *mean) {
    if (maps <= 0 || plane <= 0) {
        CC_CUDA_CHECK(cudaMemsetAsync(mean, 0, sizeof *mean, cc_stream(ctx)));
        return;
    }
    unsigned blocks = masked_terms(ctx, kind, r, y, mask, maps, plane, d);
    cc_cuda_finish_sum_into(ctx, blocks, ctx->cuda->count, mean);
}

extern "C" void cc_cuda_poisson_nll_into(const cc_ops_context *ctx, const float *r, const float *y,
                                         const uint8_t *mask, int maps, int plane, float *d, double *mean) {
    masked_mean_into(ctx, POISSON, r, y, mask, maps, plane, d, mean);
}

extern "C" void cc_cuda_mse_into(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask,
                                 int maps, int plane, float *d, double *mean) {
    masked_mean_into(ctx, SQUARED, r, y, mask, maps, plane, d, mean);
}

extern "C" double cc_cuda_poisson_nll(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask,
                                      int maps, int plane, float *d) {
    return masked_mean(ctx, POISSON, r, y, mask, maps, plane, d);
}

extern "C" double cc_cuda_mse(const cc_ops_context *ctx, const float *r, const float *y, const uint8_t *mask,
                              int maps, int plane, float *d) {
    return masked_mean(ctx, SQUARED, r, y, mask, maps, plane, d);
}
