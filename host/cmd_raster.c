/* crimecast raster: the command line of host/run_raster.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_raster.h"

int cc_cmd_raster(int argc, char **argv) {
    cc_raster_request r;
    int parsed = cc_options_read(&CC_RASTER_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("raster", cc_run_raster(&r, stdout, err, sizeof err), err);
}
