#include "models/memory_plan.h"

#include "kernels/cpu/onednn.h"

/* floats -> bytes */
static double bytes(double floats) { return 4.0 * floats; }

/* Images in the model's largest convolution call: a stack's input-to-state call (and its
 * W_h filter gradient) take all of its steps of a batch at once, the encoder's every input
 * step, the forecaster's every output step. */
static double largest_call_images(const cc_convlstm_config *cfg, int batch) {
    int steps = cc_model_input_steps(cfg);
    return (double)(cfg->horizon > steps ? cfg->horizon : steps) * batch;
}

/* The GPU's convolution scratch: im2col columns for one convolution of `per_image` column
 * floats over `images` (kernels/cuda/conv2d.cu: chunks of images within 64 Mi floats, at
 * least one image; the bfloat16 GEMM path's copies within the same 256 MiB); through
 * cuDNN its workspace's most (CC_CUDNN_WORKSPACE_FLOATS, kernels/ops.h), or the columns'
 * figure where that is more (a bound, not a need). */
static double gpu_scratch_floats(double per_image, double images, int cudnn) {
    const double budget = 64.0 * 1024 * 1024, workspace = cudnn ? (double)CC_CUDNN_WORKSPACE_FLOATS : 0;
    double chunked = per_image * images, im2col = chunked <= budget ? chunked : per_image > budget ? per_image : budget;
    return im2col > workspace ? im2col : workspace;
}

/* The CPU's convolution scratch: im2col columns for every thread, or oneDNN's copies of
 * the largest call in chunks within CC_ONEDNN_SCRATCH_FLOATS (kernels/cpu/onednn.h), the
 * larger of the two (the plan is made before the path is known; only one is touched). The
 * largest call: largest_call_images. */
static double cpu_scratch_floats(const cc_convlstm_config *cfg, const cc_convlstm_size *size, int batch, int threads) {
    double im2col = (double)size->workspace * (threads > 0 ? threads : 1);
    double per_image = (double)size->onednn_image, call = per_image * largest_call_images(cfg, batch);
    double cap = (double)CC_ONEDNN_SCRATCH_FLOATS, onednn = call <= cap ? call : per_image > cap ? per_image : cap;
    return im2col > onednn ? im2col : onednn;
}

/* cuDNN's bfloat16 path (kernels/cuda/conv2d_cudnn.cu, round_operands) rounds a whole
 * call's two operands into scratch beside room for its result, two bytes a value, and
 * holds them beside the call's workspace. oneDNN's per-image figure (an image's input,
 * output and the filter) bounds what one image of any call holds. In floats. */
static double cudnn_bf16_copies_floats(const cc_convlstm_config *cfg, const cc_convlstm_size *size, int batch) {
    return 0.5 * (double)size->onednn_image * largest_call_images(cfg, batch);
}

int cc_plan_device(const cc_ops_context *ctx) {
    if (ctx->backend != CC_BACKEND_CUDA) return CC_PLAN_CPU;
    return ctx->conv_cudnn ? CC_PLAN_GPU_CUDNN | (ctx->bf16 ? CC_PLAN_BF16 : 0) : CC_PLAN_GPU;
}

int cc_train_memory_plan(const cc_convlstm_config *cfg, int batch, int T, int R, int device, int host_gather,
                         int threads, cc_train_memory *out, char *err, size_t err_len) {
    int on_gpu = device & CC_PLAN_WHERE; /* CC_PLAN_BF16 means nothing on the CPU */
    cc_convlstm_size size;
    if (cc_convlstm_measure(cfg, batch, &size, err, err_len) != 0) return -1;
    double plane = (double)cfg->height * cfg->width;
    /* a batch's inputs and its targets (floats) */
    double x = (double)cc_model_input_floats(cfg, batch), y = (double)cc_model_output_floats(cfg, batch);
    /* the covariates' input maps (models/covariate_inputs.h) at most T per map: the static
     * ones are held once, but the config does not say which are static */
    double tensor = bytes((double)T * cfg->channels * plane * (1 + R) + (double)T * cfg->covariates * plane);
    double host_model = bytes(7.0 * size.params), device_model = on_gpu ? bytes(4.0 * size.params) : 0;
    double acts = bytes((double)size.acts);
    /* host: x, y, base, out (and dL/dr on the CPU), out alone on a GPU that assembles its
     * batches; the GPU's copies: x, y, base, out, dL/dr and the mask */
    double host_batches = bytes(!on_gpu ? x + 4 * y : host_gather ? x + 3 * y : y);
    double device_batches = on_gpu ? bytes(x + 4 * y) + plane : 0;
    int cudnn = on_gpu == CC_PLAN_GPU_CUDNN;
    double bf16_copies = cudnn && (device & CC_PLAN_BF16) ? bytes(cudnn_bf16_copies_floats(cfg, &size, batch)) : 0;
    double workspace = on_gpu ? bytes(gpu_scratch_floats((double)size.workspace, largest_call_images(cfg, batch), cudnn)) + bf16_copies
                              : bytes(cpu_scratch_floats(cfg, &size, batch, threads));
    *out = (cc_train_memory){tensor, host_model + device_model, acts, host_batches + device_batches, workspace,
                             CC_PROGRAM_BYTES, 0, 0, bf16_copies};
    out->host = CC_PROGRAM_BYTES + tensor + host_model + host_batches + (on_gpu ? 0 : acts + workspace);
    out->device = on_gpu ? device_model + acts + device_batches + workspace : 0;
    return 0;
}

int cc_train_memory_largest_batch(const cc_convlstm_config *cfg, int batch, int T, int R, int on_gpu, int host_gather,
                                  int threads, double budget) {
    char err[160];
    int lo = 0, hi = batch; /* lo fits (0 trivially), find the largest */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        cc_train_memory m;
        int fits = cc_train_memory_plan(cfg, mid, T, R, on_gpu, host_gather, threads, &m, err, sizeof err) == 0 &&
                   ((on_gpu & CC_PLAN_WHERE) ? m.device : m.host) <= budget;
        if (fits) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

size_t cc_cudnn_workspace_grant(double reserved, double planned, double budget) {
    double most = 4.0 * (double)CC_CUDNN_WORKSPACE_MAX_FLOATS, least = 4.0 * (double)CC_CUDNN_WORKSPACE_FLOATS;
    if (reserved < least) reserved = least;
    double grant = budget > planned ? reserved + 0.5 * (budget - planned) : reserved;
    if (grant > most) grant = most > reserved ? most : reserved;
    return (size_t)(grant / 4.0);
}

double cc_cudnn_workspace_reserved(const cc_train_memory *plan) { return plan->workspace - plan->bf16_copies; }
