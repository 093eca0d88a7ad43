/* host/run_train.h: train's option table, and a training run from tensor file to model
 * file (seed ensembles, resuming), on the CPU or the GPU. */
#include "host/run_train.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/datetime.h"
#include "crawler/same_file.h"
#include "crawler/whole_file.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/tensor_file.h"
#include "host/defaults.h"
#include "host/forecast_span.h"
#include "host/memory_budget.h"
#include "host/progress.h"
#include "host/run_eval.h"
#include "host/rank_agreement.h"
#include "host/shell_word.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"
#include "models/baselines.h"
#include "models/checkpoint.h"
#include "models/memory_plan.h"

enum { DEFAULT_LAYERS = 2, DEFAULT_HIDDEN = 16 };

/* --hidden 16,16: channels per layer, 1-1024 each, at most CC_MAX_LAYERS. */
static int parse_hidden(const char *text, void *field, char *why, size_t why_len) {
    static const cc_number_list_rule rule = {.option = "hidden", .takes = "channels per layer, e.g. 64,64",
                                             .min = 1, .max = 1024, .whole = 1, .most = CC_MAX_LAYERS};
    cc_train_request *r = (cc_train_request *)((char *)field - offsetof(cc_train_request, hidden));
    double channels[CC_MAX_LAYERS];
    int n;
    if (cc_parse_number_list(text, &rule, channels, &n, why, why_len) != 0) return -1;
    for (int l = 0; l < n; l++) r->hidden[l] = (int)channels[l];
    r->hidden_count = n;
    return 0;
}

static const cc_option TRAIN_OPTIONS[] = {
    {CC_OPTION_TEXT("data", cc_train_request, data, "TENSOR.h5", NULL, "the tensor file to learn from"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("out", cc_train_request, out, "MODEL.h5", NULL, "the model file, written whole after every "
                                                                     "improvement"),
     .required = 1, .file = CC_FILE_WRITTEN},
    {CC_OPTION_CHOICE("model", cc_train_request, model, "convlstm|convlstm-ae|st-resnet", CC_DEFAULT_MODEL,
                      "the network: a ConvLSTM, one inside a strided encoder and decoder (larger grids), or ST-ResNet")},
    {CC_OPTION_INT("layers", cc_train_request, layers, "N", NULL, 1, CC_MAX_LAYERS,
                   "ConvLSTM layers (if not given: as many as --hidden lists, else 2)")},
    {CC_OPTION_CUSTOM("hidden", cc_train_request, hidden, "LIST", NULL, parse_hidden,
                      "hidden channels per layer, e.g. 16,16 (if not given: 16 each)")},
    {CC_OPTION_INT("kernel", cc_train_request, kernel, "K", "3", 1, 15, "convolution kernel size, odd")},
    {CC_OPTION_INT("window", cc_train_request, window, "N", CC_DEFAULT_WINDOW, 1, 512, "input bins per sample")},
    {CC_OPTION_INT("horizon", cc_train_request, horizon, "N", CC_DEFAULT_HORIZON, 1, 64,
                   "bins from the forecast origin to the target")},
    {CC_OPTION_CHOICE("loss", cc_train_request, loss, "poisson|mse", "poisson",
                      "Poisson likelihood of the counts (its negative log, without the log(y!) the model "
                      "cannot change: below 0 where counts are large), or squared error of normalised log counts")},
    {CC_OPTION_TEXT("baseline", cc_train_request, baseline, "K|auto|none", "auto",
                    "the historical average of K bins the network corrects (auto: 52 weeks, 12 months or 28 days, "
                    "none with mse; none: the "
                    "network predicts the whole log-rate)")},
    {CC_OPTION_REAL("baseline-smooth", cc_train_request, baseline_sigma, "CELLS", "0", 0,
                    "the historical average smoothed in space first, inside the mask, by a Gaussian of this many "
                    "cells (at most 20; 0: each cell's own, noisy where counts are sparse)")},
    {CC_OPTION_FLAG("peephole", cc_train_request, peephole, "peephole connections in the ConvLSTM cells")},
    {CC_OPTION_CHOICE("context", cc_train_request, context, "on|off", "on",
                      "context maps on every input step: multi-scale averages, near repeats, season")},
    {CC_OPTION_CHOICE("covariates", cc_train_request, covariates, "on|off|static", "off",
                      "the tensor file's covariates (crimecast covariates) as input maps on every step: static ones, "
                      "each step's own dynamic ones, standardised, with missing-indicator maps (static: the static "
                      "ones alone, for a span the dynamic series do not reach)")},
    {CC_OPTION_CHOICE("recency", cc_train_request, recency, "on|off", "on",
                      "recency-weighted near-repeat maps, when the tensor has them")},
    {CC_OPTION_INT("skip", cc_train_request, skip, "K", "3", 0, 9,
                   "a linear KxK convolution of the last step's maps added to the output (0: none; odd)")},
    {CC_OPTION_CHOICE("level-gate", cc_train_request, level_gate, "on|off|skip", "skip",
                      "the 1-, 4- and 13-bin log ratios times log(1 + yearly rate): for the skip path only, for the "
                      "ConvLSTM too, or not at all")},
    {CC_OPTION_CHOICE("down", cc_train_request, down, "2|4", "2", "convlstm-ae: the encoder's downsampling factor")},
    {CC_OPTION_INT("features", cc_train_request, features, "F", "16", 1, 1024,
                   "convlstm-ae: feature maps; st-resnet: filters of every convolution")},
    {CC_OPTION_INT("closeness", cc_train_request, closeness, "N", "3", 0, 64, "st-resnet: the last N bins")},
    {CC_OPTION_INT("period", cc_train_request, period, "N", "1", 0, 64,
                   "st-resnet: the bins 1..N period lags before the target")},
    {CC_OPTION_INT("trend", cc_train_request, trend, "N", "1", 0, 64,
                   "st-resnet: the bins 1..N trend lags before the target")},
    {CC_OPTION_SOME_INT("period-lag", cc_train_request, period_lag, "BINS", 1, 512,
                      "st-resnet: bins between period frames (if not given: 7 days, 13 weeks, 3 months)")},
    {CC_OPTION_SOME_INT("trend-lag", cc_train_request, trend_lag, "BINS", 1, 512,
                      "st-resnet: bins between trend frames (if not given: a year, 364 days, 52 weeks, 12 months)")},
    {CC_OPTION_INT("resunits", cc_train_request, resunits, "N", "2", 0, CC_ST_MAX_UNITS,
                   "st-resnet: residual units per branch")},
    {CC_OPTION_REAL("lr", cc_train_request, lr, "RATE", "0.001", 1e-12, "AdamW's learning rate")},
    {CC_OPTION_REAL("weight-decay", cc_train_request, weight_decay, "W", "0", 0, "AdamW's decoupled weight decay")},
    {CC_OPTION_REAL("clip", cc_train_request, clip, "NORM", "1", 0, "the gradients' global norm is clipped to NORM "
                                                                      "(0: never)")},
    {CC_OPTION_INT("batch", cc_train_request, batch, "N", "16", 1, CC_MOST_BATCH,
                   "samples per optimiser step (each epoch deals the training samples, shuffled, into whole "
                   "batches: the remainder sits that epoch out)")},
    {CC_OPTION_CUSTOM("memory", cc_train_request, memory, "SIZE|auto", "auto", cc_parse_memory_option,
                      "the memory the run may take where it works (the GPU's, or the host's on the CPU), e.g. 40G "
                      "or 512M; auto: 90% of the GPU's memory, or of the host's available memory (within ulimit -v and "
                      "a container's memory limit). A run that needs "
                      "more stops before it starts, naming the largest --batch that fits")},
    {CC_OPTION_CHOICE("gather", cc_train_request, gather, "auto|resident|host", "auto",
                      "where batches are assembled: resident builds tables of every bin's input, context and target "
                      "maps once where the ops run and assembles each batch there (nothing crosses from the host "
                      "inside an epoch; the tables join the memory plan), host gathers each batch on the host and "
                      "copies it to the GPU; auto: resident on a GPU when the tables fit the budget, on the CPU when "
                      "they fit half of it in one process (a fifth faster an epoch at 150 m), else host. The same "
                      "batches either way")},
    {CC_OPTION_INT("epochs", cc_train_request, epochs, "N", NULL, 1, CC_MAX_EPOCHS,
                   "most epochs (if not given: 20, more on a small tensor: at least 250 optimiser steps)")},
    {CC_OPTION_INT("patience", cc_train_request, patience, "N", NULL, 1, CC_MAX_EPOCHS,
                   "epochs without a better validation loss before stopping (if not given: 5, at least 60 steps)")},
    {CC_OPTION_INT("seed", cc_train_request, seed, "S", CC_DEFAULT_SEED, 0, 2000000000,
                   "the seed of the initial weights and the sample order")},
    {CC_OPTION_INT("seeds", cc_train_request, seeds, "N", "1", 1, CC_MAX_MEMBERS,
                   "members of a seed ensemble, seeds S, S+1, ... in one model file")},
    {CC_OPTION_DATE("test-from", cc_train_request, test_from, NULL,
                    "the test span starts with the first bin on or after DATE (if not given: the last 15%)")},
    {CC_OPTION_TEXT("resume", cc_train_request, resume, "MODEL.h5", NULL,
                    "continue this model file's training with its own options (network, optimiser, split, members): "
                    "of those here only --data, --out, --epochs, --memory, --gather and the device's apply")},
    {CC_OPTION_TEXT("config", cc_train_request, config, "CONFIG.json", NULL,
                    "options from a file `crimecast tune` wrote; the command line overrides them"),
     .file = CC_FILE_READ},
};

/* The rules between options (usage errors). */
/* What the options alone say cannot go together (the tensor then says the rest: --baseline's
 * most bins). Usage errors, before anything is read. */
static int check_option_pairs(const cc_train_request *r, char *why, size_t why_len) {
    char *end;
    long k = strcmp(r->baseline, "none") && strcmp(r->baseline, "auto") ? strtol(r->baseline, &end, 10) : 0;
    if (strcmp(r->baseline, "none") && strcmp(r->baseline, "auto") && (*end || end == r->baseline || k < 1))
        snprintf(why, why_len, "--baseline must be K (bins, at least 1), auto or none (got '%s')", r->baseline);
    else if (k > 0 && strcmp(r->loss, "poisson") != 0)
        snprintf(why, why_len, "--baseline K corrects a Poisson log-rate: use it with --loss poisson, or --baseline none");
    else if (!strcmp(r->model, "st-resnet") && r->horizon != 1)
        snprintf(why, why_len, "--model st-resnet forecasts one bin ahead: --horizon must be 1");
    else return cc_device_request_check(&r->device, why, why_len);
    return -1;
}

static int check_request(void *request, char *why, size_t why_len) {
    const cc_train_request *r = request;
    /* a resume trains on with the file's network and says the others unused: their rules
     * do not apply (--resume m.h5 --model st-resnet --horizon 2 was refused; a probe) */
    if (r->resume) return cc_device_request_check(&r->device, why, why_len);
    int layers = r->layers ? r->layers : r->hidden_count ? r->hidden_count : DEFAULT_LAYERS;
    if (r->kernel % 2 == 0) snprintf(why, why_len, "--kernel must be odd");
    else if (r->skip % 2 == 0 && r->skip) snprintf(why, why_len, "--skip must be 0 (off) or odd (got %d)", r->skip);
    else if (r->hidden_count && r->layers && r->hidden_count != layers)
        snprintf(why, why_len, "--hidden lists %d layer%s, --layers says %d (--hidden gives one size per layer, e.g. "
                 "--hidden 16,16,16 for 3)", r->hidden_count, r->hidden_count == 1 ? "" : "s", r->layers);
    else if (r->baseline_sigma > CC_MAX_BASELINE_SIGMA)
        snprintf(why, why_len, "--baseline-smooth takes at most %d cells (got %g)", CC_MAX_BASELINE_SIGMA, r->baseline_sigma);
    else return check_option_pairs(r, why, why_len);
    return -1;
}

int cc_train_model_uses(const cc_option *row, const void *request) {
    const cc_train_request *r = request;
    /* The ConvLSTM's shape, which ST-ResNet's branches (3x3, --features, its lags) do not have. */
    static const char *const RECURRENT[] = {"window", "hidden", "layers", "kernel", "peephole"};
    for (size_t i = 0; !strcmp(r->model, "st-resnet") && i < sizeof RECURRENT / sizeof RECURRENT[0]; i++)
        if (!strcmp(row->name, RECURRENT[i])) return 0;
    static const char *const MODELS[] = {"convlstm:", "convlstm-ae:", "st-resnet:"};
    int for_some = 0;
    for (size_t i = 0; row->help && i < sizeof MODELS / sizeof MODELS[0]; i++)
        for_some |= strncmp(row->help, MODELS[i], strlen(MODELS[i])) == 0;
    if (!for_some) return 1;
    char mine[48];
    snprintf(mine, sizeof mine, "%s:", r->model);
    const char *at = strstr(row->help, mine); /* at the start, or after "; " */
    return at && (at == row->help || (at >= row->help + 2 && !strncmp(at - 2, "; ", 2)));
}

static const cc_option_group TRAIN_GROUPS[] = {
    {"options", CC_OPTION_ROWS(TRAIN_OPTIONS), 0},
    CC_DEVICE_GROUP(cc_train_request, device),
};

const cc_command_spec CC_TRAIN_SPEC = {
    .name = "train",
    .synopsis = "--data TENSOR.h5 --out MODEL.h5 [options]",
    .description =
        "Trains a ConvLSTM encoder-forecaster (Shi et al. 2015) on every channel of the tensor:\n"
        "`window` bins in, `horizon` bins out; convlstm-ae wraps it in a strided-convolution\n"
        "encoder (down x2 or x4, F feature maps) and a transposed-convolution decoder, for\n"
        "larger grids. st-resnet is ST-ResNet (Zhang et al. 2017): closeness, period and trend\n"
        "branches (the last --closeness bins; --period bins --period-lag apart; --trend bins\n"
        "--trend-lag apart) of 3x3 convolutions with --features filters and --resunits residual\n"
        "units, fused by learned per-cell weights, horizon 1, its window the longest lag; it\n"
        "keeps the options below (offset, context maps, skip path).\n\n"
        "The target bins are split chronologically, 70/15/15 (or the test span from\n"
        "--test-from), every bin of a span a target (rolling origin); inputs are log1p counts\n"
        "scaled per channel on the training span; cells outside the mask are ignored.\n\n"
        "With the Poisson loss the network learns a correction to the historical average: log\n"
        "rate = log(mean of the last K bins at the forecast origin) + network, so untrained it\n"
        "equals that average (--baseline auto: K = 52 weeks, 12 months, 28 days). --context on\n"
        "adds input maps to every step: each channel's log-average over the last year and, as\n"
        "log ratios to it, over the last 1, 4 and 13 bins and the whole history up to the\n"
        "forecast origin, a near-repeat map log(1 + last bin's count / long-run rate), and the\n"
        "target's season (sin and cos of its day of the year). --recency on adds the near-repeat\n"
        "map again with each past incident weighted by how recent it was at the forecast\n"
        "origin, exp(-age / d) for d = 1 and 3 days: whether the last bin's incidents came early\n"
        "or late in it. --level-gate adds the 1-, 4- and 13-bin log ratios again, multiplied by\n"
        "log(1 + the cell's yearly rate), so the response to a recent change can grow with the\n"
        "cell's count: for the skip path only (skip; none without one), for the ConvLSTM too\n"
        "(on), or not at all (off). --skip K adds a linear KxK convolution of the last step's\n"
        "maps to the output log-rate: a Poisson GLM over those averages, which the ConvLSTM\n"
        "corrects.\n\n"
        "Early stopping on the validation loss: the best epoch is saved to MODEL.h5 (written\n"
        "whole after every improvement); a best epoch worse than the untrained model (the\n"
        "average it corrects) is warned of. --seeds N trains N members with seeds seed,\n"
        "seed+1, ... one after another into the same file; predict forecasts the mean of their\n"
        "expected counts (a seed ensemble). --resume continues a model file's training (the\n"
        "member in training, then the members still to come). --device auto trains on the GPU\n"
        "when one is usable.\n",
    .request_size = sizeof(cc_train_request),
    .groups = TRAIN_GROUPS,
    .group_count = 2,
    .check = check_request,
};

int cc_train_resume_uses(const cc_option *row) {
    static const char *const used[] = {"data", "out", "resume", "epochs", "memory", "gather"};
    for (int i = 0; i < CC_DEVICE_OPTION_COUNT; i++)
        if (row == &CC_DEVICE_OPTIONS[i]) return 1;
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        if (!strcmp(row->name, used[i])) return 1;
    return 0;
}

void cc_train_request_defaults(cc_train_request *r) { cc_options_defaults(&CC_TRAIN_SPEC, r); }

int cc_train_request_configure(cc_train_request *r, const cc_train_config *config, char *why, size_t why_len) {
    for (int i = 0; i < config->count; i++)
        if (cc_options_set(&CC_TRAIN_SPEC, r, config->key[i], config->value[i], why, why_len) != 0) return -1;
    return 0;
}

/* ------------------------------------------------------------------ the plan */

/* Where a run's wall time went, in seconds, printed as its last line: on a GPU the
 * phases around the epochs (opening the device, reading, the tables) are what decide the
 * end-to-end time, so a run says what they cost. */
typedef struct run_clock {
    double start;                  /* cc_now_seconds() when the run began */
    double device, read, setup;    /* opening the backend, reading the tensor, the model and its plan */
    double tables;                 /* building the resident windows */
    double training;               /* the epochs: steps, validation, checkpoints (every member) */
    double test, file;             /* the test loss, the final model file */
    int epochs;                    /* epochs run, every member */
} run_clock;


/* --seeds K over N ranks trains each member whole on one rank: ranks past K train nothing,
 * and K not a multiple of N leaves some ranks one member more, the run as long as theirs
 * (-np 3 --seeds 2 left a rank idle, unsaid; a probe). Said by rank 0. */
static void note_members_per_rank(int members, int ranks) {
    if (members < ranks)
        fprintf(stderr, "crimecast train: note: --seeds %d over %d ranks: each member is trained whole by one rank, so "
                "%d rank%s train%s nothing; mpirun -np %d, or --seeds %d, uses them all\n", members, ranks,
                ranks - members, ranks - members == 1 ? "" : "s", ranks - members == 1 ? "s" : "", members, ranks);
    else if (members % ranks)
        fprintf(stderr, "crimecast train: note: --seeds %d over %d ranks: each member is trained whole by one rank, so "
                "%d rank%s train%s %d members and the others %d, and the run takes as long as those with more\n",
                members, ranks, members % ranks, members % ranks == 1 ? "" : "s", members % ranks == 1 ? "s" : "",
                members / ranks + 1, members / ranks);
}

/* What the request asks of the network and the optimiser, before the tensor is read. */
typedef struct train_plan {
    const cc_train_request *request;
    cc_convlstm_config config;
    cc_train_options options;
    FILE *out;
    cc_ops_context *ctx;        /* where the run works */
    cc_train_memory memory;     /* its planned memory (models/memory_plan.h) */
    double budget;              /* what it may take there, bytes, measured before the tensor is
                                   read (the plan counts it; after, it was counted twice) */
    const char *budget_words;   /* where that came from, for a refusal */
    double tables;              /* the resident windows' bytes there (0: gathered on the host) */
    int writes;                 /* 1: this process writes the model file (rank 0, or alone) */
    int files_written;          /* model files this run has written (a Ctrl-C's resume starts from the last) */
    int file_unwritten;         /* a write of the model file failed */
    int resume_unreadable;      /* the --resume file could not be read */
    const cc_collective *spread; /* --seeds under mpirun: the members spread over these ranks */
    run_clock clock;
} train_plan;

static int plan_from(const cc_train_request *r, FILE *out, train_plan *p, char *err, size_t err_len) {
    char why[512];
    if (check_request((void *)r, why, sizeof why) != 0) {
        snprintf(err, err_len, "%s", why);
        return -1;
    }
    memset(p, 0, sizeof *p);
    p->request = r, p->out = out;
    cc_convlstm_config *c = &p->config;
    c->layers = r->layers ? r->layers : r->hidden_count ? r->hidden_count : DEFAULT_LAYERS;
    c->hidden[0] = c->hidden[1] = DEFAULT_HIDDEN; /* the default's layers; more repeat the last */
    for (int l = 0; l < r->hidden_count; l++) c->hidden[l] = r->hidden[l];
    for (int l = 1; l < c->layers; l++)
        if (!c->hidden[l]) c->hidden[l] = c->hidden[l - 1];
    c->kernel = r->kernel, c->window = r->window, c->horizon = r->horizon, c->skip = r->skip;
    c->peephole = r->peephole, c->features = r->features;
    c->baseline_sigma = r->baseline_sigma;
    c->down = !strcmp(r->model, "convlstm-ae") ? atoi(r->down) : 1;
    c->arch = !strcmp(r->model, "st-resnet") ? CC_ARCH_ST_RESNET : CC_ARCH_CONVLSTM;
    c->closeness = r->closeness, c->period = r->period, c->trend = r->trend, c->resunits = r->resunits;
    cc_train_options *o = &p->options;
    cc_loss_parse(r->loss, &o->loss); /* the table admits only the names */
    o->lr = r->lr, o->weight_decay = r->weight_decay, o->clip = r->clip, o->batch = r->batch;
    o->epochs = r->epochs, o->patience = r->patience, o->seed = (unsigned)r->seed;
    p->writes = !r->collective || r->collective->rank == 0;
    /* Under mpirun: one model's batches split over the ranks, or with --seeds the members
     * spread over them, each member trained whole by one rank. */
    if (r->collective && r->seeds > 1) p->spread = r->collective;
    else o->collective = r->collective;
    if (p->spread && p->writes) note_members_per_rank(r->seeds, r->collective->size);
    if (!r->collective) o->stop = r->stop; /* ranks would stop at different steps */
    if (p->spread && r->resume) {
        snprintf(err, err_len, "--resume of a --seeds run under mpirun: resume it in one process");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ reporting */

typedef struct reporter {
    cc_progress bar;
    FILE *out;
    const char *path;
    cc_convlstm *model;
    cc_train_state *state;
    cc_model_info *info;
    int epochs;
    int writes;                 /* 0: another rank prints and writes */
    int saves;                  /* 1: the file is written at every improvement (not while
                                   --seeds members are spread over ranks: the others' are not here yet) */
    run_clock *clock;           /* counts the epochs */
    int *files_written;         /* counts the checkpoints written */
    int *file_unwritten;        /* set when one could not be */
    char err[1024];
} reporter;

/* "member 2/3 " while training a seed ensemble, else "". */
static const char *member_label(const cc_model_info *info, char *buf, size_t len) {
    if (info->members > 1) snprintf(buf, len, "member %d/%d ", info->finished + 1, info->members);
    else buf[0] = 0;
    return buf;
}

static void on_batch(void *context, int epoch, int batch, int batches, double loss, double rate) {
    reporter *r = context;
    if (!r->bar.enabled) return;
    double now = cc_now_seconds();
    if (now - r->bar.last_draw < 0.1 && batch < batches) return;
    r->bar.last_draw = now;
    char member[32];
    fprintf(stderr, "\r%sepoch %d/%d  batch %d/%d  loss %.5f  %.0f samples/s\033[K",
            member_label(r->info, member, sizeof member), epoch, r->epochs, batch, batches, loss, rate);
}

cc_loss_text cc_loss_shown(double x) {
    cc_loss_text shown;
    snprintf(shown.text, sizeof shown.text, isfinite(x) && fabs(x) < 1e6 ? "%.6f" : "%.6g", x);
    return shown;
}

int cc_loss_no_better(double loss, double untrained) { return loss >= untrained - 1e-6 * fabs(untrained); }

int cc_loss_unchanged(double loss, double untrained) { return fabs(loss - untrained) <= 1e-6 * fabs(untrained); }

static int on_epoch(void *context, int epoch, double train_loss, double val_loss, int improved) {
    reporter *r = context;
    r->clock->epochs++;
    if (!r->writes) return 0;
    cc_progress_end(&r->bar);
    /* written before it is said: a "saved" line is a file there (a kill after it loses
     * nothing; a disk that fills says so instead) */
    int save = improved && r->saves;
    int failed = save && cc_checkpoint_write(r->path, r->model, r->state, r->info, r->err, sizeof r->err) != 0;
    if (save && !failed) ++*r->files_written;
    if (failed) *r->file_unwritten = 1;
    fprintf(r->out, "epoch %d: train loss %s, validation loss %s%s\n", epoch, cc_loss_shown(train_loss).text,
            cc_loss_shown(val_loss).text,
            failed ? " (best so far: not saved)" : save ? " (best so far: saved)"
            : improved ? " (best so far; the file is written when training ends)" : "");
    fflush(r->out);
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------------ set-up */

/* Whether the request asks for the recency maps (used when the tensor has them; a resumed
 * model brings its own choice, so train reads the maps for --resume too). */
static int wants_recency_maps(const cc_train_request *r) {
    return !strcmp(r->context, "on") && !strcmp(r->recency, "on");
}

/* The model's gated (models/convlstm.h): skip gives the maps to the skip path, so
 * without one there are none. */
static int level_gate_value(const char *text, int skip) {
    return !strcmp(text, "on") ? 1 : !strcmp(text, "skip") && skip ? 2 : 0;
}

/* --baseline: K bins, none (0), or auto (the bin kind's year or month; none with MSE). */
static int baseline_bins(const train_plan *p, const cc_tensor *t, int *k, char *err, size_t err_len) {
    const char *text = p->request->baseline;
    char *end;
    long long given = strcmp(text, "none") && strcmp(text, "auto") ? strtoll(text, &end, 10) : 0;
    if (!strcmp(text, "none")) *k = 0;
    else if (!strcmp(text, "auto")) *k = p->options.loss == CC_LOSS_POISSON ? cc_baseline_default_k(t->bin) : 0;
    else if (end == text || *end || given < 1 || given > t->T) { /* compared before the cast: 2^32 + 1 was 1 */
        snprintf(err, err_len, "--baseline must be K (1-%d bins), auto or none (got '%s')", t->T, text);
        return -1;
    } else *k = (int)given;
    if (*k > 0 && p->options.loss != CC_LOSS_POISSON) {
        snprintf(err, err_len, "--baseline K corrects a Poisson log-rate: use it with --loss poisson, or --baseline none");
        return -1;
    }
    return 0;
}

/* A new, untrained model for seed p->options.seed with its training state: the same for
 * the first member and every later one, so member k of `--seeds N` is bit for bit the
 * model `--seed seed+k` trains alone. */
/* ------------------------------------------------------------------ memory */

static const double GIB = 1073741824.0;

/* A size for a message: GiB to two places, or MiB and KiB where that would read 0.00
 * (--memory 1M against a 5 MiB tensor said "0.00 GiB ... more than 0.00 GiB"). */
typedef struct size_text {
    char text[32];
} size_text;

static size_text sized(double bytes) {
    size_text s;
    if (bytes >= 0.1 * GIB) snprintf(s.text, sizeof s.text, "%.2f GiB", bytes / GIB);
    else if (bytes >= 0.1 * 1048576.0) snprintf(s.text, sizeof s.text, "%.1f MiB", bytes / 1048576.0);
    else snprintf(s.text, sizeof s.text, "%.1f KiB", bytes / 1024.0);
    return s;
}


static int through_cudnn(const cc_ops_context *ctx) { return ctx->backend == CC_BACKEND_CUDA && ctx->conv_cudnn; }

/* --gather: resident windows where they fit, their bytes added to the plan. auto: on a GPU
 * whenever they fit (the host's gather and upload would starve it); on the CPU only in one
 * process (ranks on one host would each hold them: data parallel, or tune's candidates)
 * and within half the budget: there they trade memory for the gather's arithmetic, a
 * fifth of an epoch at 150 m (San Francisco: 52 s an epoch against 67 s, 6.9 GiB against
 * 2.1 GiB; bench/RESULTS.md). */
static int choose_gather(train_plan *p, const cc_tensor *t, double need, char *err, size_t err_len) {
    const char *asked = p->request->gather ? p->request->gather : "auto";
    int on_gpu = cc_plan_device(p->ctx);
    cc_window_tables_spec spec = cc_train_window_tables_spec(&p->config, p->options.loss);
    double tables = cc_window_tables_bytes(&spec, t);
    int fits = p->budget <= 0 || need + tables <= p->budget;
    int alone = !p->request->collective && !p->request->beside_others;
    int roomy = alone && (p->budget <= 0 || need + tables <= 0.5 * p->budget);
    p->options.resident = 0, p->tables = 0;
    if (!strcmp(asked, "host") || (!strcmp(asked, "auto") && !(on_gpu ? fits : roomy))) return 0;
    if (!fits) {
        snprintf(err, err_len, "--gather resident: the per-bin tables take %s beside the run's %s on the %s, "
                               "more than the %s it may take; --gather host gathers each batch on the host instead",
                 sized(tables).text, sized(need).text, on_gpu ? "GPU" : "host", sized(p->budget).text);
        return -1;
    }
    p->options.resident = 1, p->tables = tables;
    if (!on_gpu) return 0; /* on a GPU the host gathers nothing: batches are assembled there */
    if (cc_train_memory_plan(&p->config, p->options.batch, t->T, t->R, on_gpu, 0, cc_ops_threads(p->ctx), &p->memory,
                             err, err_len) != 0)
        return -1;
    p->memory.host += cc_window_tables_staging_bytes(&spec, t, cc_cpu_threads(p->ctx)); /* while they are built */
    return 0;
}

/* The run's planned memory against its budget, before anything of size is allocated: an
 * error with the figures and the largest --batch that fits when it needs more. */
static int check_memory(train_plan *p, const cc_tensor *t, char *err, size_t err_len) {
    int on_gpu = cc_plan_device(p->ctx), threads = cc_ops_threads(p->ctx), batch = p->options.batch;
    if (cc_train_memory_plan(&p->config, batch, t->T, t->R, on_gpu, 1, threads, &p->memory, err, err_len) != 0) return -1;
    const cc_train_memory *m = &p->memory;
    double need = on_gpu ? m->device : m->host;
    if (p->budget <= 0 || need <= p->budget) return choose_gather(p, t, need, err, err_len);
    int fits = cc_train_memory_largest_batch(&p->config, batch, t->T, t->R, on_gpu, 1, threads, p->budget);
    char advice[160];
    if (fits > 0) snprintf(advice, sizeof advice, "the largest batch that fits is --batch %d", fits);
    else if (p->config.down < 4) /* the encoder's downsampling shrinks the states by down^2 */
        snprintf(advice, sizeof advice, "not even one sample fits: a smaller --hidden or --window, or --model convlstm-ae%s",
                 p->config.down == 2 ? " --down 4" : "");
    else snprintf(advice, sizeof advice, "not even one sample fits: a smaller --hidden or --window, or a grid of larger "
                                         "cells (raster --cell)");
    snprintf(err, err_len, "batch %d on the %d x %d grid needs %s on the %s (GiB: activations %.2f, parameters and "
                           "optimiser %.3f, batches %.2f, convolution scratch %.2f, tensor %.2f, program %.2f), more than the %s it may "
                           "take (%s); %s",
             batch, t->H, t->W, sized(need).text, on_gpu ? "GPU" : "host", m->activations / GIB, m->model / GIB,
             m->batches / GIB, m->workspace / GIB, m->tensor / GIB, on_gpu ? 0.0 : m->program / GIB, sized(p->budget).text,
             p->budget_words, advice);
    return -1;
}

static int create_member(const train_plan *p, const cc_tensor *t, const cc_split *split, cc_convlstm *model,
                         cc_train_state *state, char *err, size_t err_len) {
    if (cc_convlstm_create(model, &p->config, p->options.batch, p->options.seed, err, err_len) != 0) return -1;
    if (cc_train_state_init(state, model) != 0) {
        snprintf(err, err_len, "out of memory for the training state");
        return -1;
    }
    if (p->options.loss == CC_LOSS_POISSON) {
        cc_train_init_head(model, t, split);
        memcpy(state->best.data, model->params.data, sizeof(float) * model->params.size);
    }
    return 0;
}

/* A finished run's file keeps its best epoch's parameters and moments, and the losses of
 * the epochs after it: trained on from there with the counters of the last epoch, the
 * next epoch would start from the best one's state yet be numbered (and shuffled) as a
 * later one, which no straight run does. So the run goes back to its best epoch and runs
 * the later ones again - the same, the training being deterministic - and then on, as if
 * it had been asked for more epochs at first. */
static void rewind_to_best(train_plan *p, const cc_model_info *info, cc_train_state *s) {
    int more = p->options.epochs > s->epochs_done && s->epochs_done - s->best_epoch < p->options.patience;
    /* Nothing to rewind for: no more epochs asked for, or the patience already spent (a
     * straight run stopped there too). (A seed ensemble with members trained is not given
     * another length at all: see resume.) */
    if (!more || info->finished > 0 || s->best_epoch <= 0 || s->epochs_done <= s->best_epoch ||
        s->step % s->epochs_done != 0)
        return;
    fprintf(p->out, "%s holds epoch %d's state (its best) and the losses of epochs %d..%d after it: training goes on "
            "from epoch %d, those epochs again\n", p->request->resume, s->best_epoch, s->best_epoch + 1,
            s->epochs_done, s->best_epoch);
    s->step = s->step / s->epochs_done * s->best_epoch; /* the same batches every epoch */
    s->epochs_done = s->best_epoch;
}

/* What training reads of the tensor (its covariate maps attached), as the model file keeps it. */
static void tensor_digest(const cc_tensor *t, char out[17]) {
    snprintf(out, 17, "%016llx", (unsigned long long)cc_digest_tensor(t));
}

/* The model of a resumed run: the file's, with its own options, its number of epochs
 * too unless --epochs asks for another (so a killed run resumes to where it would have
 * ended; files written before they recorded it: train's default length). */
static int resume(train_plan *p, cc_tensor *t, cc_convlstm *model, cc_model_info *info, cc_train_state *state,
                  char *err, size_t err_len) {
    if (cc_checkpoint_read(p->request->resume, p->options.batch, model, info, state, err, err_len) != 0)
        return p->resume_unreadable = 1, -1;
    char note[1024] = "";
    if (info->config.covariates &&
        cc_covariate_inputs_read(p->request->data, &info->covariates, t, note, sizeof note, err, err_len) != 0)
        return -1;
    if (note[0]) fprintf(stderr, "crimecast train: warning: %s\n", note);
    char why[1024];
    if (cc_model_matches_tensor(info, t, why, sizeof why) != 0) { /* said with the model file, as predict says it */
        snprintf(err, err_len, "%s: %s", p->request->resume, why);
        return -1;
    }
    if (cc_model_same_bins(info, t, why, sizeof why) != 0) { /* its split is indices into those bins */
        snprintf(err, err_len, "%s: %s; a resume continues on the tensor it was trained on", p->request->resume, why);
        return -1;
    }
    char now[17];
    tensor_digest(t, now);
    if (info->tensor_digest[0] && strcmp(now, info->tensor_digest) != 0) { /* the same bins, other counts */
        snprintf(err, err_len, "%s was trained on other data than %s holds under the same bins (its counts, mask or "
                 "covariate maps differ: rastered again since?): its validation losses would not compare with this "
                 "tensor's; a resume continues on the tensor it was trained on (or train anew)", p->request->resume,
                 p->request->data);
        return -1;
    }
    int epochs = p->options.epochs ? p->options.epochs : info->options.epochs;
    if (epochs < state->epochs_done) { /* a model cannot be trained back to fewer epochs */
        snprintf(err, err_len, "%s holds %d epochs already: --epochs %d asks for fewer (give at least %d, or train "
                 "anew)", p->request->resume, state->epochs_done, epochs, state->epochs_done);
        return -1;
    }
    if (info->finished > 0 && epochs != info->options.epochs) {
        /* its finished members keep only their parameters, not the state to train on; the
         * count is of the members trained, the root among them (it said 2 of a finished 3) */
        snprintf(err, err_len, "%s: a seed ensemble with %d member%s trained cannot be given another length (--epochs "
                 "%d, it was %d): those members keep only their parameters. Train it again with --epochs %d, or "
                 "one more member alone with --seed", p->request->resume, cc_model_forecast_members(info),
                 cc_model_forecast_members(info) > 1 ? "s" : "", epochs, info->options.epochs, epochs);
        return -1;
    }
    cc_train_options run = p->options;
    p->options = info->options; /* the run continues with the model's own options */
    p->options.epochs = epochs;
    p->options.collective = run.collective, p->options.stop = run.stop; /* where and how this run works: its own */
    p->config = info->config;
    if (check_memory(p, t, err, err_len) != 0) return -1;
    rewind_to_best(p, info, state);
    return 0;
}

static int wants_covariates(const cc_train_request *r) { return r->covariates && strcmp(r->covariates, "off") != 0; }

/* The origins (last input bins) of a span's samples with dynamic map d known somewhere in
 * the mask; their number in *origins. */
static int origins_known(const cc_covariates *cov, int d, const cc_tensor *t, const cc_split *split, cc_span span,
                         int horizon, int *origins) {
    int n = cc_split_samples(split, span), known = 0;
    for (int i = 0; i < n; i++) {
        int origin = cc_split_target(split, span, i) - horizon;
        known += !cc_covariates_missing_over(cov, d, t->mask, &origin, 1);
    }
    *origins = n;
    return known;
}

/* A dynamic map known at some validation origins and at none of the test span's: the
 * validation span judges a model reading it where the test span reads only its missing
 * value (London's mobility ends 2022-10: 7 of 16 validation origins had it, no test
 * origin; the validation level was half the test's over-forecast, unsaid; a probe). Only
 * where the maps are known, never the test targets, is read. */
static void warn_series_ending(const cc_covariates *cov, const cc_tensor *t, const cc_split *split, int horizon) {
    char names[512] = "";
    size_t used = 0;
    int ending = 0, val = 0, val_n = 0, test_n = 0;
    for (int d = 0; d < cov->D; d++) {
        int known = origins_known(cov, d, t, split, CC_SPAN_VAL, horizon, &val_n);
        if (known == 0 || origins_known(cov, d, t, split, CC_SPAN_TEST, horizon, &test_n) > 0 || test_n == 0) continue;
        if (ending++ == 0) val = known;
        if (ending <= 6 && used < sizeof names)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s'%s'", ending > 1 ? ", " : "",
                                     cov->dynamic_info[d].name);
    }
    if (ending == 0) return;
    fprintf(stderr, "crimecast train: warning: covariate%s %s%s %s known at %d of the %d validation origins%s and at "
            "none of the %d test origins (%s before them): the validation span judges the model with %s, the test "
            "span without (London's mobility: the forecasts ran 10-15%% high there); --covariates static leaves the "
            "dynamic maps out\n", ending > 1 ? "s" : "", names, ending > 6 ? ", ..." : "", ending > 1 ? "are" : "is",
            val, val_n, ending > 1 ? " (the first)" : "", test_n, ending > 1 ? "their series end" : "its series ends",
            ending > 1 ? "them" : "it");
}

/* --covariates on (static: the static maps alone): the tensor file's covariates,
 * standardised on what training may read, as input maps on t; the standardisation into
 * info; which maps, said on `out` (NULL: nothing said). */
static int attach_covariates(const char *path, int static_only, cc_tensor *t, const cc_split *split,
                             cc_model_info *info, FILE *out, char *err, size_t err_len) {
    cc_covariates cov;
    if (cc_covariates_read(path, t, &cov, err, err_len) != 0) return -1;
    int status = -1;
    if (cc_covariates_choose(&cov, static_only, path, err, err_len) == 0) {
        char why[512];
        status = cc_covariate_norm_fit(&cov, t, split, &info->covariates, why, sizeof why);
        if (status) snprintf(err, err_len, "%s: %s", path, why);
        else status = cc_covariate_inputs_attach(&cov, &info->covariates, t, err, err_len);
    }
    info->static_covariates = static_only;
    if (status == 0 && out) warn_series_ending(&cov, t, split, info->config.horizon);
    if (status == 0 && out) { /* which maps it reads, as rf says (train said nothing; a probe) */
        char names[1024] = "";
        size_t used = 0;
        for (int k = 0; k < info->covariates.K + info->covariates.D && used < sizeof names; k++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "", info->covariates.name[k]);
        fprintf(out, "covariates: %d static and %d dynamic (%s), %d input maps with their missing-value maps\n",
                info->covariates.K, info->covariates.D, names,
                cc_covariate_input_maps(info->covariates.K, info->covariates.D));
    }
    cc_covariates_free(&cov);
    return status;
}

/* ST-ResNet's lags by the tensor's bin, and its window: the longest of them. */
static int st_resnet_window(const cc_train_request *r, const cc_tensor *t, cc_convlstm_config *c, char *err,
                            size_t err_len) {
    int period = t->bin == CC_BIN_DAY ? 7 : t->bin == CC_BIN_WEEK ? 13 : 3;
    int trend = t->bin == CC_BIN_DAY ? 364 : t->bin == CC_BIN_WEEK ? 52 : 12;
    c->period_lag = r->period_lag.given ? r->period_lag.value : period;
    c->trend_lag = r->trend_lag.given ? r->trend_lag.value : trend;
    if (c->horizon != 1) {
        snprintf(err, err_len, "--model st-resnet forecasts one bin ahead: --horizon must be 1");
        return -1;
    }
    c->window = cc_st_window(c->closeness, c->period, c->trend, c->period_lag, c->trend_lag);
    if (c->window >= t->T) {
        snprintf(err, err_len, "--model st-resnet: its longest lag (%d bins) leaves no target in the tensor's %d bins",
                 c->window, t->T);
        return -1;
    }
    return 0;
}

static int set_up(train_plan *p, cc_tensor *t, cc_convlstm *model, cc_model_info *info, cc_train_state *state,
                  char *err, size_t err_len) {
    const cc_train_request *r = p->request;
    if (r->resume) return resume(p, t, model, info, state, err, err_len);
    int test_from = cc_test_from_bin(r->test_from, t, err, err_len);
    if (test_from == -2) return -1;
    cc_convlstm_config *c = &p->config;
    c->channels = t->C, c->height = t->H, c->width = t->W;
    if (c->arch == CC_ARCH_ST_RESNET && st_resnet_window(r, t, c, err, err_len) != 0) return -1;
    if (baseline_bins(p, t, &c->baseline_k, err, err_len) != 0) return -1;
    int context = !strcmp(r->context, "on");
    cc_sample_spec spec = {c->window, c->horizon, context, wants_recency_maps(r) ? t->R : 0,
                           context ? level_gate_value(r->level_gate, c->skip) : 0};
    c->recency = spec.recency, c->gated = spec.gated;
    if (r->recency_asked && t->R == 0) /* as --covariates on without covariates is refused (it was silent; a probe) */
        fprintf(stderr, "crimecast train: warning: --recency on: %s has no recency maps (rastered with --recency off, "
                "or from records timed no finer than its bins): the model reads none\n", r->data);
    c->context = cc_sample_context_maps(&spec, t->C);
    c->skip_only = cc_skip_only_maps(t->C, spec.gated);
    info->config = *c;
    info->loss = p->options.loss;
    info->options = p->options;
    info->members = r->seeds;
    info->scale = malloc(sizeof(float) * (size_t)t->C);
    const char *shorter = c->arch == CC_ARCH_ST_RESNET /* its window: the longest lag */
                              ? "shorter ST-ResNet lags: --trend-lag, --trend, --period-lag, --period, --closeness"
                              : "a shorter --window";
    if (!info->scale || cc_split_make_advising(t->T, c->window, c->horizon, test_from, shorter, &info->split, err,
                                               err_len) != 0)
        return -1;
    cc_normalisation_fit(t, &info->split, info->scale);
    if (wants_covariates(r) &&
        attach_covariates(r->data, !strcmp(r->covariates, "static"), t, &info->split, info, p->writes ? p->out : NULL,
                          err, err_len) != 0)
        return -1;
    c->covariates = info->config.covariates = info->covariates.K + info->covariates.D
                                                  ? cc_covariate_input_maps(info->covariates.K, info->covariates.D)
                                                  : 0;
    c->context += c->covariates, info->config.context = c->context;
    if (check_memory(p, t, err, err_len) != 0 || create_member(p, t, &info->split, model, state, err, err_len) != 0)
        return -1;
    info->grid = *t; /* metadata: the grid and channels are borrowed from the tensor */
    info->grid.values = NULL;
    cc_format_iso_date(t->time[0], info->first_bin);
    cc_format_iso_date(t->time[t->T - 1], info->last_bin);
    tensor_digest(t, info->tensor_digest);
    return 0;
}

/* Epochs and patience not given: cc_train_default_length for this tensor's epochs. A
 * resumed run keeps the file's patience. The file records them. */
static void set_length(train_plan *p, cc_model_info *info) {
    int batches = cc_split_samples(&info->split, CC_SPAN_TRAIN) / p->options.batch;
    int epochs, patience;
    cc_train_default_length(batches, &epochs, &patience);
    if (!p->options.epochs) p->options.epochs = epochs;
    if (!p->options.patience) p->options.patience = patience;
    info->options.epochs = p->options.epochs, info->options.patience = p->options.patience;
}

/* ------------------------------------------------------------------ members */

/* The model file after the last epoch: the best parameters with their optimiser moments
 * (so a resume continues from them) and the whole loss history, including the epochs
 * after the best; written even when this run never improved (a resume may not). */
static int write_final(train_plan *p, cc_convlstm *model, cc_train_state *state, const cc_model_info *info,
                       char *err, size_t err_len) {
    size_t bytes = sizeof(float) * model->params.size;
    memcpy(state->m.data, state->best_m.data, bytes);
    memcpy(state->v.data, state->best_v.data, bytes);
    if (!p->writes) return 0;
    if (cc_checkpoint_write(p->request->out, model, state, info, err, err_len) != 0) return p->file_unwritten = 1, -1;
    p->files_written++;
    return 0;
}

/* What a resume must be given again to run as this run did: --epochs, --memory and
 * --gather when given, and the device options (a run is bit for bit the same on the
 * same threads and device). */
static void resume_options(const cc_train_request *r, char *out, size_t len) {
    char device[512];
    const cc_option_group device_options = CC_DEVICE_GROUP(cc_train_request, device);
    cc_options_changed(&device_options, &r->device, device, sizeof device);
    size_t n = 0;
    out[0] = 0;
    if (r->epochs) n += (size_t)snprintf(out + n, len - n, " --epochs %d", r->epochs);
    if (r->memory > 0 && n < len) n += (size_t)snprintf(out + n, len - n, " --memory %.0f", r->memory);
    if (r->gather && strcmp(r->gather, "auto") != 0 && n < len)
        n += (size_t)snprintf(out + n, len - n, " --gather %s", r->gather);
    if (n < len) snprintf(out + n, len - n, "%s", device);
}

/* The error of a run stopped by Ctrl-C (options.stop): where it was, and the command that
 * resumes it from the last file written (nothing is written after the stop: the state
 * is partway through an epoch). */
static int interrupted(const train_plan *p, const cc_model_info *info, const cc_train_state *state, char *err,
                       size_t err_len) {
    const cc_train_request *r = p->request;
    const char *from = p->files_written ? r->out : r->resume;
    char member[32];
    member_label(info, member, sizeof member);
    int epoch = state->epochs_done + 1;
    if (!from) {
        snprintf(err, err_len, "interrupted in %sepoch %d, before any model file was written: nothing to resume, run "
                 "the same command again", member, epoch);
        return -1;
    }
    char *data = malloc(CC_SHELL_WORD_MAX), *resume = malloc(CC_SHELL_WORD_MAX), *out = malloc(CC_SHELL_WORD_MAX);
    char options[1024], saved[128] = "";
    resume_options(r, options, sizeof options);
    /* the file is written at each improvement: epochs since repeat on a resume (unsaid, a
     * resume of "the run as last saved" at epoch 64 trained 62 epochs again; a probe) */
    if (state->best_epoch > 0 && state->best_epoch < epoch - 1)
        snprintf(saved, sizeof saved, " (at its epoch %d, the last to improve: a resume trains on from there)",
                 state->best_epoch);
    const char *words[3] = {NULL, NULL, NULL};
    if (data && resume && out)
        words[0] = cc_shell_word(r->data, data, CC_SHELL_WORD_MAX),
        words[1] = cc_shell_word(from, resume, CC_SHELL_WORD_MAX), words[2] = cc_shell_word(r->out, out, CC_SHELL_WORD_MAX);
    int n = words[0] && words[1] && words[2]
                ? snprintf(err, err_len, "interrupted in %sepoch %d; %s holds the run as last saved%s; resume "
                           "with:\n  crimecast train --data %s --resume %s --out %s%s", member, epoch, from, saved,
                           words[0], words[1], words[2], options)
                : -1;
    if (n < 0 || (size_t)n >= err_len) /* a command cut short would run something else */
        snprintf(err, err_len, "interrupted in %sepoch %d; %s holds the run as last saved%s: resume it with train "
                 "--resume (and --data, --out and the device options as here)", member, epoch, from, saved);
    free(data), free(resume), free(out);
    return -1;
}

/* Files the root member (trained, its best parameters in `model`) among the finished
 * ones and makes a new, untrained member for the next seed the root. */
static int start_next_member(train_plan *p, const cc_tensor *t, cc_convlstm *model, cc_model_info *info,
                             cc_train_state *state, char *err, size_t err_len) {
    cc_member *m = &info->member[info->finished];
    size_t bytes = sizeof(float) * model->params.size;
    if (!(m->params = malloc(bytes))) {
        snprintf(err, err_len, "out of memory for ensemble member %d", info->finished + 1);
        return -1;
    }
    memcpy(m->params, model->params.data, bytes);
    m->seed = p->options.seed, m->best_epoch = state->best_epoch, m->best_val = state->best_val;
    info->finished++;
    info->options.seed = ++p->options.seed;
    cc_train_state_free(state);
    cc_convlstm_free(model);
    return create_member(p, t, &info->split, model, state, err, err_len);
}

const char *cc_untrained_model_words(cc_loss_kind loss, int baseline_k) {
    return loss == CC_LOSS_MSE ? "its initialisation, forecasting about zero"
           : baseline_k > 0    ? "the historical average it corrects"
                               : "each channel's mean rate";
}

/* A best epoch worse on the validation span than the model before its first step (the
 * historical average it corrects, or each channel's mean rate; with MSE its
 * initialisation, forecasting about zero): kept with exit 0 and no word, a diverged run
 * (--lr 0.7: validation loss 9e18, forecasts of 7e22 crimes) passed for a model. One
 * within a millionth of it (float32's evaluation, not a difference) changed nothing: said
 * so, not "worse" with ten equal digits (--lr 1e-12; a probe). Said on stderr, or in
 * tune's log for its candidates (tune compares them); the file holds what training found. */
static void warn_worse_than_untrained(const train_plan *p, const cc_convlstm *model, const cc_train_state *s,
                                      const char *member) {
    int says = p->writes || p->spread; /* data parallel: rank 0 for all; spread: each its own members */
    if (!says || !isfinite(s->untrained_val) || s->best_epoch <= 0 || !cc_loss_no_better(s->best_val, s->untrained_val))
        return;
    char who[48] = "";
    if (member[0]) snprintf(who, sizeof who, "for %s, ", member);
    const char *untrained = cc_untrained_model_words(p->options.loss, model->cfg.baseline_k);
    FILE *to = p->request->validation_only ? p->out : stderr;
    cc_loss_text best = cc_loss_shown(s->best_val), before = cc_loss_shown(s->untrained_val);
    if (cc_loss_unchanged(s->best_val, s->untrained_val)) {
        fprintf(to, "crimecast train: warning: %sthe best epoch's validation loss %s is the untrained model's %s to "
                "a millionth (%s): training changed nothing the validation span tells; a higher --lr, or more "
                "--epochs\n", who, best.text, before.text, untrained);
        return;
    }
    const char *advice = s->epochs_done == 1 ? "after one epoch; more --epochs may pass it, or a lower --lr"
                         : s->best_epoch == s->epochs_done
                             ? "it was still improving at its last epoch, so more --epochs may pass it; or a lower --lr"
                             : "training diverged or overfit from the first epoch; a lower --lr or --clip may help";
    if (!strcmp(best.text, before.text)) /* apart by more than a millionth, less than the decimals show */
        snprintf(best.text, sizeof best.text, "%.10g", s->best_val),
            snprintf(before.text, sizeof before.text, "%.10g", s->untrained_val);
    fprintf(to, "crimecast train: warning: %sthe best epoch's validation loss %s is worse than the untrained model's "
            "%s (%s%s forecasts the validation span better): %s\n", who, best.text, before.text, untrained,
            p->options.loss == CC_LOSS_MSE ? "," : "", advice);
}

/* A member's test loss; NaN for tune's candidates (the test span stays unseen). */
static double member_test_loss(const train_plan *p, cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t,
                               const cc_model_info *info) {
    if (p->request->validation_only) return NAN;
    return cc_evaluate_from(model, ctx, t, &info->split, CC_SPAN_TEST, info->scale, info->loss, p->options.batch,
                            p->options.tables);
}

/* The best model's total forecast on the validation span against what happened there, per
 * channel, in one note where a channel is off by a tenth or more past chance (eval's rule,
 * cc_eval_total_off): the loss is summed over channels, and a 3-epoch model forecast 'all'
 * 27% high on validation (34% on test) while it beat the untrained model, unsaid but by
 * eval (a probe). The target step of each sample, inside the mask, in batches. */
static void note_validation_levels(const train_plan *p, cc_convlstm *model, const cc_ops_context *ctx,
                                   const cc_tensor *t, const cc_model_info *info, const char *member) {
    int n = cc_split_samples(&info->split, CC_SPAN_VAL), batch = p->options.batch, H = model->cfg.horizon;
    size_t plane = (size_t)t->H * t->W, map = (size_t)t->C * plane;
    double forecast[CC_TENSOR_MOST_CHANNELS] = {0}, truth[CC_TENSOR_MOST_CHANNELS] = {0};
    int *starts = malloc(sizeof *starts * (size_t)(batch > 0 ? batch : 1));
    float *rates = malloc(sizeof *rates * (size_t)(batch > 0 ? batch : 1) * (size_t)H * map);
    char ignored[256];
    int ok = starts && rates && n > 0 && p->writes && !p->request->validation_only;
    for (int i = 0; ok && i < n; i += batch) {
        int k = n - i < batch ? n - i : batch;
        for (int j = 0; j < k; j++) starts[j] = cc_split_sample_start(&info->split, CC_SPAN_VAL, i + j);
        ok = cc_predict(model, ctx, t, info->scale, info->loss, starts, k, batch, rates, ignored, sizeof ignored) == 0;
        for (int j = 0; ok && j < k; j++) {
            int target = cc_split_target(&info->split, CC_SPAN_VAL, i + j);
            const float *step = rates + ((size_t)j * H + (size_t)(H - 1)) * map; /* the sample's target */
            for (int c = 0; c < t->C; c++)
                for (size_t q = 0; q < plane; q++)
                    if (t->mask[q]) {
                        forecast[c] += step[(size_t)c * plane + q];
                        truth[c] += t->values[cc_tensor_offset(t, target, c, 0, 0) + q];
                    }
        }
    }
    free(starts), free(rates);
    char listed[1024] = "", who[64] = "";
    size_t used = 0;
    int off = 0;
    for (int c = 0; ok && c < t->C; c++) {
        if (!cc_eval_total_off(forecast[c], truth[c])) continue;
        char share[48] = "none happened";
        if (truth[c] > 0)
            snprintf(share, sizeof share, "%.4g happened (%+.0f%%)", truth[c] / n, 100.0 * (forecast[c] / truth[c] - 1));
        if (off++ < 4 && used < sizeof listed)
            used += (size_t)snprintf(listed + used, sizeof listed - used, "%s'%s' %.4g a %s where %s",
                                     off > 1 ? ", " : "", t->categories[c], forecast[c] / n, cc_bin_kind_name(t->bin),
                                     share);
    }
    if (off == 0) return;
    if (member[0]) snprintf(who, sizeof who, "%s: ", member);
    fprintf(stderr, "crimecast train: note: %sover the %d validation %ss the model's total is off what happened by a "
            "tenth or more, past chance, in %d of its %d channels: %s%s; the loss sums the channels and the cells, so "
            "a level off in one can hide there (more --epochs, or eval's figures per channel)\n", who, n,
            cc_bin_kind_name(t->bin), off, t->C, listed, off > 4 ? ", ..." : "");
}

/* Trains the root member, then each member still to come, writing the model file after
 * every member so that an interrupted run resumes at the member it was training. */
static int train_members(train_plan *p, const cc_tensor *t, const cc_ops_context *ctx, cc_convlstm *model,
                         cc_model_info *info, cc_train_state *state, char *err, size_t err_len) {
    FILE *out = p->out;
    for (;;) {
        char member[32];
        if (info->members > 1)
            fprintf(out, "%s(seed %u)\n", member_label(info, member, sizeof member), p->options.seed), fflush(out);
        run_clock *clock = &p->clock;
        double began = cc_now_seconds();
        int stopped = cc_train(model, ctx, t, &info->split, info->scale, &p->options, state, err, err_len);
        if (stopped) return stopped > 0 ? interrupted(p, info, state, err, err_len) : -1;
        double trained = cc_now_seconds();
        clock->training += trained - began;
        if (write_final(p, model, state, info, err, err_len) != 0) return -1;
        double written = cc_now_seconds();
        clock->file += written - trained;
        if (state->replayed > 0)
            fprintf(out, "%ld of %ld steps replayed from a CUDA graph (--graph on)\n", state->replayed, state->step);
        char test[64] = ""; /* tune's candidates: the test span stays unseen (FIELD.md, protocol) */
        if (!p->request->validation_only)
            snprintf(test, sizeof test, ", test loss %s", cc_loss_shown(member_test_loss(p, model, ctx, t, info)).text);
        clock->test += cc_now_seconds() - written;
        fprintf(out, "%s%sbest epoch %d, validation loss %s%s\n", info->members > 1 ? "" : p->request->out,
                info->members > 1 ? member_label(info, member, sizeof member) : ": ", state->best_epoch,
                cc_loss_shown(state->best_val).text, test);
        char who[32] = "";
        if (info->members > 1) snprintf(who, sizeof who, "member %d/%d", info->finished + 1, info->members);
        warn_worse_than_untrained(p, model, state, who);
        note_validation_levels(p, model, ctx, t, info, who);
        if (info->finished + 1 >= info->members) return 0;
        double tested = cc_now_seconds();
        if (start_next_member(p, t, model, info, state, err, err_len) != 0) return -1;
        double made = cc_now_seconds();
        clock->setup += made - tested;
        if (cc_checkpoint_write(p->request->out, model, state, info, err, err_len) != 0) return p->file_unwritten = 1, -1;
        p->files_written++;
        clock->file += cc_now_seconds() - made;
    }
}

/* --seeds K under mpirun: member k (seed + k) is trained whole, in one process, by rank
 * (K - 1 - k) mod N, so rank 0 trains the last member (the file's root, with its training
 * state); then every member's best parameters and scores are broadcast from their rank
 * in order and rank 0 writes the file one process would have written. */
static int owner_of(int member, int members, int ranks) { return (members - 1 - member) % ranks; }

/* "member k/K (seed S) on rank R: best epoch E, validation loss V, test loss X". */
static void print_member(const train_plan *p, int k, int K, unsigned seed, int rank, int best_epoch, double best_val,
                         double test) {
    char tested[64] = ""; /* (a diverged member's NaN printed as one process prints it) */
    if (!p->request->validation_only) snprintf(tested, sizeof tested, ", test loss %s", cc_loss_shown(test).text);
    fprintf(p->out, "member %d/%d (seed %u) on rank %d: best epoch %d, validation loss %s%s\n", k + 1, K, seed, rank,
            best_epoch, cc_loss_shown(best_val).text, tested);
    fflush(p->out);
}

/* This rank's members, each trained from its seed; the earlier ones kept in info->member,
 * their test losses in tests[k]. */
static int train_own_members(train_plan *p, const cc_tensor *t, const cc_ops_context *ctx, cc_convlstm *model,
                             cc_model_info *info, cc_train_state *state, unsigned base, double *tests, char *err,
                             size_t err_len) {
    const cc_collective *all = p->spread;
    int K = info->members, created = 0; /* set_up made member 0 */
    for (int k = 0; k < K; k++) {
        if (owner_of(k, K, all->size) != all->rank) continue;
        if (k > 0 || created) {
            cc_train_state_free(state);
            cc_convlstm_free(model);
            p->options.seed = info->options.seed = base + (unsigned)k;
            if (create_member(p, t, &info->split, model, state, err, err_len) != 0) return -1;
        }
        created = 1;
        info->finished = k;
        fprintf(p->out, "member %d/%d (seed %u) on rank %d\n", k + 1, K, base + (unsigned)k, all->rank), fflush(p->out);
        double began = cc_now_seconds();
        if (cc_train(model, ctx, t, &info->split, info->scale, &p->options, state, err, err_len) != 0) return -1;
        p->clock.training += cc_now_seconds() - began;
        double tested = cc_now_seconds();
        tests[k] = member_test_loss(p, model, ctx, t, info);
        p->clock.test += cc_now_seconds() - tested;
        print_member(p, k, K, base + (unsigned)k, all->rank, state->best_epoch, state->best_val, tests[k]);
        char member[32];
        snprintf(member, sizeof member, "member %d/%d", k + 1, K);
        warn_worse_than_untrained(p, model, state, member);
        if (k == K - 1) continue; /* the root stays in model and state */
        cc_member *m = &info->member[k];
        if (!(m->params = malloc(sizeof(float) * model->params.size))) {
            snprintf(err, err_len, "out of memory for ensemble member %d", k + 1);
            return -1;
        }
        memcpy(m->params, model->params.data, sizeof(float) * model->params.size);
        m->seed = base + (unsigned)k, m->best_epoch = state->best_epoch, m->best_val = state->best_val;
    }
    return 0;
}

/* Every member but the root, from its rank to all (rank 0 keeps them in info->member, and
 * reports those of the other ranks, whose output goes nowhere). */
static int gather_members(train_plan *p, const cc_convlstm *model, cc_model_info *info, unsigned base, double *tests,
                          char *err, size_t err_len) {
    const cc_collective *all = p->spread;
    int K = info->members;
    for (int k = 0; k < K - 1; k++) {
        cc_member *m = &info->member[k];
        int owner = owner_of(k, K, all->size);
        if (!m->params && !(m->params = calloc(model->params.size, sizeof(float)))) {
            snprintf(err, err_len, "out of memory for ensemble member %d", k + 1);
            return -1;
        }
        double scores[3] = {m->best_epoch, m->best_val, tests[k]};
        if (all->broadcast_floats(all->self, m->params, model->params.size, owner) != 0 ||
            all->broadcast_doubles(all->self, scores, 3, owner) != 0) {
            snprintf(err, err_len, "the members could not be gathered (MPI)");
            return -1;
        }
        m->seed = base + (unsigned)k, m->best_epoch = (int)scores[0], m->best_val = scores[1];
        if (owner != all->rank) print_member(p, k, K, m->seed, owner, m->best_epoch, m->best_val, scores[2]);
    }
    info->finished = K - 1;
    p->options.seed = info->options.seed = base + (unsigned)(K - 1);
    return 0;
}

static int train_members_spread(train_plan *p, const cc_tensor *t, const cc_ops_context *ctx, cc_convlstm *model,
                                 cc_model_info *info, cc_train_state *state, char *err, size_t err_len) {
    unsigned base = p->options.seed;
    double tests[CC_MAX_MEMBERS];
    for (int k = 0; k < CC_MAX_MEMBERS; k++) tests[k] = NAN;
    if (train_own_members(p, t, ctx, model, info, state, base, tests, err, err_len) != 0 ||
        gather_members(p, model, info, base, tests, err, err_len) != 0)
        return -1;
    /* rank 0 trained the root (member K - 1): its model and state are the file's */
    double began = cc_now_seconds();
    int status = write_final(p, model, state, info, err, err_len);
    p->clock.file += cc_now_seconds() - began;
    return status;
}

/* Resident windows depend on the tensor and the config, not the seed: built once here for
 * every member of the run (p->options.tables), rather than by each member's cc_train. */
static int share_window_tables(train_plan *p, const cc_tensor *t, const cc_ops_context *ctx, const cc_convlstm *model,
                               const cc_model_info *info, cc_window_tables *w, char *err, size_t err_len) {
    p->options.tables = NULL;
    if (!p->options.resident) return 0;
    double start = cc_now_seconds(); /* at 150 m a minute or more, before the first epoch */
    if (cc_train_open_window_tables(w, ctx, t, info->scale, model, &p->options, err, err_len) != 0) return -1;
    p->options.tables = w;
    p->clock.tables = cc_now_seconds() - start;
    char uploads[96] = "";
    if (w->device && w->rows > 0)
        snprintf(uploads, sizeof uploads, ", then waiting for the uploads %.1f s (staging %s)", w->upload_seconds,
                 w->pinned ? "page-locked" : "pageable");
    fprintf(p->out, "resident windows: %d bins' tables, %.2f GiB on the %s, built in %.1f s (rows gathered on %d "
                    "thread%s %.1f s%s)\n",
            w->rows, p->tables / GIB, ctx->backend == CC_BACKEND_CUDA ? "GPU" : "host", p->clock.tables,
            w->build_threads, w->build_threads == 1 ? "" : "s", w->gather_seconds, uploads);
    fflush(p->out);
    return 0;
}

/* A run through cuDNN grants its algorithms part of what its budget leaves beyond the
 * plan (cc_cudnn_workspace_grant), which the plan then counts: 512 MiB, the least it
 * reserves, kept the fastest algorithms out at 64 x 64 (kernels/ops.h). A rank beside
 * others (data parallel, tune's candidates) may share its GPU with them, each budgeting
 * the whole of it: it keeps the reserve. */
static void grant_cudnn_workspace(train_plan *p) {
    if (!through_cudnn(p->ctx)) return;
    int alone = !p->request->collective && !p->request->beside_others;
    double reserved = cc_cudnn_workspace_reserved(&p->memory);
    size_t grant = cc_cudnn_workspace_grant(reserved, p->memory.device + p->tables, alone ? p->budget : 0);
    double more = 4.0 * (double)grant - reserved;
    if (more > 0) p->memory.workspace += more, p->memory.device += more;
    p->ctx->cudnn_workspace_floats = grant;
}

/* ", data parallel over N processes" under a collective, else "". */
static const char *data_parallel(const cc_train_options *o, char *out, size_t len) {
    if (o->collective) snprintf(out, len, ", data parallel over %d processes", o->collective->size);
    else out[0] = 0;
    return out;
}

/* The run on an opened backend and a read tensor. */
static int train_on(train_plan *p, cc_tensor *t, const cc_ops_context *ctx, cc_train_outcome *outcome, char *err,
                    size_t err_len) {
    const cc_train_request *r = p->request;
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    memset(&model, 0, sizeof model), memset(&info, 0, sizeof info), memset(&state, 0, sizeof state);
    cc_window_tables windows;
    int status = -1;
    double began = cc_now_seconds();
    if (set_up(p, t, &model, &info, &state, err, err_len) == 0) {
        p->clock.setup = cc_now_seconds() - began;
        grant_cudnn_workspace(p);
        set_length(p, &info);
        reporter rep = {.out = p->out, .path = r->out, .model = &model, .state = &state, .info = &info,
                        .epochs = p->options.epochs, .writes = p->writes, .saves = p->writes && !p->spread,
                        .clock = &p->clock, .files_written = &p->files_written,
                        .file_unwritten = &p->file_unwritten};
        cc_progress_begin(&rep.bar, "train", 0);
        if (!p->writes) rep.bar.enabled = 0; /* one bar for the job: rank 0's */
        p->options.on_batch = on_batch, p->options.on_epoch = on_epoch, p->options.context = &rep;
        const cc_split *s = &info.split;
        char parallel[64];
        fprintf(p->out,
                "training %s: %d x %d x %d x %d, target bins: train %d-%d, validation %d-%d, test %d-%d; %zu "
                "parameters; up to %d epoch%s, patience %d%s, on the %s%s\n",
                r->data, t->T, t->C, t->H, t->W, s->first[0], s->end[0] - 1, s->first[1], s->end[1] - 1, s->first[2],
                s->end[2] - 1, model.params.size, p->options.epochs, p->options.epochs == 1 ? "" : "s",
                p->options.patience, r->resume ? " (resumed)" : "",
                ctx->backend == CC_BACKEND_CUDA ? "GPU" : "CPU", data_parallel(&p->options, parallel, sizeof parallel));
        /* a resume of a run that stopped early trains nothing, which it printed as if it would (a probe) */
        if (r->resume && p->writes && state.best_epoch > 0 && state.epochs_done < p->options.epochs &&
            state.epochs_done - state.best_epoch >= p->options.patience && info.finished + 1 >= info.members)
            fprintf(p->out, "(it stopped early at epoch %d, %d after its best, epoch %d: its patience of %d is spent, "
                            "and a resume keeps it; nothing more is trained)\n", state.epochs_done,
                    state.epochs_done - state.best_epoch, state.best_epoch, p->options.patience);
        char host_share[64] = "";
        if (ctx->backend == CC_BACKEND_CUDA) snprintf(host_share, sizeof host_share, "; %.2f GiB on the host", p->memory.host / GIB);
        char tables[96] = "";
        if (p->options.resident) snprintf(tables, sizeof tables, ", resident windows %.2f GiB", p->tables / GIB);
        char cudnn[64] = "";
        if (through_cudnn(ctx))
            snprintf(cudnn, sizeof cudnn, ", cuDNN's workspace up to %.2f GiB", 4.0 * (double)ctx->cudnn_workspace_floats / GIB);
        fprintf(p->out, "memory planned: %.2f GiB on the %s of the %.2f GiB it may take (activations %.2f GiB at "
                        "batch %d%s%s)%s\n",
                ((ctx->backend == CC_BACKEND_CUDA ? p->memory.device : p->memory.host) + p->tables) / GIB,
                ctx->backend == CC_BACKEND_CUDA ? "GPU" : "host", p->budget / GIB, p->memory.activations / GIB,
                p->options.batch, tables, cudnn, host_share);
        int trained = share_window_tables(p, t, ctx, &model, &info, &windows, err, err_len) != 0 ? -1
                      : p->spread ? train_members_spread(p, t, ctx, &model, &info, &state, err, err_len)
                                  : train_members(p, t, ctx, &model, &info, &state, err, err_len);
        cc_progress_end(&rep.bar); /* a stopped run's message starts a line of its own */
        if (trained == 0) {
            if (info.members > 1)
                fprintf(p->out, "%s: %d members, seeds %u-%u; predict forecasts the mean of their expected counts\n",
                        r->out, info.members, p->options.seed - (unsigned)info.finished, p->options.seed);
            if (outcome) outcome->best_epoch = state.best_epoch, outcome->best_val = state.best_val;
            status = 0;
        } else if (rep.err[0]) {
            snprintf(err, err_len, "%s", rep.err);
        }
    }
    if (p->options.tables) cc_window_tables_close(p->options.tables), p->options.tables = NULL;
    if (!r->resume) info.grid = (cc_tensor){0}; /* borrowed from t */
    cc_model_info_free(&info);
    cc_train_state_free(&state);
    cc_convlstm_free(&model);
    return status;
}

/* The run's last line: its wall time and the phases' shares of it. */
static void print_clock(const train_plan *p, const cc_ops_context *ctx) {
    const run_clock *c = &p->clock;
    double all = cc_now_seconds() - c->start;
    double rest = all - (c->device + c->read + c->setup + c->tables + c->training + c->test + c->file);
    char tables[64] = "", test[32] = "";
    if (p->options.resident) snprintf(tables, sizeof tables, ", resident windows %.1f s", c->tables);
    if (!p->request->validation_only) snprintf(test, sizeof test, ", test loss %.1f s", c->test);
    fprintf(p->out,
            "time: %.1f s in all: opening the %s %.1f s, reading the tensor %.1f s, set-up %.1f s%s, %d epoch%s%s %.1f s "
            "(%.2f s an epoch, validation included), model file %.1f s%s, the rest %.1f s\n",
            all, ctx->backend == CC_BACKEND_CUDA ? "GPU" : "CPU backend", c->device, c->read, c->setup, tables,
            c->epochs, c->epochs == 1 ? "" : "s", p->spread ? " of this rank's members" : "", c->training,
            c->epochs ? c->training / c->epochs : 0.0, c->file, test, rest);
}

/* --memory against the tensor alone, before it is read, on the CPU (where --memory is the
 * host's): its dense counts and recency maps
 * (two per count, when the model reads them) are what reading takes before the run's plan
 * can be made, and they alone may pass the budget (a 40 m grid read 2.1 GiB under
 * --memory 1G before the refusal). */
static int tensor_within_memory(const cc_train_request *r, const cc_ops_context *ctx, char *err, size_t err_len) {
    int shape[4];
    char why[256];
    if (cc_plan_device(ctx)) return 0; /* --memory is the GPU's there; the tensor is the host's */
    if (r->memory <= 0 || cc_tensor_file_shape(r->data, shape, why, sizeof why) != 0) return 0; /* the read says */
    double counts = 4.0 * shape[0] * shape[1] * (double)shape[2] * shape[3];
    double need = counts * (1 + (r->resume || wants_recency_maps(r) ? CC_RECENCY_MAPS : 0));
    if (need <= r->memory) return 0;
    snprintf(err, err_len, "%s: the tensor alone takes %s in memory (%d bins x %d channels x %d x %d cells%s), "
             "more than --memory's %s: raster larger cells or a shorter span", r->data, sized(need).text, shape[0],
             shape[1], shape[2], shape[3], need > counts ? ", with its recency maps" : "", sized(r->memory).text);
    return -1;
}

void cc_train_note_replaced_model(const cc_train_request *r) {
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    char ignored[512];
    memset(&state, 0, sizeof state);
    if (access(r->out, F_OK) != 0 || cc_checkpoint_read(r->out, 1, &model, &info, &state, ignored, sizeof ignored) != 0)
        return;
    char members[48] = "";
    if (info.members > 1) snprintf(members, sizeof members, ", %d of %d members finished", info.finished, info.members);
    fprintf(stderr, "crimecast train: note: %s holds a %s model (%d epoch%s done%s, best validation loss %s); this run "
            "replaces it when it saves its first epoch (to keep it, another --out; --resume %s trains it on, on the "
            "tensor it was trained on)\n", r->out, cc_model_arch_name(&info.config), state.epochs_done,
            state.epochs_done == 1 ? "" : "s", members, cc_loss_shown(state.best_val).text, r->out);
    cc_train_state_free(&state);
    cc_model_info_free(&info);
    cc_convlstm_free(&model);
}

int cc_run_train(const cc_train_request *r, FILE *out, cc_train_outcome *outcome, char *err, size_t err_len) {
    train_plan p;
    double start = cc_now_seconds();
    if (plan_from(r, out, &p, err, err_len) != 0) return -1;
    /* not after the first epoch; a --resume in place is read first, and says what is wrong
     * with the file it is (tune resumes its candidates so) */
    int in_place = r->resume && cc_paths_one_file(r->resume, r->out);
    if (p.writes && (in_place ? cc_whole_file_check(r->out, err, err_len)
                              : cc_hdf5_replace_check(r->out, CC_MODEL_FORMAT, err, err_len)) != 0) {
        if (outcome) outcome->file_unwritten = 1;
        return -1;
    }
    p.clock.start = start;
    cc_ops_context ctx;
    if (cc_device_open_for_rank(&r->device, r->local_rank, r->local_size, &ctx, err, err_len) != 0) return -1;
    if (p.writes && !r->validation_only) cc_device_note_unread(&r->device, &ctx); /* once: not per tune candidate */
    p.ctx = &ctx;
    p.budget = cc_memory_budget(&ctx, r->memory, &p.budget_words);
    p.clock.device = cc_now_seconds() - start;
    cc_tensor t = {0};
    int status = -1;
    if (tensor_within_memory(r, &ctx, err, err_len) == 0 &&
        cc_tensor_read(r->data, "counts", &t, err, err_len) == 0 && /* it refuses a mask without a cell */
        (!(r->resume || wants_recency_maps(r)) || cc_tensor_read_recency(r->data, &t, cc_cpu_threads(&ctx), err, err_len) == 0)) {
        cc_tensor_index_nonzeros(&t); /* without it (out of memory) the context sums read every cell */
        p.clock.read = cc_now_seconds() - start - p.clock.device;
        status = r->collective ? cc_ranks_same_tensor(r->collective, r->data, &t, err, err_len) : 0;
        if (status == 0) status = train_on(&p, &t, &ctx, outcome, err, err_len);
        if (status == 0 && p.writes) print_clock(&p, &ctx);
    }
    if (outcome) outcome->file_unwritten = p.file_unwritten, outcome->resume_unreadable = p.resume_unreadable;
    cc_tensor_free(&t);
    cc_close_backend(&ctx);
    return status;
}
