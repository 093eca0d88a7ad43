/* Training end to end on a synthetic moving hotspot, and checkpoints.
 *
 * The sequence: a Gaussian hotspot of expected counts that moves one cell to the right
 * (wrapping) every bin. Persistence (next bin = this bin) is always one cell off; a
 * ConvLSTM that learns the motion beats it by far. The test asserts the trained
 * model's test-span Poisson loss is well below persistence's, computed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "models/checkpoint.h"
#include "models/memory_plan.h"
#include "models/rng.h"
#include "tests/test_util.h"

enum { T = 72, S = 8 };

static void moving_hotspot(cc_tensor *t) {
    assert_int_equal(cc_tensor_alloc(t, T, 1, S, S), 0);
    for (int ti = 0; ti < T; ti++)
        for (int r = 0; r < S; r++)
            for (int c = 0; c < S; c++) {
                int cx = ti % S, cy = S / 2;
                int dx = abs(c - cx);
                dx = dx < S - dx ? dx : S - dx; /* wrap around */
                double d2 = dx * dx + (r - cy) * (r - cy);
                t->values[cc_tensor_offset(t, ti, 0, r, c)] = (float)(0.2 + 6.0 * exp(-d2 / 1.5));
            }
    memset(t->mask, 1, S * S);
    for (int ti = 0; ti < T; ti++) t->time[ti] = 17000 + 7 * ti;
    t->categories[0] = strdup("all");
    snprintf(t->city, sizeof t->city, "synthetic");
    snprintf(t->crs, sizeof t->crs, "EPSG:3857");
    t->bin = CC_BIN_WEEK;
    t->cell = 500, t->x0 = 0, t->y0 = 4000;
}

/* Poisson loss of persistence over the test targets. */
static double persistence_loss(const cc_tensor *t, const cc_split *s) {
    double sum = 0;
    long n = 0;
    for (int target = s->first[2]; target < s->end[2]; target++) {
        for (int k = 0; k < S * S; k++) {
            double last = t->values[(size_t)(target - 1) * S * S + k], y = t->values[(size_t)target * S * S + k];
            double r = log(last > 1e-3 ? last : 1e-3);
            sum += exp(r) - y * r, n++;
        }
    }
    return sum / n;
}

/* The part of the Poisson loss no forecast can remove: the loss of the truth itself. */
static double perfect_loss(const cc_tensor *t, const cc_split *s) {
    double sum = 0;
    long n = 0;
    for (int target = s->first[2]; target < s->end[2]; target++)
        for (int k = 0; k < S * S; k++) {
            double y = t->values[(size_t)target * S * S + k];
            sum += y - y * log(y), n++;
        }
    return sum / n;
}

static void test_learns_a_moving_hotspot(void **state) {
    (void)state;
    cc_tensor t;
    moving_hotspot(&t);
    cc_convlstm_config cfg = {1, S, S, 1, {8}, 3, 4, 1, 0, 1, 0};
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, cfg.window, cfg.horizon, -1, &split, err, sizeof err), 0);
    cc_convlstm model;
    assert_int_equal(cc_convlstm_create(&model, &cfg, 8, 3, err, sizeof err), 0);
    float scale[1];
    cc_normalisation_fit(&t, &split, scale);
    cc_train_init_head(&model, &t, &split);
    cc_train_state st;
    assert_int_equal(cc_train_state_init(&st, &model), 0);
    cc_train_options o = {60, 60, 8, 1e-2, 0, 1.0, 5, CC_LOSS_POISSON, NULL, NULL, NULL};
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    assert_int_equal(cc_train(&model, &ctx, &t, &split, scale, &o, &st, err, sizeof err), 0);
    double test = cc_evaluate(&model, &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_POISSON, 8);
    double persistence = persistence_loss(&t, &split), floor = perfect_loss(&t, &split);
    printf("test loss %.4f, persistence %.4f, perfect %.4f\n", test, persistence, floor);
    /* Close at least 80% of the gap between persistence and a perfect forecast. */
    assert_true(test - floor < 0.2 * (persistence - floor));
    /* The loss curve went down and the best epoch is what the model holds. */
    assert_true(st.val_loss[st.best_epoch - 1] < st.val_loss[0]);
    cc_train_state_free(&st);
    cc_convlstm_free(&model);
    cc_tensor_free(&t);
}

/* A one-layer model of 4 hidden maps on the moving hotspot, ready to train (batch 4);
 * `nan_in_training`: one training count made NaN first. */
typedef struct small_run {
    cc_tensor t;
    cc_split split;
    cc_convlstm model;
    cc_train_state st;
} small_run;

static void small_run_open(small_run *r, int nan_in_training) {
    moving_hotspot(&r->t);
    cc_convlstm_config cfg = {1, S, S, 1, {4}, 3, 4, 1, 0, 1, 0};
    char err[256] = "";
    assert_int_equal(cc_split_make(T, cfg.window, cfg.horizon, -1, &r->split, err, sizeof err), 0);
    if (nan_in_training) /* a training target (and input) */
        r->t.values[cc_tensor_offset(&r->t, r->split.first[0] + 20, 0, 3, 3)] = NAN;
    assert_int_equal(cc_convlstm_create(&r->model, &cfg, 4, 3, err, sizeof err), 0);
    cc_train_init_head(&r->model, &r->t, &r->split);
    assert_int_equal(cc_train_state_init(&r->st, &r->model), 0);
}

static void small_run_close(small_run *r) {
    cc_train_state_free(&r->st);
    cc_convlstm_free(&r->model);
    cc_tensor_free(&r->t);
}

/* A step whose loss is not finite (a NaN count in one bin) stops the run with the batch
 * named; the steps before it were taken and counted, none after it. */
static void test_a_bad_step_stops_the_run(void **state) {
    (void)state;
    small_run r;
    small_run_open(&r, 1);
    char err[256] = "";
    float scale[1] = {1.0f};
    cc_train_options o = {2, 2, 4, 1e-3, 0, 1.0, 5, CC_LOSS_POISSON, NULL, NULL, NULL};
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    assert_int_equal(cc_train(&r.model, &ctx, &r.t, &r.split, scale, &o, &r.st, err, sizeof err), -1);
    int batch = 0, batches = 0;
    printf("%s\n", err);
    assert_non_null(strstr(err, "the training loss became ")), assert_non_null(strstr(err, "nan at epoch 1, batch "));
    assert_int_equal(sscanf(strstr(err, ", batch ") + 2, "batch %d of %d", &batch, &batches), 2);
    assert_int_equal(batches, cc_split_samples(&r.split, CC_SPAN_TRAIN) / o.batch);
    assert_true(batch >= 1 && batch <= batches);
    assert_int_equal(r.st.step, batch - 1);
    assert_int_equal(r.st.epochs_done, 0);
    small_run_close(&r);
}

/* A collective of one rank whose gradient sum fails (an MPI or NCCL error): the run
 * stops naming the ranks' sum, not as a divergence calling for a lower --lr. */
static int failing_sum_floats(void *self, float *x, size_t n) { return (void)self, (void)x, (void)n, -1; }
static int one_rank_sum_doubles(void *self, double *x, size_t n) { return (void)self, (void)x, (void)n, 0; }
static int one_rank_broadcast_floats(void *self, float *x, size_t n, int root) {
    return (void)self, (void)x, (void)n, (void)root, 0;
}
static int one_rank_broadcast_doubles(void *self, double *x, size_t n, int root) {
    return (void)self, (void)x, (void)n, (void)root, 0;
}

static void test_a_failed_sum_over_ranks_is_not_a_divergence(void **state) {
    (void)state;
    small_run r;
    small_run_open(&r, 0);
    char err[256] = "";
    float scale[1] = {1.0f};
    int rank = 0;
    cc_collective all = {0, 1, 0, &rank, failing_sum_floats, one_rank_sum_doubles, one_rank_broadcast_floats,
                         one_rank_broadcast_doubles, NULL, NULL, 1};
    cc_train_options o = {2, 2, 4, 1e-3, 0, 1.0, 5, CC_LOSS_POISSON, NULL, NULL, NULL, &all};
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    assert_int_equal(cc_train(&r.model, &ctx, &r.t, &r.split, scale, &o, &r.st, err, sizeof err), -1);
    printf("%s\n", err);
    assert_non_null(strstr(err, "epoch 1, batch 1: the sum over the ranks failed"));
    assert_null(strstr(err, "--lr"));
    assert_int_equal(r.st.step, 0);
    small_run_close(&r);
}

/* The averages go into the bias of the layer that produces the outputs. A convlstm-ae
 * with fewer feature maps than channels (2 < 3) had them written into its core's head.b
 * (F entries, so past its end), where they passed through the decoder and were lost: an
 * untrained model predicted about 1 for every channel. */
static void test_init_head_sets_the_output_bias(void **state) {
    (void)state;
    enum { C = 3 };
    cc_tensor t;
    assert_int_equal(cc_tensor_alloc(&t, T, C, S, S), 0);
    for (int ti = 0; ti < T; ti++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < S * S; k++) t.values[cc_tensor_offset(&t, ti, c, 0, 0) + k] = 0.25f * (float)(c + 1);
    memset(t.mask, 1, S * S);
    cc_convlstm_config cfg = {C, S, S, 1, {4}, 3, 4, 1, 0, 2, 2};
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, cfg.window, cfg.horizon, -1, &split, err, sizeof err), 0);
    cc_convlstm model;
    assert_int_equal(cc_convlstm_create(&model, &cfg, 2, 3, err, sizeof err), 0);
    cc_train_init_head(&model, &t, &split);
    const float *bias = cc_arena_at(&model.params, cc_convlstm_output_bias(&model));
    assert_true(bias == cc_arena_at(&model.params, model.ae_head_b));
    for (int c = 0; c < C; c++) assert_float_equal(bias[c], log(0.25 * (c + 1)), 1e-6);
    const float *core = cc_arena_at(&model.params, model.head_b);
    for (int f = 0; f < cfg.features; f++) assert_float_equal(core[f], 0.0f, 0.0f); /* as created */
    cc_convlstm_free(&model);
    cc_tensor_free(&t);
}

/* Integer counts (Poisson draws around the moving hotspot), so sums are exact. */
static void integer_counts(cc_tensor *t) {
    unsigned s = 7;
    for (size_t i = 0; i < (size_t)T * S * S; i++) {
        double lambda = t->values[i], p = exp(-lambda), u;
        int k = 0;
        u = cc_lcg_uniform(&s);
        for (double cdf = p; u > cdf && k < 100; k++) p *= lambda / (k + 1), cdf += p;
        t->values[i] = (float)k;
    }
}

/* A model with baseline_k: untrained, it predicts exactly the historical average of the
 * last k bins at each origin (+ 1/2 count), computed here independently; trained, it
 * beats that average on the moving hotspot. */
static void test_baseline_correction_starts_at_the_historical_average(void **state) {
    (void)state;
    cc_tensor t;
    moving_hotspot(&t);
    integer_counts(&t);
    enum { K = 6, WINDOW = 4, HORIZON = 2 };
    cc_convlstm_config cfg = {1, S, S, 1, {8}, 3, WINDOW, HORIZON, 0, 1, 0, K};
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, WINDOW, HORIZON, -1, &split, err, sizeof err), 0);
    cc_convlstm model;
    assert_int_equal(cc_convlstm_create(&model, &cfg, 8, 3, err, sizeof err), 0);
    float scale[1];
    cc_normalisation_fit(&t, &split, scale);
    cc_train_init_head(&model, &t, &split);
    int starts[3] = {0, 1, 30};
    float out[3 * HORIZON * S * S];
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    assert_int_equal(cc_predict(&model, &ctx, &t, scale, CC_LOSS_POISSON, starts, 3, 8, out, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        int origin = starts[i] + WINDOW - 1, first = origin - K + 1 > 0 ? origin - K + 1 : 0;
        for (int s = 0; s < HORIZON; s++)
            for (int k = 0; k < S * S; k++) {
                double sum = 0.5;
                for (int b = first; b <= origin; b++) sum += t.values[(size_t)b * S * S + k];
                double want = sum / (origin - first + 1), got = out[((size_t)i * HORIZON + s) * S * S + k];
                if (fabs(got - want) > 1e-5 * want) fail_msg("sample %d step %d cell %d: %g, want %g", i, s, k, got, want);
            }
    }
    double untrained = cc_evaluate(&model, &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_POISSON, 8);
    cc_train_state st;
    assert_int_equal(cc_train_state_init(&st, &model), 0);
    cc_train_options o = {30, 30, 8, 1e-2, 0, 1.0, 5, CC_LOSS_POISSON, NULL, NULL, NULL};
    assert_int_equal(cc_train(&model, &ctx, &t, &split, scale, &o, &st, err, sizeof err), 0);
    double trained = cc_evaluate(&model, &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_POISSON, 8);
    printf("test loss: historical average (untrained) %.4f, trained %.4f\n", untrained, trained);
    assert_true(trained < untrained - 0.1);
    cc_train_state_free(&st);
    cc_convlstm_free(&model);
    cc_tensor_free(&t);
}

/* log((counts of bins o-k'+1 .. o of channel c, cell k + 1/2) / k'), k' = min(span, o + 1),
 * span 0 = all, recomputed here in double from the definition in models/dataset.h. */
static double log_average(const cc_tensor *t, int origin, int span, int c, int cell) {
    int first = span > 0 && origin - span + 1 > 0 ? origin - span + 1 : 0;
    double sum = 0;
    for (int b = first; b <= origin; b++) sum += t->values[((size_t)b * t->C + c) * S * S + cell];
    return log((sum + 0.5) / (origin - first + 1));
}

/* Two channels of different counts: the moving hotspot's, and a second drawn from it
 * 9 bins later plus one, so that a map taken from the wrong channel shows. */
static void two_channel_counts(cc_tensor *t) {
    cc_tensor one;
    moving_hotspot(&one);
    integer_counts(&one);
    assert_int_equal(cc_tensor_alloc(t, T, 2, S, S), 0);
    for (int ti = 0; ti < T; ti++)
        for (int k = 0; k < S * S; k++) {
            t->values[((size_t)ti * 2 + 0) * S * S + k] = one.values[(size_t)ti * S * S + k];
            t->values[((size_t)ti * 2 + 1) * S * S + k] = one.values[(size_t)((ti + 9) % T) * S * S + k] + 1;
        }
    memcpy(t->mask, one.mask, S * S);
    memcpy(t->time, one.time, sizeof(*t->time) * T);
    t->categories[0] = strdup("all"), t->categories[1] = strdup("burglary");
    snprintf(t->city, sizeof t->city, "%s", one.city);
    snprintf(t->crs, sizeof t->crs, "%s", one.crs);
    t->bin = one.bin;
    t->cell = one.cell, t->x0 = one.x0, t->y0 = one.y0;
    cc_tensor_free(&one);
}

/* The context maps, recomputed here from their definition, for C = 2 so that the order of
 * maps and channels is checked too: per channel the year's log-average, the 1-, 4-, 13-bin
 * and whole-history ones as log ratios to it, the near-repeat map (each group of maps
 * [C][H][W]), the target's season (two planes), then the two recency maps
 * log(1 + R_d(o) / long-run rate) as [d][C][H][W] and the level-gated 1-, 4- and 13-bin
 * ratios (a_k - a_P) log(1 + exp(a_P)) as [k][C][H][W]. */
/* The smoothed historical average (models/dataset.h): a single count spreads as the
 * Gaussian's taps over their sum, squared (separable), away from the edges; a constant
 * field stays constant up to the mask's edge (the division by the mask's weight); and
 * the baseline of a tensor of constant counts is the same smoothed or not. */
static void test_smoothed_baseline(void **state) {
    (void)state;
    enum { N = 15 };
    float map[N * N] = {0}, scratch[3 * N * N];
    uint8_t mask[N * N];
    memset(mask, 1, sizeof mask);
    map[7 * N + 7] = 1;
    cc_smooth_in_mask(map, mask, N, N, 1.0, scratch);
    double taps = 0;
    for (int d = -3; d <= 3; d++) taps += exp(-0.5 * d * d);
    assert_true(fabs(map[(7 + 2) * N + 7 + 1] - exp(-0.5 * 1) * exp(-0.5 * 4) / (taps * taps)) < 1e-7);
    assert_true(fabs(map[7 * N + 7] - 1 / (taps * taps)) < 1e-7);
    assert_true(map[7 * N + 11] == 0); /* 4 cells away: past 3 sigma */
    for (int q = 0; q < N * N; q++) map[q] = 2, mask[q] = (q % N) < 9; /* the east columns outside */
    cc_smooth_in_mask(map, mask, N, N, 2.0, scratch);
    for (int q = 0; q < N * N; q++)
        if (mask[q]) assert_true(fabs(map[q] - 2) < 1e-6);
    cc_tensor t;
    assert_int_equal(cc_tensor_alloc(&t, 6, 1, N, N), 0);
    memset(t.mask, 1, N * N);
    for (size_t q = 0; q < (size_t)6 * N * N; q++) t.values[q] = 3;
    int starts[1] = {1};
    float plain[N * N], smooth[N * N];
    cc_gather_baseline(&t, starts, 1, 3, 1, 52, 0.0, plain, NULL);
    cc_gather_baseline(&t, starts, 1, 3, 1, 52, 1.5, smooth, scratch);
    for (int q = 0; q < N * N; q++) {
        assert_true(fabs(plain[q] - log((3.0 * 4 + 0.5) / 4)) < 1e-6); /* origin 3: bins 0-3 */
        assert_true(fabs(smooth[q] - plain[q]) < 1e-6);
    }
    cc_tensor_free(&t);
}

/* The memory plan: activations counted by hand for a one-layer ConvLSTM (per step and
 * sample, 4h gates, 4h gate gradients, c, h, dh: 11h maps; per sample, the encoder's and
 * forecaster's dc_carry and three scratch maps: 5h), the model's 7 parameter copies on
 * the CPU equal to what cc_convlstm_create allocates, the convolutions' scratch, and the
 * largest batch at a budget
 * exactly at a plan. */
static void test_memory_plan(void **state) {
    (void)state;
    cc_convlstm_config c = {.channels = 2, .height = 8, .width = 8, .layers = 1, .hidden = {4}, .kernel = 3,
                            .window = 3, .horizon = 1};
    const int batch = 2, h = 4, plane = 64, bins = 50, R = 2;
    cc_train_memory m;
    char err[256];
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, 0, 1, 1, &m, err, sizeof err), 0);
    double acts = (11.0 * h * (c.window + c.horizon) + 5.0 * h) * batch * plane;
    assert_true(m.activations == 4 * acts);
    cc_convlstm model;
    assert_int_equal(cc_convlstm_create(&model, &c, batch, 1, err, sizeof err), 0);
    assert_true(m.activations == 4.0 * (double)model.acts.size);
    assert_true(m.model == 4.0 * 7 * (double)model.params.size);
    /* The scratch: the larger of one thread's im2col columns (the recurrent convolution's:
     * 4 x 9 rows of 64 cells, plus the filter-gradient partials 16 x 36 + 16 = 2896) and
     * oneDNN's copies of the largest call, all 3 x 2 input steps at once, each image its
     * input, output and weights in plain layouts (fewer than 16 channels): recurrent
     * 4 x 64 + 16 x 64 + 16 x 4 x 9 = 1856 floats, x 6 = 11136. */
    assert_true(model.workspace_per_thread == 2896);
    assert_true(m.workspace == 4.0 * 11136);
    cc_convlstm_free(&model);
    assert_true(m.tensor == 4.0 * bins * c.channels * plane * (1 + R));
    double x = (double)c.window * batch * c.channels * plane, y = (double)c.horizon * batch * c.channels * plane;
    assert_true(m.batches == 4 * (x + 4 * y));
    assert_true(m.host == CC_PROGRAM_BYTES + m.tensor + m.model + m.activations + m.batches + m.workspace &&
                m.device == 0);
    /* On a GPU the activations, the model's second copy and the batches' copies move there. */
    cc_train_memory g;
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, 1, 1, 1, &g, err, sizeof err), 0);
    assert_true(g.device > g.activations && g.host < m.host && g.activations == m.activations);
    /* The host's part of them: x, y, the baseline and the outputs read back (no dL/dr); the
     * gathered batch, x, y and the baseline, is what resident windows spare it. */
    assert_true(g.batches == 4 * (x + 3 * y) + 4 * (x + 4 * y) + plane);
    /* On the GPU's GEMM path the scratch is the im2col columns of its largest call, every
     * input step of the batch at once: 2896 floats an image, x 3 steps x batch 2. Through
     * cuDNN it is its workspace's most (kernels/ops.h), far more. */
    cc_train_memory cudnn;
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, CC_PLAN_GPU_CUDNN, 1, 1, &cudnn, err, sizeof err), 0);
    assert_true(g.workspace == 4.0 * 2896 * 3 * batch && cudnn.workspace == 4.0 * CC_CUDNN_WORKSPACE_FLOATS);
    assert_true(cudnn.device == g.device - g.workspace + cudnn.workspace && cudnn.host == g.host);
    /* In bfloat16 cuDNN's path rounds a whole call's operands and result into scratch beside
     * its workspace: the largest call's 11136 values above (oneDNN's figure), 2 bytes each.
     * The GEMM path's bfloat16 copies are chunked within its columns' budget: counted as them. */
    cc_train_memory half, gemm_half;
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, CC_PLAN_GPU_CUDNN | CC_PLAN_BF16, 1, 1, &half, err, sizeof err), 0);
    assert_true(half.bf16_copies == 2.0 * 11136 && half.workspace == cudnn.workspace + 2.0 * 11136 &&
                half.device == cudnn.device + 2.0 * 11136 && half.host == cudnn.host && cudnn.bf16_copies == 0);
    /* what is reserved for cuDNN's own workspace is the same with or without the copies */
    assert_true(cc_cudnn_workspace_reserved(&half) == cudnn.workspace && cc_cudnn_workspace_reserved(&cudnn) == cudnn.workspace);
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, CC_PLAN_GPU | CC_PLAN_BF16, 1, 1, &gemm_half, err, sizeof err), 0);
    assert_true(gemm_half.bf16_copies == 0 && gemm_half.workspace == g.workspace && gemm_half.device == g.device);
    /* With a horizon longer than the window the forecaster's calls are the largest: 4 output
     * steps x batch 2 of the recurrent convolution's 1856 values, on the CPU (oneDNN's
     * copies, 14848 floats, more than im2col's 2896) and in cuDNN's bf16 copies. */
    cc_convlstm_config longer = c;
    longer.window = 2, longer.horizon = 4;
    cc_train_memory lm, lh;
    assert_int_equal(cc_train_memory_plan(&longer, batch, bins, R, 0, 1, 1, &lm, err, sizeof err), 0);
    assert_true(lm.workspace == 4.0 * 1856 * 4 * batch);
    assert_int_equal(cc_train_memory_plan(&longer, batch, bins, R, CC_PLAN_GPU_CUDNN | CC_PLAN_BF16, 1, 1, &lh, err, sizeof err), 0);
    assert_true(lh.bf16_copies == 2.0 * 1856 * 4 * batch);
    /* The plan's device for a context: bf16 matters only through cuDNN. */
    cc_ops_context on_cpu = {.backend = CC_BACKEND_CPU, .bf16 = 1}, gemm16 = {.backend = CC_BACKEND_CUDA, .bf16 = 1};
    cc_ops_context cudnn16 = {.backend = CC_BACKEND_CUDA, .conv_cudnn = 1, .bf16 = 1}, cudnn32 = {.backend = CC_BACKEND_CUDA, .conv_cudnn = 1};
    assert_int_equal(cc_plan_device(&on_cpu), CC_PLAN_CPU);
    assert_int_equal(cc_plan_device(&gemm16), CC_PLAN_GPU);
    assert_int_equal(cc_plan_device(&cudnn16), CC_PLAN_GPU_CUDNN | CC_PLAN_BF16);
    assert_int_equal(cc_plan_device(&cudnn32), CC_PLAN_GPU_CUDNN);
    /* CC_PLAN_BF16 alone is a CPU plan. */
    cc_train_memory cpu_half;
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, CC_PLAN_BF16, 1, 1, &cpu_half, err, sizeof err), 0);
    assert_true(cpu_half.host == m.host && cpu_half.device == 0 && cpu_half.bf16_copies == 0);
    /* What a run through cuDNN grants its algorithms (kernels/ops.h): the plan's scratch and
     * half of what the budget leaves beyond the plan, within 16 GiB; never less than the plan's. */
    const double MIB = 1048576.0, GIB = 1024 * MIB;
    assert_true(cc_cudnn_workspace_grant(cudnn.workspace, cudnn.device, 0) == CC_CUDNN_WORKSPACE_FLOATS);
    assert_true(cc_cudnn_workspace_grant(cudnn.workspace, cudnn.device, cudnn.device - 1) == CC_CUDNN_WORKSPACE_FLOATS);
    assert_true(cc_cudnn_workspace_grant(512 * MIB, 2 * GIB, 3 * GIB) == (size_t)(1024 * MIB / 4));
    assert_true(cc_cudnn_workspace_grant(512 * MIB, 2 * GIB, 100 * GIB) == (size_t)4 << 30);
    assert_true(cc_cudnn_workspace_grant(20 * GIB, 30 * GIB, 100 * GIB) == (size_t)(20 * GIB / 4));
    assert_true(cc_cudnn_workspace_grant(1 * MIB, 2 * GIB, 0) == CC_CUDNN_WORKSPACE_FLOATS);
    cc_train_memory resident;
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, 1, 0, 1, &resident, err, sizeof err), 0);
    assert_true(resident.batches == g.batches - 4 * (x + 2 * y) && resident.host == g.host - 4 * (x + 2 * y) &&
                resident.device == g.device);
    cc_train_memory cpu_resident; /* on the CPU the batches are the ops' own either way */
    assert_int_equal(cc_train_memory_plan(&c, batch, bins, R, 0, 0, 1, &cpu_resident, err, sizeof err), 0);
    assert_true(cpu_resident.host == m.host);
    /* The largest batch within a budget that is exactly the plan of batch 5. */
    cc_train_memory five;
    assert_int_equal(cc_train_memory_plan(&c, 5, bins, R, 0, 1, 1, &five, err, sizeof err), 0);
    assert_int_equal(cc_train_memory_largest_batch(&c, 16, bins, R, 0, 1, 1, five.host), 5);
    assert_int_equal(cc_train_memory_largest_batch(&c, 16, bins, R, 0, 1, 1, five.host - 1), 4);
    assert_int_equal(cc_train_memory_largest_batch(&c, 3, bins, R, 0, 1, 1, five.host), 3);
    assert_int_equal(cc_train_memory_largest_batch(&c, 16, bins, R, 0, 1, 1, 1000), 0);
}

/* Covariate input maps (models/covariate_inputs.h) sit between a step's counts and its
 * context maps: the static ones on every step, the dynamic ones of the step's own bin. */
static void test_covariate_maps_in_batches(void **state) {
    (void)state;
    cc_tensor t;
    two_channel_counts(&t);
    enum { C = 2, WINDOW = 3, HORIZON = 1, N = 2, KS = 2, KD = 3 };
    size_t plane = (size_t)S * S;
    t.input_static = KS, t.input_dynamic = KD;
    t.static_inputs = malloc(sizeof(float) * KS * plane);
    t.dynamic_inputs = malloc(sizeof(float) * (size_t)T * KD * plane);
    assert_non_null(t.static_inputs), assert_non_null(t.dynamic_inputs);
    for (size_t q = 0; q < KS * plane; q++) t.static_inputs[q] = 100.0f + (float)q;
    for (size_t q = 0; q < (size_t)T * KD * plane; q++) t.dynamic_inputs[q] = -(float)q;
    cc_sample_spec spec = {WINDOW, HORIZON, 1, 0, 0, 1};
    int E = cc_context_maps(C, 0, 0);
    assert_int_equal(cc_sample_extra_maps(&spec, &t), KS + KD + E);
    int starts[N] = {3, 17};
    float scale[C] = {1.0f, 2.0f};
    float *x = malloc(sizeof(float) * WINDOW * N * (C + KS + KD + E) * plane), *y = malloc(sizeof(float) * N * C * plane);
    cc_gather_batch(&t, scale, starts, N, &spec, x, y);
    cc_sample_spec plain = {WINDOW, HORIZON, 1, 0, 0, 0};
    float *x0 = malloc(sizeof(float) * WINDOW * N * (C + E) * plane);
    cc_gather_batch(&t, scale, starts, N, &plain, x0, y);
    for (int s = 0; s < WINDOW; s++)
        for (int i = 0; i < N; i++) {
            const float *step = x + ((size_t)s * N + i) * (C + KS + KD + E) * plane;
            const float *without = x0 + ((size_t)s * N + i) * (C + E) * plane;
            for (size_t k = 0; k < plane; k++) {
                for (int c = 0; c < C; c++) assert_float_equal(step[c * plane + k], without[c * plane + k], 0);
                for (int m = 0; m < KS; m++) assert_float_equal(step[(C + m) * plane + k], 100.0f + m * plane + k, 0);
                for (int m = 0; m < KD; m++) /* the step's own bin */
                    assert_float_equal(step[(C + KS + m) * plane + k],
                                       -(float)(((size_t)(starts[i] + s) * KD + m) * plane + k), 0);
                for (int m = 0; m < E; m++) /* the context maps unchanged, after them */
                    assert_float_equal(step[(C + KS + KD + m) * plane + k], without[(C + m) * plane + k], 0);
            }
        }
    free(x), free(x0), free(y);
    cc_tensor_free(&t);
}

/* A two-channel tensor with every kind of map a sample can carry: two recency maps per
 * channel and bin, two static and three dynamic covariate input maps. */
static void tensor_with_every_map(cc_tensor *t) {
    enum { KS = 2, KD = 3 };
    size_t plane = (size_t)S * S;
    two_channel_counts(t);
    assert_int_equal(cc_tensor_alloc_recency(t), 0);
    for (size_t q = 0; q < (size_t)T * CC_RECENCY_MAPS * 2 * plane; q++) t->recency[q] = (float)((q * 7919) % 23) / 7.0f;
    t->input_static = KS, t->input_dynamic = KD;
    t->static_inputs = malloc(sizeof(float) * KS * plane);
    t->dynamic_inputs = malloc(sizeof(float) * (size_t)T * KD * plane);
    assert_non_null(t->static_inputs), assert_non_null(t->dynamic_inputs);
    for (size_t q = 0; q < KS * plane; q++) t->static_inputs[q] = 0.5f + (float)(q % 11);
    for (size_t q = 0; q < (size_t)T * KD * plane; q++) t->dynamic_inputs[q] = (float)((q * 31) % 17) - 8.0f;
}


/* Lags with gaps (models/sample_lags.h): a sample that holds lags 6, 3 and 1 of a window
 * of 6 is the dense sample's steps 0, 3 and 5, whole (counts, covariates, context maps),
 * whether gathered on the host or assembled from resident windows; ST-ResNet's config
 * asks for exactly its branches' lags and lag 1, and the memory plan counts those steps. */
static void test_lags_with_gaps(void **state) {
    (void)state;
    cc_lags none = {{0}}, held = {{0}};
    cc_lags_add(&held, 6), cc_lags_add(&held, 1), cc_lags_add(&held, 3), cc_lags_add(&held, 3);
    assert_int_equal(cc_lags_steps(&none, 4), 4);
    assert_int_equal(cc_lags_lag_of_step(&none, 4, 0), 4), assert_int_equal(cc_lags_step_of_lag(&none, 4, 1), 3);
    assert_int_equal(cc_lags_step_of_lag(&none, 4, 5), -1);
    assert_int_equal(cc_lags_steps(&held, 6), 3);
    const int lag_of[3] = {6, 3, 1}; /* longest first */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cc_lags_lag_of_step(&held, 6, k), lag_of[k]);
        assert_int_equal(cc_lags_step_of_lag(&held, 6, lag_of[k]), k);
    }
    assert_int_equal(cc_lags_step_of_lag(&held, 6, 2), -1);

    cc_tensor t;
    tensor_with_every_map(&t);
    enum { C = 2, WINDOW = 6, HORIZON = 1, N = 3, STEPS = 3 };
    size_t plane = (size_t)S * S, map = C * plane;
    cc_sample_spec dense = {WINDOW, HORIZON, 1, CC_RECENCY_MAPS, 2, 1}, sparse = dense;
    sparse.lags = held;
    assert_int_equal(cc_sample_steps(&sparse), STEPS);
    size_t step = (size_t)(C + cc_sample_extra_maps(&dense, &t)) * plane;
    int starts[N] = {0, 23, T - WINDOW - HORIZON};
    float scale[C] = {0.8f, 1.7f};
    float *x = malloc(sizeof(float) * WINDOW * N * step), *gx = malloc(sizeof(float) * STEPS * N * step);
    float *rx = malloc(sizeof(float) * STEPS * N * step), *y = malloc(sizeof(float) * N * map);
    float *gy = malloc(sizeof(float) * N * map), *ry = malloc(sizeof(float) * N * map);
    assert_true(x && gx && rx && y && gy && ry);
    cc_gather_batch(&t, scale, starts, N, &dense, x, y);
    cc_gather_batch(&t, scale, starts, N, &sparse, gx, gy);
    for (int k = 0; k < STEPS; k++)
        for (int i = 0; i < N; i++)
            assert_memory_equal(gx + ((size_t)k * N + i) * step, x + ((size_t)(WINDOW - lag_of[k]) * N + i) * step,
                                sizeof(float) * step);
    assert_memory_equal(gy, y, sizeof(float) * N * map);
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    cc_window_tables_spec spec = {sparse, 0, 0.0, 0};
    cc_window_tables w;
    char err[256];
    assert_int_equal(cc_window_tables_open(&w, &ctx, &t, scale, &spec, N, err, sizeof err), 0);
    for (size_t q = 0; q < STEPS * N * step; q++) rx[q] = NAN;
    cc_train_step_io io = {.x = rx, .target = ry};
    cc_window_tables_assemble(&w, &ctx, starts, N, &io);
    assert_memory_equal(rx, gx, sizeof(float) * STEPS * N * step);
    assert_memory_equal(ry, gy, sizeof(float) * N * map);
    cc_window_tables_close(&w);
    free(x), free(gx), free(rx), free(y), free(gy), free(ry);
    cc_tensor_free(&t);

    /* Weekly with a yearly trend: closeness 3, period 1 x 13, trend 1 x 52 read lags 52,
     * 13, 3, 2, 1 of a window of 52. */
    cc_convlstm_config st = {.channels = 2, .height = 30, .width = 20, .window = 52, .horizon = 1, .features = 4,
                             .arch = CC_ARCH_ST_RESNET, .closeness = 3, .period = 1, .trend = 1, .period_lag = 13,
                             .trend_lag = 52, .resunits = 1, .context = 5, .skip = 3};
    cc_sample_spec of_st = cc_model_sample_spec(&st);
    assert_int_equal(cc_sample_steps(&of_st), 5);
    const int st_lags[5] = {52, 13, 3, 2, 1};
    for (int k = 0; k < 5; k++) assert_int_equal(cc_lags_lag_of_step(&of_st.lags, 52, k), st_lags[k]);
    double x_floats = 5.0 * 4 * (2 + 5) * 30 * 20, y_floats = 1.0 * 4 * 2 * 30 * 20; /* batch 4 */
    cc_train_memory plan;
    assert_int_equal(cc_train_memory_plan(&st, 4, 60, 0, 0, 1, 1, &plan, err, sizeof err), 0);
    assert_true(plan.batches == 4.0 * (x_floats + 4 * y_floats)); /* x, y, base, out, dL/dr */
    st.closeness = 0, st.period = 0; /* the trend alone still holds lag 1, the skip path's step */
    assert_int_equal(cc_model_input_steps(&st), 2);
}

/* Resident windows (models/window_tables.h): batches assembled from the per-bin tables
 * are the host's gather bit for bit - inputs with covariates, context, recency and gated
 * maps, the targets of a two-bin horizon (raw, and normalised for MSE), the smoothed
 * baseline - for samples anywhere on the axis, the last one included; and two epochs of
 * training either way end with the same losses and parameters. */
static void test_resident_windows_are_the_host_gather(void **state) {
    (void)state;
    cc_tensor t;
    tensor_with_every_map(&t);
    enum { C = 2, WINDOW = 3, HORIZON = 2, N = 5 };
    size_t plane = (size_t)S * S, map = C * plane;
    cc_sample_spec sample = {WINDOW, HORIZON, 1, CC_RECENCY_MAPS, 2, 1};
    size_t step = (size_t)(C + cc_sample_extra_maps(&sample, &t)) * plane;
    int starts[N] = {0, 17, 40, 5, T - WINDOW - HORIZON}; /* the last sample's targets end the axis */
    float scale[C] = {0.8f, 1.7f};
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    float *x = malloc(sizeof(float) * WINDOW * N * step), *y = malloc(sizeof(float) * HORIZON * N * map);
    float *base = malloc(sizeof(float) * HORIZON * N * map);
    float *rx = malloc(sizeof(float) * WINDOW * N * step), *ry = malloc(sizeof(float) * HORIZON * N * map);
    float *rbase = malloc(sizeof(float) * HORIZON * N * map);
    float *smooth = malloc(sizeof(float) * CC_BASELINE_SCRATCH_FLOATS(t.H, t.W));
    assert_true(x && y && base && rx && ry && rbase && smooth);
    /* Tables built on 1 thread and on 3 (bins shared unevenly among them): the same bits,
     * every row of them; then the 3 threads' batches are the host's gather. */
    for (int mse = 0; mse <= 1; mse++) {
        cc_ops_context three = ctx;
        three.threads = 3;
        cc_window_tables_spec spec = {sample, 52, 1.0, mse};
        cc_window_tables one_thread, w;
        char err[256];
        assert_int_equal(cc_window_tables_open(&one_thread, &ctx, &t, scale, &spec, N, err, sizeof err), 0);
        assert_int_equal(cc_window_tables_open(&w, &three, &t, scale, &spec, N, err, sizeof err), 0);
        assert_int_equal(w.mse, mse);
        assert_memory_equal(w.window, one_thread.window, sizeof(float) * (size_t)w.rows * w.row_floats);
        assert_memory_equal(w.base, one_thread.base, sizeof(float) * (size_t)w.rows * map);
        assert_memory_equal(w.targets, one_thread.targets, sizeof(float) * (size_t)T * map);
        cc_window_tables_close(&one_thread);
        assert_int_equal(w.rows, T - HORIZON);
        assert_true(cc_window_tables_bytes(&spec, &t) ==
                    sizeof(float) * ((double)(T - HORIZON) * (double)(step + map) + (double)T * (double)map));
        for (size_t q = 0; q < WINDOW * N * step; q++) x[q] = NAN; /* what the tables leave unwritten shows */
        for (size_t q = 0; q < HORIZON * N * map; q++) y[q] = base[q] = NAN;
        cc_train_step_io io = {.x = x, .target = y, .log_offset = base};
        cc_window_tables_assemble(&w, &ctx, starts, N, &io);
        cc_gather_batch(&t, scale, starts, N, &sample, rx, ry);
        if (mse) cc_normalise_counts(&t, scale, ry, (size_t)HORIZON * N * C);
        cc_gather_baseline(&t, starts, N, WINDOW, HORIZON, 52, 1.0, rbase, smooth);
        assert_memory_equal(x, rx, sizeof(float) * WINDOW * N * step);
        assert_memory_equal(y, ry, sizeof(float) * HORIZON * N * map);
        assert_memory_equal(base, rbase, sizeof(float) * HORIZON * N * map);
        cc_window_tables_close(&w);
    }
    free(x), free(y), free(base), free(rx), free(ry), free(rbase), free(smooth);

    /* Two epochs each way: a convlstm with every map, a baseline offset, horizon 2. */
    int covariates = t.input_static + t.input_dynamic;
    cc_convlstm_config cfg = {C, S, S, 1, {4}, 3, WINDOW, HORIZON, 0, 1, 0, 52};
    cfg.context = covariates + cc_context_maps(C, CC_RECENCY_MAPS, 2), cfg.covariates = covariates;
    cfg.skip = 3, cfg.recency = CC_RECENCY_MAPS, cfg.gated = 2, cfg.skip_only = cc_gated_maps(C);
    cfg.baseline_sigma = 1.0;
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, WINDOW, HORIZON, -1, &split, err, sizeof err), 0);
    /* Runs: 0 the host's gather, 1 resident tables of its own, 2 and 3 one set of tables
     * shared by two runs in turn (the members of a seed ensemble): training reads them and
     * leaves them as they were. */
    enum { RUNS = 4 };
    cc_convlstm model[RUNS];
    cc_train_state st[RUNS];
    cc_train_options o = {2, 2, 4, 1e-2, 0, 1.0, 5, CC_LOSS_POISSON, NULL, NULL, NULL};
    cc_window_tables shared;
    for (int run = 0; run < RUNS; run++) {
        assert_int_equal(cc_convlstm_create(&model[run], &cfg, 4, 5, err, sizeof err), 0);
        assert_int_equal(cc_train_state_init(&st[run], &model[run]), 0);
        o.resident = run > 0;
        if (run == 2)
            assert_int_equal(cc_train_open_window_tables(&shared, &ctx, &t, scale, &model[run], &o, err, sizeof err), 0);
        o.tables = run >= 2 ? &shared : NULL;
        assert_int_equal(cc_train(&model[run], &ctx, &t, &split, scale, &o, &st[run], err, sizeof err), 0);
    }
    /* The test loss from the shared tables (as train prints it) is the host gather's, bit
     * for bit; a batch larger than the tables' (4) is cut to theirs */
    for (int batch = 3; batch <= 9; batch += 6) {
        double host = cc_evaluate(&model[0], &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_POISSON, batch < 4 ? batch : 4);
        double from_tables =
            cc_evaluate_from(&model[0], &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_POISSON, batch, &shared);
        assert_true(isfinite(host) && host > 0);
        assert_memory_equal(&host, &from_tables, sizeof host);
    }
    /* Poisson's tables asked for the MSE loss (normalised targets): the host's gather */
    double mse_host = cc_evaluate(&model[0], &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_MSE, 4);
    double mse_tables = cc_evaluate_from(&model[0], &ctx, &t, &split, CC_SPAN_TEST, scale, CC_LOSS_MSE, 4, &shared);
    assert_memory_equal(&mse_host, &mse_tables, sizeof mse_host);
    cc_window_tables_close(&shared);
    assert_true(st[0].train_loss[1] != st[0].train_loss[0]); /* it trained */
    for (int run = 1; run < RUNS; run++) {
        assert_int_equal(st[run].epochs_done, 2);
        assert_memory_equal(st[0].train_loss, st[run].train_loss, sizeof(double) * 2);
        assert_memory_equal(st[0].val_loss, st[run].val_loss, sizeof(double) * 2);
        assert_memory_equal(model[0].params.data, model[run].params.data, sizeof(float) * model[0].params.size);
    }
    for (int k = 0; k < RUNS; k++) cc_train_state_free(&st[k]), cc_convlstm_free(&model[k]);
    cc_tensor_free(&t);
}

static void test_context_maps(void **state) {
    (void)state;
    cc_tensor t;
    two_channel_counts(&t); /* weekly bins: a year is 52 */
    assert_int_equal(cc_tensor_alloc_recency(&t), 0);
    for (size_t q = 0; q < (size_t)T * CC_RECENCY_MAPS * 2 * S * S; q++) t.recency[q] = (float)((q * 7919) % 23) / 7.0f;
    /* 2 x (year + 4 ratios + near repeat) + sin + cos + 2 x 2 recency + 3 x 2 gated */
    enum { C = 2, WINDOW = 3, HORIZON = 2, N = 3, E = 24 };
    assert_int_equal(cc_context_maps(1, 0, 0), 8);
    assert_int_equal(cc_context_maps(3, 0, 0), 20);
    assert_int_equal(cc_context_maps(1, 2, 0), 10);
    assert_int_equal(cc_context_maps(C, 2, 0), 18);
    assert_int_equal(cc_context_maps(C, 2, 1), E);
    assert_int_equal(cc_context_maps(3, 2, 1), 35);
    int starts[N] = {0, 20, T - WINDOW - HORIZON};
    float scale[C] = {0.8f, 1.3f}, x[WINDOW * N * (C + E) * S * S], y[HORIZON * N * C * S * S];
    cc_sample_spec spec = {WINDOW, HORIZON, 1, 2, 1};
    assert_int_equal(cc_sample_context_maps(&spec, C), E);
    cc_sample_spec no_context = {WINDOW, HORIZON, 0, 2, 1};
    assert_int_equal(cc_sample_context_maps(&no_context, C), 0);
    cc_gather_batch(&t, scale, starts, N, &spec, x, y);
    { /* a sample per thread: the same bits */
        static float x3[WINDOW * N * (C + E) * S * S], y3[HORIZON * N * C * S * S];
        cc_ops_context three = {CC_BACKEND_CPU, 3, NULL, 0};
        cc_gather_batch_threads(&three, &t, scale, starts, N, &spec, x3, y3);
        assert_memory_equal(x3, x, sizeof x3);
        assert_memory_equal(y3, y, sizeof y3);
    }
    const int spans[4] = {1, 4, 13, 0};
#define MAP(m) (step + (size_t)(m) * S * S)
    for (int s = 0; s < WINDOW; s++)
        for (int i = 0; i < N; i++) {
            const float *step = x + ((size_t)s * N + i) * (C + E) * S * S;
            int origin = starts[i] + WINDOW - 1, target = origin + HORIZON;
            double phase = 2 * 3.14159265358979 * fmod((double)t.time[target], 365.2425) / 365.2425;
            for (int k = 0; k < S * S; k++) {
                for (int c = 0; c < C; c++) {
                    double counts = log1p(t.values[((size_t)(starts[i] + s) * C + c) * S * S + k]) / scale[c];
                    double year = log_average(&t, origin, 52, c, k);
                    assert_float_equal(MAP(c)[k], counts, 1e-5);
                    assert_float_equal(MAP(C + c)[k], year, 1e-5);
                    for (int j = 0; j < 4; j++)
                        assert_float_equal(MAP((2 + j) * C + c)[k], log_average(&t, origin, spans[j], c, k) - year, 1e-5);
                    double last = t.values[((size_t)origin * C + c) * S * S + k];
                    double rate = exp(log_average(&t, origin, 0, c, k));
                    assert_float_equal(MAP(6 * C + c)[k], log(1 + last / rate), 1e-5);
                    for (int r = 0; r < 2; r++) {
                        double recent = t.recency[(((size_t)origin * CC_RECENCY_MAPS + r) * C + c) * S * S + k];
                        assert_float_equal(MAP(7 * C + 2 + r * C + c)[k], log1p(recent / rate), 1e-5);
                    }
                    for (int j = 0; j < 3; j++) {
                        double ratio = log_average(&t, origin, spans[j], c, k) - year;
                        assert_float_equal(MAP(9 * C + 2 + j * C + c)[k], ratio * log1p(exp(year)), 1e-4);
                    }
                }
                assert_float_equal(MAP(7 * C)[k], sin(phase), 1e-5);
                assert_float_equal(MAP(7 * C + 1)[k], cos(phase), 1e-5);
            }
        }
#undef MAP
    for (int k = 0; k < HORIZON * N * C * S * S; k++) { /* the targets, written after the maps used them as scratch */
        int h = k / (N * C * S * S), i = k / (C * S * S) % N;
        assert_true(y[k] == t.values[(size_t)(starts[i] + WINDOW + h) * C * S * S + k % (C * S * S)]);
    }
    cc_tensor_free(&t);
}

/* The same bits as the definitions' expressions, evaluated here cell by cell: the inputs
 * look whole counts below 64 up in tables (models/dataset.c), so counts of 0-63 and
 * beyond, fractions and -0 are all mixed in, and every float compared by its bits. */
static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static void test_whole_count_tables_give_the_definitions_bits(void **state) {
    (void)state;
    cc_tensor t;
    two_channel_counts(&t);
    const float odd[] = {63, 64, 65, 100, 1000, 0.5f, 2.25f, -0.0f, 1e-30f, 17, 63.5f, 1e-40f, -0.5f};
    for (size_t q = 0; q < (size_t)T * 2 * S * S; q += 3) t.values[q] = odd[q / 3 % (sizeof odd / sizeof odd[0])];
    for (size_t q = 1; q < (size_t)T * 2 * S * S; q += 7) t.values[q] = 0.0f;
    assert_int_equal(cc_tensor_alloc_recency(&t), 0); /* zeros (and -0) among them, as at fine resolution */
    for (size_t q = 0; q < (size_t)T * CC_RECENCY_MAPS * 2 * S * S; q++)
        t.recency[q] = q % 3 ? 0.0f : q % 2 ? -0.0f : (float)((q * 7919) % 23) / 7.0f;
    enum { C = 2, WINDOW = 3, HORIZON = 1, N = 3, E = 6 * C + 2 + C + 3 * C };
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, WINDOW, HORIZON, -1, &split, err, sizeof err), 0);
    float scale[C];
    cc_normalisation_fit(&t, &split, scale);
    for (int c = 0; c < C; c++) { /* the RMS of log1p over the fitted bins, in the same order */
        double sum = 0;
        long n = 0;
        for (int b = 0; b < cc_split_fit_end(&split); b++)
            for (int k = 0; k < S * S; k++) {
                double v = log1p((double)t.values[((size_t)b * C + c) * S * S + k]);
                sum += v * v, n++;
            }
        assert_true(same_bits(scale[c], (float)sqrt(sum / (double)n)));
    }
    int starts[N] = {0, 20, T - WINDOW - HORIZON};
    static float x[WINDOW * N * (C + E) * S * S], y[HORIZON * N * C * S * S], base[N * C * S * S];
    cc_sample_spec spec = {WINDOW, HORIZON, 1, 1, 1};
    assert_int_equal(cc_sample_context_maps(&spec, C), E);
    cc_gather_batch(&t, scale, starts, N, &spec, x, y);
    cc_gather_baseline(&t, starts, N, WINDOW, HORIZON, 5, 0.0, base, NULL);
    size_t map = (size_t)C * S * S;
    for (int i = 0; i < N; i++) {
        int origin = starts[i] + WINDOW - 1, first = origin - 4 > 0 ? origin - 4 : 0;
        for (size_t q = 0; q < map; q++) {
            float sum = 0; /* in bin order, as cc_tensor_sum_bins adds them (1e-30 + 17 rounds) */
            for (int b = first; b <= origin; b++) sum += t.values[(size_t)b * map + q];
            assert_true(same_bits(base[i * map + q], (float)log((sum + 0.5) / (origin - first + 1))));
        }
        for (int s = 0; s < WINDOW; s++) {
            const float *step = x + ((size_t)s * N + i) * (C + E) * S * S;
            const float *counts = t.values + (size_t)(starts[i] + s) * map;
            for (size_t q = 0; q < map; q++)
                assert_true(same_bits(step[q], (float)(log1p((double)counts[q]) / scale[q / (S * S)])));
            const float *year = step + map, *ratios = step + 2 * map, *near = step + 6 * map;
            const float *recent = near + map + 2 * S * S, *gated = recent + map;
            const float *last = t.values + (size_t)origin * map;
            for (size_t q = 0; q < map; q++) {
                float all = 0; /* the whole history's sum and log-rate a_all, as log_average forms them */
                for (int b = 0; b <= origin; b++) all += t.values[(size_t)b * map + q];
                double rate = exp((double)(float)log((all + 0.5) / (origin + 1)));
                assert_true(same_bits(near[q], (float)log1p(last[q] / rate))); /* log(1 + n_o / exp(a_all)) */
                float r = t.recency[((size_t)origin * CC_RECENCY_MAPS * C) * S * S + q]; /* recency map 0 */
                assert_true(same_bits(recent[q], (float)log1p(r / rate)));
                for (int j = 0; j < 3; j++) /* (a_k - a_P) log(1 + exp(a_P)) from the stored ratio and year */
                    assert_true(same_bits(gated[j * map + q], (float)(ratios[j * map + q] * log1p(exp((double)year[q])))));
            }
        }
    }
    cc_tensor_free(&t);
}

/* A GPU build's host staging: two halves of 128 MiB of rows, or of a row per build thread
 * (at most 16) when rows are larger, or of every row; counted by hand here. */
static void test_window_tables_staging_bytes(void **state) {
    (void)state;
    cc_tensor t;
    memset(&t, 0, sizeof t);
    t.T = 313, t.C = 12, t.H = 299, t.W = 247; /* Chicago at 150 m: only the sizes are read */
    cc_window_tables_spec spec = {{8, 1, 1, 2, 2}, 52, 0.0, 0};
    double plane = 299.0 * 247, maps = 12 + (6 + 2 + 3) * 12 + 2; /* counts, then 134 context maps */
    double row = 4 * (maps * plane + 12 * plane);                 /* a window row and its baseline row */
    double half = 128.0 * 1024 * 1024;
    assert_true(row > half / 3 && row <= half / 2); /* two rows in a 128 MiB half */
    assert_float_equal(cc_window_tables_staging_bytes(&spec, &t, 1), 2 * 2 * row, 1);
    assert_float_equal(cc_window_tables_staging_bytes(&spec, &t, 3), 2 * 3 * row, 1);
    assert_float_equal(cc_window_tables_staging_bytes(&spec, &t, 16), 2 * 16 * row, 1);
    assert_float_equal(cc_window_tables_staging_bytes(&spec, &t, 64), 2 * 16 * row, 1); /* at most 16 threads */
    t.H = t.W = 8; /* small rows: 128 MiB holds every one of the 312 */
    double small = 4 * (maps * 64 + 12 * 64);
    assert_float_equal(cc_window_tables_staging_bytes(&spec, &t, 16), 2 * 312 * small, 1);
}

static void test_checkpoint_round_trip_is_bit_exact(void **state) {
    (void)state;
    cc_tensor t;
    moving_hotspot(&t);
    cc_convlstm_config cfg = {1, S, S, 2, {4, 3}, 3, 4, 2, 1, 2, 3, 5, 13, 3, 2, 1}; /* context: 2 recency maps, gated */
    char err[512];
    cc_model_info info = {0};
    assert_int_equal(cc_split_make(T, cfg.window, cfg.horizon, -1, &info.split, err, sizeof err), 0);
    cc_convlstm model, loaded;
    assert_int_equal(cc_convlstm_create(&model, &cfg, 4, 9, err, sizeof err), 0);
    cc_train_state st, st2;
    assert_int_equal(cc_train_state_init(&st, &model), 0);
    for (int i = 0; i < st.m.count; i++) { /* values in every tensor (not the padding between them) */
        const cc_arena_entry *e = &st.m.entries[i];
        for (size_t k = 0; k < e->count; k++) st.m.data[e->offset + k] = (float)k * 1e-3f, st.v.data[e->offset + k] = (float)k * 1e-6f;
    }
    st.epochs_done = 3, st.step = 42, st.best_epoch = 2, st.best_val = 0.125;
    for (int e = 0; e < 3; e++) st.train_loss[e] = 1.0 / (e + 1), st.val_loss[e] = 2.0 / (e + 1);
    float scale[1] = {0.75f};
    info.config = cfg, info.loss = CC_LOSS_POISSON /* the baseline (k 5) corrects its log-rate */, info.scale = scale, info.grid = t;
    info.options = (cc_train_options){10, 3, 4, 1e-3, 1e-4, 0.5, 7, CC_LOSS_POISSON, NULL, NULL, NULL};
    snprintf(info.first_bin, sizeof info.first_bin, "2016-07-18");
    snprintf(info.last_bin, sizeof info.last_bin, "2017-11-27");
    info.members = 3, info.finished = 2; /* a seed ensemble: two finished members beside the root */
    for (int i = 0; i < 2; i++) {
        info.member[i] = (cc_member){.seed = 5u + i, .best_epoch = 4 + i, .best_val = -0.5 * (i + 1)};
        assert_non_null(info.member[i].params = malloc(sizeof(float) * model.params.size));
        for (size_t k = 0; k < model.params.size; k++) info.member[i].params[k] = (float)(i + 1) + (float)k * 1e-4f;
    }
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "m.h5");
    assert_int_equal(cc_checkpoint_write(path, &model, &st, &info, err, sizeof err), 0);
    cc_model_info back;
    if (cc_checkpoint_read(path, 4, &loaded, &back, &st2, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(loaded.params.size, model.params.size);
    assert_memory_equal(loaded.params.data, model.params.data, sizeof(float) * model.params.size);
    assert_memory_equal(st2.m.data, st.m.data, sizeof(float) * st.m.size);
    assert_memory_equal(st2.v.data, st.v.data, sizeof(float) * st.v.size);
    assert_int_equal(st2.epochs_done, 3);
    assert_int_equal(st2.step, 42);
    assert_int_equal(st2.best_epoch, 2); /* patience counts from it on resume */
    assert_true(st2.best_val == 0.125);
    assert_true(st2.val_loss[2] == st.val_loss[2] && st2.train_loss[0] == 1.0);
    assert_int_equal(back.loss, CC_LOSS_POISSON);
    assert_int_equal(back.config.layers, 2);
    assert_int_equal(back.config.hidden[1], 3);
    assert_int_equal(back.config.peephole, 1);
    assert_int_equal(back.config.baseline_k, 5);
    assert_int_equal(back.config.context, 13);
    assert_int_equal(back.config.skip, 3);
    assert_int_equal(back.config.recency, 2);
    assert_int_equal(back.config.gated, 1);
    assert_true(back.scale[0] == 0.75f);
    assert_true(back.options.lr == 1e-3 && back.options.seed == 7);
    for (int i = 0; i < 3; i++)
        assert_true(back.split.first[i] == info.split.first[i] && back.split.end[i] == info.split.end[i]);
    assert_true(back.split.T == info.split.T && back.split.lead == info.split.lead && !back.split.gapped);
    assert_int_equal(back.members, 3);
    assert_int_equal(back.finished, 2);
    assert_int_equal(cc_model_forecast_members(&back), 3); /* the root has trained epochs */
    for (int i = 0; i < 2; i++) {
        const cc_arena_entry *e = &model.params.entries[model.params.count - 1]; /* each tensor, not the padding */
        assert_memory_equal(back.member[i].params + e->offset, info.member[i].params + e->offset, sizeof(float) * e->count);
        assert_memory_equal(back.member[i].params, info.member[i].params, sizeof(float) * model.params.entries[0].count);
        assert_true(back.member[i].seed == 5u + (unsigned)i && back.member[i].best_epoch == 4 + i &&
                    back.member[i].best_val == -0.5 * (i + 1));
    }
    back.epochs_done = 0; /* an untrained root member is not forecast with */
    assert_int_equal(cc_model_forecast_members(&back), 2);
    for (int i = 0; i < 2; i++) free(info.member[i].params);
    info.members = 1, info.finished = 0;
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), -1); /* it reads recency maps t lacks */
    assert_non_null(strstr(err, "recency"));
    assert_int_equal(cc_tensor_alloc_recency(&t), 0);
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), 0);
    t.x0 += 1e-4; /* the same grid, written to another rounding */
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), 0);
    t.x0 += 150; /* a grid shifted by a cell is refused, saying so */
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "another grid"));
    assert_non_null(strstr(err, "north-west corner"));
    t.x0 -= 150 + 1e-4;
    char *kept = t.categories[t.C - 1], renamed[] = "arson"; /* a renamed channel is named */
    t.categories[t.C - 1] = renamed;
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "arson)")); /* the tensor's list, whole */
    t.categories[t.C - 1] = kept;
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), 0);
    t.cell = 250; /* another grid is refused */
    assert_int_equal(cc_model_matches_tensor(&back, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "another grid"));
    assert_non_null(strstr(err, "250 m"));
    cc_model_info_free(&back);
    cc_convlstm_free(&loaded);
    /* a model whose context maps are not today's definition is refused, not misread */
    cc_convlstm stale;
    cc_train_state stale_state;
    cfg.context = 3, info.config = cfg;
    assert_int_equal(cc_convlstm_create(&stale, &cfg, 4, 9, err, sizeof err), 0);
    assert_int_equal(cc_train_state_init(&stale_state, &stale), 0);
    assert_int_equal(cc_checkpoint_write(path, &stale, &stale_state, &info, err, sizeof err), 0);
    assert_int_equal(cc_checkpoint_read(path, 4, &loaded, &back, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "context maps"));
    cc_train_state_free(&stale_state);
    cc_convlstm_free(&stale);
    cc_train_state_free(&st), cc_train_state_free(&st2);
    cc_convlstm_free(&model);
    tu_remove_dir(dir);
    free(dir), free(path);
    cc_tensor_free(&t);
}

static void test_default_training_length(void **state) {
    (void)state;
    int epochs, patience;
    cc_train_default_length(27, &epochs, &patience); /* San Francisco weekly: 27 steps an epoch */
    assert_int_equal(epochs, 20);
    assert_int_equal(patience, 5);
    cc_train_default_length(13, &epochs, &patience); /* Chicago: 20 x 13 = 260 >= 250, 5 x 13 = 65 >= 60 */
    assert_int_equal(epochs, 20);
    assert_int_equal(patience, 5);
    cc_train_default_length(12, &epochs, &patience); /* 21 x 12 = 252 is the first >= 250; 5 x 12 = 60 */
    assert_int_equal(epochs, 21);
    assert_int_equal(patience, 5);
    cc_train_default_length(4, &epochs, &patience); /* London monthly: ceil(250 / 4), ceil(60 / 4) */
    assert_int_equal(epochs, 63);
    assert_int_equal(patience, 15);
    cc_train_default_length(0, &epochs, &patience); /* fewer samples than a batch: as one step */
    assert_int_equal(epochs, 250);
    assert_int_equal(patience, 60);
}

/* Rolling origin: every bin of a span is a target, the spans cut at 70% and 85% of the
 * axis, and the training targets start where a whole input window fits. */
static void test_split_targets(void **state) {
    (void)state;
    cc_split s;
    char err[256];
    assert_int_equal(cc_split_make(200, 8, 1, -1, &s, err, sizeof err), 0);
    int want[3][2] = {{8, 140}, {140, 170}, {170, 200}}; /* lead 8; 0.70 x 200; 0.85 x 200 */
    for (int i = 0; i < 3; i++) assert_true(s.first[i] == want[i][0] && s.end[i] == want[i][1]);
    assert_int_equal(cc_split_samples(&s, CC_SPAN_TRAIN), 132);
    assert_int_equal(cc_split_samples(&s, CC_SPAN_VAL), 30);
    assert_int_equal(cc_split_samples(&s, CC_SPAN_TEST), 30);
    assert_int_equal(cc_split_samples(&s, CC_SPAN_ALL), 192);
    assert_int_equal(cc_split_target(&s, CC_SPAN_TEST, 0), 170);
    assert_int_equal(cc_split_sample_start(&s, CC_SPAN_TEST, 0), 162); /* inputs 162..169, all validation bins */
    assert_int_equal(cc_split_fit_end(&s), 140);
    /* Chicago 2015-01-05 .. 2018-01-01 weekly, window 8: 156 bins, the last 23 are test
     * targets (round(0.85 x 156) = 133); London 2016-01 .. 2024-12 monthly, window 4:
     * 108 bins, 16 test months (round(0.85 x 108) = 92). */
    assert_int_equal(cc_split_make(156, 8, 1, -1, &s, err, sizeof err), 0);
    assert_true(s.first[2] == 133 && cc_split_samples(&s, CC_SPAN_TEST) == 23);
    assert_int_equal(cc_split_make(108, 4, 1, -1, &s, err, sizeof err), 0);
    assert_true(s.first[2] == 92 && cc_split_samples(&s, CC_SPAN_TEST) == 16);
    /* horizon 3: each target once, its last step; the window ends 3 bins before it */
    assert_int_equal(cc_split_make(108, 4, 3, -1, &s, err, sizeof err), 0);
    assert_true(s.lead == 6 && s.first[0] == 6 && s.first[2] == 92 && cc_split_samples(&s, CC_SPAN_TEST) == 16);
    assert_int_equal(cc_split_sample_start(&s, CC_SPAN_TEST, 0), 86); /* inputs 86..89, steps 90, 91, 92 */
    /* --test-from: the first test target is that bin; the bins before it cut 70:15 */
    if (cc_split_make(100, 4, 1, 80, &s, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(s.first[2] == 80 && s.end[2] == 100 && s.first[1] == 66 && s.end[1] == 80); /* 80 x 70/85 = 65.9 */
    /* a window that leaves the training span no target */
    assert_int_equal(cc_split_make(20, 16, 1, -1, &s, err, sizeof err), -1);
    assert_non_null(
        strstr(err, "the train span holds no target (its first would be bin 16, after its last, bin 13, of 20)"));
    /* a model file of the old protocol: its spans of whole samples, re-read as targets */
    int begin[3] = {0, 147, 177}, end[3] = {140, 170, 200};
    cc_split_from_gapped(200, 8, 1, begin, end, &s);
    assert_true(s.gapped && s.first[1] == 155 && s.first[2] == 185 && cc_split_samples(&s, CC_SPAN_TEST) == 15);
}

/* --test-from 2017-06-05 on Chicago's weekly axis from 2015-01-05: the first test target
 * is that week (bin 126), the last the axis' last bin. */
static void test_split_test_from_date(void **state) {
    (void)state;
    cc_tensor t;
    assert_int_equal(cc_tensor_alloc(&t, 156, 1, 1, 1), 0);
    int64_t first;
    assert_int_equal(cc_parse_iso_date("2015-01-05", &first), 0);
    for (int i = 0; i < t.T; i++) t.time[i] = first + 7 * i;
    int64_t day;
    assert_int_equal(cc_parse_iso_date("2017-06-05", &day), 0);
    int bin = cc_first_bin_from(&t, day);
    cc_split s;
    char err[256], date[11];
    assert_int_equal(cc_split_make(t.T, 8, 1, bin, &s, err, sizeof err), 0);
    cc_format_iso_date(t.time[cc_split_target(&s, CC_SPAN_TEST, 0)], date);
    assert_string_equal(date, "2017-06-05");
    int n = cc_split_samples(&s, CC_SPAN_TEST);
    assert_int_equal(cc_split_target(&s, CC_SPAN_TEST, n - 1), t.T - 1);
    assert_int_equal(n, 30);
    cc_tensor_free(&t);
}

/* A trained model's record: every epoch's losses, the parameters, and the forecast of the
 * first test target (whose inputs all lie before the test span). */
typedef struct run_record {
    double train_loss[8], val_loss[8], first_forecast[S * S];
    float *params;
    size_t count;
} run_record;

static void train_and_record(const cc_tensor *t, run_record *r) {
    /* train's kind of model: a correction to the 6-bin average, context maps, a skip path */
    cc_convlstm_config cfg = {1, S, S, 1, {4}, 3, 4, 1, 0, 1, 0, 6, cc_context_maps(1, 0, 0), 3};
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, cfg.window, cfg.horizon, -1, &split, err, sizeof err), 0);
    cc_convlstm model;
    assert_int_equal(cc_convlstm_create(&model, &cfg, 8, 3, err, sizeof err), 0);
    float scale[1];
    cc_normalisation_fit(t, &split, scale);
    cc_train_init_head(&model, t, &split);
    cc_train_state st;
    assert_int_equal(cc_train_state_init(&st, &model), 0);
    cc_train_options o = {8, 8, 8, 1e-2, 0, 1.0, 5, CC_LOSS_POISSON, NULL, NULL, NULL};
    cc_ops_context ctx = {CC_BACKEND_CPU, 1, NULL, 0};
    assert_int_equal(cc_train(&model, &ctx, t, &split, scale, &o, &st, err, sizeof err), 0);
    memcpy(r->train_loss, st.train_loss, sizeof r->train_loss);
    memcpy(r->val_loss, st.val_loss, sizeof r->val_loss);
    r->count = model.params.size;
    r->params = malloc(sizeof(float) * r->count);
    memcpy(r->params, model.params.data, sizeof(float) * r->count);
    int start = cc_split_sample_start(&split, CC_SPAN_TEST, 0);
    float out[S * S];
    assert_int_equal(cc_predict(&model, &ctx, t, scale, CC_LOSS_POISSON, &start, 1, 8, out, err, sizeof err), 0);
    for (int k = 0; k < S * S; k++) r->first_forecast[k] = out[k];
    cc_train_state_free(&st);
    cc_convlstm_free(&model);
}

/* No training or validation step reads a test target: with every test target NaN the
 * losses stay finite and bit-identical, so do the parameters and the forecast of the
 * first test target; and training never reads a validation target: with those NaN the
 * training losses are bit-identical (the validation loss is NaN, so no epoch improves). */
static void test_no_step_reads_a_held_out_target(void **state) {
    (void)state;
    cc_tensor t;
    moving_hotspot(&t);
    cc_split split;
    char err[256];
    assert_int_equal(cc_split_make(T, 4, 1, -1, &split, err, sizeof err), 0);
    run_record clean, poisoned;
    train_and_record(&t, &clean);
    for (int ti = split.first[2]; ti < split.end[2]; ti++)
        for (int k = 0; k < S * S; k++) t.values[(size_t)ti * S * S + k] = NAN;
    train_and_record(&t, &poisoned);
    for (int e = 0; e < 8; e++) {
        assert_true(isfinite(poisoned.train_loss[e]) && isfinite(poisoned.val_loss[e]));
        assert_memory_equal(&clean.train_loss[e], &poisoned.train_loss[e], sizeof(double));
        assert_memory_equal(&clean.val_loss[e], &poisoned.val_loss[e], sizeof(double));
    }
    assert_memory_equal(clean.params, poisoned.params, sizeof(float) * clean.count);
    assert_memory_equal(clean.first_forecast, poisoned.first_forecast, sizeof clean.first_forecast);
    for (int ti = split.first[1]; ti < split.end[1]; ti++)
        for (int k = 0; k < S * S; k++) t.values[(size_t)ti * S * S + k] = NAN;
    run_record blind;
    train_and_record(&t, &blind);
    for (int e = 0; e < 8; e++) {
        assert_memory_equal(&clean.train_loss[e], &blind.train_loss[e], sizeof(double));
        assert_true(isnan(blind.val_loss[e]));
    }
    free(clean.params), free(poisoned.params), free(blind.params);
    cc_tensor_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_split_targets),
                                       cmocka_unit_test(test_a_bad_step_stops_the_run),
        cmocka_unit_test(test_a_failed_sum_over_ranks_is_not_a_divergence),
                                       cmocka_unit_test(test_init_head_sets_the_output_bias),
                                       cmocka_unit_test(test_split_test_from_date),
                                       cmocka_unit_test(test_no_step_reads_a_held_out_target),
                                       cmocka_unit_test(test_default_training_length),
                                       cmocka_unit_test(test_checkpoint_round_trip_is_bit_exact),
                                       cmocka_unit_test(test_learns_a_moving_hotspot),
                                       cmocka_unit_test(test_baseline_correction_starts_at_the_historical_average),
                                       cmocka_unit_test(test_context_maps),
                                       cmocka_unit_test(test_whole_count_tables_give_the_definitions_bits),
                                       cmocka_unit_test(test_window_tables_staging_bytes),
        cmocka_unit_test(test_resident_windows_are_the_host_gather),
                                       cmocka_unit_test(test_lags_with_gaps),
                                       cmocka_unit_test(test_covariate_maps_in_batches),
                                       cmocka_unit_test(test_memory_plan),
                                       cmocka_unit_test(test_smoothed_baseline)};
    return cmocka_run_group_tests_name("training", tests, NULL, NULL);
}
