/* crimecast baseline: the command line of host/run_baseline.h. */
#include <stdio.h>
#include <stdlib.h>

#include "host/commands.h"
#include "host/run_baseline.h"
#include "host/shell_word.h"

int cc_cmd_baseline(int argc, char **argv) {
    cc_baseline_request r;
    int parsed = cc_options_read(&CC_BASELINE_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char method[64];
    snprintf(method, sizeof method, "--method %s", r.method);
    cc_options_warn_unused(&CC_BASELINE_SPEC, argc, argv, cc_baseline_uses, &r, method);
    char err[1024] = "";
    r.command = cc_command_line(argc, argv);
    int status = cc_command_result("baseline", cc_run_baseline(&r, stdout, err, sizeof err), err);
    free((char *)r.command);
    return status;
}
