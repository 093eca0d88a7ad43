/* models/rng.h: xoshiro256** (the inline generators live in the header). */
#include "models/rng.h"

#include <math.h>

void cc_rng_seed(cc_rng *rng, uint64_t seed) {
    uint64_t state = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = cc_splitmix64(&state);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cc_rng_next(cc_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cc_rng_uniform(cc_rng *rng) { return (double)(cc_rng_next(rng) >> 11) * 0x1.0p-53; }

double cc_rng_normal(cc_rng *rng) {
    const double two_pi = 6.283185307179586476925286766559;
    double u = 1.0 - cc_rng_uniform(rng), v = cc_rng_uniform(rng); /* u in (0, 1] */
    return sqrt(-2.0 * log(u)) * cos(two_pi * v);
}
