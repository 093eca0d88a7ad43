/* Single-precision matrix product for the CPU ops, row-major:
 *   C[M][N] = alpha * op(A)[M][K] * op(B)[K][N] + beta * C
 * through OpenBLAS's cblas_sgemm when the build has it (CRIMECAST_HAVE_BLAS), else a
 * cache-blocked loop nest (for compute-core builds with no BLAS at hand). */
#ifndef CRIMECAST_KERNELS_CPU_GEMM_H
#define CRIMECAST_KERNELS_CPU_GEMM_H

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc);

/* What multiplies: "OpenBLAS (<its kernels>)" or "built-in loops". */
const char *cc_cpu_gemm_name(void);

/* OpenBLAS (a DYNAMIC_ARCH build such as Debian's) picks its kernels from a table of CPU
 * models when it loads; a CPU it does not know - a virtual machine that hides the model -
 * gets the generic Prescott (SSE3) kernels, half the speed of the AVX2 + FMA ones the CPU
 * has. Only OPENBLAS_CORETYPE, read at load time, changes the choice, so when that
 * happened (and the variable is unset) this sets OPENBLAS_CORETYPE=Haswell and executes
 * the program again with the same arguments. Returns only when nothing needs doing or
 * the restart failed (then the run goes on with the slow kernels). Call first in main. */
void cc_cpu_gemm_restart_if_slow(char **argv);

#endif
