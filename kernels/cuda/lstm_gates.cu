/* The fused ConvLSTM gate update on the GPU: one pass over the four gates of every cell
 * (equations in kernels/ops.h, reference kernels/cpu/lstm_gates.c). The forward leaves
 * i, f, g, o in `gates` for the backward, which recomputes tanh(c) from c rather than
 * storing it. Plain expf/tanhf (no fast-math intrinsics) to stay close to the CPU. */
#include "kernels/cuda/cuda_internal.cuh"

__device__ inline float sigmoid(float a) { return 1.0f / (1.0f + expf(-a)); }

/* The three peephole planes (w_ci, w_cf, w_co) of one image, or nulls without them. */
struct peepholes {
    const float *i, *f, *o;
};

static peepholes peepholes_of(const cc_lstm_shape *s, const float *peep, size_t state) {
    peepholes p = {NULL, NULL, NULL};
    if (s->peephole) p.i = peep, p.f = peep + state, p.o = peep + 2 * state;
    return p;
}

/* One thread per (image, cell), a block row per image n: element e = n * state + k. */
__global__ void gates_forward_kernel(size_t batch, size_t state, float *gates, const float *c_prev, peepholes peep,
                                     float *c, float *h) {
    CC_ROW_LOOP(n, batch) CC_GRID_STRIDE_LOOP(k, state) {
        size_t e = n * state + k;
        float *gi = gates + 4 * n * state + k, *gf = gi + state, *gg = gf + state, *go = gg + state;
        float cp = c_prev[e];
        float i = sigmoid(*gi + (peep.i ? peep.i[k] * cp : 0.0f));
        float f = sigmoid(*gf + (peep.f ? peep.f[k] * cp : 0.0f));
        float g = tanhf(*gg);
        float cell = f * cp + i * g;
        float o = sigmoid(*go + (peep.o ? peep.o[k] * cell : 0.0f));
        *gi = i, *gf = f, *gg = g, *go = o;
        c[e] = cell;
        h[e] = o * tanhf(cell);
    }
}

/* One thread per cell k, walking the images in order: the peephole gradients of a cell
 * are summed over the batch by one thread, in the CPU's order (no atomics). dc_prev may
 * alias dc_next: each element is read before it is written, by the same thread. */
__global__ void gates_backward_kernel(int batch, size_t state, const float *gates, const float *c_prev,
                                      const float *c, peepholes peep, const float *dh, const float *dc_next,
                                      float *dgates, float *dc_prev, float *dpeep) {
    CC_GRID_STRIDE_LOOP(k, state) {
        float dp_i = dpeep ? dpeep[k] : 0.0f, dp_f = dpeep ? dpeep[state + k] : 0.0f,
              dp_o = dpeep ? dpeep[2 * state + k] : 0.0f;
        for (int n = 0; n < batch; n++) {
            size_t e = (size_t)n * state + k, g0 = 4 * (size_t)n * state + k;
            float i = gates[g0], f = gates[g0 + state], g = gates[g0 + 2 * state], o = gates[g0 + 3 * state];
            float cp = c_prev[e], cell = c[e], tc = tanhf(cell), d_h = dh[e];
            float da_o = d_h * tc * o * (1.0f - o);
            float dc = (dc_next ? dc_next[e] : 0.0f) + d_h * o * (1.0f - tc * tc) + (peep.o ? da_o * peep.o[k] : 0.0f);
            float da_i = dc * g * i * (1.0f - i);
            float da_f = dc * cp * f * (1.0f - f);
            float da_g = dc * i * (1.0f - g * g);
            dgates[g0] = da_i, dgates[g0 + state] = da_f, dgates[g0 + 2 * state] = da_g, dgates[g0 + 3 * state] = da_o;
            dc_prev[e] = dc * f + (peep.i ? da_i * peep.i[k] + da_f * peep.f[k] : 0.0f);
            dp_i += da_i * cp, dp_f += da_f * cp, dp_o += da_o * cell;
        }
        if (dpeep) dpeep[k] = dp_i, dpeep[state + k] = dp_f, dpeep[2 * state + k] = dp_o;
    }
}

static size_t state_floats(const cc_lstm_shape *s) { return (size_t)s->hidden * s->height * s->width; }

extern "C" void cc_cuda_lstm_gates_forward(const cc_ops_context *ctx, const cc_lstm_shape *s, float *gates,
                                           const float *c_prev, const float *peep, float *c, float *h) {
    size_t state = state_floats(s), batch = (size_t)(s->batch > 0 ? s->batch : 0);
    if (!batch || !state) return;
    gates_forward_kernel<<<cc_row_grid(batch, state), CC_THREADS, 0, cc_stream(ctx)>>>(
        batch, state, gates, c_prev, peepholes_of(s, peep, state), c, h);
    CC_CUDA_CHECK(cudaGetLastError());
}

extern "C" void cc_cuda_lstm_gates_backward(const cc_ops_context *ctx, const cc_lstm_shape *s, const float *gates,
                                            const float *c_prev, const float *c, const float *peep,
                                            const float *dh, const float *dc_next, float *dgates, float *dc_prev,
                                            float *dpeep) {
    size_t state = state_floats(s);
    if (!state || s->batch <= 0) return;
    gates_backward_kernel<<<cc_blocks(state), CC_THREADS, 0, cc_stream(ctx)>>>(
        s->batch, state, gates, c_prev, c, peepholes_of(s, peep, state), dh, dc_next, dgates, dc_prev,
        s->peephole ? dpeep : NULL);
    CC_CUDA_CHECK(cudaGetLastError());
}
