/* kernels/nccl.h over NCCL (built when CMake finds it: CRIMECAST_HAVE_NCCL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nccl.h>

#include "kernels/cuda/cuda_internal.cuh"
#include "kernels/nccl.h"

static_assert(sizeof(ncclUniqueId) == CC_NCCL_ID_BYTES, "cc_nccl_id must hold an ncclUniqueId");

struct cc_nccl {
    ncclComm_t comm;
    cudaStream_t stream;
    int device;
};

/* 0, or -1 with the call and NCCL's words for its failure in err. */
static int nccl_try(ncclResult_t result, const char *call, char *err, size_t err_len) {
    if (result == ncclSuccess) return 0;
    snprintf(err, err_len, "%s: %s", call, ncclGetErrorString(result));
    return -1;
}
#define CC_NCCL_TRY(call, err, err_len) nccl_try((call), #call, (err), (err_len))

extern "C" int cc_nccl_built(void) { return 1; }

extern "C" int cc_nccl_make_id(cc_nccl_id *id, char *err, size_t err_len) {
    ncclUniqueId unique;
    if (CC_NCCL_TRY(ncclGetUniqueId(&unique), err, err_len)) return -1;
    memcpy(id->bytes, &unique, sizeof unique);
    return 0;
}

extern "C" cc_nccl *cc_nccl_open(const cc_ops_context *ctx, const cc_nccl_id *id, int rank, int size, char *err,
                                 size_t err_len) {
    if (ctx->backend != CC_BACKEND_CUDA || !ctx->cuda) {
        snprintf(err, err_len, "NCCL sums GPU memory: the run is not on a GPU");
        return NULL;
    }
    cc_nccl *c = (cc_nccl *)calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of host memory for the NCCL communicator");
        return NULL;
    }
    c->stream = cc_stream(ctx), c->device = ctx->cuda->device;
    ncclUniqueId unique;
    memcpy(&unique, id->bytes, sizeof unique);
    /* the communicator belongs to the current device: the context's */
    if (CC_CUDA_TRY(cudaSetDevice(c->device), err, err_len) ||
        CC_NCCL_TRY(ncclCommInitRank(&c->comm, size, unique, rank), err, err_len)) {
        free(c);
        return NULL;
    }
    return c;
}

extern "C" int cc_nccl_sum_floats(cc_nccl *c, float *x, size_t n, char *err, size_t err_len) {
    if (n == 0) return 0;
    return CC_NCCL_TRY(ncclAllReduce(x, x, n, ncclFloat32, ncclSum, c->comm, c->stream), err, err_len) ? -1 : 0;
}

extern "C" void cc_nccl_close(cc_nccl *c) {
    if (!c) return;
    CC_CUDA_CHECK(cudaStreamSynchronize(c->stream));
    ncclResult_t destroyed = ncclCommDestroy(c->comm);
    if (destroyed != ncclSuccess) fprintf(stderr, "crimecast: ncclCommDestroy: %s\n", ncclGetErrorString(destroyed));
    free(c);
}
