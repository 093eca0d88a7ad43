/* crimecast import: the command line of host/run_import.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_import.h"

int cc_cmd_import(int argc, char **argv) {
    cc_import_request r;
    int parsed = cc_options_read(&CC_IMPORT_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("import", cc_run_import(&r, stdout, err, sizeof err), err);
}
