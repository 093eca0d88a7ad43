/* Where the ops run, as train, predict, bench and demo take it: --device, --conv,
 * --precision (--tf32), --cudnn-layout, --deterministic, --graph and --threads, one group of option rows (host/options.h) that each command's table
 * includes, and the backend it opens. */
#ifndef CRIMECAST_HOST_DEVICE_OPTIONS_H
#define CRIMECAST_HOST_DEVICE_OPTIONS_H

#include <stddef.h>

#include "host/options.h"
#include "kernels/ops.h"

typedef struct cc_device_request {
    const char *device;  /* auto, cpu or cuda */
    const char *conv;    /* auto, gemm, cudnn (GPU) or onednn (CPU): the convolutions */
    const char *precision; /* fp32, tf32 (GPU) or bf16: the convolutions' math */
    const char *cudnn_layout; /* nchw or nhwc: cuDNN's bf16 copies (GPU, --precision bf16) */
    const char *deterministic; /* on, or off: cuDNN may pick any algorithm (GPU, --conv cudnn) */
    const char *graph;   /* on: training steps replayed as CUDA graphs (GPU), off */
    int tf32;            /* --tf32: an alias of --precision tf32 */
    int threads;         /* CPU threads, 0: all */
} cc_device_request;

enum { CC_DEVICE_OPTION_COUNT = 8 };
extern const cc_option CC_DEVICE_OPTIONS[CC_DEVICE_OPTION_COUNT];

/* The group of a request struct whose member `field` is a cc_device_request. */
#define CC_DEVICE_GROUP(type, field) {"device", CC_DEVICE_OPTIONS, CC_DEVICE_OPTION_COUNT, offsetof(type, field)}

/* Whether cuDNN's bfloat16 copies go channels last (ctx->cudnn_nhwc): --cudnn-layout nhwc
 * (`layout`, NULL meaning the default nchw) on a context whose convolutions run through
 * cuDNN (`conv_cudnn`) in bf16 (`bf16`); every other path has no copies of that kind. */
int cc_cudnn_channels_last(const char *layout, int conv_cudnn, int bf16);

/* The pairs of device options that cannot go together, known from the command line (a
 * usage error, exit 2, in every command that takes them). 0, or -1 with why. */
int cc_device_request_check(const cc_device_request *request, char *why, size_t why_len);

/* The ops' context the request asks for (kernels/device.h, cc_open_backend). 0, or -1
 * with why ("--device cuda: ..."). Release with cc_close_backend. */
int cc_device_open(const cc_device_request *request, cc_ops_context *ctx, char *why, size_t why_len);

/* Says on stderr which of the options given the opened device does not read: on the CPU
 * the GPU's (--conv cudnn, --cudnn-layout nhwc, --deterministic off, --graph off, TF32),
 * and a --threads past OpenMP's OMP_THREAD_LIMIT (bench, train and predict took them
 * without a word; a probe). Values other than the defaults are taken as given. */
void cc_device_note_unread(const cc_device_request *request, const cc_ops_context *ctx);

/* The same for the process of node-local index `local_rank` of `local_size` in an MPI job:
 * on a GPU (--device cuda, or auto where there is one), GPU local_rank mod the GPUs there
 * are, so that the ranks of a machine spread over its GPUs; with --threads 0 (all) each
 * rank takes its share of the machine's CPU threads (at least one), on a GPU as on the CPU
 * (the host work beside a GPU's ops: kernels/device.h). Alone (local_size 0 or 1) it is
 * cc_device_open. */
int cc_device_open_for_rank(const cc_device_request *request, int local_rank, int local_size, cc_ops_context *ctx, char *why,
                            size_t why_len);

#endif
