/* Single-precision matrix product for the CPU ops, row-major:
 *   C[M][N] = alpha * op(A)[M][K] * op(B)[K][N] + beta * C
 * through OpenBLAS's cblas_sgemm when the build has it (CRIMECAST_HAVE_BLAS) and its
 * kernels passed the start-up check (kernels/cpu/gemm_choice.h: which kernels, why), else
 * a cache-blocked loop nest (also what compute-core builds with no BLAS at hand run). */
#ifndef CRIMECAST_KERNELS_CPU_GEMM_H
#define CRIMECAST_KERNELS_CPU_GEMM_H

#include "kernels/ops.h"

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc);

/* The loop nest alone (the fallback, and a second implementation for tests). */
void cc_cpu_sgemm_loops(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc);

/* The CPU's SGEMM rate as the convolutions use it, in GFLOP/s: every thread of ctx runs
 * its own single-threaded m x n x k product (A m x k times B k x n) `repeats` times after
 * one untimed run; the total FLOPs over the wall time. The yardstick of `bench train`. */
double cc_cpu_gemm_gflops(const cc_ops_context *ctx, int m, int n, int k, int repeats);

#endif
