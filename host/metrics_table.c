/* host/metrics_table.h */
#include "host/metrics_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/baselines.h"

int cc_metrics_table_add(cc_metrics_table *t, const char *model, const char *category, const double *values) {
    if (t->rows == CC_METRICS_MAX_ROWS) return -1;
    int r = t->rows++;
    snprintf(t->model[r], sizeof t->model[r], "%s", model);
    snprintf(t->category[r], sizeof t->category[r], "%s", category);
    memcpy(t->values[r], values, sizeof(double) * (size_t)t->columns);
    return 0;
}

static int column_of(const cc_metrics_table *t, const char *name) {
    for (int i = 0; i < t->columns; i++)
        if (!strcmp(t->names[i], name)) return i;
    return -1;
}

static int row_of(const cc_metrics_table *t, const char *model, const char *category) {
    for (int r = 0; r < t->rows; r++)
        if (!strcmp(t->model[r], model) && !strcmp(t->category[r], category)) return r;
    return -1;
}

double cc_metrics_value(const cc_metrics_table *t, const char *model, const char *category, const char *name) {
    int r = row_of(t, model, category), c = column_of(t, name);
    return r >= 0 && c >= 0 ? t->values[r][c] : NAN;
}

static int starts_with(const char *text, const char *prefix) { return !strncmp(text, prefix, strlen(prefix)); }

static int is_convlstm(const char *model) { return starts_with(model, "convlstm"); }


/* The lower of the finite deviance d of `model` and the best so far (*best, named `name`). */
static void keep_lowest(double d, const char *model, double *best, char name[64]) {
    if (!isfinite(d) || d >= *best) return; /* a NaN best is replaced */
    *best = d;
    snprintf(name, 64, "%s", model);
}

int cc_model_standing_of(const cc_metrics_table *t, const char *category, cc_model_standing *s) {
    memset(s, 0, sizeof *s);
    s->baseline = s->convlstm = s->oracle = s->gap_closed = NAN;
    for (int r = 0; r < t->rows; r++) {
        if (strcmp(t->category[r], category)) continue;
        double d = cc_metrics_value(t, t->model[r], category, "deviance");
        if (is_convlstm(t->model[r]) && s->convlstm_rows++ == 0) {
            s->convlstm = d;
            snprintf(s->convlstm_model, sizeof s->convlstm_model, "%s", t->model[r]);
        }
        else if (!strcmp(t->model[r], "oracle")) s->oracle = d;
        else if (cc_baseline_named(t->model[r])) keep_lowest(d, t->model[r], &s->baseline, s->best_baseline);
    }
    if (!isfinite(s->convlstm) || !s->best_baseline[0]) return -1;
    if (isfinite(s->oracle) && s->baseline > s->oracle) s->gap_closed = (s->baseline - s->convlstm) / (s->baseline - s->oracle);
    return 0;
}

typedef struct shown_figure {
    const char *name, *title;
    int interval;
} shown_figure;

static const shown_figure SHOWN[] = {
    {"mse", "MSE", 1},   {"deviance", "Poisson deviance", 1}, {"auc", "AUC", 1}, {"ap", "AP", 0},
    {"hit@5", "hit@5%", 0}, {"pai@5", "PAI@5%", 0},             {"pei@5", "PEI@5%", 0},
};
enum { SHOWN_COUNT = sizeof SHOWN / sizeof SHOWN[0] };

static void format_figure(const cc_metrics_table *t, int r, const shown_figure *f, char *out, size_t len) {
    char lo_name[40], hi_name[40];
    snprintf(lo_name, sizeof lo_name, "%s_lo", f->name);
    snprintf(hi_name, sizeof hi_name, "%s_hi", f->name);
    double v = cc_metrics_value(t, t->model[r], t->category[r], f->name);
    if (f->interval && isfinite(cc_metrics_value(t, t->model[r], t->category[r], lo_name))) /* none from few bins */
        snprintf(out, len, "%.4g [%.3g, %.3g]", v, cc_metrics_value(t, t->model[r], t->category[r], lo_name),
                 cc_metrics_value(t, t->model[r], t->category[r], hi_name));
    else if (f->interval)
        snprintf(out, len, "%.4g", v);
    else
        snprintf(out, len, "%.3f", v);
}

void cc_metrics_markdown(FILE *out, const cc_metrics_table *t, const char *category) {
    fprintf(out, "| model |");
    for (int i = 0; i < SHOWN_COUNT; i++) fprintf(out, " %s |", SHOWN[i].title);
    fprintf(out, "\n|---|");
    for (int i = 0; i < SHOWN_COUNT; i++) fprintf(out, "---|");
    fprintf(out, "\n");
    for (int r = 0; r < t->rows; r++) {
        if (strcmp(t->category[r], category)) continue;
        fprintf(out, "| %s |", t->model[r]);
        for (int i = 0; i < SHOWN_COUNT; i++) {
            char cell[96];
            format_figure(t, r, &SHOWN[i], cell, sizeof cell);
            fprintf(out, " %s |", cell);
        }
        fprintf(out, "\n");
    }
}

void cc_metrics_print(FILE *out, const cc_metrics_table *t, const char *category) {
    fprintf(out, "%-14s", "model");
    for (int i = 0; i < SHOWN_COUNT; i++) fprintf(out, " %*s", SHOWN[i].interval ? 24 : 8, SHOWN[i].title);
    fprintf(out, "\n");
    for (int r = 0; r < t->rows; r++) {
        if (strcmp(t->category[r], category)) continue;
        fprintf(out, "%-14s", t->model[r]);
        for (int i = 0; i < SHOWN_COUNT; i++) {
            char cell[96];
            format_figure(t, r, &SHOWN[i], cell, sizeof cell);
            fprintf(out, " %*s", SHOWN[i].interval ? 24 : 8, cell);
        }
        fprintf(out, "\n");
    }
}

void cc_paired_snap(double *mean, double *lo, double *hi, double scale) {
    double residue = 1e-9 * scale;
    double *ends[3] = {mean, lo, hi};
    for (int k = 0; k < 3; k++)
        if (fabs(*ends[k]) <= residue) *ends[k] = 0;
}

const char *cc_paired_verdict(double lo, double hi, int lower_better) {
    if (!lower_better) {
        double flipped = lo;
        lo = -hi, hi = -flipped;
    }
    return hi < 0 ? "ahead" : lo > 0 ? "behind" : "tie";
}

void cc_model_standing_print(FILE *out, const cc_model_standing *s) {
    if (s->convlstm_rows > 1)
        fprintf(out, "Mean Poisson deviance: ConvLSTM (%s, the first of the %d ConvLSTM forecasts given: none is chosen "
                "on the span scored, so give first the one validation chose) %.4g", s->convlstm_model, s->convlstm_rows,
                s->convlstm);
    else if (!strcmp(s->convlstm_model, "convlstm")) fprintf(out, "Mean Poisson deviance: ConvLSTM %.4g", s->convlstm);
    else fprintf(out, "Mean Poisson deviance: ConvLSTM (%s) %.4g", s->convlstm_model, s->convlstm);
    fprintf(out, ", best baseline (%s) %.4g", s->best_baseline, s->baseline);
    if (isfinite(s->oracle) && isfinite(s->gap_closed) && s->gap_closed >= 0)
        fprintf(out, ", oracle %.4g: the ConvLSTM closes %.0f%% of the gap between the best baseline and the oracle.\n",
                s->oracle, 100.0 * s->gap_closed);
    else if (isfinite(s->oracle) && isfinite(s->gap_closed))
        fprintf(out, ", oracle %.4g: the ConvLSTM is behind the best baseline by %.0f%% of the gap between that "
                     "baseline and the oracle (it closes none of it).\n",
                s->oracle, -100.0 * s->gap_closed);
    else /* said in words: a page of figures left a reader to see which is lower */
        fprintf(out, ": the ConvLSTM is %s it by the point estimates (lower is better; paired differences, eval or "
                "report --versus, say whether the bins support it; %s).\n",
                s->convlstm < s->baseline ? "ahead of" : s->convlstm > s->baseline ? "behind" : "level with",
                isfinite(s->oracle) ? "the oracle is no better than that baseline here: no gap to close"
                                    : "no oracle among these forecasts (one exists for a synthetic city alone: synth "
                                      "--oracle writes it)");
}
