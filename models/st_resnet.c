/* models/st_resnet.h */
#include "models/st_resnet.h"

#include <stdio.h>
#include <string.h>


static const char *const BRANCH_NAMES[CC_ST_BRANCHES] = {"close", "period", "trend"};

#define P(offset) cc_arena_at(params, (offset))
#define G(offset) cc_arena_at(grads, (offset))
#define A(offset) cc_arena_at(acts, (offset))

int cc_st_window(int closeness, int period, int trend, int period_lag, int trend_lag) {
    int most = closeness > 1 ? closeness : 1;
    if (period > 0 && period * period_lag > most) most = period * period_lag;
    if (trend > 0 && trend * trend_lag > most) most = trend * trend_lag;
    return most;
}

cc_lags cc_st_lags(const cc_st_shape *s) {
    cc_lags lags = {{0}};
    cc_lags_add(&lags, 1);
    for (int b = 0; b < CC_ST_BRANCHES; b++)
        for (int j = 1; j <= s->frames[b]; j++) cc_lags_add(&lags, j * (b ? s->lag[b] : 1));
    return lags;
}

const char *cc_st_check(const cc_st_shape *s, int horizon) {
    const int *f = s->frames, *l = s->lag;
    if (f[0] < 0 || f[1] < 0 || f[2] < 0) return "st-resnet: closeness, period and trend must be >= 0";
    if (f[0] + f[1] + f[2] == 0) return "st-resnet: at least one branch needs frames";
    if ((f[1] && l[1] < 1) || (f[2] && l[2] < 1)) return "st-resnet: the lags must be >= 1";
    if (s->resunits < 0 || s->resunits > CC_ST_MAX_UNITS) return "st-resnet: resunits must be 0..12";
    if (s->features < 1) return "st-resnet: features (filters) must be >= 1";
    if (horizon != 1) return "st-resnet forecasts one bin ahead: horizon must be 1";
    if (s->window != cc_st_window(f[0], f[1], f[2], l[1], l[2]))
        return "st-resnet: the window must be the longest lag (cc_st_window)";
    return NULL;
}

static size_t reserve(cc_arena *a, int b, const char *what, int rank, int d0, int d1, int d2, int d3) {
    char name[CC_ARENA_NAME];
    if (b >= 0) snprintf(name, sizeof name, "st.%s.%s", BRANCH_NAMES[b], what);
    else snprintf(name, sizeof name, "st.%s", what);
    int dims[4] = {d0, d1, d2, d3};
    return cc_arena_reserve(a, name, rank, dims);
}

void cc_st_plan_params(cc_st_resnet *st, cc_arena *params) {
    const cc_st_shape *c = &st->shape;
    int F = c->features, C = c->channels;
    for (int b = 0; b < CC_ST_BRANCHES; b++) {
        cc_st_branch *br = &st->branch[b];
        br->frames = c->frames[b], br->lag = b == 0 ? 1 : c->lag[b];
        if (!br->frames) continue;
        br->conv1_w = reserve(params, b, "conv1.w", 4, F, br->frames * C, 3, 3);
        br->conv1_b = reserve(params, b, "conv1.b", 1, F, 0, 0, 0);
        for (int k = 0; k < c->resunits; k++) {
            char name[32];
            snprintf(name, sizeof name, "unit%d.wa", k), br->wa[k] = reserve(params, b, name, 4, F, F, 3, 3);
            snprintf(name, sizeof name, "unit%d.ba", k), br->ba[k] = reserve(params, b, name, 1, F, 0, 0, 0);
            snprintf(name, sizeof name, "unit%d.wb", k), br->wb[k] = reserve(params, b, name, 4, F, F, 3, 3);
            snprintf(name, sizeof name, "unit%d.bb", k), br->bb[k] = reserve(params, b, name, 1, F, 0, 0, 0);
        }
        br->conv2_w = reserve(params, b, "conv2.w", 4, C, F, 3, 3);
        br->conv2_b = reserve(params, b, "conv2.b", 1, C, 0, 0, 0);
        br->fuse = reserve(params, b, "fuse", 3, C, c->height, c->width, 0);
    }
    st->bias = reserve(params, -1, "bias", 1, C, 0, 0, 0);
}

void cc_st_plan_acts(cc_st_resnet *st, cc_arena *acts) {
    const cc_st_shape *c = &st->shape;
    int B = c->batch, F = c->features, C = c->channels, H = c->height, W = c->width;
    for (int b = 0; b < CC_ST_BRANCHES; b++) {
        cc_st_branch *br = &st->branch[b];
        if (!br->frames) continue;
        br->in = reserve(acts, b, "in", 4, B, br->frames * C, H, W);
        br->z = reserve(acts, b, "z", 4, B, F, H, W);
        for (int k = 0; k <= c->resunits; k++) {
            char name[32];
            snprintf(name, sizeof name, "a%d", k), br->a[k] = reserve(acts, b, name, 4, B, F, H, W);
            if (k < c->resunits) snprintf(name, sizeof name, "c%d", k), br->c[k] = reserve(acts, b, name, 4, B, F, H, W);
        }
        br->out = reserve(acts, b, "out", 4, B, C, H, W);
        br->dz = reserve(acts, b, "dz", 4, B, F, H, W);
        br->da = reserve(acts, b, "da", 4, B, F, H, W);
        br->dc = reserve(acts, b, "dc", 4, B, F, H, W);
        br->dout = reserve(acts, b, "dout", 4, B, C, H, W);
        br->din = reserve(acts, b, "din", 4, B, br->frames * C, H, W);
    }
}

static int branches(const cc_st_resnet *st) {
    int n = 0;
    for (int b = 0; b < CC_ST_BRANCHES; b++) n += st->branch[b].frames > 0;
    return n;
}

void cc_st_init(const cc_st_resnet *st, cc_arena *params) {
    const cc_st_shape *c = &st->shape;
    size_t cells = (size_t)c->channels * c->height * c->width;
    for (int b = 0; b < CC_ST_BRANCHES; b++)
        if (st->branch[b].frames)
            for (size_t k = 0; k < cells; k++) P(st->branch[b].fuse)[k] = 1.0f / (float)branches(st);
}

void cc_st_zero_output(const cc_st_resnet *st, cc_arena *params) {
    const cc_st_shape *c = &st->shape;
    for (int b = 0; b < CC_ST_BRANCHES; b++)
        if (st->branch[b].frames) {
            memset(P(st->branch[b].conv2_w), 0, sizeof(float) * (size_t)c->channels * c->features * 9);
            memset(P(st->branch[b].conv2_b), 0, sizeof(float) * (size_t)c->channels);
        }
    memset(P(st->bias), 0, sizeof(float) * (size_t)c->channels);
}

/* A 3x3 'same' convolution of the branch, in -> out maps, over the batch. */
static cc_conv2d_shape conv3(const cc_st_shape *c, int in, int out) {
    cc_conv2d_shape s = {c->batch, in, out, c->height, c->width, 3, 1, 1};
    return s;
}

size_t cc_st_most_per_image(const cc_st_resnet *st, size_t (*measure)(const cc_conv2d_shape *)) {
    const cc_st_shape *c = &st->shape;
    size_t most = 0;
    for (int b = 0; b < CC_ST_BRANCHES; b++) {
        if (!st->branch[b].frames) continue;
        cc_conv2d_shape shapes[3] = {conv3(c, st->branch[b].frames * c->channels, c->features),
                                     conv3(c, c->features, c->features), conv3(c, c->features, c->channels)};
        for (int i = 0; i < 3; i++) {
            shapes[i].batch = 1;
            size_t n = measure(&shapes[i]);
            if (n > most) most = n;
        }
    }
    return most;
}

static size_t plane(const cc_st_shape *c) { return (size_t)c->height * c->width; }

/* Frame j of sample n (lag (j + 1) lag): its row of x [steps][batch], a step of one
 * sample (its C count maps first), and its place in the branch input. */
static int frame_row(const cc_st_shape *c, const cc_lags *lags, const cc_st_branch *br, int n, int j) {
    return cc_lags_step_of_lag(lags, c->window, (j + 1) * br->lag) * c->batch + n;
}
static size_t frame_in_x(const cc_st_shape *c, const cc_lags *lags, const cc_st_branch *br, int n, int j) {
    return (size_t)frame_row(c, lags, br, n, j) * c->inputs * plane(c);
}
static size_t frame_in_branch(const cc_st_shape *c, const cc_st_branch *br, int n, int j) {
    return ((size_t)n * br->frames + j) * c->channels * plane(c);
}

/* The branch's frames out of x, one run of C maps each: in[n][j] = the counts of lag
 * (j + 1) lag of sample n, copied by cc_gather_rows in chunks of indices (one launch
 * each on a GPU, rather than a copy per frame). */
static void gather_frames(const cc_st_shape *c, const cc_ops_context *ctx, const cc_st_branch *br, float *in,
                          const float *x) {
    enum { CHUNK = 256 };
    int rows[CHUNK], blocks = c->batch * br->frames;
    cc_lags lags = cc_st_lags(c);
    size_t maps = (size_t)c->channels * plane(c), step = (size_t)c->inputs * plane(c); /* a row: one step of one sample */
    for (int first = 0; first < blocks; first += CHUNK) {
        int n = blocks - first < CHUNK ? blocks - first : CHUNK;
        for (int b = 0; b < n; b++) {
            int sample = (first + b) / br->frames, j = (first + b) % br->frames;
            rows[b] = frame_row(c, &lags, br, sample, j);
        }
        cc_gather_rows(ctx, n, rows, x, step, maps, in + (size_t)first * maps, maps);
    }
}

/* dst = ReLU(src): a copy (one run of n floats), then the ReLU in place. */
static void relu_copy(const cc_ops_context *ctx, const float *src, float *dst, size_t n) {
    const int only_row = 0;
    cc_gather_rows(ctx, 1, &only_row, src, n, n, dst, n);
    cc_relu_forward(ctx, dst, n);
}

static void branch_forward(const cc_st_shape *c, const cc_ops_context *ctx, const cc_st_branch *br,
                           const cc_arena *params, cc_arena *acts, const float *x) {
    int F = c->features, C = c->channels;
    size_t feature_floats = (size_t)c->batch * F * plane(c);
    gather_frames(c, ctx, br, A(br->in), x);
    cc_conv2d_shape first = conv3(c, br->frames * C, F), unit = conv3(c, F, F), last = conv3(c, F, C);
    cc_conv2d_forward(ctx, &first, A(br->in), P(br->conv1_w), P(br->conv1_b), 0.0f, A(br->z));
    for (int k = 0; k < c->resunits; k++) {
        relu_copy(ctx, A(br->z), A(br->a[k]), feature_floats);
        cc_conv2d_forward(ctx, &unit, A(br->a[k]), P(br->wa[k]), P(br->ba[k]), 0.0f, A(br->c[k]));
        cc_relu_forward(ctx, A(br->c[k]), feature_floats);
        cc_conv2d_forward(ctx, &unit, A(br->c[k]), P(br->wb[k]), P(br->bb[k]), 1.0f, A(br->z)); /* Z += ... */
    }
    relu_copy(ctx, A(br->z), A(br->a[c->resunits]), feature_floats);
    cc_conv2d_forward(ctx, &last, A(br->a[c->resunits]), P(br->conv2_w), P(br->conv2_b), 0.0f, A(br->out));
}

void cc_st_forward(const cc_st_resnet *st, const cc_ops_context *ctx, const cc_arena *params, cc_arena *acts,
                   const float *x, float *y) {
    const cc_st_shape *c = &st->shape;
    cc_fill(ctx, y, (size_t)c->batch * c->channels * plane(c), 0.0f);
    cc_bias_add(ctx, y, P(st->bias), c->batch, c->channels, (int)plane(c));
    for (int b = 0; b < CC_ST_BRANCHES; b++) {
        const cc_st_branch *br = &st->branch[b];
        if (!br->frames) continue;
        branch_forward(c, ctx, br, params, acts, x);
        cc_cell_scale_forward(ctx, P(br->fuse), A(br->out), y, c->batch, c->channels, (int)plane(c));
    }
}

/* Backward of branch_forward, from dL/dO in br->dout; with dx, the frames' gradient added into it. */
static void branch_backward(const cc_st_shape *c, const cc_ops_context *ctx, const cc_st_branch *br,
                            const cc_arena *params, cc_arena *grads, cc_arena *acts, float *dx) {
    int F = c->features, C = c->channels;
    size_t feature_floats = (size_t)c->batch * F * plane(c);
    cc_conv2d_shape first = conv3(c, br->frames * C, F), unit = conv3(c, F, F), last = conv3(c, F, C);
    float *dz = A(br->dz), *da = A(br->da), *dc = A(br->dc);
    cc_conv2d_backward_filter(ctx, &last, A(br->a[c->resunits]), A(br->dout), G(br->conv2_w), G(br->conv2_b));
    cc_conv2d_backward_data(ctx, &last, A(br->dout), P(br->conv2_w), 0.0f, dz);
    cc_relu_backward(ctx, A(br->a[c->resunits]), dz, feature_floats);
    for (int k = c->resunits - 1; k >= 0; k--) {
        /* Z_{k+1} = Z_k + W_kb * c_k + b_kb, c_k = ReLU(W_ka * a_k + b_ka), a_k = ReLU(Z_k) */
        cc_conv2d_backward_filter(ctx, &unit, A(br->c[k]), dz, G(br->wb[k]), G(br->bb[k]));
        cc_conv2d_backward_data(ctx, &unit, dz, P(br->wb[k]), 0.0f, dc); /* dL/dc_k, then through its ReLU */
        cc_relu_backward(ctx, A(br->c[k]), dc, feature_floats);
        cc_conv2d_backward_filter(ctx, &unit, A(br->a[k]), dc, G(br->wa[k]), G(br->ba[k]));
        cc_conv2d_backward_data(ctx, &unit, dc, P(br->wa[k]), 0.0f, da); /* dL/da_k, then through ReLU(Z_k) */
        cc_relu_backward(ctx, A(br->a[k]), da, feature_floats);
        cc_axpy(ctx, feature_floats, 1.0f, da, dz); /* the identity's gradient plus the unit's */
    }
    cc_conv2d_backward_filter(ctx, &first, A(br->in), dz, G(br->conv1_w), G(br->conv1_b));
    if (!dx) return;
    cc_conv2d_backward_data(ctx, &first, dz, P(br->conv1_w), 0.0f, A(br->din));
    size_t maps = (size_t)C * plane(c);
    cc_lags lags = cc_st_lags(c);
    for (int n = 0; n < c->batch; n++)
        for (int j = 0; j < br->frames; j++)
            cc_axpy(ctx, maps, 1.0f, A(br->din) + frame_in_branch(c, br, n, j), dx + frame_in_x(c, &lags, br, n, j));
}

/* The forward pass kept what backward reads: the gathered frames and every activation. */
void cc_st_backward(const cc_st_resnet *st, const cc_ops_context *ctx, const cc_arena *params, cc_arena *grads,
                    cc_arena *acts, const float *dy, float *dx) {
    const cc_st_shape *c = &st->shape;
    cc_bias_backward(ctx, dy, c->batch, c->channels, (int)plane(c), G(st->bias));
    for (int b = 0; b < CC_ST_BRANCHES; b++) {
        const cc_st_branch *br = &st->branch[b];
        if (!br->frames) continue;
        cc_cell_scale_backward(ctx, P(br->fuse), A(br->out), dy, A(br->dout), G(br->fuse), c->batch, c->channels,
                               (int)plane(c));
        branch_backward(c, ctx, br, params, grads, acts, dx);
    }
}
