/* Single-precision matrix product for the CPU ops, row-major:
 *   C[M][N] = alpha * op(A)[M][K] * op(B)[K][N] + beta * C
 * through OpenBLAS's cblas_sgemm when the build has it (CRIMECAST_HAVE_BLAS), else a
 * cache-blocked loop nest (for compute-core builds with no BLAS at hand). */
#ifndef CRIMECAST_KERNELS_CPU_GEMM_H
#define CRIMECAST_KERNELS_CPU_GEMM_H

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc);

#endif
