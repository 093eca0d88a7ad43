/* The memory a training run holds, planned before anything is allocated, so that a run
 * that cannot fit stops at once with the figures instead of failing (or swapping) hours
 * later; at 150 m a 300 x 300 grid's activations grow by gigabytes per sample.
 *
 * Counted, in bytes (models/train.c, models/batch_io.c, kernels/cuda/conv2d.cu hold
 * them):
 *   tensor       counts [T][C][H][W] and, when the model reads them, the recency maps
 *                [T][R][C][H][W] and the covariates' input maps (at most [T][maps][H][W])
 *                (host)
 *   model        parameters P, gradients P, AdamW moments 2P, the best epoch's
 *                parameters and moments 3P (host); on a GPU its copy holds 4P more
 *   activations  one batch's forward states and their gradients (where the ops run)
 *   batches      one batch's inputs, targets, baseline, outputs and loss gradient
 *                (host; on a GPU, the device's copies too, and the host keeps only the
 *                outputs when the batches are assembled there: host_gather 0)
 *   workspace    the convolutions' im2col columns: one image per CPU thread, or the GPU's
 *                chunked scratch (at most 256 MiB, or one image's when that is more); on
 *                the CPU at least oneDNN's chunked copies (the same rule); through cuDNN
 *                at least CC_CUDNN_WORKSPACE_FLOATS, to which train adds the workspace it
 *                grants cuDNN from what its budget leaves (cc_cudnn_workspace_grant);
 *                through cuDNN in bfloat16 (CC_PLAN_BF16) also the bfloat16 copies of a
 *                call's operands and result, held beside its workspace (bf16_copies)
 *   program      the program, its libraries and the file readers' buffers, host: a fixed
 *                CC_PROGRAM_BYTES, measured (peak RSS less the rest: 0.18 GiB training
 *                Chicago at 64 x 64 and at 150 m on the CPU)
 * Not counted: the CUDA context and the libraries' own allocations (hundreds of MiB).
 * Resident windows (models/window_tables.h, cc_window_tables_bytes) are added to the plan
 * by train when it chooses them (--gather), and on a GPU it plans again with host_gather 0. */
#ifndef CRIMECAST_MODELS_MEMORY_PLAN_H
#define CRIMECAST_MODELS_MEMORY_PLAN_H

#include <stddef.h>

#include "models/convlstm.h"

#define CC_PROGRAM_BYTES (192.0 * 1024 * 1024)

typedef struct cc_train_memory {
    double tensor, model, activations, batches, workspace;   /* bytes, host and device together */
    double program;                                           /* host */
    double host, device;                                      /* where they lie: device 0 on the CPU */
    double bf16_copies;                                       /* of workspace: cuDNN's bfloat16 operands */
} cc_train_memory;

/* `on_gpu` of the plans below: where the ops run (CC_PLAN_WHERE of it), and CC_PLAN_BF16
 * or'ed in for --precision bf16 on a GPU. */
enum {
    CC_PLAN_CPU = 0,
    CC_PLAN_GPU = 1,
    CC_PLAN_GPU_CUDNN = 2, /* convolutions through cuDNN */
    CC_PLAN_WHERE = 3,
    CC_PLAN_BF16 = 4 /* cuDNN's path then rounds a whole call's operands into scratch */
};

/* The plan's `on_gpu` for the context a run's ops take: CC_PLAN_CPU, CC_PLAN_GPU, or
 * CC_PLAN_GPU_CUDNN (with CC_PLAN_BF16 when the math is bfloat16). */
int cc_plan_device(const cc_ops_context *ctx);

/* The plan of a run of `cfg` at `batch` on a tensor of T bins with R recency maps read
 * (0: none), on the GPU (on_gpu CC_PLAN_GPU, or CC_PLAN_GPU_CUDNN: its scratch then holds
 * cuDNN's workspace, CC_CUDNN_WORKSPACE_FLOATS, when that is more than the im2col columns,
 * and with CC_PLAN_BF16 the bfloat16 copies of its largest call beside it) or on the CPU
 * (CC_PLAN_CPU) with `threads` threads; host_gather 1 when
 * the host gathers each batch, 0 when the batches are assembled where the ops run
 * (resident windows: on a GPU the host then holds no inputs, targets or baseline). 0, or
 * -1 with err (the config refused). */
int cc_train_memory_plan(const cc_convlstm_config *cfg, int batch, int T, int R, int on_gpu, int host_gather,
                         int threads, cc_train_memory *out, char *err, size_t err_len);

/* The largest batch <= `batch` whose plan needs at most `budget` bytes where the work
 * runs (the device on a GPU, else the host); 0 when not even one sample fits. */
int cc_train_memory_largest_batch(const cc_convlstm_config *cfg, int batch, int T, int R, int on_gpu, int host_gather,
                                  int threads, double budget);

/* The workspace, in floats, that a run through cuDNN grants its algorithms (the context's
 * cudnn_workspace_floats, kernels/ops.h): the `reserved` bytes its plan holds for the
 * convolution scratch (at least CC_CUDNN_WORKSPACE_FLOATS) and half of what `budget`
 * leaves beyond the `planned` bytes on the device (the other half stays a margin for what
 * the plan does not count: the libraries' own memory, CUDA graphs),
 * at most CC_CUDNN_WORKSPACE_MAX_FLOATS (never under `reserved`). Without a budget (<= 0),
 * `reserved`. */
size_t cc_cudnn_workspace_grant(double reserved, double planned, double budget);

/* The bytes a plan reserves for cuDNN's own workspace: its scratch less the bfloat16
 * copies that lie beside the workspace (the `reserved` of cc_cudnn_workspace_grant). */
double cc_cudnn_workspace_reserved(const cc_train_memory *plan);

#endif
