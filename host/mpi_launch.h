/* Whether an MPI launcher (mpirun, mpiexec, srun) started this process: its environment
 * says so. Both builds ask it (host/mpi_world.h). */
#ifndef CRIMECAST_HOST_MPI_LAUNCH_H
#define CRIMECAST_HOST_MPI_LAUNCH_H

int cc_mpi_launched(void);

#endif
