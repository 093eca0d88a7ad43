/* crimecast bench: the command line of host/run_bench.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_bench.h"

int cc_cmd_bench(int argc, char **argv) {
    cc_bench_request r;
    int parsed = cc_options_read(&CC_BENCH_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("bench", cc_run_bench(&r, stdout, err, sizeof err), err);
}
