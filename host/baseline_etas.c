/* host/baseline_etas.h */
#include "host/baseline_etas.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/clock.h"
#include "crawler/store.h"
#include "heatmaps/events.h"
#include "heatmaps/grid.h"
#include "heatmaps/time_bins.h"
#include "host/progress.h"
#include "models/baselines.h"
#include "models/hawkes.h"

enum { RECORD_FIELDS = 14 };
/* The background's level at a forecast origin: from the year before it. */
#define LEVEL_DAYS 365.0

int cc_tensor_source_store(const cc_tensor *t, char *path, size_t len) {
    const char *s = t->source;
    if (!s || strncmp(s, "sqlite:", 7) != 0) return -1;
    const char *end = strstr(s, " SELECT ");
    size_t n = end ? (size_t)(end - s - 7) : 0;
    if (!n || n >= len) return -1;
    memcpy(path, s + 7, n);
    path[n] = '\0';
    return 0;
}

void cc_etas_record_free(cc_etas_record *r) {
    free(r->attributes), free(r->names), free(r->reals);
    memset(r, 0, sizeof *r);
}

static int record_init(cc_etas_record *r, int channels) {
    r->count = 2 * channels;
    r->attributes = calloc((size_t)r->count, sizeof *r->attributes);
    r->names = calloc((size_t)r->count, sizeof *r->names);
    r->reals = calloc((size_t)channels * (RECORD_FIELDS + 3 * CC_ETAS_MAX_ITERATIONS), sizeof(double));
    return r->attributes && r->names && r->reals ? 0 : -1;
}

static void record_fit(cc_etas_record *r, int c, const char *channel, const cc_etas_fit *fit, int modulated,
                       const double deviance[2]) {
    double *fields = r->reals + (size_t)c * (RECORD_FIELDS + 3 * CC_ETAS_MAX_ITERATIONS);
    double *history = fields + RECORD_FIELDS;
    const cc_etas_params *p = &fit->params;
    double values[RECORD_FIELDS] = {p->branching, p->decay_days, p->sigma_m, p->background_rate, fit->bandwidth_m,
                                    fit->iterations, fit->converged, fit->log_likelihood, (double)fit->count,
                                    fit->t_start, fit->t_end, modulated, deviance[0], deviance[1]};
    memcpy(fields, values, sizeof values);
    for (int i = 0; i < fit->iterations; i++) {
        history[3 * i] = fit->history[i].branching;
        history[3 * i + 1] = fit->history[i].decay_days;
        history[3 * i + 2] = fit->history[i].sigma_m;
    }
    snprintf(r->names[2 * c], sizeof r->names[0], "etas_%s", channel);
    snprintf(r->names[2 * c + 1], sizeof r->names[0], "etas_%s_history", channel);
    r->attributes[2 * c] = (cc_file_attribute){r->names[2 * c], NULL, 0, fields, RECORD_FIELDS};
    r->attributes[2 * c + 1] = (cc_file_attribute){r->names[2 * c + 1], NULL, 0, history, 3 * fit->iterations};
}

/* A bar over the EM's iterations (a TTY only: otherwise the summary line per channel). */
static int on_iteration(void *context, int iteration, const cc_etas_params *p) {
    (void)p;
    cc_progress_update(context, (uint64_t)iteration);
    return 0;
}

/* The incidents of every channel from the tensor's first bin to its last bin's end. */
static int read_points(const cc_tensor *t, const cc_etas_baseline_options *o, cc_channel_points *points,
                       char *path, size_t path_len, FILE *out, char *err, size_t err_len) {
    if (o->store) snprintf(path, path_len, "%s", o->store);
    else if (cc_tensor_source_store(t, path, path_len) != 0) {
        snprintf(err, err_len, "the tensor does not name its incident store (source '%s'): give --db STORE",
                 t->source ? t->source : "");
        return -1;
    }
    if (access(path, R_OK) != 0) { /* opening would create an empty store, and find no incident */
        snprintf(err, err_len, "cannot read the incident store %s%s: %s; give --db STORE", path,
                 o->store ? "" : " (named by the tensor's source)", strerror(errno));
        return -1;
    }
    cc_store *store = cc_store_open_to_read(path, err, err_len);
    if (!store) return -1;
    cc_point_stats stats;
    int64_t from = t->time[0], to = cc_bin_end(t->bin, t->time[t->T - 1]);
    int status = cc_tensor_points(store, t, from, to, points, &stats, err, err_len);
    cc_store_close(store);
    if (status != 0) return -1;
    /* The events must be timed finer than the bins, or their order within a bin is made up. */
    uint64_t finer = stats.by_precision[0] + (t->bin != CC_BIN_DAY ? stats.by_precision[1] : 0);
    if (2 * finer < stats.read) {
        snprintf(err, err_len, "%llu of %s's %llu incidents in the span are timed no finer than the %s bins (by "
                 "precision: %llu minute, %llu day, %llu month): a self-exciting process needs their times",
                 (unsigned long long)(stats.read - finer), t->city, (unsigned long long)stats.read,
                 cc_bin_kind_name(t->bin), (unsigned long long)stats.by_precision[0],
                 (unsigned long long)stats.by_precision[1], (unsigned long long)stats.by_precision[2]);
        cc_channel_points_free(points, t->C);
        return CC_ETAS_NOT_TIMED;
    }
    fprintf(out, "etas: %llu incidents of %s from %s (%llu timed to the minute, %llu to the day; %llu not "
                 "projected)\n", (unsigned long long)stats.read, t->city, path,
            (unsigned long long)stats.by_precision[0], (unsigned long long)stats.by_precision[1],
            (unsigned long long)stats.unprojected);
    return 0;
}

/* A channel's forecasts of targets[0..n) into values (the i-th at values + i stride),
 * the background's level set at each origin from the year before it. */
static int forecast_channel(const cc_tensor *t, const cc_hawkes_process *process, cc_etas_level *level,
                            const cc_hawkes_event *events, size_t count, const int *targets, int n, int horizon,
                            float *values, size_t stride, double *map) {
    cc_hawkes_grid grid = {t->x0, t->y0, t->cell, t->H, t->W};
    cc_hawkes_forecaster *f = cc_hawkes_forecaster_new(process, &grid);
    if (!f) return -1;
    size_t cells = (size_t)t->H * t->W;
    int status = 0;
    for (int i = 0; status == 0 && i < n; i++) {
        int target = targets[i], origin_bin = target - horizon + 1;
        /* --span next: the origin and target bins are past the data, on the calendar */
        double origin = (double)cc_tensor_bin_start(t, origin_bin), t0 = (double)cc_tensor_bin_start(t, target);
        double t1 = (double)cc_bin_end(t->bin, cc_tensor_bin_start(t, target));
        level->rate = cc_etas_recent_rate(level->fit, events, count, origin, LEVEL_DAYS,
                                          (double)cc_tensor_bin_start(t, 0)); /* the events read start there */
        status = cc_hawkes_forecast(f, events, count, origin, t0, t1, map);
        /* 0 outside the study area, as every other model writes: no crime is counted there,
         * and the triggering kernel's tail across the mask's edge held 2.7-3.9% of a
         * forecast's total at 150 m (Chicago; a probe), which a sum of /forecast counted */
        float *dst = values + (size_t)i * stride;
        for (size_t q = 0; q < cells; q++) dst[q] = t->mask[q] ? (float)map[q] : 0.0f;
    }
    cc_hawkes_forecaster_free(f);
    return status;
}

/* AUTO: whether the validation span's forecasts are better with m_day than without
 * (deviance[0] with, [1] without); 1 where there is no validation span. */
static int modulation_helps(const cc_tensor *t, int c, const cc_split *split, const cc_hawkes_process *process,
                            cc_etas_level *level, const cc_hawkes_event *events, size_t count, int horizon,
                            double *map, double deviance[2]) {
    int n = cc_split_samples(split, CC_SPAN_VAL);
    if (n <= 0) return 1;
    size_t cells = (size_t)t->H * t->W;
    int *targets = malloc(sizeof(int) * (size_t)n);
    float *f = malloc(sizeof(float) * (size_t)n * cells);
    int status = targets && f ? 0 : -1;
    for (int i = 0; status == 0 && i < n; i++) targets[i] = cc_split_target(split, CC_SPAN_VAL, i);
    for (int constant = 0; status == 0 && constant < 2; constant++) {
        level->constant = constant;
        status = forecast_channel(t, process, level, events, count, targets, n, horizon, f, cells, map);
        if (status == 0) deviance[constant] = cc_mean_poisson_deviance(t, targets, n, c, 1, f);
    }
    free(targets), free(f);
    if (status != 0) return -1;
    return !(deviance[1] < deviance[0]);
}

/* A channel's incidents before `fit_end`: those its fit reads. */
static size_t fitted_before(const cc_channel_points *points, double fit_end) {
    size_t fitted = 0;
    for (size_t i = 0; i < points->count; i++) fitted += points->points[i].t < fit_end;
    return fitted;
}

static int fit_and_forecast(const cc_tensor *t, int c, const cc_channel_points *points, const cc_split *split,
                            const cc_etas_baseline_options *o, const int *targets, int n, int horizon, float *values,
                            cc_etas_record *record, FILE *out, char *err, size_t err_len) {
    /* Fitting reads the training targets' span and what came before it only. */
    double fit_end = (double)t->time[cc_split_fit_end(split)];
    /* cc_timed_point and cc_hawkes_event are both {t, x, y}: one array serves both. */
    cc_hawkes_event *events = malloc(sizeof *events * (points->count ? points->count : 1));
    double *map = malloc(sizeof(double) * (size_t)t->H * t->W);
    if (!events || !map) {
        free(events), free(map);
        snprintf(err, err_len, "out of memory for %zu incidents", points->count);
        return -1;
    }
    size_t fitted = fitted_before(points, fit_end);
    for (size_t i = 0; i < points->count; i++)
        events[i] = (cc_hawkes_event){points->points[i].t, points->points[i].x, points->points[i].y};
    char label[96];
    snprintf(label, sizeof label, "etas '%s': EM", t->categories[c]);
    cc_progress bar;
    cc_progress_begin(&bar, label, (uint64_t)(o->iterations > 0 ? o->iterations : 100));
    int constant = o->background == CC_ETAS_BACKGROUND_CONSTANT;
    cc_etas_options eo = {o->bandwidth_m, 0, 0, o->iterations, 0, constant, 0, {0}, o->threads,
                          on_iteration, &bar};
    cc_etas_fit fit;
    double start = cc_now_seconds();
    char why[512];
    int status = cc_etas_fit_events(events, fitted, (double)t->time[0], fit_end, &eo, &fit, why, sizeof why);
    cc_progress_end(&bar);
    if (status != 0) /* which channel: a rare category fails where 'all' fitted */
        snprintf(err, err_len, "etas '%s': %s%s", t->categories[c], why,
                 fitted < CC_ETAS_LEAST_EVENTS && c > 0 ? " (raster the tensor without this category, or fit another "
                 "baseline)" : "");
    if (status == 0) {
        const cc_etas_params *p = &fit.params;
        fprintf(out, "etas '%s': %zu incidents, branching ratio %.4f, mean delay %.3f days, trigger distance %.1f m, "
                     "background %.3f/day (bandwidth %.0f m), %d EM iterations%s, %.1f s\n",
                t->categories[c], fitted, p->branching, p->decay_days, p->sigma_m, p->background_rate,
                fit.bandwidth_m, fit.iterations, fit.converged ? "" : " (not converged)", cc_now_seconds() - start);
        if (p->branching >= CC_ETAS_MOST_BRANCHING)
            fprintf(stderr, "crimecast baseline: warning: etas '%s': the branching ratio reached its cap, %g: nearly "
                    "every incident is taken for another's offspring, an explosive process%s\n", t->categories[c],
                    CC_ETAS_MOST_BRANCHING, o->bandwidth_m > 0 ? ": is --bandwidth far from the incidents' spacing?"
                                                              : "");
        cc_hawkes_process process;
        cc_hawkes_component *components = NULL;
        cc_etas_level level = {&fit, fit.params.background_rate, constant};
        double deviance[2] = {NAN, NAN};
        int modulated = !constant;
        status = cc_etas_process(&fit, events, &level, &process, &components);
        if (status == 0 && o->background == CC_ETAS_BACKGROUND_AUTO) {
            modulated = modulation_helps(t, c, split, &process, &level, events, points->count, horizon, map, deviance);
            status = modulated < 0 ? -1 : 0;
            if (status == 0 && isfinite(deviance[0]))
                fprintf(out, "etas '%s': the background %s the day of week (validation mean deviance %.5f with it, "
                             "%.5f without)\n", t->categories[c], modulated ? "follows" : "leaves out", deviance[0],
                        deviance[1]);
        }
        level.constant = !modulated;
        record_fit(record, c, t->categories[c], &fit, modulated, deviance);
        size_t cells = (size_t)t->H * t->W;
        if (status == 0)
            status = forecast_channel(t, &process, &level, events, points->count, targets, n, horizon,
                                      values + (size_t)c * cells, (size_t)t->C * cells, map);
        if (status != 0) snprintf(err, err_len, "out of memory forecasting '%s'", t->categories[c]);
        free(components);
        cc_etas_fit_free(&fit);
    }
    free(events), free(map);
    return status;
}

/* Whether the store's incidents are the tensor's: per channel, those inside the grid and
 * span against the tensor's counts. A store other than the one rastered would fit a
 * process to other crimes than those scored; one that gained or lost a few incidents
 * since (late reports, reclassified ones: within 1%, or three Poisson standard
 * deviations and two incidents on a small channel) is only said. `named`: the store
 * came from --db, not from the tensor's own record of it. */
static int check_points_are_the_tensors(const cc_tensor *t, const cc_channel_points *points, const char *path,
                                        int named, char *err, size_t err_len) {
    cc_grid g = {.x0 = t->x0, .y0 = t->y0, .cell = t->cell, .height = t->H, .width = t->W};
    size_t plane = (size_t)t->H * t->W;
    for (int c = 0; c < t->C; c++) {
        double counted = 0, inside = 0;
        for (int b = 0; b < t->T; b++) {
            const float *map = t->values + ((size_t)b * t->C + c) * plane;
            for (size_t q = 0; q < plane; q++) counted += map[q];
        }
        for (size_t i = 0; i < points[c].count; i++) {
            int row, col;
            inside += cc_grid_locate(&g, points[c].points[i].x, points[c].points[i].y, &row, &col) == 0;
        }
        if (fabs(inside - counted) <= fmax(0.01 * counted, 3 * sqrt(counted) + 2)) {
            if (inside != counted)
                fprintf(stderr, "crimecast baseline: etas '%s': %s holds %.0f incidents in the grid and span, the "
                        "tensor counts %.0f (the store changed since it was rastered?)\n", t->categories[c], path,
                        inside, counted);
            continue;
        }
        snprintf(err, err_len, "etas '%s': %s holds %.0f incidents in the tensor's grid and span, the tensor counts %.0f: %s",
                 t->categories[c], path, inside, counted,
                 named ? "it was not rastered from this store (give the one it was, with --db)"
                       : "the store the tensor was rastered from has changed since (raster it again)");
        return -1;
    }
    return 0;
}

/* A category with too few incidents in the fitting span to fit, found before any channel is
 * fitted: it failed after the others' fits, minutes on a city (a probe). 0, or -1 with err. */
static int every_channel_fits(const cc_tensor *t, const cc_channel_points *points, const cc_split *split, char *err,
                              size_t err_len) {
    double fit_end = (double)t->time[cc_split_fit_end(split)];
    for (int c = 0; c < t->C; c++) {
        size_t fitted = fitted_before(&points[c], fit_end);
        if (fitted >= CC_ETAS_LEAST_EVENTS) continue;
        snprintf(err, err_len, "etas '%s': %zu incidents before the validation span: too few to fit (at least %d; %s); "
                 "no channel was fitted", t->categories[c], fitted, CC_ETAS_LEAST_EVENTS,
                 c > 0 ? "raster the tensor without this category, or fit another baseline"
                       : "the tensor's span and area hold too few for ETAS: fit another baseline");
        return -1;
    }
    return 0;
}

int cc_etas_baseline(const cc_tensor *t, const cc_split *split, const int *targets, int n, int horizon,
                     const cc_etas_baseline_options *o, float *values, cc_etas_record *record, FILE *out,
                     char *err, size_t err_len) {
    cc_channel_points *points = calloc((size_t)t->C, sizeof *points);
    if (!points || record_init(record, t->C) != 0) {
        free(points);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    char path[4096];
    int status = read_points(t, o, points, path, sizeof path, out, err, err_len);
    if (status == 0) status = check_points_are_the_tensors(t, points, path, o->store != NULL, err, err_len);
    if (status == 0) status = every_channel_fits(t, points, split, err, err_len);
    for (int c = 0; status == 0 && c < t->C; c++)
        status = fit_and_forecast(t, c, &points[c], split, o, targets, n, horizon, values, record, out, err, err_len);
    cc_channel_points_free(points, t->C);
    free(points);
    return status;
}
