/* Training, as `crimecast train`, `tune` and `demo` all run it: one request, whose option
 * table (CC_TRAIN_SPEC) is train's command line, the one place of training's defaults,
 * and the keys of a training configuration file (host/train_config.h). */
#ifndef CRIMECAST_HOST_RUN_TRAIN_H
#define CRIMECAST_HOST_RUN_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "host/device_options.h"
#include "host/options.h"
#include "host/train_config.h"
#include "models/collective.h"
#include "models/convlstm.h"
#include "models/train_step.h"

typedef struct cc_train_request {
    const char *data, *out;           /* the tensor file; the model file written */
    const char *model;                /* convlstm, convlstm-ae or st-resnet */
    const char *resume;               /* a model file whose training continues, or NULL */
    const char *config;               /* --config FILE: read by the command line before the rest */
    const char *test_from;            /* the test span's first date, or NULL for 70/15/15 */
    const char *loss;                 /* poisson or mse */
    const char *baseline;             /* K, auto or none: the historical average corrected */
    const char *context, *recency;    /* on or off */
    const char *covariates;           /* on or off: the tensor file's covariates as input maps */
    const char *level_gate;           /* on, off or skip */
    const char *down;                 /* convlstm-ae: 2 or 4 */
    int layers;                       /* 0: as many as hidden lists, else 2 */
    int hidden[CC_MAX_LAYERS], hidden_count; /* 0 values: 16 each */
    int kernel, window, horizon, skip, features, peephole;
    int closeness, period, trend, resunits;       /* st-resnet: frames per branch, residual units */
    cc_optional_int period_lag, trend_lag;        /* st-resnet: bins apart (if not given: by the bin) */
    int batch, epochs, patience;      /* epochs, patience 0: by the tensor (models/train.h) */
    int seed, seeds;
    double lr, weight_decay, clip;
    double baseline_sigma;            /* --baseline-smooth, cells */
    double memory;                    /* bytes the run may take where it works; 0: auto */
    const char *gather;               /* auto, resident or host: where batches are assembled */
    cc_device_request device;
    /* Set by the command line when mpirun started it (host/mpi_world.h), not an option:
     * data-parallel training over the ranks; rank 0 alone prints and writes. NULL: one process. */
    const cc_collective *collective;
    /* Set with it (or by tune under mpirun): this process's index among the ranks on its
     * machine; on GPUs it takes GPU local_rank mod their number (one rank per GPU). */
    int local_rank;
    int local_size; /* the ranks on its machine (0 or 1: alone): with --threads 0 each takes its share of the cores */
    /* Set by tune under mpirun: other ranks train their own models beside this one, so
     * --gather auto keeps to the host's gather on the CPU, as under a collective. */
    int beside_others;
    /* Set by the command line in one process (not an option): a flag its Ctrl-C handler
     * sets. Training stops before its next step, writes nothing more, and the run fails
     * with what the model file holds and the command that resumes it. NULL: none. */
    const volatile sig_atomic_t *stop;
    /* Set by tune (not an option): the test span is never scored, not even for the log;
     * a finished member reports its best epoch and validation loss alone. */
    int validation_only;
    /* Set by the command line (not an option): --recency on was given, on the line or in
     * --config, so a tensor without recency maps is warned of (taken silently otherwise). */
    int recency_asked;
} cc_train_request;

extern const cc_command_spec CC_TRAIN_SPEC;

/* Whether train --resume uses option `row` of CC_TRAIN_SPEC: only where the run works
 * and how long (--data, --out, --epochs, --memory, --gather, the device's); the network,
 * the optimiser, the split and the members are the model file's. */
int cc_train_resume_uses(const cc_option *row);

/* Whether the request's --model reads option `row` (cc_option_used): an option whose help
 * starts by naming models ("convlstm-ae: ...; st-resnet: ...") is read by those alone,
 * and st-resnet reads none of the ConvLSTM's shape (--window, --hidden, --layers,
 * --kernel, --peephole). */
int cc_train_model_uses(const cc_option *row, const void *request);

/* Train's defaults (the table's). */
void cc_train_request_defaults(cc_train_request *request);

/* Sets every option of a training configuration as the command line would (the
 * request's texts then point into `config`, which must outlive it). 0, or -1 with why
 * naming the option. */
int cc_train_request_configure(cc_train_request *request, const cc_train_config *config, char *why, size_t why_len);

/* What a finished run reports besides its model file: the last member's best epoch and
 * its validation loss (the model file's best_epoch and best_val). */
typedef struct cc_train_outcome {
    int best_epoch;
    double best_val;
    int file_unwritten;     /* the model file could not be written (a full disk): the
                               machine's failure, not the options' (tune stops on it) */
    int resume_unreadable;  /* the --resume file could not be read (damaged, not a model
                               file, or no memory to read it into): the file's or the
                               machine's failure, not the options' (tune stops on it) */
} cc_train_outcome;

/* Trains (or resumes) as the request says, writing the model file after every
 * improvement and at the end, and the epochs' report to `out`. outcome may be NULL.
 * 0, or -1 with err. */
int cc_run_train(const cc_train_request *request, FILE *out, cc_train_outcome *outcome, char *err, size_t err_len);

/* A model file already at --out (not a --resume): said on stderr with what it holds, since
 * the run replaces it at its first saved epoch (a 5-epoch model was replaced by a 1-epoch
 * one, unsaid; a probe). Nothing is said of a file that is no readable model. */
void cc_train_note_replaced_model(const cc_train_request *request);

/* What a model is before its first step, in words for a warning that it did no better:
 * "the historical average it corrects" (a Poisson model with an offset of baseline_k
 * bins), "each channel's mean rate" (none), or "its initialisation, forecasting about
 * zero" (the mse loss). */
const char *cc_untrained_model_words(cc_loss_kind loss, int baseline_k);

/* A loss as train and tune print it: six decimals, or six digits where it has run away
 * (a diverged epoch's 1e100 was printed as a hundred digits; a probe). */
typedef struct cc_loss_text { char text[40]; } cc_loss_text;
cc_loss_text cc_loss_shown(double x);

/* Whether a validation loss is no better than the untrained model's `untrained`: not below
 * it by more than a millionth of it (float32's evaluation, not a difference; --lr 1e-12
 * printed "worse" with ten equal digits). train warns so, tune judges its winner so. */
int cc_loss_no_better(double loss, double untrained);
/* Whether it is the untrained model's to a millionth either way: training changed nothing. */
int cc_loss_unchanged(double loss, double untrained);

#endif
