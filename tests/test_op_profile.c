/* kernels/op_profile.h on the CPU: every op routed through kernels/dispatch.c counted
 * once per call by its name, an op inside an op counted as the outer one, the times
 * measured (each within the wall time around the calls, and summing to no more than it),
 * longest first, and the ops' results the same with a profile attached as without. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <time.h>

#include <stdio.h>

#include "kernels/graph.h"
#include "kernels/op_profile.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The row of `op` in `times` (n rows), or fails. */
static const cc_op_time *row(const cc_op_time *times, int n, const char *op) {
    for (int k = 0; k < n; k++)
        if (!strcmp(times[k].op, op)) return &times[k];
    fail_msg("no row for %s", op);
    return NULL;
}

enum { N = 1 << 16 };
static float x[N], y[N];

static void test_counts_each_call_by_name(void **state) {
    (void)state;
    cc_ops_context ctx = {.backend = CC_BACKEND_CPU, .threads = 1};
    assert_non_null(ctx.profile = cc_op_profile_create());
    double began = now();
    for (int k = 0; k < 3; k++) cc_fill(&ctx, x, N, 0.5f);
    cc_fill(&ctx, y, N, 2.0f);
    for (int k = 0; k < 2; k++) cc_axpy(&ctx, N, 1.0f, x, y);
    double squares = cc_sum_squares(&ctx, y, N);
    /* y = 3 everywhere: the clip scales it to norm 1, after a sum of squares inside it */
    cc_clip_global_norm_in_place(&ctx, y, N, 1.0);
    cc_op_profile_collect(&ctx);
    double wall = now() - began;
    assert_true(fabs(squares - 9.0 * N) < 1e-6 * 9.0 * N);
    assert_true(fabs(y[0] - 3.0f / sqrtf(9.0f * N)) < 1e-6f);

    cc_op_time times[CC_OP_PROFILE_MOST];
    int n = cc_op_profile_times(ctx.profile, times, CC_OP_PROFILE_MOST);
    assert_int_equal(n, 4); /* fill, axpy, sum_squares, clip_global_norm_in_place */
    assert_int_equal(row(times, n, "fill")->calls, 4);
    assert_int_equal(row(times, n, "axpy")->calls, 2);
    assert_int_equal(row(times, n, "sum_squares")->calls, 1); /* the clip's own is the clip's */
    assert_int_equal(row(times, n, "clip_global_norm_in_place")->calls, 1);
    double sum = 0;
    for (int k = 0; k < n; k++) {
        assert_true(times[k].seconds > 0 && times[k].seconds <= wall);
        if (k) assert_true(times[k - 1].seconds >= times[k].seconds);
        sum += times[k].seconds;
    }
    assert_true(sum <= wall);

    assert_int_equal(cc_op_profile_times(ctx.profile, times, 2), 2); /* at most `most` */
    assert_int_equal(cc_op_profile_events(ctx.profile), 0);          /* no CUDA events on the CPU */
    cc_op_profile_reset(ctx.profile);
    assert_int_equal(cc_op_profile_times(ctx.profile, times, CC_OP_PROFILE_MOST), 0);
    cc_op_profile_free(ctx.profile);
}

/* The values ops return (losses, sums of squares) pass through a profile unchanged. */
static void test_values_unchanged(void **state) {
    (void)state;
    for (int k = 0; k < N; k++) x[k] = (float)(k % 7) * 0.25f, y[k] = (float)(k % 3);
    cc_ops_context plain = {.backend = CC_BACKEND_CPU, .threads = 1}, timed = plain;
    assert_non_null(timed.profile = cc_op_profile_create());
    float d_plain[64], d_timed[64];
    double a = cc_poisson_nll(&plain, x, y, NULL, 1, 64, d_plain), b = cc_poisson_nll(&timed, x, y, NULL, 1, 64, d_timed);
    assert_true(a == b);
    assert_memory_equal(d_plain, d_timed, sizeof d_plain);
    assert_true(cc_mse(&plain, x, y, NULL, 1, 64, d_plain) == cc_mse(&timed, x, y, NULL, 1, 64, d_timed));
    assert_true(cc_sum_squares(&plain, x, N) == cc_sum_squares(&timed, x, N));
    cc_op_time times[CC_OP_PROFILE_MOST];
    int n = cc_op_profile_times(timed.profile, times, CC_OP_PROFILE_MOST);
    assert_int_equal(n, 3);
    assert_int_equal(row(times, n, "poisson_nll")->calls, 1);
    cc_op_profile_free(timed.profile);
}

/* A context with a profile is never recorded into a CUDA graph (its events would be
 * recorded, not timed): kernels/graph.h refuses it, saying why, before any backend. */
static void test_graph_refuses_a_profiled_context(void **state) {
    (void)state;
    cc_ops_context ctx = {.backend = CC_BACKEND_CPU, .threads = 1};
    assert_non_null(ctx.profile = cc_op_profile_create());
    char why[256] = "";
    assert_null(cc_graph_record(&ctx, NULL, NULL, why, sizeof why));
    assert_non_null(strstr(why, "profile"));
    cc_op_profile_free(ctx.profile);
}

/* Past CC_OP_PROFILE_MOST names the last row takes the rest, named so. */
static void test_rows_beyond_the_table(void **state) {
    (void)state;
    cc_ops_context ctx = {.backend = CC_BACKEND_CPU, .threads = 1};
    assert_non_null(ctx.profile = cc_op_profile_create());
    static char names[CC_OP_PROFILE_MOST + 5][16];
    for (int k = 0; k < CC_OP_PROFILE_MOST + 5; k++) {
        snprintf(names[k], sizeof names[k], "op%d", k);
        cc_op_profile_begin(&ctx);
        cc_op_profile_end(&ctx, names[k]);
    }
    cc_op_time times[CC_OP_PROFILE_MOST];
    int n = cc_op_profile_times(ctx.profile, times, CC_OP_PROFILE_MOST);
    assert_int_equal(n, CC_OP_PROFILE_MOST);
    assert_int_equal(row(times, n, "(other ops)")->calls, 6); /* op63 and the 5 beyond */
    assert_int_equal(row(times, n, "op62")->calls, 1);
    cc_op_profile_free(ctx.profile);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_counts_each_call_by_name),
                                       cmocka_unit_test(test_values_unchanged),
                                       cmocka_unit_test(test_graph_refuses_a_profiled_context),
                                       cmocka_unit_test(test_rows_beyond_the_table)};
    return cmocka_run_group_tests_name("op_profile", tests, NULL, NULL);
}
