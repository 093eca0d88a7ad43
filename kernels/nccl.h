/* Sums of float arrays in GPU memory across the processes of a job, through NCCL: the
 * GPU side of data-parallel training (models/collective.h), one process per GPU, the
 * gradient arena summed where it lies instead of through the host.
 *
 * NCCL's communicator needs one id made by one process and handed to all the others (by
 * MPI, host/mpi_world.c); each process then opens the communicator on the GPU of its ops
 * context, and the sums run on that context's stream, ordered with the ops queued there.
 * A ring all-reduce ends with every rank copying the same reduced values, so every rank
 * gets the same bits, and the same job on the same GPUs gets the same bits every run.
 *
 * Built with the CUDA backend when CMake finds NCCL (kernels/cuda/nccl.cu); otherwise
 * (kernels/nccl_none.c) cc_nccl_built is 0 and the rest refuses with a reason. */
#ifndef CRIMECAST_KERNELS_NCCL_H
#define CRIMECAST_KERNELS_NCCL_H

#include <stddef.h>

#include "kernels/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CC_NCCL_ID_BYTES = 128 }; /* sizeof(ncclUniqueId) */

typedef struct cc_nccl_id {
    unsigned char bytes[CC_NCCL_ID_BYTES];
} cc_nccl_id;

typedef struct cc_nccl cc_nccl; /* a communicator on one context's GPU and stream */

/* 1 when this build has NCCL. */
int cc_nccl_built(void);

/* A new communicator's id, made by one process (rank 0) and sent to the others. 0, or -1
 * with err. */
int cc_nccl_make_id(cc_nccl_id *id, char *err, size_t err_len);

/* Joins communicator `id` as rank `rank` of `size`, on the GPU and stream of `ctx` (a
 * CUDA context). Every rank must call it; it returns when all have. NULL with err when
 * the context is not on a GPU, or NCCL cannot set up. */
cc_nccl *cc_nccl_open(const cc_ops_context *ctx, const cc_nccl_id *id, int rank, int size, char *err,
                      size_t err_len);

/* x[0..n) (device memory of the communicator's GPU) = the sum over the ranks of each
 * rank's x, queued on the context's stream (the ops after it see the sum). 0, or -1 with
 * err (another rank failed or left: the run cannot go on). */
int cc_nccl_sum_floats(cc_nccl *comm, float *x, size_t n, char *err, size_t err_len);

/* Frees the communicator after its queued work; NULL is allowed. */
void cc_nccl_close(cc_nccl *comm);

#ifdef __cplusplus
}
#endif

#endif
