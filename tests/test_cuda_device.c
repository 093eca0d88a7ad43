/* CUDA device discovery on a machine with a GPU. Without one (or in a build without
 * CUDA) the test exits 77 and ctest reports it skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kernels/device.h"

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

int main(void) {
    char why[512] = "";
    if (cc_cuda_device_count(why, sizeof why) == 0) {
        printf("SKIPPED: no usable CUDA device: %s\n", why);
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_device_reports_sane_properties)};
    return cmocka_run_group_tests_name("cuda_device", tests, NULL, NULL);
}
