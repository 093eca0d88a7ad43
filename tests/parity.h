/* What the GPU parity tests (test_ops_cuda, test_step_cuda, test_train_cuda) share: the
 * seed a run prints and repeats, the generator they draw inputs from, the measure they
 * compare by, and the state every check reads and tallies into. Plain C, no cmocka: the tests build on a machine with CUDA alone. */
#ifndef CRIMECAST_TESTS_PARITY_H
#define CRIMECAST_TESTS_PARITY_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/ops.h"
#include "models/rng.h"

/* Both contexts, the tolerance of the checks running now (when one applies to all of
 * them), what they are checking, the generator's state and the tallies. */
typedef struct parity_env {
    cc_ops_context cpu, gpu;
    double tol;
    const char *label;
    uint64_t rng;
    int checks, failures;
} parity_env;

/* CRIMECAST_TEST_SEED, or the clock; printed so that a failing run can be repeated. */
static inline unsigned long long parity_seed(void) {
    const char *text = getenv("CRIMECAST_TEST_SEED");
    unsigned long long seed = text ? strtoull(text, NULL, 10) : (unsigned long long)time(NULL);
    printf("seed %llu (CRIMECAST_TEST_SEED=%llu repeats this run)\n", seed, seed);
    return seed;
}

/* Uniform in [lo, hi) from splitmix64 (24 bits of it: exact in a float). */
static inline float parity_random(uint64_t *rng, float lo, float hi) {
    return lo + (hi - lo) * (float)((cc_splitmix64(rng) >> 40) * (1.0 / 16777216.0));
}

/* parity_random on the environment's generator. */
static inline float parity_draw(parity_env *e, float lo, float hi) { return parity_random(&e->rng, lo, hi); }

/* Counts a check and, when it failed, a failure; returns ok (the caller prints why not). */
static inline int parity_tally(parity_env *e, int ok) {
    e->checks++;
    if (!ok) e->failures++;
    return ok;
}

/* max |got - want| / max |want|, or infinity when either holds a NaN or infinity. */
static inline double parity_relative_error(const float *got, const float *want, size_t n) {
    double diff = 0, scale = 1e-30;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(got[k]) || !isfinite(want[k])) return INFINITY;
        diff = fmax(diff, fabs((double)got[k] - want[k]));
        scale = fmax(scale, fabs((double)want[k]));
    }
    return diff / scale;
}

#endif
