/* Which SGEMM kernels the CPU ops run on, chosen once when the program starts.
 *
 * OpenBLAS (a DYNAMIC_ARCH build such as Debian's) picks its kernel set from a table of
 * CPU models when it loads, and only OPENBLAS_CORETYPE, read at load time, changes that
 * pick. A CPU the table does not know - a virtual machine that hides the model, a newer
 * server part - gets generic kernels: Prescott (SSE3) at a quarter of the AVX-512 speed,
 * or Haswell (AVX2) at half. crimecast asks the CPU's features instead of its model:
 *
 *   AVX-512 F, DQ, BW, VL and CD  ->  SkylakeX kernels
 *   AVX2 and FMA                  ->  Haswell kernels
 *
 * and when OpenBLAS's pick uses narrower vectors than the features allow (and
 * OPENBLAS_CORETYPE is unset) sets OPENBLAS_CORETYPE and executes the program again with
 * the same arguments. Older OpenBLAS builds are known to compute wrong results or die on
 * an illegal instruction with some kernel sets on newer CPUs, so whatever is loaded is
 * first checked in a forked child against a float64 reference GEMM (cc_gemm_check); a
 * set that fails (wrong or crashed) is dropped for the next one (the features' pick,
 * Haswell, OpenBLAS's own pick), and when every one fails the ops use the built-in loop
 * nest. The state of that search travels to the restarted program in the environment
 * variable CRIMECAST_GEMM_STATE.
 *
 * Fault injection for tests: CRIMECAST_GEMM_FAULT=<core>[:crash][,<core>...] makes the
 * check of those kernel sets fail with wrong results (or a crash of the checking child). */
#ifndef CRIMECAST_KERNELS_CPU_GEMM_CHOICE_H
#define CRIMECAST_KERNELS_CPU_GEMM_CHOICE_H

#include <stddef.h>

/* Row-major C = alpha op(A) op(B) + beta C, the signature of cc_cpu_sgemm. */
typedef void (*cc_sgemm_fn)(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                            const float *b, int ldb, float beta, float *c, int ldc);

/* The largest error of gemm against a float64 reference over fixed shapes (ragged sizes
 * around every register-block edge, a depth past OpenBLAS's K blocking, all four
 * transpose cases, alpha and beta not 1 and 0), each element's error relative to
 * sum_k |alpha a_ik b_kj| + |beta c_ij|. Float32 accumulation over these depths stays
 * below (k + 2) * 2^-24 < 3e-5 of that; a wrong kernel is off by O(1). */
double cc_gemm_check(cc_sgemm_fn gemm);
#define CC_GEMM_CHECK_LIMIT 1e-4

/* How wide the vectors of an OpenBLAS core type's SGEMM kernels are: 3 AVX-512, 2 AVX2 +
 * FMA, 1 older (SSE, AVX), 0 a name this table does not know (then it is left alone). */
int cc_gemm_core_rank(const char *core);

/* The core type the CPU's features ask for: "SkylakeX", "Haswell", or NULL. */
const char *cc_gemm_core_for_features(int avx512, int avx2_fma);

/* Where the search stands: OpenBLAS's own first pick, the sets that failed and how. */
typedef struct cc_gemm_search {
    char own[32];           /* OpenBLAS's own pick at the first start ("" until known) */
    int user;               /* OPENBLAS_CORETYPE was set by the user, not by crimecast */
    int failed_count;
    char failed[4][32];     /* core types that failed the check, in order */
    char failed_how[4][16]; /* "wrong", "crashed" or "hung" */
} cc_gemm_search;

/* The search state as the environment variable's value and back (0, or -1 on a value
 * that does not parse: then the search starts afresh). */
void cc_gemm_search_format(const cc_gemm_search *s, char *out, size_t out_len);
int cc_gemm_search_parse(const char *text, cc_gemm_search *s);

/* The next core type to try after `loaded` failed: the features' pick, then Haswell
 * (when the CPU has AVX2 and FMA), then OpenBLAS's own pick, skipping any that failed or
 * is `loaded`; NULL when none is left (the built-in loops then). */
const char *cc_gemm_next_core(const cc_gemm_search *s, const char *loaded, int avx512, int avx2_fma);

/* Whether to restart at once with the features' pick, before any check: only on the
 * first start, OPENBLAS_CORETYPE unset, and OpenBLAS's pick a known, narrower set. */
int cc_gemm_should_upgrade(const cc_gemm_search *s, int first_start, const char *loaded, int avx512, int avx2_fma);

/* Runs the search described above (call first in main; may not return: it executes the
 * program again). Without OpenBLAS in the build it only records that. */
void cc_cpu_gemm_choose(char **argv);

/* What cc_cpu_sgemm runs and why, for `crimecast info` (one line, no newline). */
const char *cc_cpu_gemm_choice(void);

/* Set by the search when every kernel set failed: cc_cpu_sgemm runs the loop nest. */
int cc_cpu_gemm_uses_loops(void);

#endif
