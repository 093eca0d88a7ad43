#include "kernels/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/buffer.h"
#include "kernels/device.h"

enum { ALIGN_FLOATS = 16 }; /* 64 bytes */

/* Sizes past this are held at it, so that no allocation can succeed for them: a product
 * of dimensions that wrapped past 2^64 read as a small size (an arena too small for its
 * layout), and messages counted a wrapped number of parameters. */
static const size_t TOO_LARGE = CC_ARENA_TOO_LARGE;

static size_t held_product(size_t a, size_t b) { return b && a > TOO_LARGE / b ? TOO_LARGE : a * b; }
static size_t held_sum(size_t a, size_t b) { return a > TOO_LARGE - b ? TOO_LARGE : a + b; }

/* What an allocation holds: an empty layout still gets one aligned block. */
static size_t allocated_floats(const cc_arena *a) { return a->size ? a->size : ALIGN_FLOATS; }

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
        e->count = held_product(e->count, (size_t)dims[i]);
    }
    e->offset = a->size;
    size_t padded = e->count >= TOO_LARGE - ALIGN_FLOATS ? TOO_LARGE /* held: not rounded back under it */
                                                         : (e->count + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    a->size = held_sum(a->size, padded);
    return e->offset;
}

/* Releases the data wherever it lives; the layout stays. */
static void release_data(cc_arena *a) {
    if (a->device) cc_buffer_free(a->device, a->data);
    else free(a->host_block);
    a->data = NULL, a->host_block = NULL;
    a->device = NULL;
    a->allocated = 0;
}

/* calloc, not aligned_alloc and memset: a large block comes as fresh pages that the
 * system zeroes when first touched, so an arena never touched (a GPU run's host model's
 * activations, 0.8 GiB at 150 m) costs nothing, and one that is touched is zeroed once. */
int cc_arena_allocate(cc_arena *a) {
    release_data(a);
    size_t align = sizeof(float) * ALIGN_FLOATS;
    a->host_block = calloc(sizeof(float) * allocated_floats(a) + align, 1);
    if (!a->host_block) return -1;
    a->data = (float *)(((uintptr_t)a->host_block + align - 1) / align * align);
    a->allocated = allocated_floats(a);
    return 0;
}

int cc_arena_allocate_at(cc_arena *a, struct cc_cuda_state *device) {
    if (!device) {
        if (!a->data || a->device || a->allocated < allocated_floats(a)) return cc_arena_allocate(a);
    } else if (!a->data || a->device != device || a->allocated < allocated_floats(a)) {
        release_data(a);
        a->data = cc_buffer_alloc(device, sizeof(float) * allocated_floats(a)); /* aborts on failure */
        a->device = device, a->allocated = allocated_floats(a);
    }
    cc_buffer_zero(a->device, a->data, sizeof(float) * allocated_floats(a));
    return 0;
}

void cc_arena_reset_layout(cc_arena *a) { a->count = 0, a->size = 0; }

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
    if (a->device) {
        fprintf(stderr, "crimecast: cc_arena_zero on a device arena (zero it with cc_fill)\n");
        abort();
    }
    if (a->data) memset(a->data, 0, sizeof(float) * allocated_floats(a));
}

void cc_arena_free(cc_arena *a) {
    release_data(a);
    free(a->entries);
    memset(a, 0, sizeof *a);
}

int cc_arena_to_device(cc_arena *a, struct cc_cuda_state *device, char *err, size_t err_len) {
    if (!cc_cuda_compiled() || !device) {
        snprintf(err, err_len, cc_cuda_compiled() ? "arena: no GPU to move to" : "this build of crimecast has no CUDA backend");
        return -1;
    }
    if (!a->data || a->device) {
        snprintf(err, err_len, "arena: only an allocated host arena moves to a device");
        return -1;
    }
    size_t bytes = sizeof(float) * allocated_floats(a);
    float *on_device = cc_buffer_alloc(device, bytes);
    cc_buffer_upload(device, on_device, a->data, bytes);
    free(a->host_block);
    a->host_block = NULL;
    a->data = on_device;
    a->device = device;
    a->allocated = allocated_floats(a);
    return 0;
}

void cc_arena_copy_out(const cc_arena *a, float *host) {
    cc_buffer_download(a->device, host, a->data, sizeof(float) * a->size);
}
