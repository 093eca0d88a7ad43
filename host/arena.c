#include "host/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ALIGN_FLOATS = 16 }; /* 64 bytes */

size_t cc_arena_reserve(cc_arena *a, const char *name, int rank, const int *dims) {
    if (a->count == a->capacity) {
        int capacity = a->capacity ? 2 * a->capacity : 32;
        cc_arena_entry *entries = realloc(a->entries, sizeof *entries * (size_t)capacity);
        if (!entries) return (size_t)-1;
        a->entries = entries;
        a->capacity = capacity;
    }
    cc_arena_entry *e = &a->entries[a->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->rank = rank;
    e->count = 1;
    for (int i = 0; i < rank && i < CC_ARENA_MAX_RANK; i++) {
        e->dims[i] = dims[i];
        e->count *= (size_t)dims[i];
    }
    e->offset = a->size;
    a->size += (e->count + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    return e->offset;
}

int cc_arena_allocate(cc_arena *a) {
    free(a->data);
    a->data = aligned_alloc(64, sizeof(float) * (a->size ? a->size : ALIGN_FLOATS));
    if (!a->data) return -1;
    cc_arena_zero(a);
    return 0;
}

int cc_arena_clone_layout(const cc_arena *a, cc_arena *copy) {
    memset(copy, 0, sizeof *copy);
    copy->entries = malloc(sizeof *copy->entries * (size_t)(a->count ? a->count : 1));
    if (!copy->entries) return -1;
    memcpy(copy->entries, a->entries, sizeof *copy->entries * (size_t)a->count);
    copy->count = copy->capacity = a->count;
    copy->size = a->size;
    return cc_arena_allocate(copy);
}

const cc_arena_entry *cc_arena_find(const cc_arena *a, const char *name) {
    for (int i = 0; i < a->count; i++)
        if (!strcmp(a->entries[i].name, name)) return &a->entries[i];
    return NULL;
}

void cc_arena_zero(cc_arena *a) {
    if (a->data) memset(a->data, 0, sizeof(float) * (a->size ? a->size : ALIGN_FLOATS));
}

void cc_arena_free(cc_arena *a) {
    free(a->data);
    free(a->entries);
    memset(a, 0, sizeof *a);
}
