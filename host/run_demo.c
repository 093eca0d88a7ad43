/* host/run_demo.h: the steps call the pipeline functions directly (no command line in
 * between), each writing its report into DIR/demo.log; progress goes to stderr. */
#include "host/run_demo.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crawler/datetime.h"
#include "crawler/store.h"
#include "crawler/whole_file.h"
#include "heatmaps/panels.h"
#include "kernels/device.h"
#include "heatmaps/tensor_file.h"
#include "host/defaults.h"
#include "host/metrics_table.h"
#include "host/progress.h"
#include "host/baseline_etas.h"
#include "host/city_check.h"
#include "host/run_baseline.h"
#include "host/run_eval.h"
#include "host/run_import.h"
#include "host/run_predict.h"
#include "host/run_raster.h"
#include "host/run_report.h"
#include "host/html_report.h"
#include "host/run_synth.h"
#include "host/run_train.h"
#include "host/stderr_tee.h"
#include "models/metrics.h"

static const cc_option DEMO_OPTIONS[] = {
    {CC_OPTION_TEXT("out", cc_demo_request, out, "DIR", "crimecast-demo", "where everything is written"),
     .file = CC_FILE_WRITTEN},
    {CC_OPTION_TEXT("city", cc_demo_request, city, "CITY", NULL,
                    "a real city whose record files (--file) replace the synthetic city (no oracle then)")},
    {CC_OPTION_LIST("file", cc_demo_request, files, file_count, CC_DEMO_MAX_FILES, "FILE",
                    "a record file of --city (also as operands)"), .file = CC_FILE_READ},
    {CC_OPTION_FLAG("quick", cc_demo_request, quick,
                    "a smaller city and model: about 20 seconds on two CPU cores instead of four minutes (with "
                    "--city: a smaller model, and the last two years of weekly records)")},
    {CC_OPTION_INT("seed", cc_demo_request, seed, "S", CC_DEFAULT_SEED, 0, 2000000000,
                   "the seed of the synthetic city, the network and the forest")},
};

static const cc_option DEMO_OPERANDS = {
    CC_OPTION_LIST("", cc_demo_request, files, file_count, CC_DEMO_MAX_FILES, "FILE...", "more record files of --city"),
     .file = CC_FILE_READ};

static int check_request(void *request, char *why, size_t why_len) {
    const cc_demo_request *r = request;
    if (r->file_count && !r->city) { /* a file given as an operand named no --file */
        snprintf(why, why_len, "record files (%s, ...) need --city, the city they are of", r->files[0]);
        return -1;
    }
    if (r->city && !r->file_count) {
        snprintf(why, why_len, "--city %s needs its record files (--file FILE, or the files after the options)",
                 r->city);
        return -1;
    }
    if (r->city && cc_city_check(r->city, CC_CITY_RECORDED, why, why_len) != 0) return -1; /* as import's */
    return cc_device_request_check(&r->device, why, why_len);
}

static const cc_option_group DEMO_GROUPS[] = {
    {"options", CC_OPTION_ROWS(DEMO_OPTIONS), 0},
    CC_DEVICE_GROUP(cc_demo_request, device),
};

const cc_command_spec CC_DEMO_SPEC = {
    .name = "demo",
    .synopsis = "[--out DIR] [--city CITY --file FILE...] [--device auto|cpu|cuda] [--threads N] [--quick] [--seed S]",
    .description =
        "Runs crimecast's whole job and writes everything into DIR:\n"
        "  without --city: a synthetic city (`crimecast synth`: a self-exciting point process\n"
        "  with a known optimum), nine years; with --city and --file: those record files\n"
        "  imported instead (no oracle then).\n"
        "  Then: raster (weekly, 32 x 32; monthly for London) -> train a ConvLSTM -> predict the\n"
        "  test span -> the baselines persistence, histavg, seasonal, kde, rf, etas (and the oracle)\n"
        "  -> eval -> pictures -> report.\n"
        "Writes: crimecast.db, tensor.h5, model.h5, forecasts/<method>.h5, metrics.csv, roc.png,\n"
        "training.png, panels/<date>.png (truth, ConvLSTM, random forest, historical average\n"
        "and the ConvLSTM's absolute error, one colour scale), report.md, report.html (the same,\n"
        "pictures inside) and demo.log (what the steps reported). Ends by printing the\n"
        "comparison table. A run first removes the files of these names in DIR (an earlier\n"
        "demo's, which a failed or stopped run would leave beside its own); the store is kept\n"
        "or started afresh as the README says.\n",
    .request_size = sizeof(cc_demo_request),
    .groups = DEMO_GROUPS,
    .group_count = 2,
    .operands = &DEMO_OPERANDS,
    .check = check_request,
};

void cc_demo_request_defaults(cc_demo_request *r) { cc_options_defaults(&CC_DEMO_SPEC, r); }

enum { PATH_LEN = 4096, MAX_MODELS = 8, GRID_CELLS = 32 };

/* The synthetic city's span and the model's size (the rest is each command's default). */
typedef struct demo_size {
    const char *from, *to;
    const char *hidden;          /* train's --hidden */
    int kernel, window, epochs, patience, trees;
    int skip;                    /* train's --skip on the synthetic city: see skip_path */
} demo_size;

static const demo_size FULL = {"2013-01-07", "2022-01-03", "16,16", 3, 4, 40, 6, 100, 3};
static const demo_size QUICK = {"2020-01-06", "2022-01-03", "8,8", 3, 4, 8, 3, 30, 1};

typedef struct demo {
    const cc_demo_request *request;
    const char *dir;
    int synthetic;
    const demo_size *size;
    int skip;
    char from[11], to[11], bin[8];
    char store[PATH_LEN], tensor[PATH_LEN], model[PATH_LEN], log_path[PATH_LEN], metrics[PATH_LEN];
    FILE *log;
    cc_metrics_table *table;     /* eval's figures */
    int baseline;                /* the baseline the current step runs */
    int without_etas;            /* the incidents are not timed finer than the bins */
    int steps, step;
    double started;
    char warnings[2048];         /* the steps' warning lines (stderr, caught in the log), for the reports */
    char notes[8192];            /* eval's notes on the scores, for the reports */
    long long held_before;       /* incidents of a real --city the store held before the import */
    char *made_by;               /* the step's forecast's created_by: the demo's command and the step */
    char *err;                   /* the caller's: why the run stopped */
    size_t err_len;
} demo;

/* The models compared, in table order; forecasts/<name>.h5 each. */
static const char *const BASELINES[] = {"persistence", "histavg", "seasonal", "kde", "rf", "etas"};
enum { BASELINE_COUNT = sizeof BASELINES / sizeof BASELINES[0] };

static void join(char *out, const demo *d, const char *name) { snprintf(out, PATH_LEN, "%s/%s", d->dir, name); }

/* The files a run writes in DIR besides the store, the log and forecasts/ and panels/:
 * one list, which the steps write and a new run removes first (clear_earlier_outputs). */
typedef enum demo_output { TENSOR, MODEL, METRICS, ROC, TRAINING, REPORT_MD, REPORT_HTML, OUTPUT_COUNT } demo_output;
static const char *const OUTPUT_NAMES[OUTPUT_COUNT] = {
    [TENSOR] = "tensor.h5", [MODEL] = "model.h5", [METRICS] = "metrics.csv", [ROC] = "roc.png",
    [TRAINING] = "training.png", [REPORT_MD] = "report.md", [REPORT_HTML] = "report.html"};

static void join_output(char *out, const demo *d, demo_output which) { join(out, d, OUTPUT_NAMES[which]); }

static void forecast_path(char *out, const demo *d, const char *model) {
    snprintf(out, PATH_LEN, "%s/forecasts/%s.h5", d->dir, model);
}

static int make_dir(const char *path, char *err, size_t err_len) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    snprintf(err, err_len, "cannot create directory %.1000s: %s", path, strerror(errno));
    return -1;
}

/* A step: one pipeline call on the demo's files, reporting into the log. 0 or -1 with err. */
typedef int (*demo_step)(demo *d, FILE *log, char *err, size_t err_len);

/* Runs a step between its progress lines; `command` heads its part of the log, which
 * also takes what the step writes to stderr (its notes and warnings: demo.log is "what
 * each step printed"; the terminal still shows them, the warnings kept for the reports:
 * host/stderr_tee.h). On a failure d->err says which step and why. */
static int run_step(demo *d, const char *what, const char *command, demo_step step) {
    double start = cc_now_seconds();
    fprintf(stderr, "[%d/%d] %s ...\n", ++d->step, d->steps, what);
    fprintf(d->log, "\n$ crimecast %s ...\n", command);
    fflush(d->log), fflush(stderr);
    cc_stderr_tee tee;
    int teed = cc_stderr_tee_begin(&tee, fileno(d->log), d->warnings, sizeof d->warnings) == 0;
    char err[4096] = "";
    const char *demo_command = d->request->command;
    size_t made_by_len = demo_command ? strlen(demo_command) + strlen(command) + 32 : 0;
    d->made_by = demo_command ? malloc(made_by_len) : NULL; /* NULL: the forecast names the version alone */
    if (d->made_by) snprintf(d->made_by, made_by_len, "%s (its step crimecast %s)", demo_command, command);
    int status = step(d, d->log, err, sizeof err);
    free(d->made_by), d->made_by = NULL;
    fflush(d->log), fflush(stderr);
    if (teed) cc_stderr_tee_end(&tee);
    if (status == 0) fprintf(stderr, "      done in %.1f s\n", cc_now_seconds() - start);
    else
        snprintf(d->err, d->err_len, "step '%s' failed: %.2000s (its output is in %.1000s; the demo sets its steps' "
                 "options itself: to change them, run the steps as commands - README, 'Working with real data')",
                 what, err, d->log_path);
    return status;
}

/* ------------------------------------------------------------------ data */

/* The store's incidents: of `city` (*own) and of every city (*all). 0, or -1 when there
 * is no store or it cannot be read. */
static int count_stored(const char *path, const char *city, long long *own, long long *all) {
    char ignored[256];
    if (access(path, F_OK) != 0) return -1;
    cc_store *store = cc_store_open_to_read(path, ignored, sizeof ignored);
    if (!store) return -1;
    *own = cc_store_count(store, city), *all = cc_store_count(store, NULL);
    cc_store_close(store);
    return *own >= 0 && *all >= 0 ? 0 : -1;
}

/* The synthetic demo's store is its own product: one holding nothing but a synthetic
 * city (an earlier demo's, perhaps of another --seed or --quick, whose incidents synth
 * would refuse to mix with this run's; simulated again in a second or two) is started
 * afresh, and said. One that may not be written is kept (one holding other cities'
 * records too was refused: store_of_no_other_city). 0, or -1 with err. */
static int start_synthetic_store(demo *d, int *kept_own, char *err, size_t err_len) {
    long long own = 0, all = 0;
    const char *city = CC_SYNTH_CITY;
    *kept_own = 0;
    if (count_stored(d->store, city, &own, &all) != 0 || all == 0) return 0; /* none, or nothing in it */
    if (access(d->store, W_OK) != 0) { /* (other cities' records were refused: store_of_no_other_city) */
        *kept_own = own > 0;
        return 0;
    }
    char side[PATH_LEN + 8];
    if (unlink(d->store) != 0) {
        snprintf(err, err_len, "cannot replace %.1000s: %s", d->store, strerror(errno));
        return -1;
    }
    snprintf(side, sizeof side, "%s-wal", d->store), unlink(side);
    snprintf(side, sizeof side, "%s-shm", d->store), unlink(side);
    /* said, not warned: the reports list the steps' warnings as what their figures are read
     * against, and an earlier demo's store replaced is none of that (a probe) */
    fprintf(stderr, "crimecast demo: %s held only an earlier demo's incidents of %s: started afresh\n", d->store,
            city);
    return 0;
}

static int synthesise(demo *d, FILE *log, char *err, size_t err_len) {
    int kept_own;
    if (start_synthetic_store(d, &kept_own, err, err_len) != 0) return -1;
    cc_synth_request r;
    cc_synth_request_defaults(&r);
    r.db = d->store, r.seed = (uint64_t)d->request->seed, r.from = d->from, r.to = d->to;
    int status = cc_run_synth(&r, log, err, err_len);
    if (status != 0 && kept_own && strlen(err) + 1 < err_len) /* two runs mixed */
        snprintf(err + strlen(err), err_len - strlen(err), "; for the demo, give another --out");
    return status;
}

/* The span of a real city's records: from its first day to the day after its last
 * (raster drops the partial bins at either end), or to the end of its last month where
 * the bins are months (police.uk dates every record to its month's first day: the day
 * after held the last month as a partial bin, and dropped it); with --quick and weeks,
 * its last two years. */
static int stored_span(demo *d, char *err, size_t err_len) {
    char first[17], last[17];
    cc_store *store = cc_store_open(d->store, err, err_len);
    if (!store) return -1;
    int found = cc_store_time_range(store, d->request->city, first, last);
    cc_store_close(store);
    if (found != 0) { /* 1: none there; -1: SQLite could not say */
        snprintf(err, err_len, found > 0 ? "%.1000s holds no incident of %.64s"
                                         : "%.1000s: cannot read the time span of %.64s's incidents (a damaged store?)",
                 d->store, d->request->city);
        return -1;
    }
    int64_t day;
    first[10] = last[10] = 0;
    if (cc_parse_iso_date(last, &day) != 0) {
        snprintf(err, err_len, "%.1000s: the last incident's time '%s' is not a date", d->store, last);
        return -1;
    }
    memcpy(d->from, first, sizeof d->from); /* the date part, NUL included */
    snprintf(d->bin, sizeof d->bin, "%s", strcmp(d->request->city, "london") ? "week" : "month");
    int64_t to = strcmp(d->bin, "month") ? day + 1 : cc_bin_end(CC_BIN_MONTH, day); /* the month after day's */
    cc_format_iso_date(to, d->to);
    /* --quick: 104 weeks; months are left whole (two years of them train on 13 windows,
     * fewer than a batch) */
    char two_years[11];
    cc_format_iso_date(to - 7 * 104, two_years);
    if (d->request->quick && strcmp(d->bin, "week") == 0 && strcmp(two_years, d->from) > 0)
        memcpy(d->from, two_years, sizeof d->from);
    return 0;
}

/* The record files into the store; their per-file report is worth seeing, so it goes to
 * stdout rather than the log. */
static int import_files(demo *d, FILE *log, char *err, size_t err_len) {
    (void)log;
    /* a real city's store is never removed (it may be an analyst's crawl): records of the
     * city already there are counted with these files, and the reports say so */
    long long all = 0;
    if (count_stored(d->store, d->request->city, &d->held_before, &all) != 0) d->held_before = 0;
    if (d->held_before > 0)
        fprintf(stderr, "crimecast demo: warning: %s already holds %lld incidents of %s: they are counted with these "
                "files (a fresh --out counts these alone)\n", d->store, d->held_before, d->request->city);
    cc_import_request r;
    cc_import_request_defaults(&r);
    r.city = d->request->city, r.db = d->store;
    for (int i = 0; i < d->request->file_count; i++) r.files[r.file_count++] = d->request->files[i];
    fflush(stdout);
    return cc_run_import(&r, stdout, err, err_len) == 0 ? stored_span(d, err, err_len) : -1;
}

static int raster(demo *d, FILE *log, char *err, size_t err_len) {
    cc_raster_request r;
    cc_raster_request_defaults(&r);
    r.city = d->synthetic ? CC_SYNTH_CITY : d->request->city, r.db = d->store, r.from = d->from, r.to = d->to;
    r.bin = d->bin, r.grid = GRID_CELLS, r.out = d->tensor;
    return cc_run_raster(&r, log, err, err_len);
}

/* ------------------------------------------------------------------ model and baselines */

static int train(demo *d, FILE *log, char *err, size_t err_len) {
    const demo_size *z = d->size;
    cc_train_request r;
    cc_train_request_defaults(&r);
    if (cc_options_set(&CC_TRAIN_SPEC, &r, "hidden", z->hidden, err, err_len) != 0) return -1;
    r.data = d->tensor, r.out = d->model, r.kernel = z->kernel, r.window = z->window, r.epochs = z->epochs;
    r.patience = z->patience, r.skip = d->skip, r.seed = d->request->seed, r.device = d->request->device;
    return cc_run_train(&r, log, NULL, err, err_len);
}

static int predict(demo *d, FILE *log, char *err, size_t err_len) {
    char forecast[PATH_LEN];
    forecast_path(forecast, d, "convlstm");
    cc_predict_request r;
    cc_predict_request_defaults(&r);
    r.models[r.model_count++] = d->model;
    r.data = d->tensor, r.out = forecast, r.device = d->request->device, r.command = d->made_by;
    return cc_run_predict(&r, log, err, err_len);
}

static int baseline(demo *d, FILE *log, char *err, size_t err_len) {
    char out[PATH_LEN];
    forecast_path(out, d, BASELINES[d->baseline]);
    cc_baseline_request r;
    cc_baseline_request_defaults(&r);
    r.method = BASELINES[d->baseline], r.data = d->tensor, r.out = out;
    r.span.window = d->size->window, r.seed = d->request->seed, r.command = d->made_by;
    if (!strcmp(r.method, "rf")) r.trees = d->size->trees;
    int status = cc_run_baseline(&r, log, err, err_len);
    if (status == CC_ETAS_NOT_TIMED) { /* London's months: the table goes on without it */
        fprintf(log, "etas left out: %s\n", err);
        fprintf(stderr, "      left out: %s\n", err);
        d->without_etas = 1;
        return 0;
    }
    return status;
}

static int oracle(demo *d, FILE *log, char *err, size_t err_len) {
    char out[PATH_LEN];
    forecast_path(out, d, "oracle");
    cc_synth_request r;
    cc_synth_request_defaults(&r);
    r.seed = (uint64_t)d->request->seed, r.from = d->from, r.to = d->to, r.oracle = out, r.data = d->tensor;
    r.span.window = d->size->window, r.command = d->made_by;
    return cc_run_synth(&r, log, err, err_len);
}

static int models(demo *d) {
    if (run_step(d, "training the ConvLSTM", "train", train) != 0 ||
        run_step(d, "ConvLSTM forecasts of the test span", "predict", predict) != 0)
        return -1;
    for (d->baseline = 0; d->baseline < BASELINE_COUNT; d->baseline++) {
        char what[64];
        snprintf(what, sizeof what, "baseline %s", BASELINES[d->baseline]);
        if (run_step(d, what, "baseline", baseline) != 0) return -1;
    }
    return d->synthetic ? run_step(d, "the oracle: the process's true expected counts", "synth --oracle", oracle) : 0;
}

/* ------------------------------------------------------------------ eval */

/* Every forecast against the truth: the table in memory, its CSV in metrics.csv (written
 * whole or not at all). */
static int evaluate(demo *d, FILE *log, char *err, size_t err_len) {
    (void)log;
    char paths[MAX_MODELS][PATH_LEN], roc[PATH_LEN];
    cc_eval_request r;
    cc_eval_request_defaults(&r);
    r.data = d->tensor, r.csv = 1, r.roc = roc, r.command = "crimecast demo";
    r.notes = d->notes, r.notes_cap = sizeof d->notes, d->notes[0] = '\0';
    join_output(roc, d, ROC);
    forecast_path(paths[r.forecast_count], d, "convlstm"), r.forecast_count++;
    for (int i = 0; i < BASELINE_COUNT; i++)
        if (strcmp(BASELINES[i], "etas") || !d->without_etas) forecast_path(paths[r.forecast_count], d, BASELINES[i]), r.forecast_count++;
    if (d->synthetic) forecast_path(paths[r.forecast_count], d, "oracle"), r.forecast_count++;
    for (int i = 0; i < r.forecast_count; i++) r.forecasts[i] = paths[i];
    cc_whole_file metrics;
    FILE *csv = cc_whole_file_fopen(&metrics, d->metrics, err, err_len);
    if (!csv) return -1;
    char why[1024] = "";
    int scored = cc_run_eval(&r, csv, d->table, why, sizeof why) == 0;
    int written = cc_whole_file_fclose(&metrics, csv, scored, err, err_len) == 0;
    if (!scored) snprintf(err, err_len, "%s", why);
    return scored && written ? 0 : -1;
}

/* ------------------------------------------------------------------ pictures */

/* training.png: the training and validation loss per epoch, from the model file. */
static int training_chart(const demo *d, char *err, size_t err_len) {
    char path[PATH_LEN];
    join_output(path, d, TRAINING);
    return cc_training_chart_png(d->model, path, err, err_len);
}

typedef struct panel_inputs {
    cc_tensor truth, convlstm, rf, histavg;
} panel_inputs;

/* One colour scale for every panel: the largest value any panel shows (channel 0). */
static double panel_vmax(const panel_inputs *in) {
    const cc_tensor *maps[3] = {&in->convlstm, &in->rf, &in->histavg};
    size_t plane = (size_t)in->truth.H * in->truth.W;
    double vmax = 1;
    for (int b = 0; b < in->convlstm.T; b++) {
        int tb = cc_tensor_bin(&in->truth, in->convlstm.time[b]);
        for (size_t k = 0; k < plane; k++) {
            if (!in->truth.mask[k]) continue;
            if (tb >= 0) vmax = fmax(vmax, in->truth.values[cc_tensor_offset(&in->truth, tb, 0, 0, 0) + k]);
            for (int m = 0; m < 3; m++) {
                int fb = cc_tensor_bin(maps[m], in->convlstm.time[b]);
                if (fb >= 0) vmax = fmax(vmax, maps[m]->values[cc_tensor_offset(maps[m], fb, 0, 0, 0) + k]);
            }
        }
    }
    return vmax;
}

static int draw_panel(const demo *d, const panel_inputs *in, int b, const cc_png_style *style, float *error, char *err,
                      size_t err_len) {
    int64_t day = in->convlstm.time[b];
    int tb = cc_tensor_bin(&in->truth, day), rb = cc_tensor_bin(&in->rf, day), hb = cc_tensor_bin(&in->histavg, day);
    if (tb < 0 || rb < 0 || hb < 0) {
        snprintf(err, err_len, "forecast files disagree on their bins");
        return -1;
    }
    size_t plane = (size_t)in->truth.H * in->truth.W;
    const float *truth = in->truth.values + cc_tensor_offset(&in->truth, tb, 0, 0, 0);
    const float *convlstm = in->convlstm.values + cc_tensor_offset(&in->convlstm, b, 0, 0, 0);
    for (size_t k = 0; k < plane; k++) error[k] = fabsf(convlstm[k] - truth[k]);
    cc_panel panels[5] = {{"truth", truth},
                          {"ConvLSTM", convlstm},
                          {"random forest", in->rf.values + cc_tensor_offset(&in->rf, rb, 0, 0, 0)},
                          {"historical average", in->histavg.values + cc_tensor_offset(&in->histavg, hb, 0, 0, 0)},
                          {"|ConvLSTM - truth|", error}};
    char date[11], caption[256], path[PATH_LEN];
    cc_format_iso_date(day, date);
    snprintf(caption, sizeof caption, "%s, %s of %s, category %s; colour: %s scale, 0 to %.1f incidents per cell",
             in->truth.city, cc_bin_kind_name(in->truth.bin), date, in->truth.categories[0], cc_scale_name(style->scale), style->vmax);
    snprintf(path, sizeof path, "%s/panels/%s.png", d->dir, date);
    return cc_panels_png(path, panels, 5, in->truth.mask, in->truth.H, in->truth.W, style, caption, err, err_len);
}

static int read_forecast(const demo *d, const char *model, cc_tensor *t, char *err, size_t err_len) {
    char path[PATH_LEN];
    forecast_path(path, d, model);
    return cc_tensor_read(path, "forecast", t, err, err_len);
}

/* panels/<date>.png for every test bin. Returns the number drawn, or -1. */
static int panels(const demo *d, char *err, size_t err_len) {
    panel_inputs in;
    memset(&in, 0, sizeof in);
    int drawn = -1;
    if (cc_tensor_read(d->tensor, "counts", &in.truth, err, err_len) == 0 &&
        read_forecast(d, "convlstm", &in.convlstm, err, err_len) == 0 && read_forecast(d, "rf", &in.rf, err, err_len) == 0 &&
        read_forecast(d, "histavg", &in.histavg, err, err_len) == 0) {
        cc_png_style style = {cc_colormap_find("inferno"), CC_SCALE_SQRT, panel_vmax(&in), 8};
        float *error = malloc(sizeof(float) * (size_t)in.truth.H * in.truth.W);
        drawn = error ? 0 : -1;
        if (!error) snprintf(err, err_len, "out of memory for a %d x %d error map", in.truth.H, in.truth.W);
        for (int b = 0; b < in.convlstm.T && drawn >= 0; b++)
            drawn = draw_panel(d, &in, b, &style, error, err, err_len) == 0 ? drawn + 1 : -1;
        free(error);
    }
    cc_tensor_free(&in.truth), cc_tensor_free(&in.convlstm), cc_tensor_free(&in.rf), cc_tensor_free(&in.histavg);
    return drawn;
}

static int pictures(demo *d, FILE *log, char *err, size_t err_len) {
    char panels_dir[PATH_LEN];
    join(panels_dir, d, "panels");
    if (make_dir(panels_dir, err, err_len) != 0) return -1;
    int drawn = training_chart(d, err, err_len) == 0 ? panels(d, err, err_len) : -1;
    if (drawn >= 0) fprintf(log, "pictures: %s and %d panels\n", OUTPUT_NAMES[TRAINING], drawn);
    return drawn < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ report */

static void report_summary(FILE *out, const demo *d, const cc_tensor *t) {
    fprintf(out, "# crimecast demo: %s\n\n", d->synthetic ? "a synthetic city" : d->request->city);
    if (d->synthetic)
        fprintf(out, "Incidents simulated by `crimecast synth --seed %d` (a self-exciting point process whose "
                     "true expected counts are known: the *oracle* row) from %s to %s, ",
                d->request->seed, d->from, d->to);
    else
        fprintf(out, "Records of %s imported from %d file(s)%s, %s to %s, ", d->request->city,
                d->request->file_count, d->held_before > 0 ? " with those the store held already" : "", d->from,
                d->to);
    fprintf(out, "counted into %d %s bins x %d channels x %d x %d cells of %.0f m (`tensor.h5`). ", t->T,
            cc_bin_kind_name(t->bin), t->C, t->H, t->W, t->cell);
    fprintf(out, "A ConvLSTM (hidden %s, kernel %d, window %d, skip path %d x %d) was trained on the first 70%% of "
                 "the bins, stopped early on the next 15%%, and every model forecast the last 15%% one bin ahead.\n\n",
            d->size->hidden, d->size->kernel, d->size->window, d->skip, d->skip);
    if (d->warnings[0]) /* what the figures below are read against */
        fprintf(out, "**Warnings from the steps** (`demo.log` has them with each step's output):\n\n```\n%s```\n\n",
                d->warnings);
    if (d->notes[0]) fprintf(out, "**Notes on the scores** (eval's):\n\n```\n%s```\n\n", d->notes);
}

static void report_pictures(FILE *out, const cc_tensor *forecast) {
    fprintf(out, "## Training\n\n![training and validation loss](%s)\n\n", OUTPUT_NAMES[TRAINING]);
    fprintf(out, "## Hotspots\n\nROC curves of the top-10%% hotspot cells, averaged over the test bins:\n\n"
                 "![ROC curves](%s)\n\n", OUTPUT_NAMES[ROC]);
    fprintf(out, "## Forecast panels\n\nTruth, ConvLSTM, random forest, historical average and the ConvLSTM's "
                 "absolute error, channel `%s`, one colour scale:\n\n", forecast->categories[0]);
    for (int b = 0; b < forecast->T; b++) {
        char date[11];
        cc_format_iso_date(forecast->time[b], date);
        if (b < 3)
            fprintf(out, "![%s](panels/%s.png)\n\n", date, date);
        else
            fprintf(out, "%s[%s](panels/%s.png)", b == 3 ? "More: " : ", ", date, date);
    }
    fprintf(out, "\n\n## Files\n\n`crimecast.db` (store), `tensor.h5`, `model.h5`, `forecasts/*.h5`, "
                 "`metrics.csv` (every figure, every category, with 95%% intervals), `demo.log` (what each step "
                 "printed).\n");
}

static int write_report(const demo *d, const cc_metrics_table *table, char *err, size_t err_len) {
    char path[PATH_LEN];
    join_output(path, d, REPORT_MD);
    cc_whole_file report;
    cc_tensor t, forecast;
    if (cc_tensor_read(d->tensor, "counts", &t, err, err_len) != 0) return -1;
    if (read_forecast(d, "convlstm", &forecast, err, err_len) != 0) {
        cc_tensor_free(&t);
        return -1;
    }
    FILE *out = cc_whole_file_fopen(&report, path, err, err_len);
    int status = out ? 0 : -1;
    if (out) {
        report_summary(out, d, &t);
        fprintf(out, "## Comparison on the test span (channel `%s`)\n\n", t.categories[0]);
        cc_metrics_markdown(out, table, t.categories[0]);
        cc_model_standing standing;
        if (cc_model_standing_of(table, t.categories[0], &standing) == 0) {
            fprintf(out, "\n");
            cc_model_standing_print(out, &standing);
        }
        fprintf(out, "\nMSE and mean Poisson deviance: lower is better; AUC, AP (top-10%% hotspots), hit rate, PAI and "
                     "PEI (5%% of the area flagged): higher is better. Intervals: bootstrap 95%% over test bins (none from "
                     "fewer than %d bins).\n\n", CC_BOOTSTRAP_LEAST_VALUES);
        report_pictures(out, &forecast);
        status = cc_whole_file_fclose(&report, out, 1, err, err_len); /* its error says why */
    }
    cc_tensor_free(&t), cc_tensor_free(&forecast);
    return status;
}

/* report.html: the same in one self-contained file (the pictures embedded). */
static int write_html_report(const demo *d, const cc_metrics_table *table, char *err, size_t err_len) {
    cc_tensor forecast;
    if (read_forecast(d, "convlstm", &forecast, err, err_len) != 0) return -1;
    char path[PATH_LEN], training[PATH_LEN], roc[PATH_LEN], panel[3][PATH_LEN], dates[3][11], caption[3][96];
    join_output(path, d, REPORT_HTML), join_output(training, d, TRAINING), join_output(roc, d, ROC);
    cc_html_figure figures[5] = {{"Training", training, "ConvLSTM training and validation loss per epoch"},
                                 {"Hotspots", roc, "ROC curves of the top-10% hotspot cells, averaged over the test bins"}};
    int count = 2;
    for (int b = 0; b < forecast.T && b < 3; b++, count++) {
        cc_format_iso_date(forecast.time[b], dates[b]);
        snprintf(panel[b], PATH_LEN, "%s/panels/%s.png", d->dir, dates[b]);
        snprintf(caption[b], sizeof caption[b], "%s: truth, ConvLSTM, random forest, historical average, |error|",
                 dates[b]);
        figures[count] = (cc_html_figure){b ? NULL : "Forecast panels", panel[b], caption[b]};
    }
    char intro[512 + sizeof d->warnings];
    snprintf(intro, sizeof intro, "%s: every model forecast the test span one bin ahead; the same as report.md, "
             "with the pictures inside this file.%s%s", d->synthetic ? "A synthetic city" : d->request->city,
             d->warnings[0] ? " Warnings from the steps (demo.log has them with each step's output): " : "", d->warnings);
    cc_html_report html = {"crimecast demo", intro, table, forecast.categories[0], NULL, figures, count, 0, d->notes};
    int status = cc_html_report_write(path, &html, err, err_len);
    cc_tensor_free(&forecast);
    return status;
}

static int report(demo *d, FILE *out, char *err, size_t err_len) {
    if (write_report(d, d->table, err, err_len) != 0 || write_html_report(d, d->table, err, err_len) != 0) return -1;
    const cc_metrics_table *table = d->table;
    const char *channel = table->category[0];
    fprintf(out, "\ncrimecast demo: test span, channel '%s' (every category: %s)\n\n", channel, d->metrics);
    cc_metrics_print(out, table, channel);
    cc_model_standing standing;
    if (cc_model_standing_of(table, channel, &standing) == 0) {
        fprintf(out, "\n");
        cc_model_standing_print(out, &standing);
    }
    fprintf(out, "\nWritten to %s/: report.md, report.html, metrics.csv, roc.png, training.png, panels/, tensor.h5, model.h5,\n"
                 "forecasts/, crimecast.db, demo.log (%.0f s in all)\n", d->dir, cc_now_seconds() - d->started);
    return 0;
}

/* ------------------------------------------------------------------ the run */

/* The skip path, by each city's validation span (seed 1; bench/RESULTS.md, issue 9): the
 * nine-year synthetic city preferred train's default 3 x 3 (best validation loss
 * -0.003225 against 1 x 1's -0.003082), as the real cities did; the three-year city
 * preferred 1 x 1 (0.02969 against 0.03074), kept for --quick's two years. */
static int skip_path(const demo *d) { return d->synthetic ? d->size->skip : 3; }

/* Removes `path` unless it is not there; the first failure's path and cause are kept in
 * failed[] and *cause (a later unlink's errno overwrote it; a reviewer). */
static void remove_output(const char *path, char *failed, size_t failed_len, int *cause) {
    if (unlink(path) == 0 || errno == ENOENT || *cause) return;
    *cause = errno;
    snprintf(failed, failed_len, "%s", path);
}

/* Removes the files of an earlier demo's names in DIR, its store and the record files aside
 * (the store has its own rule: start_synthetic_store, import_files): a run that failed or
 * was stopped part way left the new tensor beside the old forecasts, metrics and reports,
 * which then disagreed with one another, and a shorter run left the longer one's panels
 * (a probe). Files of other names are not touched. 0, or -1 with err. */
static int clear_earlier_outputs(const demo *d, char *err, size_t err_len) {
    char path[PATH_LEN + 300], failed[PATH_LEN + 300] = "";
    int cause = 0;
    for (int i = 0; i < OUTPUT_COUNT; i++)
        join_output(path, d, (demo_output)i), remove_output(path, failed, sizeof failed, &cause);
    for (int m = 0; m < BASELINE_COUNT + 2; m++)
        forecast_path(path, d, m < BASELINE_COUNT ? BASELINES[m] : m == BASELINE_COUNT ? "convlstm" : "oracle"),
            remove_output(path, failed, sizeof failed, &cause);
    char panels_dir[PATH_LEN];
    join(panels_dir, d, "panels");
    DIR *dir = opendir(panels_dir);
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
        int y, m, day;
        char tail[8] = "";
        if (sscanf(e->d_name, "%4d-%2d-%2d%7s", &y, &m, &day, tail) != 4 || strcmp(tail, ".png") != 0) continue;
        snprintf(path, sizeof path, "%s/%s", panels_dir, e->d_name);
        remove_output(path, failed, sizeof failed, &cause);
    }
    if (dir) closedir(dir);
    if (cause)
        snprintf(err, err_len, "cannot remove %.2000s, an output of an earlier demo in %.1000s: %s", failed, d->dir,
                 strerror(cause));
    return cause ? -1 : 0;
}

/* The synthetic demo simulates into DIR's store: one holding other cities' records (--out
 * pointed at an analyst's folder, or an earlier `demo --city`) would gain 70,000 simulated
 * incidents beside them, unsaid (a probe). Refused before anything is written or removed;
 * 0, or -1 with err. */
static int store_of_no_other_city(const demo *d, char *err, size_t err_len) {
    long long own = 0, all = 0;
    if (!d->synthetic || count_stored(d->store, CC_SYNTH_CITY, &own, &all) != 0 || all == own) return 0;
    snprintf(err, err_len, "%.1000s holds %lld incidents of other cities than the synthetic one (an analyst's store, or "
             "a `demo --city` run's?): the synthetic demo does not add a simulated city to it; give another --out",
             d->store, all - own);
    return -1;
}

/* The device the steps will ask for, opened once before anything is written: --device cuda
 * without a GPU stopped the run at its third step, after the store was started afresh (a
 * probe). */
static int device_there(const cc_demo_request *r, char *err, size_t err_len) {
    cc_ops_context ctx;
    if (cc_device_open(&r->device, &ctx, err, err_len) != 0) return -1;
    cc_close_backend(&ctx);
    return 0;
}

static int set_up(demo *d, const cc_demo_request *r, char *err, size_t err_len) {
    memset(d, 0, sizeof *d);
    d->request = r, d->dir = r->out, d->synthetic = r->city == NULL, d->err = err, d->err_len = err_len;
    d->size = r->quick ? &QUICK : &FULL;
    d->skip = skip_path(d);
    if (d->synthetic) {
        snprintf(d->from, sizeof d->from, "%s", d->size->from);
        snprintf(d->to, sizeof d->to, "%s", d->size->to);
        snprintf(d->bin, sizeof d->bin, "week");
    }
    char forecasts[PATH_LEN];
    join(d->store, d, "crimecast.db"), join_output(d->tensor, d, TENSOR), join_output(d->model, d, MODEL);
    join(d->log_path, d, "demo.log"), join_output(d->metrics, d, METRICS), join(forecasts, d, "forecasts");
    if (store_of_no_other_city(d, err, err_len) != 0 || device_there(r, err, err_len) != 0 ||
        make_dir(d->dir, err, err_len) != 0 ||
        make_dir(forecasts, err, err_len) != 0 || clear_earlier_outputs(d, err, err_len) != 0)
        return -1;
    if (!(d->log = fopen(d->log_path, "w"))) {
        snprintf(err, err_len, "cannot write %.1000s: %s", d->log_path, strerror(errno));
        return -1;
    }
    if (!(d->table = malloc(sizeof *d->table))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    /* data, raster, train + predict, baselines (+ oracle), eval, pictures */
    d->steps = 1 + 1 + 2 + BASELINE_COUNT + d->synthetic + 1 + 1;
    d->started = cc_now_seconds();
    return 0;
}

int cc_run_demo(const cc_demo_request *r, FILE *out, char *err, size_t err_len) {
    demo d;
    int status = set_up(&d, r, err, err_len);
    if (status == 0) {
        status = (d.synthetic ? run_step(&d, "synthetic city: simulating incidents into the store", "synth", synthesise)
                              : run_step(&d, "importing the record files", "import", import_files)) == 0 &&
                         run_step(&d, "raster: counting incidents into a tensor", "raster", raster) == 0 &&
                         models(&d) == 0 && run_step(&d, "eval: every forecast against the truth", "eval", evaluate) == 0 &&
                         run_step(&d, "pictures: training curve and forecast panels", "(pictures)", pictures) == 0
                     ? report(&d, out, err, err_len)
                     : -1;
    }
    if (d.log) fclose(d.log);
    free(d.table);
    return status;
}
