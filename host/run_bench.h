/* `crimecast bench train`: the time of a training step of the benchmarks' standard
 * ConvLSTM on random data, on either backend, with the FLOP rate it reaches and (on a
 * GPU) cuBLAS's SGEMM rate on the same device as the yardstick. */
#ifndef CRIMECAST_HOST_RUN_BENCH_H
#define CRIMECAST_HOST_RUN_BENCH_H

#include <stddef.h>
#include <stdio.h>

#include "host/device_options.h"
#include "host/options.h"

typedef struct cc_bench_request {
    const char *benchmark[1];     /* the operand: "train" */
    int benchmark_count;
    int batch, grid, channels, layers, hidden, kernel, window, horizon;
    const char *down;             /* "1": the ConvLSTM; "2" or "4": convlstm-ae ... */
    int features;                 /* ... with `features` maps */
    int steps, warmup, json;
    int profile;                  /* time each op over the steps too (kernels/op_profile.h) */
    cc_device_request device;
} cc_bench_request;

extern const cc_command_spec CC_BENCH_SPEC;

/* Times the steps and prints the figures (a line, or JSON) to `out`. 0, or -1 with err. */
int cc_run_bench(const cc_bench_request *request, FILE *out, char *err, size_t err_len);

#endif
