/* host/mpi_world.h over MPI (-DCRIMECAST_MPI=ON). */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "host/mpi_launch.h"
#include "host/mpi_world.h"

/* A sum that every rank gets bit for bit alike: reduced onto rank 0 in MPI's order, then
 * broadcast (MPI_Allreduce may round differently on different ranks). */
static int sum(void *buffer, size_t n, MPI_Datatype type, int rank) {
    enum { CHUNK = 1 << 28 }; /* MPI counts are ints */
    size_t width = type == MPI_FLOAT ? sizeof(float) : sizeof(double);
    for (size_t at = 0; at < n; at += CHUNK) {
        int count = (int)(n - at < CHUNK ? n - at : CHUNK);
        char *part = (char *)buffer + at * width;
        if (MPI_Reduce(rank == 0 ? MPI_IN_PLACE : part, rank == 0 ? part : NULL, count, type, MPI_SUM, 0,
                       MPI_COMM_WORLD) != MPI_SUCCESS ||
            MPI_Bcast(part, count, type, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int sum_floats(void *self, float *x, size_t n) {
    return sum(x, n, MPI_FLOAT, ((cc_mpi_world *)self)->collective.rank);
}

static int sum_doubles(void *self, double *x, size_t n) {
    return sum(x, n, MPI_DOUBLE, ((cc_mpi_world *)self)->collective.rank);
}

static int broadcast(void *buffer, size_t n, MPI_Datatype type, int root) {
    enum { CHUNK = 1 << 28 };
    size_t width = type == MPI_FLOAT ? sizeof(float) : sizeof(double);
    for (size_t at = 0; at < n; at += CHUNK) {
        int count = (int)(n - at < CHUNK ? n - at : CHUNK);
        if (MPI_Bcast((char *)buffer + at * width, count, type, root, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    }
    return 0;
}

static int broadcast_floats(void *self, float *x, size_t n, int root) {
    (void)self;
    return broadcast(x, n, MPI_FLOAT, root);
}

static int broadcast_doubles(void *self, double *x, size_t n, int root) {
    (void)self;
    return broadcast(x, n, MPI_DOUBLE, root);
}

int cc_mpi_world_join(cc_mpi_world *w, char *err, size_t err_len) {
    memset(w, 0, sizeof *w);
    w->collective.size = 1;
    if (!cc_mpi_launched()) return 0;
    int rank = 0, size = 1;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS || MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS ||
        MPI_Comm_size(MPI_COMM_WORLD, &size) != MPI_SUCCESS) {
        snprintf(err, err_len, "MPI_Init failed");
        return -1;
    }
    w->joined = 1;
    w->collective = (cc_collective){rank, size, w, sum_floats, sum_doubles, broadcast_floats, broadcast_doubles};
    return 0;
}

void cc_mpi_world_leave(cc_mpi_world *w, int failed) {
    if (!w->joined) return;
    if (failed && w->collective.size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
    w->joined = 0;
}
