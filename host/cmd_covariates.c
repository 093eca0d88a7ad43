/* crimecast covariates: the command line of host/run_covariates.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_covariates.h"

int cc_cmd_covariates(int argc, char **argv) {
    cc_covariates_request r;
    int parsed = cc_options_read(&CC_COVARIATES_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4096] = "";
    return cc_command_result("covariates", cc_run_covariates(&r, stdout, err, sizeof err), err);
}
