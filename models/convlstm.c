#include "models/convlstm.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/onednn.h"
#include "models/rng.h"


#define NONE ((size_t)-1)

static size_t plane(const cc_convlstm *m) { return (size_t)m->core_height * m->core_width; }
static int input_channels(const cc_convlstm *m, int l) { return l == 0 ? m->core_inputs : m->cfg.hidden[l - 1]; }
/* Maps the model reads per step: the counts and the context maps. */
static int model_inputs(const cc_convlstm_config *c) { return c->channels + c->context; }

/* The convolutions of the model, by role. */
static cc_conv2d_shape conv_shape(const cc_convlstm *m, int batch, int in, int out, int kernel) {
    cc_conv2d_shape s = {batch, in, out, m->core_height, m->core_width, kernel, 1, kernel / 2};
    return s;
}

static cc_lstm_shape gate_shape(const cc_convlstm *m, int l) {
    cc_lstm_shape s = {m->batch, m->cfg.hidden[l], m->core_height, m->core_width, m->cfg.peephole};
    return s;
}

/* ------------------------------------------------------------------ layout */

static size_t reserve(cc_arena *a, const char *prefix, int l, const char *what, int rank, int d0, int d1, int d2,
                      int d3) {
    char name[CC_ARENA_NAME];
    if (l >= 0)
        snprintf(name, sizeof name, "%s%d.%s", prefix, l, what);
    else
        snprintf(name, sizeof name, "%s.%s", prefix, what);
    int dims[4] = {d0, d1, d2, d3};
    return cc_arena_reserve(a, name, rank, dims);
}

static int is_st_resnet(const cc_convlstm *m) { return m->cfg.arch == CC_ARCH_ST_RESNET; }

/* ST-ResNet's shape from the config (models/st_resnet.h). */
static cc_st_shape st_shape(const cc_convlstm_config *c, int batch) {
    cc_st_shape s = {c->channels, c->height, c->width, c->channels + c->context, c->window, batch, c->features,
                     c->resunits, {c->closeness, c->period, c->trend}, {1, c->period_lag, c->trend_lag}};
    return s;
}

cc_lags cc_model_lags(const cc_convlstm_config *c) {
    cc_st_shape s = st_shape(c, 1);
    return c->arch == CC_ARCH_ST_RESNET ? cc_st_lags(&s) : (cc_lags){{0}};
}

int cc_model_input_steps(const cc_convlstm_config *c) {
    cc_lags lags = cc_model_lags(c);
    return cc_lags_steps(&lags, c->window);
}

size_t cc_model_input_floats(const cc_convlstm_config *c, int n) {
    return (size_t)cc_model_input_steps(c) * n * model_inputs(c) * c->height * c->width;
}

size_t cc_model_output_floats(const cc_convlstm_config *c, int n) {
    return (size_t)c->horizon * n * c->channels * c->height * c->width;
}

static void plan_params(cc_convlstm *m) {
    const cc_convlstm_config *c = &m->cfg;
    int K = c->kernel;
    if (is_st_resnet(m)) {
        cc_st_plan_params(&m->st, &m->params);
        m->skip_w = c->skip ? reserve(&m->params, "skip", -1, "w", 4, c->channels, model_inputs(c), c->skip, c->skip) : NONE;
        return;
    }
    for (int stack = 0; stack < 2; stack++)
        for (int l = 0; l < c->layers; l++) {
            const char *prefix = stack ? "fc" : "enc";
            cc_convlstm_params *p = stack ? &m->fc[l] : &m->enc[l];
            int hd = c->hidden[l], cin = input_channels(m, l);
            p->wx = stack && l == 0 ? NONE : reserve(&m->params, prefix, l, "wx", 4, 4 * hd, cin, K, K);
            p->wh = reserve(&m->params, prefix, l, "wh", 4, 4 * hd, hd, K, K);
            p->bias = reserve(&m->params, prefix, l, "b", 1, 4 * hd, 0, 0, 0);
            p->peep = c->peephole ? reserve(&m->params, prefix, l, "peep", 4, 3, hd, m->core_height, m->core_width) : NONE;
        }
    int out = m->core_channels;
    for (int l = 0; l < c->layers; l++) m->head_w[l] = reserve(&m->params, "head", l, "w", 4, out, c->hidden[l], 1, 1);
    m->head_b = reserve(&m->params, "head", -1, "b", 1, out, 0, 0, 0);
    m->skip_w = c->skip ? reserve(&m->params, "skip", -1, "w", 4, c->channels, model_inputs(c), c->skip, c->skip) : NONE;
    int F = c->features;
    for (int i = 0; i < m->stages; i++) {
        m->ae_enc_w[i] = reserve(&m->params, "ae.enc", i, "w", 4, F, i ? F : model_inputs(c), 3, 3);
        m->ae_enc_b[i] = reserve(&m->params, "ae.enc", i, "b", 1, F, 0, 0, 0);
        m->ae_dec_w[i] = reserve(&m->params, "ae.dec", i, "w", 4, F, F, 4, 4);
        m->ae_dec_b[i] = reserve(&m->params, "ae.dec", i, "b", 1, F, 0, 0, 0);
    }
    if (m->stages) {
        m->ae_head_w = reserve(&m->params, "ae.head", -1, "w", 4, c->channels, F, 1, 1);
        m->ae_head_b = reserve(&m->params, "ae.head", -1, "b", 1, c->channels, 0, 0, 0);
    }
}

/* Height and width at encoder stage i (0: full resolution): each 3x3 stride-2 convolution
 * (padding 1) takes n to ceil(n / 2), so a grid the downsampling does not divide keeps
 * its last row and column. */
int cc_convlstm_encoded_size(int n, int stages) {
    while (stages-- > 0) n = (n + 1) / 2;
    return n;
}
static int stage_height(const cc_convlstm *m, int i) { return cc_convlstm_encoded_size(m->cfg.height, i); }
static int stage_width(const cc_convlstm *m, int i) { return cc_convlstm_encoded_size(m->cfg.width, i); }

/* Height and width at decoder level i (stages: the core; 0: full resolution): each 4x4
 * transposed convolution (stride 2, padding 1) doubles the size, so level 0 is the grid
 * padded up to a multiple of down, cropped to the grid before the head (m->ae_crop). */
static int decoded_height(const cc_convlstm *m, int i) { return m->core_height << (m->stages - i); }
static int decoded_width(const cc_convlstm *m, int i) { return m->core_width << (m->stages - i); }
static int padded(const cc_convlstm *m) {
    return m->stages && (decoded_height(m, 0) != m->cfg.height || decoded_width(m, 0) != m->cfg.width);
}

static void plan_ae_acts(cc_convlstm *m) {
    const cc_convlstm_config *c = &m->cfg;
    int in_steps = c->window * m->batch, out_steps = c->horizon * m->batch, F = c->features;
    for (int i = 0; i < m->stages; i++) { /* encoder stage i outputs at resolution i + 1 */
        int h = stage_height(m, i + 1), w = stage_width(m, i + 1);
        m->ae_enc_out[i] = reserve(&m->acts, "ae.enc", i, "out", 4, in_steps, F, h, w);
        m->ae_enc_d[i] = reserve(&m->acts, "ae.enc", i, "d", 4, in_steps, F, h, w);
        /* decoder stage i outputs at level stages - 1 - i */
        h = decoded_height(m, m->stages - 1 - i), w = decoded_width(m, m->stages - 1 - i);
        m->ae_dec_out[i] = reserve(&m->acts, "ae.dec", i, "out", 4, out_steps, F, h, w);
        m->ae_dec_d[i] = reserve(&m->acts, "ae.dec", i, "d", 4, out_steps, F, h, w);
    }
    if (m->stages) {
        m->core_out = reserve(&m->acts, "ae", -1, "core_out", 4, out_steps, F, m->core_height, m->core_width);
        m->core_dout = reserve(&m->acts, "ae", -1, "core_dout", 4, out_steps, F, m->core_height, m->core_width);
    }
    m->ae_crop = m->ae_crop_d = NONE;
    if (padded(m)) {
        m->ae_crop = reserve(&m->acts, "ae", -1, "crop", 4, out_steps, F, c->height, c->width);
        m->ae_crop_d = reserve(&m->acts, "ae", -1, "crop_d", 4, out_steps, F, c->height, c->width);
    }
}

static void plan_acts(cc_convlstm *m) {
    const cc_convlstm_config *c = &m->cfg;
    if (is_st_resnet(m)) {
        m->st.shape.batch = m->batch;
        cc_st_plan_acts(&m->st, &m->acts);
        return;
    }
    int hw[2] = {m->core_height, m->core_width}, max_hidden = 0;
    for (int stack = 0; stack < 2; stack++)
        for (int l = 0; l < c->layers; l++) {
            cc_convlstm_acts *a = stack ? &m->fc_act[l] : &m->enc_act[l];
            int steps = (stack ? c->horizon : c->window) * m->batch, hd = c->hidden[l];
            const char *prefix = stack ? "fc" : "enc";
            a->gates = reserve(&m->acts, prefix, l, "gates", 4, steps, 4 * hd, hw[0], hw[1]);
            a->dgates = reserve(&m->acts, prefix, l, "dgates", 4, steps, 4 * hd, hw[0], hw[1]);
            a->c = reserve(&m->acts, prefix, l, "c", 4, steps, hd, hw[0], hw[1]);
            a->h = reserve(&m->acts, prefix, l, "h", 4, steps, hd, hw[0], hw[1]);
            a->dh = reserve(&m->acts, prefix, l, "dh", 4, steps, hd, hw[0], hw[1]);
            a->dc_carry = reserve(&m->acts, prefix, l, "dc_carry", 4, m->batch, hd, hw[0], hw[1]);
            if (hd > max_hidden) max_hidden = hd;
        }
    m->zeros = reserve(&m->acts, "scratch", -1, "zeros", 4, m->batch, max_hidden, hw[0], hw[1]);
    m->dh_rec = reserve(&m->acts, "scratch", -1, "dh_rec", 4, m->batch, max_hidden, hw[0], hw[1]);
    m->dc = reserve(&m->acts, "scratch", -1, "dc", 4, m->batch, max_hidden, hw[0], hw[1]);
    plan_ae_acts(m);
}

/* The strided encoder convolution of stage i: 3x3, stride 2, padding 1 (n -> ceil(n / 2)). */
static cc_conv2d_shape encoder_shape(const cc_convlstm *m, int batch, int i, int in) {
    cc_conv2d_shape s = {batch, in, m->cfg.features, stage_height(m, i), stage_width(m, i), 3, 2, 1};
    return s;
}

/* The decoder's transposed convolution from level i + 1 to level i: the 4x4, stride 2,
 * padding 1 convolution of a level-i map (2n -> n), read backwards (n -> 2n). */
static cc_conv2d_shape decoder_shape(const cc_convlstm *m, int batch, int i) {
    int F = m->cfg.features;
    cc_conv2d_shape s = {batch, F, F, decoded_height(m, i), decoded_width(m, i), 4, 2, 1};
    return s;
}

/* The skip path's convolution of the last input step (full resolution). */
static cc_conv2d_shape skip_shape(const cc_convlstm *m, int batch) {
    const cc_convlstm_config *c = &m->cfg;
    cc_conv2d_shape s = {batch, model_inputs(c), c->channels, c->height, c->width, c->skip, 1, c->skip / 2};
    return s;
}

/* The largest per-image figure `measure` gives of any of the model's convolutions:
 * im2col columns (cc_conv2d_workspace_floats) or oneDNN's scratch (cc_onednn_image_floats). */
static size_t most_per_image(const cc_convlstm *m, size_t (*measure)(const cc_conv2d_shape *)) {
    size_t most = 0;
    if (m->cfg.skip) {
        cc_conv2d_shape s = skip_shape(m, 1);
        most = measure(&s);
    }
    if (is_st_resnet(m)) {
        size_t st = cc_st_most_per_image(&m->st, measure);
        return st > most ? st : most;
    }
    for (int l = 0; l < m->cfg.layers; l++) {
        int hd = m->cfg.hidden[l], K = m->cfg.kernel;
        cc_conv2d_shape shapes[3] = {conv_shape(m, 1, input_channels(m, l), 4 * hd, K), conv_shape(m, 1, hd, 4 * hd, K),
                                     conv_shape(m, 1, hd, m->core_channels, 1)};
        for (int i = 0; i < 3; i++) {
            size_t n = measure(&shapes[i]);
            if (n > most) most = n;
        }
    }
    for (int i = 0; i < m->stages; i++) {
        int F = m->cfg.features;
        cc_conv2d_shape shapes[3] = {encoder_shape(m, 1, i, i ? F : model_inputs(&m->cfg)), decoder_shape(m, 1, i),
                                     {1, F, m->cfg.channels, m->cfg.height, m->cfg.width, 1, 1, 0}};
        for (int k = 0; k < 3; k++) {
            size_t n = measure(&shapes[k]);
            if (n > most) most = n;
        }
    }
    return most;
}

static size_t workspace_floats(const cc_convlstm *m) { return most_per_image(m, cc_conv2d_workspace_floats); }

static void init_uniform(float *w, size_t n, double bound, unsigned *state) {
    for (size_t k = 0; k < n; k++) w[k] = (float)((cc_lcg_uniform(state) * 2.0 - 1.0) * bound);
}

/* The last cfg.skip_only inputs of each step reach the outputs through the skip path
 * only: the first layer's input weights on them ([rows][inputs][kk], the last `count`
 * inputs) start at zero and their gradient is zeroed after every backward pass, so AdamW
 * keeps them at exactly zero. */
typedef struct skip_only_weights {
    size_t offset;
    int rows, inputs, kk, count;
} skip_only_weights;

static skip_only_weights skip_only_block(const cc_convlstm *m) {
    const cc_convlstm_config *c = &m->cfg;
    skip_only_weights b = {m->stages ? m->ae_enc_w[0] : m->enc[0].wx, m->stages ? c->features : 4 * c->hidden[0],
                           model_inputs(c), m->stages ? 9 : c->kernel * c->kernel,
                           c->skip_only};
    return b;
}

static void zero_skip_only_weights(const cc_convlstm *m, const cc_ops_context *ctx, cc_arena *a) {
    if (is_st_resnet(m)) return; /* its branches read the count maps only */
    skip_only_weights b = skip_only_block(m);
    if (!b.count) return;
    float *w = cc_arena_at(a, b.offset);
    for (int r = 0; r < b.rows; r++) {
        float *held = w + ((size_t)r * b.inputs + (size_t)(b.inputs - b.count)) * b.kk;
        if (ctx)
            cc_fill(ctx, held, (size_t)b.count * b.kk, 0.0f);
        else
            memset(held, 0, sizeof(float) * (size_t)b.count * b.kk);
    }
}

static void init_weights(cc_convlstm *m, unsigned seed) {
    unsigned state = seed ? seed : 1u;
    for (int i = 0; i < m->params.count; i++) {
        const cc_arena_entry *e = &m->params.entries[i];
        int is_bias = e->rank == 1, is_peep = strstr(e->name, ".peep") != NULL;
        if (e->offset == m->skip_w) continue; /* starts at zero: the skip path adds nothing yet */
        size_t fan_in = e->rank == 4 ? (size_t)e->dims[1] * e->dims[2] * e->dims[3] : 1;
        if (is_peep) fan_in = 1;
        if (!is_bias) init_uniform(cc_arena_at(&m->params, e->offset), e->count, is_peep ? 0.1 : 1.0 / sqrt((double)fan_in), &state);
    }
    if (is_st_resnet(m)) {
        cc_st_init(&m->st, &m->params);
        return;
    }
    for (int stack = 0; stack < 2; stack++)
        for (int l = 0; l < m->cfg.layers; l++) { /* forget gate bias 1: remember by default */
            const cc_convlstm_params *p = stack ? &m->fc[l] : &m->enc[l];
            float *b = cc_arena_at(&m->params, p->bias);
            for (int k = 0; k < m->cfg.hidden[l]; k++) b[m->cfg.hidden[l] + k] = 1.0f;
        }
    zero_skip_only_weights(m, NULL, &m->params);
}

/* What every architecture needs: the grid, the inputs, the skip path, the batch. */
static const char *check_common(const cc_convlstm_config *c, int batch) {
    if (c->arch != CC_ARCH_CONVLSTM && c->arch != CC_ARCH_ST_RESNET) return "unknown architecture";
    if (c->channels < 1 || c->height < 1 || c->width < 1) return "channels, height and width must be >= 1";
    if (c->context < 0) return "context must be >= 0";
    if (c->skip < 0 || (c->skip && c->skip % 2 == 0)) return "skip must be 0 or an odd kernel size";
    if (c->skip_only < 0 || c->skip_only > c->context) return "skip_only must be 0..context";
    if (c->skip_only && !c->skip) return "inputs for the skip path only (skip_only) need a skip path";
    if (c->window < 1 || c->horizon < 1) return "window and horizon must be >= 1";
    if (c->window > CC_MAX_LAG) return "the window (the longest lag) must be at most 512 bins";
    if (batch < 1) return "batch must be >= 1";
    return NULL;
}

static const char *check_convlstm(const cc_convlstm_config *c) {
    if (c->layers < 1 || c->layers > CC_MAX_LAYERS) return "layers must be 1..4";
    if (c->kernel < 1 || c->kernel % 2 == 0) return "kernel must be odd";
    if (c->down != 0 && c->down != 1 && c->down != 2 && c->down != 4) return "down must be 1, 2 or 4";
    if (c->down > 1 && c->features < 1) return "convlstm-ae needs features >= 1";
    for (int l = 0; l < c->layers; l++)
        if (c->hidden[l] < 1) return "every layer needs hidden channels >= 1";
    return NULL;
}

/* The maps of a step's batch are counted in int (steps x batch x maps): a shape whose
 * count passes INT_MAX would wrap and under-size the buffers (bench takes any sizes). */
static const char *check_map_counts(const cc_convlstm_config *c, int batch) {
    int64_t widest = (int64_t)c->channels + c->context + c->features + 4;
    for (int l = 0; l < c->layers && l < CC_MAX_LAYERS; l++)
        if (4 * (int64_t)c->hidden[l] > widest) widest = 4 * (int64_t)c->hidden[l]; /* the four gates */
    int64_t steps = c->window > c->horizon ? c->window : c->horizon;
    return steps * batch * widest > INT_MAX ? "the batch's maps (steps x batch x channels) pass 2^31: a smaller "
                                                  "batch, window, horizon or width"
                                                : NULL;
}

static int check_config(const cc_convlstm_config *c, int batch, char *err, size_t err_len) {
    int st = c->arch == CC_ARCH_ST_RESNET;
    const char *why = check_common(c, batch);
    cc_st_shape shape = st_shape(c, batch);
    if (!why) why = st ? cc_st_check(&shape, c->horizon) : check_convlstm(c);
    if (!why) why = check_map_counts(c, batch);
    const char *prefix = !st ? "convlstm: " : strncmp(why ? why : "", "st-resnet", 9) ? "st-resnet: " : "";
    if (why) snprintf(err, err_len, "%s%s", prefix, why);
    return why ? -1 : 0;
}

/* The model's layout for `batch`: its arenas planned, nothing allocated. 0, or -1 with err. */
static int plan(cc_convlstm *m, const cc_convlstm_config *cfg, int batch, char *err, size_t err_len) {
    memset(m, 0, sizeof *m);
    if (check_config(cfg, batch, err, err_len) != 0) return -1;
    m->cfg = *cfg;
    if (m->cfg.down < 1) m->cfg.down = 1;
    m->batch = batch;
    if (is_st_resnet(m)) m->cfg.down = 1, m->st.shape = st_shape(cfg, batch);
    m->stages = m->cfg.down == 4 ? 2 : m->cfg.down == 2 ? 1 : 0;
    m->core_channels = m->stages ? cfg->features : cfg->channels;
    m->core_inputs = m->stages ? cfg->features : model_inputs(cfg);
    m->core_height = cc_convlstm_encoded_size(cfg->height, m->stages);
    m->core_width = cc_convlstm_encoded_size(cfg->width, m->stages);
    plan_params(m);
    plan_acts(m);
    m->workspace_per_thread = m->workspace_floats = workspace_floats(m);
    return 0;
}

int cc_convlstm_measure(const cc_convlstm_config *cfg, int batch, cc_convlstm_size *out, char *err, size_t err_len) {
    cc_convlstm m;
    if (plan(&m, cfg, batch, err, err_len) != 0) return -1;
    *out = (cc_convlstm_size){m.params.size, m.acts.size, m.workspace_per_thread,
                              most_per_image(&m, cc_onednn_image_floats)};
    cc_convlstm_free(&m);
    return 0;
}

/* The model planned for `batch` with its workspace, parameters (weights from `seed`) and
 * gradients in host memory, and its activations there too when `host_acts`. */
static int create_on_host(cc_convlstm *m, const cc_convlstm_config *cfg, int batch, unsigned seed, int host_acts,
                          char *err, size_t err_len) {
    if (plan(m, cfg, batch, err, err_len) != 0) return -1;
    if (m->params.size >= CC_ARENA_TOO_LARGE || m->acts.size >= CC_ARENA_TOO_LARGE ||
        m->workspace_floats >= CC_ARENA_TOO_LARGE) { /* asked of no allocator */
        snprintf(err, err_len, "convlstm: out of memory (its shapes ask for more than 2^58 parameters, activations or "
                 "workspace floats)");
        cc_convlstm_free(m);
        return -1;
    }
    m->workspace = malloc(sizeof(float) * m->workspace_floats);
    if (!m->workspace || cc_arena_allocate(&m->params) != 0 || cc_arena_clone_layout(&m->params, &m->grads) != 0 ||
        (host_acts && cc_arena_allocate(&m->acts) != 0)) {
        /* in GiB, with the batch that sizes the activations: a count of floats named no unit and no cure */
        double floats = 2.0 * (double)m->params.size + (double)(host_acts ? m->acts.size : 0) +
                        (double)m->workspace_floats;
        snprintf(err, err_len, "convlstm: out of memory for the network at batch %d: %.2f GiB of parameters, "
                 "gradients%s and workspace (a lower --batch, or a --memory the plan can size it to)", batch,
                 4.0 * floats / 1073741824.0, host_acts ? ", activations" : "");
        cc_convlstm_free(m);
        return -1;
    }
    init_weights(m, seed);
    return 0;
}

int cc_convlstm_create(cc_convlstm *m, const cc_convlstm_config *cfg, int batch, unsigned seed, char *err,
                       size_t err_len) {
    return create_on_host(m, cfg, batch, seed, 1, err, err_len);
}

size_t cc_convlstm_output_bias(const cc_convlstm *m) {
    return is_st_resnet(m) ? m->st.bias : m->stages ? m->ae_head_b : m->head_b;
}

/* The activations are planned again for the new batch in the allocation they have when
 * it is large enough (a smaller batch, or back to the batch they were made for), zeroed
 * where they are: each evaluation's last, partial batch and the next epoch's first used to
 * zero a fresh host allocation and copy it to the GPU, 0.8 GiB at 150 m, twice an epoch. */
int cc_convlstm_set_batch(cc_convlstm *m, int batch) {
    if (batch == m->batch) return 0;
    m->batch = batch;
    cc_arena_reset_layout(&m->acts);
    plan_acts(m);
    if (cc_arena_allocate_at(&m->acts, m->acts.device) == 0) return 0;
    m->batch = 0; /* no activations: the next call of any batch allocates again, not "already so" */
    return -1;
}

int cc_convlstm_create_on(cc_convlstm *m, const cc_convlstm_config *cfg, int batch, unsigned seed,
                          struct cc_cuda_state *device, char *err, size_t err_len) {
    if (create_on_host(m, cfg, batch, seed, !device, err, err_len) != 0) return -1;
    if (device && (cc_arena_to_device(&m->params, device, err, err_len) != 0 ||
                   cc_arena_to_device(&m->grads, device, err, err_len) != 0 || cc_arena_allocate_at(&m->acts, device) != 0)) {
        cc_convlstm_free(m);
        return -1;
    }
    return 0;
}

void cc_convlstm_free(cc_convlstm *m) {
    cc_arena_free(&m->params);
    cc_arena_free(&m->grads);
    cc_arena_free(&m->acts);
    free(m->workspace);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ forward */

#define P(offset) cc_arena_at(&m->params, (offset))
#define G(offset) cc_arena_at(&m->grads, (offset))
#define A(offset) cc_arena_at(&m->acts, (offset))

/* Offset of step t inside a [steps][batch][channels][H][W] activation. */
static size_t step(const cc_convlstm *m, size_t base, int t, int channels) {
    return base + (size_t)t * m->batch * channels * plane(m);
}

/* One recurrent stack over `steps`, states starting at (h0, c0) or zero. The gate
 * buffer already holds the input-to-state part (and bias) of every step. */
static void run_stack(cc_convlstm *m, const cc_ops_context *ctx, int l, const cc_convlstm_params *p,
                      const cc_convlstm_acts *a, int steps, const float *h0, const float *c0) {
    int hd = m->cfg.hidden[l];
    cc_conv2d_shape state = conv_shape(m, m->batch, hd, 4 * hd, m->cfg.kernel);
    cc_lstm_shape gates = gate_shape(m, l);
    for (int t = 0; t < steps; t++) {
        float *g = A(step(m, a->gates, t, 4 * hd));
        const float *h_prev = t > 0 ? A(step(m, a->h, t - 1, hd)) : h0;
        const float *c_prev = t > 0 ? A(step(m, a->c, t - 1, hd)) : c0 ? c0 : A(m->zeros);
        if (h_prev) cc_conv2d_forward(ctx, &state, h_prev, P(p->wh), NULL, 1.0f, g);
        cc_lstm_gates_forward(ctx, &gates, g, c_prev, p->peep == NONE ? NULL : P(p->peep), A(step(m, a->c, t, hd)),
                              A(step(m, a->h, t, hd)));
    }
}

/* Fills a stack's gate buffer with W_x * input + b for every step at once. */
static void input_to_state(cc_convlstm *m, const cc_ops_context *ctx, int l, const cc_convlstm_params *p,
                           const cc_convlstm_acts *a, int steps, const float *input) {
    int hd = m->cfg.hidden[l];
    if (p->wx == NONE) { /* forecaster layer 0: no input, bias only */
        cc_fill(ctx, A(a->gates), (size_t)steps * m->batch * 4 * hd * plane(m), 0.0f);
        cc_bias_add(ctx, A(a->gates), P(p->bias), steps * m->batch, 4 * hd, (int)plane(m));
        return;
    }
    cc_conv2d_shape s = conv_shape(m, steps * m->batch, input_channels(m, l), 4 * hd, m->cfg.kernel);
    cc_conv2d_forward(ctx, &s, input, P(p->wx), P(p->bias), 0.0f, A(a->gates));
}

/* The encoder-forecaster on core-resolution inputs x (core channels) to outputs y. */
static void core_forward(cc_convlstm *m, const cc_ops_context *ctx, const float *x, float *y) {
    const cc_convlstm_config *c = &m->cfg;
    for (int l = 0; l < c->layers; l++) {
        const float *input = l == 0 ? x : A(m->enc_act[l - 1].h);
        input_to_state(m, ctx, l, &m->enc[l], &m->enc_act[l], c->window, input);
        run_stack(m, ctx, l, &m->enc[l], &m->enc_act[l], c->window, NULL, NULL);
    }
    for (int l = 0; l < c->layers; l++) {
        int hd = c->hidden[l];
        const float *input = l == 0 ? NULL : A(m->fc_act[l - 1].h);
        input_to_state(m, ctx, l, &m->fc[l], &m->fc_act[l], c->horizon, input);
        run_stack(m, ctx, l, &m->fc[l], &m->fc_act[l], c->horizon, A(step(m, m->enc_act[l].h, c->window - 1, hd)),
                  A(step(m, m->enc_act[l].c, c->window - 1, hd)));
    }
    for (int l = 0; l < c->layers; l++) {
        cc_conv2d_shape head = conv_shape(m, c->horizon * m->batch, c->hidden[l], m->core_channels, 1);
        cc_conv2d_forward(ctx, &head, A(m->fc_act[l].h), P(m->head_w[l]), l == 0 ? P(m->head_b) : NULL,
                          l == 0 ? 0.0f : 1.0f, y);
    }
}

static size_t ae_floats(const cc_convlstm *m, int steps, int stage) {
    return (size_t)steps * m->batch * m->cfg.features * stage_height(m, stage) * stage_width(m, stage);
}

static size_t decoded_floats(const cc_convlstm *m, int steps, int level) {
    return (size_t)steps * m->batch * m->cfg.features * decoded_height(m, level) * decoded_width(m, level);
}

/* The ops' context with the model's workspace, grown to one slice per thread. */
static cc_ops_context with_workspace(cc_convlstm *m, const cc_ops_context *outer) {
    cc_ops_context ctx = *outer;
    size_t need = m->workspace_per_thread * (size_t)cc_ops_threads(outer);
    if (need > m->workspace_floats) {
        float *bigger = realloc(m->workspace, sizeof(float) * need);
        if (!bigger) {
            fprintf(stderr, "crimecast: out of memory for a %zu-float convolution workspace\n", need);
            abort();
        }
        m->workspace = bigger;
        m->workspace_floats = need;
    }
    ctx.workspace = m->workspace;
    ctx.workspace_floats = m->workspace_floats;
    return ctx;
}

/* The last input step of x [steps][batch][C + context][H][W] (lag 1: the origin's bin). */
static const float *last_input_step(const cc_convlstm *m, const float *x) {
    const cc_convlstm_config *c = &m->cfg;
    return x + (size_t)(cc_model_input_steps(c) - 1) * m->batch * model_inputs(c) * c->height * c->width;
}

static size_t output_step_floats(const cc_convlstm *m) {
    return (size_t)m->batch * m->cfg.channels * m->cfg.height * m->cfg.width;
}

/* y_s += S * x_L for every output step s. */
static void skip_forward(cc_convlstm *m, const cc_ops_context *ctx, const float *x, float *y) {
    if (m->skip_w == NONE) return;
    cc_conv2d_shape s = skip_shape(m, m->batch);
    for (int t = 0; t < m->cfg.horizon; t++)
        cc_conv2d_forward(ctx, &s, last_input_step(m, x), P(m->skip_w), NULL, 1.0f, y + t * output_step_floats(m));
}

/* The skip path's gradients; with dx, also its gradient into the last input step. */
static void skip_backward(cc_convlstm *m, const cc_ops_context *ctx, const float *x, const float *dy, float *dx) {
    if (m->skip_w == NONE) return;
    cc_conv2d_shape s = skip_shape(m, m->batch);
    for (int t = 0; t < m->cfg.horizon; t++) {
        const float *dy_t = dy + t * output_step_floats(m);
        cc_conv2d_backward_filter(ctx, &s, last_input_step(m, x), dy_t, G(m->skip_w), NULL);
        if (dx) cc_conv2d_backward_data(ctx, &s, dy_t, P(m->skip_w), 1.0f, (float *)last_input_step(m, dx));
    }
}

static void network_forward(cc_convlstm *m, const cc_ops_context *outer, const float *x, float *y);

void cc_convlstm_forward(cc_convlstm *m, const cc_ops_context *outer, const float *x, float *y) {
    cc_ops_context ctx = with_workspace(m, outer);
    network_forward(m, &ctx, x, y);
    skip_forward(m, &ctx, x, y);
}

void cc_convlstm_forward_parts(cc_convlstm *m, const cc_ops_context *outer, const float *x, float *network,
                               float *skip) {
    cc_ops_context ctx = with_workspace(m, outer);
    network_forward(m, &ctx, x, network);
    cc_fill(&ctx, skip, (size_t)m->cfg.horizon * output_step_floats(m), 0.0f);
    skip_forward(m, &ctx, x, skip);
}

/* The decoder's full-resolution maps on the grid: its last output, cropped to the grid
 * when that was padded up to a multiple of down. */
static const float *decoded_grid(cc_convlstm *m, const cc_ops_context *ctx, int out_steps) {
    const float *full = A(m->ae_dec_out[m->stages - 1]);
    if (!padded(m)) return full;
    const cc_convlstm_config *c = &m->cfg;
    cc_plane_copy(ctx, out_steps * c->features, c->height, c->width, full, decoded_height(m, 0), decoded_width(m, 0),
                  A(m->ae_crop), c->height, c->width);
    return A(m->ae_crop);
}

/* The recurrent network (and the convlstm-ae's encoder and decoder around it). */
static void network_forward(cc_convlstm *m, const cc_ops_context *outer, const float *x, float *y) {
    cc_ops_context ctx = *outer;
    if (is_st_resnet(m)) {
        cc_st_forward(&m->st, &ctx, &m->params, &m->acts, x, y);
        return;
    }
    if (!m->stages) {
        core_forward(m, &ctx, x, y);
        return;
    }
    const cc_convlstm_config *c = &m->cfg;
    int in_steps = c->window * m->batch, out_steps = c->horizon * m->batch, F = c->features;
    for (int i = 0; i < m->stages; i++) { /* strided encoder */
        cc_conv2d_shape s = encoder_shape(m, in_steps, i, i ? F : model_inputs(c));
        cc_conv2d_forward(&ctx, &s, i ? A(m->ae_enc_out[i - 1]) : x, P(m->ae_enc_w[i]), P(m->ae_enc_b[i]), 0.0f,
                          A(m->ae_enc_out[i]));
        cc_relu_forward(&ctx, A(m->ae_enc_out[i]), ae_floats(m, c->window, i + 1));
    }
    core_forward(m, &ctx, A(m->ae_enc_out[m->stages - 1]), A(m->core_out));
    for (int i = 0; i < m->stages; i++) { /* transposed-convolution decoder */
        int fine = m->stages - 1 - i;
        cc_conv2d_shape s = decoder_shape(m, out_steps, fine);
        cc_conv2d_backward_data(&ctx, &s, i ? A(m->ae_dec_out[i - 1]) : A(m->core_out), P(m->ae_dec_w[i]), 0.0f,
                                A(m->ae_dec_out[i]));
        cc_bias_add(&ctx, A(m->ae_dec_out[i]), P(m->ae_dec_b[i]), out_steps, F,
                    decoded_height(m, fine) * decoded_width(m, fine));
        cc_relu_forward(&ctx, A(m->ae_dec_out[i]), decoded_floats(m, c->horizon, fine));
    }
    cc_conv2d_shape head = {out_steps, F, c->channels, c->height, c->width, 1, 1, 0};
    cc_conv2d_forward(&ctx, &head, decoded_grid(m, &ctx, out_steps), P(m->ae_head_w), P(m->ae_head_b), 0.0f, y);
}

/* ------------------------------------------------------------------ backward */

/* dL/dW_h = sum over t of (h_{t-1} correlated with dgates_t). The time loop needs only the
 * gradient into h_{t-1} step by step; W_h's gradient waits until every dgates_t is known
 * and is then one weight gradient over the steps' images together ((steps - 1) x batch
 * of them, h_0 .. h_{T-2} and dgates_1 .. dgates_{T-1} lying contiguous), plus one for
 * step 0 when the stack starts from a given h0 (the forecaster). One large call instead
 * of T small ones: the same sum, and on a GPU the largest part of a step was these small
 * weight gradients (bench/RESULTS.md, the fourth lease's profile). */
static void recurrent_filter_backward(cc_convlstm *m, const cc_ops_context *ctx, int l, const cc_convlstm_params *p,
                                      const cc_convlstm_acts *a, int steps, const float *h0) {
    int hd = m->cfg.hidden[l];
    if (steps > 1) {
        cc_conv2d_shape later = conv_shape(m, (steps - 1) * m->batch, hd, 4 * hd, m->cfg.kernel);
        cc_conv2d_backward_filter(ctx, &later, A(a->h), A(step(m, a->dgates, 1, 4 * hd)), G(p->wh), NULL);
    }
    if (h0) {
        cc_conv2d_shape first = conv_shape(m, m->batch, hd, 4 * hd, m->cfg.kernel);
        cc_conv2d_backward_filter(ctx, &first, h0, A(a->dgates), G(p->wh), NULL);
    }
}

/* Backpropagates through a stack's time loop. On entry a->dh holds, for every step, the
 * gradient reaching h from outside the recurrence (the head, the layer above, the
 * forecaster); dc0 the gradient reaching the last c from outside (or NULL). Fills
 * a->dgates and the wh and peephole gradients; leaves the gradient into (h0, c0) in
 * m->dh_rec and m->dc. */
static void backprop_stack(cc_convlstm *m, const cc_ops_context *ctx, int l, const cc_convlstm_params *p,
                           const cc_convlstm_acts *a, int steps, const float *h0, const float *c0, const float *dc0) {
    int hd = m->cfg.hidden[l];
    size_t state_floats = (size_t)m->batch * hd * plane(m);
    cc_conv2d_shape state = conv_shape(m, m->batch, hd, 4 * hd, m->cfg.kernel);
    cc_lstm_shape gates = gate_shape(m, l);
    float *dh_rec = A(m->dh_rec), *dc = A(m->dc);
    cc_fill(ctx, dh_rec, state_floats, 0.0f);
    cc_fill(ctx, dc, state_floats, 0.0f);
    if (dc0) cc_axpy(ctx, state_floats, 1.0f, dc0, dc);
    for (int t = steps - 1; t >= 0; t--) {
        float *dh = A(step(m, a->dh, t, hd)), *dg = A(step(m, a->dgates, t, 4 * hd));
        cc_axpy(ctx, state_floats, 1.0f, dh_rec, dh);
        const float *h_prev = t > 0 ? A(step(m, a->h, t - 1, hd)) : h0;
        const float *c_prev = t > 0 ? A(step(m, a->c, t - 1, hd)) : c0 ? c0 : A(m->zeros);
        cc_lstm_gates_backward(ctx, &gates, A(step(m, a->gates, t, 4 * hd)), c_prev, A(step(m, a->c, t, hd)),
                               p->peep == NONE ? NULL : P(p->peep), dh, dc, dg, dc, p->peep == NONE ? NULL : G(p->peep));
        if (h_prev)
            cc_conv2d_backward_data(ctx, &state, dg, P(p->wh), 0.0f, dh_rec);
        else
            cc_fill(ctx, dh_rec, state_floats, 0.0f);
    }
    recurrent_filter_backward(m, ctx, l, p, a, steps, h0);
}

/* Gradients of W_x * input + b for every step; adds the gradient into the input (when
 * it is the layer below) to `dinput`. */
static void input_to_state_backward(cc_convlstm *m, const cc_ops_context *ctx, int l, const cc_convlstm_params *p,
                                    const cc_convlstm_acts *a, int steps, const float *input, float *dinput) {
    int hd = m->cfg.hidden[l];
    if (p->wx == NONE) {
        cc_bias_backward(ctx, A(a->dgates), steps * m->batch, 4 * hd, (int)plane(m), G(p->bias));
        return;
    }
    cc_conv2d_shape s = conv_shape(m, steps * m->batch, input_channels(m, l), 4 * hd, m->cfg.kernel);
    cc_conv2d_backward_filter(ctx, &s, input, A(a->dgates), G(p->wx), G(p->bias));
    if (dinput) cc_conv2d_backward_data(ctx, &s, A(a->dgates), P(p->wx), 1.0f, dinput);
}

/* Backward of core_forward; adds the gradient into its input to dx when dx != NULL. */
static void core_backward(cc_convlstm *m, const cc_ops_context *ctx, const float *x, const float *dy, float *dx) {
    const cc_convlstm_config *c = &m->cfg;
    for (int l = 0; l < c->layers; l++) { /* the head: gradient into every forecaster h */
        cc_conv2d_shape head = conv_shape(m, c->horizon * m->batch, c->hidden[l], m->core_channels, 1);
        cc_conv2d_backward_data(ctx, &head, dy, P(m->head_w[l]), 0.0f, A(m->fc_act[l].dh));
        cc_conv2d_backward_filter(ctx, &head, A(m->fc_act[l].h), dy, G(m->head_w[l]), l == 0 ? G(m->head_b) : NULL);
        size_t enc_h = (size_t)c->window * m->batch * c->hidden[l] * plane(m);
        cc_fill(ctx, A(m->enc_act[l].dh), enc_h, 0.0f);
    }
    for (int l = c->layers - 1; l >= 0; l--) { /* forecaster, top down */
        int hd = c->hidden[l];
        size_t state_floats = (size_t)m->batch * hd * plane(m);
        float *h_last = A(step(m, m->enc_act[l].h, c->window - 1, hd));
        float *c_last = A(step(m, m->enc_act[l].c, c->window - 1, hd));
        backprop_stack(m, ctx, l, &m->fc[l], &m->fc_act[l], c->horizon, h_last, c_last, NULL);
        cc_axpy(ctx, state_floats, 1.0f, A(m->dh_rec), A(step(m, m->enc_act[l].dh, c->window - 1, hd)));
        cc_fill(ctx, A(m->enc_act[l].dc_carry), state_floats, 0.0f);
        cc_axpy(ctx, state_floats, 1.0f, A(m->dc), A(m->enc_act[l].dc_carry));
        input_to_state_backward(m, ctx, l, &m->fc[l], &m->fc_act[l], c->horizon, l ? A(m->fc_act[l - 1].h) : NULL,
                                l ? A(m->fc_act[l - 1].dh) : NULL);
    }
    for (int l = c->layers - 1; l >= 0; l--) { /* encoder, top down */
        backprop_stack(m, ctx, l, &m->enc[l], &m->enc_act[l], c->window, NULL, NULL, A(m->enc_act[l].dc_carry));
        input_to_state_backward(m, ctx, l, &m->enc[l], &m->enc_act[l], c->window, l ? A(m->enc_act[l - 1].h) : x,
                                l ? A(m->enc_act[l - 1].dh) : dx);
    }
}

static void network_backward(cc_convlstm *m, const cc_ops_context *outer, const float *x, const float *dy, float *dx);

void cc_convlstm_backward(cc_convlstm *m, const cc_ops_context *outer, const float *x, const float *dy) {
    cc_ops_context ctx = with_workspace(m, outer);
    skip_backward(m, &ctx, x, dy, NULL);
    network_backward(m, &ctx, x, dy, NULL);
    zero_skip_only_weights(m, &ctx, &m->grads);
}

void cc_convlstm_backward_input(cc_convlstm *m, const cc_ops_context *outer, const float *x, const float *dy, float *dx) {
    cc_ops_context ctx = with_workspace(m, outer);
    const cc_convlstm_config *c = &m->cfg;
    cc_fill(&ctx, dx, cc_model_input_floats(c, m->batch), 0.0f);
    skip_backward(m, &ctx, x, dy, dx);
    network_backward(m, &ctx, x, dy, dx);
    zero_skip_only_weights(m, &ctx, &m->grads);
}

static void network_backward(cc_convlstm *m, const cc_ops_context *outer, const float *x, const float *dy, float *dx) {
    cc_ops_context ctx = *outer;
    if (is_st_resnet(m)) {
        cc_st_backward(&m->st, &ctx, &m->params, &m->grads, &m->acts, dy, dx);
        return;
    }
    if (!m->stages) {
        core_backward(m, &ctx, x, dy, dx);
        return;
    }
    const cc_convlstm_config *c = &m->cfg;
    int in_steps = c->window * m->batch, out_steps = c->horizon * m->batch, F = c->features;
    int last = m->stages - 1;
    cc_conv2d_shape head = {out_steps, F, c->channels, c->height, c->width, 1, 1, 0};
    float *d_grid = padded(m) ? A(m->ae_crop_d) : A(m->ae_dec_d[last]);
    cc_conv2d_backward_data(&ctx, &head, dy, P(m->ae_head_w), 0.0f, d_grid);
    cc_conv2d_backward_filter(&ctx, &head, padded(m) ? A(m->ae_crop) : A(m->ae_dec_out[last]), dy, G(m->ae_head_w),
                              G(m->ae_head_b));
    if (padded(m)) { /* the crop's gradient: zero on the padding */
        cc_fill(&ctx, A(m->ae_dec_d[last]), decoded_floats(m, c->horizon, 0), 0.0f);
        cc_plane_copy(&ctx, out_steps * F, c->height, c->width, d_grid, c->height, c->width, A(m->ae_dec_d[last]),
                      decoded_height(m, 0), decoded_width(m, 0));
    }
    for (int i = last; i >= 0; i--) { /* decoder, back to the core's output */
        int fine = m->stages - 1 - i;
        float *d = A(m->ae_dec_d[i]);
        cc_relu_backward(&ctx, A(m->ae_dec_out[i]), d, decoded_floats(m, c->horizon, fine));
        cc_bias_backward(&ctx, d, out_steps, F, decoded_height(m, fine) * decoded_width(m, fine), G(m->ae_dec_b[i]));
        cc_conv2d_shape s = decoder_shape(m, out_steps, fine);
        const float *coarse = i ? A(m->ae_dec_out[i - 1]) : A(m->core_out);
        cc_conv2d_backward_filter(&ctx, &s, d, coarse, G(m->ae_dec_w[i]), NULL);
        cc_conv2d_forward(&ctx, &s, d, P(m->ae_dec_w[i]), NULL, 0.0f, i ? A(m->ae_dec_d[i - 1]) : A(m->core_dout));
    }
    cc_fill(&ctx, A(m->ae_enc_d[last]), ae_floats(m, c->window, m->stages), 0.0f);
    core_backward(m, &ctx, A(m->ae_enc_out[last]), A(m->core_dout), A(m->ae_enc_d[last]));
    for (int i = last; i >= 0; i--) { /* strided encoder */
        float *d = A(m->ae_enc_d[i]);
        cc_relu_backward(&ctx, A(m->ae_enc_out[i]), d, ae_floats(m, c->window, i + 1));
        cc_conv2d_shape s = encoder_shape(m, in_steps, i, i ? F : model_inputs(c));
        const float *input = i ? A(m->ae_enc_out[i - 1]) : x;
        cc_conv2d_backward_filter(&ctx, &s, input, d, G(m->ae_enc_w[i]), G(m->ae_enc_b[i]));
        if (i) cc_conv2d_backward_data(&ctx, &s, d, P(m->ae_enc_w[i]), 0.0f, A(m->ae_enc_d[i - 1]));
        else if (dx) cc_conv2d_backward_data(&ctx, &s, d, P(m->ae_enc_w[0]), 1.0f, dx);
    }
}
