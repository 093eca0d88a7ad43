/* crimecast demo: the command line of host/run_demo.h. */
#include <stdio.h>
#include <stdlib.h>

#include "host/commands.h"
#include "host/run_demo.h"
#include "host/shell_word.h"

int cc_cmd_demo(int argc, char **argv) {
    cc_demo_request r;
    int parsed = cc_options_read(&CC_DEMO_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4096] = "";
    r.command = cc_command_line(argc, argv);
    int status = cc_command_result("demo", cc_run_demo(&r, stdout, err, sizeof err), err);
    free((char *)r.command);
    return status;
}
