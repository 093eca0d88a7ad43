/* Sums across the processes of a data-parallel training run (`mpirun -np N crimecast
 * train`, models/train.h): an interface implemented above this layer (host/mpi_world.c,
 * over MPI, and NCCL for GPU memory), so that models/ needs neither. Where there is one
 * process it is NULL. */
#ifndef CRIMECAST_MODELS_COLLECTIVE_H
#define CRIMECAST_MODELS_COLLECTIVE_H

#include <stddef.h>

#include "kernels/ops.h"

typedef struct cc_collective {
    int rank, size;             /* this process, and how many there are */
    int local_rank;             /* this process among those on its machine: its GPU's index */
    void *self;
    /* x[0..n) (host memory) = the sum over the ranks of each rank's x, bit for bit the
     * same on every rank. 0, or -1 (the run cannot go on). */
    int (*sum_floats)(void *self, float *x, size_t n);
    int (*sum_doubles)(void *self, double *x, size_t n);
    /* x[0..n) (host memory) = rank `root`'s x on every rank. 0, or -1. */
    int (*broadcast_floats)(void *self, float *x, size_t n, int root);
    int (*broadcast_doubles)(void *self, double *x, size_t n, int root);
    /* On a GPU: joins the ranks' GPU communicator on the device and stream of `ctx` (every
     * rank calls it, once per context); afterwards sum_device_floats sums x[0..n) in that
     * GPU's memory, queued on the context's stream (kernels/nccl.h). 0, or -1 with err.
     * NULL where the job has no GPU sums (a build without NCCL). */
    int (*use_device)(void *self, const cc_ops_context *ctx, char *err, size_t err_len);
    int (*sum_device_floats)(void *self, float *x, size_t n);
    int local_size; /* the processes on this machine (0 read as 1): they share its CPU threads */
} cc_collective;

/* Rank r's share of a batch of n samples: [*first, *first + *count), the ranks' shares
 * in rank order covering the batch (sizes differ by at most one). */
static inline void cc_collective_share(const cc_collective *c, int n, int *first, int *count) {
    int r = c ? c->rank : 0, size = c ? c->size : 1;
    *first = (int)((long)n * r / size);
    *count = (int)((long)n * (r + 1) / size) - *first;
}

#endif
