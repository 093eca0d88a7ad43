/* Backend discovery: which compute backends this build has, and which GPUs exist.
 *
 * The CPU backend is always built. The CUDA backend is built when CMake found nvcc
 * (CRIMECAST_CUDA=AUTO|ON); a CUDA build still runs, CPU-only, on a machine with no
 * GPU or no driver, and says why no device is usable. */
#ifndef CRIMECAST_HOST_DEVICE_H
#define CRIMECAST_HOST_DEVICE_H

#include <stddef.h>

typedef struct cc_gpu_info {
    char name[256];
    size_t total_memory_bytes;
    int compute_major, compute_minor;
    int multiprocessors;
} cc_gpu_info;

/* 1 when this build contains the CUDA backend. */
int cc_cuda_compiled(void);

/* Number of usable CUDA devices. Returns 0 when there are none (or the build has no
 * CUDA) and writes the reason, such as the driver's error, to `why`. */
int cc_cuda_device_count(char *why, size_t why_len);

/* Properties of device `index`. Returns 0 on success, -1 with `err` filled otherwise. */
int cc_cuda_device_info(int index, cc_gpu_info *info, char *err, size_t err_len);

/* The ops' context for a --device choice ("auto", "cpu" or "cuda"): the first GPU with a
 * fresh CUDA state (the ops' stream and library handles) in ctx->cuda, or the CPU with
 * `threads`. "auto" takes the GPU when one is usable, else the CPU; "cuda" without a
 * usable GPU, or `cudnn` in a build without cuDNN, returns -1 with the reason in `why`.
 * `cudnn` and `tf32` set the GPU's convolution path and math (ops.h). Release with
 * cc_close_backend. */
#include "kernels/ops.h"
int cc_open_backend(const char *device, int threads, int cudnn, int tf32, cc_ops_context *ctx, char *why,
                    size_t why_len);
/* What is wrong with a --device (auto|cpu|cuda) and --conv (gemm|cudnn) choice, or NULL. */
const char *cc_backend_choice_error(const char *device, const char *conv);
void cc_close_backend(cc_ops_context *ctx);

#endif
