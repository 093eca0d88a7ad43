/* Whether an MPI launcher (mpirun, mpiexec, srun) started this process: its environment
 * says so. Both builds ask it (host/mpi_world.h). */
#ifndef CRIMECAST_HOST_MPI_LAUNCH_H
#define CRIMECAST_HOST_MPI_LAUNCH_H

int cc_mpi_launched(void);

/* How many processes the launcher started, as its environment says (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE); 0 when it does not say (not launched, or a PMIx launcher). */
int cc_mpi_launched_size(void);

#endif
