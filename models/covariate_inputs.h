/* Covariates as the network's input maps (train --covariates on): the tensor file's
 * static and dynamic maps (heatmaps/covariates.h) standardised, with what is missing
 * made explicit rather than invented.
 *
 * Each covariate k is standardised, z = (v - mean_k) / sd_k, with mean and sd over the
 * values the fit may read: a static map's in-mask cells, a dynamic map's in-mask cells of
 * the bins [0, cc_split_fit_end) (never a validation or test bin), sd 1 when it is 0; a
 * covariate with no value there is refused. The maps a step reads, after its C count maps:
 *   K static maps      z, 0 where missing
 *   1 map (K > 0)      1 where any static covariate is missing, else 0
 *   D dynamic maps     z of the step's own bin, 0 where missing
 *   D dynamic maps     1 where that covariate is missing in the step's bin, else 0
 * so a bin outside a series (mobility before 2020-02 or after 2022-10) reads as "missing"
 * with a learnable weight, never as "no change from the baseline". The standardisation
 * is the model's: it is stored in the model file and predict applies it, not a new fit. */
#ifndef CRIMECAST_MODELS_COVARIATE_INPUTS_H
#define CRIMECAST_MODELS_COVARIATE_INPUTS_H

#include <stddef.h>

#include "heatmaps/covariates.h"
#include "heatmaps/tensor.h"
#include "models/dataset.h"

typedef struct cc_covariate_norm {
    int K, D;                                 /* static and dynamic covariates */
    char name[CC_COVARIATES_MOST][64];        /* [K + D], the static ones first */
    double mean[CC_COVARIATES_MOST], sd[CC_COVARIATES_MOST];
} cc_covariate_norm;

/* Input maps per step for K static and D dynamic covariates: K + (K > 0) + 2D. */
int cc_covariate_input_maps(int K, int D);

/* Fits the standardisation on what the split lets training read (above). -1 with `err`
 * when a covariate has no value there (a series that starts after the training bins:
 * the network would meet it first at forecast time, through untrained weights), or
 * there are more than CC_COVARIATES_MOST. */
int cc_covariate_norm_fit(const cc_covariates *cov, const cc_tensor *t, const cc_split *split, cc_covariate_norm *norm,
                          char *err, size_t err_len);

/* Builds the input maps of `cov` under `norm` onto t (t->static_inputs, t->dynamic_inputs,
 * replacing any). The tensor's covariates must be the norm's by name and kind: -1 with
 * `err` naming the first one missing. 0, or -1 (also out of memory). */
int cc_covariate_inputs_attach(const cc_covariates *cov, const cc_covariate_norm *norm, cc_tensor *t, char *err,
                               size_t err_len);

/* The same from the tensor file `path` (whose tensor t is): its covariates read and
 * attached under `norm`, as predict and a resumed training run do. 0, or -1 with `err`.
 * `note` (may be NULL) gets a warning, or "": a static map whose in-mask mean is more
 * than one of the model's sds from the model's mean, or whose sd is off by more than 3x
 * (another map under the same name: covariates replaces maps by name). */
int cc_covariate_inputs_read(const char *path, const cc_covariate_norm *norm, cc_tensor *t, char *note,
                             size_t note_len, char *err, size_t err_len);

#endif
