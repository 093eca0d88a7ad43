/* host/mpi_world.h: whether an MPI launcher started this process (both builds). */
#include <stdlib.h>

#include "host/mpi_world.h"

int cc_mpi_launched(void) {
    /* Open MPI's mpirun; MPICH's Hydra and Slurm's srun (PMI); PMIx launchers */
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

const cc_collective *cc_mpi_world_collective(const cc_mpi_world *w) {
    return w->joined && w->collective.size > 1 ? &w->collective : NULL;
}
