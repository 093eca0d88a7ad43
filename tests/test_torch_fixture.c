/* crimecast's CPU ConvLSTM against an independent PyTorch implementation: the fixture
 * (tests/fixtures/convlstm_fixture.h5, made by make_convlstm_fixture.py beside it in
 * float64) holds weights, inputs, targets and mask, the outputs, the masked Poisson
 * loss and every parameter's gradient. Forward and backward must agree to a relative
 * error of 1e-4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/hdf5_util.h"
#include "models/convlstm.h"

static double relative_error(const float *got, const float *want, size_t n) {
    double diff = 0, scale = 1e-30;
    for (size_t k = 0; k < n; k++) {
        diff = fmax(diff, fabs((double)got[k] - want[k]));
        scale = fmax(scale, fabs((double)want[k]));
    }
    return diff / scale;
}

static int read_int(hid_t f, const char *name) {
    long long v = 0;
    assert_int_equal(cc_hdf5_read_int(f, name, &v), 0);
    return (int)v;
}

static void test_matches_pytorch(void **state) {
    (void)state;
    hid_t f = H5Fopen(CRIMECAST_FIXTURES "/convlstm_fixture.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    cc_convlstm_config cfg = {0};
    int layers = 0;
    cfg.channels = read_int(f, "channels"), cfg.height = read_int(f, "height"), cfg.width = read_int(f, "width");
    cfg.layers = read_int(f, "layers"), cfg.kernel = read_int(f, "kernel"), cfg.window = read_int(f, "window");
    cfg.horizon = read_int(f, "horizon"), cfg.peephole = read_int(f, "peephole"), cfg.down = 1;
    assert_int_equal(cc_hdf5_read_ints(f, "hidden", cfg.hidden, CC_MAX_LAYERS, &layers), 0);
    int batch = read_int(f, "batch");
    double want_loss;
    assert_int_equal(cc_hdf5_read_double(f, "loss", &want_loss), 0);

    cc_convlstm m;
    char err[256];
    assert_int_equal(cc_convlstm_create(&m, &cfg, batch, 1, err, sizeof err), 0);
    for (int i = 0; i < m.params.count; i++) {
        char name[128];
        snprintf(name, sizeof name, "/params/%s", m.params.entries[i].name);
        if (cc_hdf5_read_dataset(f, name, H5T_NATIVE_FLOAT, m.params.entries[i].count,
                                 cc_arena_at(&m.params, m.params.entries[i].offset)) != 0)
            fail_msg("fixture has no %s", name);
    }
    size_t map = (size_t)cfg.channels * cfg.height * cfg.width * batch;
    size_t nx = map * cfg.window, ny = map * cfg.horizon;
    float *x = malloc(sizeof(float) * nx), *target = malloc(sizeof(float) * ny), *want = malloc(sizeof(float) * ny);
    float *out = malloc(sizeof(float) * ny), *d = malloc(sizeof(float) * ny);
    uint8_t *mask = malloc((size_t)cfg.height * cfg.width);
    assert_int_equal(cc_hdf5_read_dataset(f, "/x", H5T_NATIVE_FLOAT, nx, x), 0);
    assert_int_equal(cc_hdf5_read_dataset(f, "/target", H5T_NATIVE_FLOAT, ny, target), 0);
    assert_int_equal(cc_hdf5_read_dataset(f, "/out", H5T_NATIVE_FLOAT, ny, want), 0);
    assert_int_equal(cc_hdf5_read_dataset(f, "/mask", H5T_NATIVE_UINT8, (size_t)cfg.height * cfg.width, mask), 0);

    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    cc_convlstm_forward(&m, &ctx, x, out);
    double out_error = relative_error(out, want, ny);
    double loss = cc_poisson_nll(&ctx, out, target, mask, cfg.horizon * batch * cfg.channels,
                                 cfg.height * cfg.width, d);
    printf("outputs: relative error %.3g; loss %.8f vs PyTorch %.8f\n", out_error, loss, want_loss);
    assert_true(out_error <= 1e-4);
    assert_true(fabs(loss - want_loss) <= 1e-4 * fabs(want_loss));

    cc_arena_zero(&m.grads);
    cc_convlstm_backward(&m, &ctx, x, d);
    for (int i = 0; i < m.grads.count; i++) {
        const cc_arena_entry *e = &m.grads.entries[i];
        char name[128];
        snprintf(name, sizeof name, "/grads/%s", e->name);
        float *ref = malloc(sizeof(float) * e->count);
        assert_int_equal(cc_hdf5_read_dataset(f, name, H5T_NATIVE_FLOAT, e->count, ref), 0);
        double error = relative_error(cc_arena_at(&m.grads, e->offset), ref, e->count);
        if (error > 1e-4) fail_msg("%s: gradient differs from PyTorch by %.3g relative", e->name, error);
        free(ref);
    }
    H5Fclose(f);
    free(x), free(target), free(want), free(out), free(d), free(mask);
    cc_convlstm_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_pytorch)};
    return cmocka_run_group_tests_name("torch_fixture", tests, NULL, NULL);
}
