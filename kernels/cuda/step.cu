/* A training step's scalars on the GPU (kernels/ops.h, cc_step_scalars; reference
 * kernels/cpu/step.c): the accounting of a step's loss, the clip factor and AdamW's bias
 * corrections computed by one thread on the device, so that a step queues its work and
 * never waits for the host - and can be recorded once as a CUDA graph (kernels/graph.h). */
#include <math.h>

#include "kernels/cuda/cuda_internal.cuh"

__global__ void step_account_kernel(cc_step_scalars *s) {
    if (s->bad_step < 0 && isfinite(s->loss)) s->loss_sum += s->loss;
    else if (s->bad_step < 0) s->bad_step = s->steps, s->bad_loss = s->loss;
    s->steps += 1;
}

extern "C" void cc_cuda_step_account(const cc_ops_context *ctx, cc_step_scalars *s) {
    step_account_kernel<<<1, 1, 0, cc_stream(ctx)>>>(s);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* g *= max_norm / norm when norm = sqrt(*sum_squares) > max_norm: cc_clip_global_norm's
 * factor, computed from the same double on every thread. */
__global__ void clip_kernel(float *g, size_t n, const double *sum_squares, double max_norm) {
    double norm = sqrt(*sum_squares);
    if (!(norm > max_norm && norm > 0)) return;
    float factor = (float)(max_norm / norm);
    CC_GRID_STRIDE_LOOP(k, n) g[k] *= factor;
}

extern "C" void cc_cuda_clip_global_norm_in_place(const cc_ops_context *ctx, float *g, size_t n, double max_norm) {
    if (!n) return;
    cc_cuda_sum_squares_into(ctx, g, n, ctx->cuda->result);
    clip_kernel<<<cc_blocks(n), CC_THREADS, 0, cc_stream(ctx)>>>(g, n, ctx->cuda->result, max_norm);
    CC_CUDA_CHECK(cudaGetLastError());
}

/* t = adam_t + 1 and its bias corrections, unless a step went bad (then nothing moves). */
__global__ void adamw_prepare_kernel(float beta1, float beta2, cc_step_scalars *s) {
    if (s->bad_step >= 0) return;
    double t = s->adam_t + 1;
    cc_cuda_bias_corrections(beta1, beta2, t, &s->correction1, &s->correction2);
    s->adam_t = t;
}

extern "C" void cc_cuda_adamw_step_guarded(const cc_ops_context *ctx, const cc_adamw *opt, cc_step_scalars *s,
                                           float *params, const float *grads, float *m, float *v, size_t n) {
    adamw_prepare_kernel<<<1, 1, 0, cc_stream(ctx)>>>(opt->beta1, opt->beta2, s);
    CC_CUDA_CHECK(cudaGetLastError());
    cc_cuda_adamw_guarded_update(ctx, opt, s, params, grads, m, v, n);
}
