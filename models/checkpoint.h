/* Model files (HDF5, `crimecast train`), the one place that defines their layout:
 *
 *   root attributes: format = "crimecast-model", format_version = 1, model =
 *     "convlstm", "convlstm-ae" or "st-resnet", down, features, closeness, period,
 *     trend, period_lag, trend_lag, resunits (ST-ResNet's; absent before it: 0),
 *     gate_order = "ifgo", loss,
 *     channels, height, width, layers,
 *     hidden (int list), kernel, window, horizon, peephole, baseline_k and context (0 in files
 *     written before it existed), training options (lr,
 *     weight_decay, clip, batch, epochs (absent before 2026-12: train's default length),
 *     patience, seed), epochs_done, step, best_epoch,
 *     best_val, target_spans (first and end target bins of train, validation, test:
 *     models/dataset.h) with split_protocol = "rolling-origin", and the tensor's grid:
 *     city, crs, cell_size_m, x0, y0, bin, first_bin, last_bin, T; tensor_digest (16 hex
 *     digits of what training read of the tensor: train --resume refuses other data under
 *     the same bins; absent before 2026-12-06).
 *     Files written before rolling origin have no target_spans but split (begin and end
 *     bins of the three spans of whole samples, and the gap between them); they are read
 *     as the target spans they forecast, cc_split.gapped set.
 *   /category           the tensor's channels (UTF-8 strings)
 *   /norm/scale         float32 [C] normalisation scales
 *   /params/<name>      float32, each with its shape (names: models/convlstm.h)
 *   /optim/m/<name>, /optim/v/<name>   AdamW moments
 *   /history/train_loss, /history/val_loss   float64 [epochs_done]
 *
 * A seed ensemble (`crimecast train --seeds N`) is one file: the root model above is the
 * member in training (or the last one), with root attributes members = N (absent in
 * older files: 1) and members_finished = k; the k members trained before it (seeds
 * seed - k .. seed - 1) are under
 *   /ensemble/<i>/params/<name>    their best parameters, the root's layout
 *   /ensemble/<i> attributes       seed, best_epoch, best_val
 * The root member with epochs_done = 0 has not been trained yet (its parameters are its
 * initialisation) and is not part of the forecast.
 *
 * Written under a temporary name and renamed. Parameters round-trip bit for bit. */
#ifndef CRIMECAST_MODELS_CHECKPOINT_H
#define CRIMECAST_MODELS_CHECKPOINT_H

#include <stddef.h>

#include "heatmaps/tensor.h"
#include "models/covariate_inputs.h"
#include "models/train.h"

#define CC_MODEL_FORMAT "crimecast-model"
#define CC_MODEL_FORMAT_VERSION 1
#define CC_SPLIT_PROTOCOL "rolling-origin"

enum { CC_MAX_MEMBERS = 16 };

/* A finished member of a seed ensemble. */
typedef struct cc_member {
    unsigned seed;
    int best_epoch;
    double best_val;
    float *params;                /* the model's parameter arena (its size and layout) */
} cc_member;

typedef struct cc_model_info {
    cc_convlstm_config config;
    cc_loss_kind loss;
    cc_train_options options;     /* callbacks unused */
    cc_split split;
    float *scale;                 /* [C] */
    cc_covariate_norm covariates; /* the covariates the model reads and their standardisation
                                     (config.covariates > 0) */
    int static_covariates;        /* trained with --covariates static: its forecasts are named +static */
    cc_tensor grid;               /* metadata only: C, H, W, categories, city, crs, x0, y0, cell, bin; T */
    char first_bin[11], last_bin[11];
    char tensor_digest[17];       /* what training read of the tensor, as 16 hex digits (the
                                     caller's digest; train --resume compares it); "" in files
                                     written before it was kept */
    int epochs_done;              /* the root member's (0: untrained) */
    int members;                  /* members the run trains, >= 1 (train --seeds) */
    int finished;                 /* members trained before the root's, in member[] */
    cc_member member[CC_MAX_MEMBERS - 1];
} cc_model_info;

/* Writes the model (its current parameters) with the training state and the grid of
 * tensor `t`. 0 or -1 with `err`. */
int cc_checkpoint_write(const char *path, const cc_convlstm *model, const cc_train_state *state,
                        const cc_model_info *info, char *err, size_t err_len);

/* Reads a model file: creates `model` (for `batch`) with the stored parameters, and
 * fills `info` and, when `state` is not NULL, the training state (moments, history).
 * 0 or -1 with `err`. */
int cc_checkpoint_read(const char *path, int batch, cc_convlstm *model, cc_model_info *info,
                       cc_train_state *state, char *err, size_t err_len);

void cc_model_info_free(cc_model_info *info);

/* The model attribute of a config: "convlstm", "convlstm-ae" or "st-resnet". */
const char *cc_model_arch_name(const cc_convlstm_config *c);

/* Members a forecast averages: the finished ones, plus the root's once trained. */
int cc_model_forecast_members(const cc_model_info *info);

/* 0 when the tensor has the model's channels, by name and in order; else -1 with both
 * lists in err. */
int cc_model_same_channels(const cc_model_info *info, const cc_tensor *t, char *err, size_t err_len);

/* 0 when the tensor has the model's grid, city (when both name one) and channels (and the
 * recency maps it reads), else -1 with the difference. */
int cc_model_matches_tensor(const cc_model_info *info, const cc_tensor *t, char *err, size_t err_len);

/* 0 when the tensor has the very bins the model was trained on (their number, first and
 * last: the split's spans are indices into them), else -1 with both ranges: resuming the
 * training or forecasting a span of it on another raster would read other weeks as the
 * same ones (or past the tensor's end). A file that records no dates is compared by T. */
int cc_model_same_bins(const cc_model_info *info, const cc_tensor *t, char *err, size_t err_len);

#endif
