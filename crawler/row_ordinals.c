#include "crawler/row_ordinals.h"

#include <stdlib.h>

typedef struct slot {
    uint64_t hash;
    uint32_t count;  /* 0 marks an empty slot */
} slot;

struct cc_row_ordinals {
    slot *slots;
    size_t capacity, used;  /* capacity is a power of two */
};

cc_row_ordinals *cc_row_ordinals_new(void) {
    cc_row_ordinals *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->capacity = 1 << 12;
    o->slots = calloc(o->capacity, sizeof *o->slots);
    if (!o->slots) {
        free(o);
        return NULL;
    }
    return o;
}

void cc_row_ordinals_free(cc_row_ordinals *o) {
    if (!o) return;
    free(o->slots);
    free(o);
}

uint64_t cc_hash_fields(char *const *fields, const size_t *lengths, int count) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < count; i++) {
        const unsigned char *p = (const unsigned char *)fields[i];
        for (size_t j = 0; j < lengths[i]; j++) h = (h ^ p[j]) * 1099511628211ULL;
        h = (h ^ 0x1F) * 1099511628211ULL;
    }
    return h;
}

static slot *find(slot *slots, size_t capacity, uint64_t hash) {
    size_t mask = capacity - 1;
    /* Mix the bits: FNV's low bits alone probe poorly. */
    size_t i = (size_t)((hash ^ (hash >> 29)) * 0x9E3779B97F4A7C15ULL >> 20) & mask;
    while (slots[i].count && slots[i].hash != hash) i = (i + 1) & mask;
    return &slots[i];
}

static int grow(cc_row_ordinals *o) {
    size_t capacity = o->capacity * 2;
    slot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < o->capacity; i++)
        if (o->slots[i].count) *find(slots, capacity, o->slots[i].hash) = o->slots[i];
    free(o->slots);
    o->slots = slots;
    o->capacity = capacity;
    return 0;
}

uint32_t cc_row_ordinals_next(cc_row_ordinals *o, uint64_t hash) {
    if ((o->used + 1) * 2 > o->capacity && grow(o) != 0) return 0;
    slot *s = find(o->slots, o->capacity, hash);
    if (!s->count) {
        s->hash = hash;
        o->used++;
    }
    return ++s->count;
}
