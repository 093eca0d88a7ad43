/* CUDA graphs behind kernels/graph.h: stream capture of the recorded ops on the state's
 * stream (thread-local mode: another thread's CUDA calls do not spoil it), instantiated
 * once, launched on every replay. */
#include <stdlib.h>

#include "kernels/cuda/cuda_internal.cuh"

struct cc_cuda_graph {
    cudaGraphExec_t exec;
    unsigned long scratch_moves; /* the state's count when recorded: the scratch address it holds */
};

extern "C" struct cc_cuda_graph *cc_cuda_graph_record(const cc_ops_context *ctx, void (*record)(void *), void *arg,
                                                      char *why, size_t why_len) {
    struct cc_cuda_state *st = ctx->cuda;
    if (CC_CUDA_TRY(cudaStreamBeginCapture(st->stream, cudaStreamCaptureModeThreadLocal), why, why_len)) return NULL;
    unsigned long moves = st->scratch_moves;
    record(arg);
    cudaGraph_t graph = NULL;
    if (CC_CUDA_TRY(cudaStreamEndCapture(st->stream, &graph), why, why_len)) return NULL;
    cudaGraphExec_t exec = NULL;
    int failed = CC_CUDA_TRY(cudaGraphInstantiate(&exec, graph, 0), why, why_len);
    CC_CUDA_CHECK(cudaGraphDestroy(graph));
    if (failed) return NULL;
    struct cc_cuda_graph *g = (struct cc_cuda_graph *)malloc(sizeof *g);
    if (!g) {
        snprintf(why, why_len, "out of host memory for a CUDA graph");
        CC_CUDA_CHECK(cudaGraphExecDestroy(exec));
        return NULL;
    }
    g->exec = exec, g->scratch_moves = moves;
    return g;
}

extern "C" int cc_cuda_graph_replay(const cc_ops_context *ctx, struct cc_cuda_graph *g) {
    if (!g || g->scratch_moves != ctx->cuda->scratch_moves) return -1;
    CC_CUDA_CHECK(cudaGraphLaunch(g->exec, ctx->cuda->stream));
    return 0;
}

extern "C" void cc_cuda_graph_free(struct cc_cuda_graph *g) {
    if (!g) return;
    CC_CUDA_CHECK(cudaGraphExecDestroy(g->exec));
    free(g);
}
