#include "models/inspect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/dataset.h"
#include "models/train.h"

void cc_inspection_free(cc_inspection *in) {
    free(in->bin), free(in->x), free(in->saliency), free(in->baseline), free(in->network), free(in->skip), free(in->forecast);
    memset(in, 0, sizeof *in);
}

static int check_request(const cc_convlstm *m, const cc_tensor *t, const cc_inspect_request *r, int maps, char *err,
                         size_t err_len) {
    const cc_convlstm_config *c = &m->cfg;
    int lead = c->window + c->horizon - 1, plane = t->H * t->W;
    if (r->start < 0 || r->start + lead >= t->T)
        snprintf(err, err_len, "the sample starting at bin %d needs bins %d..%d; the tensor has 0..%d", r->start,
                 r->start, r->start + lead, t->T - 1);
    else if (r->category < 0 || r->category >= t->C)
        snprintf(err, err_len, "category %d: the tensor has %d", r->category, t->C);
    else if (r->cell < -1 || r->cell >= plane)
        snprintf(err, err_len, "cell %d is outside the %d x %d grid", r->cell, t->H, t->W);
    else if (r->nudge.delta != 0 && (r->nudge.step < 0 || r->nudge.step >= cc_model_input_steps(c) ||
                                     r->nudge.map < 0 || r->nudge.map >= maps || r->nudge.cell < 0 ||
                                     r->nudge.cell >= plane))
        snprintf(err, err_len, "the nudge (step %d, map %d, cell %d) is outside the %d steps x %d maps x %d cells",
                 r->nudge.step, r->nudge.map, r->nudge.cell, cc_model_input_steps(c), maps, plane);
    else
        return 0;
    return -1;
}

static int allocate(cc_inspection *in, const cc_convlstm_config *c, int maps, const cc_tensor *t, int start) {
    int steps = cc_model_input_steps(c);
    size_t plane = (size_t)t->H * t->W, inputs = (size_t)steps * maps * plane, outputs = (size_t)c->horizon * t->C * plane;
    *in = (cc_inspection){steps, c->horizon, maps, t->C, t->H, t->W};
    cc_sample_spec spec = cc_model_sample_spec(c);
    in->bin = malloc(sizeof(int) * (size_t)steps);
    for (int s = 0; in->bin && s < steps; s++) in->bin[s] = cc_sample_step_bin(&spec, start, s);
    in->x = malloc(sizeof(float) * inputs), in->saliency = malloc(sizeof(float) * inputs);
    in->baseline = calloc(outputs, sizeof(float)), in->network = malloc(sizeof(float) * outputs);
    in->skip = malloc(sizeof(float) * outputs), in->forecast = malloc(sizeof(float) * outputs);
    return in->bin && in->x && in->saliency && in->baseline && in->network && in->skip && in->forecast ? 0 : -1;
}

/* lambda = link(r), and dlambda/dr. */
static double rate(cc_loss_kind loss, double r, double scale, double *slope) {
    if (loss == CC_LOSS_POISSON) {
        double v = exp(r);
        *slope = v;
        return v;
    }
    double v = expm1(r * scale);
    *slope = scale * exp(r * scale);
    return v;
}

int cc_inspect(cc_convlstm *m, const cc_ops_context *ctx, const cc_tensor *t, const float *scale, cc_loss_kind loss,
               const cc_inspect_request *r, cc_inspection *out, char *err, size_t err_len) {
    const cc_convlstm_config *c = &m->cfg;
    int maps = c->channels + c->context;
    memset(out, 0, sizeof *out);
    if (check_request(m, t, r, maps, err, err_len) != 0) return -1;
    size_t plane = (size_t)t->H * t->W, outputs = (size_t)c->horizon * t->C * plane;
    float *target = malloc(sizeof(float) * outputs), *dy = calloc(outputs, sizeof(float));
    float *smooth = malloc(sizeof(float) * CC_BASELINE_SCRATCH_FLOATS(t->H, t->W));
    if (allocate(out, c, maps, t, r->start) != 0 || !target || !dy || !smooth || cc_convlstm_set_batch(m, 1) != 0) {
        snprintf(err, err_len, "out of memory for one forecast of %d x %d cells", t->H, t->W);
        free(target), free(dy), free(smooth);
        cc_inspection_free(out);
        return -1;
    }
    cc_sample_spec spec = cc_model_sample_spec(c);
    cc_gather_batch(t, scale, &r->start, 1, &spec, out->x, target);
    if (r->nudge.delta != 0)
        out->x[((size_t)r->nudge.step * maps + r->nudge.map) * plane + r->nudge.cell] += (float)r->nudge.delta;
    if (c->baseline_k > 0)
        cc_gather_baseline(t, &r->start, 1, c->window, c->horizon, c->baseline_k, c->baseline_sigma, out->baseline,
                           smooth);
    cc_convlstm_forward_parts(m, ctx, out->x, out->network, out->skip);
    /* F and dF/dr: only the target step's chosen category and cells */
    size_t target_map = ((size_t)(c->horizon - 1) * t->C + r->category) * plane;
    double F = 0;
    for (size_t q = 0; q < outputs; q++) {
        double slope, v = rate(loss, (double)out->baseline[q] + out->network[q] + out->skip[q], scale[q / plane % t->C], &slope);
        out->forecast[q] = (float)(v > 0 ? v : 0);
        size_t cell = q - target_map;
        if (q >= target_map && cell < plane && t->mask[cell] && (r->cell < 0 || (size_t)r->cell == cell)) {
            F += v > 0 ? v : 0; /* in double: a float sum hid a small nudge's change (22% off at DELTA 0.1) */
            dy[q] = v > 0 ? (float)slope : 0.0f;
        }
    }
    out->objective = F;
    cc_arena_zero(&m->grads);
    cc_convlstm_backward_input(m, ctx, out->x, dy, out->saliency);
    free(target), free(dy), free(smooth);
    return 0;
}

int cc_inspect_layers(const cc_convlstm *m) { return m->cfg.arch == CC_ARCH_ST_RESNET ? 0 : m->cfg.layers; }

const char *cc_state_kind_name(cc_state_kind kind) {
    static const char *const names[CC_STATE_KINDS] = {"h", "c", "i", "f", "g", "o"};
    return kind >= 0 && kind < CC_STATE_KINDS ? names[kind] : "?";
}

const float *cc_inspect_state(const cc_convlstm *m, int stack, int layer, int step, cc_state_kind kind) {
    const cc_convlstm_acts *a = stack ? &m->fc_act[layer] : &m->enc_act[layer];
    size_t hd = (size_t)m->cfg.hidden[layer], plane = (size_t)m->core_height * m->core_width;
    /* batch 1: step t of a [steps][1][maps][H][W] activation starts t maps-planes in */
    if (kind == CC_STATE_H) return cc_arena_at((cc_arena *)&m->acts, a->h) + step * hd * plane;
    if (kind == CC_STATE_C) return cc_arena_at((cc_arena *)&m->acts, a->c) + step * hd * plane;
    size_t gate = (size_t)(kind - CC_GATE_I); /* gate order i, f, g, o */
    return cc_arena_at((cc_arena *)&m->acts, a->gates) + (step * 4 * hd + gate * hd) * plane;
}

uint8_t *cc_inspect_core_mask(const cc_convlstm *m, const uint8_t *mask) {
    int W = m->core_width, d = m->cfg.down > 1 ? m->cfg.down : 1;
    uint8_t *core = calloc((size_t)m->core_height * W, 1);
    if (!core) return NULL;
    /* core cell (y / d, x / d) reads the grid around (y, x); the core is ceil(grid / d) */
    for (int y = 0; y < m->cfg.height; y++)
        for (int x = 0; x < m->cfg.width; x++)
            if (mask[(size_t)y * m->cfg.width + x]) core[(size_t)(y / d) * W + x / d] = 1;
    return core;
}

static int saturated(cc_state_kind kind, double v) {
    if (kind == CC_GATE_I || kind == CC_GATE_F || kind == CC_GATE_O) return v < 0.05 || v > 0.95;
    if (kind == CC_STATE_C) v = tanh(v);
    return fabs(v) > 0.95;
}

cc_state_stats cc_inspect_stats(const cc_convlstm *m, int stack, int layer, cc_state_kind kind, const uint8_t *core_mask) {
    int steps = stack ? m->cfg.horizon : m->cfg.window, hd = m->cfg.hidden[layer];
    size_t plane = (size_t)m->core_height * m->core_width;
    double sum = 0, n = 0, sat = 0;
    int dead = 0;
    for (int u = 0; u < hd; u++) {
        double most = 0;
        for (int s = 0; s < steps; s++) {
            const float *map = cc_inspect_state(m, stack, layer, s, kind) + (size_t)u * plane;
            for (size_t q = 0; q < plane; q++)
                if (core_mask[q]) {
                    sum += map[q], n++;
                    sat += saturated(kind, map[q]);
                    if (fabs(map[q]) > most) most = fabs(map[q]);
                }
        }
        dead += kind == CC_STATE_H && most < 1e-3;
    }
    cc_state_stats st = {n > 0 ? sum / n : NAN, n > 0 ? sat / n : NAN, dead};
    return st;
}
