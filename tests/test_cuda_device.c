/* CUDA device discovery and staged uploads on a machine with a GPU. Without one (or in a build without
 * CUDA) the test exits 77 and ctest reports it skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/buffer.h"
#include "kernels/device.h"
#include "kernels/op_profile.h"

static void test_every_device_reports_sane_properties(void **state) {
    (void)state;
    char why[512];
    int count = cc_cuda_device_count(why, sizeof why);
    assert_true(count > 0);
    for (int i = 0; i < count; i++) {
        cc_gpu_info gpu;
        char err[512];
        if (cc_cuda_device_info(i, &gpu, err, sizeof err) != 0) fail_msg("device %d: %s", i, err);
        assert_true(strlen(gpu.name) > 0);
        assert_true(gpu.total_memory_bytes >= (size_t)1 << 30);
        assert_true(gpu.compute_major >= 5 && gpu.compute_major <= 20);
        assert_true(gpu.compute_minor >= 0 && gpu.compute_minor <= 9);
        assert_true(gpu.multiprocessors > 0);
    }
    cc_gpu_info gpu;
    char err[512];
    assert_int_equal(cc_cuda_device_info(count, &gpu, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
}

/* Staging for uploads: page-locked on a GPU, and copies started from its two halves in
 * turn (as the resident windows' build does, models/window_tables.c) arrive whole once
 * waited for, each half refilled only after the wait. */
static void test_staged_uploads_arrive_whole(void **state) {
    (void)state;
    cc_ops_context ctx;
    char why[512];
    if (cc_open_backend("cuda", 1, "auto", "fp32", &ctx, why, sizeof why) != 0) fail_msg("%s", why);
    struct cc_cuda_state *gpu = cc_ops_device(&ctx);
    enum { HALF = 1 << 20, CHUNKS = 5 };
    cc_staging staging;
    cc_staging_alloc(&staging, gpu, sizeof(float) * 2 * HALF);
    assert_non_null(staging.data);
    assert_int_equal(staging.pinned, 1);
    float *on_gpu = cc_buffer_alloc(gpu, sizeof(float) * HALF * CHUNKS), *back = malloc(sizeof(float) * HALF * CHUNKS);
    assert_non_null(back);
    for (int c = 0, k = 0; c < CHUNKS; c++, k ^= 1) {
        float *half = (float *)staging.data + (size_t)k * HALF;
        for (int i = 0; i < HALF; i++) half[i] = (float)(c * HALF + i);
        cc_buffer_wait(gpu);
        cc_buffer_upload_start(gpu, on_gpu + (size_t)c * HALF, half, sizeof(float) * HALF);
    }
    cc_buffer_wait(gpu);
    cc_buffer_download(gpu, back, on_gpu, sizeof(float) * HALF * CHUNKS);
    for (size_t i = 0; i < (size_t)HALF * CHUNKS; i++)
        if (back[i] != (float)i) fail_msg("element %zu: %g, want %g", i, back[i], (double)i);
    cc_staging_free(&staging);
    assert_null(staging.data);
    cc_buffer_free(gpu, on_gpu);
    free(back);
    cc_close_backend(&ctx);
}

/* A GPU context keeps the CPU threads it was opened with, for the host work around the
 * ops (the resident windows' tables, host gathers: kernels/device.h), while the CUDA ops
 * size their host workspace for one. Until 2026-12-04 it kept one, and Chicago's 150 m
 * tables took 13.5 s on a 16-core machine. */
static void test_gpu_context_keeps_the_cpu_threads(void **state) {
    (void)state;
    char why[512];
    const int asked[] = {3, 0};
    for (size_t k = 0; k < sizeof asked / sizeof asked[0]; k++) {
        cc_ops_context ctx;
        if (cc_open_backend("cuda", asked[k], "auto", "fp32", &ctx, why, sizeof why) != 0) fail_msg("%s", why);
        assert_int_equal(ctx.backend, CC_BACKEND_CUDA);
        assert_int_equal(ctx.threads, asked[k]);
        assert_int_equal(cc_ops_threads(&ctx), 1);
        cc_close_backend(&ctx);
    }
}

/* An op profile on a GPU (kernels/op_profile.h): each op counted by name, its time taken
 * between CUDA events once collected, every time positive and their sum within the wall
 * time around the calls; the events are reused after a collect. */
static void test_gpu_op_profile(void **state) {
    (void)state;
    cc_ops_context ctx;
    char why[512];
    if (cc_open_backend("cuda", 1, "gemm", "fp32", &ctx, why, sizeof why) != 0) fail_msg("%s", why);
    struct cc_cuda_state *gpu = cc_ops_device(&ctx);
    enum { N = 1 << 24 };
    float *x = cc_buffer_alloc(gpu, sizeof(float) * N), *y = cc_buffer_alloc(gpu, sizeof(float) * N);
    assert_non_null(ctx.profile = cc_op_profile_create());
    for (int round = 0; round < 2; round++) {
        cc_op_profile_reset(ctx.profile);
        cc_ops_synchronize(&ctx);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cc_fill(&ctx, x, N, 1.0f);
        cc_fill(&ctx, y, N, 2.0f);
        for (int k = 0; k < 3; k++) cc_axpy(&ctx, N, 0.5f, x, y);
        cc_op_profile_collect(&ctx); /* waits for the device */
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        cc_op_time times[CC_OP_PROFILE_MOST];
        int n = cc_op_profile_times(ctx.profile, times, CC_OP_PROFILE_MOST);
        assert_int_equal(n, 2);
        double sum = 0;
        for (int k = 0; k < n; k++) {
            assert_int_equal(times[k].calls, !strcmp(times[k].op, "axpy") ? 3 : 2);
            assert_true(times[k].seconds > 0);
            sum += times[k].seconds;
        }
        if (sum > wall) fail_msg("the ops' %g s exceed the wall time's %g s", sum, wall);
        assert_int_equal(cc_op_profile_events(ctx.profile), 2 * 5); /* the second round reused the first's */
    }
    float back;
    cc_buffer_download(gpu, &back, y, sizeof back);
    assert_true(back == 3.5f); /* 2 + 3 x 0.5: the profile changed nothing */
    cc_op_profile_free(ctx.profile);
    cc_buffer_free(gpu, x);
    cc_buffer_free(gpu, y);
    cc_close_backend(&ctx);
}

int main(void) {
    char why[512] = "";
    if (cc_cuda_device_count(why, sizeof why) == 0) {
        printf("SKIPPED: no usable CUDA device: %s\n", why);
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_device_reports_sane_properties),
                                       cmocka_unit_test(test_staged_uploads_arrive_whole),
                                       cmocka_unit_test(test_gpu_context_keeps_the_cpu_threads),
                                       cmocka_unit_test(test_gpu_op_profile)};
    return cmocka_run_group_tests_name("cuda_device", tests, NULL, NULL);
}
