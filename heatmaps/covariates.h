/* Covariates on a tensor's grid, stored in its tensor file beside the counts:
 *
 *   /covariates/static          float32 [K][H][W]     maps that do not change (deprivation)
 *   /covariates/dynamic         float32 [T][D][H][W]  maps per time bin (mobility), one bin a chunk
 *   /covariates/<kind>_name     UTF-8 strings [K] or [D]: short names (features, input maps)
 *   /covariates/<kind>_unit     what a value is ("IoD2019 score", "% change from baseline")
 *   /covariates/<kind>_source   the table and polygons it came from
 *   /covariates/<kind>_join     how: the keys matched, the code changes carried, the
 *                               weighting over cells and the aggregation over days
 *
 * A value is NaN where no data reaches the cell (no polygon with a value covers it, or the
 * bin lies outside the table's days): the file says "missing" and each reader decides
 * what the model sees (the forest: XGBoost's missing; the network: 0 and an indicator
 * map), never an invented zero. `crimecast covariates` adds maps; a map of a name already
 * there is replaced. */
#ifndef CRIMECAST_HEATMAPS_COVARIATES_H
#define CRIMECAST_HEATMAPS_COVARIATES_H

#include <stddef.h>

#include "heatmaps/tensor.h"

enum { CC_COVARIATES_MOST = 64 };

typedef struct cc_covariate_info {
    char name[64], unit[128], source[1024], join[2048];
} cc_covariate_info;

typedef struct cc_covariates {
    int K, D;                       /* static maps; dynamic maps per bin */
    int T, H, W;
    float *static_values;           /* [K][H][W], NaN: missing */
    float *dynamic_values;          /* [T][D][H][W], NaN: missing */
    cc_covariate_info *static_info; /* [K] */
    cc_covariate_info *dynamic_info;/* [D] */
} cc_covariates;

/* The covariates of the tensor file `path`, whose tensor `t` was read from it (its T, H
 * and W); none (K = D = 0) when it has none. A file whose maps hold an infinity (missing
 * is NaN) or whose names are not usable (cc_covariate_name_usable) or not distinct is
 * refused, naming it. 0, or -1 with `err`. */
int cc_covariates_read(const char *path, const cc_tensor *t, cc_covariates *cov, char *err, size_t err_len);

/* The same, for a file about to be rewritten (crimecast covariates): what the reader
 * refuses but older versions wrote is mended instead and said in `mended` ("" if
 * nothing): a name that is none or another map's renamed unnamed_<static|dynamic>_<k>,
 * infinities (a value past a float's range) made missing. */
int cc_covariates_read_mending(const char *path, const cc_tensor *t, cc_covariates *cov, char *mended,
                               size_t mended_len, char *err, size_t err_len);

/* Whether dynamic map d is missing (NaN) in every cell of `mask` at every bin of
 * bins[0..n) inside the series (the forecast origins a model reads it at; 0 when none is
 * inside): a series that ends before the span forecast (mobility ending in 2022 under a
 * 2023 test span) gives the model nothing but the missing-value branch it learned on
 * other years. */
int cc_covariates_missing_over(const cc_covariates *cov, int d, const uint8_t *mask, const int *bins, int n);

/* One warning on stderr as `command` naming every dynamic map d with read[d] (read NULL:
 * every map) missing so (baseline's forest and predict's network alike read only what
 * they learned of the map's missing values there), ending in `advice` (what leaves them
 * out); it was one warning a map, six alike for London's mobility (a probe). Returns how
 * many maps it named. */
int cc_covariates_warn_missing(const cc_covariates *cov, const int *read, const uint8_t *mask, const int *bins, int n,
                               const char *command, const char *advice);

/* Rewrites the tensor file `path` with its /covariates replaced by `cov` (whole: a copy
 * under a temporary name, changed, then renamed over it). `identity` is the file the maps
 * were made for (cc_tensor's file_identity; zero: not known): another file at `path` now
 * (a raster renamed its new tensor over it meanwhile) is refused, not given maps of
 * another grid or lost under a copy of the old one. 0, or -1 with `err`. */
int cc_covariates_store(const char *path, const cc_covariates *cov, const unsigned long long identity[2], char *err,
                        size_t err_len);

/* Adds `count` maps of one kind (dynamic 0: static [count][H][W]; 1: [T][count][H][W])
 * to `cov`, replacing maps of the same names. 0, or -1 (out of memory, or more than
 * CC_COVARIATES_MOST maps in all), when the maps of those names may already be gone:
 * the caller drops `cov` (as `crimecast covariates` does, storing nothing). */
int cc_covariates_add(cc_covariates *cov, int dynamic, int count, const float *values,
                      const cc_covariate_info *info);

/* The map of covariate `name`: its kind and index, or -1. */
int cc_covariates_find(const cc_covariates *cov, const char *name, int *dynamic);

/* Whether `name` may name a covariate: printable ASCII without spaces, with a letter or
 * digit (models keep their covariates' names one per line, and files are named after
 * them). */
int cc_covariate_name_usable(const char *name);

/* Map k of one kind (dynamic 0 or 1) at bin b (0 for a static map): [H][W]. */
float *cc_covariates_map(const cc_covariates *cov, int dynamic, int b, int k);

void cc_covariates_free(cc_covariates *cov);

/* The maps a model reads of `cov`, read from the tensor file `path`: all of them, or with
 * static_only (--covariates static) the static ones alone, the dynamic maps dropped (D = 0:
 * for a span the dynamic series do not reach; London's mobility ends 2022-10, and read as
 * missing at every test origin the models forecast the test span 10-15% high; a probe).
 * 0, or -1 with err when none is left (train and baseline rf say it alike). */
int cc_covariates_choose(cc_covariates *cov, int static_only, const char *path, char *err, size_t err_len);

#endif
