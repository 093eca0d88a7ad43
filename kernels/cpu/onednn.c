/* kernels/cpu/onednn.h. Each call finds (or makes) its cache entry, reorders its inputs
 * into the primitive's layouts where they differ from NCHW / OIHW, runs the primitive,
 * and brings the output back, adding beta times what was there (or, for the filter
 * gradient, adding onto it) through a reorder with a sum post-op. */
#include "kernels/cpu/onednn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/shapes.h"

/* Channels as the blocked layouts store them: in blocks of 16. */
static size_t padded(const cc_conv2d_shape *s, int channels) {
    return cc_onednn_blocked(s) ? (size_t)(channels + 15) / 16 * 16 : (size_t)channels;
}

int cc_onednn_blocked(const cc_conv2d_shape *s) { return s->in_channels >= 16 && s->out_channels >= 16; }

int cc_onednn_chunk_images(const cc_conv2d_shape *s) {
    size_t per_image = cc_onednn_image_floats(s);
    size_t fit = per_image ? CC_ONEDNN_SCRATCH_FLOATS / per_image : (size_t)s->batch;
    return fit < 1 ? 1 : fit > (size_t)s->batch ? s->batch : (int)fit;
}

size_t cc_onednn_image_floats(const cc_conv2d_shape *s) {
    size_t in = padded(s, s->in_channels) * s->height * s->width;
    size_t out = padded(s, s->out_channels) * (size_t)cc_conv2d_out_height(s) * cc_conv2d_out_width(s);
    size_t weights = padded(s, s->in_channels) * padded(s, s->out_channels) * s->kernel * s->kernel;
    return in + out + weights;
}

#ifdef CRIMECAST_HAVE_DNNL
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

int cc_onednn_built(void) { return 1; }

void cc_onednn_describe(char *out, size_t out_len) {
    const dnnl_version_t *v = dnnl_version();
    static const char *isas[] = {"any", "sse41", "avx", "avx2", "avx512_core", "avx512_core_vnni", "avx512_core_bf16",
                                 "avx512_core_amx"};
    static const dnnl_cpu_isa_t codes[] = {dnnl_cpu_isa_all, dnnl_cpu_isa_sse41, dnnl_cpu_isa_avx, dnnl_cpu_isa_avx2,
                                           dnnl_cpu_isa_avx512_core, dnnl_cpu_isa_avx512_core_vnni,
                                           dnnl_cpu_isa_avx512_core_bf16, dnnl_cpu_isa_avx512_core_amx};
    const char *isa = "unknown";
    dnnl_cpu_isa_t got = dnnl_get_effective_cpu_isa();
    for (size_t q = 0; q < sizeof codes / sizeof *codes; q++)
        if (codes[q] == got) isa = isas[q];
    snprintf(out, out_len, "oneDNN v%d.%d.%d (CPU ISA as it sees it: %s; blocked layouts at 16+ channels in and out)",
             v->major, v->minor, v->patch, isa);
}

typedef enum { FORWARD, BACKWARD_DATA, BACKWARD_FILTER } direction;

enum { CACHE_ENTRIES = 64, IN0 = 0, IN1 = 1, OUT = 2, ALIGN = 64 };

/* One primitive and its reorders. Operands: forward x, w -> y; backward data dy, w ->
 * dx; backward filter x, dy -> dw (and the bias gradient, always plain). */
typedef struct entry {
    cc_conv2d_shape shape;
    direction dir;
    int has_bias, threads, bf16;
    float beta;
    dnnl_primitive_t conv;
    dnnl_memory_desc_t user_md[3], inner_md[3], bias_md;
    dnnl_primitive_t to_inner[2]; /* NULL when the input's layout is already NCHW / OIHW */
    dnnl_primitive_t to_user;     /* NULL when the primitive writes the user's memory itself */
    size_t offset[4], bytes;      /* scratch: inner copies of in0, in1, out, then the bias gradient */
} entry;

struct cc_onednn {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    entry cache[CACHE_ENTRIES];
    int used, next_evicted;
    void *scratch;
    size_t scratch_bytes;
    long ran, declined;
    int bf16; /* the convolutions read bfloat16 copies of their inputs */
};

static int entry_make(cc_onednn *d, entry *e);
static void entry_free(entry *e);

/* Whether oneDNN has bfloat16 convolutions on this CPU: a small one of each direction. */
static int bf16_available(cc_onednn *d) {
    const cc_conv2d_shape probes[] = {{2, 16, 32, 8, 8, 3, 1, 1}, {2, 2, 8, 8, 8, 3, 1, 1}};
    int ok = 1;
    for (size_t p = 0; p < sizeof probes / sizeof *probes; p++)
        for (int dir = FORWARD; dir <= BACKWARD_FILTER && ok; dir++) {
            entry e = {.shape = probes[p], .dir = (direction)dir, .has_bias = dir != BACKWARD_DATA, .threads = 1, .bf16 = 1};
            ok = entry_make(d, &e) == 0;
            if (ok) entry_free(&e);
        }
    return ok;
}

cc_onednn *cc_onednn_create(int bf16, char *why, size_t why_len) {
    cc_onednn *d = calloc(1, sizeof *d);
    if (!d) return snprintf(why, why_len, "out of memory"), NULL;
    if (dnnl_engine_create(&d->engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags) != dnnl_success) {
        snprintf(why, why_len, "oneDNN could not make a CPU engine and stream");
        if (d->engine) dnnl_engine_destroy(d->engine);
        free(d);
        return NULL;
    }
    d->bf16 = bf16;
    if (bf16 && !bf16_available(d)) {
        snprintf(why, why_len, "oneDNN has no bfloat16 convolutions on this CPU (it needs AVX-512)");
        cc_onednn_destroy(d);
        return NULL;
    }
    return d;
}

int cc_onednn_bf16(const cc_onednn *d) { return d ? d->bf16 : 0; }

static void entry_free(entry *e) {
    dnnl_primitive_t prims[] = {e->conv, e->to_inner[0], e->to_inner[1], e->to_user};
    for (size_t q = 0; q < sizeof prims / sizeof *prims; q++)
        if (prims[q]) dnnl_primitive_destroy(prims[q]);
    memset(e, 0, sizeof *e);
}

void cc_onednn_destroy(cc_onednn *d) {
    if (!d) return;
    for (int q = 0; q < d->used; q++) entry_free(&d->cache[q]);
    dnnl_stream_destroy(d->stream);
    dnnl_engine_destroy(d->engine);
    free(d->scratch);
    free(d);
}

size_t cc_onednn_scratch_bytes(const cc_onednn *d) { return d ? d->scratch_bytes : 0; }

void cc_onednn_counts(const cc_onednn *d, long *ran, long *declined) {
    *ran = d ? d->ran : 0, *declined = d ? d->declined : 0;
}

/* Counts the call's outcome and passes it on. */
static int counted(cc_onednn *d, int status) {
    if (status == 0) d->ran++;
    else d->declined++;
    return status;
}

/* ---- making an entry ---- */

static int desc4_typed(dnnl_memory_desc_t *md, int a, int b, int c, int d, dnnl_data_type_t type, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {a, b, c, d};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, type, tag) == dnnl_success ? 0 : -1;
}

/* A reorder from one layout to another, adding `sum` times the destination when non-zero. */
static dnnl_primitive_t make_reorder(cc_onednn *d, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                                     float sum) {
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t p = NULL;
    int ok = dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && sum != 0.0f)
        ok = dnnl_post_ops_create(&ops) == dnnl_success && dnnl_post_ops_append_sum(ops, sum) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
    if (ok && dnnl_reorder_primitive_desc_create(&pd, from, d->engine, to, d->engine, attr) == dnnl_success)
        dnnl_primitive_create(&p, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return p;
}

/* The convolution's primitive descriptor for e's shape and direction, its memory in
 * `act` / `wt` layouts (plain tags, or any: oneDNN's choice). Forward with beta on plain
 * memory adds beta * y through a sum post-op. */
static dnnl_primitive_desc_t make_conv_pd(cc_onednn *d, const entry *e, dnnl_format_tag_t act, dnnl_format_tag_t wt) {
    const cc_conv2d_shape *s = &e->shape;
    int ho = cc_conv2d_out_height(s), wo = cc_conv2d_out_width(s);
    /* bf16: what the direction reads is bfloat16, what it writes FP32 (x, w, y in order);
     * the forward hint of a backward direction reads and writes bfloat16 */
    dnnl_data_type_t f = dnnl_f32, h = e->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_data_type_t types[3][3] = {{h, h, f}, {f, h, h}, {h, f, h}}, *t = types[e->dir];
    dnnl_memory_desc_t x, w, y, hx, hw, hy;
    if (desc4_typed(&x, s->batch, s->in_channels, s->height, s->width, t[0], act) ||
        desc4_typed(&w, s->out_channels, s->in_channels, s->kernel, s->kernel, t[1], wt) ||
        desc4_typed(&y, s->batch, s->out_channels, ho, wo, t[2], act) ||
        desc4_typed(&hx, s->batch, s->in_channels, s->height, s->width, h, act) ||
        desc4_typed(&hw, s->out_channels, s->in_channels, s->kernel, s->kernel, h, wt) ||
        desc4_typed(&hy, s->batch, s->out_channels, ho, wo, e->dir == FORWARD ? f : h, act))
        return NULL;
    /* right padding such that (H + left + right - K) / stride + 1 = Ho exactly */
    dnnl_dims_t strides = {s->stride, s->stride}, left = {s->padding, s->padding},
                right = {(ho - 1) * s->stride + s->kernel - s->height - s->padding,
                         (wo - 1) * s->stride + s->kernel - s->width - s->padding};
    const dnnl_memory_desc_t *bias = e->has_bias ? &e->bias_md : NULL;
    dnnl_convolution_desc_t fd, cd;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    if (dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &hx, &hw, bias, &hy,
                                           strides, left, right) != dnnl_success)
        return NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    if (e->dir == FORWARD && e->beta != 0.0f && act != dnnl_format_tag_any) {
        if (dnnl_primitive_attr_create(&attr) != dnnl_success || dnnl_post_ops_create(&ops) != dnnl_success ||
            dnnl_post_ops_append_sum(ops, e->beta) != dnnl_success ||
            dnnl_primitive_attr_set_post_ops(attr, ops) != dnnl_success)
            goto done;
    }
    if (dnnl_primitive_desc_create(&hint, &fd, e->dir == FORWARD ? attr : NULL, d->engine, NULL) != dnnl_success) {
        hint = NULL;
        goto done;
    }
    if (e->dir == FORWARD) {
        pd = hint, hint = NULL;
    } else if (e->dir == BACKWARD_DATA) {
        if (dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &x, &w, &y, strides, left,
                                                     right) == dnnl_success &&
            dnnl_primitive_desc_create(&pd, &cd, NULL, d->engine, hint) != dnnl_success)
            pd = NULL;
    } else {
        if (dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &x, &w, bias, &y, strides,
                                                        left, right) == dnnl_success &&
            dnnl_primitive_desc_create(&pd, &cd, NULL, d->engine, hint) != dnnl_success)
            pd = NULL;
    }
done:
    if (hint) dnnl_primitive_desc_destroy(hint);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return pd;
}

static size_t aligned(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

/* entry_make's work, on whatever threads OpenMP has. */
static int entry_make_primitives(cc_onednn *d, entry *e);

/* Fills e (shape, direction, bias, beta, threads set) with its primitives; 0 or -1. Made
 * with OpenMP held to e->threads: oneDNN sizes a primitive's work for the threads there
 * are when it is created, and a primitive made for all of them ran every step on a team
 * of that size, so --threads 1 kept a second core busy. */
static int entry_make(cc_onednn *d, entry *e) {
    int threads_before = omp_get_max_threads();
    omp_set_num_threads(e->threads > 0 ? e->threads : threads_before);
    int status = entry_make_primitives(d, e);
    omp_set_num_threads(threads_before);
    return status;
}

static int entry_make_primitives(cc_onednn *d, entry *e) {
    const cc_conv2d_shape *s = &e->shape;
    int blocked = cc_onednn_blocked(s), ho = cc_conv2d_out_height(s), wo = cc_conv2d_out_width(s);
    dnnl_dims_t bias_dims = {s->out_channels};
    if (dnnl_memory_desc_init_by_tag(&e->bias_md, 1, bias_dims, dnnl_f32, dnnl_a) != dnnl_success) return -1;
    dnnl_primitive_desc_t pd = make_conv_pd(d, e, blocked ? dnnl_format_tag_any : dnnl_nchw,
                                            blocked ? dnnl_format_tag_any : dnnl_oihw);
    if (!pd) return -1;
    static const dnnl_query_t queries[3][3] = {
        {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md},
        {dnnl_query_diff_dst_md, dnnl_query_weights_md, dnnl_query_diff_src_md},
        {dnnl_query_src_md, dnnl_query_diff_dst_md, dnnl_query_diff_weights_md}};
    dnnl_memory_desc_t x, w, y;
    int ok = !desc4_typed(&x, s->batch, s->in_channels, s->height, s->width, dnnl_f32, dnnl_nchw) &&
             !desc4_typed(&y, s->batch, s->out_channels, ho, wo, dnnl_f32, dnnl_nchw) &&
             !desc4_typed(&w, s->out_channels, s->in_channels, s->kernel, s->kernel, dnnl_f32, dnnl_oihw);
    const dnnl_memory_desc_t *user[3][3] = {{&x, &w, &y}, {&y, &w, &x}, {&x, &y, &w}};
    size_t bytes = 0;
    for (int k = 0; ok && k < 3; k++) {
        e->user_md[k] = *user[e->dir][k];
        e->inner_md[k] = *dnnl_primitive_desc_query_md(pd, queries[e->dir][k], 0);
        int same = dnnl_memory_desc_equal(&e->user_md[k], &e->inner_md[k]);
        /* the output goes through scratch unless the primitive can write the user's
         * memory as the contract wants: same layout, and overwriting (or forward's sum) */
        int via_scratch = !same || (k == OUT && (e->dir == BACKWARD_FILTER || (e->dir == BACKWARD_DATA && e->beta != 0)));
        e->offset[k] = via_scratch ? bytes : (size_t)-1;
        if (via_scratch) bytes += aligned(dnnl_memory_desc_get_size(&e->inner_md[k]));
        if (k < OUT && !same) ok = (e->to_inner[k] = make_reorder(d, &e->user_md[k], &e->inner_md[k], 0)) != NULL;
        if (k == OUT && via_scratch) {
            float sum = e->dir == BACKWARD_FILTER ? 1.0f : e->beta;
            ok = (e->to_user = make_reorder(d, &e->inner_md[k], &e->user_md[k], sum)) != NULL;
        }
    }
    e->offset[3] = bytes;
    e->bytes = bytes + aligned(sizeof(float) * (size_t)s->out_channels);
    ok = ok && dnnl_primitive_create(&e->conv, pd) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    if (!ok) entry_free(e);
    return ok ? 0 : -1;
}

static int same_shape(const cc_conv2d_shape *a, const cc_conv2d_shape *b) {
    return a->batch == b->batch && a->in_channels == b->in_channels && a->out_channels == b->out_channels &&
           a->height == b->height && a->width == b->width && a->kernel == b->kernel && a->stride == b->stride &&
           a->padding == b->padding;
}

static entry *entry_for(cc_onednn *d, const cc_conv2d_shape *s, direction dir, int has_bias, float beta, int threads) {
    /* the output-side beta matters only where it changes the primitives */
    if (dir == BACKWARD_FILTER) beta = 0;
    for (int q = 0; q < d->used; q++) {
        entry *e = &d->cache[q];
        if (e->dir == dir && e->has_bias == has_bias && e->beta == beta && e->threads == threads &&
            same_shape(&e->shape, s))
            return e;
    }
    int slot = d->used < CACHE_ENTRIES ? d->used++ : d->next_evicted++ % CACHE_ENTRIES;
    entry *e = &d->cache[slot];
    if (e->conv) entry_free(e);
    *e = (entry){.shape = *s, .dir = dir, .has_bias = has_bias, .threads = threads, .beta = beta, .bf16 = d->bf16};
    if (entry_make(d, e) != 0) {
        /* keep the slot empty; later calls try again (and fall back again) */
        if (slot == d->used - 1) d->used--;
        return NULL;
    }
    return e;
}

/* ---- running an entry ---- */

static int grow_scratch(cc_onednn *d, size_t bytes) {
    if (bytes <= d->scratch_bytes) return 0;
    void *bigger = aligned_alloc(ALIGN, aligned(bytes));
    if (!bigger) return -1;
    free(d->scratch);
    d->scratch = bigger, d->scratch_bytes = aligned(bytes);
    return 0;
}

typedef struct call {
    dnnl_memory_t mem[16];
    int count;
    int failed;
} call;

static dnnl_memory_t memory_at(cc_onednn *d, call *c, const dnnl_memory_desc_t *md, void *handle) {
    dnnl_memory_t m = NULL;
    if (c->failed || dnnl_memory_create(&m, md, d->engine, handle) != dnnl_success) {
        c->failed = 1;
        return NULL;
    }
    return c->mem[c->count++] = m;
}

static void execute(cc_onednn *d, call *c, dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
    if (!c->failed && dnnl_primitive_execute(p, d->stream, nargs, args) != dnnl_success) c->failed = 1;
}

/* Runs e on the user's in0, in1 and out (and bias: the forward's input or the filter
 * direction's bias gradient, added onto). */
static int run(cc_onednn *d, entry *e, int threads, const float *in0, const float *in1, float *out, float *bias) {
    if (grow_scratch(d, e->bytes) != 0) return -1;
    int threads_before = omp_get_max_threads(); /* oneDNN runs on omp_get_max_threads(): set it, then put it back */
    omp_set_num_threads(threads);
    char *scratch = d->scratch;
    call c = {.count = 0};
    const float *user[3] = {in0, in1, out};
    dnnl_memory_t inner[3];
    for (int k = 0; k < 3; k++) {
        if (e->offset[k] == (size_t)-1) { /* the primitive reads (writes) the user's memory itself */
            inner[k] = memory_at(d, &c, &e->user_md[k], (void *)user[k]);
            continue;
        }
        inner[k] = memory_at(d, &c, &e->inner_md[k], scratch + e->offset[k]);
        if (k < OUT) {
            dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, memory_at(d, &c, &e->user_md[k], (void *)user[k])},
                                       {DNNL_ARG_TO, inner[k]}};
            execute(d, &c, e->to_inner[k], 2, args);
        }
    }
    float *bias_grad = (float *)(scratch + e->offset[3]);
    dnnl_memory_t b = e->has_bias ? memory_at(d, &c, &e->bias_md, e->dir == BACKWARD_FILTER ? bias_grad : bias) : NULL;
    static const int arg_names[3][3] = {{DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
                                        {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
                                        {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS}};
    dnnl_exec_arg_t args[4];
    int nargs = 0;
    for (int k = 0; k < 3; k++) args[nargs++] = (dnnl_exec_arg_t){arg_names[e->dir][k], inner[k]};
    if (e->has_bias) args[nargs++] = (dnnl_exec_arg_t){e->dir == BACKWARD_FILTER ? DNNL_ARG_DIFF_BIAS : DNNL_ARG_BIAS, b};
    execute(d, &c, e->conv, nargs, args);
    if (e->offset[OUT] != (size_t)-1) {
        dnnl_exec_arg_t back[2] = {{DNNL_ARG_FROM, inner[OUT]}, {DNNL_ARG_TO, memory_at(d, &c, &e->user_md[OUT], out)}};
        execute(d, &c, e->to_user, 2, back);
    }
    if (!c.failed && dnnl_stream_wait(d->stream) != dnnl_success) c.failed = 1;
    for (int q = 0; q < c.count; q++) dnnl_memory_destroy(c.mem[q]);
    omp_set_num_threads(threads_before);
    if (!c.failed && e->dir == BACKWARD_FILTER && e->has_bias)
        for (int o = 0; o < e->shape.out_channels; o++) bias[o] += bias_grad[o];
    return c.failed ? -1 : 0;
}

int cc_onednn_conv2d_forward(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *x, const float *w,
                             const float *bias, float beta, float *y) {
    entry *e = entry_for(d, s, FORWARD, bias != NULL, beta, threads);
    return counted(d, e ? run(d, e, threads, x, w, y, (float *)bias) : -1);
}

int cc_onednn_conv2d_backward_data(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *dy,
                                   const float *w, float beta, float *dx) {
    entry *e = entry_for(d, s, BACKWARD_DATA, 0, beta, threads);
    return counted(d, e ? run(d, e, threads, dy, w, dx, NULL) : -1);
}

int cc_onednn_conv2d_backward_filter(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *x,
                                     const float *dy, float *dw, float *dbias) {
    entry *e = entry_for(d, s, BACKWARD_FILTER, dbias != NULL, 0, threads);
    return counted(d, e ? run(d, e, threads, x, dy, dw, dbias) : -1);
}

#else

int cc_onednn_built(void) { return 0; }

void cc_onednn_describe(char *out, size_t out_len) {
    snprintf(out, out_len, "im2col + GEMM (this build has no oneDNN: Debian's libdnnl-dev)");
}

cc_onednn *cc_onednn_create(int bf16, char *why, size_t why_len) {
    (void)bf16;
    snprintf(why, why_len, "this build has no oneDNN (Debian: libdnnl-dev)");
    return NULL;
}

int cc_onednn_bf16(const cc_onednn *d) { return (void)d, 0; }

void cc_onednn_destroy(cc_onednn *d) { (void)d; }
size_t cc_onednn_scratch_bytes(const cc_onednn *d) { return (void)d, 0; }
void cc_onednn_counts(const cc_onednn *d, long *ran, long *declined) { (void)d, *ran = *declined = 0; }

int cc_onednn_conv2d_forward(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *x, const float *w,
                             const float *bias, float beta, float *y) {
    (void)d, (void)threads, (void)s, (void)x, (void)w, (void)bias, (void)beta, (void)y;
    return -1;
}

int cc_onednn_conv2d_backward_data(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *dy,
                                   const float *w, float beta, float *dx) {
    (void)d, (void)threads, (void)s, (void)dy, (void)w, (void)beta, (void)dx;
    return -1;
}

int cc_onednn_conv2d_backward_filter(cc_onednn *d, int threads, const cc_conv2d_shape *s, const float *x,
                                     const float *dy, float *dw, float *dbias) {
    (void)d, (void)threads, (void)s, (void)x, (void)dy, (void)dw, (void)dbias;
    return -1;
}

#endif
