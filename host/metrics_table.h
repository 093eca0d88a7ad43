/* The comparison table: every figure `crimecast eval` computes, per model and category
 * (host/run_eval.h fills it; its CSV has the same columns), where the ConvLSTM stands
 * between the best baseline and the oracle, and the table as text and Markdown (what
 * `crimecast demo` prints and puts in report.md). */
#ifndef CRIMECAST_HOST_METRICS_TABLE_H
#define CRIMECAST_HOST_METRICS_TABLE_H

#include <stddef.h>
#include <stdio.h>

enum { CC_METRICS_MAX_COLUMNS = 192, CC_METRICS_MAX_ROWS = 256 };

/* Rows of (model, category), columns of figures: mse, mse_lo, mse_hi, ... */
typedef struct cc_metrics_table {
    int columns, rows;
    char names[CC_METRICS_MAX_COLUMNS][24];
    char model[CC_METRICS_MAX_ROWS][64], category[CC_METRICS_MAX_ROWS][64];
    double values[CC_METRICS_MAX_ROWS][CC_METRICS_MAX_COLUMNS];  /* NaN where undefined */
} cc_metrics_table;

/* Appends a row: `values` holds one value per column (table->columns, named first).
 * 0, or -1 when the table is full. */
int cc_metrics_table_add(cc_metrics_table *table, const char *model, const char *category, const double *values);
/* The value of figure `name` for (model, category); NaN when absent. */
double cc_metrics_value(const cc_metrics_table *table, const char *model, const char *category, const char *name);

/* Where the ConvLSTM stands on mean Poisson deviance for `category`. */
typedef struct cc_model_standing {
    char best_baseline[64];      /* lowest deviance among the baselines, by the names crimecast baseline
                                    gives (persistence*, histavg*, seasonal*, kde*, rf*, etas*: not
                                    st-resnet, an ensemble or a model of unknown name) */
    char convlstm_model[64];     /* the first convlstm* row (convlstm, convlstm-ae, +cov, ensembles): the
                                    forecast given first, never the best of several on the span scored
                                    (choosing on the test span flatters it; a probe) */
    int convlstm_rows;           /* how many convlstm* rows there were */
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
/* The verdict on a paired difference (a model minus a reference) with 95% interval
 * [lo, hi]: "ahead" or "behind" when the interval excludes 0 (lower_better: errors such
 * as MSE and deviance, where ahead is below 0; else above), "tie" when it holds 0. */
const char *cc_paired_verdict(double lo, double hi, int lower_better);
/* A paired difference's mean and interval ends within a billionth of `scale` (the size of
 * the figures compared) of 0 set to 0: the rounding residue of resampled differences that
 * cancel (-7.4e-17 beside -0.0244 read "behind"; a probe). NaN stays NaN. */
void cc_paired_snap(double *mean, double *lo, double *hi, double scale);

/* One sentence on the standing, e.g. "ConvLSTM deviance 1.02: ... closes 63% of the gap". */
void cc_model_standing_print(FILE *out, const cc_model_standing *s);

#endif
