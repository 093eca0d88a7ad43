/* host/mpi_world.h without MPI (-DCRIMECAST_MPI=OFF): always one process. */
#include <stdio.h>
#include <string.h>

#include "host/mpi_launch.h"
#include "host/mpi_world.h"

int cc_mpi_world_join(cc_mpi_world *w, char *err, size_t err_len) {
    memset(w, 0, sizeof *w);
    w->collective.size = 1;
    if (!cc_mpi_launched()) return 0;
    snprintf(err, err_len, "started by an MPI launcher, but this crimecast was built without MPI (cmake "
             "-DCRIMECAST_MPI=ON): each process would train alone into the same file");
    return -1;
}

void cc_mpi_world_leave(cc_mpi_world *w, int failed) {
    (void)w, (void)failed;
}

int cc_mpi_world_built(char *out, size_t len) {
    snprintf(out, len, "none (built without MPI: cmake -DCRIMECAST_MPI=ON)");
    return 0;
}
