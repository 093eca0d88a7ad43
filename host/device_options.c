/* host/device_options.h */
#include "host/device_options.h"

#include <stdio.h>
#include <string.h>

#include "host/defaults.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"

const cc_option CC_DEVICE_OPTIONS[CC_DEVICE_OPTION_COUNT] = {
    {CC_OPTION_CHOICE("device", cc_device_request, device, "auto|cpu|cuda", CC_DEFAULT_DEVICE,
                      "where the ops run: the GPU when one is usable (auto), the CPU, or the GPU or an error")},
    {CC_OPTION_CHOICE("conv", cc_device_request, conv, "auto|gemm|cudnn|onednn", "auto",
                      "the convolutions: auto is, on the GPU, cuDNN with TF32 or bf16 and im2col + cuBLAS in FP32 "
                      "(what measured faster), on the CPU oneDNN (im2col + OpenBLAS in a "
                      "build without it); gemm is im2col + GEMM on either; cudnn (GPU) and onednn (CPU) are "
                      "ignored on the other device")},
    {CC_OPTION_CHOICE("precision", cc_device_request, precision, "fp32|tf32|bf16", "fp32",
                      "the convolutions' math: FP32; TF32 tensor cores on the GPU (about 1e-3 from FP32; FP32 on "
                      "the CPU); bfloat16 inputs with FP32 sums (each product within 2^-7), through oneDNN on the "
                      "CPU and im2col + cuBLAS (or cuDNN with --conv cudnn) on the GPU")},
    {CC_OPTION_FLAG("tf32", cc_device_request, tf32, "the same as --precision tf32")},
    {CC_OPTION_CHOICE("cudnn-layout", cc_device_request, cudnn_layout, "nchw|nhwc", "nchw",
                      "the layout of the bfloat16 copies cuDNN convolves (--precision bf16 through cuDNN): as the "
                      "FP32 tensors (nchw), or channels last (nhwc, the layout of its Hopper tensor-core kernels, "
                      "transposed in the rounding pass); the same sums either way")},
    {CC_OPTION_CHOICE("deterministic", cc_device_request, deterministic, "on|off", "on",
                      "on: every run on the same device and --threads gives the same bits (on the CPU another "
                      "thread count splits sums otherwise: about 1e-9 apart); off lets cuDNN (--conv cudnn, or auto) take the "
                      "fastest algorithm of the GEMM family, timed on each shape's first call, non-deterministic ones "
                      "included (never Winograd or FFT; the other paths are deterministic either way)")},
    {CC_OPTION_CHOICE("graph", cc_device_request, graph, "on|off", "on",
                      "on: a training step is recorded once as a CUDA graph and replayed (one launch a step, no "
                      "host work between its ops; the same bits as off; GPU only, and not in data-parallel runs, "
                      "which sum each step's loss over the ranks on the host)")},
    {CC_OPTION_INT("threads", cc_device_request, threads, "N", "0", 0, 256, /* OpenBLAS called from 1000 threads crashed */
                   "CPU threads the ops use, 0: all")},
};

int cc_cudnn_channels_last(const char *layout, int conv_cudnn, int bf16) {
    return layout && !strcmp(layout, "nhwc") && conv_cudnn && bf16;
}

int cc_device_request_check(const cc_device_request *r, char *why, size_t why_len) {
    if (r->tf32 && r->precision && strcmp(r->precision, "fp32") != 0 && strcmp(r->precision, "tf32") != 0) {
        snprintf(why, why_len, "--tf32 and --precision %s ask for different math", r->precision);
        return -1;
    }
    if (r->device && !strcmp(r->device, "cpu") && r->conv && !strcmp(r->conv, "gemm") && r->precision &&
        !strcmp(r->precision, "bf16")) {
        snprintf(why, why_len, "--device cpu: --precision bf16 runs the CPU's convolutions through oneDNN, not --conv gemm");
        return -1;
    }
    return 0;
}

void cc_device_note_unread(const cc_device_request *r, const cc_ops_context *ctx) {
    char names[256] = "";
    int tf32 = 0;
    if (ctx->backend == CC_BACKEND_CPU) {
        const char *given[] = {r->conv && !strcmp(r->conv, "cudnn") ? "--conv cudnn" : NULL,
                               r->cudnn_layout && !strcmp(r->cudnn_layout, "nhwc") ? "--cudnn-layout nhwc" : NULL,
                               r->deterministic && !strcmp(r->deterministic, "off") ? "--deterministic off" : NULL,
                               r->graph && !strcmp(r->graph, "off") ? "--graph off" : NULL,
                               r->tf32 || (r->precision && !strcmp(r->precision, "tf32")) ? "TF32" : NULL};
        for (size_t i = 0; i < sizeof given / sizeof *given; i++)
            if (given[i])
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "", given[i]);
        tf32 = given[4] != NULL;
    }
    if (names[0]) /* the TF32 clause only where TF32 was asked (it followed --conv cudnn alone; a probe) */
        fprintf(stderr, "crimecast: note: %s: GPU options, not read on the CPU%s\n", names,
                tf32 ? " (TF32 is FP32 there)" : "");
    int threads = cc_cpu_threads(ctx);
    if (r->threads > threads)
        fprintf(stderr, "crimecast: note: --threads %d: OpenMP allows this process %d (OMP_THREAD_LIMIT), which it "
                "takes\n", r->threads, threads);
}

int cc_device_open(const cc_device_request *r, cc_ops_context *ctx, char *why, size_t why_len) {
    char reason[512];
    const char *precision = r->tf32 ? "tf32" : r->precision;
    if (cc_device_request_check(r, why, why_len) != 0) return -1; /* requests built in code too (demo, tune) */
    int deterministic = !(r->deterministic && !strcmp(r->deterministic, "off"));
    if (cc_open_backend(r->device, r->threads, r->conv, precision, ctx, reason, sizeof reason) == 0) {
        /* auto takes cuDNN on a GPU where it measured faster, im2col + cuBLAS where it cannot start */
        if (!strcmp(r->conv, "auto") && ctx->backend == CC_BACKEND_CUDA &&
            !strcmp(cc_gpu_auto_conv(precision, cc_cudnn_compiled()), "cudnn") &&
            cc_backend_use_cudnn(ctx, reason, sizeof reason) != 0)
            fprintf(stderr, "crimecast: --conv auto: %s; the GPU's convolutions run as im2col + cuBLAS\n", reason);
        /* only cuDNN has algorithms to choose: every other path stays deterministic */
        ctx->any_algorithm = !deterministic && ctx->conv_cudnn;
        ctx->cudnn_nhwc = cc_cudnn_channels_last(r->cudnn_layout, ctx->conv_cudnn, ctx->bf16);
        ctx->graphs = r->graph && !strcmp(r->graph, "on") && ctx->backend == CC_BACKEND_CUDA;
        return 0;
    }
    snprintf(why, why_len, "--device %s: %s", r->device, reason);
    return -1;
}

/* --threads 0 for one of `local_size` ranks on a machine: its share of the threads the
 * process may use (OpenMP's count, which follows the rank's CPU binding), at least one. */
static int rank_threads(int threads, int local_size) {
    if (threads != 0 || local_size <= 1) return threads;
    int all = cc_cpu_threads(&(cc_ops_context){.backend = CC_BACKEND_CPU, .threads = 0}), share = all / local_size;
    return share > 0 ? share : 1;
}

int cc_device_open_for_rank(const cc_device_request *r, int local_rank, int local_size, cc_ops_context *ctx,
                            char *why, size_t why_len) {
    char reason[256], device[32];
    cc_device_request own = *r;
    own.threads = rank_threads(r->threads, local_size);
    /* the GPUs are counted only for a rank past the first: a lone process is not delayed */
    if (local_rank <= 0 || !strcmp(r->device, "cpu")) return cc_device_open(&own, ctx, why, why_len);
    int gpus = cc_cuda_device_count(reason, sizeof reason);
    if (gpus <= 0) return cc_device_open(&own, ctx, why, why_len);
    snprintf(device, sizeof device, "cuda:%d", local_rank % gpus);
    own.device = device;
    return cc_device_open(&own, ctx, why, why_len);
}
