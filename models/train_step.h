/* One optimiser step of a ConvLSTM, and its forward half: the same sequence of ops on
 * either backend (kernels/ops.h), so training, evaluation, prediction and the benchmark
 * run one function on the CPU and the GPU, and a test can compare the two. */
#ifndef CRIMECAST_MODELS_TRAIN_STEP_H
#define CRIMECAST_MODELS_TRAIN_STEP_H

#include <math.h>
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
 * summed first). CC_TRAIN_STEP_RANKS_FAILED (-inf: no loss is) when a sum over the ranks
 * fails (MPI or NCCL said why). */
#define CC_TRAIN_STEP_RANKS_FAILED (-HUGE_VAL)
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

/* The same step with nothing returned to the host: L goes to s->loss and is accounted
 * there (cc_step_account), the clipping norm stays on the device, and AdamW takes its t
 * from s and moves nothing once a step has gone bad (kernels/ops.h, cc_step_scalars).
 * s lives where the ops run. No collective (io->collective is ignored). The ops it queues
 * are the same on every call for the same model, batch size and buffers, so a GPU can
 * record them once as a CUDA graph (kernels/graph.h) and replay them; the host reads s
 * when it reports. Computes what cc_train_step computes, bit for bit, on either backend. */
void cc_train_step_deferred(cc_convlstm *model, const cc_ops_context *ctx, cc_loss_kind loss, const cc_adamw *opt,
                            double clip, const cc_train_step_io *io, cc_step_scalars *s);

/* Queues deferred steps of one model, batch size and set of buffers: the first as called
 * (it sizes the scratch its convolutions borrow), then, on a GPU with ctx->graphs, the
 * second recorded as a CUDA graph (kernels/graph.h) and every step from it on a replay
 * (recorded again when the scratch moved). A recording that cannot start, end or be
 * instantiated says why on stderr once and leaves the steps as called; an op that fails
 * while it is recorded ends the process naming the call, as any failed CUDA call does.
 * The caller gathers each batch into io's buffers before queuing its step. */
typedef struct cc_step_runner {
    cc_convlstm *model;
    const cc_ops_context *ctx;
    cc_loss_kind loss;
    cc_adamw opt;                 /* opt.step is unused: t comes from the scalars */
    double clip;
    const cc_train_step_io *io;
    cc_step_scalars *scalars;     /* where the ops run */
    long queued;                  /* steps queued so far */
    long replayed;                /* of them, replays of the recorded graph */
    int graphs;                   /* 1 while steps are recorded and replayed */
    struct cc_graph *graph;
} cc_step_runner;
void cc_step_runner_open(cc_step_runner *r, cc_convlstm *model, const cc_ops_context *ctx, cc_loss_kind loss,
                         const cc_adamw *opt, double clip, const cc_train_step_io *io, cc_step_scalars *scalars);
void cc_step_runner_queue(cc_step_runner *r);
/* Frees the graph (the model's buffers may change after this). */
void cc_step_runner_close(cc_step_runner *r);

/* The step's forward half: io->out = r = f(x) + log_offset; then (cc_forward_loss) the
 * loss L, returned, with dL/dr in io->d. */
void cc_forward_rates(cc_convlstm *model, const cc_ops_context *ctx, const cc_train_step_io *io);
double cc_forward_loss(cc_convlstm *model, const cc_ops_context *ctx, cc_loss_kind loss, const cc_train_step_io *io);

#endif
