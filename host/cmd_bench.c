/* crimecast bench train: time training steps of the standard configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli.h"
#include "host/progress.h"
#include "models/convlstm.h"


static const char BENCH_HELP[] =
    "usage: crimecast bench train [--device auto|cpu] [--batch 16] [--grid 32] [--channels 1]\n"
    "                             [--layers 2] [--hidden 64] [--kernel 5] [--window 8]\n"
    "                             [--horizon 1] [--steps 5] [--warmup 1] [--threads N] [--json]\n\n"
    "Times full training steps (forward, masked Poisson loss, backward through time, AdamW)\n"
    "of a ConvLSTM on random data and prints the median step time and the convolutions'\n"
    "GFLOP/s. The defaults are the standard configuration of the benchmarks.\n";

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

int cc_cmd_bench(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "train") != 0) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(BENCH_HELP, stdout);
            return CC_EXIT_OK;
        }
        return cc_usage_error("bench", "the benchmark to run: train");
    }
    static const struct option OPTIONS[] = {
        {"device", required_argument, NULL, 'D'}, {"batch", required_argument, NULL, 'b'},
        {"grid", required_argument, NULL, 'g'},   {"channels", required_argument, NULL, 'C'},
        {"layers", required_argument, NULL, 'L'}, {"hidden", required_argument, NULL, 'H'},
        {"kernel", required_argument, NULL, 'k'}, {"window", required_argument, NULL, 'w'},
        {"horizon", required_argument, NULL, 'z'}, {"steps", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'W'}, {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    cc_convlstm_config c = {1, 32, 32, 2, {64, 64}, 5, 8, 1, 0, 1, 0};
    int batch = 16, steps = 5, warmup = 1, threads = 0, json = 0, hidden = 64;
    const char *device = "auto";
    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc - 1, argv + 1, "h", OPTIONS, NULL)) != -1) {
        int *target = NULL;
        switch (opt) {
        case 'D': device = optarg; break;
        case 'b': target = &batch; break;
        case 'g': target = &c.height; break;
        case 'C': target = &c.channels; break;
        case 'L': target = &c.layers; break;
        case 'H': target = &hidden; break;
        case 'k': target = &c.kernel; break;
        case 'w': target = &c.window; break;
        case 'z': target = &c.horizon; break;
        case 's': target = &steps; break;
        case 'W': target = &warmup; break;
        case 't': target = &threads; break;
        case 'j': json = 1; break;
        case 'h': fputs(BENCH_HELP, stdout); return CC_EXIT_OK;
        default: return cc_usage_error("bench", "unknown option or missing value: '%s'", argv[optind]);
        }
        if (target) {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < (target == &warmup || target == &threads ? 0 : 1) || v > 100000)
                return cc_usage_error("bench", "'%s' is not a valid count", optarg);
            *target = (int)v;
        }
    }
    if (!strcmp(device, "cuda")) {
        fprintf(stderr, "crimecast bench: --device cuda: this version has no CUDA backend for the ops yet\n");
        return CC_EXIT_FAILURE;
    }
    c.width = c.height;
    for (int l = 0; l < CC_MAX_LAYERS; l++) c.hidden[l] = hidden;
    cc_convlstm m;
    char err[256];
    if (cc_convlstm_create(&m, &c, batch, 1, err, sizeof err) != 0) return cc_usage_error("bench", "%s", err);
    size_t map = (size_t)c.channels * c.height * c.width * batch;
    float *x = malloc(sizeof(float) * map * c.window), *y = malloc(sizeof(float) * map * c.horizon);
    float *out = malloc(sizeof(float) * map * c.horizon), *d = malloc(sizeof(float) * map * c.horizon);
    float *mom = calloc(m.params.size, sizeof(float)), *vel = calloc(m.params.size, sizeof(float));
    double *times = malloc(sizeof(double) * (size_t)steps);
    unsigned state = 1;
    for (size_t k = 0; k < map * c.window; k++) x[k] = (float)((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f;
    for (size_t k = 0; k < map * c.horizon; k++) y[k] = (float)(k % 3);
    cc_ops_context ctx = {CC_BACKEND_CPU, threads, NULL, 0};
    for (int i = 0; i < warmup + steps; i++) {
        double start = cc_now_seconds();
        cc_convlstm_forward(&m, &ctx, x, out);
        cc_poisson_nll(&ctx, out, y, NULL, c.horizon * batch * c.channels, c.height * c.width, d);
        cc_arena_zero(&m.grads);
        cc_convlstm_backward(&m, &ctx, x, d);
        cc_adamw adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, i + 1};
        cc_adamw_step(&ctx, &adam, m.params.data, m.grads.data, mom, vel, m.params.size);
        if (i >= warmup) times[i - warmup] = cc_now_seconds() - start;
    }
    qsort(times, (size_t)steps, sizeof *times, compare_doubles);
    double median = steps % 2 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
    double gflops = step_flops(&c, batch) / median * 1e-9;
    if (json)
        printf("{\"device\": \"cpu\", \"batch\": %d, \"grid\": %d, \"channels\": %d, \"layers\": %d, \"hidden\": %d, "
               "\"kernel\": %d, \"window\": %d, \"horizon\": %d, \"steps\": %d, \"step_seconds\": %.6f, "
               "\"step_seconds_min\": %.6f, \"gflops\": %.3f}\n",
               batch, c.height, c.channels, c.layers, hidden, c.kernel, c.window, c.horizon, steps, median, times[0],
               gflops);
    else
        printf("bench train (cpu): batch %d, %dx%d, %d channel(s), %d x %d hidden, kernel %d, window %d, horizon %d: "
               "median step %.3f s (min %.3f s) over %d steps, %.1f GFLOP/s\n",
               batch, c.height, c.width, c.channels, c.layers, hidden, c.kernel, c.window, c.horizon, median, times[0],
               steps, gflops);
    free(x), free(y), free(out), free(d), free(mom), free(vel), free(times);
    cc_convlstm_free(&m);
    return CC_EXIT_OK;
}
