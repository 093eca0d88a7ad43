/* crimecast's CPU convolutions (im2col + OpenBLAS SGEMM, kernels/cpu/conv2d.c) against
 * oneDNN's (Debian's libdnnl, the library PyTorch runs its CPU convolutions with) on the
 * same shape, threads and data: forward with bias, backward data, backward filter with
 * bias. oneDNN three ways: memory in the plain NCHW / OIHW layouts crimecast's ops take
 * ("plain"); in the blocked layouts oneDNN prefers, with the reorders from and to NCHW
 * each call needs under crimecast's op contract counted ("blocked+reorder"); and the same
 * without the reorders ("blocked only", what a network kept in oneDNN's layouts end to end
 * would pay). Prints the median milliseconds of each and the largest difference from
 * crimecast's results (so both compute the same thing).
 *
 * Built and run by bench/conv_vs_onednn.sh; not part of the program.
 * usage: conv_onednn N CIN COUT H W K [STRIDE] [REPEATS]   (padding K/2) */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/gemm_choice.h"

#define DNNL(call)                                                                                 \
    do {                                                                                           \
        dnnl_status_t status_ = (call);                                                            \
        if (status_ != dnnl_success) {                                                             \
            fprintf(stderr, "%s failed (status %d) at line %d\n", #call, (int)status_, __LINE__); \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, compare);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static float *random_floats(size_t n, unsigned seed) {
    float *x = malloc(sizeof *x * n);
    for (size_t q = 0; q < n; q++) {
        seed = seed * 1664525u + 1013904223u;
        x[q] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return x;
}

static double max_difference(const float *a, const float *b, size_t n) {
    double worst = 0, scale = 0;
    for (size_t q = 0; q < n; q++) scale = fmax(scale, fabs((double)b[q]));
    for (size_t q = 0; q < n; q++) worst = fmax(worst, fabs((double)a[q] - b[q]));
    return worst / (scale > 0 ? scale : 1);
}

/* ---- oneDNN ---- */

typedef struct onednn {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
} onednn;

typedef struct arg_list {
    int count;
    dnnl_exec_arg_t args[8];
} arg_list;

static void add_arg(arg_list *l, int arg, dnnl_memory_t m) { l->args[l->count++] = (dnnl_exec_arg_t){arg, m}; }

static dnnl_memory_t memory_of(onednn *e, const dnnl_memory_desc_t *md, void *handle) {
    dnnl_memory_t m;
    DNNL(dnnl_memory_create(&m, md, e->engine, handle ? handle : DNNL_MEMORY_ALLOCATE));
    return m;
}

/* A reorder from one layout to another (NULL when they are the same). */
static dnnl_primitive_t reorder_of(onednn *e, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to) {
    if (dnnl_memory_desc_equal(from, to)) return NULL;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    DNNL(dnnl_reorder_primitive_desc_create(&pd, from, e->engine, to, e->engine, NULL));
    DNNL(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd);
    return p;
}

static void run_reorder(onednn *e, dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to) {
    if (!r) return;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DNNL(dnnl_primitive_execute(r, e->stream, 2, args));
}

/* One tensor as the user holds it (plain layout, user pointer) and as the primitive
 * wants it (its own memory and a reorder when the layouts differ). */
typedef struct operand {
    dnnl_memory_t user, inner;
    dnnl_primitive_t to_inner, to_user;
} operand;

static operand operand_of(onednn *e, const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *wanted, float *data) {
    operand o = {memory_of(e, plain, data), NULL, NULL, NULL};
    if (dnnl_memory_desc_equal(plain, wanted)) {
        o.inner = o.user;
        return o;
    }
    o.inner = memory_of(e, wanted, NULL);
    o.to_inner = reorder_of(e, plain, wanted);
    o.to_user = reorder_of(e, wanted, plain);
    return o;
}

typedef struct conv_case {
    int n, cin, cout, h, w, k, stride, ho, wo;
} conv_case;

typedef struct timings {
    double forward, data, filter;             /* with reorders (when blocked) */
    double forward_core, data_core, filter_core; /* the primitive alone */
    double forward_diff, data_diff, filter_diff;
} timings;

static dnnl_memory_desc_t desc4(int a, int b, int c, int d, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {a, b, c, d};
    DNNL(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, tag));
    return md;
}

static dnnl_primitive_desc_t query_pd(dnnl_primitive_desc_t pd, dnnl_query_t what, dnnl_memory_desc_t *out) {
    *out = *dnnl_primitive_desc_query_md(pd, what, 0);
    return pd;
}

/* Runs the primitive `repeats` times, the operands' reorders in (inputs) and out
 * (outputs) around it; medians with and without the reorders. */
static void time_primitive(onednn *e, dnnl_primitive_t p, arg_list *args, operand **inputs, int n_in,
                           operand **outputs, int n_out, int repeats, double *with, double *core) {
    double *t = malloc(sizeof *t * (size_t)repeats), *c = malloc(sizeof *c * (size_t)repeats);
    for (int r = -1; r < repeats; r++) {
        double t0 = now();
        for (int q = 0; q < n_in; q++) run_reorder(e, inputs[q]->to_inner, inputs[q]->user, inputs[q]->inner);
        DNNL(dnnl_stream_wait(e->stream));
        double t1 = now();
        DNNL(dnnl_primitive_execute(p, e->stream, args->count, args->args));
        DNNL(dnnl_stream_wait(e->stream));
        double t2 = now();
        for (int q = 0; q < n_out; q++) run_reorder(e, outputs[q]->to_user, outputs[q]->inner, outputs[q]->user);
        DNNL(dnnl_stream_wait(e->stream));
        if (r >= 0) t[r] = now() - t0, c[r] = t2 - t1;
    }
    *with = median(t, repeats) * 1e3, *core = median(c, repeats) * 1e3;
    free(t), free(c);
}

static timings time_onednn(onednn *e, const conv_case *s, int blocked, float *x, float *w, float *bias, float *y,
                           float *dy, float *dx, float *dw, float *db, int repeats) {
    dnnl_format_tag_t act = blocked ? dnnl_format_tag_any : dnnl_nchw, wt = blocked ? dnnl_format_tag_any : dnnl_oihw;
    dnnl_memory_desc_t x_any = desc4(s->n, s->cin, s->h, s->w, act), y_any = desc4(s->n, s->cout, s->ho, s->wo, act);
    dnnl_memory_desc_t w_any = desc4(s->cout, s->cin, s->k, s->k, wt), b_md;
    dnnl_dims_t bias_dims = {s->cout}, strides = {s->stride, s->stride}, pad = {s->k / 2, s->k / 2};
    /* right padding so that (H + l + r - K) / stride + 1 = Ho exactly, as oneDNN requires */
    dnnl_dims_t pad_r = {(s->ho - 1) * s->stride + s->k - s->h - s->k / 2, (s->wo - 1) * s->stride + s->k - s->w - s->k / 2};
    DNNL(dnnl_memory_desc_init_by_tag(&b_md, 1, bias_dims, dnnl_f32, dnnl_a));
    dnnl_memory_desc_t x_plain = desc4(s->n, s->cin, s->h, s->w, dnnl_nchw), y_plain = desc4(s->n, s->cout, s->ho, s->wo, dnnl_nchw);
    dnnl_memory_desc_t w_plain = desc4(s->cout, s->cin, s->k, s->k, dnnl_oihw);
    timings out = {0};

    dnnl_convolution_desc_t fd, bd, wd;
    dnnl_primitive_desc_t fpd, bpd, wpd;
    DNNL(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &x_any, &w_any, &b_md,
                                            &y_any, strides, pad, pad_r));
    DNNL(dnnl_primitive_desc_create(&fpd, &fd, NULL, e->engine, NULL));
    DNNL(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &x_any, &w_any, &y_any, strides, pad, pad_r));
    DNNL(dnnl_primitive_desc_create(&bpd, &bd, NULL, e->engine, fpd));
    DNNL(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &x_any, &w_any, &b_md, &y_any,
                                                     strides, pad, pad_r));
    DNNL(dnnl_primitive_desc_create(&wpd, &wd, NULL, e->engine, fpd));
    const char *impl = NULL;
    DNNL(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl));
    printf("  oneDNN %s: forward %s", blocked ? "blocked" : "plain", impl);
    DNNL(dnnl_primitive_desc_query(bpd, dnnl_query_impl_info_str, 0, &impl));
    printf(", backward data %s", impl);
    DNNL(dnnl_primitive_desc_query(wpd, dnnl_query_impl_info_str, 0, &impl));
    printf(", backward filter %s\n", impl);

    dnnl_memory_desc_t md;
    dnnl_primitive_t prim;
    /* forward: y = conv(x, w) + bias */
    operand ox = operand_of(e, &x_plain, (query_pd(fpd, dnnl_query_src_md, &md), &md), x);
    operand ow = operand_of(e, &w_plain, (query_pd(fpd, dnnl_query_weights_md, &md), &md), w);
    operand oy = operand_of(e, &y_plain, (query_pd(fpd, dnnl_query_dst_md, &md), &md), y);
    dnnl_memory_t mb = memory_of(e, &b_md, bias);
    arg_list a = {0};
    add_arg(&a, DNNL_ARG_SRC, ox.inner), add_arg(&a, DNNL_ARG_WEIGHTS, ow.inner), add_arg(&a, DNNL_ARG_BIAS, mb);
    add_arg(&a, DNNL_ARG_DST, oy.inner);
    DNNL(dnnl_primitive_create(&prim, fpd));
    operand *fin[] = {&ox, &ow}, *fout[] = {&oy};
    time_primitive(e, prim, &a, fin, 2, fout, 1, repeats, &out.forward, &out.forward_core);
    dnnl_primitive_destroy(prim);
    /* backward data: dx = conv^T(dy, w) */
    operand ody = operand_of(e, &y_plain, (query_pd(bpd, dnnl_query_diff_dst_md, &md), &md), dy);
    operand ow2 = operand_of(e, &w_plain, (query_pd(bpd, dnnl_query_weights_md, &md), &md), w);
    operand odx = operand_of(e, &x_plain, (query_pd(bpd, dnnl_query_diff_src_md, &md), &md), dx);
    arg_list b = {0};
    add_arg(&b, DNNL_ARG_DIFF_DST, ody.inner), add_arg(&b, DNNL_ARG_WEIGHTS, ow2.inner);
    add_arg(&b, DNNL_ARG_DIFF_SRC, odx.inner);
    DNNL(dnnl_primitive_create(&prim, bpd));
    operand *bin[] = {&ody, &ow2}, *bout[] = {&odx};
    time_primitive(e, prim, &b, bin, 2, bout, 1, repeats, &out.data, &out.data_core);
    dnnl_primitive_destroy(prim);
    /* backward filter: dw = x (*) dy, db = sums of dy */
    operand ox3 = operand_of(e, &x_plain, (query_pd(wpd, dnnl_query_src_md, &md), &md), x);
    operand ody3 = operand_of(e, &y_plain, (query_pd(wpd, dnnl_query_diff_dst_md, &md), &md), dy);
    operand odw = operand_of(e, &w_plain, (query_pd(wpd, dnnl_query_diff_weights_md, &md), &md), dw);
    dnnl_memory_t mdb = memory_of(e, &b_md, db);
    arg_list c = {0};
    add_arg(&c, DNNL_ARG_SRC, ox3.inner), add_arg(&c, DNNL_ARG_DIFF_DST, ody3.inner);
    add_arg(&c, DNNL_ARG_DIFF_WEIGHTS, odw.inner), add_arg(&c, DNNL_ARG_DIFF_BIAS, mdb);
    DNNL(dnnl_primitive_create(&prim, wpd));
    operand *win[] = {&ox3, &ody3}, *wout[] = {&odw};
    time_primitive(e, prim, &c, win, 2, wout, 1, repeats, &out.filter, &out.filter_core);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(fpd), dnnl_primitive_desc_destroy(bpd), dnnl_primitive_desc_destroy(wpd);
    return out; /* the memories are left to the process's end: a benchmark, run once */
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: conv_onednn N CIN COUT H W K [STRIDE] [REPEATS]\n");
        return 2;
    }
    cc_cpu_gemm_choose(argv);
    conv_case s = {atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
                   argc > 7 ? atoi(argv[7]) : 1, 0, 0};
    int repeats = argc > 8 ? atoi(argv[8]) : 7, threads = omp_get_max_threads();
    cc_conv2d_shape shape = {s.n, s.cin, s.cout, s.h, s.w, s.k, s.stride, s.k / 2};
    s.ho = cc_conv2d_out_height(&shape), s.wo = cc_conv2d_out_width(&shape);
    size_t nx = (size_t)s.n * s.cin * s.h * s.w, ny = (size_t)s.n * s.cout * s.ho * s.wo;
    size_t nw = (size_t)s.cout * s.cin * s.k * s.k;
    float *x = random_floats(nx, 1), *w = random_floats(nw, 2), *bias = random_floats((size_t)s.cout, 3);
    float *dy = random_floats(ny, 4);
    float *y0 = calloc(ny, 4), *dx0 = calloc(nx, 4), *dw0 = calloc(nw, 4), *db0 = calloc((size_t)s.cout, 4);
    float *y1 = calloc(ny, 4), *dx1 = calloc(nx, 4), *dw1 = calloc(nw, 4), *db1 = calloc((size_t)s.cout, 4);

    size_t workspace = cc_conv2d_workspace_floats(&shape) * (size_t)threads;
    cc_ops_context ctx = {0};
    ctx.backend = CC_BACKEND_CPU;
    ctx.threads = threads;
    ctx.workspace = malloc(sizeof(float) * workspace);
    ctx.workspace_floats = workspace;
    double *t = malloc(sizeof *t * (size_t)repeats), ours[3];
    for (int op = 0; op < 3; op++) {
        for (int r = -1; r < repeats; r++) {
            double t0 = now();
            if (op == 0) cc_cpu_conv2d_forward(&ctx, &shape, x, w, bias, 0.0f, y0);
            if (op == 1) cc_cpu_conv2d_backward_data(&ctx, &shape, dy, w, 0.0f, dx0);
            if (op == 2) {
                memset(dw0, 0, sizeof *dw0 * nw), memset(db0, 0, sizeof *db0 * (size_t)s.cout);
                cc_cpu_conv2d_backward_filter(&ctx, &shape, x, dy, dw0, db0);
            }
            if (r >= 0) t[r] = now() - t0;
        }
        ours[op] = median(t, repeats) * 1e3;
    }
    double flop = 2.0 * s.n * s.cout * s.cin * s.k * s.k * s.ho * s.wo;
    printf("conv batch %d, %d -> %d channels, %dx%d, kernel %d, stride %d, %d threads, %.2f GFLOP per op; %s\n", s.n,
           s.cin, s.cout, s.h, s.w, s.k, s.stride, threads, flop * 1e-9, cc_cpu_gemm_choice());
    printf("  %-22s forward %8.2f ms  backward data %8.2f ms  backward filter %8.2f ms  total %8.2f ms\n",
           "crimecast im2col+GEMM", ours[0], ours[1], ours[2], ours[0] + ours[1] + ours[2]);
    onednn e;
    DNNL(dnnl_engine_create(&e.engine, dnnl_cpu, 0));
    DNNL(dnnl_stream_create(&e.stream, e.engine, dnnl_stream_default_flags));
    for (int blocked = 0; blocked < 2; blocked++) {
        memset(y1, 0, sizeof *y1 * ny), memset(dx1, 0, sizeof *dx1 * nx), memset(dw1, 0, sizeof *dw1 * nw);
        timings o = time_onednn(&e, &s, blocked, x, w, bias, y1, dy, dx1, dw1, db1, repeats);
        double dif[4] = {max_difference(y1, y0, ny), max_difference(dx1, dx0, nx), max_difference(dw1, dw0, nw),
                         max_difference(db1, db0, (size_t)s.cout)};
        printf("  %-22s forward %8.2f ms  backward data %8.2f ms  backward filter %8.2f ms  total %8.2f ms\n",
               blocked ? "oneDNN blocked+reorder" : "oneDNN plain", o.forward, o.data, o.filter,
               o.forward + o.data + o.filter);
        if (blocked)
            printf("  %-22s forward %8.2f ms  backward data %8.2f ms  backward filter %8.2f ms  total %8.2f ms\n",
                   "oneDNN blocked only", o.forward_core, o.data_core, o.filter_core,
                   o.forward_core + o.data_core + o.filter_core);
        printf("  largest difference from crimecast (relative to the largest value): y %.1e, dx %.1e, dw %.1e, "
               "dbias %.1e\n", dif[0], dif[1], dif[2], dif[3]);
    }
    return 0;
}
