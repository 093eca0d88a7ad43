/* crimecast bench: the command line of host/run_bench.h. */
#include <stdio.h>
#include <string.h>

#include "host/commands.h"
#include "host/run_bench.h"

/* --features shapes the convlstm-ae alone (--down 2 or 4): named when given to the
 * ConvLSTM, as train names another model's options (it was taken without a word). */
static int shape_uses(const cc_option *row, const void *request) {
    const cc_bench_request *r = request;
    return strcmp(row->name, "features") != 0 || strcmp(r->down, "1") != 0;
}

int cc_cmd_bench(int argc, char **argv) {
    cc_bench_request r;
    int parsed = cc_options_read(&CC_BENCH_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    cc_options_warn_unused(&CC_BENCH_SPEC, argc, argv, shape_uses, &r,
                           "--down 1 (the ConvLSTM; --down 2|4: convlstm-ae)");
    char err[1024] = "";
    return cc_command_result("bench", cc_run_bench(&r, stdout, err, sizeof err), err);
}
