/* The crimecast binary: everything lives in libcrimecast; main only dispatches. */
#include "host/cli.h"
#include "kernels/cpu/gemm_choice.h"

int main(int argc, char **argv) {
    cc_cpu_gemm_choose(argv); /* OpenBLAS kernels from the CPU features, checked: see gemm_choice.h */
    return cc_main(argc, argv);
}
