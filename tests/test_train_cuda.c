/* Training, evaluation and prediction with a CUDA context against the same calls with a
 * CPU context (models/train.h), on a random count tensor held in memory:
 *   - cc_evaluate and cc_predict with the same parameters: relative error <= 1e-5
 *     (max |gpu - cpu| / max |cpu| over the forecasts);
 *   - cc_train for 3 epochs from the same model: each epoch's training and validation
 *     loss within 1e-3 relative, and every trained parameter within 2 lr x steps of the
 *     CPU's. Both bounds are looser than one step's (tests/test_step_cuda.c) for one
 *     reason: AdamW moves a parameter by about lr per step whatever its gradient's size,
 *     so a gradient within rounding of zero can step either way on either device, and
 *     the runs drift apart by up to lr per step from there. The host model and state
 *     must come back from the GPU (the parameters, the AdamW moments).
 *   - cc_train with its steps replayed from a CUDA graph (ctx->graphs): the losses and
 *     parameters of the steps as called, bit for bit;
 *   - cc_train with bf16 convolutions on the GPU: every epoch's losses within 1% of the
 *     CPU's FP32 run;
 *   - data-parallel training over NCCL at world size 1 (kernels/nccl.h, where the build
 *     has it): cc_train with a collective whose GPU sums are an NCCL communicator of one
 *     rank gives every loss and parameter of the run without it, bit for bit, and the
 *     gradients went through NCCL once per step.
 * Models: Poisson with a historical-average baseline and a mask; MSE without either.
 * Plain C (no cmocka), label `gpu`, exits 77 (skipped) without a usable GPU.
 * CRIMECAST_TEST_SEED=<n> repeats a run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cuda/cuda_ops.h"
#include "kernels/device.h"
#include "kernels/nccl.h"
#include "models/collective.h"
#include "models/train.h"
#include "tests/parity.h"

typedef parity_env env;

static double uniform(env *e) {
    return (double)(cc_splitmix64(&e->rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Poisson(rate) by inversion: small rates only. */
static float poisson(env *e, double rate) {
    double u = uniform(e), p = exp(-rate), cdf = p;
    int k = 0;
    while (u > cdf && k < 50) p *= rate / ++k, cdf += p;
    return (float)k;
}

/* T bins of C channels on H x W cells: a fixed map of rates times a yearly wave. */
static void make_tensor(env *e, cc_tensor *t, int T, int C, int H, int W) {
    memset(t, 0, sizeof *t);
    t->T = T, t->C = C, t->H = H, t->W = W;
    t->values = malloc(sizeof(float) * (size_t)T * C * H * W);
    t->mask = malloc((size_t)H * W);
    double *rate = malloc(sizeof(double) * (size_t)C * H * W);
    if (!t->values || !t->mask || !rate) abort();
    for (int k = 0; k < H * W; k++) t->mask[k] = uniform(e) < 0.8;
    for (int k = 0; k < C * H * W; k++) rate[k] = 3.0 * uniform(e) * uniform(e);
    for (int ti = 0; ti < T; ti++)
        for (int k = 0; k < C * H * W; k++)
            t->values[(size_t)ti * C * H * W + k] = poisson(e, rate[k] * (1.0 + 0.3 * sin(ti * 0.5)));
    free(rate);
}

static void record(env *e, int ok, const char *what, double error, double tol) {
    if (parity_tally(e, ok)) return;
    printf("FAIL [%s] %s: %.3g > %.3g\n", e->label, what, error, tol);
}

static double scalar_error(double got, double want) {
    return isfinite(got) && isfinite(want) ? fabs(got - want) / fmax(fabs(want), 1e-30) : INFINITY;
}

typedef struct train_case {
    const char *name;
    cc_convlstm_config cfg;
    cc_loss_kind loss;
    int masked;
} train_case;

static const train_case CASES[] = {
    {"poisson, baseline 4, mask", {2, 9, 7, 2, {4, 5}, 3, 4, 1, 0, 1, 0, 4, 0, 0}, CC_LOSS_POISSON, 1},
    {"mse, no mask", {1, 8, 8, 1, {6}, 3, 3, 1, 1, 1, 0, 0, 0, 0}, CC_LOSS_MSE, 0},
};

typedef struct fixture {
    cc_tensor t;
    cc_split split;
    float scale[4];
} fixture;

/* The forecasts and mean losses of the same parameters on both devices. */
static void check_inference(env *e, const train_case *c, fixture *f, cc_convlstm *model) {
    int n = cc_split_samples(&f->split, CC_SPAN_TEST);
    int *starts = malloc(sizeof(int) * (size_t)n);
    size_t floats = (size_t)n * c->cfg.horizon * f->t.C * f->t.H * f->t.W;
    float *want = malloc(sizeof(float) * floats), *got = malloc(sizeof(float) * floats);
    if (!starts || !want || !got) abort();
    for (int i = 0; i < n; i++) starts[i] = cc_split_sample_start(&f->split, CC_SPAN_TEST, i);
    for (size_t k = 0; k < floats; k++) want[k] = got[k] = NAN;
    char err[256];
    if (cc_predict(model, &e->cpu, &f->t, f->scale, c->loss, starts, n, 3, want, err, sizeof err) != 0 ||
        cc_predict(model, &e->gpu, &f->t, f->scale, c->loss, starts, n, 3, got, err, sizeof err) != 0)
        printf("cc_predict: %s\n", err); /* want or got stays NaN, so the check below fails */
    double error = parity_relative_error(got, want, floats);
    record(e, error <= 1e-5, "cc_predict forecasts", error, 1e-5);
    double cpu = cc_evaluate(model, &e->cpu, &f->t, &f->split, CC_SPAN_VAL, f->scale, c->loss, 3);
    double gpu = cc_evaluate(model, &e->gpu, &f->t, &f->split, CC_SPAN_VAL, f->scale, c->loss, 3);
    record(e, scalar_error(gpu, cpu) <= 1e-5, "cc_evaluate", scalar_error(gpu, cpu), 1e-5);
    free(starts), free(want), free(got);
}

typedef struct run {
    cc_convlstm model;
    cc_train_state state;
} run;

static int start_run(const train_case *c, fixture *f, run *r) {
    char err[256];
    if (cc_convlstm_create(&r->model, &c->cfg, 4, 11, err, sizeof err) != 0) {
        printf("FAIL: %s\n", err);
        return -1;
    }
    if (c->loss == CC_LOSS_POISSON) cc_train_init_head(&r->model, &f->t, &f->split);
    return cc_train_state_init(&r->state, &r->model);
}

static void check_training(env *e, const train_case *c, fixture *f) {
    run cpu, gpu;
    if (start_run(c, f, &cpu) != 0 || start_run(c, f, &gpu) != 0) abort();
    cc_train_options o = {3, 3, 4, 1e-3, 1e-4, 1.0, 5, c->loss, NULL, NULL, NULL};
    char err[256];
    int cpu_status = cc_train(&cpu.model, &e->cpu, &f->t, &f->split, f->scale, &o, &cpu.state, err, sizeof err);
    int gpu_status = cc_train(&gpu.model, &e->gpu, &f->t, &f->split, f->scale, &o, &gpu.state, err, sizeof err);
    record(e, cpu_status == 0 && gpu_status == 0 && gpu.state.epochs_done == cpu.state.epochs_done, "both trained", 0, 0);
    for (int k = 0; k < cpu.state.epochs_done; k++) {
        double train = scalar_error(gpu.state.train_loss[k], cpu.state.train_loss[k]);
        double val = scalar_error(gpu.state.val_loss[k], cpu.state.val_loss[k]);
        record(e, train <= 1e-3, "an epoch's training loss", train, 1e-3);
        record(e, val <= 1e-3, "an epoch's validation loss", val, 1e-3);
    }
    double drift = 2 * o.lr * (double)cpu.state.step, diff = 0;
    for (size_t k = 0; k < cpu.model.params.size; k++)
        diff = fmax(diff, isfinite(gpu.model.params.data[k]) ? fabs(gpu.model.params.data[k] - cpu.model.params.data[k]) : INFINITY);
    record(e, diff <= drift, "trained parameters (max |gpu - cpu|)", diff, drift);
    double moments = fmax(parity_relative_error(gpu.state.m.data, cpu.state.m.data, cpu.state.m.size),
                          parity_relative_error(gpu.state.v.data, cpu.state.v.data, cpu.state.v.size));
    record(e, moments <= 0.5, "AdamW moments brought back", moments, 0.5);
    printf("  [%s] %ld steps: losses %.6f / %.6f (cpu / gpu, last epoch's validation), parameters within %.2g\n", e->label,
           cpu.state.step, cpu.state.val_loss[cpu.state.epochs_done - 1], gpu.state.val_loss[gpu.state.epochs_done - 1], diff);
    check_inference(e, c, f, &gpu.model); /* the trained parameters, on both devices */
    cc_train_state_free(&cpu.state), cc_train_state_free(&gpu.state);
    cc_convlstm_free(&cpu.model), cc_convlstm_free(&gpu.model);
}

/* Resident windows on the GPU (models/window_tables.h): the batches assembled there from
 * the per-bin tables are the host's gather, so the same ops train the same parameters,
 * bit for bit. */
static void check_resident_windows(env *e, const train_case *c, fixture *f) {
    run host, resident;
    if (start_run(c, f, &host) != 0 || start_run(c, f, &resident) != 0) abort();
    cc_train_options o = {3, 3, 4, 1e-3, 1e-4, 1.0, 5, c->loss, NULL, NULL, NULL};
    char err[256] = "";
    int first = cc_train(&host.model, &e->gpu, &f->t, &f->split, f->scale, &o, &host.state, err, sizeof err);
    o.resident = 1;
    int second = cc_train(&resident.model, &e->gpu, &f->t, &f->split, f->scale, &o, &resident.state, err, sizeof err);
    if (second != 0) printf("  cc_train with resident windows: %s\n", err);
    int same = first == 0 && second == 0 && host.state.epochs_done == resident.state.epochs_done;
    for (int k = 0; same && k < host.state.epochs_done; k++)
        same = host.state.train_loss[k] == resident.state.train_loss[k] && host.state.val_loss[k] == resident.state.val_loss[k];
    record(e, same, "resident windows: the losses, bit for bit", 0, 0);
    same = !memcmp(host.model.params.data, resident.model.params.data, sizeof(float) * host.model.params.size);
    record(e, same, "resident windows: the parameters, bit for bit", 0, 0);
    cc_train_state_free(&host.state), cc_train_state_free(&resident.state);
    cc_convlstm_free(&host.model), cc_convlstm_free(&resident.model);
}

/* --precision bf16 on the GPU (`conv` "gemm": kernels/cuda/conv2d_bf16.cu; "cudnn":
 * kernels/cuda/conv2d_cudnn.cu, NCHW or channels-last copies): a whole run trains to the CPU's FP32 losses within 1%
 * each epoch (the CPU's bf16 came within 0.1% of FP32 on a real tensor, README
 * "Precision"; the convolutions' inputs carry 8 significant bits, and the parameters,
 * AdamW and the losses stay FP32). */
static void check_bf16_training(env *e, const train_case *c, fixture *f, const char *conv, int nhwc) {
    cc_ops_context bf16;
    char err[256] = "";
    if (cc_open_backend("cuda", 1, conv, "bf16", &bf16, err, sizeof err) != 0) {
        if (strstr(err, "compute capability")) printf("  [%s] bf16 not checked: %s\n", e->label, err);
        else record(e, 0, err, 0, 0);
        return;
    }
    bf16.cudnn_nhwc = nhwc; /* --cudnn-layout nhwc: cuDNN's copies channels last */
    run cpu, half;
    if (start_run(c, f, &cpu) != 0 || start_run(c, f, &half) != 0) abort();
    cc_train_options o = {3, 3, 4, 1e-3, 1e-4, 1.0, 5, c->loss, NULL, NULL, NULL};
    int cpu_status = cc_train(&cpu.model, &e->cpu, &f->t, &f->split, f->scale, &o, &cpu.state, err, sizeof err);
    int half_status = cc_train(&half.model, &bf16, &f->t, &f->split, f->scale, &o, &half.state, err, sizeof err);
    if (cpu_status != 0 || half_status != 0) printf("  [%s] bf16 (%s): cc_train: %s\n", e->label, conv, err);
    record(e, cpu_status == 0 && half_status == 0 && half.state.epochs_done == cpu.state.epochs_done,
           "bf16: both trained", 0, 0);
    for (int k = 0; k < cpu.state.epochs_done; k++) {
        double train = scalar_error(half.state.train_loss[k], cpu.state.train_loss[k]);
        double val = scalar_error(half.state.val_loss[k], cpu.state.val_loss[k]);
        record(e, train <= 1e-2, "bf16: an epoch's training loss against FP32's", train, 1e-2);
        record(e, val <= 1e-2, "bf16: an epoch's validation loss against FP32's", val, 1e-2);
    }
    if (half.state.epochs_done > 0 && cpu.state.epochs_done > 0)
        printf("  [%s] bf16 (%s%s): validation loss %.6f against FP32's %.6f\n", e->label, conv, nhwc ? ", nhwc" : "",
               half.state.val_loss[half.state.epochs_done - 1], cpu.state.val_loss[cpu.state.epochs_done - 1]);
    cc_train_state_free(&cpu.state), cc_train_state_free(&half.state);
    cc_convlstm_free(&cpu.model), cc_convlstm_free(&half.model);
    cc_close_backend(&bf16);
}

/* --graph on (kernels/graph.h): every step but each epoch's first replayed from a CUDA
 * graph gives the losses and parameters of the steps as called, bit for bit, with the
 * batches gathered on the host or assembled on the GPU, and through cuDNN. */
static void check_graph_replay(env *e, const train_case *c, fixture *f, int resident, int cudnn) {
    run called, replayed;
    if (start_run(c, f, &called) != 0 || start_run(c, f, &replayed) != 0) abort();
    cc_train_options o = {3, 3, 4, 1e-3, 1e-4, 1.0, 5, c->loss, NULL, NULL, NULL};
    o.resident = resident; /* resident windows: the host queues batches ahead of the GPU */
    cc_ops_context as_called = e->gpu, graphs = e->gpu;
    as_called.conv_cudnn = graphs.conv_cudnn = cudnn;
    graphs.graphs = 1;
    char err[256] = "";
    int first = cc_train(&called.model, &as_called, &f->t, &f->split, f->scale, &o, &called.state, err, sizeof err);
    int second = cc_train(&replayed.model, &graphs, &f->t, &f->split, f->scale, &o, &replayed.state, err, sizeof err);
    if (first != 0 || second != 0) printf("  [%s] graphs: cc_train: %s\n", e->label, err);
    long want = replayed.state.step - replayed.state.epochs_done; /* all but each epoch's first step */
    record(e, replayed.state.replayed == want, "graphs: steps replayed", (double)replayed.state.replayed, (double)want);
    int same = first == 0 && second == 0 && called.state.epochs_done == replayed.state.epochs_done &&
               called.state.step == replayed.state.step;
    for (int k = 0; same && k < called.state.epochs_done; k++)
        same = called.state.train_loss[k] == replayed.state.train_loss[k] &&
               called.state.val_loss[k] == replayed.state.val_loss[k];
    record(e, same, "graphs: the losses, bit for bit", 0, 0);
    same = !memcmp(called.model.params.data, replayed.model.params.data, sizeof(float) * called.model.params.size);
    record(e, same, "graphs: the parameters, bit for bit", 0, 0);
    cc_train_state_free(&called.state), cc_train_state_free(&replayed.state);
    cc_convlstm_free(&called.model), cc_convlstm_free(&replayed.model);
}

/* A job of one rank: the host sums are the values themselves, the GPU sums NCCL's. */
typedef struct one_rank {
    cc_nccl *nccl;
    long device_sums;
} one_rank;

static int host_sum_floats(void *self, float *x, size_t n) { return (void)self, (void)x, (void)n, 0; }
static int host_sum_doubles(void *self, double *x, size_t n) { return (void)self, (void)x, (void)n, 0; }
static int host_broadcast_floats(void *self, float *x, size_t n, int root) { return (void)self, (void)x, (void)n, (void)root, 0; }
static int host_broadcast_doubles(void *self, double *x, size_t n, int root) { return (void)self, (void)x, (void)n, (void)root, 0; }

static int nccl_use_device(void *self, const cc_ops_context *ctx, char *err, size_t err_len) {
    one_rank *o = self;
    cc_nccl_id id;
    if (o->nccl) return 0;
    if (cc_nccl_make_id(&id, err, err_len) != 0) return -1;
    o->nccl = cc_nccl_open(ctx, &id, 0, 1, err, err_len);
    return o->nccl ? 0 : -1;
}

static int nccl_sum_device_floats(void *self, float *x, size_t n) {
    one_rank *o = self;
    char err[256];
    o->device_sums++;
    if (cc_nccl_sum_floats(o->nccl, x, n, err, sizeof err) == 0) return 0;
    printf("cc_nccl_sum_floats: %s\n", err);
    return -1;
}

static void check_nccl_world_of_one(env *e, const train_case *c, fixture *f) {
    run alone, over_nccl;
    if (start_run(c, f, &alone) != 0 || start_run(c, f, &over_nccl) != 0) abort();
    one_rank rank = {NULL, 0};
    cc_collective all = {0, 1, 0, &rank, host_sum_floats, host_sum_doubles, host_broadcast_floats,
                         host_broadcast_doubles, nccl_use_device, nccl_sum_device_floats};
    cc_train_options o = {3, 3, 4, 1e-3, 1e-4, 1.0, 5, c->loss, NULL, NULL, NULL};
    char err[512] = "";
    int first = cc_train(&alone.model, &e->gpu, &f->t, &f->split, f->scale, &o, &alone.state, err, sizeof err);
    o.collective = &all;
    int second = cc_train(&over_nccl.model, &e->gpu, &f->t, &f->split, f->scale, &o, &over_nccl.state, err, sizeof err);
    if (second != 0) printf("  cc_train over NCCL: %s\n", err);
    record(e, first == 0 && second == 0 && rank.device_sums == over_nccl.state.step, "NCCL: one sum per step",
           (double)rank.device_sums, (double)over_nccl.state.step);
    int same = alone.state.epochs_done == over_nccl.state.epochs_done;
    for (int k = 0; same && k < alone.state.epochs_done; k++)
        same = alone.state.train_loss[k] == over_nccl.state.train_loss[k] && alone.state.val_loss[k] == over_nccl.state.val_loss[k];
    record(e, same, "NCCL at world size 1: the losses, bit for bit", 0, 0);
    same = !memcmp(alone.model.params.data, over_nccl.model.params.data, sizeof(float) * alone.model.params.size);
    record(e, same, "NCCL at world size 1: the parameters, bit for bit", 0, 0);
    cc_nccl_close(rank.nccl);
    cc_train_state_free(&alone.state), cc_train_state_free(&over_nccl.state);
    cc_convlstm_free(&alone.model), cc_convlstm_free(&over_nccl.model);
}

int main(void) {
    char why[256];
    env e = {0};
    if (cc_open_backend("cuda", 1, "gemm", "fp32", &e.gpu, why, sizeof why) != 0) {
        printf("SKIPPED: no usable CUDA device: %s\n", why);
        return 77;
    }
    cc_open_backend("cpu", 0, "gemm", "fp32", &e.cpu, why, sizeof why);
    e.rng = parity_seed();
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
        const train_case *c = &CASES[k];
        fixture f;
        make_tensor(&e, &f.t, 60, c->cfg.channels, c->cfg.height, c->cfg.width);
        if (!c->masked) memset(f.t.mask, 1, (size_t)f.t.H * f.t.W);
        if (cc_split_make(f.t.T, c->cfg.window, c->cfg.horizon, -1, &f.split, why, sizeof why) != 0) abort();
        cc_normalisation_fit(&f.t, &f.split, f.scale);
        e.label = c->name;
        check_training(&e, c, &f);
        check_resident_windows(&e, c, &f);
        check_bf16_training(&e, c, &f, "gemm", 0);
        if (cc_cuda_has_cudnn()) check_bf16_training(&e, c, &f, "cudnn", 0);
        if (cc_cuda_has_cudnn()) check_bf16_training(&e, c, &f, "cudnn", 1);
        check_graph_replay(&e, c, &f, 0, 0);
        check_graph_replay(&e, c, &f, 1, 0);
        if (cc_cuda_has_cudnn()) check_graph_replay(&e, c, &f, 0, 1);
        if (cc_nccl_built()) check_nccl_world_of_one(&e, c, &f);
        else printf("  [%s] NCCL: not in this build, not checked\n", c->name);
        free(f.t.values), free(f.t.mask);
    }
    printf("%d checks, %d failed\n", e.checks, e.failures);
    cc_close_backend(&e.gpu);
    return e.failures ? 1 : 0;
}
