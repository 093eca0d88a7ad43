/* crimecast crawl: the command line of host/run_crawl.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_crawl.h"

int cc_cmd_crawl(int argc, char **argv) {
    cc_crawl_request r;
    int parsed = cc_options_read(&CC_CRAWL_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[16384] = ""; /* an interrupted crawl's message holds a command with its paths */
    return cc_command_result("crawl", cc_run_crawl(&r, stdout, err, sizeof err), err);
}
