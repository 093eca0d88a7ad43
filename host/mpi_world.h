/* The processes of an MPI job (`mpirun -np N crimecast train ...`): joined when this
 * process was started by an MPI launcher (mpirun, mpiexec, srun: their environment says
 * so), else one process and no MPI at all, so every other command and a plain `crimecast
 * train` never touch MPI. Built from host/mpi_world.c with -DCRIMECAST_MPI=ON, else from
 * host/mpi_single.c, which refuses a launch by mpirun rather than let N copies train
 * alone into one file. */
#ifndef CRIMECAST_HOST_MPI_WORLD_H
#define CRIMECAST_HOST_MPI_WORLD_H

#include <stddef.h>

#include "models/collective.h"

typedef struct cc_mpi_world {
    int joined;                 /* MPI initialised (the launcher started several or one) */
    cc_collective collective;   /* rank and size (0 and 1 when not joined); host sums, and
                                 * GPU sums over NCCL once use_device has joined them */
    struct cc_nccl *nccl;       /* the GPU communicator, or NULL */
    const void *nccl_device;    /* the CUDA state it was opened on */
} cc_mpi_world;

/* Joins the job when launched by MPI. 0, or -1 with err. */
int cc_mpi_world_join(cc_mpi_world *w, char *err, size_t err_len);

/* The sums of a data-parallel run, or NULL for a single process. */
static inline const cc_collective *cc_mpi_world_collective(const cc_mpi_world *w) {
    return w->joined && w->collective.size > 1 ? &w->collective : NULL;
}

/* What the build has for jobs of several processes, for crimecast info: "MPI (<library
 * version>)" and 1, or "none (...)" and 0 in a build without MPI. */
int cc_mpi_world_built(char *out, size_t len);

/* Leaves the job: MPI_Finalize, or when `failed` and there are other ranks, MPI_Abort so
 * that they stop too (the launcher then exits non-zero). */
void cc_mpi_world_leave(cc_mpi_world *w, int failed);

#endif
