/* The baselines' forecasts, as `crimecast baseline` and `demo` run them: persistence,
 * historical average, seasonal, KDE (models/baselines.h), the random forest
 * (models/rf.h) and the self-exciting point process (host/baseline_etas.h) for the
 * target bins of a forecast span, into a forecast file. */
#ifndef CRIMECAST_HOST_RUN_BASELINE_H
#define CRIMECAST_HOST_RUN_BASELINE_H

#include <stddef.h>
#include <stdio.h>

#include "host/forecast_span.h"
#include "host/options.h"

typedef struct cc_baseline_request {
    const char *method;               /* persistence, histavg, seasonal, kde, rf or etas */
    const char *data, *out;
    cc_optional_int k;                /* history bins; 0 = all; not given: by the bin kind */
    cc_optional_real bandwidth;       /* kde, metres; not given: one cell */
    double half_life;                 /* kde, bins; 0: K / 4 */
    int trees, depth, lags, seed, threads;       /* rf */
    const char *export_features;      /* rf: PREFIX of the feature matrices written */
    const char *importance, *importance_png;     /* rf: permutation importance files */
    int importance_repeats;
    const char *covariates;           /* rf: on or off (the tensor file's /covariates as features) */
    const char *db;                   /* etas: the incident store (NULL: the tensor's) */
    int iterations;                   /* etas: most EM iterations */
    const char *background;           /* etas: modulated or constant */
    cc_forecast_span span;
    const char *command;              /* the command line, the forecast's created_by (not an option: set by
                                         the command line or demo; NULL: the version alone) */
} cc_baseline_request;

extern const cc_command_spec CC_BASELINE_SPEC;

void cc_baseline_request_defaults(cc_baseline_request *request);

/* Whether the request's --method uses option `row` (cc_option_used): --k histavg and kde,
 * --bandwidth kde and etas, --half-life kde, the forest's rf, the EM's etas, --threads both. */
int cc_baseline_uses(const cc_option *row, const void *request);

/* Writes the forecast file (and the rf's extra files) and its report lines to `out`. 0,
 * or -1 with err (etas: CC_ETAS_NOT_TIMED when the incidents' times are too coarse). */
int cc_run_baseline(const cc_baseline_request *request, FILE *out, char *err, size_t err_len);

#endif
