/* The crimecast binary: everything lives in libcrimecast; main only dispatches. */
#include "host/cli.h"
#include "kernels/cpu/gemm.h"

int main(int argc, char **argv) {
    cc_cpu_gemm_restart_if_slow(argv); /* OpenBLAS's generic kernels on an unknown CPU: see gemm.h */
    return cc_main(argc, argv);
}
