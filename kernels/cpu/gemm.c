/* kernels/cpu/gemm.h. The kernel set behind OpenBLAS is chosen, and checked, once at
 * the start of the program (kernels/cpu/gemm_choice.h); when every set failed the
 * check, the loop nest below runs instead. */
#include "kernels/cpu/gemm.h"

#include <stdlib.h>
#include <time.h>

#include "kernels/cpu/gemm_choice.h"
#include "kernels/cpu/threads.h"

enum { BLOCK = 64 };

static float element(const float *x, int ld, int trans, int row, int col) {
    return trans ? x[(long)col * ld + row] : x[(long)row * ld + col];
}

void cc_cpu_sgemm_loops(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0 ? 0 : beta * c[(long)i * ldc + j];
    for (int i0 = 0; i0 < m; i0 += BLOCK)
        for (int p0 = 0; p0 < k; p0 += BLOCK)
            for (int i = i0; i < m && i < i0 + BLOCK; i++)
                for (int p = p0; p < k && p < p0 + BLOCK; p++) {
                    float s = alpha * element(a, lda, trans_a, i, p);
                    float *row = c + (long)i * ldc;
                    for (int j = 0; j < n; j++) row[j] += s * element(b, ldb, trans_b, p, j);
                }
}

#ifdef CRIMECAST_HAVE_BLAS
#include <cblas.h>
#include <pthread.h>

/* Threads come from OpenMP over images (see conv2d.c): OpenBLAS itself runs each product
 * on the calling thread (openblas_set_num_threads(1), set once). */
static void single_threaded_blas(void) { openblas_set_num_threads(1); }

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc) {
    if (cc_cpu_gemm_uses_loops()) {
        cc_cpu_sgemm_loops(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, single_threaded_blas);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n,
                k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#else

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc) {
    cc_cpu_sgemm_loops(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#endif

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double cc_cpu_gemm_gflops(const cc_ops_context *ctx, int m, int n, int k, int repeats) {
    int threads = cc_cpu_threads(ctx), failed = 0;
    double start = 0, elapsed = 0;
    CC_PARALLEL(ctx) {
        float *a = malloc(sizeof *a * (size_t)m * k), *b = malloc(sizeof *b * (size_t)k * n);
        float *c = malloc(sizeof *c * (size_t)m * n);
        if (!a || !b || !c) failed = 1; /* any thread: the figure is not given */
        for (size_t q = 0; a && q < (size_t)m * k; q++) a[q] = (float)(q % 13) * 0.01f;
        for (size_t q = 0; b && q < (size_t)k * n; q++) b[q] = (float)(q % 7) * 0.01f;
        if (a && b && c) cc_cpu_sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
#ifdef _OPENMP
#pragma omp barrier
#pragma omp single
#endif
        start = seconds_now();
        for (int r = 0; r < repeats && a && b && c; r++) cc_cpu_sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
#ifdef _OPENMP
#pragma omp barrier
#pragma omp single
#endif
        elapsed = seconds_now() - start;
        free(a), free(b), free(c);
    }
    return failed || elapsed <= 0 ? 0 : 2.0 * m * n * k * repeats * threads / elapsed * 1e-9;
}
