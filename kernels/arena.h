/* One allocation holding many named float tensors, addressed by offset.
 *
 * A model plans its layout once (cc_arena_reserve for each tensor, in a fixed order),
 * then allocates: parameters, gradients and optimiser moments are arenas of the same
 * layout, so an offset means the same tensor in each, an optimiser step is one loop
 * over the whole arena, and the layout can be mirrored in one device allocation.
 * Every tensor starts on a 64-byte boundary.
 *
 * cc_arena_to_device moves an allocated arena to a GPU (CUDA builds): `data` becomes a
 * device pointer, so only the ops of a CUDA context may touch it, and cc_arena_free
 * releases it there (through kernels/buffer.h, like every device allocation). */
#ifndef CRIMECAST_KERNELS_ARENA_H
#define CRIMECAST_KERNELS_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/shapes.h"

enum { CC_ARENA_MAX_RANK = 4, CC_ARENA_NAME = 48 };

typedef struct cc_arena_entry {
    char name[CC_ARENA_NAME];
    size_t offset, count;   /* in floats */
    int rank;
    int dims[CC_ARENA_MAX_RANK];
} cc_arena_entry;

struct cc_cuda_state;

typedef struct cc_arena {
    float *data;            /* NULL until cc_arena_allocate; a device pointer when `device` */
    struct cc_cuda_state *device;  /* the GPU holding data, or NULL: data is in host memory */
    size_t size;            /* floats, padding included */
    size_t allocated;       /* floats `data` holds (>= size once allocated) */
    void *host_block;       /* host: the calloc block `data` lies in, 64-byte aligned */
    cc_arena_entry *entries;
    int count, capacity;
} cc_arena;

/* A layout's size held here when its dimensions' products pass it (kernels/shapes.h). */
#define CC_ARENA_TOO_LARGE CC_SIZE_HELD

/* Adds a tensor to the layout; returns its offset, or (size_t)-1 when out of memory. */
size_t cc_arena_reserve(cc_arena *arena, const char *name, int rank, const int *dims);
/* Allocates the planned size, zeroed. 0 or -1. */
int cc_arena_allocate(cc_arena *arena);
/* Makes `data` hold the planned size, zeroed, at `device` (NULL: the host): the present
 * allocation when it is there and large enough (no new memory, nothing copied), else a
 * new one there; on a GPU allocated and zeroed on the device, nothing staged on the
 * host. 0, or -1 (out of host memory). */
int cc_arena_allocate_at(cc_arena *arena, struct cc_cuda_state *device);
/* Forgets the layout (entries and size) to plan it again, keeping the allocation. */
void cc_arena_reset_layout(cc_arena *arena);
/* A second arena with the same layout (e.g. gradients), zeroed. 0 or -1. */
int cc_arena_clone_layout(const cc_arena *arena, cc_arena *copy);
const cc_arena_entry *cc_arena_find(const cc_arena *arena, const char *name);
static inline float *cc_arena_at(const cc_arena *arena, size_t offset) { return arena->data + offset; }
/* Zeroes a host arena (a device arena: cc_fill through a CUDA context). */
void cc_arena_zero(cc_arena *arena);
void cc_arena_free(cc_arena *arena);
/* Moves an allocated host arena to the state's GPU: device memory of the same size gets
 * its contents and the host copy is freed. 0, or -1 with err (no CUDA in this build; the
 * arena is then unchanged). */
int cc_arena_to_device(cc_arena *arena, struct cc_cuda_state *device, char *err, size_t err_len);
/* Copies an arena's contents (host or device) into `host`, arena->size floats. */
void cc_arena_copy_out(const cc_arena *arena, float *host);

#endif
