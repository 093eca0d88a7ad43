/* One forecast looked into (crimecast inspect): the network's input window, the terms of
 * its output, and the gradient of the forecast with respect to every input.
 *
 * For the sample whose first input bin is `start` (target tau = start + lead), on the
 * CPU at batch 1:
 *   log-rate r = b + n + s       b the baseline offset (the historical-average log-rate,
 *                                models/train.h; 0 without one), n the recurrent network's
 *                                output (cc_convlstm_forward_parts' `network`), s the skip
 *                                path's S * x_L;
 *   forecast  lambda = exp(r)    (Poisson; a model trained with MSE: expm1(r scale_c),
 *                                and b = 0), clipped at 0 as predict does.
 * The saliency follows one number, the forecast F = sum of lambda over the cells chosen
 * (every cell of the mask, or one cell) of one category at the target (the last output
 * step): saliency = dF/dx, x the network's inputs [steps][maps][H][W] (normalised
 * log1p counts, then the covariate and context maps), by backpropagation through the
 * whole network (cc_convlstm_backward_input).
 *
 * A what-if: `nudge` adds `delta` to one input (step, map, cell) before the forecast, so
 * the forecast's change can be set beside the saliency (a finite difference). */
#ifndef CRIMECAST_MODELS_INSPECT_H
#define CRIMECAST_MODELS_INSPECT_H

#include <stddef.h>

#include "heatmaps/tensor.h"
#include "models/convlstm.h"
#include "models/train_step.h"

typedef struct cc_inspect_request {
    int start;          /* the sample's first input bin */
    int category;       /* the channel F follows */
    int cell;           /* -1: every cell of the mask; else row * W + column */
    struct {
        int step, map, cell;
        double delta;   /* 0: no nudge */
    } nudge;
} cc_inspect_request;

typedef struct cc_inspection {
    int steps, horizon, maps, C, H, W;  /* steps: x's (every bin of the window, or the
                                           lags the model reads: cc_model_input_steps) */
    int *bin;           /* [steps] the tensor bin of each input step */
    float *x;           /* [steps][maps][H][W] the inputs (nudged) */
    float *saliency;    /* [steps][maps][H][W] dF/dx */
    float *baseline, *network, *skip, *forecast;   /* [horizon][C][H][W] */
    double objective;   /* F */
} cc_inspection;

/* Runs the forecast and the saliency on model m (batch 1 on the CPU; its activations then
 * hold this forward pass: cc_inspect_state reads them). scale: the normalisation of the
 * model file. 0, or -1 with err (out of memory, a request outside the tensor). */
int cc_inspect(cc_convlstm *m, const cc_ops_context *ctx, const cc_tensor *t, const float *scale, cc_loss_kind loss,
               const cc_inspect_request *r, cc_inspection *out, char *err, size_t err_len);
void cc_inspection_free(cc_inspection *in);

/* What a layer holds at a step: its states and its four gates' activations (i, f, o
 * sigmoids, g tanh), each [hidden][core H][core W]. */
typedef enum { CC_STATE_H, CC_STATE_C, CC_GATE_I, CC_GATE_F, CC_GATE_G, CC_GATE_O, CC_STATE_KINDS } cc_state_kind;
const char *cc_state_kind_name(cc_state_kind kind);    /* "h", "c", "i", "f", "g", "o" */

/* The recurrent layers whose states there are to show: the ConvLSTM's, none in ST-ResNet. */
int cc_inspect_layers(const cc_convlstm *m);

/* stack 0: the encoder (steps 0..window-1), 1: the forecaster (0..horizon-1). */
const float *cc_inspect_state(const cc_convlstm *m, int stack, int layer, int step, cc_state_kind kind);

/* Statistics of one kind of one layer over its steps and the cells of `core_mask`
 * (the mask at the core resolution, cc_inspect_core_mask): the mean; the share
 * saturated (sigmoid gates below 0.05 or above 0.95, g, h and tanh(c) beyond +-0.95);
 * for h, the units dead in this forecast (|h| < 1e-3 at every step and cell). */
typedef struct cc_state_stats {
    double mean, saturated;
    int dead_units;
} cc_state_stats;
cc_state_stats cc_inspect_stats(const cc_convlstm *m, int stack, int layer, cc_state_kind kind, const uint8_t *core_mask);

/* The mask at the resolution the recurrence runs (a core cell counts when any of its
 * down x down cells does); [core H][core W], malloc'd, or NULL. */
uint8_t *cc_inspect_core_mask(const cc_convlstm *m, const uint8_t *mask);

#endif
