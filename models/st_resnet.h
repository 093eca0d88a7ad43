/* ST-ResNet (Zhang, Zheng and Qi, AAAI 2017, "Deep spatio-temporal residual networks for
 * citywide crowd flows prediction"), as crimecast's third network, on the same ops,
 * arenas, training, model files and forecasts as the ConvLSTM (models/convlstm.h: a
 * cc_convlstm with cfg.arch = CC_ARCH_ST_RESNET).
 *
 * Written against kernels/ (and models/sample_lags.h): the caller (models/convlstm.c,
 * cfg.arch) owns the arenas.
 *
 * Inputs: three branches read frames (the C normalised count maps of a bin) at fixed lags
 * before the target tau:
 *   closeness  X_c = [x_{tau-1}, ..., x_{tau-lc}]            (lag 1, lc = cfg.closeness)
 *   period     X_p = [x_{tau-p}, ..., x_{tau-lp p}]          (p = cfg.period_lag bins)
 *   trend      X_q = [x_{tau-q}, ..., x_{tau-lq q}]          (q = cfg.trend_lag bins)
 * (a branch with no frames is left out). The sample window is the longest lag, but x
 * holds only the lags the branches read and lag 1 (cc_st_lags): x [steps][batch][maps][H][W],
 * time-major, the held lags longest first (models/sample_lags.h), lag 1 last.
 * Each branch, with F = cfg.features filters and R = cfg.resunits residual units:
 *   Z_0 = W_1 * X + b_1                                     (3x3, frames C -> F)
 *   Z_{k+1} = Z_k + W_kb * ReLU(W_ka * ReLU(Z_k) + b_ka) + b_kb   (3x3, F -> F)
 *   O = W_2 * ReLU(Z_R) + b_2                               (3x3, F -> C)
 * Fusion, learned per cell and channel, and the Poisson log-rate head:
 *   y = W_c o O_c + W_p o O_p + W_q o O_q + v    (o: per-cell product, kernels/ops.h
 *                                                 cc_cell_scale; v [C] the output bias)
 * then, as for the ConvLSTM, the skip path y += S * x_L (the last input step's counts and
 * context maps: the role of the paper's external component) and the baseline offset
 * (models/train.h). The paper's tanh output and batch normalisation are left out: the
 * outputs are log-rates, and batches are small. Horizon 1 only.
 *
 * Parameters: st.<b>.conv1.w [F][frames C][3][3], .b [F]; st.<b>.unit<k>.wa/.wb
 * [F][F][3][3], .ba/.bb [F]; st.<b>.conv2.w [C][F][3][3], .b [C]; st.<b>.fuse [C][H][W]
 * (starts at 1/branches); st.bias [C]; b in close, period, trend. */
#ifndef CRIMECAST_MODELS_ST_RESNET_H
#define CRIMECAST_MODELS_ST_RESNET_H

#include <stddef.h>

#include "kernels/arena.h"
#include "kernels/ops.h"
#include "models/sample_lags.h"

enum { CC_ARCH_CONVLSTM = 0, CC_ARCH_ST_RESNET = 1 };
enum { CC_ST_BRANCHES = 3, CC_ST_MAX_UNITS = 12 };

/* One branch's offsets: parameters (params and grads arenas) and activations. */
typedef struct cc_st_branch {
    int frames, lag;                    /* frames 0: the branch is absent */
    size_t conv1_w, conv1_b, wa[CC_ST_MAX_UNITS], ba[CC_ST_MAX_UNITS], wb[CC_ST_MAX_UNITS], bb[CC_ST_MAX_UNITS];
    size_t conv2_w, conv2_b, fuse;
    size_t in;                          /* [batch][frames C][H][W] the frames gathered */
    size_t z;                           /* [batch][F][H][W] the running residual sum */
    size_t a[CC_ST_MAX_UNITS + 1];      /* ReLU(Z_k), k = 0..R */
    size_t c[CC_ST_MAX_UNITS];          /* ReLU(W_ka * ReLU(Z_k) + b_ka) */
    size_t out;                         /* [batch][C][H][W] O */
    size_t dz, da, dc, dout, din;       /* gradient scratch */
} cc_st_branch;

/* What the network is: its grid and channels, its branches, filters and units, and the
 * sample it reads (window steps of `inputs` maps, the first `channels` the counts). */
typedef struct cc_st_shape {
    int channels, height, width, inputs, window, batch;
    int features, resunits;
    int frames[CC_ST_BRANCHES], lag[CC_ST_BRANCHES];  /* close (lag 1), period, trend */
} cc_st_shape;

/* The network: its shape and its offsets into the caller's arenas (parameters and
 * gradients share a layout; activations another). */
typedef struct cc_st_resnet {
    cc_st_shape shape;
    cc_st_branch branch[CC_ST_BRANCHES];
    size_t bias;                        /* st.bias [C], the output bias */
} cc_st_resnet;

/* The sample window a network of these branches needs: its longest lag (>= 1). */
int cc_st_window(int closeness, int period, int trend, int period_lag, int trend_lag);
/* The lags x holds: every branch's frames, and lag 1 (the skip path's last step). */
cc_lags cc_st_lags(const cc_st_shape *s);
/* Why the shape cannot be an ST-ResNet (horizon: the caller's), or NULL. */
const char *cc_st_check(const cc_st_shape *s, int horizon);
/* Reserves the parameters in `params` and, for shape.batch, the activations in `acts`. */
void cc_st_plan_params(cc_st_resnet *st, cc_arena *params);
void cc_st_plan_acts(cc_st_resnet *st, cc_arena *acts);
/* Fusion weights 1/branches (the rest as the caller drew it). */
void cc_st_init(const cc_st_resnet *st, cc_arena *params);
/* Zeroes what makes the outputs (conv2 of every branch, the output bias): an untrained
 * network then outputs exactly 0 (models/train.h, the baseline offset). */
void cc_st_zero_output(const cc_st_resnet *st, cc_arena *params);
/* The convolutions' most per-image figure of `measure` (the im2col workspace, oneDNN). */
size_t cc_st_most_per_image(const cc_st_resnet *st, size_t (*measure)(const cc_conv2d_shape *));
/* y [batch][C][H][W] = the branches' fusion + the output bias, from x [steps][batch][inputs][H][W]. */
void cc_st_forward(const cc_st_resnet *st, const cc_ops_context *ctx, const cc_arena *params, cc_arena *acts,
                   const float *x, float *y);
/* Adds the gradients of cc_st_forward given dy into `grads`; with dx, dL/dx into dx. */
void cc_st_backward(const cc_st_resnet *st, const cc_ops_context *ctx, const cc_arena *params, cc_arena *grads,
                    cc_arena *acts, const float *dy, float *dx);

#endif
