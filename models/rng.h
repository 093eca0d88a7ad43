/* splitmix64 (Steele, Lea & Flood 2014): a small, well-mixed generator whose whole state
 * is one 64-bit word owned by the caller, so every stream (a shuffle, a seeding) is
 * reproducible and no generator state is global. */
#ifndef CRIMECAST_MODELS_RNG_H
#define CRIMECAST_MODELS_RNG_H

#include <stdint.h>

static inline uint64_t cc_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif
