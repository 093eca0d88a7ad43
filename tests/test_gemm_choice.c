/* kernels/cpu/gemm_choice.h: the check against a float64 reference passes the GEMMs the
 * CPU ops run (OpenBLAS's loaded kernels where built, and the loop nest) and fails
 * GEMMs broken in the ways a wrong kernel set breaks (an edge block dropped, beta
 * or alpha ignored, the depth cut short, NaN); the core-type table, the order of fallbacks and
 * the search state's text follow the rules written in the header. The search in a real
 * process (fork, exec, fault injection) is tested through `crimecast info` in
 * cli_test.py. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_choice.h"

static void test_real_gemms_pass(void **state) {
    (void)state;
    double loops = cc_gemm_check(cc_cpu_sgemm_loops), used = cc_gemm_check(cc_cpu_sgemm);
    assert_true(loops <= CC_GEMM_CHECK_LIMIT);
    assert_true(used <= CC_GEMM_CHECK_LIMIT);
    /* float32 sums of at most 400 terms of size 1: well inside (k + 2) 2^-24 */
    assert_true(loops < 400 * ldexp(1, -24));
}

/* A kernel set whose edge handling drops the last row of every M block past 64. */
static void gemm_drops_edge_row(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                                const float *b, int ldb, float beta, float *c, int ldc) {
    cc_cpu_sgemm_loops(ta, tb, m > 64 ? m - 1 : m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void gemm_ignores_beta(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                              const float *b, int ldb, float beta, float *c, int ldc) {
    (void)beta;
    cc_cpu_sgemm_loops(ta, tb, m, n, k, alpha, a, lda, b, ldb, 0.0f, c, ldc);
}

static void gemm_ignores_alpha(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                               const float *b, int ldb, float beta, float *c, int ldc) {
    (void)alpha;
    cc_cpu_sgemm_loops(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

static void gemm_short_depth(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                             const float *b, int ldb, float beta, float *c, int ldc) {
    cc_cpu_sgemm_loops(ta, tb, m, n, k > 384 ? 384 : k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void gemm_nan(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                     int ldb, float beta, float *c, int ldc) {
    cc_cpu_sgemm_loops(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[(size_t)(m - 1) * ldc + n - 1] = NAN;
}

static void test_broken_gemms_fail(void **state) {
    (void)state;
    assert_true(cc_gemm_check(gemm_drops_edge_row) > 1e-2);
    assert_true(cc_gemm_check(gemm_ignores_beta) > 1e-2);
    assert_true(cc_gemm_check(gemm_short_depth) > 1e-3);
    assert_false(cc_gemm_check(gemm_nan) <= CC_GEMM_CHECK_LIMIT);
    assert_true(cc_gemm_check(gemm_ignores_alpha) > 1e-2);
}

static void test_core_ranks_and_features(void **state) {
    (void)state;
    assert_int_equal(cc_gemm_core_rank("SkylakeX"), 3);
    assert_int_equal(cc_gemm_core_rank("cooperlake"), 3);
    assert_int_equal(cc_gemm_core_rank("Haswell"), 2);
    assert_int_equal(cc_gemm_core_rank("Zen"), 2);
    assert_int_equal(cc_gemm_core_rank("Prescott"), 1);
    assert_int_equal(cc_gemm_core_rank("Sandybridge"), 1);
    assert_int_equal(cc_gemm_core_rank("NeoverseN1"), 0); /* unknown: left alone */
    assert_string_equal(cc_gemm_core_for_features(1, 1), "SkylakeX");
    assert_string_equal(cc_gemm_core_for_features(0, 1), "Haswell");
    assert_null(cc_gemm_core_for_features(0, 0));
}

static void test_upgrade_rule(void **state) {
    (void)state;
    cc_gemm_search s = {.own = "Prescott"};
    assert_true(cc_gemm_should_upgrade(&s, 1, "Prescott", 1, 1));  /* AVX-512 CPU, SSE3 kernels */
    assert_true(cc_gemm_should_upgrade(&s, 1, "Haswell", 1, 1));   /* AVX-512 CPU, AVX2 kernels */
    assert_false(cc_gemm_should_upgrade(&s, 1, "SkylakeX", 1, 1)); /* already the widest */
    assert_false(cc_gemm_should_upgrade(&s, 1, "Zen", 0, 1));      /* AVX2 CPU, AVX2 kernels */
    assert_true(cc_gemm_should_upgrade(&s, 1, "Prescott", 0, 1));
    assert_false(cc_gemm_should_upgrade(&s, 1, "Prescott", 0, 0)); /* nothing wider to ask for */
    assert_false(cc_gemm_should_upgrade(&s, 0, "Prescott", 1, 1)); /* restarted already */
    assert_false(cc_gemm_should_upgrade(&s, 1, "NeoverseN1", 1, 1));
    s.user = 1; /* OPENBLAS_CORETYPE set by the user is obeyed */
    assert_false(cc_gemm_should_upgrade(&s, 1, "Prescott", 1, 1));
}

static void test_fallback_order(void **state) {
    (void)state;
    cc_gemm_search s = {.own = "Prescott"};
    /* upgraded to SkylakeX, which failed: Haswell next, then OpenBLAS's own pick, then none */
    s.failed_count = 1;
    strcpy(s.failed[0], "SkylakeX");
    assert_string_equal(cc_gemm_next_core(&s, "SkylakeX", 1, 1), "Haswell");
    strcpy(s.failed[1], "Haswell");
    s.failed_count = 2;
    assert_string_equal(cc_gemm_next_core(&s, "Haswell", 1, 1), "Prescott");
    strcpy(s.failed[2], "Prescott");
    s.failed_count = 3;
    assert_null(cc_gemm_next_core(&s, "Prescott", 1, 1));
    /* OpenBLAS's own pick failed on the first start: the features' pick first */
    cc_gemm_search t = {.own = "SkylakeX", .failed_count = 1, .failed = {"SkylakeX"}};
    assert_string_equal(cc_gemm_next_core(&t, "SkylakeX", 1, 1), "Haswell");
    cc_gemm_search u = {.own = "Zen", .failed_count = 1, .failed = {"Zen"}};
    assert_string_equal(cc_gemm_next_core(&u, "Zen", 0, 1), "Haswell");
    cc_gemm_search v = {.own = "Prescott", .failed_count = 1, .failed = {"Prescott"}};
    assert_null(cc_gemm_next_core(&v, "Prescott", 0, 0));
}

static void test_state_text(void **state) {
    (void)state;
    cc_gemm_search s = {.own = "Prescott", .user = 0, .failed_count = 2, .failed = {"SkylakeX", "Haswell"},
                        .failed_how = {"wrong", "crashed"}}, back;
    char text[256];
    cc_gemm_search_format(&s, text, sizeof text);
    assert_string_equal(text, "own=Prescott;user=0;failed=SkylakeX:wrong,Haswell:crashed");
    assert_int_equal(cc_gemm_search_parse(text, &back), 0);
    assert_memory_equal(&s, &back, sizeof s);
    assert_int_equal(cc_gemm_search_parse("own=SkylakeX;user=1;failed=", &back), 0);
    assert_string_equal(back.own, "SkylakeX");
    assert_int_equal(back.user, 1);
    assert_int_equal(back.failed_count, 0);
    const char *bad[] = {"", "own=X", "own=X;user=2;failed=", "own=X;user=0;failed=Y", "own=X;user=0;fail=",
                         "own=X;user=0;failed=A:w,B:w,C:w,D:w,E:w",
                         "own=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;user=0;failed="};
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) assert_int_equal(cc_gemm_search_parse(bad[q], &back), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_gemms_pass),  cmocka_unit_test(test_broken_gemms_fail),
        cmocka_unit_test(test_core_ranks_and_features), cmocka_unit_test(test_upgrade_rule),
        cmocka_unit_test(test_fallback_order),   cmocka_unit_test(test_state_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
