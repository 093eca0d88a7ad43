/* crimecast baseline: naive forecasts in the forecast file format. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "heatmaps/chart.h"
#include "host/cli.h"
#include "host/tensor_file.h"
#include "models/baselines.h"
#include "models/dataset.h"
#include "models/rf.h"
#include "models/rf_importance.h"

static const char BASELINE_HELP[] =
    "usage: crimecast baseline --method persistence|histavg|seasonal|kde|rf --data TENSOR.h5 --out FORECAST.h5\n"
    "                          [--span test|val|all] [--window 8] [--horizon 1] [--test-from DATE]\n"
    "                          [--k K|all] [--bandwidth METRES] [--half-life BINS]\n"
    "                          [--trees N] [--depth N] [--lags N] [--seed N] [--threads N]\n"
    "                          [--export-features PREFIX] [--importance FILE.csv]\n"
    "                          [--importance-png FILE.png] [--importance-repeats R]\n\n"
    "Writes a naive forecast for the same target bins `crimecast predict` forecasts (the same\n"
    "split, window and horizon), from the bins up to each forecast origin only:\n"
    "  persistence  the last observed bin\n"
    "  histavg      the mean of the last K bins (default 52 weeks / 12 months / 28 days;\n"
    "               --k all: every bin up to the origin)\n"
    "  seasonal     the same bin a year earlier (histavg where there is none)\n"
    "  kde          the last K bins, halving in weight every --half-life bins (default K/4),\n"
    "               smoothed with a Gaussian of --bandwidth metres (default: one cell)\n"
    "  rf           a random forest (XGBoost, random-forest mode) per category on lag,\n"
    "               neighbourhood, seasonal and position features, fitted on the training\n"
    "               span: --trees 100 --depth 10 --lags 8 --seed 1 --threads N (default: one\n"
    "               per CPU; the trees are spread over the threads);\n"
    "               --export-features PREFIX writes PREFIX_train.csv and PREFIX_test.csv\n"
    "               (channel 0's feature matrix and targets);\n"
    "               --importance FILE.csv writes each forest's permutation feature importance\n"
    "               on the target bins --span val forecasts: the increase of the forecast's mean\n"
    "               squared error when one feature's column is shuffled across the rows, mean\n"
    "               and standard deviation over --importance-repeats shuffles (default 5);\n"
    "               columns category,feature,importance_mean,importance_std,baseline_mse, most\n"
    "               important first within each category;\n"
    "               --importance-png FILE.png draws channel 'all' as bars with +-std whiskers\n"
    "               (and each further category in FILE-CATEGORY.png)\n";

/* One CSV of rows: the features, the target, the target bin and the cell. */
static int write_rows(const char *path, const cc_tensor *t, const cc_split *split, const cc_rf_options *rf,
                      const int *targets, int n, char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf);
    size_t cells = cc_tensor_mask_cells(t);
    float *f = malloc(sizeof(float) * cells * (size_t)n * p), *y = malloc(sizeof(float) * cells * (size_t)n);
    FILE *out = fopen(path, "w");
    if (!f || !y || !out) {
        snprintf(err, err_len, "%s: cannot write the feature matrix", path);
        free(f), free(y);
        if (out) fclose(out);
        return -1;
    }
    size_t rows = cc_rf_rows(t, split, rf, 0, targets, n, f, y);
    char name[64];
    for (int i = 0; i < p; i++) fprintf(out, "%s,", cc_rf_feature_name(rf, i, name, sizeof name));
    fprintf(out, "target,bin,cell\n");
    for (size_t r = 0; r < rows; r++) {
        for (int i = 0; i < p; i++) fprintf(out, "%.9g,", f[r * p + i]);
        fprintf(out, "%.9g,%d,%zu\n", y[r], targets[r / cells], r % cells);
    }
    free(f), free(y);
    return fclose(out) == 0 ? 0 : -1;
}

static int export_features(const char *prefix, const cc_tensor *t, const cc_split *split, const cc_rf_options *rf,
                           const int *targets, int n, char *err, size_t err_len) {
    char path[4200];
    int *train = malloc(sizeof(int) * (size_t)t->T);
    int n_train = cc_rf_training_targets(split, rf, train);
    snprintf(path, sizeof path, "%s_train.csv", prefix);
    int status = write_rows(path, t, split, rf, train, n_train, err, err_len);
    snprintf(path, sizeof path, "%s_test.csv", prefix);
    if (status == 0) status = write_rows(path, t, split, rf, targets, n, err, err_len);
    free(train);
    return status;
}

/* The importance CSV: one row per category x feature, most important first. */
static int write_importance_csv(const char *path, const cc_tensor *t, const cc_rf_options *rf,
                                const cc_rf_importance *imp, char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf);
    int *order = malloc(sizeof(int) * (size_t)p);
    FILE *out = order ? fopen(path, "w") : NULL;
    if (!out) {
        snprintf(err, err_len, "%s: cannot write the importance table", path);
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
    if (fclose(out) == 0) return 0;
    snprintf(err, err_len, "%s: cannot write the importance table", path);
    return -1;
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
static int validation_targets(const cc_tensor *t, const cc_split *split, int window, int horizon, int *targets) {
    int n = cc_split_samples(split, CC_SPAN_VAL, t->T, window, horizon);
    for (int i = 0; i < n; i++) targets[i] = cc_split_target(split, CC_SPAN_VAL, i, window, horizon);
    return n > 0 ? n : 0;
}

/* The rf forecast, its fitting times and, when asked, its importance files. */
static int rf_forecast(const cc_tensor *t, const cc_split *split, const cc_rf_options *rf, int window,
                       const int *targets, int n, float *values, int repeats, const char *csv, const char *png,
                       char *err, size_t err_len) {
    int p = cc_rf_feature_count(rf), want = csv || png;
    size_t per_feature = (size_t)t->C * p;
    double *fit = calloc((size_t)t->C, sizeof(double));
    int *val = malloc(sizeof(int) * (size_t)t->T);
    cc_rf_importance imp = {val, val ? validation_targets(t, split, window, rf->horizon, val) : 0, repeats,
                            calloc((size_t)t->C, sizeof(double)), calloc(per_feature, sizeof(double)),
                            calloc(per_feature, sizeof(double))};
    int status = fit && val && imp.baseline_mse && imp.mean && imp.std ? 0 : -1;
    if (status) snprintf(err, err_len, "out of memory");
    if (!status) status = cc_rf_forecast(t, split, rf, targets, n, values, fit, want ? &imp : NULL, err, err_len);
    for (int c = 0; !status && c < t->C; c++)
        printf("rf: forest for '%s' (%d trees, depth %d) fitted in %.3f s\n", t->categories[c], rf->trees, rf->depth,
               fit[c]);
    if (!status && csv) status = write_importance_csv(csv, t, rf, &imp, err, err_len);
    if (!status && png) status = write_importance_png(png, t, rf, &imp, err, err_len);
    if (!status && want)
        printf("rf: permutation importance on the validation span (%d shuffles per feature)%s%s%s%s\n", repeats,
               csv ? ": " : "", csv ? csv : "", png ? " " : "", png ? png : "");
    free(fit), free(val), free(imp.baseline_mse), free(imp.mean), free(imp.std);
    return status;
}

int cc_cmd_baseline(int argc, char **argv) {
    static const struct option OPTIONS[] = {
        {"method", required_argument, NULL, 'm'}, {"data", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},    {"span", required_argument, NULL, 's'},
        {"window", required_argument, NULL, 'w'}, {"horizon", required_argument, NULL, 'z'},
        {"test-from", required_argument, NULL, 'T'}, {"k", required_argument, NULL, 'k'},
        {"bandwidth", required_argument, NULL, 'b'}, {"half-life", required_argument, NULL, 'l'},
        {"trees", required_argument, NULL, 'N'}, {"depth", required_argument, NULL, 'D'},
        {"lags", required_argument, NULL, 'L'}, {"seed", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 't'}, {"export-features", required_argument, NULL, 'x'},
        {"importance", required_argument, NULL, 'I'}, {"importance-png", required_argument, NULL, 'P'},
        {"importance-repeats", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *method_name = NULL, *data = NULL, *out = NULL, *test_from = NULL, *k_text = NULL;
    cc_span span = CC_SPAN_TEST;
    int window = 8, horizon = 1;
    double bandwidth = -1, half_life = -1;
    cc_rf_options rf = {100, 10, 8, 1, 0, 1};
    const char *export_prefix = NULL, *importance_csv = NULL, *importance_png = NULL;
    int importance_repeats = 5;
    int *rf_field = NULL;
    int rf_is_rf = 0;
    optind = 0;
    opterr = 0;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'm': method_name = optarg; break;
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 'T': test_from = optarg; break;
        case 'k': k_text = optarg; break;
        case 's':
            if (cc_span_parse(optarg, &span) != 0 || span == CC_SPAN_TRAIN)
                return cc_usage_error("baseline", "--span must be test, val or all (got '%s')", optarg);
            break;
        case 'w':
            window = (int)strtol(optarg, &end, 10);
            if (*end || window < 1) return cc_usage_error("baseline", "--window must be >= 1");
            break;
        case 'z':
            horizon = (int)strtol(optarg, &end, 10);
            if (*end || horizon < 1) return cc_usage_error("baseline", "--horizon must be >= 1");
            break;
        case 'b':
            bandwidth = strtod(optarg, &end);
            if (*end || !(bandwidth >= 0)) return cc_usage_error("baseline", "--bandwidth must be metres >= 0");
            break;
        case 'l':
            half_life = strtod(optarg, &end);
            if (*end || !(half_life > 0)) return cc_usage_error("baseline", "--half-life must be > 0 bins");
            break;
        case 'N': rf_field = &rf.trees; break;
        case 'D': rf_field = &rf.depth; break;
        case 'L': rf_field = &rf.lags; break;
        case 't': rf_field = &rf.threads; break;
        case 'S': rf.seed = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'x': export_prefix = optarg; break;
        case 'I': importance_csv = optarg; break;
        case 'P': importance_png = optarg; break;
        case 'R': rf_field = &importance_repeats; break;
        case 'h': fputs(BASELINE_HELP, stdout); return CC_EXIT_OK;
        default: return cc_usage_error("baseline", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
        if (rf_field) { /* --trees, --depth, --lags, --threads, --importance-repeats */
            *rf_field = (int)strtol(optarg, &end, 10);
            if (*end || *rf_field < (rf_field == &rf.threads ? 0 : 1) || *rf_field > 100000)
                return cc_usage_error("baseline", "'%s' is not a valid count", optarg);
            rf_field = NULL;
        }
    }
    if (optind < argc) return cc_usage_error("baseline", "unexpected argument '%s'", argv[optind]);
    cc_baseline_options o = {0};
    rf_is_rf = method_name && !strcmp(method_name, "rf");
    if (!method_name || (!rf_is_rf && cc_baseline_parse(method_name, &o.method) != 0))
        return cc_usage_error("baseline", "--method must be persistence, histavg, seasonal, kde or rf");
    if (!data || !out) return cc_usage_error("baseline", "--data and --out are required");
    if ((importance_csv || importance_png || export_prefix) && !rf_is_rf)
        return cc_usage_error("baseline", "--export-features and --importance* need --method rf");
    o.horizon = horizon;
    if (k_text && strcmp(k_text, "all") != 0) {
        o.k = (int)strtol(k_text, &end, 10);
        if (*end || o.k < 1) return cc_usage_error("baseline", "--k must be a number of bins or 'all'");
    }
    char err[1024];
    cc_tensor t;
    if (cc_tensor_read(data, "counts", &t, err, sizeof err) != 0) {
        fprintf(stderr, "crimecast baseline: %s\n", err);
        return CC_EXIT_FAILURE;
    }
    if (!k_text) o.k = cc_baseline_default_k(t.bin);
    o.bandwidth_m = bandwidth >= 0 ? bandwidth : t.cell;
    o.half_life = half_life > 0 ? half_life : (o.k > 0 ? o.k : cc_baseline_default_k(t.bin)) / 4.0;
    int first_test = -1;
    if (test_from) {
        int64_t day;
        if (cc_parse_iso_date(test_from, &day) != 0) return cc_usage_error("baseline", "--test-from is not a date");
        first_test = cc_first_bin_from(&t, day);
    }
    cc_split split;
    int status = CC_EXIT_FAILURE;
    if (cc_split_make(t.T, window, horizon, first_test, &split, err, sizeof err) == 0) {
        int n = cc_split_samples(&split, span, t.T, window, horizon);
        size_t map = (size_t)t.C * t.H * t.W;
        int *targets = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
        int64_t *times = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
        float *values = malloc(sizeof(float) * map * (size_t)(n > 0 ? n : 1));
        for (int i = 0; i < n; i++) {
            targets[i] = cc_split_target(&split, span, i, window, horizon);
            times[i] = t.time[targets[i]];
        }
        char model[64], source[8300];
        if (rf_is_rf)
            snprintf(model, sizeof model, "rf-%d", rf.trees);
        else if (o.method == CC_BASELINE_HISTAVG && o.k == 0)
            snprintf(model, sizeof model, "histavg-all");
        else if (o.method == CC_BASELINE_HISTAVG)
            snprintf(model, sizeof model, "histavg-%d", o.k);
        else if (o.method == CC_BASELINE_KDE)
            snprintf(model, sizeof model, "kde-%.0fm", o.bandwidth_m);
        else
            snprintf(model, sizeof model, "%s", cc_baseline_name(o.method));
        snprintf(source, sizeof source, "%s on %s, %s span", model, data, cc_span_name(span));
        if (n <= 0) {
            snprintf(err, sizeof err, "the %s span holds no target bin", cc_span_name(span));
        } else {
            int ok = 1;
            rf.horizon = horizon;
            if (rf_is_rf && export_prefix) ok = export_features(export_prefix, &t, &split, &rf, targets, n, err, sizeof err) == 0;
            if (ok && rf_is_rf)
                ok = rf_forecast(&t, &split, &rf, window, targets, n, values, importance_repeats, importance_csv,
                                 importance_png, err, sizeof err) == 0;
            if (ok && !rf_is_rf) cc_baseline_forecast(&t, &o, targets, n, values);
            if (ok && cc_forecast_write(out, &t, values, times, n, model, horizon, source, err, sizeof err) == 0) {
                printf("%s: %s, %d %s bins x %d channels x %d x %d\n", out, model, n, t.bin, t.C, t.H, t.W);
                status = CC_EXIT_OK;
            }
        }
        free(targets), free(times), free(values);
    }
    if (status != CC_EXIT_OK) fprintf(stderr, "crimecast baseline: %s\n", err);
    cc_tensor_free(&t);
    return status;
}
