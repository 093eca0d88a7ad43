/* crimecast train: a ConvLSTM on a tensor file, checkpointed to a model file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "host/cli.h"
#include "host/device.h"
#include "host/progress.h"
#include "host/tensor_file.h"
#include "host/train_config.h"
#include "models/baselines.h"
#include "models/checkpoint.h"


static const char TRAIN_HELP[] =
    "usage: crimecast train --data TENSOR.h5 --model convlstm|convlstm-ae --out MODEL.h5\n"
    "                       [--device auto|cpu|cuda] [--conv gemm|cudnn] [--tf32]\n"
    "                       [--layers N] [--hidden 16,16] [--kernel 3] [--window 8] [--horizon 1]\n"
    "                       [--loss poisson|mse] [--baseline K|auto|none] [--peephole] [--lr 1e-3]\n"
    "                       [--weight-decay 0] [--context on|off] [--recency on|off] [--skip 0|1|3]\n"
    "                       [--level-gate on|off|skip] [--config CONFIG.json]\n"
    "                       [--batch 16] [--epochs N] [--patience N] [--clip 1] [--seed 1]\n"
    "                       [--seeds N] [--threads N] [--test-from DATE] [--resume MODEL.h5]\n"
    "                       [--down 2|4] [--features F]   (convlstm-ae)\n\n"
    "Trains a ConvLSTM encoder-forecaster (Shi et al. 2015) on every channel of the tensor:\n"
    "`window` bins in, `horizon` bins out; convlstm-ae wraps it in a strided-convolution\n"
    "encoder (down x2 or x4, F feature maps) and a transposed-convolution decoder, for\n"
    "larger grids. The time axis is split chronologically, 70/15/15\n"
    "(or the test span from --test-from), with window-1 bins between spans; inputs are\n"
    "log1p counts scaled per channel on the training span; cells outside the mask are\n"
    "ignored. With the Poisson loss the network learns a correction to the historical\n"
    "average: log rate = log(mean of the last K bins at the forecast origin) + network, so\n"
    "untrained it equals that average (--baseline auto, the default: K = 52 weeks, 12 months,\n"
    "28 days; none: the network predicts the whole log-rate). --context on (the default) adds\n"
    "input maps to every step: each channel's log-average over the last year and, as log\n"
    "ratios to it, over the last 1, 4 and 13 bins and the whole history up to the forecast\n"
    "origin, a near-repeat map log(1 + last bin's count / long-run rate), and the target's\n"
    "season (sin and cos of its day of the year). --recency on (the default; used when the\n"
    "tensor has them) adds the near-repeat map again with each past incident weighted by how\n"
    "recent it was at the forecast origin, exp(-age / d) for d = 1 and 3 days: whether the\n"
    "last bin's incidents came early or late in it. --level-gate skip (the default) adds the\n"
    "1-, 4- and 13-bin log ratios again, multiplied by log(1 + the cell's yearly rate), so\n"
    "the response to a recent change can grow with the cell's count, for the skip path only\n"
    "(none without it); on gives them to the ConvLSTM too; off leaves them out. --skip K (default\n"
    "3; 0 off) adds a linear KxK convolution of the last step's maps to the output log-rate:\n"
    "a Poisson GLM over those averages, which the ConvLSTM corrects.\n"
    "Early stopping on the validation loss: the best epoch is saved to MODEL.h5\n"
    "(default: 20 epochs, patience 5, more on a small tensor: at least 250 optimiser steps\n"
    "and a patience of 60 steps)\n"
    "(written whole after every improvement). --seeds N trains N members with seeds\n"
    "seed, seed+1, ... one after another into the same file; predict forecasts the mean of\n"
    "their expected counts (a seed ensemble). --resume continues a model file's training\n"
    "(the member in training, then the members still to come).\n"
    "--config reads options from a file `crimecast tune` wrote; options given on the\n"
    "command line override it. --device auto (the default) trains on the GPU when one is\n"
    "usable; there --conv cudnn runs the convolutions through cuDNN and --tf32 allows TF32\n"
    "tensor cores (faster, about 1e-3 from FP32; both ignored on the CPU).\n";

typedef struct train_args {
    const char *data, *out, *model, *device, *conv, *resume, *test_from, *baseline, *context, *recency, *level_gate;
    cc_convlstm_config config;
    cc_train_options options;
    int threads, hidden_given, seeds, tf32;
} train_args;

static int parse_hidden(const char *text, cc_convlstm_config *c) {
    int n = 0;
    const char *p = text;
    while (*p && n < CC_MAX_LAYERS) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 1024) return -1;
        c->hidden[n++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return *p ? -1 : n;
}

static int int_option(const char *name, const char *text, int min, int max, int *out) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || v < min || v > max) return cc_usage_error("train", "%s must be a whole number %d-%d (got '%s')", name, min, max, text);
    *out = (int)v;
    return 0;
}

/* --context, --recency, --level-gate: "on" or "off", kept as given. */
static int on_off_option(const char *name, const char *text, const char **out) {
    if (strcmp(text, "on") && strcmp(text, "off"))
        return cc_usage_error("train", "%s must be on or off (got '%s')", name, text);
    *out = text;
    return 0;
}

/* --level-gate on|off|skip: which of the model's inputs the level-gated ratio maps are. */
static int level_gate_option(const char *text, const char **out) {
    if (strcmp(text, "skip") == 0) {
        *out = text;
        return 0;
    }
    return on_off_option("--level-gate", text, out);
}

/* The model's gated (models/convlstm.h): skip gives the maps to the skip path, so
 * without one there are none. */
static int level_gate_value(const char *text, int skip) {
    return !strcmp(text, "on") ? 1 : !strcmp(text, "skip") && skip ? 2 : 0;
}

static int real_option(const char *name, const char *text, double min, double *out) {
    char *end;
    *out = strtod(text, &end);
    if (*end || !(*out >= min)) return cc_usage_error("train", "%s must be a number >= %g (got '%s')", name, min, text);
    return 0;
}

static int parse_args(int argc, char **argv, train_args *a) {
    static const struct option OPTIONS[] = {
        {"data", required_argument, NULL, 'd'}, {"out", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'm'}, {"device", required_argument, NULL, 'D'},
        {"layers", required_argument, NULL, 'L'}, {"hidden", required_argument, NULL, 'H'},
        {"kernel", required_argument, NULL, 'k'}, {"window", required_argument, NULL, 'w'},
        {"horizon", required_argument, NULL, 'z'}, {"loss", required_argument, NULL, 'l'},
        {"peephole", no_argument, NULL, 'p'}, {"lr", required_argument, NULL, 'r'},
        {"weight-decay", required_argument, NULL, 'W'}, {"batch", required_argument, NULL, 'b'},
        {"epochs", required_argument, NULL, 'e'}, {"patience", required_argument, NULL, 'P'},
        {"clip", required_argument, NULL, 'c'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"test-from", required_argument, NULL, 'T'},
        {"resume", required_argument, NULL, 'R'}, {"down", required_argument, NULL, 'n'},
        {"features", required_argument, NULL, 'F'}, {"baseline", required_argument, NULL, 'B'},
        {"context", required_argument, NULL, 'x'}, {"skip", required_argument, NULL, 'S'},
        {"seeds", required_argument, NULL, 'N'}, {"recency", required_argument, NULL, 'Y'},
        {"level-gate", required_argument, NULL, 'G'}, {"conv", required_argument, NULL, 'V'},
        {"tf32", no_argument, NULL, 'X'},         {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->device = "auto", a->conv = "gemm";
    a->model = "convlstm";
    a->baseline = "auto";
    a->context = "on"; /* with the skip path: the configuration of bench/RESULTS.md's issue 9 tables */
    a->recency = "on"; /* when the tensor has them: bench/RESULTS.md, "recency maps" */
    a->level_gate = "skip"; /* chosen on the validation spans: bench/RESULTS.md, "Train's default since 2026-11-27 (evening)" */
    a->seeds = 1;
    cc_convlstm_config *c = &a->config;
    c->layers = 2, c->hidden[0] = c->hidden[1] = 16, c->kernel = 3, c->window = 8, c->horizon = 1, c->skip = 3;
    c->down = 1, c->features = 16;
    int down = 2;
    cc_train_options *o = &a->options;
    o->lr = 1e-3, o->batch = 16, o->clip = 1.0, o->seed = 1; /* epochs, patience 0: by the tensor (set_length) */
    optind = 0;
    opterr = 0;
    int opt, v = 0, layers = 0;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'd': a->data = optarg; break;
        case 'o': a->out = optarg; break;
        case 'm': a->model = optarg; break;
        case 'D': a->device = optarg; break;
        case 'V': a->conv = optarg; break;
        case 'X': a->tf32 = 1; break;
        case 'R': a->resume = optarg; break;
        case 'T': a->test_from = optarg; break;
        case 'B': a->baseline = optarg; break;
        case 'x': bad = on_off_option("--context", optarg, &a->context); break;
        case 'Y': bad = on_off_option("--recency", optarg, &a->recency); break;
        case 'G': bad = level_gate_option(optarg, &a->level_gate); break;
        case 'p': c->peephole = 1; break;
        case 'S':
            bad = int_option("--skip", optarg, 0, 9, &c->skip);
            if (!bad && c->skip % 2 == 0 && c->skip) return cc_usage_error("train", "--skip must be 0 (off) or odd (got %d)", c->skip);
            break;
        case 'L': bad = int_option("--layers", optarg, 1, CC_MAX_LAYERS, &layers); break;
        case 'H':
            v = parse_hidden(optarg, c);
            if (v < 0) return cc_usage_error("train", "--hidden takes channels per layer, e.g. 64,64 (got '%s')", optarg);
            a->hidden_given = v;
            break;
        case 'k': bad = int_option("--kernel", optarg, 1, 15, &c->kernel); break;
        case 'w': bad = int_option("--window", optarg, 1, 512, &c->window); break;
        case 'z': bad = int_option("--horizon", optarg, 1, 64, &c->horizon); break;
        case 'l':
            if (cc_loss_parse(optarg, &a->options.loss) != 0)
                return cc_usage_error("train", "--loss must be poisson or mse (got '%s')", optarg);
            break;
        case 'r': bad = real_option("--lr", optarg, 1e-12, &o->lr); break;
        case 'W': bad = real_option("--weight-decay", optarg, 0, &o->weight_decay); break;
        case 'b': bad = int_option("--batch", optarg, 1, 4096, &o->batch); break;
        case 'e': bad = int_option("--epochs", optarg, 1, CC_MAX_EPOCHS, &o->epochs); break;
        case 'P': bad = int_option("--patience", optarg, 1, CC_MAX_EPOCHS, &o->patience); break;
        case 'c': bad = real_option("--clip", optarg, 0, &o->clip); break;
        case 's': bad = int_option("--seed", optarg, 0, 2000000000, &v), o->seed = (unsigned)v; break;
        case 't': bad = int_option("--threads", optarg, 1, 1024, &a->threads); break;
        case 'N': bad = int_option("--seeds", optarg, 1, CC_MAX_MEMBERS, &a->seeds); break;
        case 'n':
            bad = int_option("--down", optarg, 2, 4, &down);
            if (!bad && down == 3) return cc_usage_error("train", "--down must be 2 or 4");
            break;
        case 'F': bad = int_option("--features", optarg, 1, 1024, &c->features); break;
        case 'h': fputs(TRAIN_HELP, stdout); return -1;
        default: return cc_usage_error("train", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
        if (bad) return bad;
    }
    if (optind < argc) return cc_usage_error("train", "unexpected argument '%s'", argv[optind]);
    if (!a->data || !a->out) return cc_usage_error("train", "--data and --out are required");
    if (!strcmp(a->model, "convlstm-ae"))
        c->down = down;
    else if (strcmp(a->model, "convlstm") != 0)
        return cc_usage_error("train", "--model must be convlstm or convlstm-ae (got '%s')", a->model);
    if (c->kernel % 2 == 0) return cc_usage_error("train", "--kernel must be odd");
    if (layers) c->layers = layers;
    if (a->hidden_given && a->hidden_given != c->layers) {
        if (layers) return cc_usage_error("train", "--hidden lists %d layers, --layers says %d", a->hidden_given, layers);
        c->layers = a->hidden_given;
    }
    for (int l = 1; l < c->layers; l++)
        if (!c->hidden[l]) c->hidden[l] = c->hidden[l - 1];
    const char *wrong = cc_backend_choice_error(a->device, a->conv);
    if (wrong) return cc_usage_error("train", "%s (got --device %s --conv %s)", wrong, a->device, a->conv);
    return 0;
}

typedef struct reporter {
    cc_progress bar;
    const char *out;
    cc_convlstm *model;
    cc_train_state *state;
    cc_model_info *info;
    int epochs;
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
    fprintf(stderr, "\r%sepoch %d/%d  batch %d/%d  loss %.5f  %.0f samples/s\033[K", member_label(r->info, member, sizeof member),
            epoch, r->epochs, batch, batches, loss, rate);
}

static int on_epoch(void *context, int epoch, double train_loss, double val_loss, int improved) {
    reporter *r = context;
    cc_progress_end(&r->bar);
    printf("epoch %d: train loss %.6f, validation loss %.6f%s\n", epoch, train_loss, val_loss,
           improved ? " (best so far: saved)" : "");
    fflush(stdout);
    if (!improved) return 0;
    return cc_checkpoint_write(r->out, r->model, r->state, r->info, r->err, sizeof r->err);
}

/* Whether the options ask for the recency maps (used when the tensor has them; a resumed
 * model brings its own choice, so train reads the maps for --resume too). */
static int wants_recency_maps(const train_args *a) {
    return !strcmp(a->context, "on") && !strcmp(a->recency, "on");
}

/* --baseline: K bins, none (0), or auto (the bin kind's year or month; none with MSE). */
static int baseline_bins(const train_args *a, const cc_tensor *t, int *k, char *err, size_t err_len) {
    char *end;
    if (!strcmp(a->baseline, "none")) *k = 0;
    else if (!strcmp(a->baseline, "auto")) *k = a->options.loss == CC_LOSS_POISSON ? cc_baseline_default_k(t->bin) : 0;
    else if ((*k = (int)strtol(a->baseline, &end, 10)) < 1 || *end || *k > t->T) {
        snprintf(err, err_len, "--baseline must be K (1-%d bins), auto or none (got '%s')", t->T, a->baseline);
        return -1;
    }
    if (*k > 0 && a->options.loss != CC_LOSS_POISSON) {
        snprintf(err, err_len, "--baseline K corrects a Poisson log-rate: use it with --loss poisson, or --baseline none");
        return -1;
    }
    return 0;
}

/* A new, untrained model for seed a->options.seed with its training state: the same for
 * the first member and every later one, so member k of `--seeds N` is bit for bit the
 * model `--seed seed+k` trains alone. */
static int create_member(const train_args *a, const cc_tensor *t, const cc_split *split, cc_convlstm *model,
                         cc_train_state *state, char *err, size_t err_len) {
    if (cc_convlstm_create(model, &a->config, a->options.batch, a->options.seed, err, err_len) != 0) return -1;
    if (cc_train_state_init(state, model) != 0) {
        snprintf(err, err_len, "out of memory for the training state");
        return -1;
    }
    if (a->options.loss == CC_LOSS_POISSON) {
        cc_train_init_head(model, t, split);
        memcpy(state->best.data, model->params.data, sizeof(float) * model->params.size);
    }
    return 0;
}

static int set_up(train_args *a, cc_tensor *t, cc_convlstm *model, cc_model_info *info, cc_train_state *state,
                  char *err, size_t err_len) {
    if (a->resume) {
        if (cc_checkpoint_read(a->resume, a->options.batch, model, info, state, err, err_len) != 0) return -1;
        if (cc_model_matches_tensor(info, t, err, err_len) != 0) return -1;
        int epochs = a->options.epochs;
        a->options = info->options; /* the run continues with the model's own options */
        a->options.epochs = epochs;
        a->config = info->config;
        return 0;
    }
    int test_from = -1;
    if (a->test_from) {
        int64_t day;
        if (cc_parse_iso_date(a->test_from, &day) != 0) {
            snprintf(err, err_len, "--test-from '%s' is not a date", a->test_from);
            return -1;
        }
        test_from = cc_first_bin_from(t, day);
        if (test_from < 0) {
            snprintf(err, err_len, "--test-from %s is after the tensor's last bin", a->test_from);
            return -1;
        }
    }
    a->config.channels = t->C, a->config.height = t->H, a->config.width = t->W;
    if (baseline_bins(a, t, &a->config.baseline_k, err, err_len) != 0) return -1;
    int context = !strcmp(a->context, "on");
    cc_sample_spec spec = {a->config.window, a->config.horizon, context, wants_recency_maps(a) ? t->R : 0,
                           context ? level_gate_value(a->level_gate, a->config.skip) : 0};
    a->config.recency = spec.recency, a->config.gated = spec.gated;
    a->config.context = cc_sample_context_maps(&spec, t->C);
    info->config = a->config;
    info->loss = a->options.loss;
    info->options = a->options;
    info->members = a->seeds;
    info->scale = malloc(sizeof(float) * (size_t)t->C);
    if (!info->scale || cc_split_make(t->T, a->config.window, a->config.horizon, test_from, &info->split, err, err_len) != 0)
        return -1;
    cc_normalisation_fit(t, &info->split, info->scale);
    if (create_member(a, t, &info->split, model, state, err, err_len) != 0) return -1;
    info->grid = *t; /* metadata: the grid and channels are borrowed from the tensor */
    info->grid.values = NULL;
    cc_format_iso_date(t->time[0], info->first_bin);
    cc_format_iso_date(t->time[t->T - 1], info->last_bin);
    return 0;
}

/* The model file after the last epoch: the best parameters with their optimiser moments
 * (so a resume continues from them) and the whole loss history, including the epochs
 * after the best; written even when this run never improved (a resume may not). */
static int write_final(const train_args *a, cc_convlstm *model, cc_train_state *state, const cc_model_info *info,
                       char *err, size_t err_len) {
    size_t bytes = sizeof(float) * model->params.size;
    memcpy(state->m.data, state->best_m.data, bytes);
    memcpy(state->v.data, state->best_v.data, bytes);
    return cc_checkpoint_write(a->out, model, state, info, err, err_len);
}

/* Epochs and patience not given: cc_train_default_length for this tensor's epochs. A
 * resumed run keeps the file's patience. The file records them. */
static void set_length(train_args *a, const cc_tensor *t, cc_model_info *info) {
    const cc_convlstm_config *c = &info->config;
    int batches = cc_split_samples(&info->split, CC_SPAN_TRAIN, t->T, c->window, c->horizon) / a->options.batch;
    int epochs, patience;
    cc_train_default_length(batches, &epochs, &patience);
    if (!a->options.epochs) a->options.epochs = epochs;
    if (!a->options.patience) a->options.patience = patience;
    info->options.epochs = a->options.epochs, info->options.patience = a->options.patience;
}

/* Files the root member (trained, its best parameters in `model`) among the finished
 * ones and makes a new, untrained member for the next seed the root. */
static int start_next_member(train_args *a, const cc_tensor *t, cc_convlstm *model, cc_model_info *info,
                             cc_train_state *state, char *err, size_t err_len) {
    cc_member *m = &info->member[info->finished];
    size_t bytes = sizeof(float) * model->params.size;
    if (!(m->params = malloc(bytes))) {
        snprintf(err, err_len, "out of memory for ensemble member %d", info->finished + 1);
        return -1;
    }
    memcpy(m->params, model->params.data, bytes);
    m->seed = a->options.seed, m->best_epoch = state->best_epoch, m->best_val = state->best_val;
    info->finished++;
    info->options.seed = ++a->options.seed;
    cc_train_state_free(state);
    cc_convlstm_free(model);
    return create_member(a, t, &info->split, model, state, err, err_len);
}

/* Trains the root member, then each member still to come, writing the model file after
 * every member so that an interrupted run resumes at the member it was training. */
static int train_members(train_args *a, const cc_tensor *t, const cc_ops_context *ctx, cc_convlstm *model,
                         cc_model_info *info, cc_train_state *state, char *err, size_t err_len) {
    for (;;) {
        char member[32];
        if (info->members > 1)
            printf("%s(seed %u)\n", member_label(info, member, sizeof member), a->options.seed), fflush(stdout);
        if (cc_train(model, ctx, t, &info->split, info->scale, &a->options, state, err, err_len) != 0 ||
            write_final(a, model, state, info, err, err_len) != 0)
            return -1;
        double test = cc_evaluate(model, ctx, t, &info->split, CC_SPAN_TEST, info->scale, info->loss, a->options.batch);
        printf("%s%sbest epoch %d, validation loss %.6f, test loss %.6f\n", info->members > 1 ? "" : a->out,
               info->members > 1 ? member_label(info, member, sizeof member) : ": ", state->best_epoch, state->best_val, test);
        if (info->finished + 1 >= info->members) return 0;
        if (start_next_member(a, t, model, info, state, err, err_len) != 0 ||
            cc_checkpoint_write(a->out, model, state, info, err, err_len) != 0)
            return -1;
    }
}

static int train_command(int argc, char **argv);

/* --config FILE (or --config=FILE): the file's options are placed right after the
 * command name, so any option on the command line, parsed later, overrides them.
 * Returns the new argc (argv into `out`), or -1 after printing why. */
static int expand_config(int argc, char **argv, cc_train_config *config, char **out) {
    int n = 0, found = 0;
    out[n++] = argv[0];
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) path = argv[++i], found = 1;
        else if (!strncmp(argv[i], "--config=", 9)) path = argv[i] + 9, found = 1;
    }
    if (found) {
        char err[1024];
        if (cc_train_config_read(path, config, err, sizeof err) != 0) {
            fprintf(stderr, "crimecast train: --config %s\n", err);
            return -1;
        }
        n += cc_train_config_argv(config, out + n);
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) i++;
        else if (strncmp(argv[i], "--config=", 9)) out[n++] = argv[i];
    }
    out[n] = NULL;
    return n;
}

int cc_cmd_train(int argc, char **argv) {
    cc_train_config config;
    char **expanded = malloc(sizeof(char *) * (size_t)(argc + 2 * CC_TRAIN_CONFIG_MAX + 1));
    int expanded_argc = expanded ? expand_config(argc, argv, &config, expanded) : -1;
    if (expanded_argc < 0) {
        free(expanded);
        return CC_EXIT_USAGE;
    }
    int status = train_command(expanded_argc, expanded);
    free(expanded);
    return status;
}

static int train_command(int argc, char **argv) {
    train_args a;
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    char err[1024];
    cc_ops_context ctx;
    if (cc_open_backend(a.device, a.threads, !strcmp(a.conv, "cudnn"), a.tf32, &ctx, err, sizeof err) != 0) {
        fprintf(stderr, "crimecast train: --device %s: %s\n", a.device, err);
        return CC_EXIT_FAILURE;
    }
    cc_tensor t;
    if (cc_tensor_read(a.data, "counts", &t, err, sizeof err) != 0 ||
        ((a.resume || wants_recency_maps(&a)) && cc_tensor_read_recency(a.data, &t, err, sizeof err) != 0)) {
        fprintf(stderr, "crimecast train: %s\n", err);
        cc_tensor_free(&t);
        cc_close_backend(&ctx);
        return CC_EXIT_FAILURE;
    }
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    memset(&model, 0, sizeof model), memset(&info, 0, sizeof info), memset(&state, 0, sizeof state);
    int status = CC_EXIT_FAILURE;
    int from_checkpoint = a.resume != NULL;
    if (set_up(&a, &t, &model, &info, &state, err, sizeof err) == 0) {
        set_length(&a, &t, &info);
        reporter r = {.out = a.out, .model = &model, .state = &state, .info = &info, .epochs = a.options.epochs};
        cc_progress_begin(&r.bar, "train", 0);
        a.options.on_batch = on_batch, a.options.on_epoch = on_epoch, a.options.context = &r;
        const cc_split *s = &info.split;
        printf("training %s: %d x %d x %d x %d, train bins %d-%d, validation %d-%d, test %d-%d; %zu parameters; up to "
               "%d epochs, patience %d%s, on the %s\n",
               a.data, t.T, t.C, t.H, t.W, s->begin[0], s->end[0] - 1, s->begin[1], s->end[1] - 1, s->begin[2],
               s->end[2] - 1, model.params.size, a.options.epochs, a.options.patience, from_checkpoint ? " (resumed)" : "",
               ctx.backend == CC_BACKEND_CUDA ? "GPU" : "CPU");
        if (train_members(&a, &t, &ctx, &model, &info, &state, err, sizeof err) == 0) {
            if (info.members > 1)
                printf("%s: %d members, seeds %u-%u; predict forecasts the mean of their expected counts\n", a.out,
                       info.members, a.options.seed - (unsigned)info.finished, a.options.seed);
            status = CC_EXIT_OK;
        } else if (r.err[0]) {
            snprintf(err, sizeof err, "%s", r.err);
        }
    }
    if (status != CC_EXIT_OK) fprintf(stderr, "crimecast train: %s\n", err);
    if (!from_checkpoint) info.grid = (cc_tensor){0}; /* borrowed from t */
    cc_model_info_free(&info);
    cc_train_state_free(&state);
    cc_convlstm_free(&model);
    cc_tensor_free(&t);
    cc_close_backend(&ctx);
    return status;
}
