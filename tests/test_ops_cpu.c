/* The CPU ops against independent references: a direct double-precision convolution
 * and gate update written out here, and central finite differences of a scalar loss
 * L = sum(a * output) for every gradient. The convolution is linear in x and w, so its
 * differences are exact up to float rounding; the gates are smooth. A wrong gradient
 * (transposed kernel, missing peephole term, wrong gate order) is off by O(1), far
 * outside the bounds used. The convolutions are tested on both CPU paths: im2col + GEMM,
 * and oneDNN (kernels/cpu/onednn.h) where the build has it, in its plain layouts (few
 * channels) and its blocked ones (16 and more), with odd channel counts and strides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/onednn.h"
#include "kernels/ops.h"
#include "models/rng.h"

/* The convolution paths under test: 0 im2col + GEMM, 1 oneDNN (when built). */
static cc_onednn *onednn;
static int conv_paths(void) { return onednn ? 2 : 1; }

static unsigned rng_state = 12345u;

static float uniform(void) {
    return (float)cc_lcg_uniform(&rng_state) * 2.0f - 1.0f;
}

static float *random_array(size_t n) {
    float *x = malloc(sizeof *x * n);
    for (size_t k = 0; k < n; k++) x[k] = uniform();
    return x;
}

/* max |got - want| / max |want| */
static double relative_error(const float *got, const double *want, size_t n) {
    double diff = 0, scale = 1e-30;
    for (size_t k = 0; k < n; k++) {
        diff = fmax(diff, fabs(got[k] - want[k]));
        scale = fmax(scale, fabs(want[k]));
    }
    return diff / scale;
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t k = 0; k < n; k++) s += (double)a[k] * b[k];
    return s;
}

/* ------------------------------------------------------------------ convolution */

static const cc_conv2d_shape CONV_SHAPES[] = {
    {2, 3, 4, 7, 5, 3, 1, 1}, /* same padding, odd sizes */
    {1, 2, 3, 9, 8, 5, 2, 2}, /* stride 2, kernel 5 */
    {3, 1, 2, 6, 6, 1, 1, 0}, /* 1 x 1 head */
    {2, 2, 2, 8, 7, 2, 2, 0}, /* stride 2 down-sampling, no padding */
    {2, 16, 20, 6, 5, 3, 1, 1},  /* oneDNN's blocked layouts */
    {1, 17, 16, 9, 8, 5, 2, 2},  /* blocked, channels not a multiple of 16, stride 2 */
    {2, 16, 16, 8, 7, 2, 2, 0},  /* blocked, a right edge the stride leaves out */
};

static void conv_reference(const cc_conv2d_shape *s, const float *x, const float *w, const float *b, double *y) {
    int Ho = cc_conv2d_out_height(s), Wo = cc_conv2d_out_width(s), K = s->kernel;
    for (int n = 0; n < s->batch; n++)
        for (int o = 0; o < s->out_channels; o++)
            for (int p = 0; p < Ho; p++)
                for (int q = 0; q < Wo; q++) {
                    double sum = b ? b[o] : 0;
                    for (int c = 0; c < s->in_channels; c++)
                        for (int i = 0; i < K; i++)
                            for (int j = 0; j < K; j++) {
                                int yy = p * s->stride + i - s->padding, xx = q * s->stride + j - s->padding;
                                if (yy < 0 || yy >= s->height || xx < 0 || xx >= s->width) continue;
                                sum += (double)w[((o * s->in_channels + c) * K + i) * K + j] *
                                       x[((size_t)(n * s->in_channels + c) * s->height + yy) * s->width + xx];
                            }
                    y[((size_t)(n * s->out_channels + o) * Ho + p) * Wo + q] = sum;
                }
}

typedef struct conv_case {
    cc_conv2d_shape s;
    size_t nx, nw, ny;
    float *x, *w, *b, *y, *a, *work;
    cc_ops_context ctx;
} conv_case;

static conv_case make_conv(const cc_conv2d_shape *s, int path) {
    conv_case c = {*s, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, {CC_BACKEND_CPU, 1, NULL, 0}};
    c.ctx.onednn = path ? onednn : NULL;
    c.nx = (size_t)s->batch * s->in_channels * s->height * s->width;
    c.nw = (size_t)s->out_channels * s->in_channels * s->kernel * s->kernel;
    c.ny = (size_t)s->batch * s->out_channels * cc_conv2d_out_height(s) * cc_conv2d_out_width(s);
    c.x = random_array(c.nx), c.w = random_array(c.nw), c.b = random_array((size_t)s->out_channels);
    c.y = random_array(c.ny), c.a = random_array(c.ny);
    c.ctx.workspace_floats = cc_conv2d_workspace_floats(s);
    c.work = c.ctx.workspace = malloc(sizeof(float) * c.ctx.workspace_floats);
    return c;
}

static void free_conv(conv_case *c) {
    free(c->x), free(c->w), free(c->b), free(c->y), free(c->a), free(c->work);
}

static double conv_loss(conv_case *c) {
    cc_conv2d_forward(&c->ctx, &c->s, c->x, c->w, c->b, 0.0f, c->y);
    return dot(c->a, c->y, c->ny);
}

static void test_conv_forward_matches_direct_sum(void **state) {
    (void)state;
    for (int path = 0; path < conv_paths(); path++)
    for (size_t t = 0; t < sizeof CONV_SHAPES / sizeof CONV_SHAPES[0]; t++) {
        conv_case c = make_conv(&CONV_SHAPES[t], path);
        double *want = malloc(sizeof *want * c.ny);
        conv_reference(&c.s, c.x, c.w, c.b, want);
        float *before = malloc(sizeof *before * c.ny);
        memcpy(before, c.y, sizeof *before * c.ny);
        long ran_before, declined_before, ran, declined;
        cc_onednn_counts(onednn, &ran_before, &declined_before);
        cc_conv2d_forward(&c.ctx, &c.s, c.x, c.w, c.b, 1.0f, c.y); /* accumulate onto y */
        cc_onednn_counts(onednn, &ran, &declined);
        if (path) assert_true(ran == ran_before + 1); /* oneDNN ran it: no fallback hid behind the check */
        for (size_t k = 0; k < c.ny; k++) want[k] += before[k];
        assert_true(relative_error(c.y, want, c.ny) < 1e-5);
        conv_reference(&c.s, c.x, c.w, NULL, want);
        cc_conv2d_forward(&c.ctx, &c.s, c.x, c.w, NULL, 0.0f, c.y);
        assert_true(relative_error(c.y, want, c.ny) < 1e-5);
        free(want), free(before);
        free_conv(&c);
    }
}

/* Central differences of L over every element of `param`. */
static void finite_differences(conv_case *c, float *param, size_t n, double *grad) {
    const float eps = 1e-2f;
    for (size_t k = 0; k < n; k++) {
        float keep = param[k];
        param[k] = keep + eps;
        double up = conv_loss(c);
        param[k] = keep - eps;
        double down = conv_loss(c);
        param[k] = keep;
        grad[k] = (up - down) / (2.0 * eps);
    }
}

static void test_conv_gradients_match_finite_differences(void **state) {
    (void)state;
    for (int path = 0; path < conv_paths(); path++)
    for (size_t t = 0; t < sizeof CONV_SHAPES / sizeof CONV_SHAPES[0]; t++) {
        conv_case c = make_conv(&CONV_SHAPES[t], path);
        double *fd_x = malloc(sizeof(double) * c.nx), *fd_w = malloc(sizeof(double) * c.nw);
        double fd_b[32];
        finite_differences(&c, c.x, c.nx, fd_x);
        finite_differences(&c, c.w, c.nw, fd_w);
        finite_differences(&c, c.b, (size_t)c.s.out_channels, fd_b);
        float *dx = random_array(c.nx), *dw = calloc(c.nw, sizeof(float)), *db = calloc(32, sizeof(float));
        cc_conv2d_backward_data(&c.ctx, &c.s, c.a, c.w, 0.0f, dx);
        cc_conv2d_backward_filter(&c.ctx, &c.s, c.x, c.a, dw, db);
        assert_true(relative_error(dx, fd_x, c.nx) < 2e-3);
        assert_true(relative_error(dw, fd_w, c.nw) < 2e-3);
        assert_true(relative_error(db, fd_b, (size_t)c.s.out_channels) < 2e-3);
        /* Gradients into parameters accumulate: a second call doubles them. */
        cc_conv2d_backward_filter(&c.ctx, &c.s, c.x, c.a, dw, db);
        for (size_t k = 0; k < c.nw; k++) fd_w[k] *= 2;
        assert_true(relative_error(dw, fd_w, c.nw) < 2e-3);
        /* beta = 1 adds onto dx. */
        float *dx2 = malloc(sizeof(float) * c.nx);
        memcpy(dx2, dx, sizeof(float) * c.nx);
        cc_conv2d_backward_data(&c.ctx, &c.s, c.a, c.w, 1.0f, dx2);
        for (size_t k = 0; k < c.nx; k++) fd_x[k] = 2.0 * dx[k];
        assert_true(relative_error(dx2, fd_x, c.nx) < 1e-6);
        free(fd_x), free(fd_w), free(dx), free(dw), free(db), free(dx2);
        free_conv(&c);
    }
}

static void test_conv_threads_agree(void **state) {
    (void)state;
    /* Images split over threads: the same results as one thread (filter gradients are
     * summed per thread, then across threads, so they agree to rounding). */
    cc_conv2d_shape s = {5, 3, 4, 7, 6, 3, 1, 1};
    conv_case one = make_conv(&s, 0);
    cc_ops_context many = one.ctx;
    many.threads = 3;
    float *work = malloc(sizeof(float) * 3 * cc_conv2d_workspace_floats(&s));
    many.workspace = work;
    float *y1 = malloc(sizeof(float) * one.ny), *y3 = malloc(sizeof(float) * one.ny);
    cc_conv2d_forward(&one.ctx, &s, one.x, one.w, one.b, 0.0f, y1);
    cc_conv2d_forward(&many, &s, one.x, one.w, one.b, 0.0f, y3);
    assert_memory_equal(y1, y3, sizeof(float) * one.ny);
    float *dx1 = malloc(sizeof(float) * one.nx), *dx3 = malloc(sizeof(float) * one.nx);
    cc_conv2d_backward_data(&one.ctx, &s, one.a, one.w, 0.0f, dx1);
    cc_conv2d_backward_data(&many, &s, one.a, one.w, 0.0f, dx3);
    assert_memory_equal(dx1, dx3, sizeof(float) * one.nx);
    float *dw1 = calloc(one.nw, sizeof(float)), *dw3 = calloc(one.nw, sizeof(float));
    double *want = malloc(sizeof(double) * one.nw);
    float db1[4] = {0}, db3[4] = {0};
    cc_conv2d_backward_filter(&one.ctx, &s, one.x, one.a, dw1, db1);
    cc_conv2d_backward_filter(&many, &s, one.x, one.a, dw3, db3);
    for (size_t k = 0; k < one.nw; k++) want[k] = dw1[k];
    assert_true(relative_error(dw3, want, one.nw) < 1e-6);
    free(work), free(y1), free(y3), free(dx1), free(dx3), free(dw1), free(dw3), free(want);
    free_conv(&one);
}

/* oneDNN against im2col + GEMM on shapes of the models' size (the finite differences
 * above would take too long there), and bit for bit the same on a second run with the
 * same threads: the reductions of its filter gradient have a fixed order. */
static void test_onednn_agrees_with_im2col_and_repeats(void **state) {
    (void)state;
    if (!onednn) skip();
    static const cc_conv2d_shape shapes[] = {
        {4, 64, 256, 16, 16, 5, 1, 2}, /* the recurrent convolution of the standard config */
        {8, 1, 256, 16, 16, 5, 1, 2},  /* the first input convolution */
        {2, 12, 64, 32, 32, 5, 4, 2},  /* the latent encoder's stride 4 */
        {2, 128, 12, 16, 16, 1, 1, 0}, /* the 1 x 1 head */
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        conv_case g = make_conv(&shapes[t], 0), d = make_conv(&shapes[t], 1);
        g.ctx.threads = d.ctx.threads = 2;
        for (conv_case *c = &g; c; c = c == &g ? &d : NULL) { /* two threads' slices (d's for a fallback) */
            free(c->work);
            c->work = c->ctx.workspace = malloc(sizeof(float) * 2 * cc_conv2d_workspace_floats(&shapes[t]));
        }
        float *y[3], *dx[3], *dw[3], db[3][256];
        for (int run = 0; run < 3; run++) {
            conv_case *c = run ? &d : &g;
            y[run] = malloc(sizeof(float) * g.ny), dx[run] = malloc(sizeof(float) * g.nx);
            dw[run] = calloc(g.nw, sizeof(float));
            memcpy(y[run], g.y, sizeof(float) * g.ny); /* beta = 1 onto the same values */
            memcpy(dx[run], g.x, sizeof(float) * g.nx);
            memset(db[run], 0, sizeof db[run]);
            cc_conv2d_forward(&c->ctx, &c->s, g.x, g.w, g.b, 1.0f, y[run]);
            cc_conv2d_backward_data(&c->ctx, &c->s, g.a, g.w, 1.0f, dx[run]);
            cc_conv2d_backward_filter(&c->ctx, &c->s, g.x, g.a, dw[run], db[run]);
        }
        double *want = malloc(sizeof(double) * (g.nx > g.ny ? (g.nx > g.nw ? g.nx : g.nw) : (g.ny > g.nw ? g.ny : g.nw)));
        for (size_t k = 0; k < g.ny; k++) want[k] = y[0][k];
        assert_true(relative_error(y[1], want, g.ny) < 1e-5);
        for (size_t k = 0; k < g.nx; k++) want[k] = dx[0][k];
        assert_true(relative_error(dx[1], want, g.nx) < 1e-5);
        for (size_t k = 0; k < g.nw; k++) want[k] = dw[0][k];
        assert_true(relative_error(dw[1], want, g.nw) < 1e-5);
        for (int o = 0; o < g.s.out_channels; o++) want[o] = db[0][o];
        assert_true(relative_error(db[1], want, (size_t)g.s.out_channels) < 1e-5);
        assert_memory_equal(y[1], y[2], sizeof(float) * g.ny);
        assert_memory_equal(dx[1], dx[2], sizeof(float) * g.nx);
        assert_memory_equal(dw[1], dw[2], sizeof(float) * g.nw);
        assert_memory_equal(db[1], db[2], sizeof(float) * (size_t)g.s.out_channels);
        long ran, declined;
        cc_onednn_counts(onednn, &ran, &declined);
        assert_int_equal(declined, 0); /* every call above ran in oneDNN, none fell back */
        for (int run = 0; run < 3; run++) free(y[run]), free(dx[run]), free(dw[run]);
        free(want);
        free_conv(&g), free_conv(&d);
    }
}

/* --precision bf16: oneDNN's convolutions on bfloat16 copies of their inputs, FP32 sums.
 * Each input rounds to nearest with a relative error of at most 2^-8 (8 significant
 * bits), so each product is off by at most about 2^-7 of its size, and every output by
 * at most 2^-7 sum |w x| (plus FP32 accumulation, 1e-5 of that at these depths). The
 * bound per element comes from the same convolution of |x| and |w| in FP32 (im2col);
 * the reference is FP32 im2col, 1e-6 from exact here. bf16 must also really have run:
 * some outputs differ from FP32's by more than FP32 rounding would explain. */
static void assert_within_bf16(const float *got, const float *want, const float *abs_sum, size_t n) {
    double most_off = 0;
    for (size_t k = 0; k < n; k++) {
        double off = fabs((double)got[k] - want[k]), bound = (ldexp(1, -7) + 1e-5) * abs_sum[k] + 1e-30;
        assert_true(off <= bound);
        if (abs_sum[k] > 0) most_off = fmax(most_off, off / abs_sum[k]);
    }
    assert_true(most_off > 1e-5); /* rounded to bfloat16, not computed in FP32 */
}

static float *absolute(const float *x, size_t n) {
    float *a = malloc(sizeof *a * n);
    for (size_t k = 0; k < n; k++) a[k] = fabsf(x[k]);
    return a;
}

static void test_onednn_bf16_within_rounding(void **state) {
    (void)state;
    char why[256];
    cc_onednn *bf16 = onednn ? cc_onednn_create(1, why, sizeof why) : NULL;
    if (!bf16) {
        printf("bf16 not tested: %s\n", onednn ? why : "no oneDNN");
        skip();
    }
    static const cc_conv2d_shape shapes[] = {
        {4, 64, 256, 16, 16, 5, 1, 2}, /* blocked */
        {8, 1, 256, 16, 16, 5, 1, 2},  /* plain */
        {2, 12, 64, 32, 32, 5, 4, 2},  /* plain, stride 4 */
        {2, 17, 32, 9, 8, 3, 2, 1},    /* blocked, ragged channels, stride 2 */
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        conv_case c = make_conv(&shapes[t], 0);
        cc_ops_context half = c.ctx;
        half.onednn = bf16;
        float *ax = absolute(c.x, c.nx), *aw = absolute(c.w, c.nw), *ab = absolute(c.b, (size_t)c.s.out_channels);
        float *ady = absolute(c.a, c.ny);
        float *y = malloc(sizeof(float) * c.ny), *y_ref = malloc(sizeof(float) * c.ny), *y_abs = malloc(sizeof(float) * c.ny);
        cc_conv2d_forward(&half, &c.s, c.x, c.w, c.b, 0.0f, y);
        cc_conv2d_forward(&c.ctx, &c.s, c.x, c.w, c.b, 0.0f, y_ref);
        cc_conv2d_forward(&c.ctx, &c.s, ax, aw, ab, 0.0f, y_abs);
        assert_within_bf16(y, y_ref, y_abs, c.ny);
        float *dx = calloc(c.nx, sizeof(float)), *dx_ref = calloc(c.nx, sizeof(float)), *dx_abs = calloc(c.nx, sizeof(float));
        cc_conv2d_backward_data(&half, &c.s, c.a, c.w, 0.0f, dx);
        cc_conv2d_backward_data(&c.ctx, &c.s, c.a, c.w, 0.0f, dx_ref);
        cc_conv2d_backward_data(&c.ctx, &c.s, ady, aw, 0.0f, dx_abs);
        assert_within_bf16(dx, dx_ref, dx_abs, c.nx);
        float *dw = calloc(c.nw, sizeof(float)), *dw_ref = calloc(c.nw, sizeof(float)), *dw_abs = calloc(c.nw, sizeof(float));
        float db[256] = {0}, db_ref[256] = {0};
        cc_conv2d_backward_filter(&half, &c.s, c.x, c.a, dw, db);
        cc_conv2d_backward_filter(&c.ctx, &c.s, c.x, c.a, dw_ref, db_ref);
        cc_conv2d_backward_filter(&c.ctx, &c.s, ax, ady, dw_abs, NULL);
        assert_within_bf16(dw, dw_ref, dw_abs, c.nw);
        for (int o = 0; o < c.s.out_channels; o++) /* the bias gradient sums bfloat16 dy */
            assert_true(fabs(db[o] - db_ref[o]) <= ldexp(1, -8) * 1.0001 * c.s.batch * (double)(c.ny / c.s.batch / c.s.out_channels));
        free(ax), free(aw), free(ab), free(ady), free(y), free(y_ref), free(y_abs);
        free(dx), free(dx_ref), free(dx_abs), free(dw), free(dw_ref), free(dw_abs);
        free_conv(&c);
    }
    long ran, declined;
    cc_onednn_counts(bf16, &ran, &declined);
    assert_int_equal(declined, 0);
    assert_int_equal(ran, 3 * 4);
    cc_onednn_destroy(bf16);
}

/* ------------------------------------------------------------------ gates */

typedef struct gate_case {
    cc_lstm_shape s;
    size_t state;
    float *pre, *gates, *c_prev, *peep, *c, *h, *a, *b;
    cc_ops_context ctx;
} gate_case;

static gate_case make_gates(int peephole) {
    gate_case g = {{2, 3, 4, 5, peephole}, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {CC_BACKEND_CPU, 1, NULL, 0}};
    g.state = (size_t)2 * 3 * 4 * 5;
    size_t per_image = g.state / 2;
    g.pre = random_array(4 * g.state);
    for (size_t k = 0; k < 4 * g.state; k++) g.pre[k] *= 2.0f;
    g.gates = malloc(sizeof(float) * 4 * g.state);
    g.c_prev = random_array(g.state);
    g.peep = random_array(3 * per_image);
    g.c = malloc(sizeof(float) * g.state), g.h = malloc(sizeof(float) * g.state);
    g.a = random_array(g.state), g.b = random_array(g.state);
    return g;
}

static void free_gates(gate_case *g) {
    free(g->pre), free(g->gates), free(g->c_prev), free(g->peep), free(g->c), free(g->h), free(g->a), free(g->b);
}

/* L = sum(a * h) + sum(b * c): both outputs carry gradient, as in a recurrence. */
static double gate_loss(gate_case *g) {
    memcpy(g->gates, g->pre, sizeof(float) * 4 * g->state);
    cc_lstm_gates_forward(&g->ctx, &g->s, g->gates, g->c_prev, g->peep, g->c, g->h);
    return dot(g->a, g->h, g->state) + dot(g->b, g->c, g->state);
}

static double sig(double v) { return 1.0 / (1.0 + exp(-v)); }

static void test_gates_forward_matches_equations(void **state) {
    (void)state;
    for (int peephole = 0; peephole <= 1; peephole++) {
        gate_case g = make_gates(peephole);
        gate_loss(&g);
        size_t per_image = g.state / 2;
        double *want_c = malloc(sizeof(double) * g.state), *want_h = malloc(sizeof(double) * g.state);
        for (size_t n = 0; n < 2; n++)
            for (size_t k = 0; k < per_image; k++) {
                const float *a = g.pre + n * 4 * per_image;
                double cp = g.c_prev[n * per_image + k];
                double pi = peephole ? g.peep[k] : 0, pf = peephole ? g.peep[per_image + k] : 0,
                       po = peephole ? g.peep[2 * per_image + k] : 0;
                double i = sig(a[k] + pi * cp), f = sig(a[per_image + k] + pf * cp), gg = tanh(a[2 * per_image + k]);
                double c = f * cp + i * gg, o = sig(a[3 * per_image + k] + po * c);
                want_c[n * per_image + k] = c;
                want_h[n * per_image + k] = o * tanh(c);
            }
        assert_true(relative_error(g.c, want_c, g.state) < 1e-5);
        assert_true(relative_error(g.h, want_h, g.state) < 1e-5);
        free(want_c), free(want_h);
        free_gates(&g);
    }
}

static void gate_differences(gate_case *g, float *param, size_t n, double *grad) {
    const float eps = 2e-3f;
    for (size_t k = 0; k < n; k++) {
        float keep = param[k];
        param[k] = keep + eps;
        double up = gate_loss(g);
        param[k] = keep - eps;
        double down = gate_loss(g);
        param[k] = keep;
        grad[k] = (up - down) / (2.0 * eps);
    }
}

static void test_gates_backward_matches_finite_differences(void **state) {
    (void)state;
    for (int peephole = 0; peephole <= 1; peephole++) {
        gate_case g = make_gates(peephole);
        size_t per_image = g.state / 2;
        double *fd_pre = malloc(sizeof(double) * 4 * g.state), *fd_cp = malloc(sizeof(double) * g.state);
        double *fd_peep = malloc(sizeof(double) * 3 * per_image);
        gate_differences(&g, g.pre, 4 * g.state, fd_pre);
        gate_differences(&g, g.c_prev, g.state, fd_cp);
        if (peephole) gate_differences(&g, g.peep, 3 * per_image, fd_peep);
        gate_loss(&g);
        float *dgates = malloc(sizeof(float) * 4 * g.state), *dc_prev = malloc(sizeof(float) * g.state);
        float *dpeep = calloc(3 * per_image, sizeof(float));
        cc_lstm_gates_backward(&g.ctx, &g.s, g.gates, g.c_prev, g.c, g.peep, g.a, g.b, dgates, dc_prev, dpeep);
        assert_true(relative_error(dgates, fd_pre, 4 * g.state) < 5e-3);
        assert_true(relative_error(dc_prev, fd_cp, g.state) < 5e-3);
        if (peephole) assert_true(relative_error(dpeep, fd_peep, 3 * per_image) < 5e-3);
        free(fd_pre), free(fd_cp), free(fd_peep), free(dgates), free(dc_prev), free(dpeep);
        free_gates(&g);
    }
}

/* ------------------------------------------------------------------ losses, optimiser */

static void test_losses_values_and_gradients(void **state) {
    (void)state;
    enum { MAPS = 3, PLANE = 10 };
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float *r = random_array(MAPS * PLANE), y[MAPS * PLANE], d[MAPS * PLANE];
    uint8_t mask[PLANE] = {1, 1, 0, 1, 1, 1, 0, 1, 1, 1};
    for (int k = 0; k < MAPS * PLANE; k++) y[k] = (float)(k % 4);
    for (int loss = 0; loss < 2; loss++) {
        double want = 0;
        for (int m = 0; m < MAPS; m++)
            for (int k = 0; k < PLANE; k++)
                if (mask[k]) {
                    double rr = r[m * PLANE + k], yy = y[m * PLANE + k];
                    want += loss == 0 ? exp(rr) - yy * rr : (rr - yy) * (rr - yy);
                }
        want /= MAPS * 8;
        double got = loss == 0 ? cc_poisson_nll(&ctx, r, y, mask, MAPS, PLANE, d) : cc_mse(&ctx, r, y, mask, MAPS, PLANE, d);
        assert_true(fabs(got - want) < 1e-9 * fabs(want) + 1e-12);
        float scratch[MAPS * PLANE];
        for (int k = 0; k < MAPS * PLANE; k++) {
            float keep = r[k];
            const float eps = 1e-3f;
            r[k] = keep + eps;
            double up = loss == 0 ? cc_poisson_nll(&ctx, r, y, mask, MAPS, PLANE, scratch)
                                  : cc_mse(&ctx, r, y, mask, MAPS, PLANE, scratch);
            r[k] = keep - eps;
            double down = loss == 0 ? cc_poisson_nll(&ctx, r, y, mask, MAPS, PLANE, scratch)
                                    : cc_mse(&ctx, r, y, mask, MAPS, PLANE, scratch);
            r[k] = keep;
            assert_true(fabs(d[k] - (up - down) / (2 * eps)) < 1e-3);
            if (!mask[k % PLANE]) assert_true(d[k] == 0.0f);
        }
    }
    free(r);
}

static void test_adamw_and_clipping(void **state) {
    (void)state;
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float p[3] = {1.0f, -2.0f, 0.5f}, m[3] = {0}, v[3] = {0};
    double pd[3] = {1.0, -2.0, 0.5}, md[3] = {0}, vd[3] = {0};
    const float grads[2][3] = {{0.1f, -0.3f, 2.0f}, {-0.2f, 0.1f, 1.0f}};
    for (int t = 1; t <= 2; t++) {
        cc_adamw opt = {0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, t};
        cc_adamw_step(&ctx, &opt, p, grads[t - 1], m, v, 3);
        for (int k = 0; k < 3; k++) {
            double g = grads[t - 1][k];
            md[k] = 0.9 * md[k] + 0.1 * g;
            vd[k] = 0.999 * vd[k] + 0.001 * g * g;
            double mhat = md[k] / (1 - pow(0.9, t)), vhat = vd[k] / (1 - pow(0.999, t));
            pd[k] -= 0.01 * (0.1 * pd[k] + mhat / (sqrt(vhat) + 1e-8));
            assert_true(fabs(p[k] - pd[k]) < 1e-6);
        }
    }
    float g[4] = {3.0f, 4.0f, 0.0f, 0.0f};
    assert_true(fabs(cc_clip_global_norm(&ctx, g, 4, 1.0) - 5.0) < 1e-12);
    assert_true(fabs(g[0] - 0.6f) < 1e-7 && fabs(g[1] - 0.8f) < 1e-7);
    assert_true(fabs(cc_clip_global_norm(&ctx, g, 4, 10.0) - 1.0) < 1e-6);
    assert_true(fabs(g[0] - 0.6f) < 1e-7); /* under the limit: untouched */
}

/* A step's scalars (kernels/ops.h, cc_step_scalars), by hand: the _into losses give what
 * the returning ones return; the accounting sums the finite losses up to the first bad
 * one and keeps its place; the guarded AdamW is cc_adamw_step at t = adam_t + 1, bit for
 * bit, and moves nothing once a step is bad; the in-place clip is cc_clip_global_norm's. */
static void test_step_scalars(void **state) {
    (void)state;
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float r[6] = {0.1f, -0.4f, 1.2f, 0.0f, -2.0f, 0.7f}, y[6] = {0, 1, 3, 0, 2, 1}, d1[6], d2[6];
    const uint8_t mask[3] = {1, 0, 1};
    cc_step_scalars s = {0, 0, 0, -1, 0, 0, 0, 0};
    double want = cc_poisson_nll(&ctx, r, y, mask, 2, 3, d1);
    cc_poisson_nll_into(&ctx, r, y, mask, 2, 3, d2, &s.loss);
    assert_true(s.loss == want && !memcmp(d1, d2, sizeof d1));
    want = cc_mse(&ctx, r, y, NULL, 2, 3, d1);
    cc_mse_into(&ctx, r, y, NULL, 2, 3, d2, &s.loss);
    assert_true(s.loss == want && !memcmp(d1, d2, sizeof d1));

    const double losses[5] = {1.5, 2.25, NAN, 4.0, INFINITY};
    s = (cc_step_scalars){0, 0, 0, -1, 0, 3, 0, 0};
    for (int k = 0; k < 5; k++) {
        s.loss = losses[k];
        cc_step_account(&ctx, &s);
        assert_true(s.steps == k + 1);
        assert_true(s.loss_sum == (k < 1 ? 1.5 : 3.75));    /* nothing after the bad step */
        assert_true(s.bad_step == (k < 2 ? -1 : 2) && (k < 2 || isnan(s.bad_loss)));
    }

    float p[3] = {1.0f, -2.0f, 0.5f}, m[3] = {0.01f, 0, -0.02f}, v[3] = {1e-4f, 0, 2e-4f};
    float p2[3], m2[3], v2[3];
    memcpy(p2, p, sizeof p), memcpy(m2, m, sizeof m), memcpy(v2, v, sizeof v);
    const float g[3] = {0.1f, -0.3f, 2.0f};
    cc_adamw opt = {0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 4};
    cc_adamw_step(&ctx, &opt, p, g, m, v, 3);
    s = (cc_step_scalars){0, 0, 0, -1, 0, 3, 0, 0};
    opt.step = 99; /* ignored: t comes from the scalars */
    cc_adamw_step_guarded(&ctx, &opt, &s, p2, g, m2, v2, 3);
    assert_true(!memcmp(p, p2, sizeof p) && !memcmp(m, m2, sizeof m) && !memcmp(v, v2, sizeof v));
    assert_true(s.adam_t == 4 && s.correction1 == 1.0 - pow(0.9f, 4) && s.correction2 == 1.0 - pow(0.999f, 4));
    s.bad_step = 0;
    cc_adamw_step_guarded(&ctx, &opt, &s, p2, g, m2, v2, 3);
    assert_true(!memcmp(p, p2, sizeof p) && !memcmp(m, m2, sizeof m) && !memcmp(v, v2, sizeof v) && s.adam_t == 4);

    float a[4] = {3.0f, 4.0f, 0.0f, 1.0f}, b[4];
    memcpy(b, a, sizeof a);
    cc_clip_global_norm(&ctx, a, 4, 1.0);
    cc_clip_global_norm_in_place(&ctx, b, 4, 1.0);
    assert_true(!memcmp(a, b, sizeof a) && fabs(b[0] - 3.0 / sqrt(26.0)) < 1e-7);
}

/* Runs of rows out of a table, by hand: rows 2, 0, 2 of a 3 x 4 table (row stride 4),
 * their first 3 floats, into a destination 5 floats apart (the gaps untouched). */
static void test_gather_rows(void **state) {
    (void)state;
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float table[12], dst[15];
    for (int k = 0; k < 12; k++) table[k] = (float)k;
    for (int k = 0; k < 15; k++) dst[k] = -1.0f;
    const int rows[3] = {2, 0, 2};
    cc_gather_rows(&ctx, 3, rows, table, 4, 3, dst, 5);
    const float want[15] = {8, 9, 10, -1, -1, 0, 1, 2, -1, -1, 8, 9, 10, -1, -1};
    assert_memory_equal(dst, want, sizeof want);
}

/* Crop a 2 x 3 x 4 stack to its top-left 2 x 3 block, then pad it back into a 3 x 4
 * map of zeros: what convlstm-ae does with its decoder's output and its gradient. */
static void test_plane_copy(void **state) {
    (void)state;
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float big[24], small[12], back[24];
    for (int k = 0; k < 24; k++) big[k] = (float)k, back[k] = 0.0f;
    cc_plane_copy(&ctx, 2, 2, 3, big, 3, 4, small, 2, 3);
    const float want[12] = {0, 1, 2, 4, 5, 6, 12, 13, 14, 16, 17, 18};
    assert_memory_equal(small, want, sizeof want);
    cc_plane_copy(&ctx, 2, 2, 3, small, 2, 3, back, 3, 4);
    for (int p = 0; p < 2; p++)
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) {
                int k = (p * 3 + r) * 4 + c;
                assert_true(back[k] == (r < 2 && c < 3 ? big[k] : 0.0f));
            }
}

static void test_relu_and_bias_ops(void **state) {
    (void)state;
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float x[6] = {-2.0f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f}, dy[6] = {1, 2, 3, 4, 5, 6};
    cc_relu_forward(&ctx, x, 6);
    const float want[6] = {0, 0, 0, 0.25f, 1.0f, 3.0f};
    assert_memory_equal(x, want, sizeof want);
    cc_relu_backward(&ctx, x, dy, 6);
    const float want_d[6] = {0, 0, 0, 4, 5, 6}; /* derivative 0 at and below 0 */
    assert_memory_equal(dy, want_d, sizeof want_d);
    /* bias over 2 blocks x 3 channels x 2 cells, and its gradient (sums). */
    float y[12] = {0}, b[3] = {1, 2, 3}, g[12], db[3] = {0.5f, 0, 0};
    cc_bias_add(&ctx, y, b, 2, 3, 2);
    for (int k = 0; k < 12; k++) assert_true(y[k] == b[(k / 2) % 3]);
    for (int k = 0; k < 12; k++) g[k] = (float)k;
    cc_bias_backward(&ctx, g, 2, 3, 2, db);
    assert_true(db[0] == 0.5f + 0 + 1 + 6 + 7 && db[1] == 2 + 3 + 8 + 9 && db[2] == 4 + 5 + 10 + 11);
    float a[3] = {1, 2, 3}, c[3] = {1, 1, 1};
    cc_axpy(&ctx, 3, -2.0f, a, c);
    assert_true(c[0] == -1 && c[1] == -3 && c[2] == -5);
    cc_fill(&ctx, c, 3, 7.0f);
    assert_true(c[0] == 7 && c[2] == 7);
}

/* Per-cell weights over 2 blocks x 2 maps x 3 cells: values by hand. */
static void test_cell_scale_ops(void **state) {
    (void)state;
    cc_ops_context ctx = {CC_BACKEND_CPU, 2, NULL, 0};
    float w[6] = {1, -2, 0.5f, 3, 0, -1}, x[12], y[12], dy[12], dx[12], dw[6] = {1, 1, 1, 1, 1, 1};
    for (int k = 0; k < 12; k++) x[k] = (float)(k + 1), y[k] = 10.0f, dy[k] = (float)(k % 5) - 2.0f;
    cc_cell_scale_forward(&ctx, w, x, y, 2, 2, 3);
    for (int k = 0; k < 12; k++) assert_true(y[k] == 10.0f + w[k % 6] * (float)(k + 1));
    cc_cell_scale_backward(&ctx, w, x, dy, dx, dw, 2, 2, 3);
    for (int k = 0; k < 12; k++) assert_true(dx[k] == w[k % 6] * dy[k]);
    for (int k = 0; k < 6; k++) assert_true(dw[k] == 1.0f + x[k] * dy[k] + x[k + 6] * dy[k + 6]);
    cc_cell_scale_backward(&ctx, w, x, dy, NULL, dw, 2, 2, 3); /* no dx: dw alone, added again */
    for (int k = 0; k < 6; k++) assert_true(dw[k] == 1.0f + 2.0f * (x[k] * dy[k] + x[k + 6] * dy[k + 6]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_scale_ops),
        cmocka_unit_test(test_conv_forward_matches_direct_sum),
        cmocka_unit_test(test_conv_gradients_match_finite_differences),
        cmocka_unit_test(test_conv_threads_agree),
        cmocka_unit_test(test_onednn_agrees_with_im2col_and_repeats),
        cmocka_unit_test(test_onednn_bf16_within_rounding),
        cmocka_unit_test(test_gates_forward_matches_equations),
        cmocka_unit_test(test_gates_backward_matches_finite_differences),
        cmocka_unit_test(test_losses_values_and_gradients),
        cmocka_unit_test(test_adamw_and_clipping),
        cmocka_unit_test(test_step_scalars),
        cmocka_unit_test(test_relu_and_bias_ops),
        cmocka_unit_test(test_plane_copy),
        cmocka_unit_test(test_gather_rows),
    };
    char why[256];
    onednn = cc_onednn_create(0, why, sizeof why); /* NULL in a build without oneDNN: one path */
    if (!onednn) printf("oneDNN path not tested: %s\n", why);
    int failed = cmocka_run_group_tests_name("ops_cpu", tests, NULL, NULL);
    cc_onednn_destroy(onednn);
    return failed;
}
