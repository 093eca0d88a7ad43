/* host/run_report.h. The pictures are drawn into a temporary directory, embedded, and
 * removed with it. */
#include "host/run_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "crawler/whole_file.h"
#include "heatmaps/chart.h"
#include "heatmaps/colormap.h"
#include "heatmaps/panels.h"
#include "heatmaps/tensor_file.h"
#include "host/html_report.h"
#include "models/checkpoint.h"
#include "models/metrics.h"

static const cc_option REPORT_OPTIONS[] = {
    {CC_OPTION_TEXT("data", cc_report_request, data, "TENSOR.h5", NULL, "the tensor whose counts are the truth"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("model", cc_report_request, model, "MODEL.h5", NULL, "a model file: its training curve"),
     .file = CC_FILE_READ},
    {CC_OPTION_TEXT("versus", cc_report_request, versus, "MODEL", NULL,
                    "paired differences of every model against this one (a model name, e.g. histavg-52)")},
    {CC_OPTION_TEXT("category", cc_report_request, category, "NAME", "all", "the channel shown")},
    {CC_OPTION_FLAG("common-bins", cc_report_request, common_bins,
                    "score every forecast on the bins all of them have, as eval --common-bins (without it, "
                    "forecasts of different bins are refused)")},
    {CC_OPTION_INT("block", cc_report_request, block, "BINS", "1", 1, 1000,
                   "the intervals' bootstrap resamples blocks of this many consecutive bins, as eval --block")},
    {CC_OPTION_TEXT("title", cc_report_request, title, "TEXT", "crimecast forecasts", "the report's title")},
    {CC_OPTION_TEXT("out", cc_report_request, out, "REPORT.html", NULL, "the HTML file written"),
     .required = 1, .file = CC_FILE_WRITTEN},
};

static const cc_option REPORT_OPERANDS = {
    CC_OPTION_LIST("", cc_report_request, forecasts, forecast_count, CC_EVAL_MAX_FORECASTS, "FORECAST.h5...",
                   "the forecasts compared"),
    .required = 1, .file = CC_FILE_READ};

static const cc_option_group REPORT_GROUPS[] = {{"options", CC_OPTION_ROWS(REPORT_OPTIONS), 0}};

const cc_command_spec CC_REPORT_SPEC = {
    .name = "report",
    .synopsis = "--data TENSOR.h5 FORECAST.h5... [--model MODEL.h5] [--versus MODEL] [--category NAME] [--common-bins]\n"
                "       [--block BINS] [--title TEXT] --out REPORT.html",
    .description =
        "Scores the forecasts against the tensor as `crimecast eval` does and writes one\n"
        "self-contained HTML file (pictures embedded, nothing fetched from a network): the\n"
        "comparison table with 95% intervals, paired differences (--versus), the ROC curves,\n"
        "the training curve (--model), maps of the truth and of each forecast (the first five\n"
        "with the category) for the last bin they share and the hotspot cells each flags there\n"
        "with 5% of the area. Opens in any browser.\n",
    .request_size = sizeof(cc_report_request),
    .groups = REPORT_GROUPS,
    .group_count = 1,
    .operands = &REPORT_OPERANDS,
};

int cc_training_chart_png(const char *model_path, const char *png_path, char *err, size_t err_len) {
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    memset(&model, 0, sizeof model), memset(&info, 0, sizeof info), memset(&state, 0, sizeof state);
    if (cc_checkpoint_read(model_path, 1, &model, &info, &state, err, err_len) != 0) return -1;
    int n = state.epochs_done;
    double epoch[CC_MAX_EPOCHS];
    for (int i = 0; i < n; i++) epoch[i] = i + 1;
    cc_series series[2] = {{"training loss", epoch, state.train_loss, n}, {"validation loss", epoch, state.val_loss, n}};
    char title[256], member[48] = "", file[64];
    const char *arch = cc_model_arch_name(&info.config), *base = strrchr(model_path, '/');
    if (info.members > 1) /* the file's training state is its last member's */
        snprintf(member, sizeof member, "; member %d of %d, seed %u", info.finished + 1, info.members,
                 info.options.seed);
    /* its file and covariates: three runs alike but for them had one title (a probe) */
    cc_printable_utf8(base ? base + 1 : model_path, file, sizeof file, 40);
    snprintf(title, sizeof title, "%s training, %s (%s loss%s; best epoch %d%s)",
             !strcmp(arch, "st-resnet") ? "ST-ResNet" : !strcmp(arch, "convlstm-ae") ? "ConvLSTM-AE" : "ConvLSTM", file,
             cc_loss_name(info.loss), !info.config.covariates ? "" : info.static_covariates ? "; static covariates"
                                                                                        : "; covariates",
             state.best_epoch, member);
    cc_line_chart chart = {.title = title, .x_label = "epoch", .y_label = "mean loss per cell"};
    int status = cc_line_chart_png(png_path, &chart, series, 2, err, err_len);
    cc_convlstm_free(&model);
    cc_model_info_free(&info);
    cc_train_state_free(&state);
    return status;
}

/* 0 when the model was trained on the truth's grid (city, CRS, cells) and channels: its
 * curve belongs in this report; else -1 with err. */
static int model_of_this_grid(const char *model_path, const char *data, const cc_tensor *truth, char *err,
                              size_t err_len) {
    cc_convlstm model;
    cc_model_info info;
    memset(&model, 0, sizeof model), memset(&info, 0, sizeof info);
    if (cc_checkpoint_read(model_path, 1, &model, &info, NULL, err, err_len) != 0) return -1;
    char what[600] = "";
    const char *city = info.grid.city;
    int differs = cc_tensor_grid_difference(&info.grid, truth, what, sizeof what); /* the model's, not the truth's */
    if (differs)
        snprintf(err, err_len, "%s: a model of another grid than %s (%s): its training curve is not this report's",
                 model_path, data, what);
    else if ((differs = city[0] && truth->city[0] && strcmp(city, truth->city) != 0))
        snprintf(err, err_len, "%s: a model of city '%s', not of %s's '%s': its training curve is not this report's",
                 model_path, city, data, truth->city);
    else if ((differs = cc_model_same_channels(&info, truth, what, sizeof what) != 0)) /* a probe: it was drawn */
        snprintf(err, err_len, "%s: a model of other channels than %s (%s): its training curve is not this report's",
                 model_path, data, what);
    cc_convlstm_free(&model);
    cc_model_info_free(&info);
    return differs ? -1 : 0;
}

enum { MAX_MAPS = 6 };

/* One map's hotspot flags in [0, 1] over the mask: the cells of eval's hit@5% budget, cells
 * tied at the cut sharing its remaining places (cc_top_share), as eval's figures share
 * them; no cell of a truth map without crime, which has no hotspot. */
static void flag_top_share(const float *map, const uint8_t *mask, int plane, int is_truth, float *flags, float *v,
                           int *cell, int *order, double *share) {
    int n = 0;
    double total = 0;
    for (int q = 0; q < plane; q++)
        if (mask[q]) cell[n] = q, v[n] = map[q], total += map[q], n++;
    if (n == 0 || (is_truth && !(total > 0))) return;
    cc_rank_cells(v, NULL, n, order);
    cc_top_share(v, order, n, cc_flagged_for_percent(5, n), share);
    for (int i = 0; i < n; i++) flags[cell[i]] = (float)share[i];
}

/* hotspots.png: for the truth and each forecast, the cells flagged with 5% of the study
 * area (eval's hit@5% budget), a tie at the cut drawn as each cell's share of its places. */
static int draw_hotspots(const char *png, const cc_panel *maps, int count, const cc_tensor *truth, const char *date,
                         const char *category, char *err, size_t err_len) {
    int plane = truth->H * truth->W, status = -1;
    float *flags = calloc((size_t)plane * count, sizeof *flags), *v = malloc(sizeof *v * (size_t)plane);
    int *order = malloc(sizeof *order * (size_t)plane), *cell = malloc(sizeof *cell * (size_t)plane);
    double *share = malloc(sizeof *share * (size_t)plane);
    cc_panel panels[MAX_MAPS];
    char titles[MAX_MAPS][80];
    int ready = flags && v && order && cell && share;
    for (int p = 0; ready && p < count; p++) {
        flag_top_share(maps[p].values, truth->mask, plane, p == 0, flags + (size_t)p * plane, v, cell, order, share);
        snprintf(titles[p], sizeof titles[p], "%s: top 5%%", p ? maps[p].title : "truth");
        panels[p] = (cc_panel){titles[p], flags + (size_t)p * plane};
    }
    if (ready) {
        char caption[256];
        snprintf(caption, sizeof caption, "%s of %s, category %s: the cells each map flags with 5%% of the area "
                 "(a tie at the cut: each cell's share)", cc_bin_kind_name(truth->bin), date, category);
        cc_png_style style = {cc_colormap_find("viridis"), CC_SCALE_LINEAR, 1.0, 6};
        status = cc_panels_png(png, panels, count, truth->mask, truth->H, truth->W, &style, caption, err, err_len);
    } else snprintf(err, err_len, "out of memory");
    free(flags), free(v), free(order), free(cell), free(share);
    return status;
}

/* Appends `name` to the list in `list` ("a.h5, b.h5", "..." where cut). */
static void list_file(char *list, size_t len, size_t *used, const char *name) {
    if (*used < len) *used += (size_t)snprintf(list + *used, len - *used, "%s%s", *used ? ", " : "", name);
    if (*used >= len && len > 4) memcpy(list + len - 4, "...", 4); /* cut: say so */
}

/* The forecasts with channel `category`: the first MAX_MAPS - 1 of them in shown[]
 * (*kept), the files of the rest named in `beyond` (their maps are not drawn); the files
 * of those without it named in left_out, counted in *lacking. */
static void forecasts_with(const cc_report_request *a, const cc_eval_inputs *in, int *shown, int *kept, char *beyond,
                           char *left_out, size_t len, int *lacking) {
    size_t used = 0, over = 0;
    *kept = *lacking = 0;
    left_out[0] = beyond[0] = 0;
    for (int i = 0; i < in->count; i++) {
        int has = cc_tensor_channel(&in->forecasts[i], a->category) >= 0;
        if (has && *kept < MAX_MAPS - 1) shown[(*kept)++] = i;
        else if (has) list_file(beyond, len, &over, a->forecasts[i]);
        if (has) continue;
        list_file(left_out, len, &used, a->forecasts[i]);
        ++*lacking;
    }
}

/* maps.png: the truth and up to five forecasts of the category on the last bin every one
 * of them has, one colour scale (square root, up to the largest value shown); a forecast
 * without the category has no map (the caption names it), nor one past the fifth (the
 * caption, and `undrawn` for the hotspots' figure, name those). Drawn from what eval read. */
static int draw_maps(const cc_report_request *a, const cc_eval_inputs *in, const char *png, const char *hotspots_png,
                     char *caption, size_t caption_len, char undrawn[300], char *left_out, size_t left_out_len,
                     int *lacking, char *err, size_t err_len) {
    const cc_tensor *truth = &in->truth;
    int shown[MAX_MAPS - 1], n = 0;
    int c = cc_tensor_channel_named(truth, a->data, a->category, err, err_len);
    if (c < 0) return -1;
    char beyond[512];
    forecasts_with(a, in, shown, &n, beyond, left_out, left_out_len < sizeof beyond ? left_out_len : sizeof beyond,
                   lacking);
    const cc_tensor *first = n > 0 ? &in->forecasts[shown[0]] : NULL;
    int64_t day = INT64_MIN; /* the last bin in the truth and every forecast */
    for (int b = first ? first->T - 1 : -1; b >= 0 && day == INT64_MIN; b--) {
        int everywhere = cc_tensor_bin(truth, first->time[b]) >= 0;
        for (int m = 1; m < n; m++) everywhere &= cc_tensor_bin(&in->forecasts[shown[m]], first->time[b]) >= 0;
        if (everywhere) day = first->time[b];
    }
    if (n == 0) {
        snprintf(err, err_len, "no forecast has category '%s'", a->category);
        return -1;
    }
    if (day == INT64_MIN) {
        snprintf(err, err_len, "the forecasts share no bin with each other and the tensor");
        return -1;
    }
    cc_panel panels[MAX_MAPS];
    size_t plane = (size_t)truth->H * truth->W;
    double vmax = 1;
    panels[0] = (cc_panel){"truth", truth->values + cc_tensor_offset(truth, cc_tensor_bin(truth, day), c, 0, 0)};
    for (int m = 0; m < n; m++) {
        const cc_tensor *f = &in->forecasts[shown[m]];
        size_t at = cc_tensor_offset(f, cc_tensor_bin(f, day), cc_tensor_channel(f, a->category), 0, 0);
        panels[m + 1] = (cc_panel){in->labels[shown[m]], f->values + at};
    }
    for (int p = 0; p <= n; p++)
        for (size_t k = 0; k < plane; k++)
            if (truth->mask[k]) vmax = fmax(vmax, panels[p].values[k]);
    char date[11], absent[300] = "";
    undrawn[0] = 0;
    cc_format_iso_date(day, date);
    if (*lacking)
        snprintf(absent, sizeof absent, "; no map of %.200s, which has no category '%s'", left_out, a->category);
    if (beyond[0])
        snprintf(undrawn, 300, "; the first %d forecasts with the category drawn, not %.200s (name a file "
                 "earlier to see it)",
                 MAX_MAPS - 1, beyond);
    snprintf(caption, caption_len, "%s, %s of %s, category %s: the recorded counts and each forecast's expected "
             "counts, one colour scale (square root, 0 to %.1f incidents per cell)%s%s", truth->city,
             cc_bin_kind_name(truth->bin), date, a->category, vmax, absent, undrawn);
    cc_png_style style = {cc_colormap_find("inferno"), CC_SCALE_SQRT, vmax, 6};
    if (cc_panels_png(png, panels, n + 1, truth->mask, truth->H, truth->W, &style, caption, err, err_len) != 0)
        return -1;
    return draw_hotspots(hotspots_png, panels, n + 1, truth, date, a->category, err, err_len);
}

typedef struct pictures {
    char dir[64], roc[128], training[128], maps[128], hotspots[128];
} pictures;

static void remove_pictures(pictures *p) {
    unlink(p->roc), unlink(p->training), unlink(p->maps), unlink(p->hotspots);
    rmdir(p->dir);
}

/* The page: the table, the pictures drawn, the training chart of --model. */
static int write_page(const cc_report_request *a, const pictures *p, const cc_metrics_table *table,
                      const char *maps_caption, const char *undrawn, int lacking, const char *left_out,
                      const char *notes, const char *const *labels, int listed, FILE *out, char *err,
                      size_t err_len) {
    if (a->model && cc_training_chart_png(a->model, p->training, err, err_len) != 0) return -1;
    cc_html_figure figures[4];
    int count = 0, roc = access(p->roc, F_OK) == 0;
    if (roc)
        figures[count++] = (cc_html_figure){"Hotspots", p->roc,
                                            "ROC curves of the top-10% hotspot cells, averaged over the bins"};
    char hotspots_caption[600];
    snprintf(hotspots_caption, sizeof hotspots_caption, "the cells each map flags with 5%% of the study area (the "
             "hit@5%% budget), on the last bin every forecast has; a tie at the cut drawn as each cell's share of its "
             "places%s", undrawn);
    figures[count++] = (cc_html_figure){roc ? NULL : "Hotspots", p->hotspots, hotspots_caption};
    figures[count++] = (cc_html_figure){"Maps", p->maps, maps_caption};
    if (a->model) figures[count++] = (cc_html_figure){"Training", p->training, "training and validation loss per epoch"};
    char intro[1700], absent[700] = "", blocks[96] = "";
    if (a->block > 1)
        snprintf(blocks, sizeof blocks, " and make %d blocks or more of %d bins", CC_BOOTSTRAP_LEAST_BLOCKS, a->block);
    if (lacking)
        snprintf(absent, sizeof absent, " %d of them (%.500s) %s no category '%s': %s in no row of its table "
                 "and %s no map.", lacking, left_out, lacking == 1 ? "has" : "have", a->category,
                 lacking == 1 ? "it is" : "they are", lacking == 1 ? "has" : "have");
    if (!roc)
        snprintf(absent + strlen(absent), sizeof absent - strlen(absent), " No ROC curve: no bin of category '%s' "
                 "has both hotspot and other cells (no crime in any).", a->category);
    snprintf(intro, sizeof intro, "%d forecast(s) scored against the counts of %s, as crimecast eval scores them "
             "(the mean over the bins %s, with bootstrap intervals where %d bins or more define a figure%s).%s", a->forecast_count, a->data,
             a->common_bins ? "every forecast covers (--common-bins)" : "they forecast, the same for each",
             CC_BOOTSTRAP_LEAST_VALUES, blocks, absent);
    cc_html_report report = {a->title, intro,  table, a->category, a->versus, figures, count, a->block, notes, labels,
                             a->forecasts, listed};
    if (cc_html_report_write(a->out, &report, err, err_len) != 0) return -1;
    fprintf(out, "%s: %d forecast(s), category '%s', %d picture(s) embedded\n", a->out, a->forecast_count, a->category,
            count);
    return 0;
}

static int write_report(const cc_report_request *a, pictures *p, cc_metrics_table *table, FILE *out, char *err,
                 size_t err_len) {
    cc_eval_request e;
    cc_eval_request_defaults(&e);
    e.data = a->data, e.csv = 1, e.roc = p->roc, e.roc_category = a->category, e.versus = a->versus;
    e.roc_if_any = 1, e.command = "crimecast report"; /* a category without crime in the bins has no ROC curve, and the rest of the report stands */
    e.common_bins = a->common_bins, e.block = a->block, e.table_category = a->category; /* the page's rows */
    /* the page's one area budget (its columns are @5%): eval's notes on 1% and 10% were put
     * on a page without those columns (a probe) */
    e.topk.count = 1, e.topk.percent[0] = 5.0;
    e.forecast_count = a->forecast_count;
    for (int i = 0; i < a->forecast_count; i++) e.forecasts[i] = a->forecasts[i];
    char notes[16384] = "";
    e.notes = notes, e.notes_cap = sizeof notes; /* onto the page as well */
    FILE *sink = fopen("/dev/null", "w");
    cc_eval_inputs read;
    int scored = sink && cc_run_eval_keeping(&e, sink, table, &read, err, err_len) == 0;
    if (sink) fclose(sink);
    if (!scored) return -1;
    if (a->model && model_of_this_grid(a->model, a->data, &read.truth, err, err_len) != 0) {
        cc_eval_inputs_free(&read);
        return -1;
    }
    char maps_caption[1024], left_out[512], undrawn[300];
    int lacking = 0;
    int drawn = draw_maps(a, &read, p->maps, p->hotspots, maps_caption, sizeof maps_caption, undrawn, left_out,
                          sizeof left_out, &lacking, err, err_len);
    /* the rows' names outlive what eval read: the page lists each one's file */
    char(*labels)[CC_EVAL_LABEL] = drawn == 0 ? malloc(sizeof *labels * (size_t)read.count) : NULL;
    const char **label_of = labels ? malloc(sizeof *label_of * (size_t)read.count) : NULL;
    for (int i = 0; label_of && i < read.count; i++) {
        memcpy(labels[i], read.labels[i], sizeof labels[i]);
        label_of[i] = labels[i];
    }
    int listed = label_of ? read.count : 0;
    cc_eval_inputs_free(&read);
    if (drawn == 0 && !label_of) snprintf(err, err_len, "out of memory");
    int status = drawn == 0 && label_of ? write_page(a, p, table, maps_caption, undrawn, lacking, left_out, notes,
                                                     label_of, listed, out, err, err_len)
                                        : -1;
    free(label_of), free(labels);
    return status;
}


int cc_run_report(const cc_report_request *a, FILE *out, char *err, size_t err_len) {
    if (cc_whole_file_check(a->out, err, err_len) != 0) return -1; /* before every score is computed */
    pictures p;
    snprintf(p.dir, sizeof p.dir, "/tmp/crimecast-report-XXXXXX");
    if (!mkdtemp(p.dir)) {
        snprintf(err, err_len, "cannot make a temporary directory for the pictures");
        return -1;
    }
    snprintf(p.roc, sizeof p.roc, "%s/roc.png", p.dir);
    snprintf(p.training, sizeof p.training, "%s/training.png", p.dir);
    snprintf(p.maps, sizeof p.maps, "%s/maps.png", p.dir);
    snprintf(p.hotspots, sizeof p.hotspots, "%s/hotspots.png", p.dir);
    cc_metrics_table *table = malloc(sizeof *table);
    int status = table ? write_report(a, &p, table, out, err, err_len) : -1;
    if (!table) snprintf(err, err_len, "out of memory");
    free(table);
    remove_pictures(&p);
    return status;
}
