/* crimecast synth: the command line of host/run_synth.h. */
#include <stdio.h>
#include <stdlib.h>

#include "host/commands.h"
#include "host/run_synth.h"
#include "host/shell_word.h"

int cc_cmd_synth(int argc, char **argv) {
    cc_synth_request r;
    int parsed = cc_options_read(&CC_SYNTH_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[2048] = "";
    r.command = cc_command_line(argc, argv);
    int status = cc_command_result("synth", cc_run_synth(&r, stdout, err, sizeof err), err);
    free((char *)r.command);
    return status;
}
