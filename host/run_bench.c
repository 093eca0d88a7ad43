/* host/run_bench.h */
#include "host/run_bench.h"

#include <stdlib.h>
#include <string.h>

#include "crawler/clock.h"
#include "kernels/buffer.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_choice.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"
#include "kernels/op_profile.h"
#include "models/convlstm.h"
#include "models/memory_plan.h"
#include "models/rng.h"
#include "models/train_step.h"

/* The benchmarks' standard configuration (bench/RESULTS.md), every size changeable. */
static const cc_option BENCH_OPTIONS[] = {
    {CC_OPTION_INT("batch", cc_bench_request, batch, "N", "16", 1, 100000, "samples per step")},
    {CC_OPTION_INT("grid", cc_bench_request, grid, "N", "32", 1, 100000, "N x N cells")},
    {CC_OPTION_INT("channels", cc_bench_request, channels, "C", "1", 1, 100000, "count maps in and out")},
    {CC_OPTION_INT("layers", cc_bench_request, layers, "N", "2", 1, CC_MAX_LAYERS, "ConvLSTM layers")},
    {CC_OPTION_INT("hidden", cc_bench_request, hidden, "N", "64", 1, 100000, "hidden channels of every layer")},
    {CC_OPTION_INT("kernel", cc_bench_request, kernel, "K", "5", 1, 100000, "convolution kernel size")},
    {CC_OPTION_INT("window", cc_bench_request, window, "N", "8", 1, 512, "input steps")},
    {CC_OPTION_INT("horizon", cc_bench_request, horizon, "N", "1", 1, 100000, "output steps")},
    {CC_OPTION_CHOICE("down", cc_bench_request, down, "1|2|4", "1",
                      "1: the ConvLSTM; 2 or 4: convlstm-ae, the ConvLSTM inside a strided encoder and decoder")},
    {CC_OPTION_INT("features", cc_bench_request, features, "F", "16", 1, 100000, "convlstm-ae: feature maps")},
    {CC_OPTION_INT("steps", cc_bench_request, steps, "N", "5", 1, 100000, "timed steps")},
    {CC_OPTION_INT("warmup", cc_bench_request, warmup, "N", "1", 0, 100000, "untimed steps first")},
    {CC_OPTION_FLAG("json", cc_bench_request, json, "one JSON record instead of the line")},
    {CC_OPTION_FLAG("profile", cc_bench_request, profile,
                    "then the same number of steps again, called one by one (no CUDA graph), each op timed: the "
                    "time per op and its share of those steps")},
};

static const cc_option BENCH_OPERANDS = {
    CC_OPTION_LIST("", cc_bench_request, benchmark, benchmark_count, 1, "BENCHMARK", "the benchmark to run: train"),
    .required = 1};

static int check_request(void *request, char *why, size_t why_len) {
    const cc_bench_request *r = request;
    if (strcmp(r->benchmark[0], "train") != 0)
        snprintf(why, why_len, "the benchmark to run: train (got '%s')", r->benchmark[0]);
    else if (r->kernel % 2 == 0) snprintf(why, why_len, "--kernel must be odd");
    else return cc_device_request_check(&r->device, why, why_len);
    return -1;
}

static const cc_option_group BENCH_GROUPS[] = {
    {"options", CC_OPTION_ROWS(BENCH_OPTIONS), 0},
    CC_DEVICE_GROUP(cc_bench_request, device),
};

const cc_command_spec CC_BENCH_SPEC = {
    .name = "bench",
    .synopsis = "train [--device auto|cpu|cuda] [--conv auto|gemm|cudnn|onednn] [--precision fp32|tf32|bf16] "
                "[--threads N] [--json] [--profile] [shape options]",
    .description =
        "Times full training steps (forward, masked Poisson loss, backward through time, AdamW)\n"
        "of a ConvLSTM (or, with --down 2|4, the convlstm-ae) on random data and prints the\n"
        "median step time and the convolutions' achieved FLOP rate. The defaults are the\n"
        "standard configuration of the benchmarks; patrol resolution is --batch 8 --grid 256\n"
        "--channels 12 --down 4.\n"
        "--device auto takes the GPU when one is usable. On a GPU it also measures cuBLAS's\n"
        "SGEMM rate (FP32 and TF32) on the same device, for reference, and the time the step's\n"
        "FLOPs would take at that rate; on the CPU, the SGEMM rate of the recurrent convolution's\n"
        "product on every thread at once, and which kernels ran it (see `crimecast info`).\n"
        "--profile then runs the steps again one by one, each op timed (on a GPU between CUDA\n"
        "events around it), and prints where those steps' time went, op by op.\n",
    .request_size = sizeof(cc_bench_request),
    .groups = BENCH_GROUPS,
    .group_count = 2,
    .operands = &BENCH_OPERANDS,
    .check = check_request,
};

static cc_convlstm_config config_of(const cc_bench_request *r) {
    cc_convlstm_config c = {0};
    c.channels = r->channels, c.height = c.width = r->grid, c.layers = r->layers;
    for (int l = 0; l < CC_MAX_LAYERS; l++) c.hidden[l] = r->hidden;
    c.kernel = r->kernel, c.window = r->window, c.horizon = r->horizon, c.down = atoi(r->down), c.features = r->features;
    return c;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A buffer of `floats` floats where the context's ops read them, holding `host`'s values
 * (or zeros when host is NULL). */
static float *place(const cc_ops_context *ctx, const float *host, size_t floats) {
    float *p = cc_buffer_alloc(cc_ops_device(ctx), sizeof(float) * floats);
    if (p && host) cc_buffer_upload(cc_ops_device(ctx), p, host, sizeof(float) * floats);
    else if (p) cc_fill(ctx, p, floats, 0.0f);
    return p;
}

/* Multiply-adds x 2 of every convolution of one training step (backward = 2x forward).
 * convlstm-ae: the recurrence runs on F maps at 1/down resolution (its head writes F
 * maps), beside the strided 3x3 encoder, the 4x4 transposed decoder and the 1x1 head. */
static double step_flops(const cc_convlstm *m, int batch) {
    const cc_convlstm_config *c = &m->cfg;
    int stages = m->stages, F = c->features;
    double hw = (double)m->core_height * m->core_width, k2 = (double)c->kernel * c->kernel;
    double core = stages ? F : c->channels, forward = 0, on_data = 0; /* on_data: the convolution of the input */
    for (int l = 0; l < c->layers; l++) {
        double hd = c->hidden[l], cin = l ? c->hidden[l - 1] : core;
        forward += 2.0 * 4 * hd * cin * k2 * hw * c->window;                     /* encoder input */
        if (l == 0 && !stages) on_data = 2.0 * 4 * hd * cin * k2 * hw * c->window;
        forward += 2.0 * 4 * hd * hd * k2 * hw * (c->window - 1 + c->horizon);   /* state, both stacks */
        if (l) forward += 2.0 * 4 * hd * cin * k2 * hw * c->horizon;            /* forecaster input */
        forward += 2.0 * core * hd * hw * c->horizon;                             /* head */
    }
    for (int i = 0; i < stages; i++) { /* stage i: level i to i + 1 and back */
        double coarse = (double)cc_convlstm_encoded_size(c->height, i + 1) * cc_convlstm_encoded_size(c->width, i + 1);
        double decoded = (double)(m->core_height << (stages - 1 - i)) * (m->core_width << (stages - 1 - i));
        forward += 2.0 * F * (i ? F : c->channels) * 9 * coarse * c->window;     /* strided encoder */
        if (i == 0) on_data = 2.0 * F * c->channels * 9 * coarse * c->window;
        forward += 2.0 * F * F * 16 * decoded * c->horizon;                       /* transposed decoder */
    }
    if (stages) forward += 2.0 * c->channels * F * c->height * c->width * c->horizon; /* full-resolution head */
    /* backward: each convolution's filter and data gradients, as much again each, but for
     * the data gradient of the one that reads the input (no gradient wanted there) */
    return (3.0 * forward - on_data) * batch;
}

/* --profile: where `steps` steps called one by one spent their time, op by op, per step. */
typedef struct step_profile {
    int steps, ops;
    double seconds; /* the steps' wall time, per step */
    cc_op_time time[CC_OP_PROFILE_MOST]; /* calls and seconds per step, longest first */
} step_profile;

/* One step, waited for: its wall time. */
static double timed_step(const cc_ops_context *ctx, cc_step_runner *runner) {
    cc_ops_synchronize(ctx);
    double start = cc_now_seconds();
    cc_step_runner_queue(runner);
    cc_ops_synchronize(ctx);
    return cc_now_seconds() - start;
}

/* The same steps again on a copy of ctx with a profile attached and no CUDA graph (a
 * graph's replay passes no op through kernels/dispatch.c): one untimed, then o->steps. */
static int profile_steps(const cc_bench_request *o, const cc_ops_context *ctx, cc_convlstm *m, const cc_adamw *adam,
                         const cc_train_step_io *io, cc_step_scalars *scalars, step_profile *out) {
    cc_ops_context plain = *ctx;
    plain.graphs = 0;
    if (!(plain.profile = cc_op_profile_create())) return -1;
    cc_step_runner runner;
    cc_step_runner_open(&runner, m, &plain, CC_LOSS_POISSON, adam, 0.0, io, scalars);
    timed_step(&plain, &runner);
    cc_op_profile_collect(&plain);
    cc_op_profile_reset(plain.profile);
    double wall = 0;
    for (int i = 0; i < o->steps; i++) {
        wall += timed_step(&plain, &runner);
        cc_op_profile_collect(&plain); /* the step has been waited for: its events are free again */
    }
    cc_step_runner_close(&runner);
    out->steps = o->steps, out->seconds = wall / o->steps;
    out->ops = cc_op_profile_times(plain.profile, out->time, CC_OP_PROFILE_MOST);
    for (int k = 0; k < out->ops; k++) out->time[k].seconds /= o->steps;
    cc_op_profile_free(plain.profile);
    return 0;
}

/* Times warmup + steps training steps on random inputs; sorted step times in `times`;
 * with `prof`, then profiles as many (profile_steps). */
static int time_steps(const cc_bench_request *o, const cc_convlstm_config *c, const cc_ops_context *ctx, cc_convlstm *m,
                      double *times, step_profile *prof) {
    size_t map = (size_t)c->channels * c->height * c->width * o->batch, nx = map * c->window, ny = map * c->horizon;
    float *hx = malloc(sizeof(float) * nx), *hy = malloc(sizeof(float) * ny);
    if (!hx || !hy) return free(hx), free(hy), -1;
    unsigned state = 1;
    for (size_t k = 0; k < nx; k++) hx[k] = (float)cc_lcg_next(&state) / 16777216.0f;
    for (size_t k = 0; k < ny; k++) hy[k] = (float)(k % 3);
    cc_train_step_io io = {place(ctx, hx, nx), place(ctx, hy, ny), NULL, NULL, place(ctx, NULL, ny),
                           place(ctx, NULL, ny), place(ctx, NULL, m->params.size), place(ctx, NULL, m->params.size)};
    free(hx), free(hy);
    float *buffers[] = {(float *)io.x, (float *)io.target, io.out, io.d, io.adam_m, io.adam_v};
    size_t count = sizeof buffers / sizeof *buffers, placed = 0;
    while (placed < count && buffers[placed]) placed++;
    /* the trainer's step (models/train_step.h): nothing read back inside it, and with
     * --graph on replayed as a CUDA graph from the second step on */
    cc_step_scalars start_values = {0, 0, 0, -1, 0, 0, 0, 0};
    cc_step_scalars *scalars = placed == count ? cc_buffer_alloc(cc_ops_device(ctx), sizeof start_values) : NULL;
    if (scalars) cc_buffer_upload(cc_ops_device(ctx), scalars, &start_values, sizeof start_values);
    cc_adamw adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0};
    cc_step_runner runner;
    cc_step_runner_open(&runner, m, ctx, CC_LOSS_POISSON, &adam, 0.0, &io, scalars);
    int warmup = ctx->graphs && o->warmup < 2 ? 2 : o->warmup; /* step 1 records the graph: never timed */
    for (int i = 0; scalars && i < warmup + o->steps; i++) {
        double seconds = timed_step(ctx, &runner);
        if (i >= warmup) times[i - warmup] = seconds;
    }
    cc_step_runner_close(&runner);
    int profiled = !prof || !scalars || profile_steps(o, ctx, m, &adam, &io, scalars, prof) == 0;
    cc_buffer_free(cc_ops_device(ctx), scalars);
    for (size_t k = 0; k < count; k++) cc_buffer_free(cc_ops_device(ctx), buffers[k]);
    if (placed < count || !scalars || !profiled) return -1; /* out of host memory (device allocations abort) */
    qsort(times, (size_t)o->steps, sizeof *times, compare_doubles);
    return 0;
}

static const double MIB = 1048576.0;

typedef struct gemm_rates {
    double fp32, tf32, bf16; /* TFLOP/s, 0 when not measured (TF32 and BF16 on the CPU) */
    char gpu[256];
    int m, n, k; /* the product measured on the CPU */
} gemm_rates;

/* On the CPU the yardstick is the product the recurrent convolution hands the GEMM per
 * image (4 hidden x cells x hidden k^2), on every thread at once, as the step runs it. */
static gemm_rates measure_gemm(const cc_ops_context *ctx, const cc_convlstm *m) {
    const cc_convlstm_config *c = &m->cfg;
    gemm_rates r = {0, 0, 0, "cpu", 4 * c->hidden[0], m->core_height * m->core_width, c->hidden[0] * c->kernel * c->kernel};
    if (ctx->backend != CC_BACKEND_CUDA) {
        double flop = 2.0 * r.m * r.n * r.k;
        int repeats = flop > 2e10 ? 1 : (int)(2e10 / flop) + 1; /* about 0.1 s per thread at 200 GFLOP/s */
        r.fp32 = cc_cpu_gemm_gflops(ctx, r.m, r.n, r.k, repeats > 50 ? 50 : repeats) * 1e-3;
        return r;
    }
    cc_gpu_info info;
    char err[256];
    if (cc_cuda_device_info(0, &info, err, sizeof err) == 0) snprintf(r.gpu, sizeof r.gpu, "%s", info.name);
    r.fp32 = cc_backend_gemm_tflops(ctx, 4096, "fp32", 10);
    r.tf32 = cc_backend_gemm_tflops(ctx, 4096, "tf32", 10);
    if (ctx->bf16) r.bf16 = cc_backend_gemm_tflops(ctx, 4096, "bf16", 10); /* Ampere and later only */
    return r;
}

/* --profile's figures: a JSON array of the ops, or a table under the line. */
static void report_profile(FILE *out, const step_profile *p, int json) {
    double ops = 0;
    for (int k = 0; k < p->ops; k++) ops += p->time[k].seconds;
    if (json) {
        fprintf(out, ", \"profile_steps\": %d, \"profile_step_seconds\": %.6f, \"profile_ops_seconds\": %.6f, \"profile\": [",
                p->steps, p->seconds, ops);
        for (int k = 0; k < p->ops; k++)
            fprintf(out, "%s{\"op\": \"%s\", \"calls\": %g, \"seconds\": %.6f}", k ? ", " : "", p->time[k].op,
                    (double)p->time[k].calls / p->steps, p->time[k].seconds);
        fprintf(out, "]");
        return;
    }
    fprintf(out, "  time per op, %d step%s called one by one (no CUDA graph): %.4f s a step, %.4f s of it in the ops "
                 "(%.1f%%; the rest outside them: copies, zeroing, waiting for the host)\n",
            p->steps, p->steps == 1 ? "" : "s", p->seconds, ops, p->seconds > 0 ? 100.0 * ops / p->seconds : 0.0);
    for (int k = 0; k < p->ops; k++)
        fprintf(out, "    %-28s %10.3f ms a step %6.1f%% %9g calls a step\n", p->time[k].op, 1e3 * p->time[k].seconds,
                p->seconds > 0 ? 100.0 * p->time[k].seconds / p->seconds : 0.0, (double)p->time[k].calls / p->steps);
}

static void report(FILE *out, const cc_bench_request *o, const cc_convlstm *m, const cc_ops_context *ctx,
                   const double *times, const gemm_rates *g, const step_profile *prof) {
    int steps = o->steps, gpu = ctx->backend == CC_BACKEND_CUDA;
    double median = steps % 2 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
    const cc_convlstm_config *c = &m->cfg;
    double flops = step_flops(m, o->batch), tflops = flops / median * 1e-12;
    const char *conv = cc_backend_conv_name(ctx), *math = cc_backend_precision_name(ctx);
    double gemm = !strcmp(math, "tf32") ? g->tf32 : gpu && !strcmp(math, "bf16") ? g->bf16 : g->fp32;
    double floor = gemm > 0 ? flops / (gemm * 1e12) : 0;
    if (o->json) {
        fprintf(out, "{\"device\": \"%s\", \"gpu\": \"%s\", \"conv\": \"%s\", \"math\": \"%s\", \"deterministic\": \"%s\", \"graph\": \"%s\", \"cudnn_layout\": \"%s\", "
               "\"batch\": %d, \"grid\": %d, "
               "\"channels\": %d, \"layers\": %d, \"hidden\": %d, \"kernel\": %d, \"window\": %d, \"horizon\": %d, "
               "\"down\": %d, \"features\": %d, "
               "\"steps\": %d, \"step_gflop\": %.9g, \"step_seconds\": %.6f, \"step_seconds_min\": %.6f, \"gflops\": %.3f, "
               "\"gemm_tflops_fp32\": %.4f, \"gemm_tflops_tf32\": %.4f, \"gemm_tflops_bf16\": %.4f, "
               "\"flop_time_at_gemm_rate\": %.6f, \"cudnn_workspace_grant_mib\": %.1f, \"device_scratch_mib\": %.1f, "
               "\"cpu_gemm\": \"%s\", \"threads\": %d",
               gpu ? "cuda" : "cpu", g->gpu, conv, math, ctx->any_algorithm ? "off" : "on", ctx->graphs ? "on" : "off", ctx->cudnn_nhwc ? "nhwc" : "nchw", o->batch, c->height, c->channels, c->layers, c->hidden[0],
               c->kernel, c->window, c->horizon, c->down, c->down > 1 ? c->features : 0, steps, flops * 1e-9, median, times[0],
               tflops * 1e3, g->fp32, g->tf32, g->bf16, floor,
               ctx->conv_cudnn ? 4.0 * (double)cc_cudnn_workspace_floats(ctx) / MIB : 0.0, cc_backend_scratch_bytes(ctx) / MIB,
               gpu ? "" : cc_cpu_gemm_choice(), cc_cpu_threads(ctx));
        if (prof) report_profile(out, prof, 1);
        fprintf(out, "}\n");
        return;
    }
    char where[300];
    if (gpu) snprintf(where, sizeof where, "cuda: %s", g->gpu);
    else snprintf(where, sizeof where, "cpu, %d thread%s", cc_cpu_threads(ctx), cc_cpu_threads(ctx) == 1 ? "" : "s");
    char model[64] = "";
    if (c->down > 1) snprintf(model, sizeof model, "convlstm-ae down %d, %d features, ", c->down, c->features);
    fprintf(out, "bench train (%s, conv %s, %s%s%s%s): %sbatch %d, %dx%d, %d channel(s), %d x %d hidden, kernel %d, "
           "window %d, horizon %d: median step %.4f s (min %.4f s) over %d steps, %.1f GFLOP/s\n",
           where, conv, math, ctx->cudnn_nhwc ? ", NHWC" : "", ctx->any_algorithm ? ", any algorithm" : "", ctx->graphs ? ", CUDA graph" : "", model, o->batch, c->height, c->width, c->channels,
           c->layers, c->hidden[0], c->kernel, c->window, c->horizon, median, times[0], steps, tflops * 1e3);
    if (gpu)
        fprintf(out, "  cuBLAS GEMM 4096^3 on this device: %.1f TFLOP/s FP32, %.1f TF32, %.1f BF16; the step's %.4g GFLOP "
               "take %.4g s at the %s rate (the step is %.1fx that)\n",
               g->fp32, g->tf32, g->bf16, flops * 1e-9, floor, math, median / floor);
    if (gpu && ctx->conv_cudnn)
        fprintf(out, "  device scratch held: %.1f MiB (cuDNN's workspace, granted up to %.1f MiB, and its timing runs)\n",
                cc_backend_scratch_bytes(ctx) / MIB, 4.0 * (double)cc_cudnn_workspace_floats(ctx) / MIB);
    else if (gpu)
        fprintf(out, "  device scratch held: %.1f MiB (im2col columns)\n", cc_backend_scratch_bytes(ctx) / MIB);
    else if (floor > 0)
        fprintf(out, "  SGEMM %dx%dx%d on every thread: %.1f GFLOP/s (%s); the step's %.4g GFLOP take %.4g s at "
               "that rate (the step is %.2fx that)\n",
               g->m, g->n, g->k, g->fp32 * 1e3, cc_cpu_gemm_choice(), flops * 1e-9, floor, median / floor);
    if (prof) report_profile(out, prof, 0);
}

/* Through cuDNN, about the workspace a training run of this shape would grant
 * (host/run_train.c): half of what 90% of GPU 0's memory leaves beyond the step's plan,
 * so that the benchmark times the algorithms training would take. A run with resident
 * windows plans them too, so below the 16 GiB cap it grants less than this. */
static void grant_cudnn_workspace(const cc_convlstm_config *c, int batch, cc_ops_context *ctx) {
    cc_gpu_info gpu;
    cc_train_memory plan;
    char why[256];
    if (ctx->backend != CC_BACKEND_CUDA || !ctx->conv_cudnn || cc_cuda_device_info(0, &gpu, why, sizeof why) != 0 ||
        cc_train_memory_plan(c, batch, c->window + c->horizon, 0, cc_plan_device(ctx), 1, 1, &plan, why, sizeof why) != 0)
        return;
    ctx->cudnn_workspace_floats = cc_cudnn_workspace_grant(cc_cudnn_workspace_reserved(&plan), plan.device,
                                                           0.9 * (double)gpu.total_memory_bytes);
}

int cc_run_bench(const cc_bench_request *r, FILE *out, char *err, size_t err_len) {
    cc_convlstm_config c = config_of(r);
    cc_ops_context ctx;
    if (cc_device_open(&r->device, &ctx, err, err_len) != 0) return -1;
    cc_device_note_unread(&r->device, &ctx);
    cc_convlstm m;
    if (cc_convlstm_create_on(&m, &c, r->batch, 1, cc_ops_device(&ctx), err, err_len) != 0) {
        cc_close_backend(&ctx);
        return -1;
    }
    int status = -1;
    double *times = malloc(sizeof(double) * (size_t)r->steps);
    grant_cudnn_workspace(&c, r->batch, &ctx);
    step_profile prof;
    if (!times || time_steps(r, &c, &ctx, &m, times, r->profile ? &prof : NULL) != 0) {
        snprintf(err, err_len, "out of memory");
    } else {
        gemm_rates g = measure_gemm(&ctx, &m);
        report(out, r, &m, &ctx, times, &g, r->profile ? &prof : NULL);
        status = 0;
    }
    free(times);
    cc_convlstm_free(&m);
    cc_close_backend(&ctx);
    return status;
}
