/* --threads N holds: a CPU op on a context of one thread starts no thread besides the
 * caller, counted in /proc/self/task. Its own program, so that no earlier test has
 * made OpenMP's pool already (a pool once made stays). oneDNN sized its convolutions for
 * every core when their primitives were made outside the thread limit, and ran each on a
 * team of all of them: --threads 1 kept a second core busy (fixed 2026-12-05). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "heatmaps/recency.h"
#include "heatmaps/sparse.h"
#include "kernels/cpu/onednn.h"
#include "kernels/ops.h"

static int threads_now(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

/* A convolution large enough that oneDNN splits it over the threads it is given. */
static void convolve(cc_onednn *onednn, int threads) {
    const cc_conv2d_shape s = {8, 16, 16, 32, 32, 3, 1, 1};
    cc_ops_context ctx = {CC_BACKEND_CPU, threads, NULL, 0};
    ctx.onednn = onednn;
    size_t nx = (size_t)8 * 16 * 32 * 32, nw = (size_t)16 * 16 * 9;
    float *x = calloc(nx, sizeof *x), *w = calloc(nw, sizeof *w), *y = calloc(nx, sizeof *y);
    ctx.workspace_floats = cc_conv2d_workspace_floats(&s);
    float *work = ctx.workspace = malloc(sizeof(float) * ctx.workspace_floats);
    assert_true(x && w && y && work);
    long ran_before, declined, ran;
    cc_onednn_counts(onednn, &ran_before, &declined);
    cc_conv2d_forward(&ctx, &s, x, w, NULL, 0.0f, y);
    cc_onednn_counts(onednn, &ran, &declined);
    assert_int_equal(ran, ran_before + 1); /* oneDNN ran it, not the fallback */
    free(x), free(w), free(y), free(work);
}

/* The recency maps of 2 channels over 3 bins of 4 cells (4 tasks: a team's worth). */
static void recency_maps(int threads) {
    enum { T = 3, C = 2, CELLS = 4 };
    cc_sparse_event e[6] = {{0 * CELLS + 1, 0.5f}, {1 * CELLS + 2, 1.0f}, {2 * CELLS + 3, 2.0f},
                            {3 * CELLS + 0, 0.1f}, {4 * CELLS + 1, 3.0f}, {5 * CELLS + 2, 0.2f}};
    cc_sparse s;
    assert_int_equal(cc_sparse_from_events(e, 6, T * C, CELLS, CC_RECENCY_MAPS, &s), 0);
    const double days[T] = {7, 7, 7};
    static float maps[T * CC_RECENCY_MAPS * C * CELLS];
    cc_sparse_recency_maps(&s, T, C, days, threads, maps);
    cc_sparse_free(&s);
}

/* Every op checked in one test: a pool once made stays, so the controls (two threads,
 * which must raise the count) come after every one-thread check. */
static void test_one_thread_stays_one(void **state) {
    (void)state;
    char why[256];
    cc_onednn *onednn = cc_onednn_create(0, why, sizeof why); /* NULL without oneDNN: its part skipped */
    if (!onednn) printf("oneDNN not checked: %s\n", why);
    int before = threads_now();
    recency_maps(1);
    for (int k = 0; onednn && k < 2; k++) convolve(onednn, 1);
    int after_one = threads_now();
    if (after_one != before) fail_msg("threads 1: %d threads before, %d after", before, after_one);
    if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) { /* the count sees a team: two threads make one */
        if (onednn) convolve(onednn, 2);
        else recency_maps(2);
        if (threads_now() <= before) fail_msg("threads 2: still %d threads: the count cannot tell", threads_now());
    }
    cc_onednn_destroy(onednn);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_one_thread_stays_one)};
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
