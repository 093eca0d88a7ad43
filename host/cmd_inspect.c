/* crimecast inspect: the command line of host/run_inspect.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_inspect.h"

int cc_cmd_inspect(int argc, char **argv) {
    cc_inspect_cli r;
    int parsed = cc_options_read(&CC_INSPECT_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("inspect", cc_run_inspect(&r, stdout, err, sizeof err), err);
}
