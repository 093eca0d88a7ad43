/* One optimiser step of a ConvLSTM, and its forward half: the same sequence of ops on
 * either backend (kernels/ops.h), so training, evaluation, prediction and the benchmark
 * run one function on the CPU and the GPU, and a test can compare the two. */
#ifndef CRIMECAST_MODELS_TRAIN_STEP_H
#define CRIMECAST_MODELS_TRAIN_STEP_H

#include <stdint.h>

#include "kernels/ops.h"
#include "models/collective.h"
#include "models/convlstm.h"

/* What the outputs are: log-rates under a Poisson loss, or normalised log1p counts under
 * MSE (models/train.h). */
typedef enum { CC_LOSS_POISSON, CC_LOSS_MSE } cc_loss_kind;

const char *cc_loss_name(cc_loss_kind loss);
int cc_loss_parse(const char *name, cc_loss_kind *loss);

/* One training step on a gathered batch, on whichever device the model and the buffers
 * live (all host, or all device pointers with a CUDA context):
 *     r = f(x) + log_offset,   L = loss(r, target; mask),   g = dL/dparams,
 *     g <- clip(g, clip) (clip > 0),   params, m, v <- AdamW(params, g, m, v; opt).
 * The batch is the model's (cc_convlstm_set_batch). Returns L; when L is not finite the
 * step stops there, before the gradients and parameters change (on every rank alike: L is
 * summed first). NAN also when a collective fails. */
typedef struct cc_train_step_io {
    const float *x;           /* [window][batch][C + context][H][W], normalised inputs */
    const float *target;      /* [horizon][batch][C][H][W]: counts (Poisson) or normalised
                                 log1p counts (MSE) */
    const uint8_t *mask;      /* [H][W] cells that count, or NULL for all */
    const float *log_offset;  /* like target: the baseline log-rate added to f(x), or NULL */
    float *out, *d;           /* like target: the log-rates r and dL/dr (written) */
    float *adam_m, *adam_v;   /* AdamW moments, the parameter layout */
    /* Data parallel (NULL: one process): this rank's batch is `share` of the global one;
     * the loss and the gradients are weighted by it and summed over the ranks before the
     * clipping and the update, so every rank takes the step one process would take on the
     * whole batch (to rounding). CPU buffers only. */
    const cc_collective *collective;
    double share;
} cc_train_step_io;
double cc_train_step(cc_convlstm *model, const cc_ops_context *ctx, cc_loss_kind loss, const cc_adamw *opt,
                     double clip, const cc_train_step_io *io);
/* The step's forward half: io->out = r = f(x) + log_offset; then (cc_forward_loss) the
 * loss L, returned, with dL/dr in io->d. */
void cc_forward_rates(cc_convlstm *model, const cc_ops_context *ctx, const cc_train_step_io *io);
double cc_forward_loss(cc_convlstm *model, const cc_ops_context *ctx, cc_loss_kind loss, const cc_train_step_io *io);

#endif
