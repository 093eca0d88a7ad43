/* `crimecast baseline --method etas`: the self-exciting point process of models/etas.h,
 * fitted per channel to the incidents behind the tensor (read from the incident store
 * the tensor was rastered from, or --db) over the training span, and forecast for the
 * span's target bins through models/hawkes.h: the expected count of every cell given
 * every incident before the forecast origin. */
#ifndef CRIMECAST_HOST_BASELINE_ETAS_H
#define CRIMECAST_HOST_BASELINE_ETAS_H

#include <stddef.h>
#include <stdio.h>

#include "heatmaps/tensor.h"
#include "heatmaps/tensor_file.h"
#include "models/dataset.h"
#include "models/etas.h"

/* The background's time modulation m(t): fitted, and kept in the forecasts when it
 * lowers the validation span's mean Poisson deviance (AUTO; kept where there is no
 * validation span), or always (MODULATED), or never, fit included (CONSTANT). */
typedef enum { CC_ETAS_BACKGROUND_AUTO, CC_ETAS_BACKGROUND_MODULATED, CC_ETAS_BACKGROUND_CONSTANT } cc_etas_background;

typedef struct cc_etas_baseline_options {
    const char *store;          /* NULL: the store the tensor's source names */
    double bandwidth_m;         /* 0: models/etas.h's default */
    int iterations;             /* 0: models/etas.h's default */
    cc_etas_background background;
    int threads;
} cc_etas_baseline_options;

/* What the forecast file records of the fits: per channel "etas_<channel>" = [theta,
 * decay days, sigma m, background events per day, bandwidth m, iterations, converged,
 * log-likelihood, events fitted, first and end day of the window fitted, 1 if the
 * forecasts use m_day (else 0), the validation span's mean deviance with m_day and
 * without it (NaN where not measured)] and
 * "etas_<channel>_history" = [theta, decay, sigma] after each iteration. */
typedef struct cc_etas_record {
    int count;
    cc_file_attribute *attributes;  /* [2 C] */
    char (*names)[96];
    double *reals;
} cc_etas_record;

void cc_etas_record_free(cc_etas_record *record);

/* What cc_etas_baseline returns when the incidents are timed no finer than the bins
 * (London's months): the model does not apply, which `demo` reports and goes on without. */
enum { CC_ETAS_NOT_TIMED = -2 };

/* values [n][C][H][W] = the forecasts of targets[0..n) (horizon steps ahead), 0 outside
 * the tensor's mask; the fits printed on `out`. 0, or -1 (CC_ETAS_NOT_TIMED) with err. */
int cc_etas_baseline(const cc_tensor *t, const cc_split *split, const int *targets, int n, int horizon,
                     const cc_etas_baseline_options *options, float *values, cc_etas_record *record, FILE *out,
                     char *err, size_t err_len);

/* The store a tensor's source names ("sqlite:PATH SELECT ..."): PATH into path. 0, or -1
 * when the source names none. */
int cc_tensor_source_store(const cc_tensor *t, char *path, size_t len);

#endif
