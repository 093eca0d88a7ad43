/* The crimecast binary: everything lives in libcrimecast; main only dispatches. */
#include <stdio.h>

#include "host/cli.h"
#include "host/ctrl_c.h"
#include "kernels/cpu/gemm_choice.h"

int main(int argc, char **argv) {
    /* Line-buffered even into a file or pipe: a long train's epoch lines reach `tail -f` and
     * a scheduler's log as they happen, not when the buffer fills or the run ends. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    cc_remove_temporaries_on_signals(); /* Ctrl-C or kill leaves no NAME.tmp-PID: see ctrl_c.h */
    /* OpenBLAS kernels from the CPU features, checked (gemm_choice.h): for the commands
     * that use them (a png or an import waits on no GEMM check, nor hangs in one) */
    if (cc_command_uses_cpu_gemm(argc, argv)) cc_cpu_gemm_choose(argv);
    return cc_main(argc, argv);
}
