/* kernels/device.h. With kernels/dispatch.c and kernels/buffer.c, the only files that ask
 * whether this build has CUDA. */
#include "kernels/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/onednn.h"
#include "kernels/cpu/threads.h"

#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#include "kernels/cuda/device_query.h"

int cc_cuda_compiled(void) { return 1; }

int cc_cudnn_compiled(void) { return cc_cuda_has_cudnn(); }

int cc_cublas_location(char *where, size_t where_len, char *why, size_t why_len) {
    return cc_cuda_find_cublas(where, where_len, why, why_len);
}

int cc_cuda_device_count(char *why, size_t why_len) {
    return cc_cuda_query_device_count(why, why_len);
}

int cc_cuda_device_info(int index, cc_gpu_info *info, char *err, size_t err_len) {
    return cc_cuda_query_device(index, info, err, err_len);
}

#else

int cc_cuda_compiled(void) { return 0; }

int cc_cudnn_compiled(void) { return 0; }

int cc_cublas_location(char *where, size_t where_len, char *why, size_t why_len) {
    if (where_len) where[0] = '\0';
    snprintf(why, why_len, "this build has no CUDA backend");
    return -1;
}

int cc_cuda_device_count(char *why, size_t why_len) {
    snprintf(why, why_len, "this build has no CUDA backend (configured with CRIMECAST_CUDA=OFF "
                           "or without nvcc)");
    return 0;
}

int cc_cuda_device_info(int index, cc_gpu_info *info, char *err, size_t err_len) {
    (void)info;
    snprintf(err, err_len, "no CUDA device %d: this build has no CUDA backend", index);
    return -1;
}

#endif

const char *cc_gpu_auto_conv(const char *precision, int cudnn_built) {
    if (!cudnn_built) return "gemm";
    return !strcmp(precision, "tf32") || !strcmp(precision, "bf16") ? "cudnn" : "gemm";
}

/* The CPU's convolutions: oneDNN unless "gemm" (or no oneDNN in the build, which is an
 * error only when "onednn" or bf16 was asked for); bf16 needs oneDNN. */
static int open_cpu_convolutions(const char *conv, int bf16, cc_ops_context *ctx, char *why, size_t why_len) {
    if (bf16 && !strcmp(conv, "gemm")) {
        snprintf(why, why_len, "--precision bf16 runs the CPU's convolutions through oneDNN, not --conv gemm");
        return -1;
    }
    if (!bf16 && (!strcmp(conv, "gemm") || (!cc_onednn_built() && strcmp(conv, "onednn") != 0))) return 0;
    ctx->onednn = cc_onednn_create(bf16, why, why_len);
    return ctx->onednn ? 0 : -1;
}

#ifdef CRIMECAST_HAVE_CUDA
/* 1, saying why, when GPU `gpu` cannot run the bf16 convolutions: cuBLAS's and cuDNN's
 * bfloat16 products need compute capability 8.0 (Ampere) or later. */
static int bf16_unsupported(int gpu, char *why, size_t why_len) {
    cc_gpu_info info;
    if (cc_cuda_device_info(gpu, &info, why, why_len) != 0) return 1;
    if (info.compute_major >= 8) return 0;
    snprintf(why, why_len, "--precision bf16 needs a GPU of compute capability 8.0 or later (%s is %d.%d)", info.name,
             info.compute_major, info.compute_minor);
    return 1;
}
#endif

/* "N" of "cuda:N". */
static int parse_gpu_index(const char *text, int *gpu) {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 0 || v > 4096) return -1;
    *gpu = (int)v;
    return 0;
}

int cc_open_backend(const char *device, int threads, const char *conv, const char *precision, cc_ops_context *ctx,
                    char *why, size_t why_len) {
    *ctx = (cc_ops_context){.backend = CC_BACKEND_CPU, .threads = threads};
    cc_cpu_exact_teams();
    int cudnn = !strcmp(conv, "cudnn"), tf32 = !strcmp(precision, "tf32"), bf16 = !strcmp(precision, "bf16");
    if (!strcmp(device, "cpu")) return open_cpu_convolutions(conv, bf16, ctx, why, why_len);
    int gpu = 0, required = !strcmp(device, "cuda") || !strncmp(device, "cuda:", 5);
    if (!strncmp(device, "cuda:", 5) && parse_gpu_index(device + 5, &gpu) != 0) {
        snprintf(why, why_len, "'%s': a GPU's index is a whole number from 0", device);
        return -1;
    }
#ifdef CRIMECAST_HAVE_CUDA
    int gpus = cc_cuda_device_count(why, why_len);
    if (gpus > 0 && gpu >= gpus) {
        snprintf(why, why_len, "'%s': this machine has %d GPU%s (0..%d)", device, gpus, gpus == 1 ? "" : "s", gpus - 1);
        return -1;
    }
    if (gpus > 0 && (ctx->cuda = cc_cuda_state_create(gpu, why, why_len)) != NULL) {
        ctx->backend = CC_BACKEND_CUDA, ctx->tf32 = tf32, ctx->bf16 = bf16; /* threads kept: the host work */
        if ((bf16 && bf16_unsupported(gpu, why, why_len)) || (cudnn && cc_backend_use_cudnn(ctx, why, why_len) != 0)) {
            cc_close_backend(ctx);
            return -1;
        }
        return 0;
    }
#else
    (void)cudnn, (void)tf32, (void)gpu;
    cc_cuda_device_count(why, why_len);
#endif
    return required ? -1 : open_cpu_convolutions(conv, bf16, ctx, why, why_len);
}

int cc_backend_use_cudnn(cc_ops_context *ctx, char *why, size_t why_len) {
#ifdef CRIMECAST_HAVE_CUDA
    char reason[256];
    if (ctx->backend != CC_BACKEND_CUDA || !cc_cuda_has_cudnn()) {
        snprintf(why, why_len, "this build has no cuDNN convolution path (--conv cudnn)");
        return -1;
    }
    if (cc_cuda_start_cudnn(ctx->cuda, reason, sizeof reason) != 0) {
        snprintf(why, why_len, "cuDNN did not start: %s", reason);
        return -1;
    }
    ctx->conv_cudnn = 1;
    return 0;
#else
    (void)ctx;
    snprintf(why, why_len, "this build has no cuDNN convolution path (--conv cudnn)");
    return -1;
#endif
}

void cc_close_backend(cc_ops_context *ctx) {
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_state_destroy(ctx->cuda);
#endif
    cc_onednn_destroy(ctx->onednn);
    ctx->cuda = NULL;
    ctx->onednn = NULL;
    ctx->backend = CC_BACKEND_CPU;
}

const char *cc_backend_precision_name(const cc_ops_context *ctx) {
    if (ctx->backend == CC_BACKEND_CUDA) return ctx->bf16 ? "bf16" : ctx->tf32 ? "tf32" : "fp32";
    return cc_onednn_bf16(ctx->onednn) ? "bf16" : "fp32";
}

const char *cc_backend_conv_name(const cc_ops_context *ctx) {
    if (ctx->backend == CC_BACKEND_CUDA) return ctx->conv_cudnn ? "cudnn" : "gemm";
    return ctx->onednn ? "onednn" : "gemm";
}

double cc_backend_gemm_tflops(const cc_ops_context *ctx, int n, const char *precision, int repeats) {
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA && ctx->cuda) return cc_cuda_gemm_tflops(ctx->cuda, n, precision, repeats);
#endif
    (void)ctx, (void)n, (void)precision, (void)repeats;
    return 0;
}

double cc_backend_scratch_bytes(const cc_ops_context *ctx) {
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA && ctx->cuda) return 4.0 * (double)cc_cuda_scratch_floats(ctx->cuda);
#endif
    (void)ctx;
    return 0;
}
