/* host/run_eval.h */
#include "host/run_eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "crawler/whole_file.h"
#include "heatmaps/chart.h"
#include "heatmaps/tensor_file.h"
#include "host/short_bins.h"

/* The int count beside a list's values in the request (the CUSTOM row's field is the values). */
#define COUNT_BESIDE(field, list, values) \
    ((int *)((char *)(field) + offsetof(cc_eval_request, list.count) - offsetof(cc_eval_request, list.values)))

/* --topk 1,5,10: area percentages in (0, 100], each once (the % may be given, as export takes it). */
static int parse_topk(const char *text, void *field, char *why, size_t why_len) {
    static const cc_number_list_rule rule = {.option = "topk", .takes = "area percentages in (0, 100], e.g. 1,5,10",
                                             .min = 0, .open_min = 1, .max = 100, .unit = "%", .shown_unit = "%",
                                             .most = CC_MAX_TOPK, .distinct = 1};
    return cc_parse_number_list(text, &rule, field, COUNT_BESIDE(field, topk, percent), why, why_len);
}

/* --area 0.5km2,1km2: fixed areas in square kilometres (the unit may be left out), each once. */
static int parse_area(const char *text, void *field, char *why, size_t why_len) {
    static const cc_number_list_rule rule = {
        .option = "area", .takes = "areas in square kilometres below 10^6, e.g. 0.5km2,1km2,2km2", .min = 0,
        .open_min = 1, .max = 1e6, .open_max = 1, .unit = "km2", .shown_unit = " km2", .most = CC_MAX_TOPK,
        .distinct = 1};
    return cc_parse_number_list(text, &rule, field, COUNT_BESIDE(field, area, km2), why, why_len);
}

static const cc_option EVAL_OPTIONS[] = {
    {CC_OPTION_TEXT("data", cc_eval_request, data, "TENSOR.h5", NULL, "the tensor whose counts are the truth"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_FLAG("json", cc_eval_request, json, "records as JSON instead of the table")},
    {CC_OPTION_FLAG("csv", cc_eval_request, csv, "records as CSV instead of the table")},
    {CC_OPTION_CUSTOM("topk", cc_eval_request, topk.percent, "LIST", "1,5,10", parse_topk,
                      "the areas flagged for hit rate, PAI and PEI, in % of the study area's (mask's) cells")},
    {CC_OPTION_CUSTOM("area", cc_eval_request, area.km2, "LIST", NULL, parse_area,
                      "fixed areas flagged for hit rate, PAI and PEI, in square kilometres (e.g. 0.5km2,1km2): "
                      "the nearest whole number of cells, at least one")},
    {CC_OPTION_CHOICE("hotspot", cc_eval_request, hotspot, "top10|occurrence", "top10",
                      "the hotspot label of AUC, AP and F1: the top 10% of cells by true count (cells tied at the "
                      "cut share its places), or every cell with a crime")},
    {CC_OPTION_TEXT("roc", cc_eval_request, roc, "ROC.png", NULL, "draw the hotspot ROC curve of every model"),
     .file = CC_FILE_WRITTEN},
    {CC_OPTION_TEXT("roc-category", cc_eval_request, roc_category, "NAME", NULL,
                    "the category of the ROC curves (if not given: the first, 'all')")},
    {CC_OPTION_TEXT("versus", cc_eval_request, versus, "MODEL", NULL,
                    "paired differences of every model's figures (MSE, deviance, ..., PAI at each area) minus "
                    "MODEL's, bin by bin")},
    {CC_OPTION_FLAG("common-bins", cc_eval_request, common_bins,
                    "score every forecast on the bins all of them forecast (without it, forecasts of different bins "
                    "are refused)")},
    {CC_OPTION_FLAG("join", cc_eval_request, join,
                    "the files are one model's forecasts of different bins (a season of predict --span next, one "
                    "file a week): scored as one forecast, their bins joined (a bin in two files is refused)")},
    {CC_OPTION_INT("block", cc_eval_request, block, "BINS", "1", 1, 1000,
                   "the intervals' bootstrap resamples blocks of this many consecutive bins (circular block "
                   "bootstrap), which keeps the correlation of neighbouring bins; 1: single bins; no interval "
                   "where the bins hold fewer than 5 blocks (nor, with any --block, fewer than 10 bins)")},
};

static const cc_option EVAL_OPERANDS = {
    CC_OPTION_LIST("", cc_eval_request, forecasts, forecast_count, CC_EVAL_MAX_FORECASTS, "FORECAST.h5...",
                   "the forecast files to score"),
    .required = 1, .file = CC_FILE_READ};

static int check_request(void *request, char *why, size_t why_len) {
    const cc_eval_request *j = request;
    if (j->join && (j->common_bins || j->versus)) {
        snprintf(why, why_len, "--join makes the files one forecast: no --common-bins or --versus beside it");
        return -1;
    }
    const cc_eval_request *r = request;
    if (r->topk.count + r->area.count > CC_MAX_TOPK) {
        snprintf(why, why_len, "--topk and --area take at most %d areas together", CC_MAX_TOPK);
        return -1;
    }
    if (r->roc_category && !r->roc) { /* it chooses the chart's category: alone it would do nothing */
        snprintf(why, why_len, "--roc-category needs --roc FILE.png");
        return -1;
    }
    if (!(r->json && r->csv)) return 0;
    snprintf(why, why_len, "give --json or --csv, not both");
    return -1;
}

static const cc_option_group EVAL_GROUPS[] = {{"options", CC_OPTION_ROWS(EVAL_OPTIONS), 0}};

const cc_command_spec CC_EVAL_SPEC = {
    .name = "eval",
    .synopsis = "--data TENSOR.h5 FORECAST.h5... [--json|--csv] [--topk 1,5,10] [--area 1km2] "
                "[--hotspot top10|occurrence]\n"
                "       [--roc ROC.png] [--roc-category NAME] [--versus MODEL] [--common-bins | --join] [--block BINS]",
    .description =
        "Scores each forecast against the tensor's counts on the forecast's bins (matched by\n"
        "/time), inside the mask, per model and category: MSE, MAE, mean Poisson deviance\n"
        "(forecasts floored at 1e-9: a 0 where crimes happened costs about 41 a crime; a note\n"
        "names the forecasts whose deviance is a tenth or more such zeros);\n"
        "ROC AUC, average precision and F1 of the hotspots (--hotspot top10: the top 10% of\n"
        "cells by true count, cells tied at the cut sharing its places; occurrence: every cell\n"
        "with a crime); no figure depends on the order of tied cells;\n"
        "hit rate, PAI and PEI with the top K% of the area flagged (--topk) or a fixed area\n"
        "(--area: the nearest whole number of cells to it, at least one; PEI is then NIJ's\n"
        "PEI*, the share of the most crimes that area could have held). Each figure is the mean\n"
        "over bins with a bootstrap 95% interval over bins (1000 resamples of the bins one by\n"
        "one, seeded, percentile; none from fewer than 10 bins, where it would cover far less\n"
        "than 95%; weekly errors are correlated from week to week, which single-bin resampling\n"
        "leaves out, so the intervals are somewhat narrow: --block B resamples blocks of B\n"
        "consecutive bins instead, e.g. --block 4 for weeks). A table on stdout (best per column\n"
        "marked *), or --json / --csv records with keys model, category, mse, mae, deviance,\n"
        "auc, ap, f1, hit@K, pai@K, pei@K (hit@1km2, ... for areas) and *_lo / *_hi for the\n"
        "intervals.\n"
        "Rows are named by each forecast's model; forecasts that share a model are told apart\n"
        "by file name, 'histavg-52 (a.h5)', or by their place where those are alike too,\n"
        "'histavg-52 #2'.\n"
        "--roc draws the hotspot ROC curve of every model for one category, vertically averaged\n"
        "over the bins, with each model's mean AUC.\n"
        "--versus MODEL (a row's name, e.g. rf-100 or 'histavg-52 (a.h5)'): the paired\n"
        "difference of every model's figures minus MODEL's (the errors, AUC, AP, F1, and hit\n"
        "rate, PAI and PEI at each area), bin by bin over the bins both forecast, with a\n"
        "bootstrap 95% interval of its mean (the same resampled bins for both models, so a\n"
        "shared hard week does not widen it; a bin where a figure is undefined, a hit rate on a\n"
        "map without crimes, is left out of that figure's). The table says 'ahead' or 'behind'\n"
        "when the interval excludes 0 (lower is better for mse, mae and deviance, higher for the\n"
        "rest), 'tie' otherwise, and gives no verdict without an interval. --json and --csv gain\n"
        "each figure's key with _vs (mse_vs, pai@1km2_vs, ...) and their _lo / _hi.\n",
    .request_size = sizeof(cc_eval_request),
    .groups = EVAL_GROUPS,
    .group_count = 1,
    .operands = &EVAL_OPERANDS,
    .check = check_request,
};

void cc_eval_request_defaults(cc_eval_request *r) { cc_options_defaults(&CC_EVAL_SPEC, r); }

/* Whose notes these are: "crimecast eval", or the command that scores through eval. */
static const char *who(const cc_eval_request *a) { return a->command ? a->command : "crimecast eval"; }

/* Says a note on stderr ("crimecast eval: note: ...") and keeps it in the request's notes
 * when it has them: a report read later without its terminal still says it. */
static void say_note(const cc_eval_request *a, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void say_note(const cc_eval_request *a, const char *format, ...) {
    char note[10000]; /* two paths and words */
    va_list args;
    va_start(args, format);
    vsnprintf(note, sizeof note, format, args);
    va_end(args);
    fprintf(stderr, "%s: note: %s\n", who(a), note);
    static const char MORE[] = "(more notes on stderr)\n";
    if (!a->notes || a->notes_cap <= sizeof MORE) return;
    size_t used = strnlen(a->notes, a->notes_cap), room = a->notes_cap - sizeof MORE; /* MORE always fits */
    if (used + strlen(note) + 2 <= room) snprintf(a->notes + used, a->notes_cap - used, "%s\n", note);
    else if (!strstr(a->notes, MORE)) snprintf(a->notes + used, a->notes_cap - used, "%s", MORE);
}

enum { FIXED = 6, MAX_FIGURES = FIXED + 3 * CC_MAX_TOPK, FIGURE_NAME = 48, LABEL = CC_EVAL_LABEL };

typedef struct row {
    char model[LABEL], category[64]; /* model: the forecast's label (name_forecasts) */
    int figures;
    double mean[MAX_FIGURES], lo[MAX_FIGURES], hi[MAX_FIGURES];
    const cc_tensor *forecast; /* whose bins per_bin holds */
    double *per_bin;           /* [forecast->T][figures] */
    double vs[MAX_FIGURES], vs_lo[MAX_FIGURES], vs_hi[MAX_FIGURES]; /* --versus: paired differences, NaN without */
    int vs_bins;               /* --versus: the bins shared with MODEL's forecast */
    long crime_cells, zero_under_crime; /* in-mask cell-bins with crimes; of them forecast <= 1e-9 */
    double deviance_sum, floored_deviance; /* the deviance's sum over those cells; the zeros' part */
    double forecast_sum, truth_sum;       /* over the in-mask cells of every bin scored */
} row;

/* The area measures: the --topk percentages, then the --area areas. */
static int measure_count(const cc_eval_request *a) { return a->topk.count + a->area.count; }

static void figure_names(const cc_eval_request *a, char names[][FIGURE_NAME]) {
    const char *fixed[FIXED] = {"mse", "mae", "deviance", "auc", "ap", "f1"};
    for (int i = 0; i < FIXED; i++) snprintf(names[i], FIGURE_NAME, "%s", fixed[i]);
    const char *area[3] = {"hit", "pai", "pei"};
    int m = measure_count(a);
    for (int k = 0; k < 3; k++) {
        for (int t = 0; t < a->topk.count; t++) snprintf(names[FIXED + k * m + t], FIGURE_NAME, "%s@%g", area[k], a->topk.percent[t]);
        for (int t = 0; t < a->area.count; t++)
            snprintf(names[FIXED + k * m + a->topk.count + t], FIGURE_NAME, "%s@%gkm2", area[k], a->area.km2[t]);
    }
}

/* Cells flagged by each measure on maps of n cells of the tensor's size. */
static void flagged_cells(const cc_eval_request *a, const cc_tensor *truth, int n, int *flagged) {
    for (int t = 0; t < a->topk.count; t++) flagged[t] = cc_flagged_for_percent(a->topk.percent[t], n);
    for (int t = 0; t < a->area.count; t++) flagged[a->topk.count + t] = cc_flagged_for_area(a->area.km2[t], truth->cell, n);
}

/* An --area the grid cannot come near (a fraction of a cell, or a cell and a half) is
 * scored as the whole cells it rounds to, under its own column name: say so, with the
 * area that was flagged, rather than let 1 km2 stand for 14 km2 unnoticed. */
static void note_areas_far_from_cells(const cc_eval_request *a, const cc_tensor *truth) {
    int n = (int)cc_tensor_mask_cells(truth);
    double cell_km2 = truth->cell * truth->cell / 1e6;
    for (int t = 0; n > 0 && t < a->area.count; t++) {
        int cells = cc_flagged_for_area(a->area.km2[t], truth->cell, n);
        double flagged = cells * cell_km2;
        if (cells == n && a->area.km2[t] > flagged)
            say_note(a, "--area %g km2 is more than the whole study area (%d cells, %.3g km2): every "
                    "cell is flagged, so hit rate, PAI and PEI there are 1", a->area.km2[t], n, flagged);
        else if (fabs(flagged - a->area.km2[t]) > 0.25 * a->area.km2[t])
            say_note(a, "--area %g km2 flags %d cell%s of %.3g km2 on this grid, %.3g km2 in "
                    "all (the columns keep the name @%gkm2)", a->area.km2[t], cells, cells == 1 ? "" : "s",
                    cell_km2, flagged, a->area.km2[t]);
    }
    for (int t = 0; n > 0 && t < a->topk.count; t++) { /* a share of few cells rounds far from itself */
        int cells = cc_flagged_for_percent(a->topk.percent[t], n);
        double share = 100.0 * cells / n;
        if (fabs(share - a->topk.percent[t]) > 0.25 * a->topk.percent[t])
            say_note(a, "--topk %g%% flags %d of the study area's %d cells, %.3g%% of it (the columns "
                    "keep the name @%g)", a->topk.percent[t], cells, n, share, a->topk.percent[t]);
    }
}

static cc_hotspot_label hotspot_label(const cc_eval_request *a) {
    return a->hotspot && !strcmp(a->hotspot, "occurrence") ? CC_HOTSPOT_OCCURRENCE : CC_HOTSPOT_TOP10;
}

/* The top-10% label of a study area under 5 cells is no cell (10% of 4 rounds to 0): AUC,
 * AP and F1 are then nan in every bin, which the table alone does not explain. */
static void note_label_without_cells(const cc_eval_request *a, const cc_tensor *truth) {
    long n = (long)cc_tensor_mask_cells(truth);
    if (hotspot_label(a) != CC_HOTSPOT_TOP10 || n == 0 || lround(0.10 * (double)n) > 0) return;
    say_note(a, "the top-10%% hotspot label flags no cell of a study area of %ld (10%% rounds to 0): AUC, AP and F1 "
             "are nan; --hotspot occurrence labels the cells with a crime", n);
}

static int lower_is_better(int figure) { return figure < 3; }

/* The tensor bin holding forecast bin b, or -1 with err. */
static int truth_bin(const cc_tensor *truth, const cc_tensor *f, int b, char *err, size_t err_len) {
    int tb = cc_tensor_bin(truth, f->time[b]);
    if (tb >= 0) return tb;
    char date[11];
    cc_format_iso_date(f->time[b], date);
    char last[11];
    cc_format_iso_date(truth->time[truth->T - 1], last);
    char first[11];
    cc_format_iso_date(truth->time[0], first);
    if (f->time[b] < truth->time[0]) {
        snprintf(err, err_len, "forecast bin %d (%s) is before the tensor's first bin, %s: score it on a raster "
                 "that holds the bins it forecasts", b, date, first);
        return -1;
    }
    snprintf(err, err_len, "forecast bin %d (%s) is not a bin of the tensor%s", b, date,
             f->time[b] > truth->time[truth->T - 1] ? "" : " (its bins start on other days)");
    if (f->time[b] > truth->time[truth->T - 1]) /* a forecast of what came next (--span next): not yet happened here */
        snprintf(err + strlen(err), err_len - strlen(err), ", whose last bin is %s: score it on a raster that holds "
                 "the %s it forecasts", last, cc_bin_kind_name(truth->bin));
    return -1;
}

/* In-mask cells of channel c_truth of truth bin tb and channel c_f of forecast bin b. */
static int gather_cells(const cc_tensor *truth, const cc_tensor *f, int tb, int c_truth, int b, int c_f, float *y,
                        float *p) {
    size_t plane = (size_t)truth->H * truth->W;
    int n = 0;
    for (size_t k = 0; k < plane; k++)
        if (truth->mask[k]) {
            y[n] = truth->values[cc_tensor_offset(truth, tb, c_truth, 0, 0) + k];
            p[n++] = f->values[cc_tensor_offset(f, b, c_f, 0, 0) + k];
        }
    return n;
}

/* Scores channel c of forecast f; -1 with err when bins do not align, or out of memory. */
/* The Poisson deviance floors forecasts at 1e-9 (models/metrics.h): a forecast of 0 where
 * crimes happened costs about 41 a crime, and a few such cells can outweigh the rest.
 * Counted here so that eval can say so (note_floored_deviance). */
static void count_floored(const float *y, const float *p, int n, row *r) {
    for (int q = 0; q < n; q++) {
        double d = cc_poisson_deviance_term(y[q], p[q]);
        r->deviance_sum += d;
        if (!(y[q] > 0)) continue;
        r->crime_cells++;
        if (p[q] <= CC_DEVIANCE_FLOOR) r->zero_under_crime++, r->floored_deviance += d;
    }
}

/* The same note of each category of forecast rows[i] whose own deviance is a tenth or more
 * its zeros under crimes, where all its categories' together are not: vehicle thefts'
 * deviance was 22% its zeros, unsaid, the five channels' 6% (a probe); report shows one. */
static void note_floored_channels(const cc_eval_request *a, const row *rows, int i, int count) {
    for (int j = i; j < count; j++) {
        const row *r = &rows[j];
        if (r->forecast != rows[i].forecast || r->zero_under_crime == 0 || !(r->floored_deviance >= 0.1 * r->deviance_sum))
            continue;
        say_note(a,
                "%s forecasts 0 in %ld of the %ld cell-bins where crimes of category '%s' happened (%.1f%%); the "
                "deviance floors a forecast at 1e-9 (about 41 a crime), and those cells make %.0f%% of its deviance "
                "there: compare it there only with forecasts that have no such zeros (MSE, MAE and the rankings are "
                "not affected)",
                r->model, r->zero_under_crime, r->crime_cells, r->category, 100.0 * r->zero_under_crime / r->crime_cells,
                100.0 * r->floored_deviance / r->deviance_sum);
    }
}

/* Says which forecasts' deviance is mostly their zeros under crimes (a tenth or more of
 * it over all categories): persistence's, or any forecast of sparse counts. */
static void note_floored_deviance(const cc_eval_request *a, const row *rows, int count) {
    for (int i = 0; i < count; i++) {
        int first = 1;
        for (int j = 0; j < i && first; j++) first = rows[j].forecast != rows[i].forecast;
        if (!first) continue;
        long crimes = 0, zeros = 0;
        int channels = 0;
        double total = 0, floored = 0;
        for (int j = i; j < count; j++) {
            if (rows[j].forecast != rows[i].forecast) continue;
            crimes += rows[j].crime_cells, zeros += rows[j].zero_under_crime, channels++;
            total += rows[j].deviance_sum, floored += rows[j].floored_deviance;
        }
        if (zeros == 0) continue;
        if (!(floored >= 0.1 * total)) { /* pooled under a tenth, a category's may not be (a probe) */
            note_floored_channels(a, rows, i, count);
            continue;
        }
        char over[48] = ""; /* report shows one channel: the figures are not that channel's alone */
        if (channels > 1) snprintf(over, sizeof over, ", its %d channels together", channels);
        say_note(a,
                "%s forecasts 0 in %ld of the %ld cell-bins where crimes happened (%.1f%%%s); "
                "the deviance floors a forecast at 1e-9 (about 41 a crime), and those cells make %.0f%% of its "
                "deviance: compare it only with forecasts that have no such zeros (MSE, MAE and the rankings are not "
                "affected)",
                rows[i].model, zeros, crimes, 100.0 * zeros / crimes, over, 100.0 * floored / total);
    }
}

int cc_eval_total_off(double forecast, double truth) {
    double gap = fabs(truth - forecast);
    return gap >= 0.1 * fmax(forecast, truth) && gap > 5.0 * sqrt(fmax(forecast, 1.0));
}

/* Each forecast whose level is off in some channel, in one note: a convlstm-ae trained two
 * epochs forecast 141 burglaries a week where 248 happened (-43%), unsaid, while its
 * per-cell deviance ranked second (a probe). The rankings do not see a level. */
static void note_totals_off(const cc_eval_request *a, const row *rows, int count) {
    for (int i = 0; i < count; i++) {
        int first = 1;
        for (int j = 0; j < i && first; j++) first = rows[j].forecast != rows[i].forecast;
        if (!first) continue;
        char listed[1024] = "";
        size_t used = 0;
        int off = 0, channels = 0, bins = rows[i].forecast->T;
        for (int j = i; j < count; j++) {
            const row *r = &rows[j];
            if (r->forecast != rows[i].forecast) continue;
            channels++;
            if (!cc_eval_total_off(r->forecast_sum, r->truth_sum)) continue;
            char share[32] = "none happened"; /* +inf% of none (a reviewer) */
            if (r->truth_sum > 0)
                snprintf(share, sizeof share, "%.4g happened (%+.0f%%)", r->truth_sum / bins,
                         100.0 * (r->forecast_sum / r->truth_sum - 1.0));
            if (off++ < 4 && used < sizeof listed)
                used += (size_t)snprintf(listed + used, sizeof listed - used, "%s'%s' %.4g a bin where %s",
                                         off > 1 ? ", " : "", r->category, r->forecast_sum / bins, share);
        }
        if (off == 0) continue;
        char of[48] = "";
        if (channels > 1) snprintf(of, sizeof of, " in %d of its %d channels", off, channels);
        say_note(a, "%s's total is off the truth's by a tenth or more, past chance,%s over the %d bins scored: %s%s; "
                 "its level is wrong there (a trend it does not follow, too few epochs, covariates missing at "
                 "the origins, or a truth missing records in some bins?): its deviance and MSE pay for it, its "
                 "rankings (AUC, AP, hit rate, PAI) do not",
                 rows[i].model, of, bins, listed, off > 4 ? ", ..." : "");
    }
}

/* Truth bins scored that hold far fewer incidents than usual (host/short_bins.h): a week
 * of which the source held three days was the last test week, scored and drawn as the
 * report's map, unsaid but by raster (a probe). Over the first forecast's bins (all of
 * them share its bins by now). */
static void note_short_truth_bins(const cc_eval_request *a, const cc_tensor *truth, const cc_tensor *f) {
    int first = cc_tensor_bin(truth, f->time[0]), last = cc_tensor_bin(truth, f->time[f->T - 1]);
    cc_short_bins low;
    if (first < 0 || last < first || cc_find_short_bins(truth, first, last, &low) == 0) return;
    const char *bin = cc_bin_kind_name(truth->bin);
    say_note(a, "%s: %d of the %d %s bins scored %s far fewer incidents than the %ss before %s: %s; records "
             "missing there (a raster past the store's end, a source holding part of the bin), or a real fall (a "
             "holiday, a lockdown)? If missing, every forecast is scored against a short truth there, where a "
             "forecast too low looks best (a raster to the last whole %s leaves them out)", a->data, low.count,
             last - first + 1, bin, low.count == 1 ? "holds" : "hold", bin, low.count == 1 ? "it" : "them", low.listed,
             bin);
}

/* A category channel of the truth with no incident in some bins scored where it holds
 * many in the others (its median over them above 13.8: none by chance is one in a million)
 * while channel 0 holds incidents: a source that records the category in some bins only
 * (San Francisco's Kaggle test weeks are all 'unknown', so 'unknown' is empty in the
 * others; London's City force only in 2021). Its figures mix the two kinds of bin, and a
 * forecast that learnt when the category goes missing scored far better than any forecast
 * of crime can (rf-50's MSE 0.0007 on the empty weeks; a probe). */
static void note_gapped_categories(const cc_eval_request *a, const cc_tensor *truth, const cc_tensor *f) {
    int first = cc_tensor_bin(truth, f->time[0]), last = cc_tensor_bin(truth, f->time[f->T - 1]);
    if (first < 0 || last < first || truth->C < 2) return;
    int n = last - first + 1;
    double *totals = malloc(sizeof *totals * (size_t)n);
    for (int c = 1; totals && c < truth->C; c++) {
        int kept = 0, empty = 0;
        char listed[200] = "";
        size_t used = 0;
        for (int b = first; b <= last; b++) {
            double total = cc_tensor_plane_total(truth, b, c);
            if (total > 0) totals[kept++] = total;
            else if (cc_tensor_plane_total(truth, b, 0) > 0 && empty++ < 3 && used < sizeof listed) {
                char day[11];
                cc_format_iso_date(truth->time[b], day);
                used += (size_t)snprintf(listed + used, sizeof listed - used, "%s%s", empty > 1 ? ", " : "", day);
            }
        }
        if (empty == 0 || kept == 0) continue;
        double usual = cc_median_of(totals, kept);
        if (!(usual > 13.8)) continue;
        const char *bin = cc_bin_kind_name(truth->bin);
        say_note(a, "%s: '%s' holds no incident in %d of the %d %s bins scored (%s%s) where '%s' holds some, and a "
                 "median of %.0f a %s in the others: a source that records it in some %ss and not in others (San "
                 "Francisco's Kaggle weeks alternate, a force joins part way)? Its figures mix the two kinds of %s, "
                 "and a forecast that learnt when it goes missing scores better there than any forecast of crime can",
                 a->data, truth->categories[c], empty, n, bin, listed, empty > 3 ? ", ..." : "", truth->categories[0],
                 usual, bin, bin, bin);
    }
    free(totals);
}

static int score(const cc_eval_request *a, const cc_tensor *truth, const cc_tensor *f, int c_truth, int c_f, row *r,
                 char *err, size_t err_len) {
    int topk_count = measure_count(a), flagged[CC_MAX_TOPK];
    int cells = (int)cc_tensor_mask_cells(truth);
    size_t room = (size_t)(cells > 0 ? cells : 1);
    float *y = malloc(sizeof(float) * room), *p = malloc(sizeof(float) * room);
    int *scratch = malloc(sizeof(int) * 3 * room);
    r->figures = FIXED + 3 * topk_count;
    double *per_bin = malloc(sizeof(double) * (size_t)(f->T > 0 ? f->T : 1) * r->figures);
    double *column = malloc(sizeof(double) * (size_t)(f->T > 0 ? f->T : 1));
    r->forecast = f, r->per_bin = per_bin; /* freed with the rows */
    int status = y && p && scratch && per_bin && column ? 0 : -1;
    if (status) snprintf(err, err_len, "out of memory scoring %d cells over %d bins", cells, f->T);
    for (int b = 0; b < f->T && status == 0; b++) {
        int tb = truth_bin(truth, f, b, err, err_len);
        if (tb < 0) {
            status = -1;
            break;
        }
        int n = gather_cells(truth, f, tb, c_truth, b, c_f, y, p);
        count_floored(y, p, n, r);
        for (int q = 0; q < n; q++) r->forecast_sum += p[q], r->truth_sum += y[q];
        cc_map_metrics m;
        flagged_cells(a, truth, n, flagged);
        if (cc_map_metrics_flagged(y, p, n, hotspot_label(a), flagged, topk_count, scratch, &m) != 0) {
            snprintf(err, err_len, "out of memory scoring %d cells", n);
            status = -1;
            break;
        }
        double *v = per_bin + (size_t)b * r->figures;
        double fixed[FIXED] = {m.mse, m.mae, m.deviance, m.auc, m.ap, m.f1};
        memcpy(v, fixed, sizeof fixed);
        for (int t = 0; t < topk_count; t++) {
            v[FIXED + t] = m.hit[t];
            v[FIXED + topk_count + t] = m.pai[t];
            v[FIXED + 2 * topk_count + t] = m.pei[t];
        }
    }
    for (int i = 0; status == 0 && i < r->figures; i++) {
        for (int b = 0; b < f->T; b++) column[b] = per_bin[(size_t)b * r->figures + i];
        if (cc_bootstrap_mean_blocks(column, f->T, a->block, 1000, 1, &r->mean[i], &r->lo[i], &r->hi[i]) != 0) {
            snprintf(err, err_len, "out of memory bootstrapping %d bins", f->T);
            status = -1;
        }
    }
    free(y), free(p), free(scratch), free(column);
    return status;
}

/* r's paired differences against v (same category): each figure minus v's on every bin
 * both forecast, bootstrapped over those bins (a bin where the figure is undefined for
 * either, a hit rate on a map without crimes, is left out of that figure's). NaN when
 * they share no bin, or the figure is undefined on every shared bin. */
static int paired_difference(row *r, const row *v, int block) {
    const cc_tensor *a = r->forecast, *b = v->forecast;
    size_t stride = (size_t)(a->T > 0 ? a->T : 1);
    double *diff = malloc(sizeof(double) * (size_t)r->figures * stride); /* [figures][shared bins] */
    if (!diff) return -1;
    int n = 0;
    for (int ta = 0; ta < a->T; ta++) {
        int tb = cc_tensor_bin(b, a->time[ta]);
        if (tb < 0) continue;
        for (int i = 0; i < r->figures; i++)
            diff[i * stride + n] = r->per_bin[(size_t)ta * r->figures + i] - v->per_bin[(size_t)tb * v->figures + i];
        n++;
    }
    r->vs_bins = n;
    int status = 0;
    for (int i = 0; i < r->figures && status == 0; i++) {
        status = cc_bootstrap_mean_blocks(diff + i * stride, n, block, 1000, 1, &r->vs[i], &r->vs_lo[i], &r->vs_hi[i]);
        /* the figures' own size: a difference a billionth of it is rounding (the table, CSV,
         * JSON and verdict then agree; a probe's -7.4e-17 read "behind") */
        cc_paired_snap(&r->vs[i], &r->vs_lo[i], &r->vs_hi[i], fmax(fabs(r->mean[i]), fabs(v->mean[i])));
    }
    free(diff);
    return status;
}

/* --versus: fills every row's paired differences against the row labelled `versus` in
 * its category (a label check_versus_named found). Returns -1 with err when there is
 * nothing to pair: `versus` alone in every category, or in none. */
static int paired_differences(row *rows, int count, const char *versus, int block, char *err, size_t err_len) {
    int found = 0, others = 0;
    for (int r = 0; r < count; r++) {
        const row *v = NULL;
        for (int o = 0; o < count && !v; o++)
            if (!strcmp(rows[o].model, versus) && !strcmp(rows[o].category, rows[r].category)) v = &rows[o];
        others += v && v != &rows[r];
        for (int i = 0; i < MAX_FIGURES; i++) rows[r].vs[i] = rows[r].vs_lo[i] = rows[r].vs_hi[i] = NAN;
        rows[r].vs_bins = -1; /* until paired: `versus` forecasts no channel of this category */
        if (v && paired_difference(&rows[r], v, block) != 0) {
            snprintf(err, err_len, "out of memory pairing %s with %s", rows[r].model, versus);
            return -1;
        }
        found |= v != NULL;
    }
    if (found && others) return 0;
    if (found) { /* a table of differences of nothing (report printed it empty; a probe) */
        snprintf(err, err_len, "--versus '%s' is the only model of every category scored: there is nothing to compare it "
                 "with (give the other forecasts too)", versus);
        return -1;
    }
    snprintf(err, err_len, "--versus '%s' forecasts no category of the tensor: there is nothing to compare with it",
             versus);
    return -1;
}

/* Figures with a mean but no interval: defined on fewer than CC_BOOTSTRAP_LEAST_VALUES
 * bins (cc_bootstrap_mean), all of them when so few bins are scored, the hotspot figures
 * of a category with crime in few bins otherwise. Said once. */
static void note_missing_intervals(const cc_eval_request *a, const row *rows, int count) {
    int missing = 0, bins = 0; /* the fewest bins a row missing one scored (forecasts may cover other bins) */
    for (int r = 0; r < count; r++)
        for (int i = 0; i < rows[r].figures; i++)
            if (isfinite(rows[r].mean[i]) && !isfinite(rows[r].lo[i])) {
                missing++;
                if (!bins || rows[r].forecast->T < bins) bins = rows[r].forecast->T;
            }
    if (!missing) return;
    if (bins < CC_BOOTSTRAP_LEAST_VALUES) /* first: no --block helps */
        say_note(a, "%d bin(s) scored: a bootstrap interval needs at least %d, so the figures have "
                "none%s", bins, CC_BOOTSTRAP_LEAST_VALUES, a->versus ? " and the paired differences no verdict" : "");
    else if (a->block > 1 && bins < CC_BOOTSTRAP_LEAST_BLOCKS * a->block)
        say_note(a, "--block %d leaves fewer than %d blocks in the %d bins scored, so %d figure(s) have "
                "no interval%s: --block %d at most here", a->block, CC_BOOTSTRAP_LEAST_BLOCKS, bins, missing,
                a->versus ? " (nor a paired verdict)" : "", bins / CC_BOOTSTRAP_LEAST_BLOCKS);
    else
        say_note(a, "%d figure(s) of the %d rows (every model and channel scored) are defined on fewer than %d of "
                "the %d bins (the hotspot figures - AUC, AP, F1, hit rate, PAI, PEI - need a crime in the bin): they "
                "have no interval%s", missing, count, CC_BOOTSTRAP_LEAST_VALUES, bins,
                a->versus ? ", nor a paired verdict" : "");
}

/* Rows whose hotspot figures are undefined on every bin scored (NaN in the table, null in
 * JSON) because no bin of theirs holds a crime of the channel - a gap in the records, or a
 * category too rare for the span. A probe's scores were nan with no word of why. Said once,
 * naming the first such row. */
static void note_undefined_figures(const cc_eval_request *a, const row *rows, int count) {
    int undefined = 0, first = -1;
    for (int r = 0; r < count; r++)
        if (rows[r].crime_cells == 0) undefined++, first = first < 0 ? r : first;
    if (!undefined) return;
    say_note(a, "%d row(s) have no hotspot figures (AUC, AP, F1, hit rate, PAI, PEI: nan): none of the bins scored "
            "holds a crime of the channel (the first: %s, channel '%s', %d bin(s)); a gap in the records, or a "
            "category too rare for the span?", undefined, rows[first].model, rows[first].category,
            rows[first].forecast->T);
}

/* 'ahead', 'behind' or 'tie' for a paired difference of figure i (lower is better for the
 * errors, higher for the rest). */
static const char *verdict(int i, double lo, double hi) { return cc_paired_verdict(lo, hi, lower_is_better(i)); }

enum { ROC_POINTS = 101 };

/* The hotspot ROC curve of channel c_f of forecast f, vertically averaged over its bins
 * (bins without both classes left out): tpr[ROC_POINTS]. Returns the bins averaged, or
 * -1 with err. */
static int mean_roc(const cc_tensor *truth, const cc_tensor *f, int c_truth, int c_f, cc_hotspot_label label,
                    double *tpr, char *err, size_t err_len) {
    size_t plane = (size_t)truth->H * truth->W;
    float *y = malloc(sizeof(float) * plane), *p = malloc(sizeof(float) * plane);
    int *scratch = malloc(sizeof(int) * plane);
    double *positive = malloc(sizeof(double) * plane);
    double one[ROC_POINTS];
    int used = 0;
    for (int i = 0; i < ROC_POINTS; i++) tpr[i] = 0;
    for (int b = 0; b < f->T && used >= 0; b++) {
        int tb = truth_bin(truth, f, b, err, err_len);
        if (tb < 0) {
            used = -1;
            break;
        }
        int n = gather_cells(truth, f, tb, c_truth, b, c_f, y, p);
        cc_hotspot_weights(y, n, label, scratch, positive);
        if (cc_roc_curve_sampled(positive, p, n, scratch, ROC_POINTS, one) != 0) continue;
        for (int i = 0; i < ROC_POINTS; i++) tpr[i] += one[i];
        used++;
    }
    for (int i = 0; used > 0 && i < ROC_POINTS; i++) tpr[i] /= used;
    free(y), free(p), free(scratch), free(positive);
    return used;
}

/* --roc: one curve per forecast for truth channel c, labelled with the model and the
 * mean AUC of the table. Returns 0, -1 with err, or 1 with err (nothing written) when no
 * bin of the channel has both hotspot and other cells: the truth has no curve to give. */
static int write_roc(const cc_eval_request *a, const cc_tensor *truth, int c, cc_hotspot_label label,
                     const cc_tensor *forecasts, char (*model_names)[LABEL], const row *rows, int count, char *err,
                     size_t err_len) {
    const char *path = a->roc, *data = a->data, *const *files = a->forecasts;
    int n_files = a->forecast_count, lacking = 0;
    char without[600] = "";
    double fpr[ROC_POINTS], *tpr = calloc((size_t)n_files * ROC_POINTS, sizeof(double));
    char(*labels)[96] = calloc((size_t)n_files, sizeof *labels);
    cc_series *series = calloc((size_t)n_files, sizeof *series);
    int status = tpr && labels && series ? 0 : -1, drawn = 0;
    for (int i = 0; i < ROC_POINTS; i++) fpr[i] = (double)i / (ROC_POINTS - 1);
    for (int i = 0; i < n_files && status == 0; i++) {
        const cc_tensor *f = &forecasts[i];
        int cf = cc_tensor_channel(f, truth->categories[c]);
        double *curve = tpr + (size_t)drawn * ROC_POINTS;
        if (cf >= 0 && mean_roc(truth, f, c, cf, label, curve, err, err_len) > 0) {
            const char *model = model_names[i];
            double auc = NAN;
            for (int r = 0; r < count; r++)
                if (!strcmp(rows[r].model, model) && !strcmp(rows[r].category, truth->categories[c])) auc = rows[r].mean[3];
            snprintf(labels[drawn], sizeof labels[drawn], "%s (AUC %.3f)", model, auc);
            series[drawn] = (cc_series){labels[drawn], fpr, curve, ROC_POINTS};
            drawn++;
        } else if (cf >= 0 && err[0]) {
            status = -1; /* mean_roc filled err */
        } else if (cf >= 0) { /* the classes come from the truth alone: every forecast would say the same */
            snprintf(err, err_len, "%s: no bin of category '%s' among those %s forecasts has both hotspot and other "
                     "cells (%s): no ROC curve to draw", data, truth->categories[c], files[i],
                     cc_tensor_mask_cells(truth) == 1 ? "a study area of one cell has no other" : "no crime in any?");
            status = 1;
        } else if (lacking++ < 3) {
            size_t used = strlen(without);
            snprintf(without + used, sizeof without - used, "%s%.180s", used ? ", " : "", files[i]);
        }
    }
    if (status == 0 && drawn > 0 && lacking) /* a curve left out without a word looked like a model not given */
        say_note(a, "the ROC chart has no curve of %s%s, which %s no category '%s'", without,
                 lacking > 3 ? ", ..." : "", lacking > 1 ? "have" : "has", truth->categories[c]);
    char title[128];
    snprintf(title, sizeof title, "Hotspot ROC (%s), category %s",
             label == CC_HOTSPOT_OCCURRENCE ? "cells with a crime" : "top 10% of cells", truth->categories[c]);
    cc_line_chart chart = {.title = title, .x_label = "false positive rate", .y_label = "true positive rate",
                           .x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1, .chance_line = 1};
    if (status == 0 && drawn == 0) {
        snprintf(err, err_len, "no forecast has category '%s': no ROC curve to draw of it", truth->categories[c]);
        status = -1;
    }
    if (status == 0) status = cc_line_chart_png(path, &chart, series, drawn, err, err_len);
    free(tpr), free(labels), free(series);
    return status;
}

/* The model column's width: the longest label, at least 16. */
/* A model's name as the text table shows it: a file's control characters (an escape
 * sequence, a line break) as \xNN, not sent to the terminal (--json and --csv keep the
 * name whole, escaped as their formats say). */
typedef struct shown_name {
    char text[4 * LABEL + 8];
} shown_name;

static shown_name shown_model(const char *model) {
    shown_name s;
    cc_printable_utf8(model, s.text, sizeof s.text, LABEL);
    return s;
}

static int model_column(const row *rows, int count) {
    int width = 16;
    for (int r = 0; r < count; r++) {
        int n = (int)strlen(shown_model(rows[r].model).text);
        if (n > width) width = n;
    }
    return width;
}

static void print_paired(FILE *out, const row *rows, int start, int end, const char *versus, char names[][FIGURE_NAME],
                         int figures, int width) {
    fprintf(out, "minus %s, paired over shared bins (ahead: better, lower for mse, mae, deviance, higher for the rest)\n%-*s",
            versus, width, "model");
    for (int i = 0; i < figures; i++) fprintf(out, " %30s", names[i]);
    fprintf(out, "\n");
    for (int r = start; r < end; r++) {
        if (!strcmp(rows[r].model, versus)) continue;
        fprintf(out, "%-*s", width, shown_model(rows[r].model).text);
        for (int i = 0; i < figures; i++) {
            char cell[64];
            if (isfinite(rows[r].vs[i]) && isfinite(rows[r].vs_lo[i]))
                snprintf(cell, sizeof cell, "%+.4g [%+.3g,%+.3g] %s", rows[r].vs[i], rows[r].vs_lo[i], rows[r].vs_hi[i],
                         verdict(i, rows[r].vs_lo[i], rows[r].vs_hi[i]));
            else if (isfinite(rows[r].vs[i])) /* too few bins or blocks for an interval (the note says which) */
                snprintf(cell, sizeof cell, "%+.4g (no interval)", rows[r].vs[i]);
            else
                snprintf(cell, sizeof cell, rows[r].vs_bins > 0    ? "undefined"
                                            : rows[r].vs_bins == 0 ? "no shared bins"
                                                                   : "no such category there");
            fprintf(out, " %30s", cell);
        }
        fprintf(out, "\n");
    }
}

static void print_table(FILE *out, const row *rows, int count, char names[][FIGURE_NAME], int figures, const char *versus) {
    int width = model_column(rows, count);
    for (int start = 0; start < count;) {
        int end = start;
        while (end < count && !strcmp(rows[end].category, rows[start].category)) end++;
        fprintf(out, "category %s\n%-*s", rows[start].category, width, "model");
        for (int i = 0; i < figures; i++) fprintf(out, " %17s", names[i]);
        fprintf(out, "\n");
        for (int r = start; r < end; r++) {
            fprintf(out, "%-*s", width, shown_model(rows[r].model).text);
            for (int i = 0; i < figures; i++) {
                int best = isfinite(rows[r].mean[i]); /* an undefined figure is nobody's best */
                for (int o = start; o < end; o++)
                    if (isfinite(rows[o].mean[i]) &&
                        (lower_is_better(i) ? rows[o].mean[i] < rows[r].mean[i] : rows[o].mean[i] > rows[r].mean[i]))
                        best = 0;
                char cell[64];
                if (isfinite(rows[r].lo[i]))
                    snprintf(cell, sizeof cell, "%.4g [%.3g,%.3g]%s", rows[r].mean[i], rows[r].lo[i], rows[r].hi[i],
                             best && end - start > 1 ? "*" : "");
                else /* too few bins for an interval (cc_bootstrap_mean) */
                    snprintf(cell, sizeof cell, "%.4g%s", rows[r].mean[i], best && end - start > 1 ? "*" : "");
                fprintf(out, " %17s", cell);
            }
            fprintf(out, "\n");
        }
        if (versus) print_paired(out, rows, start, end, versus, names, figures, width);
        fprintf(out, "\n");
        start = end;
    }
}

static void print_json_figure(FILE *out, const char *name, const char *suffix, double v) {
    if (isfinite(v))
        fprintf(out, ", \"%s%s\": %.10g", name, suffix, v);
    else
        fprintf(out, ", \"%s%s\": null", name, suffix);
}

static void print_json(FILE *out, const row *rows, int count, char names[][FIGURE_NAME], int figures, int versus) {
    fprintf(out, "[\n");
    for (int r = 0; r < count; r++) {
        fprintf(out, "  {\"model\": ");
        cc_print_json_string(out, rows[r].model);
        fprintf(out, ", \"category\": ");
        cc_print_json_string(out, rows[r].category);
        for (int i = 0; i < figures; i++) {
            print_json_figure(out, names[i], "", rows[r].mean[i]);
            print_json_figure(out, names[i], "_lo", rows[r].lo[i]);
            print_json_figure(out, names[i], "_hi", rows[r].hi[i]);
        }
        for (int i = 0; i < figures && versus; i++) {
            print_json_figure(out, names[i], "_vs", rows[r].vs[i]);
            print_json_figure(out, names[i], "_vs_lo", rows[r].vs_lo[i]);
            print_json_figure(out, names[i], "_vs_hi", rows[r].vs_hi[i]);
        }
        fprintf(out, "}%s\n", r + 1 < count ? "," : "");
    }
    fprintf(out, "]\n");
}

static void print_csv(FILE *out, const row *rows, int count, char names[][FIGURE_NAME], int figures, int versus) {
    fprintf(out, "model,category");
    for (int i = 0; i < figures; i++) fprintf(out, ",%s,%s_lo,%s_hi", names[i], names[i], names[i]);
    for (int i = 0; i < figures && versus; i++) fprintf(out, ",%s_vs,%s_vs_lo,%s_vs_hi", names[i], names[i], names[i]);
    fprintf(out, "\n");
    for (int r = 0; r < count; r++) {
        cc_print_csv_field(out, rows[r].model);
        fputc(',', out);
        cc_print_csv_field(out, rows[r].category);
        for (int i = 0; i < figures; i++) fprintf(out, ",%.10g,%.10g,%.10g", rows[r].mean[i], rows[r].lo[i], rows[r].hi[i]);
        for (int i = 0; i < figures && versus; i++) fprintf(out, ",%.10g,%.10g,%.10g", rows[r].vs[i], rows[r].vs_lo[i], rows[r].vs_hi[i]);
        fprintf(out, "\n");
    }
}

/* How forecast f's grid differs from the truth's ("" when it does not): its grid
 * (cc_tensor_grid_difference), or its city when both name one. */
static void grid_difference(const cc_tensor *f, const cc_tensor *truth, char *what, size_t len) {
    if (!cc_tensor_grid_difference(f, truth, what, len) && f->city[0] && truth->city[0] &&
        strcmp(f->city, truth->city) != 0)
        snprintf(what, len, "city '%s', not '%s'", f->city, truth->city);
}

/* What a forecast on the truth's grid may still differ in, said on stderr since it changes
 * what is scored: its study area (mask: the cells with an incident over the span its
 * tensor was rastered from) is not the truth's, which every score is over; categories the
 * truth has not are in no row. */
static void note_differences(const cc_eval_request *a, const char *file, const cc_tensor *f, const cc_tensor *truth) {
    size_t plane = (size_t)truth->H * truth->W, differ = 0;
    for (size_t q = 0; f->mask && q < plane; q++) differ += (f->mask[q] != 0) != (truth->mask[q] != 0);
    if (differ)
        say_note(a, "%s's study area (mask) differs from the tensor's in %zu of %zu cells "
                "(rastered over another span?); it is scored on the tensor's", file, differ, plane);
    char absent[512] = "";
    size_t used = 0;
    for (int c = 0; c < f->C && used < sizeof absent; c++)
        if (cc_tensor_channel(truth, f->categories[c]) < 0)
            used += (size_t)snprintf(absent + used, sizeof absent - used, "%s'%s'", used ? ", " : "", f->categories[c]);
    if (absent[0])
        say_note(a, "%s forecasts %s, which the tensor has not: not scored", file, absent);
}

/* Reads every forecast file once, each on the truth's grid. Returns 0, or -1 with err
 * (the forecasts read so far are freed). */
static int read_forecasts(const cc_eval_request *a, const char *const *files, int n, const cc_tensor *truth, const char *data,
                          cc_tensor *out, char *err, size_t err_len) {
    int first_horizon = n > 0 ? cc_forecast_horizon(files[0]) : 0;
    for (int i = 0; i < n; i++) {
        cc_tensor *f = &out[i];
        int ok = cc_tensor_read(files[i], "forecast", f, err, err_len) == 0;
        char what[300] = "";
        if (ok) grid_difference(f, truth, what, sizeof what);
        if (what[0]) {
            snprintf(err, err_len, "%s: another grid, bin kind or city than %s (%s)", files[i], data, what);
            cc_tensor_free(f);
            ok = 0;
        }
        if (ok) note_differences(a, files[i], f, truth);
        for (int j = 0; ok && !a->join && j < i; j++) /* two rows of one forecast (--join refuses it) */
            if ((f->file_identity[0] | f->file_identity[1]) != 0 &&
                !memcmp(f->file_identity, out[j].file_identity, sizeof f->file_identity)) {
                say_note(a, "%s and %s are one file: its rows are one forecast scored twice", files[j], files[i]);
                break;
            }
        int horizon = ok && i > 0 ? cc_forecast_horizon(files[i]) : first_horizon;
        if (horizon != first_horizon && horizon > 0 && first_horizon > 0) /* 0: a file without a usable horizon */
            say_note(a, "%s forecasts %d bin(s) ahead, %s %d: a longer horizon is a harder forecast, "
                    "and the rows do not say which is which", files[i], horizon, files[0], first_horizon);
        if (!ok) {
            while (i-- > 0) cc_tensor_free(&out[i]);
            return -1;
        }
    }
    return 0;
}

/* Whether forecast f has a bin starting on `day`. */
static int has_bin(const cc_tensor *f, int64_t day) { return cc_tensor_bin(f, day) >= 0; }

static int same_bins(const cc_tensor *a, const cc_tensor *b) {
    if (a->T != b->T) return 0;
    for (int i = 0; i < a->T; i++)
        if (a->time[i] != b->time[i]) return 0;
    return 1;
}

/* Keeps the bins of f that start on one of days[0..n), in order. */
static void keep_bins(cc_tensor *f, const int64_t *days, int n) {
    size_t map = (size_t)f->C * f->H * f->W;
    int kept = 0;
    cc_tensor_drop_index(f); /* values change below: an index (none today) would go stale */
    for (int b = 0; b < f->T; b++) {
        int listed = 0;
        for (int i = 0; i < n && !listed; i++) listed = f->time[b] == days[i];
        if (!listed) continue;
        memmove(f->values + (size_t)kept * map, f->values + (size_t)b * map, sizeof(float) * map);
        f->time[kept++] = f->time[b];
    }
    f->T = kept;
}

/* The bin of forecasts[0..n) starting on `day` other than (i, b), as "file" index; -1 none. */
static int other_file_with_bin(const cc_tensor *forecasts, int n, int i, int b) {
    for (int k = 0; k < n; k++)
        for (int q = 0; q < forecasts[k].T; q++)
            if ((k != i || q != b) && forecasts[k].time[q] == forecasts[i].time[b]) return k;
    return -1;
}

/* --join: forecasts[0] becomes every file's bins in time order (the others freed), of the
 * first file's channels. A season of weekly --span next files was refused as "different
 * bins (1 and 1)" and could not be scored together (a probe). 0, or -1 with err. */
static int join_forecasts(const cc_eval_request *a, cc_tensor *forecasts, int n, char *err, size_t err_len) {
    cc_tensor *first = &forecasts[0];
    int total = 0;
    for (int i = 0; i < n; i++) {
        const cc_tensor *f = &forecasts[i];
        int same = f->C == first->C;
        for (int c = 0; same && c < f->C; c++) same = !strcmp(f->categories[c], first->categories[c]);
        if (!same) {
            snprintf(err, err_len, "--join: %s forecasts other channels than %s", a->forecasts[i], a->forecasts[0]);
            return -1;
        }
        if (strcmp(f->model, first->model) != 0)
            say_note(a, "--join: %s is of model '%s', %s of '%s': scored as one forecast", a->forecasts[i], f->model,
                     a->forecasts[0], first->model);
        int horizon = cc_forecast_horizon(a->forecasts[i]), first_horizon = cc_forecast_horizon(a->forecasts[0]);
        if (horizon != first_horizon) { /* one row would mix leads (a reviewer) */
            snprintf(err, err_len, "--join: %s forecasts %d bin(s) ahead, %s %d: join forecasts of one horizon",
                     a->forecasts[i], horizon, a->forecasts[0], first_horizon);
            return -1;
        }
        for (int b = 0; b < f->T; b++) {
            int k = other_file_with_bin(forecasts, n, i, b);
            if (k >= 0) {
                char day[11];
                cc_format_iso_date(f->time[b], day);
                snprintf(err, err_len, "--join: the bin of %s is in %s and in %s: give each bin once", day,
                         a->forecasts[i], a->forecasts[k]);
                return -1;
            }
        }
        total += f->T;
    }
    size_t map = (size_t)first->C * first->H * first->W;
    float *values = malloc(sizeof(float) * map * (size_t)total);
    int64_t *time = malloc(sizeof(int64_t) * (size_t)total);
    if (!values || !time) {
        free(values), free(time);
        snprintf(err, err_len, "out of memory joining %d bins", total);
        return -1;
    }
    for (int k = 0; k < total; k++) { /* the earliest bin not yet taken, from whichever file holds it */
        int from = -1, bin = -1;
        for (int i = 0; i < n; i++)
            for (int b = 0; b < forecasts[i].T; b++)
                if ((k == 0 || forecasts[i].time[b] > time[k - 1]) &&
                    (from < 0 || forecasts[i].time[b] < forecasts[from].time[bin]))
                    from = i, bin = b;
        time[k] = forecasts[from].time[bin];
        memcpy(values + (size_t)k * map, forecasts[from].values + (size_t)bin * map, sizeof(float) * map);
    }
    cc_tensor_drop_index(first);
    free(first->values), free(first->time);
    first->values = values, first->time = time, first->T = total;
    for (int i = 1; i < n; i++) cc_tensor_free(&forecasts[i]);
    char from[11], to[11];
    cc_format_iso_date(time[0], from), cc_format_iso_date(time[total - 1], to);
    say_note(a, "--join: the %d files are one forecast of %d %s bins, %s .. %s, scored as %s's", n, total,
             cc_bin_kind_name(first->bin), from, to, a->forecasts[0]);
    return 0;
}

/* The request the rest of eval works on: with --join, a copy of one forecast file (the
 * first's name and model label the joined forecast's), said with its bins. */
static const cc_eval_request *one_request(const cc_eval_request *a, cc_eval_request *joined, int *files) {
    if (!a->join) return a;
    *joined = *a;
    joined->forecast_count = *files = 1;
    return joined;
}

/* Every forecast must cover the same bins, unless --common-bins: then each is cut to
 * the bins all of them share. 0, or -1 with err naming two files that differ. */
static int align_bins(const cc_eval_request *a, cc_tensor *forecasts, char *err, size_t err_len) {
    int n = a->forecast_count, differ = -1;
    for (int i = 1; i < n && differ < 0; i++)
        if (!same_bins(&forecasts[0], &forecasts[i])) differ = i;
    if (differ < 0) return 0;
    if (!a->common_bins) {
        int shared = 0;
        for (int b = 0; b < forecasts[0].T; b++) shared += has_bin(&forecasts[differ], forecasts[0].time[b]);
        if (shared > 0)
            snprintf(err, err_len, "%s and %s forecast different bins (%d and %d, %d of them shared); give "
                     "--common-bins to score every forecast on the bins all of them have", a->forecasts[0],
                     a->forecasts[differ], forecasts[0].T, forecasts[differ].T, shared);
        else /* --common-bins would leave nothing to score */
            snprintf(err, err_len, "%s and %s forecast different bins (%d and %d) and share none: forecast one span "
                     "with both (the same --span, --test-from, --window and --horizon)", a->forecasts[0],
                     a->forecasts[differ], forecasts[0].T, forecasts[differ].T);
        return -1;
    }
    int64_t *common = malloc(sizeof(int64_t) * (size_t)(forecasts[0].T > 0 ? forecasts[0].T : 1));
    int shared = 0;
    for (int b = 0; common && b < forecasts[0].T; b++) {
        int everywhere = 1;
        for (int i = 1; i < n && everywhere; i++) everywhere = has_bin(&forecasts[i], forecasts[0].time[b]);
        if (everywhere) common[shared++] = forecasts[0].time[b];
    }
    int listed = common != NULL;
    char span[2][2][11]; /* the first two that differ, as read: for the message when none is shared */
    const cc_tensor *pair[2] = {&forecasts[0], &forecasts[differ]};
    for (int k = 0; k < 2; k++)
        cc_format_iso_date(pair[k]->time[0], span[k][0]), cc_format_iso_date(pair[k]->time[pair[k]->T - 1], span[k][1]);
    for (int i = 0; listed && i < n; i++) keep_bins(&forecasts[i], common, shared);
    if (listed && shared > 0) { /* fewer bins than some forecast has: the figures are over these alone */
        char first[11], last[11];
        cc_format_iso_date(common[0], first), cc_format_iso_date(common[shared - 1], last);
        say_note(a, "--common-bins: every forecast is scored on the %d bin(s) all of them "
                "have, %s to %s", shared, first, last);
    }
    free(common);
    if (shared > 0) return 0;
    if (!listed) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    snprintf(err, err_len, "the forecasts share no bin: %s forecasts %s .. %s, %s %s .. %s", a->forecasts[0], span[0][0],
             span[0][1], a->forecasts[differ], span[1][0], span[1][1]);
    return -1;
}

/* The rows as the table the CSV prints: model, category, then each figure's mean, _lo
 * and _hi (and the paired differences with --versus). */
static int fill_table(cc_metrics_table *table, const row *rows, int count, char names[][FIGURE_NAME], int figures,
                      int versus, const char *category, char *err, size_t err_len) {
    memset(table, 0, sizeof *table);
    const char *suffix[3] = {"", "_lo", "_hi"}, *vs_suffix[3] = {"_vs", "_vs_lo", "_vs_hi"};
    int columns = 3 * figures + (versus ? 3 * figures : 0), wanted = 0;
    for (int r = 0; r < count; r++) wanted += !category || !strcmp(rows[r].category, category);
    if (columns > CC_METRICS_MAX_COLUMNS) {
        snprintf(err, err_len, "%d figures with their intervals (--topk, --area, --versus) are more than the "
                 "comparison table's %d columns", columns, CC_METRICS_MAX_COLUMNS);
        return -1;
    }
    if (wanted > CC_METRICS_MAX_ROWS) {
        snprintf(err, err_len, "%d rows (forecasts x categories) are more than the comparison table's %d: fewer "
                 "forecasts, or a tensor of fewer categories", wanted, CC_METRICS_MAX_ROWS);
        return -1;
    }
    for (int i = 0; i < figures; i++)
        for (int k = 0; k < 3; k++) snprintf(table->names[3 * i + k], sizeof table->names[0], "%.15s%.6s", names[i], suffix[k]);
    for (int i = 0; versus && i < figures; i++)
        for (int k = 0; k < 3; k++)
            snprintf(table->names[3 * figures + 3 * i + k], sizeof table->names[0], "%.15s%.6s", names[i], vs_suffix[k]);
    table->columns = columns;
    for (int r = 0; r < count; r++) {
        if (category && strcmp(rows[r].category, category) != 0) continue;
        double values[CC_METRICS_MAX_COLUMNS];
        for (int i = 0; i < figures; i++)
            values[3 * i] = rows[r].mean[i], values[3 * i + 1] = rows[r].lo[i], values[3 * i + 2] = rows[r].hi[i];
        for (int i = 0; versus && i < figures; i++) {
            double *v = values + 3 * figures + 3 * i;
            v[0] = rows[r].vs[i], v[1] = rows[r].vs_lo[i], v[2] = rows[r].vs_hi[i];
        }
        cc_metrics_table_add(table, rows[r].model, rows[r].category, values);
    }
    return 0;
}

static const char *file_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* text, cut between characters to leave room for suffix, then suffix, into a label. */
static void fit_label(char *label, const char *text, const char *suffix) {
    size_t room = LABEL - 1 - strlen(suffix);
    snprintf(label, LABEL, "%.*s%s", (int)cc_utf8_prefix(text, room), text, suffix);
}

void cc_eval_label_forecasts(const char *const *models, const char *const *files, int n,
                             char (*labels)[CC_EVAL_LABEL]) {
    for (int i = 0; i < n; i++) {
        const char *model = models[i][0] ? models[i] : files[i], *file = file_name(files[i]);
        int shared = 0, alike = 0;
        for (int j = 0; j < n; j++) {
            const char *other = models[j][0] ? models[j] : files[j];
            if (j == i || strcmp(other, model) != 0) continue;
            shared = 1;
            alike |= !strcmp(file_name(files[j]), file);
        }
        char suffix[LABEL];
        if (!shared) fit_label(labels[i], model, "");
        else if (!alike && strlen(model) + strlen(file) + 3 < LABEL) {
            snprintf(suffix, sizeof suffix, " (%s)", file); /* fits: checked above */
            fit_label(labels[i], model, suffix);
        } else {
            snprintf(suffix, sizeof suffix, " #%d", i + 1);
            fit_label(labels[i], model, suffix);
        }
    }
}

/* Each forecast's name in the rows, the ROC chart and --versus (cc_eval_label_forecasts). */
static void name_forecasts(const cc_eval_request *a, const cc_tensor *forecasts, char (*model_names)[LABEL]) {
    const char *models[CC_EVAL_MAX_FORECASTS];
    for (int i = 0; i < a->forecast_count; i++) models[i] = forecasts[i].model;
    cc_eval_label_forecasts(models, a->forecasts, a->forecast_count, model_names);
}

/* --versus names a row's label (a model, or 'model (file)' where models repeat): checked
 * before the scoring, whose notes and minutes came first (a probe). 0, or -1 with err. */
static int check_versus_named(const char *versus, const cc_tensor *forecasts, char (*names)[LABEL], int n, char *err,
                              size_t err_len) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], versus)) return 0;
    const char *shared_by = NULL;
    for (int i = 0; i < n && !shared_by; i++)
        if (!strcmp(forecasts[i].model, versus)) shared_by = names[i];
    if (shared_by) {
        snprintf(err, err_len, "--versus '%s' is the model of several forecasts: name one as the table does, e.g. "
                 "'%s'", versus, shared_by);
        return -1;
    }
    const char *cut = NULL; /* a label cut from a longer model name (cc_eval_label_forecasts) */
    for (int i = 0; i < n && !cut; i++) {
        size_t k = strlen(names[i]); /* cut between UTF-8 characters: up to 3 bytes short */
        if (k + 4 >= LABEL && strlen(versus) > k && !strncmp(names[i], versus, k)) cut = names[i];
    }
    if (cut)
        snprintf(err, err_len, "--versus: the table labels a model by at most its first %d bytes: give '%s'",
                 LABEL - 1, cut);
    else snprintf(err, err_len, "--versus '%s' is not the model of any forecast given", versus);
    return -1;
}

/* Every forecast's rows, one per category the forecast and the truth share. */
static int score_all(const cc_eval_request *a, const cc_tensor *truth, const cc_tensor *forecasts,
                     char (*model_names)[LABEL], row *rows, int *count, char *err, size_t err_len) {
    for (int c = 0; c < truth->C; c++)
        for (int i = 0; i < a->forecast_count; i++) {
            const cc_tensor *f = &forecasts[i];
            int cf = cc_tensor_channel(f, truth->categories[c]);
            if (cf < 0) continue;
            row *r = &rows[(*count)++];
            snprintf(r->model, sizeof r->model, "%s", model_names[i]);
            snprintf(r->category, sizeof r->category, "%s", truth->categories[c]);
            char why[512];
            if (score(a, truth, f, c, cf, r, why, sizeof why) != 0) {
                snprintf(err, err_len, "%s: %s", a->forecasts[i], why);
                return -1;
            }
        }
    return 0;
}

/* 0 when a row was scored; else -1 with err naming both channel lists: a tensor sharing
 * no channel with the forecasts printed an empty table, exit 0 (a probe). */
static int some_row(const cc_eval_request *a, const cc_tensor *truth, const cc_tensor *f, int count, char *err,
                    size_t err_len) {
    if (count > 0) return 0;
    char ours[512] = "", theirs[512] = "";
    size_t used = 0;
    for (int c = 0; c < truth->C && used < sizeof ours; c++)
        used += (size_t)snprintf(ours + used, sizeof ours - used, "%s%s", c ? ", " : "", truth->categories[c]);
    used = 0;
    for (int c = 0; c < f->C && used < sizeof theirs; c++)
        used += (size_t)snprintf(theirs + used, sizeof theirs - used, "%s%s", c ? ", " : "", f->categories[c]);
    snprintf(err, err_len, "no channel of the forecasts is in %s (its: %s; %s's: %s): nothing to score", a->data, ours,
             a->forecasts[0], theirs);
    return -1;
}

/* The rows' report on `out`, the ROC chart and the table. */
static int report(const cc_eval_request *a, const cc_tensor *truth, const cc_tensor *forecasts, char (*model_names)[LABEL],
                  row *rows, int count, FILE *out, cc_metrics_table *table, char *err, size_t err_len) {
    int roc_channel = 0; /* report's --category comes here too: the message names no option */
    if (a->roc_category && (roc_channel = cc_tensor_channel_named(truth, a->data, a->roc_category, err, err_len)) < 0)
        return -1;
    if (a->versus && paired_differences(rows, count, a->versus, a->block, err, err_len) != 0) return -1;
    char names[MAX_FIGURES][FIGURE_NAME];
    figure_names(a, names);
    int figures = FIXED + 3 * measure_count(a);
    if (a->json) print_json(out, rows, count, names, figures, a->versus != NULL);
    else if (a->csv) print_csv(out, rows, count, names, figures, a->versus != NULL);
    else print_table(out, rows, count, names, figures, a->versus);
    fflush(out); /* the table stands whatever becomes of the chart */
    if (table && fill_table(table, rows, count, names, figures, a->versus != NULL, a->table_category, err, err_len) != 0) return -1;
    err[0] = 0;
    int roc = a->roc ? write_roc(a, truth, roc_channel, hotspot_label(a), forecasts, model_names, rows, count, err,
                                 err_len) : 0;
    if (roc == 1 && a->roc_if_any) {
        err[0] = 0;
        return 0;
    }
    return roc == 0 ? 0 : -1;
}

int cc_run_eval_keeping(const cc_eval_request *a, FILE *out, cc_metrics_table *table, cc_eval_inputs *kept, char *err,
                        size_t err_len) {
    /* --roc's file can be written, before the scoring (it printed every table, then failed) */
    if (a->roc && cc_whole_file_check(a->roc, err, err_len) != 0) return -1;
    cc_tensor truth;
    if (cc_tensor_read(a->data, "counts", &truth, err, err_len) != 0) return -1; /* it refuses a mask without a cell */
    if (a->roc_category && cc_tensor_channel_named(&truth, a->data, a->roc_category, err, err_len) < 0) {
        cc_tensor_free(&truth); /* before the scoring, which printed every table first */
        return -1;
    }
    note_areas_far_from_cells(a, &truth);
    note_label_without_cells(a, &truth);
    int n_files = a->forecast_count, count = 0, status = -1;
    cc_eval_request joined; /* --join: the request of the one forecast the files became */
    row *rows = calloc((size_t)(n_files * truth.C > 0 ? n_files * truth.C : 1), sizeof *rows);
    cc_tensor *forecasts = calloc((size_t)n_files, sizeof *forecasts);
    char(*model_names)[LABEL] = NULL;
    if (!rows || !forecasts) {
        snprintf(err, err_len, "out of memory");
        free(forecasts);
        forecasts = NULL, n_files = 0;
    } else if (read_forecasts(a, a->forecasts, n_files, &truth, a->data, forecasts, err, err_len) != 0) {
        free(forecasts);
        forecasts = NULL, n_files = 0;
    } else if (a->join && join_forecasts(a, forecasts, n_files, err, err_len) != 0) {
        /* err says why */
    } else if (!(model_names = calloc((size_t)n_files, sizeof *model_names))) {
        snprintf(err, err_len, "out of memory");
    } else if ((a = one_request(a, &joined, &n_files)) && align_bins(a, forecasts, err, err_len) == 0) {
        name_forecasts(a, forecasts, model_names);
        if ((!a->versus || check_versus_named(a->versus, forecasts, model_names, n_files, err, err_len) == 0) &&
            score_all(a, &truth, forecasts, model_names, rows, &count, err, err_len) == 0 &&
            some_row(a, &truth, &forecasts[0], count, err, err_len) == 0) {
            note_missing_intervals(a, rows, count), note_undefined_figures(a, rows, count);
            note_floored_deviance(a, rows, count), note_totals_off(a, rows, count);
            note_short_truth_bins(a, &truth, &forecasts[0]), note_gapped_categories(a, &truth, &forecasts[0]);
            status = report(a, &truth, forecasts, model_names, rows, count, out, table, err, err_len);
        }
    }
    for (int r = 0; r < count; r++) free(rows[r].per_bin);
    free(rows);
    if (status == 0 && kept) {
        *kept = (cc_eval_inputs){truth, forecasts, model_names, n_files};
        return 0;
    }
    cc_eval_inputs read = {truth, forecasts, model_names, n_files};
    cc_eval_inputs_free(&read);
    return status;
}

int cc_run_eval(const cc_eval_request *a, FILE *out, cc_metrics_table *table, char *err, size_t err_len) {
    return cc_run_eval_keeping(a, out, table, NULL, err, err_len);
}

void cc_eval_inputs_free(cc_eval_inputs *inputs) {
    for (int i = 0; inputs->forecasts && i < inputs->count; i++) cc_tensor_free(&inputs->forecasts[i]);
    free(inputs->forecasts), free(inputs->labels);
    cc_tensor_free(&inputs->truth);
    memset(inputs, 0, sizeof *inputs);
}
