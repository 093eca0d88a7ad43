/* host/run_baseline.h */
#include "host/run_baseline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/whole_file.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/chart.h"
#include "heatmaps/tensor_file.h"
#include "host/baseline_etas.h"
#include "host/defaults.h"
#include "host/short_bins.h"
#include "models/baselines.h"
#include "models/dataset.h"
#include "heatmaps/covariates.h"
#include "models/rf.h"
#include "models/rf_importance.h"

/* --k K|all: bins of history, all of them (0). */
static int parse_k(const char *text, void *field, char *why, size_t why_len) {
    cc_optional_int *k = field;
    char *end;
    long v = strcmp(text, "all") ? strtol(text, &end, 10) : 0;
    if (strcmp(text, "all") && (end == text || *end || v < 1 || v > 100000)) {
        snprintf(why, why_len, "--k must be a number of bins or 'all' (got '%s')", text);
        return -1;
    }
    k->value = (int)v, k->given = 1;
    return 0;
}

/* --bandwidth METRES >= 0 (0: no smoothing). */
static int parse_bandwidth(const char *text, void *field, char *why, size_t why_len) {
    cc_optional_real *b = field;
    char *end;
    double v = cc_decimal_strtod(text, &end);
    if (end == text || *end || !(v >= 0 && isfinite(v))) {
        snprintf(why, why_len, "--bandwidth must be metres >= 0 (got '%s')", text);
        return -1;
    }
    b->value = v, b->given = 1;
    return 0;
}

static const cc_option BASELINE_OPTIONS[] = {
    {CC_OPTION_CHOICE("method", cc_baseline_request, method, "persistence|histavg|seasonal|kde|rf|etas", NULL,
                      "the baseline"), .required = 1},
    {CC_OPTION_TEXT("data", cc_baseline_request, data, "TENSOR.h5", NULL, "the tensor file"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("out", cc_baseline_request, out, "FORECAST.h5", NULL, "the forecast file"),
     .required = 1, .file = CC_FILE_WRITTEN},
    {CC_OPTION_CUSTOM("k", cc_baseline_request, k, "K|all", NULL, parse_k,
                      "history bins of histavg and kde (all: every bin up to the forecast origin; if not given: 52 "
                      "weeks, 12 months, 28 days)")},
    {CC_OPTION_CUSTOM("bandwidth", cc_baseline_request, bandwidth, "METRES", NULL, parse_bandwidth,
                      "kde: the Gaussian's standard deviation (if neither this nor --half-life is given, both "
                      "are chosen on the validation span; else one cell); etas: the background's kernel (if not "
                      "given: chosen by the fit's leave-one-out likelihood)")},
    {CC_OPTION_REAL("half-life", cc_baseline_request, half_life, "BINS", NULL, 0,
                    "kde: the weights halve every BINS bins (if not given: see --bandwidth; else K / 4, K being --k, "
                    "or with --k all the default K)"),
     .open_min = 1},
};

/* The files --export-features PREFIX writes (export_features): checked against the other
 * paths (they replaced the input tensor, and the importance table; a probe). */
static const char *const FEATURE_FILES[] = {"_train.csv", "_test.csv", NULL};

static const cc_option RF_OPTIONS[] = {
    {CC_OPTION_INT("trees", cc_baseline_request, trees, "N", "100", 1, 100000, "trees of each forest")},
    {CC_OPTION_INT("depth", cc_baseline_request, depth, "N", "10", 1, 100000, "the trees' most depth")},
    {CC_OPTION_INT("lags", cc_baseline_request, lags, "N", "8", 1, 100000, "lagged counts among the features")},
    {CC_OPTION_INT("seed", cc_baseline_request, seed, "S", CC_DEFAULT_SEED, 0, 2000000000,
                   "the seed of the first booster's trees (the next boosters take S+1, ...)")},
    {CC_OPTION_INT("threads", cc_baseline_request, threads, "N", "0", 0, 100000,
                   "rf: threads fitting the forest's 16 boosters (0: one per CPU; the forest is the same at any "
                   "number); etas: the EM's threads")},
    {CC_OPTION_CHOICE("covariates", cc_baseline_request, covariates, "on|off|static", "off",
                      "the tensor file's covariates (crimecast covariates) as features: static maps of the cell, "
                      "dynamic ones at the forecast origin; missing values as XGBoost's missing (static: the static "
                      "ones alone)")},
    {CC_OPTION_TEXT("export-features", cc_baseline_request, export_features, "PREFIX", NULL,
                    "write PREFIX_train.csv and PREFIX_test.csv: channel 0's feature matrix and targets (PREFIX_test.csv holds the forecast span's rows; with --span next their target is nan: that bin is not in the tensor yet; a missing covariate is nan too)"),
     .file = CC_FILE_WRITTEN, .suffixes = FEATURE_FILES},
    {CC_OPTION_TEXT("importance", cc_baseline_request, importance, "FILE.csv", NULL,
                    "each forest's permutation importance on the validation span's targets: the increase of the "
                    "MSE when one feature's column is shuffled, mean and std over the repeats (channel 0's lagK and "
                    "all_lagK are one column twice: read them as one)"),
     .file = CC_FILE_WRITTEN},
    {CC_OPTION_TEXT("importance-png", cc_baseline_request, importance_png, "FILE.png", NULL,
                    "the importance of channel 'all' as bars with +-std whiskers (each further category in "
                    "FILE-CATEGORY.png)"), .file = CC_FILE_WRITTEN},
    {CC_OPTION_INT("importance-repeats", cc_baseline_request, importance_repeats, "R", "5", 1, 65535,
                   "shuffles per feature (each its own seed: seed, feature and repeat in 32 + 16 + 16 bits)")},
};

static const cc_option ETAS_OPTIONS[] = {
    {CC_OPTION_TEXT("db", cc_baseline_request, db, "STORE", NULL,
                    "the incident store to read (if not given: the one the tensor was rastered from)"),
     .file = CC_FILE_READ},
    {CC_OPTION_INT("iterations", cc_baseline_request, iterations, "N", "100", 1, CC_ETAS_MAX_ITERATIONS,
                   "most EM iterations (it stops earlier when the parameters settle)")},
    {CC_OPTION_CHOICE("background", cc_baseline_request, background, "auto|modulated|constant", "auto",
                      "the background's rate: modulated by the hour of day and the day of week, or constant; "
                      "auto: fitted modulated, and the forecasts keep the day of week if it lowers the "
                      "validation span's deviance")},
};

static int check_request(void *request, char *why, size_t why_len) {
    const cc_baseline_request *r = request;
    if (r->covariates && strcmp(r->covariates, "off") != 0 && strcmp(r->method, "rf") != 0) {
        snprintf(why, why_len, "--covariates %s needs --method rf (the network takes them through train)",
                 r->covariates);
        return -1;
    }
    if ((r->importance || r->importance_png || r->export_features) && strcmp(r->method, "rf") != 0) {
        snprintf(why, why_len, "--export-features and --importance* need --method rf");
        return -1;
    }
    if (r->db && strcmp(r->method, "etas") != 0) {
        snprintf(why, why_len, "--db needs --method etas");
        return -1;
    }
    if (!strcmp(r->method, "etas") && r->bandwidth.given && !(r->bandwidth.value > 0)) {
        /* 0 meant "choose it" inside the fit: a kernel of no width is no background */
        snprintf(why, why_len, "--method etas: --bandwidth is the background kernel's width, metres > 0 (leave it out "
                 "to have the fit choose it)");
        return -1;
    }
    return 0;
}

static const cc_option_group BASELINE_GROUPS[] = {
    {"options", CC_OPTION_ROWS(BASELINE_OPTIONS), 0},
    CC_FORECAST_SPAN_GROUP(cc_baseline_request, span),
    {"random forest (--method rf)", CC_OPTION_ROWS(RF_OPTIONS), 0},
    {"self-exciting point process (--method etas)", CC_OPTION_ROWS(ETAS_OPTIONS), 0},
};

const cc_command_spec CC_BASELINE_SPEC = {
    .name = "baseline",
    .synopsis = "--method persistence|histavg|seasonal|kde|rf|etas --data TENSOR.h5 --out FORECAST.h5 [options]",
    .description =
        "Writes a baseline forecast for the same target bins `crimecast predict` forecasts (the\n"
        "same split, window and horizon), from the bins up to each forecast origin only:\n"
        "  persistence  the last observed bin\n"
        "  histavg      the mean of the last K bins (--k all: every bin up to the origin)\n"
        "  seasonal     the same bin a year earlier: 52 weeks, 12 months, or 364 days for days (the\n"
        "               same weekday); histavg where there is none\n"
        "  kde          the last K bins, halving in weight every --half-life bins, smoothed with\n"
        "               a Gaussian of --bandwidth metres\n"
        "  rf           a random forest (XGBoost, random-forest mode) per category on lag,\n"
        "               neighbourhood, seasonal and position features, fitted on the training\n"
        "               span; its trees are spread over 16 boosters (seeds S .. S+15)\n"
        "  etas         a self-exciting point process (ETAS: Mohler et al. 2011) per category,\n"
        "               fitted by EM to the incidents behind the tensor (their exact times and\n"
        "               places, from the incident store) up to the end of the training span,\n"
        "               forecasting each cell's expected count given every incident before the\n"
        "               origin; its fitted parameters are printed and stored in the file\n",
    .request_size = sizeof(cc_baseline_request),
    .groups = BASELINE_GROUPS,
    .group_count = 4,
    .check = check_request,
};

void cc_baseline_request_defaults(cc_baseline_request *r) { cc_options_defaults(&CC_BASELINE_SPEC, r); }

/* The methods that read each method-specific option (the rest every method reads). */
static const struct {
    const char *option, *methods;
} METHOD_OPTIONS[] = {
    {"k", " histavg kde "}, {"bandwidth", " kde etas "}, {"half-life", " kde "}, {"trees", " rf "},
    {"depth", " rf "}, {"lags", " rf "}, {"seed", " rf "}, {"threads", " rf etas "}, {"covariates", " rf "},
    {"export-features", " rf "}, {"importance", " rf "}, {"importance-png", " rf "}, {"importance-repeats", " rf "},
    {"db", " etas "}, {"iterations", " etas "}, {"background", " etas "},
};

int cc_baseline_uses(const cc_option *row, const void *request) {
    const cc_baseline_request *r = request;
    char method[32];
    snprintf(method, sizeof method, " %s ", r->method);
    for (size_t i = 0; i < sizeof METHOD_OPTIONS / sizeof METHOD_OPTIONS[0]; i++)
        if (!strcmp(row->name, METHOD_OPTIONS[i].option)) return strstr(METHOD_OPTIONS[i].methods, method) != NULL;
    return 1;
}

/* One CSV of rows: the features (the cell's row and col among them), the target, the
 * target bin and the cell's index in the grid, row x W + col (row 0 the north; the rows
 * run over the in-mask cells only, in that order). */
static int write_rows(const char *path, const cc_tensor *t, const cc_split *split, const cc_rf_options *rf,
                      const int *targets, int n, char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf);
    size_t cells = cc_tensor_mask_cells(t), plane = (size_t)t->H * t->W, k = 0;
    float *f = malloc(sizeof(float) * cells * (size_t)n * p), *y = malloc(sizeof(float) * cells * (size_t)n);
    size_t *grid_cell = malloc(sizeof *grid_cell * (cells ? cells : 1)); /* the r-th in-mask cell's grid index */
    cc_whole_file file;
    FILE *out = f && y && grid_cell ? cc_whole_file_fopen(&file, path, err, err_len) : NULL;
    if (!out) {
        if (!f || !y || !grid_cell) snprintf(err, err_len, "%s: out of memory for the feature matrix", path);
        free(f), free(y), free(grid_cell);
        return -1;
    }
    for (size_t q = 0; q < plane; q++)
        if (t->mask[q]) grid_cell[k++] = q;
    size_t rows = cc_rf_rows(t, split, rf, 0, targets, n, f, y);
    char name[64];
    for (int i = 0; i < p; i++) fprintf(out, "%s,", cc_rf_feature_name(rf, i, name, sizeof name));
    fprintf(out, "target,bin,cell\n");
    for (size_t r = 0; r < rows; r++) {
        for (int i = 0; i < p; i++) fprintf(out, "%.9g,", f[r * p + i]);
        fprintf(out, "%.9g,%d,%zu\n", y[r], targets[r / cells], grid_cell[r % cells]);
    }
    free(f), free(y), free(grid_cell);
    return cc_whole_file_fclose(&file, out, !ferror(out), err, err_len);
}

static int export_features(const char *prefix, const cc_tensor *t, const cc_split *split, const cc_rf_options *rf,
                           const int *targets, int n, char *err, size_t err_len) {
    char path[4200];
    int *train = malloc(sizeof(int) * (size_t)t->T);
    int n_train = cc_rf_training_targets(split, rf, train);
    snprintf(path, sizeof path, "%s%s", prefix, FEATURE_FILES[0]);
    int status = write_rows(path, t, split, rf, train, n_train, err, err_len);
    snprintf(path, sizeof path, "%s%s", prefix, FEATURE_FILES[1]);
    if (status == 0) status = write_rows(path, t, split, rf, targets, n, err, err_len);
    free(train);
    return status;
}

/* The importance CSV: one row per category x feature, most important first. */
static int write_importance_csv(const char *path, const cc_tensor *t, const cc_rf_options *rf,
                                const cc_rf_importance *imp, char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf);
    int *order = malloc(sizeof(int) * (size_t)p);
    cc_whole_file file;
    FILE *out = order ? cc_whole_file_fopen(&file, path, err, err_len) : NULL;
    if (!out) {
        if (!order) snprintf(err, err_len, "%s: out of memory for the importance table", path);
        free(order);
        return -1;
    }
    char name[64];
    fprintf(out, "category,feature,importance_mean,importance_std,baseline_mse\n");
    for (int c = 0; c < t->C; c++) {
        const double *mean = imp->mean + (size_t)c * p, *std = imp->std + (size_t)c * p;
        cc_rf_importance_order(mean, p, order);
        for (int i = 0; i < p; i++)
            fprintf(out, "%s,%s,%.9g,%.9g,%.9g\n", t->categories[c],
                    cc_rf_feature_name(rf, order[i], name, sizeof name), mean[order[i]], std[order[i]],
                    imp->baseline_mse[c]);
    }
    free(order);
    return cc_whole_file_fclose(&file, out, !ferror(out), err, err_len);
}

/* One category's bars, most important on top, whiskers +- std. */
static int importance_chart(const char *path, const cc_tensor *t, const cc_rf_options *rf,
                            const cc_rf_importance *imp, int c, char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf);
    int *order = malloc(sizeof(int) * (size_t)p);
    char *names = malloc(64 * (size_t)p);
    const char **labels = malloc(sizeof(char *) * (size_t)p);
    double *values = malloc(sizeof(double) * (size_t)p), *errors = malloc(sizeof(double) * (size_t)p);
    int status = -1;
    if (!order || !names || !labels || !values || !errors) {
        snprintf(err, err_len, "%s: out of memory for the chart", path);
    } else {
        const double *mean = imp->mean + (size_t)c * p, *std = imp->std + (size_t)c * p;
        cc_rf_importance_order(mean, p, order);
        for (int i = 0; i < p; i++) {
            labels[i] = cc_rf_feature_name(rf, order[i], names + 64 * (size_t)i, 64);
            values[i] = mean[order[i]];
            errors[i] = std[order[i]];
        }
        char title[256], value_label[128];
        snprintf(title, sizeof title, "rf permutation importance, %s '%s', validation span", t->city,
                 t->categories[c]);
        snprintf(value_label, sizeof value_label, "increase in MSE (baseline %.4g)", imp->baseline_mse[c]);
        cc_bar_chart chart = {title, value_label, 0};
        status = cc_bar_chart_png(path, &chart, labels, values, errors, p, err, err_len);
    }
    free(order), free(names), free(labels), free(values), free(errors);
    return status;
}

/* Channel 0 ('all') in PATH; each further category c in PATH-<category>.png (PATH
 * without its .png suffix). */
static int write_importance_png(const char *path, const cc_tensor *t, const cc_rf_options *rf,
                                const cc_rf_importance *imp, char *err, size_t err_len) {
    int status = importance_chart(path, t, rf, imp, 0, err, err_len);
    size_t stem = strlen(path);
    if (stem >= 4 && !strcmp(path + stem - 4, ".png")) stem -= 4;
    for (int c = 1; !status && c < t->C; c++) {
        char other[4400];
        snprintf(other, sizeof other, "%.*s-%s.png", (int)stem, path, t->categories[c]);
        status = importance_chart(other, t, rf, imp, c, err, err_len);
    }
    return status;
}

/* The target bins `--span val` forecasts: importance is measured on them. */
static int validation_targets(const cc_split *split, int *targets) {
    int n = cc_split_samples(split, CC_SPAN_VAL);
    for (int i = 0; i < n; i++) targets[i] = cc_split_target(split, CC_SPAN_VAL, i);
    return n > 0 ? n : 0;
}

/* Each forest's line as it is fitted (a tensor of many channels fits for minutes). */
typedef struct fitted_line {
    const cc_tensor *t;
    const cc_rf_options *rf;
    FILE *out;
} fitted_line;

static void say_fitted(void *context, int c, double seconds) {
    const fitted_line *f = context;
    fprintf(f->out, "rf: forest for '%s' (%d of %d; %d trees, depth %d) fitted in %.3f s\n", f->t->categories[c], c + 1,
            f->t->C, f->rf->trees, f->rf->depth, seconds);
    fflush(f->out);
}

/* The rf forecast, each forest's line as it is fitted and, when asked, its importance files. */
static int rf_forecast(const cc_tensor *t, const cc_split *split, const cc_rf_options *rf, const int *targets, int n, float *values, int repeats, const char *csv, const char *png,
                       FILE *out, char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf), want = csv || png;
    size_t per_feature = (size_t)t->C * p;
    int *val = malloc(sizeof(int) * (size_t)t->T);
    cc_rf_importance imp = {val, val ? validation_targets(split, val) : 0, repeats,
                            calloc((size_t)t->C, sizeof(double)), calloc(per_feature, sizeof(double)),
                            calloc(per_feature, sizeof(double))};
    int status = val && imp.baseline_mse && imp.mean && imp.std ? 0 : -1;
    if (status) snprintf(err, err_len, "out of memory");
    fitted_line line = {t, rf, out};
    cc_rf_options said = *rf;
    said.fitted = say_fitted, said.fitted_context = &line;
    if (!status) status = cc_rf_forecast(t, split, &said, targets, n, values, want ? &imp : NULL, err, err_len);
    if (!status && csv) status = write_importance_csv(csv, t, rf, &imp, err, err_len);
    if (!status && png) status = write_importance_png(png, t, rf, &imp, err, err_len);
    if (!status && want)
        fprintf(out, "rf: permutation importance on the validation span (%d shuffles per feature)%s%s%s%s\n", repeats,
                csv ? ": " : "", csv ? csv : "", png ? " " : "", png ? png : "");
    if (!status && want) /* an analyst read 'all''s recent counts as half what they are (a probe) */
        fprintf(stderr, "crimecast baseline: note: for '%s', lagK and all_lagK are one column twice (all_lagK is "
                "channel 0's count): shuffling one leaves its copy in place, so each shows less importance than the "
                "two have together; read them as one\n", t->categories[0]);
    free(val), free(imp.baseline_mse), free(imp.mean), free(imp.std);
    return status;
}

/* The kde's half-life when neither --half-life nor the validation span chose one: a
 * quarter of its K bins (of the default K for --k all). */
static double default_half_life(int k, int default_k) {
    return (k > 0 ? k : default_k) / 4.0;
}

/* kde-960m, then -all or -k26 for another K than the default and -h6.5 for another
 * half-life than the default's: two kde forecasts of different options are told apart in
 * eval and report by name. */
static void kde_name(const cc_baseline_options *o, int default_k, char *name, size_t len) {
    char k[32] = "", h[48] = "";
    if (o->k == 0) snprintf(k, sizeof k, "-all");
    else if (o->k != default_k) snprintf(k, sizeof k, "-k%d", o->k);
    if (o->half_life != default_half_life(o->k, default_k)) snprintf(h, sizeof h, "-h%g", o->half_life);
    snprintf(name, len, "kde-%.0fm%s%s", o->bandwidth_m, k, h);
}

/* The forecast file's model name: rf-100, histavg-52, kde-960m (kde-960m-all, kde-960m-k26
 * with another --k than the default, kde-960m-h6.5 with another half-life than a quarter
 * of K), persistence, ... */
static void model_name(const cc_baseline_request *r, const cc_baseline_options *o, int default_k, char *name,
                       size_t len) {
    if (!strcmp(r->method, "rf"))
        snprintf(name, len, "rf-%d%s", r->trees, !r->covariates || !strcmp(r->covariates, "off") ? ""
                                                : !strcmp(r->covariates, "static")             ? "+static"
                                                                                               : "+cov");
    else if (!strcmp(r->method, "etas")) snprintf(name, len, "etas");
    else if (o->method == CC_BASELINE_HISTAVG && o->k == 0) snprintf(name, len, "histavg-all");
    else if (o->method == CC_BASELINE_HISTAVG) snprintf(name, len, "histavg-%d", o->k);
    else if (o->method == CC_BASELINE_KDE) kde_name(o, default_k, name, len);
    else snprintf(name, len, "%s", cc_baseline_name(o->method));
}

/* The naive baselines' options on tensor t: the defaults that depend on its bins and cells. */
static cc_baseline_options naive_options(const cc_baseline_request *r, const cc_tensor *t) {
    cc_baseline_options o = {0};
    cc_baseline_parse(r->method, &o.method); /* rf: unused */
    o.horizon = r->span.horizon;
    o.k = r->k.given ? r->k.value : cc_baseline_default_k(t->bin);
    o.bandwidth_m = r->bandwidth.given ? r->bandwidth.value : t->cell;
    o.half_life = r->half_life > 0 ? r->half_life : default_half_life(o.k, cc_baseline_default_k(t->bin));
    return o;
}

/* --method kde without --bandwidth and --half-life: both chosen on the validation span
 * (models/baselines.h), printed, and recorded as kde_chosen = [bandwidth m, half-life
 * bins, validation deviance]. */
static int choose_kde(const cc_tensor *t, const cc_split *split, cc_baseline_options *o, double *chosen, FILE *out,
                      char *err, size_t err_len) {
    int n = cc_split_samples(split, CC_SPAN_VAL);
    int *val = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!val) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) val[i] = cc_split_target(split, CC_SPAN_VAL, i);
    double deviance = n > 0 ? cc_kde_choose(t, val, n, o) : NAN;
    free(val);
    if (!isfinite(deviance)) {
        snprintf(err, err_len, n > 0 ? "out of memory choosing the kde's bandwidth" : "no validation bin to choose the "
                 "kde's bandwidth on: give --bandwidth and --half-life");
        return -1;
    }
    chosen[0] = o->bandwidth_m, chosen[1] = o->half_life, chosen[2] = deviance;
    fprintf(out, "kde: bandwidth %.0f m and half-life %g bins chosen on the validation span's %d bins (mean deviance "
                 "%.4f; of 1/2, 1, 2, 4 cells and K/32 .. K/2 bins)\n", o->bandwidth_m, o->half_life, n, deviance);
    return 0;
}

/* A dynamic covariate missing at every origin of the targets: the forest (or network)
 * reads only its missing-value branch there, learned on other years (London's mobility
 * ended in 2022: rf-50+cov's test deviance 1.664 against rf-50's 1.485). */
static void warn_missing_at_origins(const cc_covariates *cov, const cc_tensor *t, const int *targets, int n,
                                    int horizon, const char *command) {
    int *origins = malloc(sizeof *origins * (size_t)(n > 0 ? n : 1));
    if (!origins) return;
    for (int i = 0; i < n; i++) origins[i] = targets[i] - horizon;
    cc_covariates_warn_missing(cov, NULL, t->mask, origins, n, command, "--covariates static leaves them out");
    free(origins);
}

/* The forecasts of targets[0..n) into values [n][C][H][W]. */
static int forecast(const cc_baseline_request *r, const cc_tensor *t, const cc_split *split,
                    const cc_baseline_options *o, const int *targets, int n, float *values, FILE *out, char *err,
                    size_t err_len) {
    if (strcmp(r->method, "rf") != 0) {
        if (cc_baseline_forecast(t, o, targets, n, values) == 0) return 0;
        snprintf(err, err_len, "out of memory for the kde's smoothing");
        return -1;
    }
    cc_rf_options rf = {r->trees, r->depth, r->lags, r->span.horizon, r->threads, (unsigned)r->seed, NULL, NULL, NULL};
    cc_covariates covariates = {0};
    if (r->covariates && strcmp(r->covariates, "off") != 0) {
        int static_only = !strcmp(r->covariates, "static");
        if (cc_covariates_read(r->data, t, &covariates, err, err_len) != 0) return -1;
        if (cc_covariates_choose(&covariates, static_only, r->data, err, err_len) != 0) {
            cc_covariates_free(&covariates);
            return -1;
        }
        rf.covariates = &covariates;
        fprintf(out, "rf: %d static and %d dynamic covariates among the features\n", covariates.K, covariates.D);
        warn_missing_at_origins(&covariates, t, targets, n, r->span.horizon, "crimecast baseline");
    }
    int status = 0;
    if (r->export_features) status = export_features(r->export_features, t, split, &rf, targets, n, err, err_len);
    if (!status)
        status = rf_forecast(t, split, &rf, targets, n, values, r->importance_repeats, r->importance,
                             r->importance_png, out, err, err_len);
    cc_covariates_free(&covariates);
    return status;
}

/* The targets a naive baseline cannot forecast as its name says: seasonal's with no bin a
 * year before inside the history (they take histavg's), histavg-K's with fewer than K
 * bins up to the origin (they average those there are). Said on stderr: two rows of eval
 * came out identical, or a histavg-52 of 44 bins, without a word. */
static void note_short_history(const cc_baseline_options *o, const cc_tensor *t, const int *targets, int n, int horizon,
                               const char *model) {
    int period = cc_bin_kind_per_year(t->bin), early = 0, late = 0, short_k = 0;
    for (int i = 0; i < n; i++) {
        int tau = targets[i], origin = tau - horizon;
        early += o->method == CC_BASELINE_SEASONAL && tau - period < 0;
        late += o->method == CC_BASELINE_SEASONAL && tau - period >= 0 && tau - period > origin;
        short_k += o->method == CC_BASELINE_HISTAVG && o->k > 0 && origin + 1 < o->k;
    }
    if (early)
        fprintf(stderr, "crimecast baseline: note: %d of the %d target bins have no bin a year (%d bins) before them in "
                "the tensor: seasonal forecasts them as histavg does\n", early, n, period);
    if (late) /* --horizon past a year: that bin comes after the forecast origin */
        fprintf(stderr, "crimecast baseline: note: for %d of the %d target bins the bin a year (%d bins) before them "
                "comes after their origin (--horizon %d): seasonal forecasts them as histavg does\n", late, n, period,
                horizon);
    if (short_k)
        fprintf(stderr, "crimecast baseline: note: %d of the %d target bins have fewer than %d bins up to their origin: "
                "%s averages those there are\n", short_k, n, o->k, model);
}

/* rf's forests and ETAS's parameters are fitted on the training span (and ETAS's
 * --background auto chosen on the validation span): a forecast of those bins (--span all,
 * val) scores in-sample there, as kde's note says of its choice; they said nothing (rf's
 * training-span MSE was under half its test MSE; a probe). */
static void note_in_sample(const cc_baseline_request *r, const cc_split *split, const int *targets, int n) {
    int fit_end = cc_split_fit_end(split), chose = !strcmp(r->method, "etas") && (!r->background ||
                                                                                !strcmp(r->background, "auto"));
    int fitted = 0, chosen = 0;
    for (int i = 0; i < n; i++) {
        fitted += targets[i] < fit_end;
        chosen += chose && targets[i] >= split->first[CC_SPAN_VAL] && targets[i] < split->end[CC_SPAN_VAL];
    }
    if (fitted + chosen == 0) return;
    char in_fit[160] = "", in_choice[160] = "";
    if (fitted) snprintf(in_fit, sizeof in_fit, "%d in the training span %s was fitted on", fitted, r->method);
    if (chosen)
        snprintf(in_choice, sizeof in_choice, "%d in the validation span its --background auto was chosen on", chosen);
    fprintf(stderr, "crimecast baseline: note: of the %d bins this forecast covers, %s%s%s: its scores there are "
            "in-sample (compare it on --span test)\n", n, in_fit, fitted && chosen ? ", and " : "", in_choice);
}

/* The last bins a method reads to forecast the bin after the tensor: persistence 1,
 * histavg and kde their K (all: every bin), rf its lags. seasonal reads the bin a year
 * before the target, and etas the store's events with a level from the year before the
 * origin: neither is said of here (0). */
static int recent_bins_read(const cc_baseline_request *r, const cc_baseline_options *o, const cc_tensor *t) {
    int n = !strcmp(r->method, "persistence")                          ? 1
            : !strcmp(r->method, "histavg") || !strcmp(r->method, "kde") ? (o->k > 0 ? o->k : t->T)
            : !strcmp(r->method, "rf")                                   ? r->lags
                                                                         : 0;
    return n < t->T ? n : t->T;
}

/* --span next: the bins the baseline reads before the bin forecast, far below the bins
 * before them (host/short_bins.h), are records the store lacks that it takes for quiet
 * bins (predict said so and baseline did not: a histavg of a tensor with 11 empty weeks of
 * 52 forecast next week low, unsaid; a probe). */
static void warn_gap_before_next(const cc_baseline_request *r, const cc_baseline_options *o, const cc_tensor *t,
                                 const char *model) {
    cc_short_bins low;
    int reads = recent_bins_read(r, o, t);
    if (strcmp(r->span.span, "next") != 0 || reads == 0 || cc_find_short_bins(t, t->T - reads, t->T - 1, &low) == 0)
        return;
    const char *bin = cc_bin_kind_name(t->bin);
    char which[128];
    if (reads > 1)
        snprintf(which, sizeof which, "%d of the last %d %ss %s reads %s", low.count, reads, bin, model,
                 low.count == 1 ? "is" : "are");
    else snprintf(which, sizeof which, "the last %s, which %s reads, is", bin, model);
    fprintf(stderr, "crimecast baseline: warning: %s: for the %s --span next forecasts, %s far below the %ss before %s: "
            "%s; records the store lacks (not yet published or crawled, or a raster past its end), which it takes for "
            "quiet %ss, or a real fall (a holiday, a lockdown)? Raster up to the last %s the store holds whole\n",
            r->data, bin, which, bin, low.count == 1 ? "it" : "them", low.listed, bin, bin);
}

static int write_baseline(const cc_baseline_request *r, const cc_tensor *t, FILE *out, char *err, size_t err_len) {
    cc_split split;
    int chooses = !strcmp(r->method, "kde") && !r->bandwidth.given && !(r->half_life > 0);
    int fits = !strcmp(r->method, "rf") || !strcmp(r->method, "etas") || chooses;
    int *targets = NULL, n = cc_forecast_targets(&r->span, t, fits, &split, &targets, err, err_len);
    if (n < 0 && chooses && !strcmp(r->span.span, "next") && strlen(err) + 1 < err_len)
        snprintf(err + strlen(err), err_len - strlen(err), " (kde chooses its bandwidth and half-life on the "
                 "validation span; given --bandwidth or --half-life, the other its default, it forecasts the next bin of "
                 "any tensor)");
    if (n < 0) return -1;
    size_t map = (size_t)t->C * t->H * t->W;
    int64_t *times = malloc(sizeof(int64_t) * (size_t)n);
    float *values = malloc(sizeof(float) * map * (size_t)n);
    int status = -1;
    if (!times || !values) {
        snprintf(err, err_len, "out of memory for %d forecasts", n);
    } else {
        for (int i = 0; i < n; i++) times[i] = cc_tensor_bin_start(t, targets[i]); /* next: past the last */
        cc_baseline_options o = naive_options(r, t);
        char model[64], source[8300];
        model_name(r, &o, cc_baseline_default_k(t->bin), model, sizeof model);
        snprintf(source, sizeof source, "%s on %s, %s span", model, r->data, r->span.span);
        cc_etas_record record = {0};
        double chosen[3];
        cc_file_attribute kde_attributes[1] = {{"kde_chosen", NULL, 0, chosen, 3}};
        if (o.method == CC_BASELINE_KDE && !strcmp(r->method, "kde") && !r->bandwidth.given && !(r->half_life > 0)) {
            if (choose_kde(t, &split, &o, chosen, out, err, err_len) != 0) {
                free(targets), free(times), free(values);
                return -1;
            }
            if (!strcmp(r->span.span, "val") || !strcmp(r->span.span, "all"))
                fprintf(stderr, "crimecast baseline: note: kde's bandwidth and half-life were chosen on the "
                        "validation bins this forecast covers: its scores there are in-sample (give --bandwidth and "
                        "--half-life to compare it fairly there)\n");
            model_name(r, &o, cc_baseline_default_k(t->bin), model, sizeof model);
            snprintf(source, sizeof source, "%s on %s, %s span", model, r->data, r->span.span);
            record.attributes = kde_attributes, record.count = 1;
        }
        int etas = !strcmp(r->method, "etas");
        warn_gap_before_next(r, &o, t, model);
        if (!etas && strcmp(r->method, "rf") != 0) note_short_history(&o, t, targets, n, r->span.horizon, model);
        else note_in_sample(r, &split, targets, n);
        cc_etas_background background = !r->background || !strcmp(r->background, "auto") ? CC_ETAS_BACKGROUND_AUTO
                                        : !strcmp(r->background, "constant")                ? CC_ETAS_BACKGROUND_CONSTANT
                                                                                            : CC_ETAS_BACKGROUND_MODULATED;
        cc_etas_baseline_options eo = {r->db, r->bandwidth.given ? r->bandwidth.value : 0, r->iterations,
                                       background, r->threads};
        int made = etas ? cc_etas_baseline(t, &split, targets, n, r->span.horizon, &eo, values, &record, out, err,
                                           err_len)
                        : forecast(r, t, &split, &o, targets, n, values, out, err, err_len);
        if (made == CC_ETAS_NOT_TIMED) status = CC_ETAS_NOT_TIMED;
        cc_forecast_label label = {model, r->span.horizon, source, r->command};
        if (made == 0 && cc_forecast_write_with(r->out, t, values, times, n, &label, record.attributes, record.count,
                                                err, err_len) == 0) {
            fprintf(out, "%s: %s, %d %s bins x %d channels x %d x %d\n", r->out, model, n, cc_bin_kind_name(t->bin),
                    t->C, t->H, t->W);
            status = 0;
        }
        if (etas) cc_etas_record_free(&record);
    }
    free(targets), free(times), free(values);
    return status;
}

int cc_run_baseline(const cc_baseline_request *r, FILE *out, char *err, size_t err_len) {
    /* before a fit of minutes (ETAS, rf) */
    if (cc_hdf5_replace_check(r->out, "crimecast-forecast", err, err_len) != 0) return -1;
    cc_tensor t;
    if (cc_tensor_read(r->data, "counts", &t, err, err_len) != 0) return -1; /* it refuses a mask without a cell */
    cc_tensor_index_nonzeros(&t); /* faster historical averages when the counts are sparse; optional */
    int status = write_baseline(r, &t, out, err, err_len);
    cc_tensor_free(&t);
    return status;
}
