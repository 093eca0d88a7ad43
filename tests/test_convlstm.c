/* The whole ConvLSTM encoder-forecaster: every parameter's gradient and every input's
 * (cc_convlstm_backward_input, the saliency of `inspect`) against central finite
 * differences of L = sum(a * y), and forward_parts' split y = network + skip, for one
 * and two layers, with and without peepholes, kernel 3 and 1, and the convlstm-ae
 * (strided encoder and transposed-convolution decoder around it, down 2 and 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/convlstm.h"
#include "models/dataset.h"
#include "models/rng.h"

static unsigned state = 777u;

static float uniform(void) {
    return (float)cc_lcg_uniform(&state) * 2.0f - 1.0f;
}

typedef struct fixture {
    cc_convlstm m;
    cc_ops_context ctx;
    float *x, *y, *a;
    size_t nx, ny;
} fixture;

/* Whether an activation entry is a ReLU's output: ST-ResNet's st.<branch>.a<k>, .c<k>. */
static int st_relu_output(const char *name) {
    const char *dot = strrchr(name, '.');
    return !strncmp(name, "st.", 3) && dot && (dot[1] == 'a' || dot[1] == 'c') && dot[2] >= '0' && dot[2] <= '9';
}

/* Which ReLUs of the convlstm-ae (or ST-ResNet) are on: a hash of the signs of their outputs. */
static uint64_t relu_pattern(const cc_convlstm *m) {
    uint64_t h = 1469598103934665603ULL;
    for (int k = 0; k < m->acts.count; k++) {
        const cc_arena_entry *e = &m->acts.entries[k];
        if (!st_relu_output(e->name)) continue;
        for (size_t q = 0; q < e->count; q++) h = (h ^ (uint64_t)(cc_arena_at(&m->acts, e->offset)[q] > 0)) * 1099511628211ULL;
    }
    for (int i = 0; i < m->stages; i++) {
        const cc_arena_entry *entries[2] = {NULL, NULL};
        for (int k = 0; k < m->acts.count; k++)
            if (m->acts.entries[k].offset == m->ae_enc_out[i]) entries[0] = &m->acts.entries[k];
            else if (m->acts.entries[k].offset == m->ae_dec_out[i]) entries[1] = &m->acts.entries[k];
        for (int e = 0; e < 2; e++)
            for (size_t k = 0; k < entries[e]->count; k++)
                h = (h ^ (uint64_t)(cc_arena_at(&m->acts, entries[e]->offset)[k] > 0)) * 1099511628211ULL;
    }
    return h;
}

static double loss(fixture *f) {
    cc_convlstm_forward(&f->m, &f->ctx, f->x, f->y);
    double sum = 0;
    for (size_t k = 0; k < f->ny; k++) sum += (double)f->a[k] * f->y[k];
    return sum;
}

/* forward_parts: network + skip = forward, and skip = S * x_L recomputed in double. */
static void check_parts(fixture *f) {
    const cc_convlstm_config *c = &f->m.cfg;
    float *network = malloc(sizeof(float) * f->ny), *skip = malloc(sizeof(float) * f->ny);
    cc_convlstm_forward(&f->m, &f->ctx, f->x, f->y);
    cc_convlstm_forward_parts(&f->m, &f->ctx, f->x, network, skip);
    int B = f->m.batch, M = c->channels + c->context, H = c->height, W = c->width, K = c->skip;
    const float *S = c->skip ? cc_arena_at(&f->m.params, f->m.skip_w) : NULL;
    const float *last = f->x + (size_t)(cc_model_input_steps(c) - 1) * B * M * H * W; /* lag 1 */
    for (size_t k = 0; k < f->ny; k++) {
        if (fabsf(network[k] + skip[k] - f->y[k]) > 1e-5f * (1 + fabsf(f->y[k])))
            fail_msg("network + skip != y at %zu: %g + %g vs %g", k, network[k], skip[k], f->y[k]);
        size_t r = k % ((size_t)B * c->channels * H * W);
        int x = (int)(r % W), y = (int)(r / W % H), o = (int)(r / ((size_t)H * W) % c->channels), b = (int)(r / ((size_t)c->channels * H * W));
        double want = 0;
        for (int i = 0; S && i < M; i++)
            for (int dy = 0; dy < K; dy++)
                for (int dx = 0; dx < K; dx++) {
                    int yy = y + dy - K / 2, xx = x + dx - K / 2;
                    if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
                    want += (double)S[(((size_t)o * M + i) * K + dy) * K + dx] * last[(((size_t)b * M + i) * H + yy) * W + xx];
                }
        if (fabs(skip[k] - want) > 1e-5 * (1 + fabs(want))) fail_msg("skip part at %zu: %g, S * x_L = %g", k, skip[k], want);
    }
    free(network), free(skip);
}

static void check_model(const cc_convlstm_config *cfg, int batch) {
    state = 777u; /* the same draws for a config whichever checks ran before it */
    fixture f;
    char err[256];
    assert_int_equal(cc_convlstm_create(&f.m, cfg, batch, 42, err, sizeof err), 0);
    f.ctx = (cc_ops_context){CC_BACKEND_CPU, 1, NULL, 0};
    size_t map = (size_t)cfg->channels * cfg->height * cfg->width * batch;
    f.nx = map / cfg->channels * (cfg->channels + cfg->context) * cc_model_input_steps(cfg), f.ny = map * cfg->horizon;
    f.x = malloc(sizeof(float) * f.nx), f.y = malloc(sizeof(float) * f.ny), f.a = malloc(sizeof(float) * f.ny);
    for (size_t k = 0; k < f.nx; k++) f.x[k] = uniform();
    for (size_t k = 0; k < f.ny; k++) f.a[k] = uniform();
    /* Larger weights than the initialisation, so gates leave their linear range. */
    for (size_t k = 0; k < f.m.params.size; k++) f.m.params.data[k] *= 1.5f;
    /* convlstm-ae: positive biases keep most ReLU inputs away from the kink at 0 (some
     * stay negative, so both sides of the ReLU are exercised). */
    for (int i = 0; i < f.m.params.count; i++) {
        const cc_arena_entry *e = &f.m.params.entries[i];
        if ((!strncmp(e->name, "ae.", 3) || !strncmp(e->name, "st.", 3)) && e->rank == 1)
            for (size_t k = 0; k < e->count; k++) f.m.params.data[e->offset + k] = 0.3f + 0.2f * uniform();
        if (strstr(e->name, ".fuse")) /* starts constant: make the cells differ */
            for (size_t k = 0; k < e->count; k++) f.m.params.data[e->offset + k] = uniform();
        if (!strcmp(e->name, "skip.w")) /* starts at zero: give it values, so it is checked away from 0 */
            for (size_t k = 0; k < e->count; k++) f.m.params.data[e->offset + k] = 0.5f * uniform();
    }

    loss(&f);
    uint64_t base_pattern = relu_pattern(&f.m);
    cc_arena_zero(&f.m.grads);
    float *dx = malloc(sizeof(float) * f.nx);
    cc_convlstm_backward_input(&f.m, &f.ctx, f.x, f.a, dx);

    /* convlstm-ae: a difference whose two evaluations switch some ReLU on or off
     * straddles a kink and says nothing about the derivative; such points are skipped
     * (and counted: most points must be checked). */
    const float eps = 3e-3f;
    long checked = 0, skipped = 0;
    for (int i = 0; i < f.m.params.count; i++) {
        const cc_arena_entry *e = &f.m.params.entries[i];
        float *p = cc_arena_at(&f.m.params, e->offset), *g = cc_arena_at(&f.m.grads, e->offset);
        double worst = 0, scale = 1e-12;
        for (size_t k = 0; k < e->count; k++) {
            float keep = p[k];
            p[k] = keep + eps;
            double up = loss(&f);
            uint64_t pattern_up = relu_pattern(&f.m);
            p[k] = keep - eps;
            double down = loss(&f);
            uint64_t pattern_down = relu_pattern(&f.m);
            p[k] = keep;
            if (pattern_up != base_pattern || pattern_down != base_pattern) {
                skipped++;
                continue;
            }
            checked++;
            double fd = (up - down) / (2.0 * eps);
            worst = fmax(worst, fabs(fd - g[k]));
            scale = fmax(scale, fabs(fd));
        }
        /* 2% of the largest derivative, plus the float32 rounding of the two losses
         * (about 1e-4 here): a small gradient deep in the convlstm-ae is below it. */
        if (worst > 2e-2 * scale + 1.5e-4)
            fail_msg("%s: gradient off by %.3g relative (layers %d, peephole %d, kernel %d)", e->name, worst / scale,
                     cfg->layers, cfg->peephole, cfg->kernel);
    }
    /* The saliency: dL/dx against differences of every input (same tolerance). */
    double worst = 0, scale = 1e-12;
    for (size_t k = 0; k < f.nx; k++) {
        float keep = f.x[k];
        f.x[k] = keep + eps;
        double up = loss(&f);
        uint64_t pattern_up = relu_pattern(&f.m);
        f.x[k] = keep - eps;
        double down = loss(&f);
        uint64_t pattern_down = relu_pattern(&f.m);
        f.x[k] = keep;
        if (pattern_up != base_pattern || pattern_down != base_pattern) {
            skipped++;
            continue;
        }
        checked++;
        double fd = (up - down) / (2.0 * eps);
        worst = fmax(worst, fabs(fd - dx[k]));
        scale = fmax(scale, fabs(fd));
    }
    if (worst > 2e-2 * scale + 1.5e-4) fail_msg("dL/dx off by %.3g relative", worst / scale);
    if (skipped > checked / 5) fail_msg("%ld of %ld points straddle a ReLU kink: too few checked", skipped, skipped + checked);
    check_parts(&f);
    free(dx);
    free(f.x), free(f.y), free(f.a);
    cc_convlstm_free(&f.m);
}

/* Model m's layout of activations equals model n's, and its values are all zero bits. */
static void assert_fresh_acts(const cc_convlstm *m, const cc_convlstm *n) {
    assert_true(m->acts.size == n->acts.size && m->acts.count == n->acts.count && m->acts.allocated >= m->acts.size);
    for (int k = 0; k < m->acts.count; k++)
        assert_true(!strcmp(m->acts.entries[k].name, n->acts.entries[k].name) &&
                    m->acts.entries[k].offset == n->acts.entries[k].offset &&
                    m->acts.entries[k].count == n->acts.entries[k].count);
    for (size_t k = 0; k < m->acts.size; k++) assert_true(m->acts.data[k] == 0.0f && !signbit(m->acts.data[k]));
}

/* set_batch plans the activations for the new batch inside their allocation when it is
 * large enough (a smaller batch, or back to the first), zeroed as a new model's are, and
 * the model then computes, bit for bit, what a model made at that batch computes. */
static void test_set_batch(void **unused) {
    (void)unused;
    cc_convlstm_config cfg = {1, 4, 5, 1, {3}, 3, 3, 2, 0, 1, 0};
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    char err[256];
    cc_convlstm m, made[3];
    assert_int_equal(cc_convlstm_create(&m, &cfg, 3, 42, err, sizeof err), 0);
    for (int b = 0; b < 3; b++) assert_int_equal(cc_convlstm_create(&made[b], &cfg, b + 2, 42, err, sizeof err), 0);
    float *held = m.acts.data;
    size_t held_floats = m.acts.allocated;
    assert_true(held_floats == m.acts.size);
    for (size_t k = 0; k < m.acts.size; k++) m.acts.data[k] = NAN; /* what a forward pass leaves */
    assert_int_equal(cc_convlstm_set_batch(&m, 2), 0);
    assert_ptr_equal(m.acts.data, held);
    assert_true(m.acts.allocated == held_floats && m.acts.size < held_floats);
    assert_fresh_acts(&m, &made[0]);

    size_t nx = cc_model_input_floats(&cfg, 2), ny = cc_model_output_floats(&cfg, 2);
    float *x = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * ny), *y_made = malloc(sizeof(float) * ny);
    state = 99u;
    for (size_t k = 0; k < nx; k++) x[k] = uniform();
    cc_convlstm_forward(&m, &ctx, x, y);
    cc_convlstm_forward(&made[0], &ctx, x, y_made);
    assert_memory_equal(y, y_made, sizeof(float) * ny);

    for (size_t k = 0; k < m.acts.size; k++) m.acts.data[k] = NAN;
    assert_int_equal(cc_convlstm_set_batch(&m, 3), 0); /* back to the batch it was made for */
    assert_ptr_equal(m.acts.data, held);
    assert_fresh_acts(&m, &made[1]);
    assert_int_equal(cc_convlstm_set_batch(&m, 4), 0); /* more than the allocation holds */
    assert_true(m.acts.allocated == m.acts.size && m.acts.size > held_floats);
    assert_fresh_acts(&m, &made[2]);
    free(x), free(y), free(y_made);
    cc_convlstm_free(&m);
    for (int b = 0; b < 3; b++) cc_convlstm_free(&made[b]);
}

static void test_one_layer(void **unused) {
    (void)unused;
    cc_convlstm_config cfg = {1, 4, 5, 1, {3}, 3, 3, 2, 0, 1, 0};
    check_model(&cfg, 2);
    cfg.peephole = 1;
    check_model(&cfg, 2);
}

static void test_two_layers(void **unused) {
    (void)unused;
    cc_convlstm_config cfg = {2, 4, 4, 2, {3, 2}, 3, 3, 2, 1, 1, 0};
    check_model(&cfg, 2);
    cfg.peephole = 0;
    cfg.kernel = 1;
    check_model(&cfg, 1);
    cfg.kernel = 3, cfg.context = 3; /* extra input maps: 5 in, 2 out */
    check_model(&cfg, 2);
    cfg.skip = 3, cfg.horizon = 2; /* the linear skip path, added to both output steps */
    check_model(&cfg, 2);
    cfg.skip = 1;
    check_model(&cfg, 1);
}

/* ST-ResNet (models/st_resnet.h): three branches at lags 1, 2 and 3 (window 3), residual
 * units, the per-cell fusion, with context maps and the skip path. */
static void test_st_resnet(void **unused) {
    (void)unused;
    cc_convlstm_config cfg = {.channels = 2, .height = 5, .width = 4, .window = 3, .horizon = 1, .features = 3,
                              .arch = CC_ARCH_ST_RESNET, .closeness = 2, .period = 1, .trend = 1, .period_lag = 2,
                              .trend_lag = 3, .resunits = 1};
    check_model(&cfg, 2);
    cfg.context = 2, cfg.skip = 3, cfg.resunits = 2; /* the skip path reads the last step's 4 maps */
    check_model(&cfg, 2);
    cfg = (cc_convlstm_config){.channels = 1, .height = 4, .width = 6, .window = 2, .horizon = 1, .features = 2,
                               .arch = CC_ARCH_ST_RESNET, .closeness = 2, .resunits = 0}; /* closeness only, no units */
    check_model(&cfg, 3);
    /* Lags with gaps: x holds lags 8, 4, 3 and 1 of a window of 8 (models/sample_lags.h),
     * the skip path reading the last, lag 1. */
    cfg = (cc_convlstm_config){.channels = 2, .height = 4, .width = 5, .window = 8, .horizon = 1, .features = 3,
                               .arch = CC_ARCH_ST_RESNET, .closeness = 1, .period = 2, .trend = 1, .period_lag = 4,
                               .trend_lag = 3, .resunits = 1, .context = 1, .skip = 3};
    assert_int_equal(cc_model_input_steps(&cfg), 4);
    check_model(&cfg, 2);
}

static void test_bad_config_is_refused(void **unused) {
    (void)unused;
    cc_convlstm m;
    char err[256];
    cc_convlstm_config even = {1, 4, 4, 1, {3}, 2, 3, 1, 0, 1, 0};
    assert_int_equal(cc_convlstm_create(&m, &even, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "kernel must be odd"));
    cc_convlstm_config deep = {1, 4, 4, 5, {3, 3, 3, 3}, 3, 3, 1, 0, 1, 0};
    assert_int_equal(cc_convlstm_create(&m, &deep, 1, 1, err, sizeof err), -1);
    cc_convlstm_config even_skip = {1, 4, 4, 1, {3}, 3, 3, 1, 0, 1, 0, 0, 0, 2};
    assert_int_equal(cc_convlstm_create(&m, &even_skip, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "skip must be"));
    cc_convlstm_config held_beyond_context = {1, 4, 4, 1, {3}, 3, 3, 1, 0, 1, 0, 0, 3, 3, 0, 2, 4};
    assert_int_equal(cc_convlstm_create(&m, &held_beyond_context, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "skip_only must be 0..context"));
    cc_convlstm_config st = {.channels = 1, .height = 4, .width = 4, .window = 4, .horizon = 1, .features = 2,
                             .arch = CC_ARCH_ST_RESNET, .closeness = 3};
    assert_int_equal(cc_convlstm_create(&m, &st, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "longest lag"));
    st.window = 3, st.horizon = 2;
    assert_int_equal(cc_convlstm_create(&m, &st, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "horizon must be 1"));
    st.horizon = 1, st.trend = 2, st.trend_lag = 364, st.window = 728; /* daily, two years back */
    assert_int_equal(cc_convlstm_create(&m, &st, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 512"));
}

static void test_autoencoder(void **unused) {
    (void)unused;
    cc_convlstm_config cfg = {2, 8, 8, 1, {3}, 3, 3, 2, 1, 2, 3}; /* convlstm-ae, down 2 */
    check_model(&cfg, 2);
    cfg = (cc_convlstm_config){1, 8, 12, 1, {3}, 3, 2, 2, 0, 4, 2}; /* down 4, non-square */
    check_model(&cfg, 1);
    cfg.context = 2; /* the encoder reads 3 maps, the head writes 1 */
    check_model(&cfg, 1);
    cfg = (cc_convlstm_config){2, 8, 8, 1, {3}, 3, 3, 2, 1, 2, 3};
    cfg.context = 2, cfg.skip = 3; /* the skip path runs at full resolution, beside the autoencoder */
    check_model(&cfg, 2);
    /* Grids down does not divide: the core is ceil(H / down) x ceil(W / down), the decoder's
     * output (down times that) is cropped to the grid, so 7 x 10 at down 4 runs a 2 x 3 core
     * and crops 8 x 12 maps; at down 2, 5 x 6 crops only rows (6 x 6). */
    cfg = (cc_convlstm_config){1, 7, 10, 1, {2}, 3, 2, 1, 0, 4, 2};
    cfg.context = 1;
    check_model(&cfg, 2);
    cfg = (cc_convlstm_config){2, 5, 6, 1, {2}, 3, 2, 2, 0, 2, 3};
    cfg.context = 1, cfg.skip = 3;
    check_model(&cfg, 1);
}

/* gated 2: the last cc_gated_maps(C) inputs of a step reach the output through the skip
 * path only. So perturbing them at every step moves y by exactly the skip convolution of
 * the last step's perturbation (computed here in double), their input weights start at
 * zero and get no gradient; with gated 1 the same perturbation also moves the network. */
static void check_skip_only_maps(cc_convlstm_config cfg) {
    state = 99u;
    const int C = cfg.channels, H = cfg.height, W = cfg.width, inputs = C + cfg.context, held = cc_gated_maps(C);
    const size_t step = (size_t)inputs * H * W, ny = (size_t)C * H * W;
    float *x = malloc(sizeof(float) * step * cfg.window), *moved = malloc(sizeof(float) * step * cfg.window);
    float *y0 = malloc(sizeof(float) * ny), *y1 = malloc(sizeof(float) * ny), *dy = malloc(sizeof(float) * ny);
    for (size_t k = 0; k < step * cfg.window; k++) x[k] = moved[k] = uniform();
    for (int t = 0; t < cfg.window; t++)
        for (size_t k = (size_t)(inputs - held) * H * W; k < step; k++) moved[t * step + k] += 0.5f * uniform();
    for (size_t k = 0; k < ny; k++) dy[k] = uniform();
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    char err[256];
    for (int gated = 2; gated >= 1; gated--) {
        cfg.gated = gated;
        cfg.skip_only = cc_skip_only_maps(C, gated);
        cc_convlstm m;
        if (cc_convlstm_create(&m, &cfg, 1, 5, err, sizeof err) != 0) fail_msg("%s", err);
        size_t first = m.stages ? m.ae_enc_w[0] : m.enc[0].wx, kk = m.stages ? 9 : (size_t)cfg.kernel * cfg.kernel;
        int rows = m.stages ? cfg.features : 4 * cfg.hidden[0];
        for (size_t k = 0; k < m.params.size; k++) m.params.data[k] *= 2.0f; /* past the initial scale: a clearer signal */
        float *w = cc_arena_at(&m.params, first), *s = cc_arena_at(&m.params, m.skip_w);
        for (size_t k = 0; k < (size_t)C * inputs * cfg.skip * cfg.skip; k++) s[k] = 0.5f * uniform();
        double held_sum = 0, read_sum = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < inputs; c++)
                for (size_t q = 0; q < kk; q++) *(c < inputs - held ? &read_sum : &held_sum) += fabs(w[((size_t)r * inputs + c) * kk + q]);
        assert_true(read_sum > 0);
        assert_true(gated == 2 ? held_sum == 0 : held_sum > 0);
        cc_convlstm_forward(&m, &ctx, x, y0);
        cc_convlstm_forward(&m, &ctx, moved, y1);
        double worst = 0, moved_by = 0;
        const float *last = x + (cfg.window - 1) * step, *last_moved = moved + (cfg.window - 1) * step;
        int K = cfg.skip;
        for (int o = 0; o < C; o++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    double expect = 0;
                    for (int c = inputs - held; c < inputs; c++)
                        for (int di = 0; di < K; di++)
                            for (int dj = 0; dj < K; dj++) {
                                int u = i + di - K / 2, v = j + dj - K / 2;
                                if (u < 0 || u >= H || v < 0 || v >= W) continue;
                                size_t at = ((size_t)c * H + u) * W + v;
                                expect += (double)s[(((size_t)o * inputs + c) * K + di) * K + dj] * (last_moved[at] - last[at]);
                            }
                    size_t k = ((size_t)o * H + i) * W + j;
                    worst = fmax(worst, fabs((double)y1[k] - y0[k] - expect));
                    moved_by = fmax(moved_by, fabs(expect));
                }
        assert_true(moved_by > 0.1);
        if (gated == 2 && worst > 1e-5) fail_msg("gated 2: y moved %.3g away from the skip path's share", worst);
        if (gated == 1 && worst < 1e-3) fail_msg("gated 1: the network should read the gated maps too (%.3g)", worst);
        cc_arena_zero(&m.grads);
        cc_convlstm_backward(&m, &ctx, moved, dy);
        const float *g = cc_arena_at(&m.grads, first), *gs = cc_arena_at(&m.grads, m.skip_w);
        double held_grad = 0, skip_grad = 0;
        for (int r = 0; r < rows; r++)
            for (int c = inputs - held; c < inputs; c++)
                for (size_t q = 0; q < kk; q++) held_grad += fabs(g[((size_t)r * inputs + c) * kk + q]);
        for (int c = inputs - held; c < inputs; c++) skip_grad += fabs(gs[(size_t)c * K * K]);
        assert_true(skip_grad > 0);
        assert_true(gated == 2 ? held_grad == 0 : held_grad > 0);
        cc_convlstm_free(&m);
    }
    free(x), free(moved), free(y0), free(y1), free(dy);
}

static void test_skip_only_maps(void **unused) {
    (void)unused;
    /* channels, H, W, layers, hidden, kernel, window, horizon, peephole, down, features,
     * baseline, context (3 gated + 2 more), skip, recency, gated (skip_only: by gated) */
    check_skip_only_maps((cc_convlstm_config){1, 5, 6, 1, {3}, 3, 3, 1, 0, 1, 0, 0, 5, 3, 0, 2});
    check_skip_only_maps((cc_convlstm_config){1, 8, 8, 2, {3, 2}, 3, 2, 1, 1, 2, 2, 0, 5, 3, 0, 2}); /* convlstm-ae */
    cc_convlstm m;
    char err[256];
    cc_convlstm_config no_skip = {1, 5, 5, 1, {3}, 3, 3, 1, 0, 1, 0, 0, 5, 0, 0, 2, 3};
    assert_int_equal(cc_convlstm_create(&m, &no_skip, 1, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "skip path"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_one_layer), cmocka_unit_test(test_two_layers),
                                       cmocka_unit_test(test_autoencoder), cmocka_unit_test(test_skip_only_maps),
                                       cmocka_unit_test(test_st_resnet),
                                       cmocka_unit_test(test_bad_config_is_refused),
                                       cmocka_unit_test(test_set_batch)};
    return cmocka_run_group_tests_name("convlstm", tests, NULL, NULL);
}
