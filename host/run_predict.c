/* host/run_predict.h: one model file or several, each possibly a seed ensemble, averaged
 * into one forecast file. */
#include "host/run_predict.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "crawler/same_file.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/covariates.h"
#include "heatmaps/tensor_file.h"
#include "host/defaults.h"
#include "host/memory_budget.h"
#include "host/rank_agreement.h"
#include "host/short_bins.h"
#include "kernels/cpu/threads.h"
#include "kernels/device.h"
#include "models/checkpoint.h"
#include "models/memory_plan.h"

enum { PREDICT_BATCH = 16 };

/* Samples forecast at once: 16, or the training run's batch when smaller, and then no
 * more than train's memory plan fits in the budget (--memory, or 90% of the GPU's or the
 * host's available memory): a model trained at batch 16 on a larger machine took 13 GB
 * at 150 m on a smaller one, its training batch's activations at once (a probe). The plan
 * counts the optimiser's state too, which predict does not hold: a margin. 0 with err
 * when not even one sample fits. */
static int usual_batch(const cc_model_info *info) {
    int trained = info->options.batch;
    return trained >= 1 && trained < PREDICT_BATCH ? trained : PREDICT_BATCH;
}

static int predict_batch(const cc_ops_context *ctx, const cc_model_info *info, const cc_tensor *t, double budget,
                         const char *words, char *err, size_t err_len) {
    int batch = usual_batch(info), on_gpu = cc_plan_device(ctx);
    if (budget <= 0) return batch;
    int fits = cc_train_memory_largest_batch(&info->config, batch, t->T, t->R, on_gpu, 1, cc_ops_threads(ctx), budget);
    if (fits > 0) return fits;
    cc_train_memory one; /* what the refusal rests on: a probe read "not even one" of a 143 KB input */
    char ignored[256];
    int planned = cc_train_memory_plan(&info->config, 1, t->T, t->R, on_gpu, 1, cc_ops_threads(ctx), &one, ignored,
                                       sizeof ignored) == 0;
    char need[160] = "";
    if (planned && on_gpu)
        snprintf(need, sizeof need, "; one forecast is planned at %.2f GiB of the GPU's", one.device / 1073741824.0);
    else if (planned)
        snprintf(need, sizeof need, "; one forecast is planned at %.2f GiB, %.2f of it the program's fixed allowance",
                 one.host / 1073741824.0, one.program / 1073741824.0);
    snprintf(err, err_len, "not even one forecast of the %d x %d grid fits the memory predict may take (%.2f GiB: "
             "%s%s): give more with --memory, or predict where there is more", t->H, t->W, budget / 1073741824.0,
             words, need);
    return fits;
}

static const cc_option PREDICT_OPTIONS[] = {
    {CC_OPTION_LIST("model", cc_predict_request, models, model_count, CC_PREDICT_MAX_MODELS, "MODEL.h5",
                    "a model file; several (the same options, other seeds) are averaged"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("data", cc_predict_request, data, "TENSOR.h5", NULL, "the tensor the models were trained on"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("out", cc_predict_request, out, "FORECAST.h5", NULL, "the forecast file"),
     .required = 1, .file = CC_FILE_WRITTEN},
    {CC_OPTION_CHOICE("span", cc_predict_request, span, "test|val|all|next", CC_DEFAULT_SPAN,
                      "the span whose target bins are forecast; next: the bin the model's horizon after the tensor's last")},
    {CC_OPTION_CUSTOM("memory", cc_predict_request, memory, "SIZE|auto", "auto", cc_parse_memory_option,
                      "the memory the forecasts may take where they run, e.g. 8G: as many are made at once (at most "
                      "16, or the training batch) as train's memory plan fits in it; auto: 90% of the GPU's memory, "
                      "or of the host's available memory (within ulimit -v and a container's memory limit)")},
};

static const cc_option_group PREDICT_GROUPS[] = {
    {"options", CC_OPTION_ROWS(PREDICT_OPTIONS), 0},
    CC_DEVICE_GROUP(cc_predict_request, device),
};

/* One model file given twice is not an ensemble of two: it would be reported as one. */
static int check_request(void *request, char *why, size_t why_len) {
    const cc_predict_request *r = request;
    for (int i = 0; i < r->model_count; i++)
        for (int j = 0; j < i; j++) {
            if (!cc_paths_one_file(r->models[i], r->models[j])) continue;
            snprintf(why, why_len, "--model %s and --model %s are one file: an ensemble takes each model once",
                     r->models[j], r->models[i]);
            return -1;
        }
    return cc_device_request_check(&r->device, why, why_len);
}

const cc_command_spec CC_PREDICT_SPEC = {
    .name = "predict",
    .synopsis = "--model MODEL.h5 [--model MODEL2.h5 ...] --data TENSOR.h5 --out FORECAST.h5 [options]",
    .description =
        "Writes the model's expected counts for every target bin of the span: the bin `horizon`\n"
        "bins after each input window of the span. Several --model files (the same options\n"
        "trained with other seeds) make an ensemble: the forecast is the mean of their expected\n"
        "counts; they must share the horizon and the target bins (windows and architectures may\n"
        "differ; files of different architectures are named 'convlstm-ensemble' when all are\n"
        "ConvLSTMs, else 'ensemble'; of one architecture, its name and the members' number,\n"
        "e.g. convlstm-ens3). A model file of `train --seeds N`\n"
        "is such an ensemble by itself (all its members count). The forecast file has /forecast\n"
        "[T'][C][H][W] (0 outside the mask), the target bins' /time, and the tensor's /category,\n"
        "/y, /x, /mask and grid attributes, with format = crimecast-forecast, model and horizon.\n"
        "A model trained on another grid or channel set is refused. A model trained on either\n"
        "device runs on either.\n"
        "--span next forecasts what has not happened yet: the bin `horizon` bins after the\n"
        "tensor's last (the week after it, for a model of horizon 1), from the model's window of\n"
        "the tensor's last bins. The tensor may then be a newer raster of the same grid and\n"
        "categories: rastered up to today, it gives next week's forecast (it warns when it holds\n"
        "less history than the model reads: its window, a year of context, its offset's K bins;\n"
        "and when the window's last bins are far below the tensor's usual count: records not yet\n"
        "in the store). The context's long-run rate averages every bin the tensor holds before\n"
        "the origin, and the study area is the tensor's: a raster of another start gives a\n"
        "somewhat other forecast (a few % a cell, 52 weeks against 78); raster from the training\n"
        "tensor's first day to keep them alike.\n",
    .request_size = sizeof(cc_predict_request),
    .groups = PREDICT_GROUPS,
    .group_count = 2,
    .check = check_request,
};

void cc_predict_request_defaults(cc_predict_request *r) { cc_options_defaults(&CC_PREDICT_SPEC, r); }

/* What is forecast: the targets of a span of the models' split, or (next) the bin
 * `horizon` bins after the tensor's last, from the window of its last bins. */
typedef struct wanted {
    cc_span span;
    int next;
} wanted;

/* What every member of an ensemble must share with the first: the span's target bins,
 * each forecast `horizon` bins ahead. (Windows may differ: rolling origin gives every
 * window the same validation and test targets, and the next bin is every window's.) */
static int same_targets(const cc_model_info *a, const cc_model_info *b, const wanted *w) {
    if (w->next) return a->config.horizon == b->config.horizon;
    cc_span span = w->span;
    int n = cc_split_samples(&a->split, span);
    return a->config.horizon == b->config.horizon && n == cc_split_samples(&b->split, span) &&
           (n == 0 || cc_split_target(&a->split, span, 0) == cc_split_target(&b->split, span, 0));
}

/* How model b's targets differ from model a's, for the message: its horizon, or the span's
 * bins (ST-ResNet's window, its longest lag, and a ConvLSTM's differ: the whole series'
 * first targets with them; the refusal said "horizon or split" alike). */
static void targets_difference(const cc_model_info *a, const cc_model_info *b, const wanted *w, char *out, size_t len) {
    if (a->config.horizon != b->config.horizon || w->next) {
        snprintf(out, len, "its horizon, %d, differs from the first model's, %d", b->config.horizon, a->config.horizon);
        return;
    }
    cc_span span = w->span;
    int n[2] = {cc_split_samples(&a->split, span), cc_split_samples(&b->split, span)};
    const cc_split *s[2] = {&a->split, &b->split};
    int first[2], last[2];
    for (int k = 0; k < 2; k++)
        first[k] = n[k] ? cc_split_target(s[k], span, 0) : -1, last[k] = n[k] ? cc_split_target(s[k], span, n[k] - 1) : -1;
    /* the window moves the first training target alone, in the rolling-origin split */
    int by_window = a->config.window != b->config.window && !a->split.gapped && !b->split.gapped &&
                    (span == CC_SPAN_ALL || span == CC_SPAN_TRAIN) && first[0] != first[1];
    char why[160] = "their splits differ: another --test-from, or a model of the old split?";
    if (by_window)
        snprintf(why, sizeof why, "the first training target follows the window: windows of %d and %d bins; the val "
                 "and test spans' targets are shared", b->config.window, a->config.window);
    snprintf(out, len, "its %s span's targets are bins %d..%d, the first model's %d..%d (%s)", cc_span_name(span),
             first[1], last[1], first[0], last[0], why);
}

/* The members an ensemble has taken so far, by a digest of their parameters: a model given
 * twice under two names (a copy), or a seed trained again alone beside the ensemble that
 * holds it, was averaged twice and named an ensemble of more models than it had (a probe). */
typedef struct members_seen {
    uint64_t *digest;
    char (*label)[160];
    int count, capacity;
} members_seen;

/* 0 when the member of `path` (member k of `of`) is new, and noted; -1 with err naming the
 * earlier one when its parameters are one's already taken (or when out of memory). A
 * 64-bit digest: two different models alike in it are one chance in 2^64. */
static int take_member_once(members_seen *seen, const float *params, size_t bytes, const char *path, int k, int of,
                            char *err, size_t err_len) {
    uint64_t digest = cc_digest_large(CC_DIGEST_START, params, bytes);
    char label[160];
    if (of > 1) snprintf(label, sizeof label, "member %d of %.120s", k + 1, path);
    else snprintf(label, sizeof label, "%.150s", path);
    for (int i = 0; i < seen->count; i++)
        if (seen->digest[i] == digest) { /* said after the file's name, as the caller prefixes it */
            char member[32] = "it holds";
            if (of > 1) snprintf(member, sizeof member, "its member %d holds", k + 1);
            snprintf(err, err_len, "%s the same parameters as %s: one model given twice (a copy, or the same seed and "
                     "options trained again); an ensemble takes each model once", member, seen->label[i]);
            return -1;
        }
    if (seen->count == seen->capacity) {
        int capacity = seen->capacity ? 2 * seen->capacity : 16;
        uint64_t *digests = realloc(seen->digest, sizeof *digests * (size_t)capacity);
        if (digests) seen->digest = digests;
        char(*labels)[160] = digests ? realloc(seen->label, sizeof *labels * (size_t)capacity) : NULL;
        if (!labels) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
        seen->label = labels, seen->capacity = capacity;
    }
    seen->digest[seen->count] = digest;
    memcpy(seen->label[seen->count++], label, sizeof label);
    return 0;
}

/* Member k's parameters: the k-th finished member's, or the file's own (its root, the
 * last member, trained partway or whole). */
static const float *member_params(const cc_model_info *info, int k, const float *root) {
    return k < info->finished ? info->member[k].params : root;
}

/* Adds the lead-`horizon` forecasts of each member of a seed ensemble (a plain model: one
 * member) for the windows starting at starts[0..n) to sum [n][C][H][W], through `all`
 * [n][horizon][C][H][W]. Returns the members added, or 0 with err. */
static int add_member_forecasts(const cc_ops_context *ctx, cc_convlstm *model, const cc_model_info *info,
                                const cc_tensor *t, const int *starts, int n, int batch, float *all, float *sum,
                                char *err, size_t err_len) {
    const cc_convlstm_config *c = &info->config;
    size_t map = (size_t)t->C * t->H * t->W, bytes = sizeof(float) * model->params.size;
    int members = cc_model_forecast_members(info);
    float *root = malloc(bytes);
    if (!root) {
        snprintf(err, err_len, "out of memory");
        return 0;
    }
    memcpy(root, model->params.data, bytes);
    for (int k = 0; k < members; k++) {
        memcpy(model->params.data, member_params(info, k, root), bytes);
        if (cc_predict(model, ctx, t, info->scale, info->loss, starts, n, batch, all, err, err_len) != 0) {
            members = 0;
            break;
        }
        for (int i = 0; i < n; i++) {
            const float *lead = all + ((size_t)i * c->horizon + c->horizon - 1) * map;
            for (size_t q = 0; q < map; q++) sum[(size_t)i * map + q] += lead[q];
        }
    }
    free(root);
    return members;
}

/* The forecast file's model name: the architecture, +cov when it reads covariates (eval
 * tells the two apart); for files of more than one such kind "convlstm-ensemble" when
 * all are ConvLSTMs (the report counts it as the network), else "ensemble". */
static void name_the_model(const cc_model_info *info, int index, char name[32]) {
    char mine[32];
    snprintf(mine, sizeof mine, "%s%s", cc_model_arch_name(&info->config), /* +static: --covariates static */
             !info->config.covariates ? "" : info->static_covariates ? "+static" : "+cov");
    int convlstms = !strncmp(name, "convlstm", 8) && !strncmp(mine, "convlstm", 8);
    if (index == 0) memcpy(name, mine, sizeof mine);
    else if (strcmp(name, mine) != 0) snprintf(name, 32, "%s", convlstms ? "convlstm-ensemble" : "ensemble");
}

/* The bins of history a model reads before a forecast's origin: its window, the year its
 * context maps average over, the K bins of its offset's historical average. */
static int history_bins(const cc_convlstm_config *c, cc_bin_kind bin) {
    int most = c->window;
    if (c->context > 0 && cc_bin_kind_per_year(bin) > most) most = cc_bin_kind_per_year(bin);
    if (c->baseline_k > most) most = c->baseline_k;
    return most;
}

/* --span next forecasts from the tensor's last `window` bins: bins among them far below
 * the tensor's usual count or the bins just before them (host/short_bins.h) are records
 * the store lacks, which the forecast takes for quiet bins (a probe's forecast was 47%
 * low, exit 0, three empty weeks in its window). Said once, from the first model file. */
static void warn_gap_in_window(const char *data, const cc_tensor *t, int window) {
    cc_short_bins low;
    if (cc_find_short_bins(t, t->T - window, t->T - 1, &low) == 0) return;
    const char *bin = cc_bin_kind_name(t->bin);
    fprintf(stderr, "crimecast predict: warning: %s: the %d %ss --span next forecasts from hold %d far below the "
            "%ss before each: %s; records the store lacks (not yet published or crawled, or a raster past its end), "
            "which the forecast takes for quiet %ss, or a real fall (a holiday, a lockdown)? Raster up to the last %s "
            "the store holds whole\n", data, window, bin, low.count, bin, low.listed, bin, bin);
}

/* A dynamic covariate missing at every forecast origin (each window's last bin): the
 * network reads only the zero standardised missing maps become there (a series that ended
 * before the span). Said once, from the first model file. */
static void warn_missing_at_origins(const char *data, const cc_tensor *t, const cc_covariate_norm *reads,
                                    const int *starts, int n, int window) {
    cc_covariates cov;
    char why[256];
    int *origins = malloc(sizeof *origins * (size_t)(n > 0 ? n : 1));
    if (origins && cc_covariates_read(data, t, &cov, why, sizeof why) == 0) {
        for (int i = 0; i < n; i++) origins[i] = starts[i] + window - 1;
        int *read = calloc((size_t)(cov.D > 0 ? cov.D : 1), sizeof *read);
        for (int d = 0; read && d < cov.D; d++) /* the maps the model reads (not maps added after it was trained) */
            for (int k = 0; k < reads->D && !read[d]; k++)
                read[d] = !strcmp(reads->name[reads->K + k], cov.dynamic_info[d].name);
        if (read)
            cc_covariates_warn_missing(&cov, read, t->mask, origins, n, "crimecast predict",
                                       "a model trained with --covariates static leaves them out");
        free(read);
        cc_covariates_free(&cov);
    }
    free(origins);
}

/* Reads model file `path` into model and info and checks it against the tensor, the span
 * and (index > 0) the first file's info: 0, or -1 with err (nothing kept). */
static int read_model_checked(const char *path, const char *data, const cc_tensor *t, const wanted *w, int index,
                              const cc_model_info *first, cc_convlstm *model, cc_model_info *info, char *err,
                              size_t err_len) {
    if (cc_checkpoint_read(path, 1, model, info, NULL, err, err_len) != 0) return -1; /* batch set per model later */
    const cc_convlstm_config *c = &info->config;
    int n = w->next ? (t->T >= c->window) : cc_split_samples(&info->split, w->span);
    char why[768];
    /* the covariates' input maps are read per file, under its own standardisation, as it
     * forecasts (add_model_forecasts checks their count then): counted here as the model's */
    cc_tensor view = *t;
    if (c->covariates) view.input_static = c->covariates, view.input_dynamic = 0;
    if (cc_model_matches_tensor(info, &view, why, sizeof why) != 0) {
        snprintf(err, err_len, "%s: %s", path, why);
    } else if (!w->next && cc_model_same_bins(info, t, why, sizeof why) != 0) {
        snprintf(err, err_len, "%s: %s (its spans are bins of that tensor; --span next forecasts past any tensor of "
                 "the grid)", path, why);
    } else if (index > 0 && !same_targets(first, info, w)) {
        targets_difference(first, info, w, why, sizeof why);
        snprintf(err, err_len, "%s: %s (an ensemble needs the same target bins)", path, why);
    } else if (cc_model_forecast_members(info) == 0) {
        snprintf(err, err_len, "%s: no trained model yet (its training stopped before the first epoch ended, or is still "
                 "in it)", path);
    } else if (n <= 0 && w->next) {
        snprintf(err, err_len, "%s: %d bins, fewer than %s's window of %d", data, t->T, path, c->window);
    } else if (n <= 0) {
        snprintf(err, err_len, "the %s span holds no window of %d + %d bins", cc_span_name(w->span), c->window,
                 c->horizon);
    } else {
        return 0;
    }
    cc_model_info_free(info);
    cc_convlstm_free(model);
    return -1;
}

/* A model whose member in training (a plain model's only one, an ensemble's last) stopped
 * part way - Ctrl-C, a kill, or still running - forecasts with that member's best epoch so
 * far: said (an interrupted retrain into the production model's path was forecast with,
 * unsaid; a probe; an ensemble's last member too: a reviewer). Finished: its epochs run,
 * or stopped early (its patience spent since its best epoch). The file is written at each
 * improvement, so training may have gone on past the epoch it holds. From the file's
 * epochs_done and best_epoch attributes alone (the optimiser's state is not read). */
static void note_unfinished_training(const char *path, const cc_model_info *info) {
    const cc_train_options *o = &info->options;
    char why[256];
    long long best = 0;
    hid_t file = cc_hdf5_open_read(path, why, sizeof why);
    int read = file >= 0 && cc_hdf5_read_int(file, "best_epoch", &best) == 0;
    if (file >= 0) H5Fclose(file);
    int done = info->epochs_done;
    if (!read || info->finished != info->members - 1 || done <= 0 || done >= o->epochs || done >= CC_MAX_EPOCHS ||
        done - best >= o->patience)
        return;
    char member[48] = "";
    if (info->members > 1) snprintf(member, sizeof member, " of its member %d of %d", info->members, info->members);
    fprintf(stderr, "crimecast predict: warning: %s: the training%s stopped part way (or is still running): the file "
            "holds its epoch %d of %d, the best so far (training may have gone on past it unsaved); forecasting with "
            "that (train --resume goes on)\n", path, member, (int)best, o->epochs);
}

/* Every model file read and checked, and each member taken once (take_member_once),
 * before the first forecast: a copy given second, or a file of another split, was refused
 * only after the first file's forecasts (minutes at 150 m; a reviewer). 0 or -1 with err. */
static int check_every_model(const cc_predict_request *a, const cc_tensor *t, const wanted *w, char *err,
                             size_t err_len) {
    cc_model_info first;
    members_seen seen = {0};
    int status = 0, read = 0;
    for (int k = 0; status == 0 && k < a->model_count; k++) {
        cc_convlstm model;
        cc_model_info info;
        if (read_model_checked(a->models[k], a->data, t, w, k, &first, &model, &info, err, err_len) != 0) {
            status = -1;
            break;
        }
        note_unfinished_training(a->models[k], &info);
        int members = cc_model_forecast_members(&info);
        char why[512];
        for (int m = 0; status == 0 && m < members; m++)
            if (take_member_once(&seen, member_params(&info, m, model.params.data), sizeof(float) * model.params.size,
                                 a->models[k], m, members, why, sizeof why) != 0) {
                snprintf(err, err_len, "%s: %s", a->models[k], why);
                status = -1;
            }
        cc_convlstm_free(&model);
        if (k == 0) first = info, read = 1; /* the others' targets are checked against it */
        else cc_model_info_free(&info);
    }
    if (read) cc_model_info_free(&first);
    free(seen.digest), free(seen.label);
    return status;
}

/* Adds model file `path`'s forecasts of the span's n windows to sum [n][C][H][W] (one per
 * member, counted in *members); `first` (zeroed by the caller) receives the first file's
 * info, later ones are checked against it; `name` the forecast's model name. 0 or -1
 * with err. */
static int add_model_forecasts(const cc_ops_context *ctx, const char *path, const char *data, cc_tensor *t,
                               const wanted *w, double budget, const char *words, int index, cc_model_info *first,
                               char name[32],
                               int *n_out, int *members, float **sum, char *err, size_t err_len) {
    cc_convlstm model;
    cc_model_info info;
    if (read_model_checked(path, data, t, w, index, first, &model, &info, err, err_len) != 0) return -1;
    /* the covariates' input maps under this model's standardisation (each member file has its own) */
    char note[1024] = "";
    if (info.config.covariates &&
        cc_covariate_inputs_read(data, &info.covariates, t, note, sizeof note, err, err_len) != 0) {
        cc_model_info_free(&info);
        cc_convlstm_free(&model);
        return -1;
    }
    if (note[0] && index == 0) fprintf(stderr, "crimecast predict: warning: %s\n", note);
    char why[768];
    if (info.config.covariates && cc_model_matches_tensor(&info, t, why, sizeof why) != 0) {
        snprintf(err, err_len, "%s: %s", path, why);
        cc_model_info_free(&info);
        cc_convlstm_free(&model);
        return -1;
    }
    const cc_convlstm_config *c = &info.config;
    cc_span span = w->span;
    int n = w->next ? (t->T >= c->window) : cc_split_samples(&info.split, span), status = -1;
    size_t map = (size_t)t->C * t->H * t->W;
    float *all = NULL;
    int *starts = NULL;
    int batch = 0;
    if ((batch = predict_batch(ctx, &info, t, budget, words, err, err_len)) <= 0) {
        /* err said so */
    } else if (!(starts = malloc(sizeof(int) * (size_t)n)) || !(all = malloc(sizeof(float) * map * (size_t)n * c->horizon)) ||
               (index == 0 && !(*sum = calloc(map * (size_t)n, sizeof(float))))) {
        snprintf(err, err_len, "out of memory for %d forecasts", n);
    } else {
        for (int i = 0; i < n; i++) starts[i] = w->next ? t->T - c->window : cc_split_sample_start(&info.split, span, i);
        if (c->covariates && index == 0) warn_missing_at_origins(data, t, &info.covariates, starts, n, c->window);
        if (w->next && index == 0) warn_gap_in_window(data, t, c->window);
        if (index > 0 && info.loss != first->loss) /* each member's expected counts, of other fits: said */
            fprintf(stderr, "crimecast predict: note: %s was trained with the %s loss, the first model with the %s "
                    "loss: the ensemble averages expected counts of differently fitted models\n", path,
                    cc_loss_name(info.loss), cc_loss_name(first->loss));
        /* its averages over fewer bins than in training, noisier (not so on a tensor as long as training's) */
        if (w->next && t->T < history_bins(c, t->bin) && t->T < info.split.T)
            fprintf(stderr, "crimecast predict: warning: %s holds %d bins and %s reads %d before its forecast (its "
                    "window, yearly averages and offset): the forecast rests on less history than it was trained "
                    "with; raster more of the past\n", data, t->T, path, history_bins(c, t->bin));
        if (info.split.gapped && !w->next)
            fprintf(stderr, "crimecast predict: %s: trained with the split before rolling origin (spans of whole "
                    "samples, window-1 bins apart): it forecasts its %s targets %d..%d, not the span's every bin\n",
                    path, cc_span_name(span), cc_split_target(&info.split, span, 0),
                    cc_split_target(&info.split, span, n - 1));
        char why_not[768];
        if (batch < usual_batch(&info)) /* each model file's own plan: members may differ */
            fprintf(stderr, "crimecast predict: note: %s: %d forecast%s at a time, not %d: what fits the %.2f GiB it "
                    "may take\n", path, batch, batch > 1 ? "s" : "", usual_batch(&info), budget / 1073741824.0);
        int added = add_member_forecasts(ctx, &model, &info, t, starts, n, batch, all, *sum, why_not, sizeof why_not);
        if (added > 0) {
            if (added < info.members && added > info.finished) /* the last of them partway through its epochs */
                fprintf(stderr, "crimecast predict: %s: its training stopped part way (or is still running): %d of its "
                                "%d members finished, member %d after %d of its epochs; forecasting with those %d\n",
                        path, info.finished,
                        info.members, info.finished + 1, info.epochs_done, added);
            else if (added < info.members)
                fprintf(stderr, "crimecast predict: %s: its training stopped part way (or is still running): %d of its "
                                "%d members finished; forecasting with those\n", path, added, info.members);
            *n_out = n, *members += added;
            name_the_model(&info, index, name);
            status = 0;
        } else {
            snprintf(err, err_len, "%s: %s", path, why_not);
        }
    }
    free(starts), free(all);
    cc_convlstm_free(&model);
    if (index == 0 && status == 0) *first = info;
    else cc_model_info_free(&info);
    return status;
}

static int write_forecast(const cc_predict_request *a, const wanted *w, const cc_tensor *t, const cc_model_info *info,
                          const char *model, const float *mean, int n, int members, FILE *out, char *err,
                          size_t err_len) {
    const cc_convlstm_config *c = &info->config;
    int64_t *times = malloc(sizeof(int64_t) * (size_t)n);
    if (!times) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        times[i] = w->next ? cc_tensor_bin_start(t, t->T - 1 + c->horizon) : t->time[cc_split_target(&info->split, w->span, i)];
    char source[8400];
    if (members == 1)
        snprintf(source, sizeof source, "model %s on %s, %s span", a->models[0], a->data, a->span);
    else
        snprintf(source, sizeof source, "mean of %d models (%d file%s: %s, ...) on %s, %s span", members, a->model_count,
                 a->model_count > 1 ? "s" : "", a->models[0], a->data, a->span);
    char named[64]; /* an ensemble of one architecture says it is one (eval, report, maps) */
    if (members > 1 && !strstr(model, "ensemble")) snprintf(named, sizeof named, "%s-ens%d", model, members);
    else snprintf(named, sizeof named, "%s", model);
    cc_forecast_label label = {named, c->horizon, source, a->command};
    int status = cc_forecast_write(a->out, t, mean, times, n, &label, err, err_len);
    if (status == 0) {
        char first[11], last[11];
        cc_format_iso_date(times[0], first);
        cc_format_iso_date(times[n - 1], last);
        fprintf(out, "%s: %d %s bins (%s .. %s) x %d channels x %d x %d, horizon %d%s\n", a->out, n,
                cc_bin_kind_name(t->bin), first, last, t->C, t->H, t->W, c->horizon, members > 1 ? ", ensemble mean" : "");
        if (members > 1) fprintf(out, "(the mean of %d models)\n", members);
        if (w->next) {
            char latest[11];
            cc_format_iso_date(t->time[t->T - 1], latest);
            fprintf(out, "(%d %s%s after the last bin of %s, %s: no count of it is in the data)\n", c->horizon,
                    cc_bin_kind_name(t->bin), c->horizon == 1 ? "" : "s", a->data, latest);
        }
    }
    free(times);
    return status;
}

int cc_run_predict(const cc_predict_request *a, FILE *out, char *err, size_t err_len) {
    wanted w = {CC_SPAN_TEST, strcmp(a->span, "next") == 0};
    if (!w.next) cc_span_parse(a->span, &w.span); /* the option table admits only the names */
    if (cc_hdf5_replace_check(a->out, "crimecast-forecast", err, err_len) != 0) return -1; /* before the models run */
    cc_ops_context ctx;
    if (cc_device_open(&a->device, &ctx, err, err_len) != 0) return -1;
    cc_device_note_unread(&a->device, &ctx);
    const char *words; /* where the budget came from, for a refusal */
    double budget = cc_memory_budget(&ctx, a->memory, &words); /* before the tensor is read: the plan counts it */
    cc_tensor t;
    if (cc_tensor_read(a->data, "counts", &t, err, err_len) != 0 || cc_tensor_read_recency(a->data, &t, cc_cpu_threads(&ctx), err, err_len) != 0) {
        cc_tensor_free(&t);
        cc_close_backend(&ctx);
        return -1;
    }
    cc_tensor_index_nonzeros(&t); /* faster context sums when the counts are sparse; optional */
    cc_model_info first;
    memset(&first, 0, sizeof first);
    float *sum = NULL;
    int n = 0, members = 0, ok = 1;
    char name[32] = "";
    ok = check_every_model(a, &t, &w, err, err_len) == 0;
    for (int k = 0; ok && k < a->model_count; k++)
        ok = add_model_forecasts(&ctx, a->models[k], a->data, &t, &w, budget, words, k, &first, name, &n,
                                 &members, &sum, err, err_len) == 0;
    if (ok) {
        /* outside the study area 0, as no crime is counted there (the network's exp(r) is
         * positive everywhere: the whole grid's sum was 9% over the area's at 150 m; a probe) */
        size_t total = (size_t)n * t.C * t.H * t.W, plane = (size_t)t.H * t.W;
        for (size_t q = 0; q < total; q++) sum[q] = t.mask[q % plane] ? sum[q] / (float)members : 0.0f;
        ok = write_forecast(a, &w, &t, &first, name, sum, n, members, out, err, err_len) == 0;
    }
    free(sum);
    cc_model_info_free(&first);
    cc_tensor_free(&t);
    cc_close_backend(&ctx);
    return ok ? 0 : -1;
}
