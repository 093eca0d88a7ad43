/* Forecasts of trained models, as `crimecast predict` and `demo` run them: the expected
 * counts of every target bin of a span, one model file or the mean of several (a seed
 * ensemble), into a forecast file. */
#ifndef CRIMECAST_HOST_RUN_PREDICT_H
#define CRIMECAST_HOST_RUN_PREDICT_H

#include <stddef.h>
#include <stdio.h>

#include "host/device_options.h"
#include "host/options.h"

enum { CC_PREDICT_MAX_MODELS = 16 };

typedef struct cc_predict_request {
    const char *models[CC_PREDICT_MAX_MODELS];
    int model_count;
    const char *data, *out;
    const char *span;                 /* test, val or all */
    double memory;                    /* bytes the forecasts may take where they run; 0: auto */
    cc_device_request device;
    const char *command;              /* the command line, the forecast's created_by (not an option: set by
                                         the command line or demo; NULL: the version alone) */
} cc_predict_request;

extern const cc_command_spec CC_PREDICT_SPEC;

void cc_predict_request_defaults(cc_predict_request *request);

/* Writes the forecast file and a line about it to `out`. 0, or -1 with err. */
int cc_run_predict(const cc_predict_request *request, FILE *out, char *err, size_t err_len);

#endif
