/* Which ops a run gets, decided on the host (no GPU needed): --conv auto's path on a GPU
 * (kernels/device.h, cc_gpu_auto_conv: cuDNN for TF32 and bf16, im2col + cuBLAS for FP32
 * whatever the determinism, from an H200's measurements) and the CPU threads each rank
 * of an MPI job takes with --threads 0 (host/device_options.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/device_options.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"

static void test_auto_conv_on_a_gpu(void **state) {
    (void)state;
    assert_string_equal(cc_gpu_auto_conv("fp32", 1), "gemm"); /* cuDNN's faster FP32 algorithms were transforms */
    assert_string_equal(cc_gpu_auto_conv("tf32", 1), "cudnn");
    assert_string_equal(cc_gpu_auto_conv("bf16", 1), "cudnn");
    assert_string_equal(cc_gpu_auto_conv("fp32", 0), "gemm"); /* a build without cuDNN */
    assert_string_equal(cc_gpu_auto_conv("tf32", 0), "gemm");
    assert_string_equal(cc_gpu_auto_conv("bf16", 0), "gemm");
}

/* --cudnn-layout nhwc takes effect only through cuDNN in bf16 (the only copies it
 * describes); a CPU context asked for it runs as ever. */
static void test_cudnn_layout(void **state) {
    (void)state;
    assert_int_equal(cc_cudnn_channels_last("nhwc", 1, 1), 1);
    assert_int_equal(cc_cudnn_channels_last("nhwc", 0, 1), 0); /* the GEMM path */
    assert_int_equal(cc_cudnn_channels_last("nhwc", 1, 0), 0); /* FP32 or TF32 through cuDNN */
    assert_int_equal(cc_cudnn_channels_last("nchw", 1, 1), 0);
    assert_int_equal(cc_cudnn_channels_last(NULL, 1, 1), 0);
}

static void test_cudnn_layout_on_the_cpu(void **state) {
    (void)state;
    cc_device_request r = {.device = "cpu", .conv = "auto", .precision = "bf16", .cudnn_layout = "nhwc"};
    cc_ops_context ctx;
    char why[256];
    if (cc_device_open(&r, &ctx, why, sizeof why) != 0) {
        /* a CPU without bf16 convolutions: FP32, which opens everywhere */
        if (!strstr(why, "bf16") && !strstr(why, "bfloat16")) fail_msg("%s", why);
        r.precision = "fp32";
        if (cc_device_open(&r, &ctx, why, sizeof why) != 0) fail_msg("%s", why);
    }
    assert_int_equal(ctx.cudnn_nhwc, 0);
    cc_close_backend(&ctx);
}

/* The threads of a rank's context on the CPU: --threads N as given; 0 alone means all
 * (ctx->threads 0); 0 beside others on the machine their share of all, at least one. */
static void test_rank_threads(void **state) {
    (void)state;
    int all = cc_cpu_threads(&(cc_ops_context){.backend = CC_BACKEND_CPU, .threads = 0});
    const struct {
        int threads, local_size, want;
    } cases[] = {{3, 4, 3}, {0, 1, 0}, {0, 0, 0}, {0, 2, all / 2 > 0 ? all / 2 : 1}, {0, 1000, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cc_device_request r = {.device = "cpu", .conv = "auto", .precision = "fp32", .threads = cases[k].threads};
        cc_ops_context ctx;
        char why[256];
        if (cc_device_open_for_rank(&r, 1, cases[k].local_size, &ctx, why, sizeof why) != 0) fail_msg("%s", why);
        if (ctx.threads != cases[k].want)
            fail_msg("--threads %d, %d ranks here: %d threads, want %d", cases[k].threads, cases[k].local_size,
                     ctx.threads, cases[k].want);
        cc_close_backend(&ctx);
    }
}

/* 1 when a file whose name holds `part` is mapped into this process. */
static int mapped(const char *part) {
    FILE *maps = fopen("/proc/self/maps", "r");
    assert_non_null(maps);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps)) found = strstr(line, part) != NULL;
    fclose(maps);
    return found;
}

/* cuBLAS is not loaded with the program (0.16 s and 200 MiB at every start) but opened on
 * demand, from where info says; a build without CUDA says it has none. */
static void test_cublas_opened_on_demand(void **state) {
    (void)state;
    char where[512] = "x", why[1536] = "";
    assert_false(mapped("libcublas"));
    if (!cc_cuda_compiled()) {
        assert_int_equal(cc_cublas_location(where, sizeof where, why, sizeof why), -1);
        assert_string_equal(where, "");
        assert_non_null(strstr(why, "no CUDA"));
        return;
    }
    assert_int_equal(cc_cublas_location(where, sizeof where, why, sizeof why), 0);
    assert_non_null(strstr(where, "libcublas.so."));
    assert_int_equal(access(where, R_OK), 0);
    assert_true(mapped("libcublas"));
    assert_true(mapped("libcublasLt"));
}

int main(void) {
    /* first: the others may open a GPU context, which loads cuBLAS */
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cublas_opened_on_demand),
                                       cmocka_unit_test(test_auto_conv_on_a_gpu), cmocka_unit_test(test_rank_threads),
                                       cmocka_unit_test(test_cudnn_layout),
                                       cmocka_unit_test(test_cudnn_layout_on_the_cpu)};
    return cmocka_run_group_tests_name("device_choice", tests, NULL, NULL);
}
