/* kernels/graph.h: the CUDA backend's graphs (kernels/cuda/graph.cu) where the build has
 * them; nothing to record on the CPU. */
#include "kernels/graph.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#endif

struct cc_graph {
    struct cc_cuda_graph *cuda;
};

cc_graph *cc_graph_record(const cc_ops_context *ctx, void (*record)(void *arg), void *arg, char *why, size_t why_len) {
    if (ctx->profile) { /* its events would be recorded into the graph, not timed */
        snprintf(why, why_len, "an op profile is attached: its ops are timed as they are called");
        return NULL;
    }
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA && ctx->cuda) {
        struct cc_cuda_graph *recorded = cc_cuda_graph_record(ctx, record, arg, why, why_len);
        cc_graph *g = recorded ? malloc(sizeof *g) : NULL;
        if (recorded && !g) {
            snprintf(why, why_len, "out of host memory for a CUDA graph");
            cc_cuda_graph_free(recorded);
        }
        if (g) g->cuda = recorded;
        return g;
    }
#endif
    (void)ctx, (void)record, (void)arg;
    snprintf(why, why_len, "the CPU's ops are not recorded: they run as they are called");
    return NULL;
}

int cc_graph_replay(const cc_ops_context *ctx, cc_graph *g) {
#ifdef CRIMECAST_HAVE_CUDA
    if (g && ctx->backend == CC_BACKEND_CUDA) return cc_cuda_graph_replay(ctx, g->cuda);
#endif
    (void)ctx, (void)g;
    return -1;
}

void cc_graph_free(cc_graph *g) {
    if (!g) return;
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_graph_free(g->cuda);
#endif
    free(g);
}
