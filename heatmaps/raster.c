#include "heatmaps/raster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/events.h"

enum { BATCH = 1 << 16, MAX_CHANNELS = 32 };

/* Incidents waiting for projection: PROJ transforms a batch far faster than points
 * one at a time. */
typedef struct pending {
    double x[BATCH], y[BATCH];  /* lon/lat in, easting/northing after projection */
    int bin[BATCH];
    float age[BATCH];           /* days from the incident to its bin's end (recency maps) */
    unsigned char timed[BATCH]; /* 1 when its time is finer than the bin */
    signed char channel[BATCH]; /* channel of the category, or -1 (counted in "all" only) */
    int count;
} pending;

typedef struct raster_job {
    const cc_raster_spec *spec;
    cc_projection *projection;
    cc_raster_stats *stats;
    cc_tensor *tensor;
    const char *city;
    int channel_of_taxonomy[MAX_CHANNELS];   /* taxonomy index → channel, or -1 */
    pending *batch;
    cc_raster_progress_fn progress;
    void *progress_context;
    char *err;
    size_t err_len;
} raster_job;

static int taxonomy_index(const char *category) {
    for (int i = 0; CC_TAXONOMY[i]; i++)
        if (!strcmp(CC_TAXONOMY[i], category)) return i;
    return -1;
}

/* The incident's share of the recency maps of its own bin (raster.h). */
static void add_recency(cc_tensor *t, int bin, int channel, int row, int col, float age) {
    for (int r = 0; r < t->R; r++) {
        float weight = (float)exp(-age / cc_recency_tau_days[r]);
        t->recency[cc_tensor_recency_offset(t, bin, r, 0, row, col)] += weight;
        if (channel > 0) t->recency[cc_tensor_recency_offset(t, bin, r, channel, row, col)] += weight;
    }
}

static void flush(raster_job *job) {
    pending *b = job->batch;
    cc_projection_forward(job->projection, b->x, b->y, (size_t)b->count);
    cc_tensor *t = job->tensor;
    for (int i = 0; i < b->count; i++) {
        int row, col;
        if (cc_grid_locate(&job->stats->grid, b->x[i], b->y[i], &row, &col) != 0) {
            job->stats->outside_grid++;
            continue;
        }
        t->values[cc_tensor_offset(t, b->bin[i], 0, row, col)] += 1.0f;
        if (b->channel[i] > 0) t->values[cc_tensor_offset(t, b->bin[i], b->channel[i], row, col)] += 1.0f;
        add_recency(t, b->bin[i], b->channel[i], row, col, b->age[i]);
        job->stats->counted++;
        job->stats->timed += b->timed[i];
    }
    b->count = 0;
}

static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

static int precision_too_coarse(cc_bin_kind bin, const char *precision) {
    if (!strcmp(precision, "month")) return bin != CC_BIN_MONTH;
    if (!strcmp(precision, "day")) return 0;
    return 0;
}

/* Whether the record's time says more than which bin it is in (a minute always; a day
 * under week or month bins). */
static int precision_finer_than_bin(cc_bin_kind bin, const char *precision) {
    if (!strcmp(precision, "month")) return 0;
    if (!strcmp(precision, "day")) return bin != CC_BIN_DAY;
    return 1;
}

static int visit(void *context, const cc_incident_point *p) {
    raster_job *job = context;
    cc_raster_stats *stats = job->stats;
    stats->incidents++;
    if (precision_too_coarse(job->spec->bin, p->time_precision)) {
        snprintf(job->err, job->err_len,
                 "%s incidents have %s time precision (e.g. one on %.10s): --bin %s is finer than "
                 "the source; use --bin month",
                 job->city, p->time_precision, p->occurred, cc_bin_kind_name(job->spec->bin));
        return 1;
    }
    int bin = cc_time_axis_bin(&stats->axis, digits(p->occurred, 4), digits(p->occurred + 5, 2),
                               digits(p->occurred + 8, 2));
    if (bin < 0) {
        stats->outside_bins++;
        return 0;
    }
    pending *b = job->batch;
    int tax = taxonomy_index(p->category);
    b->x[b->count] = p->lon;
    b->y[b->count] = p->lat;
    b->bin[b->count] = bin;
    b->age[b->count] = (float)((double)cc_time_axis_start(&stats->axis, bin + 1) - cc_incident_day(p->occurred, p->time_precision));
    b->timed[b->count] = (unsigned char)precision_finer_than_bin(job->spec->bin, p->time_precision);
    b->channel[b->count] = (signed char)(tax >= 0 ? job->channel_of_taxonomy[tax] : -1);
    if (++b->count == BATCH) {
        flush(job);
        if (job->progress) job->progress(job->progress_context, stats->incidents);
    }
    return 0;
}

/* Channel layout: "all", then the requested categories or, for now, every taxonomy
 * category (compacted to those present after the scan). */
static int plan_channels(raster_job *job, char **names, int *count) {
    const cc_raster_spec *spec = job->spec;
    for (int i = 0; i < MAX_CHANNELS; i++) job->channel_of_taxonomy[i] = -1;
    names[0] = "all";
    *count = 1;
    if (!spec->categories) {
        for (int i = 0; CC_TAXONOMY[i]; i++) {
            job->channel_of_taxonomy[i] = *count;
            names[(*count)++] = (char *)CC_TAXONOMY[i];
        }
        return 0;
    }
    for (int k = 0; k < spec->category_count; k++) {
        int tax = taxonomy_index(spec->categories[k]);
        if (tax < 0) {
            snprintf(job->err, job->err_len, "'%s' is not a crimecast category", spec->categories[k]);
            return -1;
        }
        if (job->channel_of_taxonomy[tax] >= 0) continue; /* listed twice */
        job->channel_of_taxonomy[tax] = *count;
        names[(*count)++] = (char *)CC_TAXONOMY[tax];
    }
    return 0;
}

/* Drops all-zero category channels (when every category was asked for implicitly). */
static void compact_channels(cc_tensor *t) {
    size_t plane = (size_t)t->H * t->W;
    int keep[MAX_CHANNELS], kept = 0;
    for (int c = 0; c < t->C; c++) {
        int used = c == 0;
        for (int ti = 0; ti < t->T && !used; ti++)
            for (size_t k = 0; k < plane && !used; k++) used = t->values[cc_tensor_offset(t, ti, c, 0, 0) + k] != 0;
        if (used) keep[kept++] = c;
    }
    for (int ti = 0; ti < t->T; ti++)
        for (int k = 0; k < kept; k++)
            memmove(t->values + ((size_t)ti * kept + k) * plane, t->values + cc_tensor_offset(t, ti, keep[k], 0, 0),
                    plane * sizeof *t->values);
    for (int ti = 0; ti < t->T; ti++) /* the same for the recency maps, [T][R][kept] in place of [T][R][C] */
        for (int r = 0; r < t->R; r++)
            for (int k = 0; k < kept; k++)
                memmove(t->recency + (((size_t)ti * t->R + r) * kept + k) * plane,
                        t->recency + cc_tensor_recency_offset(t, ti, r, keep[k], 0, 0), plane * sizeof *t->recency);
    char *names[MAX_CHANNELS];
    for (int c = 0; c < t->C; c++) names[c] = t->categories[c], t->categories[c] = NULL;
    for (int k = 0; k < kept; k++) t->categories[k] = names[keep[k]], names[keep[k]] = NULL;
    for (int c = 0; c < t->C; c++) free(names[c]);
    t->C = kept;
}

/* Each bin's recency maps hold only its own incidents after the scan; adding the
 * previous bin's, decayed over this bin's length, makes them sums over the whole past
 * (raster.h). Dropped when no incident's time is finer than the bin (police.uk months
 * under month bins): they would hold nothing the counts do not. */
static void finish_recency(cc_tensor *t, const cc_raster_stats *stats) {
    if (stats->timed == 0 || !t->recency) {
        free(t->recency);
        t->recency = NULL, t->R = 0;
        return;
    }
    size_t map = (size_t)t->C * t->H * t->W;
    for (int ti = 0; ti < t->T; ti++) {
        double length = (double)(cc_time_axis_start(&stats->axis, ti + 1) - cc_time_axis_start(&stats->axis, ti));
        for (int r = 0; r < t->R; r++) {
            float decay = (float)exp(-length / cc_recency_tau_days[r]);
            float *now = t->recency + cc_tensor_recency_offset(t, ti, r, 0, 0, 0);
            const float *before = ti ? t->recency + cc_tensor_recency_offset(t, ti - 1, r, 0, 0, 0) : NULL;
            for (size_t q = 0; q < map; q++) {
                float sum = now[q] + (before ? decay * before[q] : 0.0f);
                now[q] = sum < CC_RECENCY_FLOOR ? 0.0f : sum;
            }
        }
    }
}

static void fill_metadata(cc_tensor *t, const cc_raster_stats *stats, const char *city) {
    for (int ti = 0; ti < t->T; ti++) t->time[ti] = cc_time_axis_start(&stats->axis, ti);
    size_t plane = (size_t)t->H * t->W;
    for (int ti = 0; ti < t->T; ti++)
        for (size_t k = 0; k < plane; k++)
            if (t->values[cc_tensor_offset(t, ti, 0, 0, 0) + k] != 0) t->mask[k] = 1;
    snprintf(t->city, sizeof t->city, "%s", city);
    snprintf(t->crs, sizeof t->crs, "%s", stats->grid.crs);
    t->bin = stats->axis.kind;
    t->x0 = stats->grid.x0;
    t->y0 = stats->grid.y0;
    t->cell = stats->grid.cell;
}

static int scan(raster_job *job, cc_store *store) {
    char from[17], to[17];
    cc_format_iso_date(job->spec->from, from);
    cc_format_iso_date(job->spec->to, to);
    strcat(from, " 00:00");
    strcat(to, " 00:00");
    int status = cc_store_scan(store, job->city, from, to, visit, job, job->err, job->err_len);
    if (status == 0) flush(job);
    return status == 0 ? 0 : -1;
}

int cc_rasterise(cc_store *store, const cc_city *city, const cc_raster_spec *spec, cc_tensor *out,
                 cc_raster_stats *stats, cc_raster_progress_fn progress, void *progress_context,
                 char *err, size_t err_len) {
    memset(stats, 0, sizeof *stats);
    memset(out, 0, sizeof *out);
    raster_job job = {spec, NULL, stats, out, cc_city_name(city), {0}, NULL, progress, progress_context,
                      err, err_len};
    if (cc_time_axis_build(spec->bin, spec->from, spec->to, &stats->axis) != 0) {
        snprintf(err, err_len, "no whole %s fits in the span", cc_bin_kind_name(spec->bin));
        return -1;
    }
    const char *crs = spec->crs ? spec->crs : cc_city_crs(city);
    char *names[MAX_CHANNELS];
    int channels, status = -1;
    job.projection = cc_projection_new(crs, err, err_len);
    cc_bbox bbox = cc_city_bbox(city);
    if (job.projection &&
        cc_grid_from_bbox(job.projection, &bbox, crs, spec->cells, spec->cell_metres, &stats->grid, err,
                          err_len) == 0 &&
        plan_channels(&job, names, &channels) == 0) {
        job.batch = malloc(sizeof *job.batch);
        if (!job.batch ||
            cc_tensor_alloc(out, stats->axis.count, channels, stats->grid.height, stats->grid.width) != 0 ||
            (!spec->without_recency && cc_tensor_alloc_recency(out) != 0)) {
            snprintf(err, err_len, "out of memory for %d x %d x %d x %d counts%s", stats->axis.count, channels,
                     stats->grid.height, stats->grid.width,
                     spec->without_recency ? "" : " and their recency maps (--recency off needs a third)");
        } else {
            job.batch->count = 0;
            for (int c = 0; c < channels; c++) out->categories[c] = strdup(names[c]);
            status = scan(&job, store);
        }
    }
    if (status == 0) {
        if (!spec->categories) compact_channels(out);
        finish_recency(out, stats);
        fill_metadata(out, stats, cc_city_name(city));
    } else {
        cc_tensor_free(out);
    }
    free(job.batch);
    cc_projection_free(job.projection);
    return status;
}
