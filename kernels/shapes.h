/* The shapes of the ops' operands, and what follows from a shape alone: output sizes and
 * the CPU workspace a convolution needs. Shared by the op contract (kernels/ops.h) and
 * both backends, which must agree on them. */
#ifndef CRIMECAST_KERNELS_SHAPES_H
#define CRIMECAST_KERNELS_SHAPES_H

#include <stddef.h>
#include <stdint.h>

/* Sizes in floats are held at this rather than wrapping past 2^64 (no allocation can
 * succeed for them; a wrapped product read as a small size and overran its buffer): the
 * convolution workspace below, and the arenas' layouts (kernels/arena.h). */
#define CC_SIZE_HELD (SIZE_MAX / 64)

#ifdef __cplusplus
extern "C" { /* the CUDA files (C++) call the helpers */
#endif

typedef struct cc_conv2d_shape {
    int batch;
    int in_channels, out_channels;
    int height, width;      /* of the input */
    int kernel, stride, padding;  /* square kernel, zero padding */
} cc_conv2d_shape;

int cc_conv2d_out_height(const cc_conv2d_shape *s);
int cc_conv2d_out_width(const cc_conv2d_shape *s);
/* Workspace the conv ops need per CPU thread (floats): one image's im2col columns and a
 * filter gradient. ctx->workspace must hold threads x this. */
size_t cc_conv2d_workspace_floats(const cc_conv2d_shape *s);

typedef struct cc_lstm_shape {
    int batch, hidden, height, width;
    int peephole;           /* Hadamard peepholes w_ci, w_cf, w_co (Shi et al. 2015) */
} cc_lstm_shape;

#ifdef __cplusplus
}
#endif

#endif
