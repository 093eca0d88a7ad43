#include "kernels/cpu/gemm.h"

#ifdef CRIMECAST_HAVE_BLAS
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *cc_cpu_gemm_name(void) {
    static char name[96];
    snprintf(name, sizeof name, "OpenBLAS (%s kernels)", openblas_get_corename());
    return name;
}

void cc_cpu_gemm_restart_if_slow(char **argv) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (getenv("OPENBLAS_CORETYPE") || strcasecmp(openblas_get_corename(), "prescott") != 0) return;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    /* Started through the dynamic loader (ld-linux.so crimecast ...), /proc/self/exe is the
     * loader, which would take argv[1] for the program: no restart then. */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = 0;
    const char *base = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
    if (!strncmp(base, "ld-", 3) || !strncmp(base, "ld.so", 5)) return;
    if (setenv("OPENBLAS_CORETYPE", "Haswell", 1) != 0) return;
    execv(self, argv);
#else
    (void)argv;
#endif
}

/* Threads come from OpenMP over images (see conv2d.c): OpenBLAS itself runs each product
 * on the calling thread (openblas_set_num_threads(1), set once). */
static void single_threaded_blas(void) { openblas_set_num_threads(1); }

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                  const float *b, int ldb, float beta, float *c, int ldc) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, single_threaded_blas);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n,
                k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#else

const char *cc_cpu_gemm_name(void) { return "built-in loops"; }
void cc_cpu_gemm_restart_if_slow(char **argv) { (void)argv; }

enum { BLOCK = 64 };

static float element(const float *x, int ld, int trans, int row, int col) {
    return trans ? x[(long)col * ld + row] : x[(long)row * ld + col];
}

void cc_cpu_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
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

#endif
