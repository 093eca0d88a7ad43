/* crimecast tune: the command line of host/run_tune.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_tune.h"

int cc_cmd_tune(int argc, char **argv) {
    cc_tune_request r;
    int parsed = cc_options_read(&CC_TUNE_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4400] = "";
    return cc_command_result("tune", cc_run_tune(&r, stdout, err, sizeof err), err);
}
