/* Scoring forecasts against the truth, as `crimecast eval` and `demo` run it: every
 * figure of models/metrics.h per model and category, averaged over the forecast's bins
 * with bootstrap intervals, paired differences against one model, and ROC curves. */
#ifndef CRIMECAST_HOST_RUN_EVAL_H
#define CRIMECAST_HOST_RUN_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "heatmaps/tensor.h"
#include "host/metrics_table.h"
#include "host/options.h"
#include "models/metrics.h"

enum { CC_EVAL_MAX_FORECASTS = 256 };

typedef struct cc_eval_request {
    const char *data;                                 /* the tensor: the truth */
    const char *forecasts[CC_EVAL_MAX_FORECASTS];
    int forecast_count;
    int json, csv;                                    /* the format on `out`; neither: a table */
    struct {
        double percent[CC_MAX_TOPK];                  /* areas flagged for hit rate, PAI, PEI */
        int count;
    } topk;
    struct {
        double km2[CC_MAX_TOPK];                      /* fixed areas flagged, square kilometres */
        int count;
    } area;                                           /* topk.count + area.count <= CC_MAX_TOPK */
    const char *hotspot;                              /* "top10" or "occurrence" */
    const char *roc, *roc_category;                   /* --roc PNG of one category */
    int roc_if_any;                                   /* report's: no ROC curve to draw (a category
                                                         without crime in the bins) writes no PNG
                                                         and fails nothing */
    const char *versus;                               /* paired differences against this model */
    int common_bins;                                  /* score on the bins every forecast has */
    int join;                                         /* the files are one forecast of several bins */
    int block;                                        /* bins a bootstrap block holds (1: single bins) */
    const char *command;                              /* whose notes on stderr: NULL, "crimecast eval" */
    const char *table_category;                       /* the table's rows of this category only (NULL: all) */
    char *notes;                                      /* report's: every note said on stderr is also
                                                         appended here, a line each without the
                                                         command's name (NULL: not kept) */
    size_t notes_cap;
} cc_eval_request;

extern const cc_command_spec CC_EVAL_SPEC;

void cc_eval_request_defaults(cc_eval_request *request);

/* Scores every forecast, prints the result to `out` in the request's format, writes the
 * ROC chart when asked, and fills `table` (NULL: not wanted) with the CSV's columns.
 * 0, or -1 with err. */
int cc_run_eval(const cc_eval_request *request, FILE *out, cc_metrics_table *table, char *err, size_t err_len);

enum { CC_EVAL_LABEL = 64 };

/* What an eval read and scored, for a caller that goes on to draw from it (report) rather
 * than read every file again: the truth, every forecast in the order given (each cut to
 * the bins all share under --common-bins), and each one's label in the rows. */
typedef struct cc_eval_inputs {
    cc_tensor truth;
    cc_tensor *forecasts;
    char (*labels)[CC_EVAL_LABEL];
    int count;
} cc_eval_inputs;

/* cc_run_eval, handing what it read to *kept when it succeeds (free it with
 * cc_eval_inputs_free); on failure nothing is kept. */
int cc_run_eval_keeping(const cc_eval_request *request, FILE *out, cc_metrics_table *table, cc_eval_inputs *kept,
                        char *err, size_t err_len);
void cc_eval_inputs_free(cc_eval_inputs *inputs);

/* Whether a forecast's total is off its truth's by a tenth or more and by more than
 * chance: a Poisson count of that mean that far from it is one in a million or rarer (5
 * standard deviations). eval's notes of a level, and train's of its validation span. */
int cc_eval_total_off(double forecast, double truth);

/* The name of each of n forecasts in eval's rows, its ROC chart and --versus (and the
 * report's maps): models[i], the model its file names (files[i] where it names none);
 * where two forecasts share a model, "model (file name)", or "model #i" (the i-th
 * forecast given) where their file names are alike too or the label would not fit.
 * Cut between characters. */
void cc_eval_label_forecasts(const char *const *models, const char *const *files, int n,
                             char (*labels)[CC_EVAL_LABEL]);

#endif
