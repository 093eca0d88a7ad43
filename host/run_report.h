/* `crimecast report`: forecasts scored against a tensor (the eval pipeline), with ROC,
 * training curve and hotspot maps, as one self-contained HTML file (host/html_report.h). */
#ifndef CRIMECAST_HOST_RUN_REPORT_H
#define CRIMECAST_HOST_RUN_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"
#include "host/run_eval.h"

typedef struct cc_report_request {
    const char *data;
    const char *forecasts[CC_EVAL_MAX_FORECASTS];
    int forecast_count;
    const char *model;    /* a model file: its training curve (NULL: none) */
    const char *versus;   /* paired differences against this model (NULL: none) */
    const char *category; /* the channel shown */
    int common_bins;      /* score on the bins every forecast has (eval's --common-bins) */
    int block;            /* bins a bootstrap block holds (eval's --block) */
    const char *title;
    const char *out;      /* report.html */
} cc_report_request;

extern const cc_command_spec CC_REPORT_SPEC;

/* Writes the report and a line about it to `out`. 0, or -1 with err. */
int cc_run_report(const cc_report_request *request, FILE *out, char *err, size_t err_len);

/* The training and validation loss per epoch of a model file as a line chart PNG. */
int cc_training_chart_png(const char *model_path, const char *png_path, char *err, size_t err_len);

#endif
