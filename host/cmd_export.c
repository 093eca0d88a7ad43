/* crimecast export: the command line of host/run_export.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_export.h"

int cc_cmd_export(int argc, char **argv) {
    cc_export_request r;
    int parsed = cc_options_read(&CC_EXPORT_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4096] = "";
    return cc_command_result("export", cc_run_export(&r, stdout, err, sizeof err), err);
}
