/* The crimecast binary: everything lives in libcrimecast; main only dispatches. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/cli.h"
#include "host/ctrl_c.h"
#include "kernels/cpu/gemm_choice.h"

/* What went to stdout (eval --json, inspect --json, info, a table) is the command's
 * output as much as a file is: a full disk, a file-size limit or a closed descriptor
 * that cut it is a failed run (exit 1, said), not a success with half a JSON. */
static int standard_output_written(int status) {
    errno = 0;
    int flushed = fflush(stdout) == 0;
    if (flushed && !ferror(stdout)) return status;
    fprintf(stderr, "crimecast: standard output was not written whole (%s)\n",
            !flushed && errno ? strerror(errno) : "a write to it failed");
    return status != 0 ? status : 1;
}

int main(int argc, char **argv) {
    /* Line-buffered even into a file or pipe: a long train's epoch lines reach `tail -f` and
     * a scheduler's log as they happen, not when the buffer fills or the run ends. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    cc_remove_temporaries_on_signals(); /* Ctrl-C or kill leaves no NAME.tmp-PID: see ctrl_c.h */
    /* OpenBLAS kernels from the CPU features, checked (gemm_choice.h): for the commands
     * that use them (a png or an import waits on no GEMM check, nor hangs in one) */
    if (cc_command_uses_cpu_gemm(argc, argv)) cc_cpu_gemm_choose(argv);
    int status = cc_main(argc, argv);
    return standard_output_written(status);
}
