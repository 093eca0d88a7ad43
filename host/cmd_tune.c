/* crimecast tune: the command line of host/run_tune.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/mpi_world.h"
#include "host/run_tune.h"

int cc_cmd_tune(int argc, char **argv) {
    cc_tune_request r;
    int parsed = cc_options_read(&CC_TUNE_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4400] = "";
    cc_mpi_world world; /* under mpirun: the candidates spread over the ranks */
    if (cc_mpi_world_join(&world, err, sizeof err) != 0) return cc_command_result("tune", -1, err);
    r.collective = cc_mpi_world_collective(&world);
    FILE *out = r.collective && r.collective->rank != 0 ? fopen("/dev/null", "w") : stdout;
    int status = cc_run_tune(&r, out ? out : stdout, err, sizeof err);
    if (out && out != stdout) fclose(out);
    int code = cc_command_result("tune", status, err);
    cc_mpi_world_leave(&world, status != 0);
    return code;
}
