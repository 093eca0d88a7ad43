/* host/run_inspect.h */
#include "host/run_inspect.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/map_grid.h"
#include "heatmaps/tensor_file.h"
#include "host/device_options.h"
#include "kernels/device.h"
#include "models/checkpoint.h"
#include "models/covariate_inputs.h"
#include "models/inspect.h"

/* "ROW,COL". Through the options' number lists (decimal, in range before any cast:
 * sscanf's %d wrapped 4294967298 to 2). */
static int parse_cell(const char *text, void *field, char *why, size_t why_len) {
    static const cc_number_list_rule RULE = {.option = "cell", .takes = "ROW,COL, two whole numbers >= 0", .min = 0,
                                             .max = 1e9, .whole = 1, .shown_unit = "", .most = 2};
    cc_inspect_cell *cell = field;
    double v[2];
    int count = 0;
    if (cc_parse_number_list(text, &RULE, v, &count, why, why_len) != 0) return -1;
    if (count != 2) {
        snprintf(why, why_len, "--cell takes %s (got '%s')", RULE.takes, text);
        return -1;
    }
    cell->row = (int)v[0], cell->col = (int)v[1], cell->given = 1;
    return 0;
}

/* "STEP,MAP,ROW,COL,DELTA". */
static int parse_nudge(const char *text, void *field, char *why, size_t why_len) {
    static const cc_number_list_rule RULE = {.option = "nudge",
                                             .takes = "STEP,MAP,ROW,COL,DELTA (four whole numbers >= 0 and a number)",
                                             .min = -DBL_MAX, .max = DBL_MAX, .shown_unit = "", .most = 5};
    cc_inspect_nudge *n = field;
    double v[5];
    int count = 0, whole = 1;
    if (cc_parse_number_list(text, &RULE, v, &count, why, why_len) != 0) return -1;
    for (int i = 0; i < 4 && i < count; i++) whole &= v[i] >= 0 && v[i] <= 1e9 && v[i] == floor(v[i]);
    if (count != 5 || !whole) {
        snprintf(why, why_len, "--nudge takes %s (got '%s')", RULE.takes, text);
        return -1;
    }
    n->step = (int)v[0], n->map = (int)v[1], n->row = (int)v[2], n->col = (int)v[3], n->delta = v[4], n->given = 1;
    return 0;
}

static const cc_option INSPECT_OPTIONS[] = {
    {CC_OPTION_TEXT("model", cc_inspect_cli, model, "MODEL.h5", NULL, "a model file of train"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("data", cc_inspect_cli, data, "TENSOR.h5", NULL, "the tensor it was trained on"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_DATE("time", cc_inspect_cli, time, NULL, "the forecast's target: the bin starting on DATE")},
    {CC_OPTION_SOME_INT("index", cc_inspect_cli, index, "I", 0, 1000000000, "or the target bin's index (from 0)")},
    {CC_OPTION_TEXT("category", cc_inspect_cli, category, "NAME", NULL,
                    "the channel the saliency follows and the pictures show (default: the first)")},
    {CC_OPTION_CUSTOM("cell", cc_inspect_cli, cell, "ROW,COL", NULL, parse_cell,
                      "follow one cell's forecast (row 0 north) instead of the whole area's")},
    {CC_OPTION_CUSTOM("nudge", cc_inspect_cli, nudge, "STEP,MAP,ROW,COL,DELTA", NULL, parse_nudge,
                      "what if: add DELTA to one input (step, map, cell) first")},
    {CC_OPTION_FLAG("json", cc_inspect_cli, json, "the summary as JSON on stdout")},
    {CC_OPTION_TEXT("out", cc_inspect_cli, out, "DIR", NULL, "the directory of the pictures and inspect.h5"),
     .required = 1, .file = CC_FILE_WRITTEN},
};

static int check_inspect(void *request, char *why, size_t why_len) {
    const cc_inspect_cli *r = request;
    if ((r->time != NULL) + (r->index.given != 0) == 1) return 0;
    snprintf(why, why_len, "give exactly one of --time and --index");
    return -1;
}

static const cc_option_group INSPECT_GROUPS[] = {{"options", CC_OPTION_ROWS(INSPECT_OPTIONS), 0}};

const cc_command_spec CC_INSPECT_SPEC = {
    .name = "inspect",
    .synopsis = "--model MODEL.h5 --data TENSOR.h5 (--time DATE | --index I) [--category NAME] [--cell ROW,COL]\n"
                "       [--nudge STEP,MAP,ROW,COL,DELTA] [--json] --out DIR",
    .description =
        "Runs one forecast of a trained ConvLSTM (the target bin given by --time or --index, from\n"
        "the window of bins before it, on the CPU) and writes what happened inside it to DIR:\n"
        "  states/<enc|fc><layer>_step<s>.png  each layer's hidden state h, cell state c and its\n"
        "      gates' activations i, f, g, o at each step, one small map per hidden unit, one\n"
        "      colour scale per kind for all layers and steps;\n"
        "  decomposition.png  the log-rate of the category at the target, r = b + s + n: the\n"
        "      baseline offset b (the historical average, when the model has one), the skip\n"
        "      path's s and the recurrent network's n, then r and the forecast exp(r);\n"
        "  saliency.png  dF/dx: how the forecast F (the category's expected count at the target,\n"
        "      summed over the area, or of one --cell) moves with each input: the category's\n"
        "      normalised counts at each input step, and the step's other maps summed. The\n"
        "      baseline offset b and the context maps, made from the same counts, are held\n"
        "      fixed: one more crime also moves them, which this gradient leaves out\n"
        "      (re-predict on a changed tensor for that); --nudge follows the same rule;\n"
        "  inspect.h5  the numbers: /x, /saliency [steps][maps][H][W] (steps: the window's bins,\n"
        "      or the lags an ST-ResNet reads; attribute input_bins their tensor indices),\n"
        "      /baseline, /skip, /network, /forecast [horizon][C][H][W], attributes objective,\n"
        "      target, category. A model trained with --loss mse has output r, forecast\n"
        "      expm1(r x scale) (no log-rate); ST-ResNet has no recurrent states to show.\n"
        "It prints a summary: per layer the mean of each state and gate, the share saturated\n"
        "(sigmoids below 0.05 or above 0.95, tanh beyond +-0.95) and the hidden units dead in\n"
        "this forecast; the saliency by step. --json prints it as JSON. --nudge adds DELTA to\n"
        "one input first (map 0.. C-1: the categories' normalised counts, then the covariate and\n"
        "context maps); the summary gives F without the nudge too, so its change can be set\n"
        "beside the saliency. With --cell, F and the log-rate terms are the cell's own. A seed\n"
        "ensemble's file shows its last trained member (said; attributes member and members),\n"
        "not the mean predict forecasts. /forecast is 0 outside the mask, as predict's.\n",
    .request_size = sizeof(cc_inspect_cli),
    .groups = INSPECT_GROUPS,
    .group_count = 1,
    .check = check_inspect,
};

/* ------------------------------------------------------------------ the run */

typedef struct inspect_run {
    const cc_inspect_cli *cli;
    cc_convlstm model;
    cc_model_info info;
    cc_tensor t;
    cc_inspection in;
    int target, start, category;
    int member, members;     /* the seed ensemble's member shown (1..), of its trained ones */
    uint8_t *core_mask;
    double objective_before; /* --nudge: F of the same forecast without it (NaN without --nudge) */
} inspect_run;

static double most_abs(const float *v, size_t n) {
    double most = 0;
    for (size_t q = 0; q < n; q++)
        if (isfinite(v[q]) && fabs(v[q]) > most) most = fabs(v[q]);
    return most > 0 ? most : 1e-12;
}

static int make_dir(const char *path, char *err, size_t err_len) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    snprintf(err, err_len, "%s: cannot make the directory (%s)", path, strerror(errno));
    return -1;
}

/* The largest |c| of every layer and step: the cell states' one colour scale. */
static double cell_state_range(const inspect_run *r) {
    const cc_convlstm *m = &r->model;
    size_t plane = (size_t)m->core_height * m->core_width;
    double most = 0;
    for (int stack = 0; stack < 2; stack++)
        for (int l = 0; l < cc_inspect_layers(m); l++)
            for (int s = 0; s < (stack ? m->cfg.horizon : m->cfg.window); s++) {
                double v = most_abs(cc_inspect_state(m, stack, l, s, CC_STATE_C), (size_t)m->cfg.hidden[l] * plane);
                if (v > most) most = v;
            }
    return most;
}

static const char *const STATE_TITLES[CC_STATE_KINDS] = {
    "hidden state h", "cell state c", "input gate i", "forget gate f", "candidate g", "output gate o"};

/* The date of input step s (or, for the forecaster, output step s). */
static void step_date(const inspect_run *r, int stack, int s, char date[11]) {
    int bin = stack ? r->start + r->model.cfg.window + s : r->in.bin[s];
    cc_format_iso_date(r->t.time[bin], date);
}

/* The state pictures an earlier inspect left in DIR/states that this one does not write
 * (another model's layers or steps): removed, and said, so that the folder shows one
 * network (it held a 2-layer model's beside a 1-layer one's; a probe). Only names of
 * the pattern inspect writes. */
static void remove_stale_states(const inspect_run *r) {
    char dir[4096], path[4400];
    snprintf(dir, sizeof dir, "%s/states", r->cli->out);
    DIR *d = opendir(dir);
    if (!d) return;
    const cc_convlstm *m = &r->model;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        int fc = !strncmp(e->d_name, "fc", 2), at = fc ? 2 : 3, layer = -1, step = -1, end = 0;
        if ((!fc && strncmp(e->d_name, "enc", 3)) ||
            sscanf(e->d_name + at, "%4d_step%4d.png%n", &layer, &step, &end) != 2 || !end || e->d_name[at + end])
            continue;
        int steps = fc ? m->cfg.horizon : m->cfg.window;
        if (layer < cc_inspect_layers(m) && step < steps) continue; /* this run's: written over */
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        removed += unlink(path) == 0;
    }
    closedir(d);
    if (removed)
        fprintf(stderr, "crimecast inspect: note: removed %d state picture%s of an earlier inspect from %s (another "
                "model's layers or steps)\n", removed, removed == 1 ? "" : "s", dir);
}

static int write_states(const inspect_run *r, char *err, size_t err_len) {
    const cc_convlstm *m = &r->model;
    remove_stale_states(r);
    if (cc_inspect_layers(m) == 0) return 0; /* ST-ResNet: no recurrent states */
    char dir[4096], path[4200], title[256];
    snprintf(dir, sizeof dir, "%s/states", r->cli->out);
    if (make_dir(dir, err, err_len) != 0) return -1;
    double c_range = cell_state_range(r);
    char labels[64][16];
    const char *label_ptrs[64];
    for (int stack = 0; stack < 2; stack++)
        for (int l = 0; l < cc_inspect_layers(m); l++) {
            int hd = m->cfg.hidden[l];
            for (int u = 0; u < hd && u < 64; u++) snprintf(labels[u], sizeof labels[u], "u%d", u), label_ptrs[u] = labels[u];
            for (int s = 0; s < (stack ? m->cfg.horizon : m->cfg.window); s++) {
                cc_map_block blocks[CC_STATE_KINDS];
                for (int k = 0; k < CC_STATE_KINDS; k++) {
                    int sigmoid = k == CC_GATE_I || k == CC_GATE_F || k == CC_GATE_O;
                    double range = k == CC_STATE_C ? c_range : 1.0;
                    blocks[k] = (cc_map_block){STATE_TITLES[k], cc_inspect_state(m, stack, l, s, (cc_state_kind)k), hd,
                                               m->core_height, m->core_width, hd <= 64 ? label_ptrs : NULL, 0,
                                               sigmoid ? 0.0 : -range, range, !sigmoid, r->core_mask};
                }
                char date[11];
                step_date(r, stack, s, date);
                snprintf(title, sizeof title, "%s layer %d, step %d (%s %s)", stack ? "forecaster" : "encoder", l, s,
                         stack ? "output for" : "input of", date);
                snprintf(path, sizeof path, "%s/%s%d_step%02d.png", dir, stack ? "fc" : "enc", l, s);
                if (cc_map_grid_png(path, title, blocks, CC_STATE_KINDS, 3, err, err_len) != 0) return -1;
            }
        }
    return 0;
}

/* What r = b + s + n is: a log-rate (Poisson), or with MSE the normalised log1p count. */
static const char *terms_name(const inspect_run *r) { return r->info.loss == CC_LOSS_MSE ? "output" : "log-rate"; }

static int write_decomposition(const inspect_run *r, char *err, size_t err_len) {
    const cc_inspection *in = &r->in;
    size_t plane = (size_t)in->H * in->W, at = ((size_t)(in->horizon - 1) * in->C + r->category) * plane;
    float *log_rate = malloc(sizeof(float) * plane);
    if (!log_rate) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    double lo = INFINITY, hi = -INFINITY, b_lo = INFINITY, b_hi = -INFINITY;
    for (size_t q = 0; q < plane; q++) {
        log_rate[q] = in->baseline[at + q] + in->skip[at + q] + in->network[at + q];
        if (!r->t.mask[q]) continue;
        lo = fmin(lo, log_rate[q]), hi = fmax(hi, log_rate[q]);
        b_lo = fmin(b_lo, in->baseline[at + q]), b_hi = fmax(b_hi, in->baseline[at + q]);
    }
    double terms = fmax(most_abs(in->skip + at, plane), most_abs(in->network + at, plane));
    double top = most_abs(in->forecast + at, plane);
    if (!(hi > lo)) hi = lo + 1;
    if (!(b_hi > b_lo)) b_hi = b_lo + 1;
    const uint8_t *mask = r->t.mask;
    int mse = r->info.loss == CC_LOSS_MSE; /* r is then a normalised log1p count, not a log-rate */
    cc_map_block blocks[5] = {
        {"baseline offset b", in->baseline + at, 1, in->H, in->W, NULL, 1, b_lo, b_hi, 0, mask},
        {"skip path s", in->skip + at, 1, in->H, in->W, NULL, 1, -terms, terms, 1, mask},
        {"recurrent network n", in->network + at, 1, in->H, in->W, NULL, 1, -terms, terms, 1, mask},
        {mse ? "output r = b + s + n" : "log-rate r = b + s + n", log_rate, 1, in->H, in->W, NULL, 1, lo, hi, 0, mask},
        {mse ? "forecast expm1(r x scale)" : "forecast exp(r)", in->forecast + at, 1, in->H, in->W, NULL, 1, 0.0, top,
         0, mask},
    };
    char path[4200], title[512], date[11];
    cc_format_iso_date(r->t.time[r->target], date);
    snprintf(title, sizeof title, "%s, %s: the %s's terms", r->t.categories[r->category], date, terms_name(r));
    snprintf(path, sizeof path, "%s/decomposition.png", r->cli->out);
    int status = cc_map_grid_png(path, title, blocks, 5, 5, err, err_len);
    free(log_rate);
    return status;
}

static int write_saliency(const inspect_run *r, char *err, size_t err_len) {
    const cc_inspection *in = &r->in;
    size_t plane = (size_t)in->H * in->W;
    int L = in->steps, others = in->maps - 1;
    float *counts = malloc(sizeof(float) * plane * L), *rest = calloc(plane * L, sizeof(float));
    char (*dates)[11] = malloc(sizeof *dates * (size_t)L);
    const char **labels = malloc(sizeof *labels * (size_t)L);
    int status = -1;
    if (counts && rest && dates && labels) {
        for (int s = 0; s < L; s++) {
            const float *step = in->saliency + (size_t)s * in->maps * plane;
            memcpy(counts + s * plane, step + r->category * plane, sizeof(float) * plane);
            for (int k = 0; k < in->maps; k++)
                if (k != r->category)
                    for (size_t q = 0; q < plane; q++) rest[s * plane + q] += step[k * plane + q];
            step_date(r, 0, s, dates[s]);
            labels[s] = dates[s];
        }
        double a = most_abs(counts, plane * L), b = most_abs(rest, plane * L);
        char title_a[256], title_b[64], title[512], path[4200], date[11];
        snprintf(title_a, sizeof title_a, "dF/dx, x the normalised %s counts of each input step", r->t.categories[r->category]);
        snprintf(title_b, sizeof title_b, "the step's other %d maps, summed", others);
        cc_map_block blocks[2] = {{title_a, counts, L, in->H, in->W, labels, L <= 8 ? L : 8, -a, a, 1, r->t.mask},
                                  {title_b, rest, L, in->H, in->W, labels, L <= 8 ? L : 8, -b, b, 1, r->t.mask}};
        cc_format_iso_date(r->t.time[r->target], date);
        const cc_convlstm_config *c = &r->info.config;
        snprintf(title, sizeof title, "saliency of F = %s expected at %s (%.4g)%s",
                 r->cli->cell.given ? "one cell's" : "the area's", date, in->objective,
                 c->baseline_k > 0 || c->context > 0 ? ", baseline and context maps held fixed" : "");
        snprintf(path, sizeof path, "%s/saliency.png", r->cli->out);
        status = cc_map_grid_png(path, title, blocks, others > 0 ? 2 : 1, 1, err, err_len);
    } else {
        snprintf(err, err_len, "out of memory");
    }
    free(counts), free(rest), free(dates), free(labels);
    return status;
}

static int write_arrays(hid_t file, const void *context) {
    const inspect_run *r = context;
    const cc_inspection *in = &r->in;
    hsize_t inputs[4] = {(hsize_t)in->steps, (hsize_t)in->maps, (hsize_t)in->H, (hsize_t)in->W};
    hsize_t outputs[4] = {(hsize_t)in->horizon, (hsize_t)in->C, (hsize_t)in->H, (hsize_t)in->W};
    const struct { const char *name; const float *data; const hsize_t *dims; } sets[] = {
        {"x", in->x, inputs}, {"saliency", in->saliency, inputs}, {"baseline", in->baseline, outputs},
        {"skip", in->skip, outputs}, {"network", in->network, outputs}, {"forecast", in->forecast, outputs}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        hid_t d = cc_hdf5_write_chunked(file, sets[k].name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, sets[k].dims, 1, 4,
                                        sets[k].data);
        if (d < 0) return -1;
        H5Dclose(d);
    }
    char date[11];
    cc_format_iso_date(r->t.time[r->target], date);
    int cell = r->cli->cell.given ? r->cli->cell.row * in->W + r->cli->cell.col : -1;
    if (cc_hdf5_write_text(file, "format", "crimecast-inspect") != 0 || cc_hdf5_write_text(file, "model", r->cli->model) != 0 ||
        cc_hdf5_write_text(file, "target", date) != 0 || cc_hdf5_write_int(file, "target_index", r->target) != 0 ||
        cc_hdf5_write_int(file, "first_input_index", r->start) != 0 ||
        cc_hdf5_write_text(file, "category", r->t.categories[r->category]) != 0 ||
        cc_hdf5_write_int(file, "category_index", r->category) != 0 || cc_hdf5_write_int(file, "cell", cell) != 0 ||
        cc_hdf5_write_double(file, "objective", in->objective) != 0 ||
        cc_hdf5_write_ints(file, "input_bins", in->bin, in->steps) != 0 ||
        cc_hdf5_write_int(file, "member", r->member) != 0 || cc_hdf5_write_int(file, "members", r->members) != 0)
        return -1;
    const cc_inspect_nudge *n = &r->cli->nudge;
    double nudge[5] = {n->step, n->map, n->row, n->col, n->delta};
    if (n->given && (cc_hdf5_write_doubles(file, "nudge", nudge, 5) != 0 ||
                     cc_hdf5_write_double(file, "objective_before_nudge", r->objective_before) != 0))
        return -1;
    return 0;
}

static int write_h5(const inspect_run *r, char *err, size_t err_len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/inspect.h5", r->cli->out);
    return cc_hdf5_write_whole_file(path, "the HDF5 file", write_arrays, r, err, err_len);
}

/* ------------------------------------------------------------------ the summary */

/* Sum of |dF/dx| at input step s: over the category's count map, and over the other maps. */
static void saliency_at_step(const inspect_run *r, int s, double *own, double *others) {
    const cc_inspection *in = &r->in;
    size_t plane = (size_t)in->H * in->W;
    *own = *others = 0;
    for (int k = 0; k < in->maps; k++)
        for (size_t q = 0; q < plane; q++) {
            double v = fabs(in->saliency[((size_t)s * in->maps + k) * plane + q]);
            if (k == r->category) *own += v;
            else *others += v;
        }
}

/* A term at the target: its mean over the mask, or with --cell the cell's own value (F
 * is then that cell's: the terms must add up to its log-rate, not the area's). */
static double term_mean(const inspect_run *r, const float *term) {
    const cc_inspection *in = &r->in;
    size_t plane = (size_t)in->H * in->W, at = ((size_t)(in->horizon - 1) * in->C + r->category) * plane;
    if (r->cli->cell.given) return term[at + (size_t)r->cli->cell.row * in->W + r->cli->cell.col];
    double sum = 0;
    long n = 0;
    for (size_t q = 0; q < plane; q++)
        if (r->t.mask[q]) sum += term[at + q], n++;
    return n ? sum / n : NAN;
}

/* Where the terms are taken, for the summary: "over the area" or "at cell R,C". */
static void terms_where(const inspect_run *r, char *out, size_t len) {
    if (r->cli->cell.given) snprintf(out, len, "at cell %d,%d", r->cli->cell.row, r->cli->cell.col);
    else snprintf(out, len, "over the area");
}

/* " (F without it: ..., so the nudge moved it by ...)" for a --nudge, else "". */
static void nudge_said(const inspect_run *r, char *out, size_t len) {
    const cc_inspect_nudge *n = &r->cli->nudge;
    if (!n->given) {
        out[0] = 0;
        return;
    }
    snprintf(out, len, " after --nudge %d,%d,%d,%d,%g (%.4g without it: %+.4g)", n->step, n->map, n->row, n->col,
             n->delta, r->objective_before, r->in.objective - r->objective_before);
}

static void print_json(const inspect_run *r, FILE *out) {
    const cc_convlstm *m = &r->model;
    char date[11];
    cc_format_iso_date(r->t.time[r->target], date);
    fprintf(out, "{\"model\": ");
    cc_print_json_string(out, r->cli->model);
    fprintf(out, ", \"target\": \"%s\", \"category\": ", date);
    cc_print_json_string(out, r->t.categories[r->category]);
    fprintf(out, ", \"objective\": %.9g, \"architecture\": \"%s\", \"terms\": \"%s\",\n", r->in.objective,
            cc_model_arch_name(&m->cfg), terms_name(r));
    fprintf(out, " \"member\": %d, \"members\": %d,\n", r->member, r->members);
    if (r->cli->cell.given) fprintf(out, " \"cell\": [%d, %d],\n", r->cli->cell.row, r->cli->cell.col);
    const cc_inspect_nudge *n = &r->cli->nudge;
    if (n->given)
        fprintf(out, " \"nudge\": {\"step\": %d, \"map\": %d, \"row\": %d, \"col\": %d, \"delta\": %.9g, "
                "\"objective_before\": %.9g},\n", n->step, n->map, n->row, n->col, n->delta, r->objective_before);
    /* the means are over the mask, or the --cell's own values ("cell" above) */
    fprintf(out, " \"decomposition\": {\"baseline_mean\": %.9g, \"skip_mean\": %.9g, \"network_mean\": %.9g},\n",
            term_mean(r, r->in.baseline), term_mean(r, r->in.skip), term_mean(r, r->in.network));
    fprintf(out, " \"layers\": [");
    for (int stack = 0, first = 1; stack < 2; stack++)
        for (int l = 0; l < cc_inspect_layers(m); l++, first = 0) {
            fprintf(out, "%s\n  {\"stack\": \"%s\", \"layer\": %d, \"hidden\": %d", first ? "" : ",",
                    stack ? "forecaster" : "encoder", l, m->cfg.hidden[l]);
            for (int k = 0; k < CC_STATE_KINDS; k++) {
                cc_state_stats st = cc_inspect_stats(m, stack, l, (cc_state_kind)k, r->core_mask);
                fprintf(out, ", \"%s\": {\"mean\": %.6g, \"saturated\": %.6g", cc_state_kind_name((cc_state_kind)k),
                        st.mean, st.saturated);
                if (k == CC_STATE_H) fprintf(out, ", \"dead_units\": %d", st.dead_units);
                fprintf(out, "}");
            }
            fprintf(out, "}");
        }
    fprintf(out, "],\n \"saliency_by_step\": [");
    for (int s = 0; s < r->in.steps; s++) {
        double own, others;
        saliency_at_step(r, s, &own, &others);
        step_date(r, 0, s, date);
        fprintf(out, "%s\n  {\"bin\": \"%s\", \"counts\": %.6g, \"other_maps\": %.6g}", s ? "," : "", date, own, others);
    }
    fprintf(out, "]}\n");
}

static void print_text(const inspect_run *r, FILE *out) {
    const cc_convlstm *m = &r->model;
    char date[11];
    cc_format_iso_date(r->t.time[r->target], date);
    char where[64], nudged[200];
    terms_where(r, where, sizeof where), nudge_said(r, nudged, sizeof nudged);
    fprintf(out, "%s, %s: F = %.4g expected%s%s; %s terms %s: baseline %.3f, skip %.3f, network %.3f\n",
            r->t.categories[r->category], date, r->in.objective, r->cli->cell.given ? " at the cell" : "", nudged,
            terms_name(r), where, term_mean(r, r->in.baseline), term_mean(r, r->in.skip), term_mean(r, r->in.network));
    if (cc_inspect_layers(m) == 0)
        fprintf(out, "no recurrent layers (%s): no states to show\n", cc_model_arch_name(&m->cfg));
    else
        fprintf(out, "%-14s %-6s %-45s %-39s %s\n", "layer", "hidden", "mean: h c i f g o",
                "saturated share: h c i f g o", "dead units");
    for (int stack = 0; stack < 2; stack++)
        for (int l = 0; l < cc_inspect_layers(m); l++) {
            cc_state_stats st[CC_STATE_KINDS];
            for (int k = 0; k < CC_STATE_KINDS; k++) st[k] = cc_inspect_stats(m, stack, l, (cc_state_kind)k, r->core_mask);
            fprintf(out, "%-10s %-3d %-6d", stack ? "forecaster" : "encoder", l, m->cfg.hidden[l]);
            for (int k = 0; k < CC_STATE_KINDS; k++) fprintf(out, " %6.3f", st[k].mean);
            fprintf(out, "    ");
            for (int k = 0; k < CC_STATE_KINDS; k++) fprintf(out, " %5.2f", st[k].saturated);
            fprintf(out, "    %d\n", st[CC_STATE_H].dead_units);
        }
    const cc_convlstm_config *c = &r->info.config;
    fprintf(out, "saliency by input step (sum |dF/dx|: counts / other maps%s):",
            c->baseline_k > 0 || c->context > 0 ? "; baseline and context maps held fixed" : "");
    for (int s = 0; s < r->in.steps; s++) {
        double own, others;
        saliency_at_step(r, s, &own, &others);
        step_date(r, 0, s, date);
        fprintf(out, "%s %s %.3g/%.3g", s ? "," : "", date, own, others);
    }
    fprintf(out, "\n%s: %sdecomposition.png, saliency.png, inspect.h5\n", r->cli->out,
            cc_inspect_layers(m) ? "states/, " : "");
}

/* ------------------------------------------------------------------ setup */

static int pick_target(inspect_run *r, char *err, size_t err_len) {
    const cc_inspect_cli *a = r->cli;
    const cc_convlstm_config *c = &r->info.config;
    int lead = c->window + c->horizon - 1;
    if (a->index.given) {
        r->target = a->index.value;
        if (r->target >= r->t.T) {
            snprintf(err, err_len, "%s: --index %d, but the tensor has %d bins", a->data, r->target, r->t.T);
            return -1;
        }
    } else if ((r->target = cc_tensor_bin_dated(&r->t, a->data, a->time, err, err_len)) < 0) {
        return -1;
    }
    if (lead >= r->t.T) { /* no bin of this tensor has a whole window and horizon before it */
        snprintf(err, err_len, "%s: %d bins, but the model forecasts from a window of %d bins %d ahead: no target "
                 "bin has a whole input window before it", a->data, r->t.T, c->window, c->horizon);
        return -1;
    }
    if (r->target < lead) {
        char first[11];
        cc_format_iso_date(r->t.time[lead], first);
        snprintf(err, err_len, "the target bin %d has no whole input window before it: the first with one is %d (%s)",
                 r->target, lead, first);
        return -1;
    }
    r->start = r->target - lead;
    return 0;
}

/* The member of a seed ensemble shown: the last trained (its root), or, when the run was
 * stopped as a member began (its root untrained), the last finished. Said, as F is then one
 * member's and predict forecasts their mean (3.3% apart on a probe's three members, unsaid). */
static void show_one_member(inspect_run *r) {
    const cc_model_info *info = &r->info;
    r->members = cc_model_forecast_members(info);
    r->member = info->epochs_done > 0 ? info->finished + 1 : info->finished;
    if (info->epochs_done == 0 && info->finished > 0) {
        const cc_member *last = &info->member[info->finished - 1];
        memcpy(r->model.params.data, last->params, sizeof(float) * r->model.params.size); /* a host model */
        fprintf(stderr, "crimecast inspect: note: %s: member %d of %d is untrained (its run was stopped as it began): "
                "showing member %d (seed %u)%s\n", r->cli->model, info->finished + 1, info->members, info->finished,
                last->seed, r->members > 1 ? "; predict forecasts the mean of the trained members, which F here is not"
                                           : "");
    } else if (r->members > 1) {
        fprintf(stderr, "crimecast inspect: note: %s is a seed ensemble of %d trained members: shown is member %d, "
                "its last%s; predict forecasts their mean, which F here is not\n", r->cli->model, r->members,
                r->member, info->finished + 1 < info->members ? " (its training stopped partway)" : "");
    }
}

static int load(inspect_run *r, char *err, size_t err_len) {
    const cc_inspect_cli *a = r->cli;
    if (cc_checkpoint_read(a->model, 1, &r->model, &r->info, NULL, err, err_len) != 0) return -1;
    char why[768];
    if (cc_tensor_read(a->data, "counts", &r->t, err, err_len) != 0 || cc_tensor_read_recency(a->data, &r->t, 0, err, err_len) != 0)
        return -1;
    cc_tensor_index_nonzeros(&r->t); /* faster context sums when the counts are sparse; optional */
    char note[1024] = ""; /* the covariates' maps first: the check below counts them among the inputs */
    if (r->info.config.covariates &&
        cc_covariate_inputs_read(a->data, &r->info.covariates, &r->t, note, sizeof note, err, err_len) != 0)
        return -1;
    if (note[0]) fprintf(stderr, "crimecast inspect: warning: %s\n", note);
    if (cc_model_matches_tensor(&r->info, &r->t, why, sizeof why) != 0) {
        snprintf(err, err_len, "%s: %s", a->model, why);
        return -1;
    }
    if (cc_model_same_bins(&r->info, &r->t, why, sizeof why) != 0) /* a newer raster of the grid: as predict --span next */
        fprintf(stderr, "crimecast inspect: warning: %s is not the tensor %s was trained on (%s): the forecast reads "
                "the history this tensor holds before its target (its averages and context maps over fewer bins where "
                "it holds fewer), so it may differ from predict's on the training tensor\n", a->data, a->model, why);
    if (cc_model_forecast_members(&r->info) == 0) {
        snprintf(err, err_len, "%s: no trained model yet (its training was interrupted before the first epoch ended)", a->model);
        return -1;
    }
    show_one_member(r);
    r->category = a->category ? cc_tensor_channel_named(&r->t, a->data, a->category, err, err_len) : 0;
    if (r->category < 0 || pick_target(r, err, err_len) != 0) return -1;
    if (a->cell.given && (a->cell.row >= r->t.H || a->cell.col >= r->t.W)) {
        snprintf(err, err_len, "--cell %d,%d is outside the %d x %d grid", a->cell.row, a->cell.col, r->t.H, r->t.W);
        return -1;
    }
    if (a->cell.given && !r->t.mask[(size_t)a->cell.row * r->t.W + a->cell.col]) { /* its forecast is 0 by definition */
        snprintf(err, err_len, "--cell %d,%d is outside the study area (the tensor's mask has no incident there over "
                 "its span): nothing is forecast there", a->cell.row, a->cell.col);
        return -1;
    }
    if (!(r->core_mask = cc_inspect_core_mask(&r->model, r->t.mask))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* What predict refuses to write, inspect does not show: a forecast past float's range
 * (its saliency would be NaN). */
static int forecast_finite(const inspect_run *r, char *err, size_t err_len) {
    size_t n = (size_t)r->in.horizon * r->in.C * r->in.H * r->in.W;
    for (size_t q = 0; q < n; q++)
        if (!isfinite(r->in.forecast[q])) {
            snprintf(err, err_len, "%s: its forecast is %g in cell %zu of channel %zu (its rates pass float's range): "
                     "nothing written", r->cli->model, (double)r->in.forecast[q], q % ((size_t)r->in.H * r->in.W),
                     q / ((size_t)r->in.H * r->in.W) % (size_t)r->in.C);
            return -1;
        }
    return 0;
}

/* The forecast 0 outside the study area, as predict writes it (inspect.h5's /forecast held
 * the network's positive rates there; a probe). F and the terms are over the mask already. */
static void zero_outside_mask(inspect_run *r) {
    size_t plane = (size_t)r->in.H * r->in.W, n = (size_t)r->in.horizon * r->in.C * plane;
    for (size_t q = 0; q < n; q++)
        if (!r->t.mask[q % plane]) r->in.forecast[q] = 0.0f;
}

static int run(inspect_run *r, FILE *out, char *err, size_t err_len) {
    const cc_inspect_cli *a = r->cli;
    if (load(r, err, err_len) != 0) return -1;
    cc_inspect_request q = {r->start, r->category, a->cell.given ? a->cell.row * r->t.W + a->cell.col : -1,
                            {a->nudge.step, a->nudge.map, a->nudge.row * r->t.W + a->nudge.col, a->nudge.given ? a->nudge.delta : 0}};
    if (a->nudge.given && (a->nudge.row >= r->t.H || a->nudge.col >= r->t.W)) {
        snprintf(err, err_len, "--nudge: cell %d,%d is outside the %d x %d grid", a->nudge.row, a->nudge.col, r->t.H, r->t.W);
        return -1;
    }
    int steps = cc_model_input_steps(&r->model.cfg), maps = r->model.cfg.channels + r->model.cfg.context;
    if (a->nudge.given && (a->nudge.step >= steps || a->nudge.map >= maps)) { /* a DELTA of 0 passed unchecked */
        snprintf(err, err_len, "--nudge: step %d, map %d is outside the model's %d input steps x %d maps (from 0)",
                 a->nudge.step, a->nudge.map, steps, maps);
        return -1;
    }
    cc_device_request device = {.device = "cpu", .conv = "gemm", .precision = "fp32", .cudnn_layout = "nchw",
                                 .deterministic = "on", .graph = "off"};
    cc_ops_context ctx;
    if (cc_device_open(&device, &ctx, err, err_len) != 0) return -1;
    r->objective_before = NAN;
    int status = 0;
    if (a->nudge.given) { /* the same forecast without the nudge first: what it changed */
        cc_inspect_request plain = q;
        plain.nudge.delta = 0;
        cc_inspection before;
        memset(&before, 0, sizeof before);
        status = cc_inspect(&r->model, &ctx, &r->t, r->info.scale, r->info.loss, &plain, &before, err, err_len);
        r->objective_before = before.objective;
        cc_inspection_free(&before);
    }
    if (status == 0) status = cc_inspect(&r->model, &ctx, &r->t, r->info.scale, r->info.loss, &q, &r->in, err, err_len);
    cc_close_backend(&ctx);
    if (status != 0 || forecast_finite(r, err, err_len) != 0) return -1;
    zero_outside_mask(r);
    if (make_dir(a->out, err, err_len) != 0 || write_states(r, err, err_len) != 0 ||
        write_decomposition(r, err, err_len) != 0 || write_saliency(r, err, err_len) != 0 || write_h5(r, err, err_len) != 0)
        return -1;
    if (a->json) print_json(r, out);
    else print_text(r, out);
    return 0;
}

int cc_run_inspect(const cc_inspect_cli *request, FILE *out, char *err, size_t err_len) {
    inspect_run r;
    memset(&r, 0, sizeof r);
    r.cli = request;
    int status = run(&r, out, err, err_len);
    cc_inspection_free(&r.in);
    free(r.core_mask);
    cc_model_info_free(&r.info);
    cc_tensor_free(&r.t);
    cc_convlstm_free(&r.model);
    return status;
}
