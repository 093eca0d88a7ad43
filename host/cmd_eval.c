/* crimecast eval: the command line of host/run_eval.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_eval.h"

int cc_cmd_eval(int argc, char **argv) {
    cc_eval_request r;
    int parsed = cc_options_read(&CC_EVAL_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("eval", cc_run_eval(&r, stdout, NULL, err, sizeof err), err);
}
