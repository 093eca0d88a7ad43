/* Where a step's time goes, op by op (`crimecast bench train --profile`, issue 29): a
 * profile attached to a context (ctx->profile) times every op kernels/dispatch.c routes,
 * by the op's name. On the CPU an op's time is its wall time (the ops are synchronous);
 * on a GPU it is the time between two CUDA events recorded on the context's stream around
 * the op, so it covers the op's kernels and any wait for the host inside it (cuDNN's or
 * cuBLAS's host work), measured once the device has run them (cc_op_profile_collect).
 * An op called inside another op (the CPU's clip calls sum_squares) counts as the outer.
 * Work outside the ops (copies, zeroing, a graph's replay) is not seen: a caller compares
 * the ops' sum with its own wall time. With no profile attached each op pays one branch.
 *
 * A context with a profile is not recorded into a CUDA graph (kernels/graph.h refuses it:
 * the events would be recorded, not timed); its steps run as they are called. One host
 * thread at a time, as the ops themselves. */
#ifndef CRIMECAST_KERNELS_OP_PROFILE_H
#define CRIMECAST_KERNELS_OP_PROFILE_H

#include "kernels/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CC_OP_PROFILE_MOST = 64 }; /* distinct op names kept; kernels/ops.h has about 30 */

typedef struct cc_op_time {
    const char *op; /* the op's name, as kernels/dispatch.c gives it ("conv2d_forward") */
    long calls;
    double seconds; /* in all, since the last reset */
} cc_op_time;

typedef struct cc_op_profile cc_op_profile;

/* A profile with nothing counted; NULL when out of memory. Free with cc_op_profile_free,
 * after a GPU context's last collect (it owns CUDA events). */
cc_op_profile *cc_op_profile_create(void);
void cc_op_profile_free(cc_op_profile *p);
/* Forgets what was counted (a GPU profile collects or drops its pending intervals first:
 * call cc_op_profile_collect before, to keep them). */
void cc_op_profile_reset(cc_op_profile *p);
/* Waits for ctx's device and adds the GPU intervals recorded since the last collect;
 * nothing to do on the CPU. ctx->profile must be set. */
void cc_op_profile_collect(const cc_ops_context *ctx);
/* The ops counted, longest total first, at most `most` of them: how many were written. */
int cc_op_profile_times(const cc_op_profile *p, cc_op_time *out, int most);

/* The CUDA events a GPU profile has made (0 on the CPU): two per op between collects,
 * reused after each (for tests). */
size_t cc_op_profile_events(const cc_op_profile *p);

/* kernels/dispatch.c's hooks around each op, when ctx->profile is set. */
void cc_op_profile_begin(const cc_ops_context *ctx);
void cc_op_profile_end(const cc_ops_context *ctx, const char *op);

#ifdef __cplusplus
}
#endif

#endif
