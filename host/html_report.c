/* host/html_report.h */
#include "host/html_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/printable.h"
#include "crawler/whole_file.h"
#include "models/metrics.h"

/* Text with &, <, > and " escaped, each ill-formed UTF-8 part as U+FFFD: the page says it
 * is UTF-8, and a model's name from a file may be any bytes (they went in raw). */
static void escaped(FILE *out, const char *text) {
    char *mended = NULL;
    size_t capacity = 0;
    int repaired = 0;
    const char *well = cc_utf8_repaired(text ? text : "", &mended, &capacity, &repaired);
    for (const char *p = well ? well : "(out of memory)"; *p; p++) {
        if (*p == '&') fputs("&amp;", out);
        else if (*p == '<') fputs("&lt;", out);
        else if (*p == '>') fputs("&gt;", out);
        else if (*p == '"') fputs("&quot;", out);
        else fputc(*p, out);
    }
    free(mended);
}

/* The file's bytes as base64 (RFC 4648) onto out; -1 when it cannot be read. */
static int base64_file(FILE *out, const char *path) {
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *in = fopen(path, "rb");
    if (!in) return -1;
    unsigned char b[3];
    size_t n;
    while ((n = fread(b, 1, 3, in)) > 0) {
        unsigned v = (unsigned)b[0] << 16 | (n > 1 ? (unsigned)b[1] << 8 : 0) | (n > 2 ? b[2] : 0);
        char quad[4] = {digits[v >> 18 & 63], digits[v >> 12 & 63], n > 1 ? digits[v >> 6 & 63] : '=',
                        n > 2 ? digits[v & 63] : '='};
        fwrite(quad, 1, 4, out);
    }
    int ok = !ferror(in);
    fclose(in);
    return ok ? 0 : -1;
}

static const struct {
    const char *name, *title;
    int interval;
} COLUMNS[] = {{"mse", "MSE", 1}, {"deviance", "Poisson deviance", 1}, {"auc", "AUC", 1}, {"ap", "AP", 0},
               {"hit@5", "hit@5%", 0}, {"pai@5", "PAI@5%", 0}, {"pei@5", "PEI@5%", 0}};
enum { COLUMN_COUNT = sizeof COLUMNS / sizeof COLUMNS[0] };

/* A figure (mean, with its interval when it has one); a paired one (`lower_better` >= 0)
 * also with its verdict. */
static void figure_cell(FILE *out, const cc_metrics_table *t, int r, const char *name, int interval, int lower_better) {
    char lo[64], hi[64]; /* a name of a table column (24) and "_lo" fit; the callers' buffers are 48 */
    snprintf(lo, sizeof lo, "%s_lo", name), snprintf(hi, sizeof hi, "%s_hi", name);
    double v = cc_metrics_value(t, t->model[r], t->category[r], name);
    double l = cc_metrics_value(t, t->model[r], t->category[r], lo), h = cc_metrics_value(t, t->model[r], t->category[r], hi);
    if (!isfinite(v)) fprintf(out, "<td>-</td>");
    else if (interval && isfinite(l) && lower_better >= 0) /* none from few bins */
        fprintf(out, "<td>%+.4g <small>[%+.3g, %+.3g]</small> %s</td>", v, l, h, cc_paired_verdict(l, h, lower_better));
    else if (lower_better >= 0) fprintf(out, "<td>%+.4g <small>(no interval)</small></td>", v);
    else if (interval && isfinite(l)) fprintf(out, "<td>%.4g <small>[%.3g, %.3g]</small></td>", v, l, h);
    else if (interval) fprintf(out, "<td>%.4g</td>", v);
    else fprintf(out, "<td>%.3f</td>", v);
}

static void metrics_table(FILE *out, const cc_html_report *r) {
    const cc_metrics_table *t = r->table;
    fprintf(out, "<h2>Comparison (channel <code>");
    escaped(out, r->category);
    fprintf(out, "</code>)</h2>\n<table>\n<tr><th>model</th>");
    for (int i = 0; i < COLUMN_COUNT; i++) fprintf(out, "<th>%s</th>", COLUMNS[i].title);
    fprintf(out, "</tr>\n");
    for (int row = 0; row < t->rows; row++) {
        if (strcmp(t->category[row], r->category)) continue;
        fprintf(out, "<tr><td>");
        escaped(out, t->model[row]);
        fprintf(out, "</td>");
        for (int i = 0; i < COLUMN_COUNT; i++) figure_cell(out, t, row, COLUMNS[i].name, COLUMNS[i].interval, -1);
        fprintf(out, "</tr>\n");
    }
    fprintf(out, "</table>\n<p class=note>MSE and mean Poisson deviance: lower is better; AUC, AP (top-10%% "
                 "hotspots), hit rate, PAI and PEI (5%% of the area flagged): higher is better. Intervals: bootstrap "
                 "95%% over the bins");
    if (r->block > 1) fprintf(out, ", resampled in blocks of %d consecutive bins", r->block);
    else fprintf(out, ", resampled one by one (neighbouring bins are correlated: the intervals are somewhat narrow; "
                      "--block resamples blocks)");
    fprintf(out, "; none from fewer than %d bins", CC_BOOTSTRAP_LEAST_VALUES);
    if (r->block > 1) fprintf(out, " or fewer than %d blocks", CC_BOOTSTRAP_LEAST_BLOCKS);
    fprintf(out, ".</p>\n");
    cc_model_standing s;
    if (cc_model_standing_of(t, r->category, &s) == 0) {
        char sentence[1024] = "";
        FILE *mem = fmemopen(sentence, sizeof sentence - 1, "w");
        if (mem) cc_model_standing_print(mem, &s), fclose(mem);
        fprintf(out, "<p>");
        escaped(out, sentence);
        fprintf(out, "</p>\n");
    }
}

/* --versus: each model minus `versus`, paired over shared bins, with 95% intervals. */
static void paired_table(FILE *out, const cc_html_report *r) {
    const cc_metrics_table *t = r->table;
    fprintf(out, "<h2>Paired differences: each model minus ");
    escaped(out, r->versus);
    fprintf(out, "</h2>\n<table>\n<tr><th>model</th>");
    for (int i = 0; i < COLUMN_COUNT; i++) fprintf(out, "<th>%s</th>", COLUMNS[i].title); /* the comparison's */
    fprintf(out, "</tr>\n");
    for (int row = 0; row < t->rows; row++) {
        if (strcmp(t->category[row], r->category) || !strcmp(t->model[row], r->versus)) continue;
        fprintf(out, "<tr><td>");
        escaped(out, t->model[row]);
        fprintf(out, "</td>");
        for (int i = 0; i < COLUMN_COUNT; i++) {
            char name[48];
            snprintf(name, sizeof name, "%s_vs", COLUMNS[i].name);
            int lower_better = !strcmp(COLUMNS[i].name, "mse") || !strcmp(COLUMNS[i].name, "deviance");
            figure_cell(out, t, row, name, 1, lower_better);
        }
        fprintf(out, "</tr>\n");
    }
    fprintf(out, "</table>\n<p class=note>Better than ");
    escaped(out, r->versus);
    fprintf(out, ": negative for MSE and deviance, positive for the rest; an interval that excludes 0 is a difference "
                 "the bins support (ahead or behind), one that holds 0 a tie.</p>\n");
    int has_category = 0; /* else every cell above reads '-': say why (eval says 'no such category there') */
    for (int row = 0; row < t->rows; row++)
        has_category |= !strcmp(t->model[row], r->versus) && !strcmp(t->category[row], r->category);
    if (has_category) return;
    fprintf(out, "<p class=note>");
    escaped(out, r->versus);
    fprintf(out, " has no channel '");
    escaped(out, r->category);
    fprintf(out, "': there is nothing to pair the models with in this category.</p>\n");
}

/* What eval said of the scores while making them (a forecast's zeros under crimes, another
 * horizon or study area, figures without intervals): a page read away from the terminal
 * says it too. */
static void scoring_notes(FILE *out, const char *notes) {
    if (!notes || !notes[0]) return;
    fprintf(out, "<h2>Notes on the scores</h2>\n<ul class=note>\n");
    for (const char *line = notes; *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        char *one = strndup(line, length);
        fprintf(out, "<li>");
        escaped(out, one ? one : "(out of memory)");
        fprintf(out, "</li>\n");
        free(one);
        line += length + (end != NULL);
    }
    fprintf(out, "</ul>\n");
}

/* Which file each row is: two forecasts of one model are "convlstm #1" and "#2" there. */
static void forecast_files(FILE *out, const cc_html_report *r) {
    if (r->forecast_count <= 0) return;
    fprintf(out, "<h2>Forecasts</h2>\n<table><tr><th>model</th><th>file</th></tr>\n");
    for (int i = 0; i < r->forecast_count; i++) {
        fprintf(out, "<tr><td>");
        escaped(out, r->labels[i]);
        fprintf(out, "</td><td><code>");
        escaped(out, r->files[i]);
        fprintf(out, "</code></td></tr>\n");
    }
    fprintf(out, "</table>\n");
}

static int figures(FILE *out, const cc_html_report *r, char *err, size_t err_len) {
    for (int i = 0; i < r->figure_count; i++) {
        const cc_html_figure *f = &r->figures[i];
        if (f->heading) {
            fprintf(out, "<h2>");
            escaped(out, f->heading);
            fprintf(out, "</h2>\n");
        }
        fprintf(out, "<figure><img alt=\"");
        escaped(out, f->caption);
        fprintf(out, "\" src=\"data:image/png;base64,");
        if (base64_file(out, f->png) != 0) {
            snprintf(err, err_len, "%s: cannot read the picture for the report", f->png);
            return -1;
        }
        fprintf(out, "\"><figcaption>");
        escaped(out, f->caption);
        fprintf(out, "</figcaption></figure>\n");
    }
    return 0;
}

static const char STYLE[] =
    "body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}small{color:#666}"
    "img{max-width:100%;image-rendering:pixelated}figure{margin:1em 0}figcaption{color:#555;font-size:.9em}"
    ".note{color:#555;font-size:.9em}";

int cc_html_report_write(const char *path, const cc_html_report *r, char *err, size_t err_len) {
    cc_whole_file file;
    FILE *out = cc_whole_file_fopen(&file, path, err, err_len);
    if (!out) return -1;
    fprintf(out, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>");
    escaped(out, r->title);
    fprintf(out, "</title><style>%s</style></head><body>\n<h1>", STYLE);
    escaped(out, r->title);
    fprintf(out, "</h1>\n<p>");
    escaped(out, r->intro);
    fprintf(out, "</p>\n");
    if (r->table) metrics_table(out, r);
    if (r->table && r->versus) paired_table(out, r);
    forecast_files(out, r);
    scoring_notes(out, r->notes);
    char why[1024] = "";
    int ok = figures(out, r, why, sizeof why) == 0;
    fprintf(out, "<p class=note>Written by crimecast %s.</p>\n</body></html>\n", CRIMECAST_VERSION);
    int closed = cc_whole_file_fclose(&file, out, ok, err, err_len);
    if (!ok) snprintf(err, err_len, "%s", why); /* the picture that could not be read, not the close */
    return ok && closed == 0 ? 0 : -1;
}
