/* crimecast predict: the command line of host/run_predict.h. */
#include <stdio.h>
#include <stdlib.h>

#include "host/commands.h"
#include "host/run_predict.h"
#include "host/shell_word.h"

int cc_cmd_predict(int argc, char **argv) {
    cc_predict_request r;
    int parsed = cc_options_read(&CC_PREDICT_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    r.command = cc_command_line(argc, argv);
    int status = cc_command_result("predict", cc_run_predict(&r, stdout, err, sizeof err), err);
    free((char *)r.command);
    return status;
}
