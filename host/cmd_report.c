/* crimecast report: the command line of host/run_report.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_report.h"

int cc_cmd_report(int argc, char **argv) {
    cc_report_request r;
    int parsed = cc_options_read(&CC_REPORT_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4096] = "";
    return cc_command_result("report", cc_run_report(&r, stdout, err, sizeof err), err);
}
