/* ConvLSTM encoder-forecaster (Shi et al. 2015), written against kernels/ops.h.
 *
 * Encoder: a stack of ConvLSTM layers reads the input window x_1..x_L. Layer l's gate
 * pre-activations are
 *     A_t = W_x^l * u_t + W_h^l * h_{t-1} + b^l        (u_t = x_t, or h_t of layer l-1)
 * and the fused gate update (ops.h) gives c_t, h_t. The input-to-state convolution
 * W_x^l * u_t does not depend on the recurrence, so it runs once for all t as one
 * batched convolution; only W_h^l * h_{t-1} and the gates sit in the time loop.
 * Forecaster: a second stack, its layer l starting from encoder layer l's last (h, c),
 * runs `horizon` steps with no outside input (layer 0 sees only its state; layer l > 0
 * sees forecaster layer l-1's h_t).
 * Head: a 1x1 convolution over the forecaster's hidden states of all layers
 * (concatenated) gives each step's C output maps:  y_s = sum_l V^l * h_s^l + v.
 *
 * Skip path (skip = K' > 0): a linear K' x K' convolution S of the last input step's
 * maps (counts and context, full resolution) is added to every output step,
 *     y_s += S * x_L,
 * so with the context's multi-scale average maps the model contains a log-linear
 * (Poisson GLM) forecast and the recurrent part learns what it misses. S starts at
 * zero. Parameter: skip.w [C][C + context][K'][K'].
 *
 * convlstm-ae (down = 2 or 4): for larger grids, a strided-convolution encoder
 * (3x3, stride 2, ReLU, once per factor 2) maps the C input maps to F feature maps at
 * 1/down resolution; the encoder-forecaster runs there on F channels; a decoder of
 * transposed convolutions (4x4, stride 2, ReLU) brings its output back to full
 * resolution, and a 1x1 convolution gives the C output maps. Any H and W: each encoder
 * stage takes n cells to ceil(n / 2) (its zero padding covers the odd last row), so the
 * core is ceil(H / down) x ceil(W / down), the decoder returns down times that, and its
 * maps are cropped to H x W before the head (the padding's gradient is zero).
 * Extra parameters: ae.enc<i>.w/.b, ae.dec<i>.w/.b, ae.head.w/.b.
 *
 * Layouts are time-major: x [steps][batch][C + context][H][W], y [horizon][batch][C][H][W]
 * (steps: every bin of the window for the ConvLSTM, the lags ST-ResNet reads for it,
 * cc_model_input_steps).
 * Parameters, gradients and activations are arenas (kernels/arena.h); parameter names:
 * enc<l>.wx [4Hd][Cin][K][K], enc<l>.wh [4Hd][Hd][K][K], enc<l>.b [4Hd],
 * enc<l>.peep [3][Hd][H][W] (with peepholes), the same with fc<l> (fc0 has no wx),
 * head<l>.w [C][Hd][1][1], head.b [C]. Gate order i, f, g, o. */
#ifndef CRIMECAST_MODELS_CONVLSTM_H
#define CRIMECAST_MODELS_CONVLSTM_H

#include <stddef.h>

#include "kernels/arena.h"
#include "kernels/ops.h"
#include "models/st_resnet.h"

enum { CC_MAX_LAYERS = 4 };

typedef struct cc_convlstm_config {
    int channels;               /* C: input and output maps */
    int height, width;
    int layers;
    int hidden[CC_MAX_LAYERS];
    int kernel;                 /* odd; 'same' padding */
    int window, horizon;
    int peephole;
    int down;                   /* 1: plain convlstm; 2 or 4: convlstm-ae */
    int features;               /* F, the convlstm-ae's feature maps (down > 1) */
    int baseline_k;             /* > 0: the outputs are corrections to a historical-average
                                   log-rate (models/train.h); the network itself ignores it */
    int context;                /* extra input maps per step after the C count maps
                                   (models/dataset.h: cc_context_maps); outputs stay C */
    int skip;                   /* 0: none; else the odd kernel size of the linear skip path
                                   from the last input step to every output (see above) */
    /* The next two say what the context maps are, for the sample pipeline
     * (models/dataset.h) and the model file; the network does not read them. */
    int recency;                /* recency maps per channel among the context maps
                                   (cc_context_maps' r: 0, or up to the tensor's R) */
    int gated;                  /* 1: the level-gated ratio maps among the context maps
                                   (cc_context_maps' gated); 2: the same maps, held out of
                                   the recurrent network (skip_only = cc_gated_maps(C)) */
    int skip_only;              /* the last `skip_only` input maps of every step reach the
                                   outputs through the skip path only: the recurrent
                                   network's input weights on them start at zero and stay
                                   there (train's --level-gate skip) */
    double baseline_sigma;      /* > 0: the historical average (baseline_k) smoothed in
                                   space first, a Gaussian of this many cells
                                   (models/dataset.h); 0: each cell's own. Last, so that
                                   positional initialisers of the fields above still hold */
    int covariates;             /* the first `covariates` of the context maps are the
                                   tensor's covariate input maps (models/covariate_inputs.h);
                                   the rest are cc_context_maps' (or none) */
    /* The architecture: CC_ARCH_CONVLSTM (the above), or CC_ARCH_ST_RESNET
     * (models/st_resnet.h: layers, hidden, kernel, peephole and down unused; features is
     * its filters; window = cc_st_window, horizon 1). */
    int arch;
    int closeness, period, trend;   /* ST-ResNet: frames of each branch */
    int period_lag, trend_lag;      /* ST-ResNet: bins between the period, trend frames */
    int resunits;                   /* ST-ResNet: residual units per branch */
} cc_convlstm_config;

typedef struct cc_convlstm_params {     /* offsets into the parameter (and gradient) arena */
    size_t wx, wh, bias, peep;          /* wx, peep: (size_t)-1 when absent */
} cc_convlstm_params;

typedef struct cc_convlstm_acts {       /* offsets into the activation arena */
    size_t gates, c, h, dh, dgates;     /* [steps][batch][...] */
    size_t dc_carry;                    /* encoder: gradient into the last c from the forecaster */
} cc_convlstm_acts;

enum { CC_MAX_STAGES = 2 };

typedef struct cc_convlstm {
    cc_convlstm_config cfg;
    int batch;
    int core_channels, core_height, core_width;   /* where the recurrence runs */
    int core_inputs;                              /* maps entering the first layer */
    int stages;                                   /* log2(down) */
    size_t ae_enc_w[CC_MAX_STAGES], ae_enc_b[CC_MAX_STAGES], ae_dec_w[CC_MAX_STAGES], ae_dec_b[CC_MAX_STAGES];
    size_t ae_head_w, ae_head_b;
    size_t ae_enc_out[CC_MAX_STAGES], ae_enc_d[CC_MAX_STAGES];  /* activations, their gradients */
    size_t ae_dec_out[CC_MAX_STAGES], ae_dec_d[CC_MAX_STAGES];
    size_t core_out, core_dout;
    size_t ae_crop, ae_crop_d;          /* the decoder's output cropped to the grid, and its
                                           gradient; (size_t)-1 unless the grid was padded */
    cc_arena params, grads, acts;
    cc_convlstm_params enc[CC_MAX_LAYERS], fc[CC_MAX_LAYERS];
    size_t head_w[CC_MAX_LAYERS], head_b;
    size_t skip_w;                      /* (size_t)-1 without a skip path */
    cc_convlstm_acts enc_act[CC_MAX_LAYERS], fc_act[CC_MAX_LAYERS];
    size_t zeros, dh_rec, dc;           /* [batch][max hidden][H][W] scratch */
    cc_st_resnet st;                    /* ST-ResNet (cfg.arch): its shape and offsets */
    float *workspace;                   /* grown to workspace_per_thread x threads */
    size_t workspace_floats, workspace_per_thread;
} cc_convlstm;

/* Checks the config, plans the arenas for `batch`, allocates them and initialises the
 * weights from `seed` (uniform +-1/sqrt(fan-in), forget-gate bias 1). 0 or -1 with err. */
int cc_convlstm_create(cc_convlstm *m, const cc_convlstm_config *cfg, int batch, unsigned seed, char *err,
                       size_t err_len);
void cc_convlstm_free(cc_convlstm *m);

/* The lags of its window a model reads (models/sample_lags.h): none held (every bin) for
 * the ConvLSTM, cc_st_lags for ST-ResNet; x's steps, and the floats of x and y for a
 * batch of n samples. */
cc_lags cc_model_lags(const cc_convlstm_config *c);
int cc_model_input_steps(const cc_convlstm_config *c);
size_t cc_model_input_floats(const cc_convlstm_config *c, int n);
size_t cc_model_output_floats(const cc_convlstm_config *c, int n);

/* A side of n cells after `stages` convlstm-ae encoder stages: ceil(n / 2) per stage. */
int cc_convlstm_encoded_size(int n, int stages);

/* The floats a model of `cfg` takes at `batch`, measured from its planned layout without
 * allocating it: the parameter arena (gradients and each optimiser moment are as many),
 * the activation arena, the convolutions' im2col workspace of one thread, and the most
 * scratch one image of a convolution takes through oneDNN on the CPU. */
typedef struct cc_convlstm_size {
    size_t params, acts, workspace, onednn_image;
} cc_convlstm_size;
/* 0, or -1 with err (the config refused, as cc_convlstm_create would). */
int cc_convlstm_measure(const cc_convlstm_config *cfg, int batch, cc_convlstm_size *out, char *err, size_t err_len);

/* Offset of the bias of the layer that produces the outputs (head.b, or ae.head.b). */
size_t cc_convlstm_output_bias(const cc_convlstm *m);

/* Re-plans the activations for another batch size (parameters are kept), on the
 * model's device when it has moved to one, zeroed, in the allocation they have when it
 * is large enough. 0, or -1 out of memory: the model then has no activations (its batch
 * 0) and must not run until a call succeeds. */
int cc_convlstm_set_batch(cc_convlstm *m, int batch);

/* cc_convlstm_create, the model then on a GPU when `device` is not NULL (kernels/arena.h):
 * the parameters and gradients copied there, the activations allocated and zeroed there
 * (at 150 m 0.8 GiB at batch 8, about 0.3 s of fresh host pages and a copy, for a GPU
 * that zeroes them in a millisecond). From then on the model runs with a CUDA context on
 * that state, and x, y, dy are device pointers; read the parameters back with
 * cc_arena_copy_out. 0, or -1 with err (no CUDA in this build). */
int cc_convlstm_create_on(cc_convlstm *m, const cc_convlstm_config *cfg, int batch, unsigned seed,
                          struct cc_cuda_state *device, char *err, size_t err_len);

/* y = model(x). */
void cc_convlstm_forward(cc_convlstm *m, const cc_ops_context *ctx, const float *x, float *y);

/* Adds dL/dparams into m->grads, given dy = dL/dy, after cc_convlstm_forward(x). */
void cc_convlstm_backward(cc_convlstm *m, const cc_ops_context *ctx, const float *x, const float *dy);

/* The two terms of y = model(x) apart: `network` the recurrent network's output (the
 * head, or the convlstm-ae's decoder and head, biases included) and `skip` the skip
 * path's S * x_L (zeros without one), so y = network + skip; both like y. The model's
 * activations then hold this forward pass (states, gates), as after cc_convlstm_forward. */
void cc_convlstm_forward_parts(cc_convlstm *m, const cc_ops_context *ctx, const float *x, float *network, float *skip);

/* cc_convlstm_backward, and also dx = dL/dx (written, like x): the gradient of the
 * outputs' loss with respect to every input map of every step (saliency). */
void cc_convlstm_backward_input(cc_convlstm *m, const cc_ops_context *ctx, const float *x, const float *dy, float *dx);

#endif
