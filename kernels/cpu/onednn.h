/* The CPU convolutions through oneDNN (Debian's libdnnl, the library PyTorch runs its CPU
 * convolutions with), same contracts as kernels/ops.h. An object that owns oneDNN's
 * engine and stream, the primitives made so far (one per shape, direction, bias and
 * beta: making one costs far more than running it) and the scratch its blocked layouts
 * need; the ops context holds it (ctx->onednn) and the CPU ops send their convolutions
 * to it when it is there.
 *
 * Layouts, from bench/conv_vs_onednn.sh (bench/RESULTS.md "CPU convolutions: oneDNN"):
 * with at least 16 input and 16 output channels oneDNN's blocked layouts (nChw16c, its
 * AVX-512 direct convolutions) win even with the reorders from and to NCHW that this
 * contract costs every call; below that its plain NCHW path (its own im2col + JIT GEMM)
 * does. Both beat im2col + OpenBLAS on every shape measured there but one (1 input
 * channel, where they are level), so the CPU ops take oneDNN whenever the build has it
 * (--conv auto) and keep im2col + GEMM as the path without it (--conv gemm).
 *
 * The results are deterministic for a fixed thread count (oneDNN splits the work and
 * sums in a fixed order); they differ from im2col + GEMM's in the last bits. */
#ifndef CRIMECAST_KERNELS_CPU_ONEDNN_H
#define CRIMECAST_KERNELS_CPU_ONEDNN_H

#include <stddef.h>

#include "kernels/ops.h"

typedef struct cc_onednn cc_onednn;

/* 1 when this build has oneDNN (CRIMECAST_HAVE_DNNL). */
int cc_onednn_built(void);

/* "oneDNN v2.6.3 (its CPU ISA: avx512_core ...)" or why it is not there, for `crimecast info`. */
void cc_onednn_describe(char *out, size_t out_len);

/* A new object, or NULL with why (a build without oneDNN, no engine, or bf16 asked of a
 * CPU where oneDNN has no bfloat16 convolutions).
 *
 * bf16 (--precision bf16): every convolution reads bfloat16 copies of its inputs (x and
 * w forward, dy and w backward data, x and dy backward filter: the reorders from FP32
 * round them to nearest even) and accumulates and writes FP32, as mixed-precision
 * training does; parameters, optimizer state, gates, losses stay FP32. bfloat16 keeps 8
 * significant bits (each input within 2^-8 of itself), so each product is within about
 * 2^-7 of FP32's and an output within 2^-7 sum |w x| (tests/test_ops_cpu.c holds every
 * element to that). The AMX or AVX512_BF16 units run them where the CPU has them. */
cc_onednn *cc_onednn_create(int bf16, char *why, size_t why_len);

/* Whether d runs its convolutions in bfloat16. */
int cc_onednn_bf16(const cc_onednn *d);
void cc_onednn_destroy(cc_onednn *d);

/* Whether a shape runs in oneDNN's blocked layouts (else its plain NCHW path). */
int cc_onednn_blocked(const cc_conv2d_shape *s);

/* An upper bound of the scratch floats one image of a call needs: the copies of its input,
 * output and weights in the layouts it runs in (channels in blocks of 16 when blocked).
 * The CPU ops hand oneDNN chunks of cc_onednn_chunk_images images, as many as keep that
 * bound within CC_ONEDNN_SCRATCH_FLOATS (at least one), so the scratch a run holds is at
 * most max(CC_ONEDNN_SCRATCH_FLOATS, one image's): models/memory_plan.c counts it so. */
size_t cc_onednn_image_floats(const cc_conv2d_shape *s);
int cc_onednn_chunk_images(const cc_conv2d_shape *s);
#define CC_ONEDNN_SCRATCH_FLOATS ((size_t)64 * 1024 * 1024)

/* The three convolution ops on `threads` OpenMP threads. 0 when done; -1 when oneDNN has
 * no primitive for the shape or no memory for it (nothing was written: the caller runs
 * im2col + GEMM instead). */
int cc_onednn_conv2d_forward(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *x, const float *w,
                             const float *bias, float beta, float *y);
int cc_onednn_conv2d_backward_data(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *dy,
                                   const float *w, float beta, float *dx);
int cc_onednn_conv2d_backward_filter(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *x,
                                     const float *dy, float *dw, float *dbias);

/* How many calls oneDNN ran, and how many it declined (run by im2col + GEMM instead). */
void cc_onednn_counts(const cc_onednn *d, long *ran, long *declined);

/* Bytes of scratch the object holds now (the largest call's blocked copies). */
size_t cc_onednn_scratch_bytes(const cc_onednn *d);

#endif
