/* crimecast predict: the command line of host/run_predict.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_predict.h"

int cc_cmd_predict(int argc, char **argv) {
    cc_predict_request r;
    int parsed = cc_options_read(&CC_PREDICT_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("predict", cc_run_predict(&r, stdout, err, sizeof err), err);
}
