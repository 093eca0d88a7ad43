/* What `crimecast demo` reports: the comparison table read back from the metrics CSV
 * that `crimecast eval --csv` wrote, where the ConvLSTM stands between the best
 * baseline and the oracle, and report.md, which puts the table and the pictures
 * together. */
#ifndef CRIMECAST_HOST_DEMO_REPORT_H
#define CRIMECAST_HOST_DEMO_REPORT_H

#include <stddef.h>
#include <stdio.h>

enum { CC_METRICS_MAX_COLUMNS = 96, CC_METRICS_MAX_ROWS = 256 };

/* The CSV of `crimecast eval --csv`: columns model, category, then figures. */
typedef struct cc_metrics_table {
    int columns, rows;
    char names[CC_METRICS_MAX_COLUMNS][24];
    char model[CC_METRICS_MAX_ROWS][64], category[CC_METRICS_MAX_ROWS][64];
    double values[CC_METRICS_MAX_ROWS][CC_METRICS_MAX_COLUMNS];  /* NaN where "nan" */
} cc_metrics_table;

/* Reads `path`. 0 or -1 with `err` naming the file and line. */
int cc_metrics_table_read(const char *path, cc_metrics_table *table, char *err, size_t err_len);
/* The value of figure `name` for (model, category); NaN when absent. */
double cc_metrics_value(const cc_metrics_table *table, const char *model, const char *category, const char *name);

/* Where the ConvLSTM stands on mean Poisson deviance for `category`. */
typedef struct cc_model_standing {
    char best_baseline[64];      /* lowest deviance among models other than convlstm* and oracle */
    double baseline, convlstm, oracle;  /* their deviances (oracle NaN without one) */
    double gap_closed;           /* (baseline - convlstm) / (baseline - oracle); NaN without an oracle */
} cc_model_standing;

/* 0, or -1 when the table lacks a convlstm row or any baseline for `category`. */
int cc_model_standing_of(const cc_metrics_table *table, const char *category, cc_model_standing *out);

/* The comparison table for `category` as Markdown (models as rows: MSE, deviance and
 * AUC with their 95% intervals, AP, hit rate, PAI and PEI at 5% of the area). */
void cc_metrics_markdown(FILE *out, const cc_metrics_table *table, const char *category);
/* The same as a plain aligned text table. */
void cc_metrics_print(FILE *out, const cc_metrics_table *table, const char *category);
/* One sentence on the standing, e.g. "ConvLSTM deviance 1.02: ... closes 63% of the gap". */
void cc_model_standing_print(FILE *out, const cc_model_standing *s);

#endif
