/* The backend boundary's front door: which compute backends this build has, which GPUs
 * exist, and the ops' context for a --device choice.
 *
 * The CPU backend is always built. The CUDA backend is built when CMake found nvcc
 * (CRIMECAST_CUDA=AUTO|ON); a CUDA build still runs, CPU-only, on a machine with no
 * GPU or no driver, and says why no device is usable. Nothing above kernels/ asks which
 * backends were compiled in except through these functions. */
#ifndef CRIMECAST_KERNELS_DEVICE_H
#define CRIMECAST_KERNELS_DEVICE_H

#include <stddef.h>

#include "kernels/cuda/device_query.h" /* cc_gpu_info */
#include "kernels/ops.h"

/* 1 when this build contains the CUDA backend. */
int cc_cuda_compiled(void);

/* Number of usable CUDA devices. Returns 0 when there are none (or the build has no
 * CUDA) and writes the reason, such as the driver's error, to `why`. */
int cc_cuda_device_count(char *why, size_t why_len);

/* Properties of device `index`. Returns 0 on success, -1 with `err` filled otherwise. */
int cc_cuda_device_info(int index, cc_gpu_info *info, char *err, size_t err_len);

/* Where the GPU's cuBLAS comes from: opened at run time by the first GPU context, not at
 * start-up (kernels/cuda/cublas_library.cuh). 0 with the file in `where`, or -1 with why
 * (no CUDA in the build, or no cuBLAS to be found). Needs no GPU. */
int cc_cublas_location(char *where, size_t where_len, char *why, size_t why_len);

/* 1 when this build has cuDNN's convolutions (the GPU's `--conv cudnn`). */
int cc_cudnn_compiled(void);

/* The GPU's convolution path for `--conv auto`, from what an NVIDIA H200 measured
 * (bench/RESULTS.md, 2026-12-04, evening: the training step of the four standard
 * configurations and the patrol one, cuDNN with its workspace grant): "cudnn" when
 * `cudnn_built` and the math is TF32 (1.8-2.4x im2col + cuBLAS's step) or bf16 (1.9-2.6x);
 * "gemm" in FP32, with --deterministic on or off: there cuDNN's GEMM-family algorithms took
 * 1.16-1.23x the GEMM path's time, and the ones that beat it 2.2-4.1x were FFT or Winograd,
 * which cuDNN's path no longer takes (kernels/cuda/conv2d_cudnn.cu). `precision` is
 * "fp32", "tf32" or "bf16". */
const char *cc_gpu_auto_conv(const char *precision, int cudnn_built);

/* The ops' context for a --device choice ("auto", "cpu", "cuda" or "cuda:N"): the first
 * GPU (GPU N) with a fresh CUDA state (the ops' stream and library handles) in ctx->cuda,
 * or the CPU. Either way ctx->threads = `threads` (0: all): the CPU ops run on them, and
 * on a GPU the host work around the ops (the resident windows' tables, the recency maps,
 * host gathers); a GPU context with one thread built Chicago's 150 m tables in 13.5 s on
 * a 16-core H200 machine. "auto" takes the GPU when one is usable, else the CPU;
 * "cuda" without a usable GPU, or "cuda:N" without a GPU N, returns -1 with the reason
 * in `why`.
 * `conv` ("auto", "gemm", "cudnn" or "onednn") picks the convolutions: on the GPU im2col
 * + cuBLAS unless "cudnn" (a caller may then switch auto's to cuDNN: cc_gpu_auto_conv,
 * cc_backend_use_cudnn); on the CPU oneDNN (a cc_onednn object in ctx->onednn) for
 * "auto" and "onednn" when the build has it, im2col + GEMM otherwise or for "gemm". A
 * path named for the other kind of device is ignored; "cudnn" or "onednn" asked of the
 * device it applies to in a build without it returns -1. `precision` ("fp32", "tf32" or
 * "bf16") sets the convolutions' math: tf32 the GPU's tensor cores (ignored on the CPU),
 * bf16 bfloat16 inputs with FP32 sums: on the GPU im2col + cuBLAS on its tensor cores
 * (kernels/cuda/conv2d_bf16.cu), or cuDNN's bfloat16 convolutions with "cudnn"
 * (kernels/cuda/conv2d_cudnn.cu), on the CPU oneDNN (kernels/cpu/onednn.h;
 * -1 with "gemm" or where oneDNN has no bf16). Release with cc_close_backend. */
int cc_open_backend(const char *device, int threads, const char *conv, const char *precision, cc_ops_context *ctx,
                    char *why, size_t why_len);
void cc_close_backend(cc_ops_context *ctx);

/* Sends a GPU context's convolutions through cuDNN, starting it: 0, or -1 with why (not on
 * a GPU, no cuDNN in the build, or cuDNN did not start), the context unchanged. */
int cc_backend_use_cudnn(cc_ops_context *ctx, char *why, size_t why_len);

/* The convolutions' math a context runs: "fp32", "tf32" or "bf16". */
const char *cc_backend_precision_name(const cc_ops_context *ctx);

/* The convolution path a context runs: "gemm" (im2col + cuBLAS or OpenBLAS), "cudnn" or
 * "onednn". */
const char *cc_backend_conv_name(const cc_ops_context *ctx);

/* The context's matrix-product yardstick: cuBLAS's GEMM rate on its GPU in TFLOP/s (the
 * mean of `repeats` n x n x n products after two warm-ups) at `precision`: "fp32" (SGEMM),
 * "tf32" (SGEMM on TF32 tensor cores) or "bf16" (bfloat16 inputs, FP32 sums and output,
 * as the bf16 convolutions run); 0 on the CPU, where nothing is measured. */
double cc_backend_gemm_tflops(const cc_ops_context *ctx, int n, const char *precision, int repeats);

/* Bytes of device scratch a GPU context holds: the most any convolution so far borrowed
 * (im2col columns, cuDNN's workspace and timing runs); 0 on the CPU. */
double cc_backend_scratch_bytes(const cc_ops_context *ctx);

#endif
