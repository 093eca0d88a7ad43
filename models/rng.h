/* crimecast's random numbers, all of them: every generator's state is a value its caller
 * owns (no global state), so a seed gives the same stream on every machine and run.
 *
 *   cc_splitmix64  (Steele, Lea & Flood 2014) one 64-bit word of state, well mixed: seeds
 *                  the others and mixes labels into separate streams.
 *   cc_rng         xoshiro256** (Blackman & Vigna 2018): the simulation's generator (the
 *                  synthetic city), uniform doubles of 53 bits and normals.
 *   cc_lcg_next    the 32-bit linear congruential generator of Numerical Recipes
 *                  (x <- 1664525 x + 1013904223 mod 2^32), its top 24 bits per draw: what
 *                  the weight initialisation, the training shuffle, tune's search order,
 *                  the bootstrap and the benchmark's inputs have drawn from since the
 *                  first results, kept so that those reproduce bit for bit. Good enough
 *                  for shuffles and a uniform initialisation; not for simulation. */
#ifndef CRIMECAST_MODELS_RNG_H
#define CRIMECAST_MODELS_RNG_H

#include <stdint.h>

static inline uint64_t cc_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* 24 random bits, 0 .. 2^24 - 1. */
static inline unsigned cc_lcg_next(unsigned *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Uniform in [0, 1), in steps of 2^-24. */
static inline double cc_lcg_uniform(unsigned *state) { return cc_lcg_next(state) * (1.0 / 16777216.0); }

typedef struct cc_rng {
    uint64_t s[4];
} cc_rng;

/* The state from a seed through splitmix64 (any seed, 0 included, gives a valid state). */
void cc_rng_seed(cc_rng *rng, uint64_t seed);
uint64_t cc_rng_next(cc_rng *rng);
/* Uniform in [0, 1), 53 bits. */
double cc_rng_uniform(cc_rng *rng);
/* Standard normal (Box-Muller, one of the pair). */
double cc_rng_normal(cc_rng *rng);

#endif
