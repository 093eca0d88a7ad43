/* Training, evaluation and prediction of a ConvLSTM on a tensor.
 *
 * The model reads normalised inputs (models/dataset.h) and outputs, per target bin and
 * channel, either a log-rate (Poisson loss: expected count = exp(output)) or the
 * normalised target (MSE: expected count = expm1(output * scale)). Losses are masked
 * by the tensor's mask. Training shuffles the training samples every epoch (seeded),
 * steps AdamW over the whole parameter arena after global-norm clipping, measures the
 * validation loss after each epoch, keeps the best parameters and stops after
 * `patience` epochs without improvement. A NaN or Inf loss stops it with an error
 * naming the epoch and batch. Deterministic for a given seed. */
#ifndef CRIMECAST_MODELS_TRAIN_H
#define CRIMECAST_MODELS_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "heatmaps/tensor.h"
#include "kernels/arena.h"
#include "models/convlstm.h"
#include "models/dataset.h"
#include "models/train_step.h"
#include "models/window_tables.h"

enum { CC_MAX_EPOCHS = 1000 };

typedef struct cc_train_options {
    int epochs, patience, batch;
    double lr, weight_decay, clip;
    unsigned seed;
    cc_loss_kind loss;
    /* Progress: after each batch, and after each epoch (improved: a new best). */
    void (*on_batch)(void *context, int epoch, int batch, int batches, double loss, double samples_per_s);
    /* Returns non-zero to abort (e.g. the checkpoint could not be written). */
    int (*on_epoch)(void *context, int epoch, double train_loss, double val_loss, int improved);
    void *context;
    /* Data parallel over N processes (models/collective.h; NULL: one): every rank walks the
     * same shuffled order and takes its share of each global batch of `batch` samples
     * (batch >= N), the step's loss and gradients summed over the ranks (train_step.h);
     * the validation samples are split over the ranks and their losses summed. Every rank
     * ends with the same parameters, those of one process to rounding. */
    const cc_collective *collective;
    /* 1: batches are assembled where the ops run from per-bin tables built once
     * (models/window_tables.h: GPU-first, nothing crosses from the host inside an epoch;
     * cc_window_tables_bytes more memory there); 0: each batch gathered on the host (and
     * uploaded to a GPU). The same batches either way, bit for bit. */
    int resident;
    /* With resident: tables the caller built (cc_train_open_window_tables) and shares
     * between runs on the same tensor and config, e.g. the members of a seed ensemble;
     * NULL: cc_train builds its own and frees them at its end. */
    struct cc_window_tables *tables;
    /* NULL, or a flag (set by a signal handler) read before every step of one process
     * (not under a collective: ranks would stop at different steps): once non-zero,
     * cc_train stops at once and returns 1. The state is then partway through an epoch,
     * not one to write; a resume starts from the last file written. */
    const volatile sig_atomic_t *stop;
} cc_train_options;

/* What training carries from epoch to epoch, and what a checkpoint stores. */
typedef struct cc_train_state {
    int epochs_done;          /* epochs finished (also after a resume) */
    long step;                /* optimiser steps taken */
    long replayed;            /* of them, steps replayed from a CUDA graph (ctx->graphs; not stored) */
    int best_epoch;           /* 1-based; 0 before the first */
    double best_val;
    double untrained_val;     /* the validation loss before the first step: the model as
                                 initialised (the historical average it corrects, or the
                                 mean rate); NAN when not measured (files of older
                                 versions); stored, so that a resumed run warns as
                                 the uninterrupted one */
    double train_loss[CC_MAX_EPOCHS], val_loss[CC_MAX_EPOCHS];
    cc_arena m, v;            /* AdamW moments, the parameter layout */
    cc_arena best, best_m, best_v;  /* the best epoch's parameters and moments */
} cc_train_state;

/* Training length when the user gives none: 20 epochs with patience 5, stretched on a
 * small tensor so that training takes at least CC_MIN_TRAIN_STEPS optimiser steps and
 * waits at least CC_MIN_PATIENCE_STEPS steps for an improvement. An epoch of London's
 * monthly tensor is 4 steps: 20 epochs left it near its initialisation and the
 * validation loss chose epoch 1 for some seeds (bench/RESULTS.md, issue 9). */
enum { CC_DEFAULT_EPOCHS = 20, CC_DEFAULT_PATIENCE = 5, CC_MIN_TRAIN_STEPS = 250, CC_MIN_PATIENCE_STEPS = 60 };
void cc_train_default_length(int batches_per_epoch, int *epochs, int *patience);

/* What a sample of a model of config c holds (models/dataset.h): its window and the lags
 * of it the model reads, horizon, covariate input maps and context maps, as training,
 * evaluation and prediction gather them. */
cc_sample_spec cc_model_sample_spec(const cc_convlstm_config *c);

/* What the resident windows of a model of config c, trained with `loss`, hold. */
cc_window_tables_spec cc_train_window_tables_spec(const cc_convlstm_config *c, cc_loss_kind loss);
/* The resident windows cc_train would build for `model` with options o, to share through
 * o->tables (closed by the caller with cc_window_tables_close). 0, or -1 with err. */
int cc_train_open_window_tables(cc_window_tables *w, const cc_ops_context *ctx, const cc_tensor *t,
                                const float *scale, const cc_convlstm *model, const cc_train_options *o, char *err,
                                size_t err_len);

/* Allocates the state's arenas for `model` (zeroed moments, best = current params). */
int cc_train_state_init(cc_train_state *state, const cc_convlstm *model);
void cc_train_state_free(cc_train_state *state);

/* Sets the output layer's bias (head.b, ae.head.b, ST-ResNet's) to the log of each
 * channel's mean count over the training span (Poisson), so an untrained model predicts
 * about the average rate (times what the head's small random weights add). A model with
 * cfg.baseline_k > 0 predicts log rate = log(historical average of the last k bins at
 * the forecast origin, models/dataset.h) + network output: its output layer is zeroed
 * instead, so untrained it IS the historical average and training learns deviations
 * from it (Poisson loss only). */
void cc_train_init_head(cc_convlstm *model, const cc_tensor *t, const cc_split *split);

/* Trains from state->epochs_done on; on return the model holds the best parameters.
 * Returns 0; 1 when options->stop stopped it; or -1 with `err` (NaN/Inf loss, or
 * on_epoch asked to stop). */
int cc_train(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
             const float *scale, const cc_train_options *options, cc_train_state *state, char *err,
             size_t err_len);

/* Mean loss over a span's samples. */
double cc_evaluate(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                   cc_span span, const float *scale, cc_loss_kind loss, int batch);
/* The same, the batches assembled from `tables` (the run's resident windows, built for
 * this model with cc_train_open_window_tables, batches of at most their batch) where the
 * ops run instead of gathered on the host: the same bits, without the host's gather (at
 * 150 m seconds a batch) and upload. NULL tables, or tables of the other loss (their
 * targets normalised or not): cc_evaluate. */
double cc_evaluate_from(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                        cc_span span, const float *scale, cc_loss_kind loss, int batch, cc_window_tables *tables);

/* Expected counts for samples starting at starts[0..n): out [n][horizon][C][H][W]. A
 * window may end at the tensor's last bin (start = T - window): its forecast is of the
 * bins after the data (cc_gather_batch).
 * 0, or -1 with err when its buffers (or the model's copy on the GPU) cannot be made;
 * out is then not written. */
int cc_predict(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const float *scale,
               cc_loss_kind loss, const int *starts, int n, int batch, float *out, char *err, size_t err_len);

#endif
