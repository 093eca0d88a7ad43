/* The fused ConvLSTM gate update on the CPU: one pass over every (batch, channel, cell),
 * all four gates at once. Equations in kernels/ops.h. */
#include <math.h>
#include <stddef.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"

static float sigmoid(float a) { return 1.0f / (1.0f + expf(-a)); }

void cc_cpu_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates,
                               const float *c_prev, const float *peep, float *c, float *h) {
    size_t plane = (size_t)s->height * s->width, state = (size_t)s->hidden * plane;
    const float *p_i = s->peephole ? peep : NULL, *p_f = p_i ? peep + state : NULL, *p_o = p_i ? peep + 2 * state : NULL;
    for (int n = 0; n < s->batch; n++) {
        float *gi = gates + (size_t)n * 4 * state, *gf = gi + state, *gg = gf + state, *go = gg + state;
        const float *cp = c_prev + (size_t)n * state;
        float *cn = c + (size_t)n * state, *hn = h + (size_t)n * state;
        CC_PARALLEL_FOR(ctx)
        for (size_t k = 0; k < state; k++) {
            float i = sigmoid(gi[k] + (p_i ? p_i[k] * cp[k] : 0.0f));
            float f = sigmoid(gf[k] + (p_f ? p_f[k] * cp[k] : 0.0f));
            float g = tanhf(gg[k]);
            float cell = f * cp[k] + i * g;
            float o = sigmoid(go[k] + (p_o ? p_o[k] * cell : 0.0f));
            gi[k] = i, gf[k] = f, gg[k] = g, go[k] = o;
            cn[k] = cell;
            hn[k] = o * tanhf(cell);
        }
    }
}

void cc_cpu_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                                const float *c_prev, const float *c, const float *peep, const float *dh,
                                const float *dc_next, float *dgates, float *dc_prev, float *dpeep) {
    size_t plane = (size_t)s->height * s->width, state = (size_t)s->hidden * plane;
    const float *p_i = s->peephole ? peep : NULL, *p_f = p_i ? peep + state : NULL, *p_o = p_i ? peep + 2 * state : NULL;
    float *dp_i = s->peephole ? dpeep : NULL, *dp_f = dp_i ? dpeep + state : NULL, *dp_o = dp_i ? dpeep + 2 * state : NULL;
    for (int n = 0; n < s->batch; n++) {
        size_t base = (size_t)n * state;
        const float *gi = gates + 4 * base, *gf = gi + state, *gg = gf + state, *go = gg + state;
        float *di = dgates + 4 * base, *df = di + state, *dg = df + state, *dout = dg + state;
        CC_PARALLEL_FOR(ctx)
        for (size_t k = 0; k < state; k++) {
            float i = gi[k], f = gf[k], g = gg[k], o = go[k];
            float cp = c_prev[base + k], cell = c[base + k], tc = tanhf(cell);
            float d_h = dh[base + k];
            float da_o = d_h * tc * o * (1.0f - o);
            float dc = (dc_next ? dc_next[base + k] : 0.0f) + d_h * o * (1.0f - tc * tc) + (p_o ? da_o * p_o[k] : 0.0f);
            float da_i = dc * g * i * (1.0f - i);
            float da_f = dc * cp * f * (1.0f - f);
            float da_g = dc * i * (1.0f - g * g);
            di[k] = da_i, df[k] = da_f, dg[k] = da_g, dout[k] = da_o;
            dc_prev[base + k] = dc * f + (p_i ? da_i * p_i[k] + da_f * p_f[k] : 0.0f);
            if (dp_i) {
                dp_i[k] += da_i * cp;
                dp_f[k] += da_f * cp;
                dp_o[k] += da_o * cell;
            }
        }
    }
}
