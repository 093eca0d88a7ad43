/* One self-contained HTML report (images embedded as data URIs, no network, no script),
 * readable in any browser: what `crimecast report` writes and `crimecast demo` writes
 * beside report.md. Written whole or not at all. */
#ifndef CRIMECAST_HOST_HTML_REPORT_H
#define CRIMECAST_HOST_HTML_REPORT_H

#include <stddef.h>

#include "host/metrics_table.h"

typedef struct cc_html_figure {
    const char *heading;  /* a section heading, or NULL to continue the last section */
    const char *png;      /* path of a PNG to embed */
    const char *caption;
} cc_html_figure;

typedef struct cc_html_report {
    const char *title, *intro;      /* plain text (escaped) */
    const cc_metrics_table *table;  /* the comparison, for `category` */
    const char *category;
    const char *versus;             /* paired differences against this model (columns *_vs), or NULL */
    const cc_html_figure *figures;
    int figure_count;
    int block;                      /* the intervals' bootstrap blocks, in bins (0 or 1: single bins) */
    const char *notes;              /* the scoring's notes, a line each (plain text), or NULL */
    const char *const *labels;      /* each forecast's name in the rows and pictures, */
    const char *const *files;       /* and its file, listed so that "convlstm #2" is a file */
    int forecast_count;
} cc_html_report;

/* Writes `path`. 0, or -1 with err naming the file (or the PNG that could not be read). */
int cc_html_report_write(const char *path, const cc_html_report *report, char *err, size_t err_len);

#endif
