#include "models/checkpoint.h"

#include <float.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "heatmaps/hdf5_util.h"
#include "models/dataset.h"

/* Each tensor of the arena as a dataset, checksummed (Fletcher-32: a flipped byte in a
 * weight was read as another weight), in chunks of at most 64 MiB. */
static int write_arena(hid_t file, const char *group, const cc_arena *a) {
    for (int i = 0; i < a->count; i++) {
        const cc_arena_entry *e = &a->entries[i];
        char name[128];
        hsize_t dims[CC_ARENA_MAX_RANK], row = sizeof(float);
        for (int d = 0; d < e->rank; d++) dims[d] = (hsize_t)e->dims[d];
        for (int d = 1; d < e->rank; d++) row *= dims[d];
        hsize_t rows = ((hsize_t)64 << 20) / row;
        rows = rows < 1 ? 1 : rows > dims[0] ? dims[0] : rows;
        snprintf(name, sizeof name, "%s/%s", group, e->name);
        hid_t ds = cc_hdf5_write_chunked(file, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, e->rank, dims, rows, 0,
                                         cc_arena_at(a, e->offset));
        if (ds < 0) return -1;
        H5Dclose(ds);
    }
    return 0;
}

/* Reads every tensor of the layout, checking its shape against the file's. */
static int read_arena(hid_t file, const char *group, cc_arena *a, char *why, size_t why_len) {
    for (int i = 0; i < a->count; i++) {
        const cc_arena_entry *e = &a->entries[i];
        char name[128];
        hsize_t dims[CC_ARENA_MAX_RANK];
        snprintf(name, sizeof name, "%s/%s", group, e->name);
        int same = cc_hdf5_dataset_dims(file, name, e->rank, dims) == 0;
        for (int d = 0; same && d < e->rank; d++) same = dims[d] == (hsize_t)e->dims[d];
        if (!same) {
            snprintf(why, why_len, "%s is missing or has another shape than the configuration says", name);
            return -1;
        }
        if (cc_hdf5_read_dataset(file, name, H5T_NATIVE_FLOAT, e->count, cc_arena_at(a, e->offset)) != 0) {
            char filter[128];
            if (cc_hdf5_missing_filter(file, name, filter, sizeof filter))
                snprintf(why, why_len, "%s is compressed with a filter this HDF5 lacks (%s)", name, filter);
            else
                snprintf(why, why_len, "%s cannot be read whole: the file is damaged (its checksum fails, or its "
                         "values were never written) or not of float numbers", name);
            return -1;
        }
        const float *v = cc_arena_at(a, e->offset);
        for (size_t k = 0; k < e->count; k++)
            if (!isfinite(v[k])) { /* training stops at a non-finite loss: it never writes one */
                snprintf(why, why_len, "%s holds %g at element %zu: parameters and moments must be finite", name,
                         (double)v[k], k);
                return -1;
            }
    }
    return 0;
}

/* AdamW's second moment is a mean of squares: a negative one is a damaged file (its step
 * would divide by the root of it, and the run would end as a divergence, blaming --lr). */
static int negative_moment(const cc_arena *v, char *why, size_t why_len) {
    for (int i = 0; i < v->count; i++) {
        const cc_arena_entry *e = &v->entries[i];
        const float *x = cc_arena_at(v, e->offset);
        for (size_t k = 0; k < e->count; k++)
            if (x[k] < 0) {
                snprintf(why, why_len, "/optim/v/%s holds %g at element %zu: AdamW's second moment is never negative",
                         e->name, (double)x[k], k);
                return 1;
            }
    }
    return 0;
}

const char *cc_model_arch_name(const cc_convlstm_config *c) {
    return c->arch == CC_ARCH_ST_RESNET ? "st-resnet" : c->down > 1 ? "convlstm-ae" : "convlstm";
}

static int write_config(hid_t f, const cc_model_info *info, const cc_train_state *s) {
    const cc_convlstm_config *c = &info->config;
    const cc_train_options *o = &info->options;
    const cc_split *sp = &info->split;
    int spans[6] = {sp->first[0], sp->end[0], sp->first[1], sp->end[1], sp->first[2], sp->end[2]};
    return cc_hdf5_write_text(f, "format", CC_MODEL_FORMAT) | cc_hdf5_write_int(f, "format_version", CC_MODEL_FORMAT_VERSION) |
           cc_hdf5_write_text(f, "model", cc_model_arch_name(c)) | cc_hdf5_write_int(f, "closeness", c->closeness) |
           cc_hdf5_write_int(f, "period", c->period) | cc_hdf5_write_int(f, "trend", c->trend) |
           cc_hdf5_write_int(f, "period_lag", c->period_lag) | cc_hdf5_write_int(f, "trend_lag", c->trend_lag) |
           cc_hdf5_write_int(f, "resunits", c->resunits) |
           cc_hdf5_write_text(f, "gate_order", "ifgo") | cc_hdf5_write_int(f, "down", c->down > 1 ? c->down : 1) |
           cc_hdf5_write_int(f, "features", c->features) | cc_hdf5_write_int(f, "baseline_k", c->baseline_k) |
           cc_hdf5_write_double(f, "baseline_sigma", c->baseline_sigma) |
           cc_hdf5_write_int(f, "context", c->context) | cc_hdf5_write_int(f, "recency", c->recency) |
           cc_hdf5_write_int(f, "level_gate", c->gated) |
           cc_hdf5_write_int(f, "skip", c->skip) |
           cc_hdf5_write_text(f, "loss", cc_loss_name(info->loss)) | cc_hdf5_write_int(f, "channels", c->channels) |
           cc_hdf5_write_int(f, "height", c->height) | cc_hdf5_write_int(f, "width", c->width) |
           cc_hdf5_write_int(f, "layers", c->layers) | cc_hdf5_write_ints(f, "hidden", c->hidden, c->layers) |
           cc_hdf5_write_int(f, "kernel", c->kernel) | cc_hdf5_write_int(f, "window", c->window) |
           cc_hdf5_write_int(f, "horizon", c->horizon) | cc_hdf5_write_int(f, "peephole", c->peephole) |
           cc_hdf5_write_double(f, "lr", o->lr) | cc_hdf5_write_double(f, "weight_decay", o->weight_decay) |
           cc_hdf5_write_double(f, "clip", o->clip) | cc_hdf5_write_int(f, "batch", o->batch) |
           cc_hdf5_write_int(f, "epochs", o->epochs) |
           cc_hdf5_write_int(f, "patience", o->patience) | cc_hdf5_write_int(f, "seed", o->seed) |
           cc_hdf5_write_int(f, "epochs_done", s->epochs_done) | cc_hdf5_write_int(f, "step", s->step) |
           cc_hdf5_write_int(f, "best_epoch", s->best_epoch) | cc_hdf5_write_double(f, "best_val", s->best_val) |
           (isfinite(s->untrained_val) ? cc_hdf5_write_double(f, "untrained_val", s->untrained_val) : 0) |
           cc_hdf5_write_ints(f, "target_spans", spans, 6) | cc_hdf5_write_text(f, "split_protocol", CC_SPLIT_PROTOCOL) |
           cc_hdf5_write_text(f, "city", info->grid.city) |
           cc_hdf5_write_text(f, "crs", info->grid.crs) | cc_hdf5_write_double(f, "cell_size_m", info->grid.cell) |
           cc_hdf5_write_double(f, "x0", info->grid.x0) | cc_hdf5_write_double(f, "y0", info->grid.y0) |
           cc_hdf5_write_text(f, "bin", cc_bin_kind_name(info->grid.bin)) | cc_hdf5_write_text(f, "first_bin", info->first_bin) |
           cc_hdf5_write_text(f, "last_bin", info->last_bin) | cc_hdf5_write_int(f, "T", info->grid.T) |
           (info->tensor_digest[0] ? cc_hdf5_write_text(f, "tensor_digest", info->tensor_digest) : 0) |
           cc_hdf5_write_text(f, "created_by", "crimecast " CRIMECAST_VERSION);
}

/* The seed ensemble's finished members, each in the root parameters' layout. */
static int write_members(hid_t f, const cc_convlstm *model, const cc_model_info *info) {
    if ((cc_hdf5_write_int(f, "members", info->members > 1 ? info->members : 1) |
         cc_hdf5_write_int(f, "members_finished", info->finished)) != 0)
        return -1;
    cc_arena layout = model->params;
    for (int i = 0; i < info->finished; i++) {
        const cc_member *m = &info->member[i];
        char group[32], params[48];
        snprintf(group, sizeof group, "/ensemble/%d", i);
        snprintf(params, sizeof params, "%s/params", group);
        layout.data = m->params;
        if (write_arena(f, params, &layout) != 0) return -1;
        hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
        int status = g < 0 ? -1
                           : cc_hdf5_write_int(g, "seed", m->seed) | cc_hdf5_write_int(g, "best_epoch", m->best_epoch) |
                                 cc_hdf5_write_double(g, "best_val", m->best_val);
        if (g >= 0) H5Gclose(g);
        if (status != 0) return -1;
    }
    return 0;
}

static int read_int(hid_t f, const char *name, int *value);

/* The covariates the model reads (models/covariate_inputs.h): their kinds, names and
 * standardisation, as root attributes. */
static int write_covariates(hid_t f, const cc_model_info *info) {
    const cc_covariate_norm *n = &info->covariates;
    if (cc_hdf5_write_int(f, "covariates", info->config.covariates) != 0) return -1;
    if (!info->config.covariates) return 0;
    if (n->K + n->D > CC_COVARIATES_MOST) return -1;
    char names[CC_COVARIATES_MOST * 65] = "";
    for (int k = 0; k < n->K + n->D; k++) strcat(strcat(names, k ? "\n" : ""), n->name[k]);
    return cc_hdf5_write_int(f, "covariate_static", n->K) | cc_hdf5_write_int(f, "covariate_dynamic", n->D) |
           cc_hdf5_write_int(f, "covariates_static_only", info->static_covariates != 0) |
           cc_hdf5_write_text(f, "covariate_names", names) |
           cc_hdf5_write_doubles(f, "covariate_mean", n->mean, n->K + n->D) |
           cc_hdf5_write_doubles(f, "covariate_sd", n->sd, n->K + n->D);
}

static int read_covariates(hid_t f, cc_model_info *info, char *why, size_t why_len) {
    cc_covariate_norm *n = &info->covariates;
    int *maps = &info->config.covariates, got_mean = 0, got_sd = 0;
    if (H5Aexists(f, "covariates") <= 0) return 0; /* older files: none */
    *maps = -1;
    if (read_int(f, "covariates", maps) != 0 || *maps < 0) {
        snprintf(why, why_len, "its covariates attribute is unreadable or negative");
        return -1;
    }
    if (*maps == 0) return 0;
    char *names = NULL;
    int ok = read_int(f, "covariate_static", &n->K) == 0 && read_int(f, "covariate_dynamic", &n->D) == 0 &&
             n->K >= 0 && n->D >= 0 && n->K + n->D <= CC_COVARIATES_MOST && *maps == cc_covariate_input_maps(n->K, n->D) &&
             cc_hdf5_read_doubles(f, "covariate_mean", n->mean, CC_COVARIATES_MOST, &got_mean) == 0 &&
             cc_hdf5_read_doubles(f, "covariate_sd", n->sd, CC_COVARIATES_MOST, &got_sd) == 0 &&
             got_mean == n->K + n->D && got_sd == n->K + n->D && (names = cc_hdf5_read_text(f, "covariate_names")) != NULL;
    char *next = names;
    for (int k = 0; ok && k < n->K + n->D; k++) {
        char *end = strchr(next, '\n');
        if (end) *end = 0;
        snprintf(n->name[k], sizeof n->name[k], "%s", next);
        ok = n->name[k][0] && isfinite(n->mean[k]) && isfinite(n->sd[k]) && n->sd[k] > 0 && (end || k == n->K + n->D - 1);
        next = end ? end + 1 : next;
    }
    free(names);
    if (ok && H5Aexists(f, "covariates_static_only") > 0) /* older files: none (their names were +cov) */
        ok = read_int(f, "covariates_static_only", &info->static_covariates) == 0 &&
             (info->static_covariates == 0 || info->static_covariates == 1);
    if (!ok) snprintf(why, why_len, "its covariate attributes are not what crimecast writes");
    return ok ? 0 : -1;
}

typedef struct model_file_parts {
    const cc_convlstm *model;
    const cc_train_state *state;
    const cc_model_info *info;
} model_file_parts;

static int write_model(hid_t f, const void *context) {
    const model_file_parts *parts = context;
    const cc_convlstm *model = parts->model;
    const cc_train_state *s = parts->state;
    const cc_model_info *info = parts->info;
    if (write_config(f, info, s) != 0 || write_covariates(f, info) != 0) return -1;
    hid_t strings = cc_hdf5_utf8_type();
    hsize_t C = (hsize_t)info->grid.C, epochs = (hsize_t)s->epochs_done;
    hid_t ids[4] = {cc_hdf5_write_dataset(f, "/category", strings, strings, 1, &C, info->grid.categories),
                    cc_hdf5_write_dataset(f, "/norm/scale", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &C, info->scale),
                    epochs ? cc_hdf5_write_dataset(f, "/history/train_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                                   &epochs, s->train_loss) : 0,
                    epochs ? cc_hdf5_write_dataset(f, "/history/val_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                                   &epochs, s->val_loss) : 0};
    H5Tclose(strings);
    int status = 0;
    for (int i = 0; i < 4; i++) {
        if (ids[i] < 0) status = -1;
        if (ids[i] > 0) H5Dclose(ids[i]);
    }
    if (status == 0) status = write_arena(f, "/params", &model->params);
    if (status == 0) status = write_arena(f, "/optim/m", &s->m);
    if (status == 0) status = write_arena(f, "/optim/v", &s->v);
    if (status == 0) status = write_members(f, model, info);
    return status;
}

int cc_checkpoint_write(const char *path, const cc_convlstm *model, const cc_train_state *state,
                        const cc_model_info *info, char *err, size_t err_len) {
    model_file_parts parts = {model, state, info};
    return cc_hdf5_write_whole_file(path, "the model file", write_model, &parts, err, err_len);
}

static int read_int(hid_t f, const char *name, int *value) {
    long long v;
    if (cc_hdf5_read_int(f, name, &v) != 0 || v < INT_MIN || v > INT_MAX) return -1;
    *value = (int)v;
    return 0;
}

/* One attribute's value and the range a model file may hold it in. */
typedef struct bounded {
    const char *name;
    double value, min, max;
} bounded;

/* The first of n values outside its range: -1 with why naming it; 0 when all are in. */
static int first_out_of_range(const bounded *b, int n, char *why, size_t why_len) {
    for (int i = 0; i < n; i++)
        if (!(b[i].value >= b[i].min && b[i].value <= b[i].max)) {
            snprintf(why, why_len, "attribute %s is %g, outside %g .. %g", b[i].name, b[i].value, b[i].min, b[i].max);
            return -1;
        }
    return 0;
}

/* Sizes a model file may ask for (a file is not trusted to size what crimecast allocates):
 * the tensor limits of heatmaps/tensor.h, and layers of at most 1024 channels. Then the
 * training options a resumed run continues with: numbers train itself could have set. */
static int plausible_config(const cc_convlstm_config *c, const cc_train_options *o, int T, char *why,
                            size_t why_len) {
    const bounded b[] = {
        {"channels", c->channels, 1, CC_TENSOR_MOST_CHANNELS},
        {"height", c->height, 1, CC_TENSOR_MOST_SIDE},
        {"width", c->width, 1, CC_TENSOR_MOST_SIDE},
        {"layers", c->layers, 1, CC_MAX_LAYERS},
        {"kernel", c->kernel, 1, 15},
        {"window", c->window, 1, 512},
        {"horizon", c->horizon, 1, 64},
        {"T", T, 1, CC_TENSOR_MOST_BINS},
        {"features", c->features, 0, 1024},
        {"context", c->context, 0, 4096},
        {"skip", c->skip, 0, 15},
        {"baseline_k", c->baseline_k, 0, CC_TENSOR_MOST_BINS}, /* auto: a year of bins, also past T */
        {"epochs", o->epochs, 0, CC_MAX_EPOCHS},
        {"patience", o->patience, 0, CC_MAX_EPOCHS},
        {"batch", o->batch, 1, 65536},
        {"lr", o->lr, 0, DBL_MAX},
        {"weight_decay", o->weight_decay, 0, DBL_MAX},
        {"clip", o->clip, 0, DBL_MAX},
    };
    if (first_out_of_range(b, (int)(sizeof b / sizeof *b), why, why_len) != 0) return -1;
    for (int l = 0; l < c->layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "hidden[%d]", l);
        bounded h = {name, c->hidden[l], 1, 1024};
        if (first_out_of_range(&h, 1, why, why_len) != 0) return -1;
    }
    return 0;
}

/* The target spans, or (files before rolling origin) the spans of whole samples with a
 * gap between them, re-read as target spans. Each span must lie inside the axis, in
 * order, and hold a target. */
static int read_split(hid_t f, cc_model_info *info) {
    int v[7], n = 0, T = info->grid.T, window = info->config.window, horizon = info->config.horizon;
    cc_split *s = &info->split;
    if (H5Aexists(f, "target_spans") > 0) {
        if (cc_hdf5_read_ints(f, "target_spans", v, 6, &n) != 0 || n != 6) return -1;
        memset(s, 0, sizeof *s);
        s->T = T, s->lead = window + horizon - 1;
        for (int i = 0; i < 3; i++) s->first[i] = v[2 * i], s->end[i] = v[2 * i + 1];
    } else {
        if (cc_hdf5_read_ints(f, "split", v, 7, &n) != 0 || n != 7) return -1;
        int begin[3] = {v[0], v[2], v[4]}, end[3] = {v[1], v[3], v[5]};
        cc_split_from_gapped(T, window, horizon, begin, end, s);
    }
    int ordered = s->first[0] >= s->lead && s->end[2] == T;
    for (int i = 0; i < 3; i++) ordered = ordered && s->first[i] < s->end[i] && (i == 0 || s->first[i] >= s->end[i - 1]);
    return ordered ? 0 : -1;
}

/* The root attributes of a model file, read in a chain: each getter returns 1, or 0 with
 * why naming the attribute and what is wrong with it, so a chain joined by && stops at,
 * and names, the first that failed. */
typedef struct attributes {
    hid_t file;
    char *why;
    size_t why_len;
} attributes;

static int unreadable(attributes *a, const char *name, const char *kind) {
    snprintf(a->why, a->why_len, "attribute %s is missing or not %s", name, kind);
    return 0;
}

static int get_int(attributes *a, const char *name, int *value) {
    long long v;
    if (cc_hdf5_read_int(a->file, name, &v) != 0) return unreadable(a, name, "a whole number");
    if (v < INT_MIN || v > INT_MAX) { /* a cast would wrap it into range */
        snprintf(a->why, a->why_len, "attribute %s is %lld, past an int", name, v);
        return 0;
    }
    *value = (int)v;
    return 1;
}

static int get_double(attributes *a, const char *name, double *value) {
    return cc_hdf5_read_double(a->file, name, value) == 0 || unreadable(a, name, "a number");
}

/* Attributes that older files lack keep their default when absent. */
static int get_int_if_any(attributes *a, const char *name, int *value) {
    return H5Aexists(a->file, name) <= 0 || get_int(a, name, value);
}

static int get_double_if_any(attributes *a, const char *name, double *value) {
    return H5Aexists(a->file, name) <= 0 || get_double(a, name, value);
}

/* The architecture's attributes an older file may lack (read as none) that every file
 * since split_protocol has (baseline_sigma came later: absent, none): one of those
 * without them was edited. A file without its
 * baseline_k was read as --baseline none and forecast 36% low (a probe). 1, or 0 with why. */
static int written_since_split_protocol(attributes *a) {
    static const char *const NAMES[] = {"baseline_k", "context", "recency", "level_gate", "skip"};
    if (H5Aexists(a->file, "split_protocol") <= 0) return 1;
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (H5Aexists(a->file, NAMES[i]) <= 0) {
            snprintf(a->why, a->why_len, "attribute %s is missing, which every model file with split_protocol has "
                     "(the file was edited?); read without it, the model would forecast as another", NAMES[i]);
            return 0;
        }
    return 1;
}

/* A malloc'ed text, or NULL with why set. */
static char *get_text(attributes *a, const char *name) {
    char *text = cc_hdf5_read_text(a->file, name);
    if (!text) unreadable(a, name, "text");
    return text;
}

static int in_range(attributes *a, const bounded *b, int n) { return first_out_of_range(b, n, a->why, a->why_len) == 0; }

static int get_loss(attributes *a, cc_loss_kind *loss) {
    char *name = get_text(a, "loss");
    int ok = name && cc_loss_parse(name, loss) == 0;
    if (name && !ok) {
        char shown[64];
        snprintf(a->why, a->why_len, "attribute loss is '%s', not a loss crimecast trains with",
                 cc_printable(name, shown, sizeof shown, 40));
    }
    free(name);
    return ok;
}

/* The file's version and gate order, as this crimecast writes them (files before either:
 * none): a later version or another order would be read as this one's, wrongly. */
static int get_version(attributes *a) {
    int version = CC_MODEL_FORMAT_VERSION;
    if (!get_int_if_any(a, "format_version", &version)) return 0;
    if (version < 1 || version > CC_MODEL_FORMAT_VERSION) {
        snprintf(a->why, a->why_len, "attribute format_version is %d; this crimecast reads version %d", version,
                 CC_MODEL_FORMAT_VERSION);
        return 0;
    }
    if (H5Aexists(a->file, "gate_order") <= 0) return 1;
    char *order = get_text(a, "gate_order");
    int ok = order && !strcmp(order, "ifgo");
    if (order && !ok) snprintf(a->why, a->why_len, "attribute gate_order is not 'ifgo' (input, forget, cell, output)");
    free(order);
    return ok;
}

/* The network (ST-ResNet's attributes: files before it are ConvLSTMs, none of them);
 * the `model` attribute as written into `name` (a known one: 12 bytes hold it). */
static int get_architecture(attributes *a, cc_convlstm_config *c, char name[12]) {
    char *model = get_text(a, "model");
    if (!model) return 0;
    int known = !strcmp(model, "convlstm") || !strcmp(model, "convlstm-ae") || !strcmp(model, "st-resnet");
    char shown[64];
    if (!known)
        snprintf(a->why, a->why_len, "attribute model is '%s', not convlstm, convlstm-ae or st-resnet",
                 cc_printable(model, shown, sizeof shown, 32));
    else
        snprintf(name, 12, "%s", model);
    c->arch = !strcmp(model, "st-resnet") ? CC_ARCH_ST_RESNET : CC_ARCH_CONVLSTM;
    free(model);
    if (!known) return 0;
    const char *names[6] = {"closeness", "period", "trend", "period_lag", "trend_lag", "resunits"};
    int *fields[6] = {&c->closeness, &c->period, &c->trend, &c->period_lag, &c->trend_lag, &c->resunits};
    for (int i = 0; i < 6; i++) {
        if (!get_int_if_any(a, names[i], fields[i])) return 0;
        const bounded lag = {names[i], *fields[i], 0, 512};
        if (!in_range(a, &lag, 1)) return 0;
    }
    return 1;
}

/* The network's sizes: the hidden sizes must be one per layer. */
static int get_network(attributes *a, cc_convlstm_config *c) {
    int sizes = 0;
    if (!(get_int(a, "channels", &c->channels) && get_int(a, "height", &c->height) &&
          get_int(a, "width", &c->width) && get_int(a, "layers", &c->layers)))
        return 0;
    const bounded layers = {"layers", c->layers, 1, CC_MAX_LAYERS}; /* first: hidden's message names it */
    if (!in_range(a, &layers, 1)) return 0;
    if (cc_hdf5_read_ints(a->file, "hidden", c->hidden, CC_MAX_LAYERS, &sizes) != 0) {
        snprintf(a->why, a->why_len, "attribute hidden is missing or not %d whole numbers (layers)", c->layers);
        return 0;
    }
    if (sizes != c->layers) {
        snprintf(a->why, a->why_len, "attribute hidden holds %d layer sizes, layers says %d", sizes, c->layers);
        return 0;
    }
    return written_since_split_protocol(a) && get_int(a, "kernel", &c->kernel) && get_int(a, "window", &c->window) &&
           get_int(a, "horizon", &c->horizon) && get_int(a, "peephole", &c->peephole) &&
           get_int(a, "down", &c->down) && get_int(a, "features", &c->features) &&
           get_int_if_any(a, "baseline_k", &c->baseline_k) && get_double_if_any(a, "baseline_sigma", &c->baseline_sigma) &&
           get_int_if_any(a, "context", &c->context) && get_int_if_any(a, "recency", &c->recency) &&
           get_int_if_any(a, "level_gate", &c->gated) && get_int_if_any(a, "skip", &c->skip);
}

static int get_options(attributes *a, cc_train_options *o) {
    int seed = 0;
    int ok = get_double(a, "lr", &o->lr) && get_double(a, "weight_decay", &o->weight_decay) &&
             get_double(a, "clip", &o->clip) && get_int(a, "batch", &o->batch) &&
             get_int_if_any(a, "epochs", &o->epochs) && get_int(a, "patience", &o->patience) &&
             get_int(a, "seed", &seed);
    o->seed = (unsigned)seed;
    return ok;
}

/* members and members_finished (older files: a single model); only checked counts reach
 * info, as cc_model_info_free frees `finished` members. */
static int get_members(attributes *a, cc_model_info *info) {
    int members = 1, finished = 0;
    if (!(get_int_if_any(a, "members", &members) && get_int_if_any(a, "members_finished", &finished))) return 0;
    if (!(members >= 1 && members <= CC_MAX_MEMBERS && finished >= 0 && finished < members)) {
        snprintf(a->why, a->why_len, "attributes members (%d) and members_finished (%d) are not 1 .. %d members with "
                 "fewer finished", members, finished, CC_MAX_MEMBERS);
        return 0;
    }
    info->members = members, info->finished = finished;
    return 1;
}

/* The grid's numbers: its bins, cell and north-west corner. */
static int get_grid(attributes *a, cc_tensor *grid) {
    if (!(get_int(a, "T", &grid->T) && get_double(a, "cell_size_m", &grid->cell) && get_double(a, "x0", &grid->x0) &&
          get_double(a, "y0", &grid->y0)))
        return 0;
    const bounded numbers[] = {{"cell_size_m", grid->cell, DBL_MIN, DBL_MAX}, /* NaN is outside every range */
                               {"x0", grid->x0, -DBL_MAX, DBL_MAX},
                               {"y0", grid->y0, -DBL_MAX, DBL_MAX}};
    return in_range(a, numbers, 3);
}

/* The tensor's digest, when the file keeps one (16 hex digits). */
static int get_tensor_digest(attributes *a, cc_model_info *info) {
    if (H5Aexists(a->file, "tensor_digest") <= 0) return 1; /* older files: none */
    char *text = get_text(a, "tensor_digest");
    int ok = text && strlen(text) == 16 && strspn(text, "0123456789abcdef") == 16;
    if (text && !ok) snprintf(a->why, a->why_len, "attribute tensor_digest is not 16 hex digits");
    if (ok) memcpy(info->tensor_digest, text, 17);
    free(text);
    return ok;
}

/* The grid's labels and the span of bins trained on. */
static int get_labels(attributes *a, cc_model_info *info) {
    const char *names[5] = {"city", "crs", "bin", "first_bin", "last_bin"};
    char *texts[5] = {NULL};
    int ok = 1;
    for (int i = 0; ok && i < 5; i++) ok = (texts[i] = get_text(a, names[i])) != NULL;
    if (ok && strlen(texts[1]) >= sizeof info->grid.crs) { /* cut, it would name another CRS */
        snprintf(a->why, a->why_len, "attribute crs holds %zu characters, at most %zu", strlen(texts[1]),
                 sizeof info->grid.crs - 1);
        ok = 0;
    }
    if (ok) {
        snprintf(info->grid.city, sizeof info->grid.city, "%s", texts[0]);
        snprintf(info->grid.crs, sizeof info->grid.crs, "%s", texts[1]);
        snprintf(info->first_bin, sizeof info->first_bin, "%s", texts[3]);
        snprintf(info->last_bin, sizeof info->last_bin, "%s", texts[4]);
        if (cc_bin_kind_parse(texts[2], &info->grid.bin) != 0) {
            char shown[64];
            snprintf(a->why, a->why_len, "attribute bin is '%s', not day, week or month",
                     cc_printable(texts[2], shown, sizeof shown, 40));
            ok = 0;
        }
    }
    for (int i = 0; i < 5; i++) free(texts[i]);
    return ok && get_tensor_digest(a, info);
}

/* Where a resumed run continues: the epochs index the loss history, and the epochs since
 * the best count patience. */
static int get_state(attributes *a, cc_train_state *s) {
    long long step = 0;
    if (!(get_int(a, "epochs_done", &s->epochs_done) && get_int(a, "best_epoch", &s->best_epoch) &&
          get_double(a, "best_val", &s->best_val)))
        return 0;
    if (cc_hdf5_read_int(a->file, "step", &step) != 0) return unreadable(a, "step", "a whole number");
    s->step = (long)step;
    /* the member in training's validation loss before its first step (older files: none) */
    s->untrained_val = NAN;
    if (!get_double_if_any(a, "untrained_val", &s->untrained_val)) return 0;
    if (!isfinite(s->untrained_val)) s->untrained_val = NAN;
    if (isnan(s->best_val) || (s->best_epoch > 0 && !isfinite(s->best_val))) { /* train keeps a best epoch's loss, */
        snprintf(a->why, a->why_len, "attribute best_val is %g with best_epoch %d: train writes a finite loss once "
                 "an epoch is best (infinity before)", s->best_val, s->best_epoch); /* and no epoch beats a NaN */
        return 0;
    }
    const bounded state[] = {{"epochs_done", s->epochs_done, 0, CC_MAX_EPOCHS},
                             {"best_epoch", s->best_epoch, 0, s->epochs_done},
                             {"step", (double)step, 0, 1e15}};
    return in_range(a, state, 3);
}

/* Whether attribute model names the network the other attributes describe (convlstm-ae
 * is a ConvLSTM with down 2 or more: one with down 1 was run as a convlstm). */
static int same_architecture(const char *model, const cc_convlstm_config *c, char *why, size_t why_len) {
    int same = !strcmp(model, cc_model_arch_name(c));
    if (!same)
        snprintf(why, why_len, "attribute model is '%s' but down is %d: that network is a %s", model, c->down,
                 cc_model_arch_name(c));
    return same;
}

/* The configuration, the grid's attributes and (s given) the training state. 0, or -1
 * with why naming the attribute. */
static int read_config(hid_t f, cc_model_info *info, cc_train_state *s, char *why, size_t why_len) {
    cc_convlstm_config *c = &info->config;
    attributes a = {f, why, why_len};
    snprintf(why, why_len, "configuration attributes unreadable"); /* each failure below says more */
    info->members = 1, info->finished = 0;
    char model[12] = "";
    int ok = get_version(&a) && get_loss(&a, &info->loss) && get_architecture(&a, c, model) && get_network(&a, c) &&
             get_options(&a, &info->options) && get_grid(&a, &info->grid) &&
             get_int(&a, "epochs_done", &info->epochs_done);
    const bounded done = {"epochs_done", info->epochs_done, 0, CC_MAX_EPOCHS}; /* it indexes the loss history */
    info->options.loss = info->loss; /* a resumed run trains with the loss it began with */
    ok = ok && in_range(&a, &done, 1) && get_members(&a, info) &&
         plausible_config(c, &info->options, info->grid.T, why, why_len) == 0;
    if (ok && info->loss != CC_LOSS_POISSON && c->baseline_k > 0) { /* its offset is a log-rate's */
        snprintf(why, why_len, "attributes loss '%s' and baseline_k %d: train writes a baseline only with the poisson "
                 "loss (it corrects a Poisson log-rate)", cc_loss_name(info->loss), c->baseline_k);
        ok = 0;
    }
    if (ok && !same_architecture(model, c, why, why_len)) ok = 0;
    if (ok && read_split(f, info) != 0) {
        snprintf(why, why_len, "attribute target_spans (or split) does not fit T %d, window %d and horizon %d",
                 info->grid.T, c->window, c->horizon);
        ok = 0;
    }
    return ok && get_labels(&a, info) && (!s || get_state(&a, s)) ? 0 : -1;
}

static int read_grid_arrays(hid_t f, cc_model_info *info) {
    int C = info->config.channels;
    info->grid.C = C, info->grid.H = info->config.height, info->grid.W = info->config.width;
    info->scale = malloc(sizeof(float) * (size_t)C);
    info->grid.categories = calloc((size_t)C, sizeof(char *));
    char **names = calloc((size_t)C, sizeof(char *));
    hid_t strings = cc_hdf5_utf8_type();
    int ok = info->scale && info->grid.categories && names &&
             cc_hdf5_read_dataset(f, "/norm/scale", H5T_NATIVE_FLOAT, (size_t)C, info->scale) == 0 &&
             cc_hdf5_read_dataset(f, "/category", strings, (size_t)C, names) == 0;
    for (int c = 0; ok && c < C; c++) {
        info->grid.categories[c] = strdup(names[c] ? names[c] : "");
        H5free_memory(names[c]);
    }
    H5Tclose(strings);
    free(names);
    return ok ? 0 : -1;
}

static int read_members(hid_t f, const cc_convlstm *model, cc_model_info *info, char *why, size_t why_len) {
    cc_arena layout = model->params;
    for (int i = 0; i < info->finished; i++) {
        cc_member *m = &info->member[i];
        char group[32], params[48];
        snprintf(group, sizeof group, "/ensemble/%d", i);
        snprintf(params, sizeof params, "%s/params", group);
        if (!(m->params = calloc(layout.size, sizeof(float)))) { /* padding between tensors: zero */
            snprintf(why, why_len, "out of memory for ensemble member %d", i);
            return -1;
        }
        layout.data = m->params;
        if (read_arena(f, params, &layout, why, why_len) != 0) return -1;
        long long seed = 0;
        hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
        int ok = g >= 0 && cc_hdf5_read_int(g, "seed", &seed) == 0 && read_int(g, "best_epoch", &m->best_epoch) == 0 &&
                 cc_hdf5_read_double(g, "best_val", &m->best_val) == 0;
        if (g >= 0) H5Gclose(g);
        if (!ok) {
            snprintf(why, why_len, "%s lacks its seed, best_epoch or best_val attributes", group);
            return -1;
        }
        if (isnan(m->best_val)) {
            snprintf(why, why_len, "%s's attribute best_val is nan: train writes a member's best loss", group);
            return -1;
        }
        m->seed = (unsigned)seed;
    }
    return 0;
}

static int read_model(hid_t f, int batch, cc_convlstm *model, cc_model_info *info, cc_train_state *s, char *why,
                      size_t why_len) {
    char *format = cc_hdf5_read_text(f, "format");
    int known = format && !strcmp(format, CC_MODEL_FORMAT);
    free(format);
    if (!known) {
        snprintf(why, why_len, "not a crimecast model file (root attribute 'format')");
        return -1;
    }
    if (read_config(f, info, s, why, why_len) != 0) return -1;
    if (read_grid_arrays(f, info) != 0) {
        snprintf(why, why_len, "dataset /norm/scale or /category is missing, unreadable, or not %d values",
                 info->config.channels);
        return -1;
    }
    for (int c = 0; c < info->config.channels; c++)
        if (!(isfinite(info->scale[c]) && info->scale[c] > 0)) { /* inputs are divided by it */
            snprintf(why, why_len, "/norm/scale[%d] is %g: a normalisation scale must be finite and > 0", c,
                     info->scale[c]);
            return -1;
        }
    if (read_covariates(f, info, why, why_len) != 0) return -1;
    /* the context maps proper, after the covariates' input maps */
    int context = info->config.context - info->config.covariates, recency = info->config.recency,
        gated = info->config.gated;
    if (context < 0) {
        snprintf(why, why_len, "its %d covariate maps exceed its %d extra input maps", info->config.covariates,
                 info->config.context);
        return -1;
    }
    if (recency < 0 || recency > CC_RECENCY_MAPS || gated < 0 || gated > 2 || (!context && (recency || gated))) {
        snprintf(why, why_len, "its recency (%d) and level_gate (%d) attributes are not what crimecast writes "
                 "(0-%d and 0-2, both 0 without context maps)", recency, gated, CC_RECENCY_MAPS);
        return -1;
    }
    double sigma = info->config.baseline_sigma;
    if (!(sigma >= 0 && sigma <= CC_MAX_BASELINE_SIGMA)) { /* NaN too */
        snprintf(why, why_len, "its baseline_sigma (%g) is not what crimecast writes (0-%d cells)", sigma,
                 CC_MAX_BASELINE_SIGMA);
        return -1;
    }
    if (context && context != cc_context_maps(info->config.channels, recency, gated)) {
        /* an older definition of the maps */
        snprintf(why, why_len, "its %d context maps are not the %d this crimecast computes; train the model again",
                 context, cc_context_maps(info->config.channels, recency, gated));
        return -1;
    }
    info->config.skip_only = cc_skip_only_maps(info->config.channels, gated);
    char err[256];
    if (cc_convlstm_create(model, &info->config, batch, 1, err, sizeof err) != 0) {
        snprintf(why, why_len, "%s", err);
        return -1;
    }
    if (read_arena(f, "/params", &model->params, why, why_len) != 0 || read_members(f, model, info, why, why_len) != 0)
        return -1;
    if (!s) return 0;
    if (cc_train_state_init(s, model) != 0) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    attributes a = {f, why, why_len}; /* the state again: cc_train_state_init cleared it */
    if (!get_state(&a, s) || read_arena(f, "/optim/m", &s->m, why, why_len) != 0 ||
        read_arena(f, "/optim/v", &s->v, why, why_len) != 0 || negative_moment(&s->v, why, why_len))
        return -1;
    hsize_t n;
    if (s->epochs_done > 0 &&
        (cc_hdf5_dataset_dims(f, "/history/train_loss", 1, &n) != 0 || n != (hsize_t)s->epochs_done ||
         cc_hdf5_read_dataset(f, "/history/train_loss", H5T_NATIVE_DOUBLE, n, s->train_loss) != 0 ||
         cc_hdf5_read_dataset(f, "/history/val_loss", H5T_NATIVE_DOUBLE, n, s->val_loss) != 0)) {
        snprintf(why, why_len, "the loss history does not match epochs_done");
        return -1;
    }
    size_t bytes = sizeof(float) * model->params.size;
    memcpy(s->best.data, model->params.data, bytes);
    memcpy(s->best_m.data, s->m.data, bytes);
    memcpy(s->best_v.data, s->v.data, bytes);
    return 0;
}

int cc_checkpoint_read(const char *path, int batch, cc_convlstm *model, cc_model_info *info, cc_train_state *state,
                       char *err, size_t err_len) {
    memset(model, 0, sizeof *model);
    memset(info, 0, sizeof *info);
    if (state) memset(state, 0, sizeof *state);
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[512] = "unreadable";
    hid_t file = cc_hdf5_open_read(path, why, sizeof why);
    int status = file < 0 ? -1 : read_model(file, batch, model, info, state, why, sizeof why);
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    if (status != 0) {
        snprintf(err, err_len, "%s: %s", path, why);
        cc_convlstm_free(model);
        if (state) cc_train_state_free(state);
        cc_model_info_free(info);
    }
    return status;
}

int cc_model_forecast_members(const cc_model_info *info) { return info->finished + (info->epochs_done > 0); }

void cc_model_info_free(cc_model_info *info) {
    free(info->scale);
    for (int i = 0; i < info->finished && i < CC_MAX_MEMBERS - 1; i++) free(info->member[i].params);
    if (info->grid.categories)
        for (int c = 0; c < info->grid.C; c++) free(info->grid.categories[c]);
    free(info->grid.categories);
    memset(info, 0, sizeof *info);
}

int cc_model_same_bins(const cc_model_info *info, const cc_tensor *t, char *err, size_t err_len) {
    char first[11] = "", last[11] = "";
    if (t->T > 0) cc_format_iso_date(t->time[0], first), cc_format_iso_date(t->time[t->T - 1], last);
    int dated = info->first_bin[0] && info->last_bin[0];
    if (t->T == info->grid.T && (!dated || (!strcmp(first, info->first_bin) && !strcmp(last, info->last_bin))))
        return 0;
    snprintf(err, err_len, "the tensor's bins are %s .. %s (%d), the model's were %s .. %s (%d)", first, last, t->T,
             dated ? info->first_bin : "?", dated ? info->last_bin : "?", info->grid.T);
    return -1;
}

/* A tensor's channel names, "all, burglary, theft", cut with "..." past len. */
static void channel_names(const cc_tensor *t, char *out, size_t len) {
    size_t used = 0;
    out[0] = '\0';
    for (int c = 0; c < t->C && used < len; c++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", c ? ", " : "", t->categories[c]);
    if (used >= len && len > 4) memcpy(out + len - 4, "...", 4);
}

int cc_model_same_channels(const cc_model_info *info, const cc_tensor *t, char *err, size_t err_len) {
    const cc_tensor *g = &info->grid;
    int c = 0;
    while (c < t->C && c < g->C && !strcmp(t->categories[c], g->categories[c])) c++;
    if (c == t->C && c == g->C) return 0;
    char model[200], tensor[200]; /* each list whole: the first names alone said nothing of the difference */
    channel_names(g, model, sizeof model), channel_names(t, tensor, sizeof tensor);
    snprintf(err, err_len, "the model was trained on %d channel%s (%s); this tensor has %d (%s)", g->C,
             g->C == 1 ? "" : "s", model, t->C, tensor);
    return -1;
}

int cc_model_matches_tensor(const cc_model_info *info, const cc_tensor *t, char *err, size_t err_len) {
    const cc_tensor *g = &info->grid;
    char what[300];
    if (cc_tensor_grid_difference(t, g, what, sizeof what)) {
        snprintf(err, err_len, "this tensor is on another grid than the model was trained on (%s)", what);
        return -1;
    }
    if (t->city[0] && g->city[0] && strcmp(t->city, g->city) != 0) { /* as eval refuses a forecast of another city */
        snprintf(err, err_len, "the model was trained on city '%s'; this tensor is of '%s'", g->city, t->city);
        return -1;
    }
    if (cc_model_same_channels(info, t, err, err_len) != 0) return -1;
    if (info->config.covariates && t->input_static + t->input_dynamic != info->config.covariates) {
        snprintf(err, err_len, "the model reads %d covariate input maps; this tensor's covariates give %d", 
                 info->config.covariates, t->input_static + t->input_dynamic);
        return -1;
    }
    if (info->config.recency > t->R) {
        snprintf(err, err_len,
                 "the model reads recency maps (the time of incidents within their bins) and this tensor has "
                 "none: raster it again with --recency on (the default), from records with times finer than a %s, "
                 "or train a model with --recency off", cc_bin_kind_name(t->bin));
        return -1;
    }
    return 0;
}
