/* crimecast bench train: time training steps of the standard configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli.h"
#include "host/device.h"
#include "host/progress.h"
#include "models/convlstm.h"
#include "models/train.h"
#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#endif


static const char BENCH_HELP[] =
    "usage: crimecast bench train [--device auto|cpu|cuda] [--conv gemm|cudnn] [--tf32]\n"
    "                             [--batch 16] [--grid 32] [--channels 1] [--layers 2] [--hidden 64]\n"
    "                             [--kernel 5] [--window 8] [--horizon 1] [--steps 5] [--warmup 1]\n"
    "                             [--threads N] [--json]\n\n"
    "Times full training steps (forward, masked Poisson loss, backward through time, AdamW)\n"
    "of a ConvLSTM on random data and prints the median step time and the convolutions'\n"
    "achieved FLOP rate. The defaults are the standard configuration of the benchmarks.\n"
    "--device auto takes the GPU when one is usable. On a GPU it also measures cuBLAS's\n"
    "SGEMM rate (FP32 and TF32) on the same device, for reference, and the time the step's\n"
    "FLOPs would take at that rate. --tf32 allows TF32 tensor cores in the convolutions;\n"
    "--conv cudnn runs them through cuDNN instead of im2col + cuBLAS.\n";

typedef struct bench_options {
    cc_convlstm_config cfg;
    int batch, steps, warmup, threads, json, tf32;
    const char *device, *conv;
} bench_options;

/* Multiply-adds x 2 of every convolution of one training step (backward = 2x forward). */
static double step_flops(const cc_convlstm_config *c, int batch) {
    double hw = (double)c->height * c->width, k2 = (double)c->kernel * c->kernel, forward = 0;
    for (int l = 0; l < c->layers; l++) {
        double hd = c->hidden[l], cin = l ? c->hidden[l - 1] : c->channels;
        forward += 2.0 * 4 * hd * cin * k2 * hw * c->window;                     /* encoder input */
        forward += 2.0 * 4 * hd * hd * k2 * hw * (c->window - 1 + c->horizon);   /* state, both stacks */
        if (l) forward += 2.0 * 4 * hd * cin * k2 * hw * c->horizon;            /* forecaster input */
        forward += 2.0 * c->channels * hd * hw * c->horizon;                      /* head */
    }
    return 3.0 * forward * batch;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Parses argv (after "train") into o. 0, or the exit code of a usage error. */
static int parse_options(int argc, char **argv, bench_options *o) {
    static const struct option OPTIONS[] = {
        {"device", required_argument, NULL, 'D'}, {"batch", required_argument, NULL, 'b'},
        {"grid", required_argument, NULL, 'g'},   {"channels", required_argument, NULL, 'C'},
        {"layers", required_argument, NULL, 'L'}, {"hidden", required_argument, NULL, 'H'},
        {"kernel", required_argument, NULL, 'k'}, {"window", required_argument, NULL, 'w'},
        {"horizon", required_argument, NULL, 'z'}, {"steps", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'W'}, {"threads", required_argument, NULL, 't'},
        {"conv", required_argument, NULL, 'v'},   {"tf32", no_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    *o = (bench_options){.cfg = {1, 32, 32, 2, {64, 64}, 5, 8, 1, 0, 1, 0},
                         .batch = 16, .steps = 5, .warmup = 1, .device = "auto", .conv = "gemm"};
    int hidden = 64;
    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc - 1, argv + 1, "h", OPTIONS, NULL)) != -1) {
        int *target = NULL;
        switch (opt) {
        case 'D': o->device = optarg; break;
        case 'v': o->conv = optarg; break;
        case 'T': o->tf32 = 1; break;
        case 'b': target = &o->batch; break;
        case 'g': target = &o->cfg.height; break;
        case 'C': target = &o->cfg.channels; break;
        case 'L': target = &o->cfg.layers; break;
        case 'H': target = &hidden; break;
        case 'k': target = &o->cfg.kernel; break;
        case 'w': target = &o->cfg.window; break;
        case 'z': target = &o->cfg.horizon; break;
        case 's': target = &o->steps; break;
        case 'W': target = &o->warmup; break;
        case 't': target = &o->threads; break;
        case 'j': o->json = 1; break;
        case 'h': fputs(BENCH_HELP, stdout); return -1;
        default: return cc_usage_error("bench", "unknown option or missing value: '%s'", argv[optind]);
        }
        if (target) {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < (target == &o->warmup || target == &o->threads ? 0 : 1) || v > 100000)
                return cc_usage_error("bench", "'%s' is not a valid count", optarg);
            *target = (int)v;
        }
    }
    const char *wrong = cc_backend_choice_error(o->device, o->conv);
    if (wrong) return cc_usage_error("bench", "%s (got --device %s --conv %s)", wrong, o->device, o->conv);
    o->cfg.width = o->cfg.height;
    for (int l = 0; l < CC_MAX_LAYERS; l++) o->cfg.hidden[l] = hidden;
    return 0;
}

/* A buffer of `floats` floats where the context's ops read them, holding `host`'s values
 * (or zeros when host is NULL). */
static float *place(const cc_ops_context *ctx, const float *host, size_t floats) {
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA) {
        float *d = cc_cuda_alloc(sizeof(float) * floats);
        if (host) cc_cuda_copy_to_device(ctx->cuda, d, host, sizeof(float) * floats);
        else cc_fill(ctx, d, floats, 0.0f);
        return d;
    }
#endif
    float *h = malloc(sizeof(float) * floats);
    if (h && host) memcpy(h, host, sizeof(float) * floats);
    else if (h) memset(h, 0, sizeof(float) * floats);
    return h;
}

static void release(const cc_ops_context *ctx, float *p) {
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA) {
        cc_cuda_free(p);
        return;
    }
#endif
    (void)ctx;
    free(p);
}

/* Times warmup + steps training steps on random inputs; sorted step times in `times`. */
static int time_steps(const bench_options *o, const cc_ops_context *ctx, cc_convlstm *m, double *times) {
    const cc_convlstm_config *c = &o->cfg;
    size_t map = (size_t)c->channels * c->height * c->width * o->batch, nx = map * c->window, ny = map * c->horizon;
    float *hx = malloc(sizeof(float) * nx), *hy = malloc(sizeof(float) * ny);
    if (!hx || !hy) return free(hx), free(hy), -1;
    unsigned state = 1;
    for (size_t k = 0; k < nx; k++) hx[k] = (float)((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f;
    for (size_t k = 0; k < ny; k++) hy[k] = (float)(k % 3);
    cc_train_step_io io = {place(ctx, hx, nx), place(ctx, hy, ny), NULL, NULL, place(ctx, NULL, ny),
                           place(ctx, NULL, ny), place(ctx, NULL, m->params.size), place(ctx, NULL, m->params.size)};
    free(hx), free(hy);
    float *buffers[] = {(float *)io.x, (float *)io.target, io.out, io.d, io.adam_m, io.adam_v};
    size_t count = sizeof buffers / sizeof *buffers, placed = 0;
    while (placed < count && buffers[placed]) placed++;
    for (int i = 0; placed == count && i < o->warmup + o->steps; i++) {
        cc_ops_synchronize(ctx);
        double start = cc_now_seconds();
        cc_adamw adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, i + 1};
        cc_train_step(m, ctx, CC_LOSS_POISSON, &adam, 0.0, &io);
        cc_ops_synchronize(ctx);
        if (i >= o->warmup) times[i - o->warmup] = cc_now_seconds() - start;
    }
    for (size_t k = 0; k < count; k++) release(ctx, buffers[k]);
    if (placed < count) return -1; /* out of host memory (device allocations abort) */
    qsort(times, (size_t)o->steps, sizeof *times, compare_doubles);
    return 0;
}

typedef struct gemm_rates {
    double fp32, tf32; /* TFLOP/s, 0 when not measured (CPU) */
    char gpu[256];
} gemm_rates;

static gemm_rates measure_gemm(const cc_ops_context *ctx) {
    gemm_rates r = {0, 0, "cpu"};
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA) {
        cc_gpu_info info;
        char err[256];
        if (cc_cuda_device_info(0, &info, err, sizeof err) == 0) snprintf(r.gpu, sizeof r.gpu, "%s", info.name);
        r.fp32 = cc_cuda_gemm_tflops(ctx->cuda, 4096, 0, 10);
        r.tf32 = cc_cuda_gemm_tflops(ctx->cuda, 4096, 1, 10);
    }
#endif
    (void)ctx;
    return r;
}

static void report(const bench_options *o, const cc_ops_context *ctx, const double *times, const gemm_rates *g) {
    const cc_convlstm_config *c = &o->cfg;
    int steps = o->steps, gpu = ctx->backend == CC_BACKEND_CUDA;
    double median = steps % 2 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
    double flops = step_flops(c, o->batch), tflops = flops / median * 1e-12;
    double gemm = o->tf32 ? g->tf32 : g->fp32, floor = gemm > 0 ? flops / (gemm * 1e12) : 0;
    const char *conv = gpu ? o->conv : "gemm", *math = gpu && o->tf32 ? "tf32" : "fp32";
    if (o->json) {
        printf("{\"device\": \"%s\", \"gpu\": \"%s\", \"conv\": \"%s\", \"math\": \"%s\", \"batch\": %d, \"grid\": %d, "
               "\"channels\": %d, \"layers\": %d, \"hidden\": %d, \"kernel\": %d, \"window\": %d, \"horizon\": %d, "
               "\"steps\": %d, \"step_seconds\": %.6f, \"step_seconds_min\": %.6f, \"gflops\": %.3f, "
               "\"gemm_tflops_fp32\": %.2f, \"gemm_tflops_tf32\": %.2f, \"flop_time_at_gemm_rate\": %.6f}\n",
               gpu ? "cuda" : "cpu", g->gpu, conv, math, o->batch, c->height, c->channels, c->layers, c->hidden[0],
               c->kernel, c->window, c->horizon, steps, median, times[0], tflops * 1e3, g->fp32, g->tf32, floor);
        return;
    }
    char where[300];
    snprintf(where, sizeof where, gpu ? "cuda: %s" : "cpu", g->gpu);
    printf("bench train (%s, conv %s, %s): batch %d, %dx%d, %d channel(s), %d x %d hidden, kernel %d, window %d, "
           "horizon %d: median step %.4f s (min %.4f s) over %d steps, %.1f GFLOP/s\n",
           where, conv, math, o->batch, c->height, c->width, c->channels,
           c->layers, c->hidden[0], c->kernel, c->window, c->horizon, median, times[0], steps, tflops * 1e3);
    if (gpu)
        printf("  cuBLAS SGEMM 4096^3 on this device: %.1f TFLOP/s FP32, %.1f TF32; the step's %.1f GFLOP take "
               "%.4f s at the %s rate (the step is %.1fx that)\n",
               g->fp32, g->tf32, flops * 1e-9, floor, math, median / floor);
}

int cc_cmd_bench(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "train") != 0) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(BENCH_HELP, stdout);
            return CC_EXIT_OK;
        }
        return cc_usage_error("bench", "the benchmark to run: train");
    }
    bench_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    cc_ops_context ctx;
    char why[256];
    if (cc_open_backend(o.device, o.threads, !strcmp(o.conv, "cudnn"), o.tf32, &ctx, why, sizeof why) != 0) {
        fprintf(stderr, "crimecast bench: --device %s: %s\n", o.device, why);
        return CC_EXIT_FAILURE;
    }
    cc_convlstm m;
    char err[256];
    if (cc_convlstm_create(&m, &o.cfg, o.batch, 1, err, sizeof err) != 0) {
        cc_close_backend(&ctx);
        return cc_usage_error("bench", "%s", err);
    }
    int status = CC_EXIT_OK;
    double *times = malloc(sizeof(double) * (size_t)o.steps);
    if (ctx.backend == CC_BACKEND_CUDA && cc_convlstm_to_device(&m, ctx.cuda, err, sizeof err) != 0) {
        fprintf(stderr, "crimecast bench: %s\n", err);
        status = CC_EXIT_FAILURE;
    } else if (!times || time_steps(&o, &ctx, &m, times) != 0) {
        fprintf(stderr, "crimecast bench: out of memory\n");
        status = CC_EXIT_FAILURE;
    } else {
        gemm_rates g = measure_gemm(&ctx);
        report(&o, &ctx, times, &g);
    }
    free(times);
    cc_convlstm_free(&m);
    cc_close_backend(&ctx);
    return status;
}
