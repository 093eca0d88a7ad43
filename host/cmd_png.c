/* crimecast png: the command line of host/run_png.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_png.h"

int cc_cmd_png(int argc, char **argv) {
    cc_png_request r;
    int parsed = cc_options_read(&CC_PNG_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4096] = "";
    return cc_command_result("png", cc_run_png(&r, stdout, err, sizeof err), err);
}
