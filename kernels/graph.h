/* Recording a run of ops once and replaying it: CUDA graphs.
 *
 * A training step queues a few hundred small launches; recorded once (stream capture)
 * and replayed, they cost one launch and no host work between them. What is recorded is
 * the ops' launches with their arguments: the same buffers, shapes and constants on every
 * replay, so what changes from step to step must live in device memory (the batch, which
 * is gathered into the same buffers before each replay, and a step's scalars: kernels/ops.h,
 * cc_step_scalars). The recorded ops must not synchronise, allocate or copy to the host,
 * and must have run once unrecorded first, so that the scratch they borrow has its size
 * (recording while it would grow ends the process, saying so). A replay after the scratch
 * moved (a larger convolution in between) is refused: record again.
 *
 * On the CPU nothing is recorded: the caller runs its function directly. */
#ifndef CRIMECAST_KERNELS_GRAPH_H
#define CRIMECAST_KERNELS_GRAPH_H

#include <stddef.h>

#include "kernels/ops.h"

typedef struct cc_graph cc_graph;

/* Records what record(arg) queues on ctx's stream, without running it. NULL, with why,
 * on the CPU or in a build without CUDA (run the function instead), for a context with
 * an op profile attached (kernels/op_profile.h), or when the recording failed. */
cc_graph *cc_graph_record(const cc_ops_context *ctx, void (*record)(void *arg), void *arg, char *why, size_t why_len);

/* Queues the recorded ops again on ctx's stream (no wait): 0, or -1, queuing nothing,
 * when the graph is stale (the scratch moved since it was recorded). */
int cc_graph_replay(const cc_ops_context *ctx, cc_graph *g);

/* Frees a graph (NULL is allowed). */
void cc_graph_free(cc_graph *g);

#endif
