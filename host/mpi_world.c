/* host/mpi_world.h over MPI (-DCRIMECAST_MPI=ON). */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "host/mpi_launch.h"
#include "host/mpi_world.h"
#include "kernels/nccl.h"

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

/* NCCL's communicator on ctx's GPU: rank 0 makes its id, MPI carries it to the others. */
static int use_device(void *self, const cc_ops_context *ctx, char *err, size_t err_len) {
    cc_mpi_world *w = self;
    if (w->nccl && w->nccl_device == ctx->cuda) return 0;
    cc_nccl_close(w->nccl);
    w->nccl = NULL;
    cc_nccl_id id;
    memset(&id, 0, sizeof id);
    int made = w->collective.rank == 0 ? cc_nccl_make_id(&id, err, err_len) : 0, all_made = made;
    /* every rank learns whether rank 0 has an id before any waits in NCCL for the others */
    if (MPI_Bcast(&all_made, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Bcast(id.bytes, CC_NCCL_ID_BYTES, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
        snprintf(err, err_len, "the NCCL id could not be sent (MPI)");
        return -1;
    }
    if (all_made != 0) {
        if (made == 0) snprintf(err, err_len, "rank 0 could not make an NCCL id");
        return -1;
    }
    w->nccl = cc_nccl_open(ctx, &id, w->collective.rank, w->collective.size, err, err_len);
    w->nccl_device = w->nccl ? ctx->cuda : NULL;
    return w->nccl ? 0 : -1;
}

static int sum_device_floats(void *self, float *x, size_t n) {
    cc_mpi_world *w = self;
    char err[512];
    if (!w->nccl) return -1;
    if (cc_nccl_sum_floats(w->nccl, x, n, err, sizeof err) == 0) return 0;
    fprintf(stderr, "crimecast: rank %d: %s\n", w->collective.rank, err);
    return -1;
}

/* This process's index among the ranks on its machine (the ranks that share memory), and their number. */
static int node_local_rank(int *local, int *local_size) {
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS) return -1;
    int ok = MPI_Comm_rank(node, local) == MPI_SUCCESS && MPI_Comm_size(node, local_size) == MPI_SUCCESS;
    MPI_Comm_free(&node);
    return ok ? 0 : -1;
}

int cc_mpi_world_join(cc_mpi_world *w, char *err, size_t err_len) {
    memset(w, 0, sizeof *w);
    w->collective.size = 1;
    if (!cc_mpi_launched()) return 0;
    int rank = 0, size = 1, local = 0, local_size = 1, provided = 0;
    /* FUNNELED: the main thread alone calls MPI, while OpenMP and the forest's threads run */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, err_len, "MPI_Init_thread failed");
        return -1;
    }
    w->joined = 1; /* from here cc_mpi_world_leave finalises (or aborts the job) */
    if (provided < MPI_THREAD_FUNNELED) {
        snprintf(err, err_len, "this MPI gives thread level %d, below the MPI_THREAD_FUNNELED crimecast's threads need",
                 provided);
        return -1;
    }
    if (MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS || MPI_Comm_size(MPI_COMM_WORLD, &size) != MPI_SUCCESS ||
        node_local_rank(&local, &local_size) != 0) {
        /* the job's size unknown, the others may wait in a collective for ever: end them all */
        fprintf(stderr, "crimecast: MPI could not say this process's rank (MPI_Comm_rank, _size or _split_type "
                "failed): aborting the job\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
        snprintf(err, err_len, "MPI could not say this process's rank");
        return -1;
    }
    w->collective = (cc_collective){rank,
                                    size,
                                    local,
                                    w,
                                    sum_floats,
                                    sum_doubles,
                                    broadcast_floats,
                                    broadcast_doubles,
                                    cc_nccl_built() ? use_device : NULL,
                                    sum_device_floats,
                                    local_size};
    return 0;
}

void cc_mpi_world_leave(cc_mpi_world *w, int failed) {
    if (!w->joined) return;
    if (failed && w->collective.size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    cc_nccl_close(w->nccl);
    w->nccl = NULL;
    MPI_Finalize();
    w->joined = 0;
}

int cc_mpi_world_built(char *out, size_t len) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int n = 0;
    MPI_Get_library_version(version, &n); /* callable before MPI_Init */
    version[strcspn(version, ",\n")] = 0;   /* "Open MPI v4.1.4, package: ..." */
    snprintf(out, len, "MPI (%s)", version);
    return 1;
}
