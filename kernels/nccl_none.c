/* kernels/nccl.h in a build without NCCL (no CUDA backend, or CMake found no NCCL). */
#include "kernels/nccl.h"

#include <stdio.h>

static const char *const NO_NCCL = "this build has no NCCL (the CUDA toolkit's, or -DNCCL_ROOT; kernels/README.md)";

int cc_nccl_built(void) { return 0; }

int cc_nccl_make_id(cc_nccl_id *id, char *err, size_t err_len) {
    (void)id;
    snprintf(err, err_len, "%s", NO_NCCL);
    return -1;
}

cc_nccl *cc_nccl_open(const cc_ops_context *ctx, const cc_nccl_id *id, int rank, int size, char *err,
                      size_t err_len) {
    (void)ctx, (void)id, (void)rank, (void)size;
    snprintf(err, err_len, "%s", NO_NCCL);
    return NULL;
}

int cc_nccl_sum_floats(cc_nccl *comm, float *x, size_t n, char *err, size_t err_len) {
    (void)comm, (void)x, (void)n;
    snprintf(err, err_len, "%s", NO_NCCL);
    return -1;
}

void cc_nccl_close(cc_nccl *comm) { (void)comm; }
