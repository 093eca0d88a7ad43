#include "heatmaps/raster.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "heatmaps/events.h"
#include "heatmaps/sparse.h"

enum { BATCH = 1 << 16, MAX_CHANNELS = 32 };

/* Incidents waiting for projection: PROJ transforms a batch far faster than points
 * one at a time. */
typedef struct pending {
    double x[BATCH], y[BATCH];  /* lon/lat in, easting/northing after projection */
    int bin[BATCH];
    float age[BATCH];           /* days from the incident to its bin's end (recency maps) */
    unsigned char timed[BATCH]; /* 1 when its time is finer than the bin */
    signed char channel[BATCH]; /* channel of the category, or -1 (counted in "all" only) */
    unsigned char unknown[BATCH]; /* 1 when its category is 'unknown' (no crime type given) */
    int count;
} pending;

/* Every counted incident's place in its planes ("all" and its category's), grown as the
 * scan goes: the counts and recency sums are made from them at the end (sparse.h). */
typedef struct event_list {
    cc_sparse_event *items;
    size_t count, room;
} event_list;

typedef struct raster_job {
    const cc_raster_spec *spec;
    cc_projection *projection;
    cc_raster_stats *stats;
    cc_tensor *tensor;
    event_list events;
    int out_of_memory;
    const char *city;
    int channel_of_taxonomy[MAX_CHANNELS];   /* taxonomy index → channel, or -1 */
    pending *batch;
    uint32_t *bin_counted, *bin_unknown; /* [T]: counted incidents, of them 'unknown' ones */
    uint32_t *day_count;        /* [days of the axis]: incidents timed to the day or finer, on
                                   the grid or not; NULL under day bins */
    int64_t first_day, days;
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

static int push_event(event_list *list, uint32_t key, float age) {
    if (list->count == list->room) {
        size_t room = list->room ? 2 * list->room : 1 << 20;
        cc_sparse_event *grown = realloc(list->items, sizeof *grown * room);
        if (!grown) return -1;
        list->items = grown, list->room = room;
    }
    list->items[list->count++] = (cc_sparse_event){key, age};
    return 0;
}

/* The event key of plane (bin, channel), cell (row, col). */
static uint32_t event_key(const cc_tensor *t, int bin, int channel, int row, int col) {
    return (uint32_t)(((size_t)bin * (size_t)t->C + (size_t)channel) * (size_t)t->H * (size_t)t->W +
                      (size_t)row * (size_t)t->W + (size_t)col);
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
        int failed = push_event(&job->events, event_key(t, b->bin[i], 0, row, col), b->age[i]);
        if (b->channel[i] > 0) failed |= push_event(&job->events, event_key(t, b->bin[i], b->channel[i], row, col), b->age[i]);
        job->out_of_memory |= failed;
        job->stats->counted++;
        job->bin_counted[b->bin[i]]++;
        job->bin_unknown[b->bin[i]] += b->unknown[i];
        job->stats->timed += b->timed[i];
    }
    b->count = 0;
}

static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* Whether `occurred` is "YYYY-MM-DD HH:MM" of the calendar, as crimecast stores it (a row
 * another program wrote, "2020-07-1x junk", was counted in a September week: any byte
 * passed for a digit; "2020-07-32" in August; a probe). */
static int well_formed(const char *occurred) {
    static const char PATTERN[] = "dddd-dd-dd dd:dd";
    if (strlen(occurred) != sizeof PATTERN - 1) return 0;
    for (size_t i = 0; i < sizeof PATTERN - 1; i++)
        if (PATTERN[i] == 'd' ? !isdigit((unsigned char)occurred[i]) : occurred[i] != PATTERN[i]) return 0;
    int year = digits(occurred, 4), month = digits(occurred + 5, 2), day = digits(occurred + 8, 2);
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= cc_days_in_month(year, month) &&
           digits(occurred + 11, 2) < 24 && digits(occurred + 14, 2) < 60;
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
    if (!well_formed(p->occurred)) {
        if (stats->malformed++ == 0)
            snprintf(stats->first_malformed, sizeof stats->first_malformed, "%s", p->occurred);
        return 0;
    }
    int bin = cc_time_axis_bin(&stats->axis, digits(p->occurred, 4), digits(p->occurred + 5, 2),
                               digits(p->occurred + 8, 2));
    if (bin < 0) {
        stats->outside_bins++;
        return 0;
    }
    double day = cc_incident_day(p->occurred, p->time_precision);
    /* its day, inside the bins' days (well_formed has refused a day its bin does not hold,
     * "2016-02-31"; the bound stays, as the array's guard) */
    int64_t at = (int64_t)floor(day) - job->first_day;
    if (job->day_count && strcmp(p->time_precision, "month") != 0 && at >= 0 && at < job->days) job->day_count[at]++;
    pending *b = job->batch;
    int tax = taxonomy_index(p->category);
    b->x[b->count] = p->lon;
    b->y[b->count] = p->lat;
    b->bin[b->count] = bin;
    /* at least 0: a day its bin does not hold (above) would make a recency term above 1 */
    b->age[b->count] = (float)fmax(0.0, (double)cc_time_axis_start(&stats->axis, bin + 1) - day);
    b->timed[b->count] = (unsigned char)precision_finer_than_bin(job->spec->bin, p->time_precision);
    b->channel[b->count] = (signed char)(tax >= 0 ? job->channel_of_taxonomy[tax] : -1);
    b->unknown[b->count] = (unsigned char)!strcmp(p->category, CC_CATEGORY_UNKNOWN);
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
    cc_sparse *s = t->sparse;
    int keep[MAX_CHANNELS], kept = 0;
    for (int c = 0; c < t->C; c++) {
        int used = c == 0;
        for (int ti = 0; ti < t->T && !used; ti++) used = s->start[ti * t->C + c + 1] > s->start[ti * t->C + c];
        if (used) keep[kept++] = c;
    }
    if (cc_sparse_keep_channels(s, t->C, keep, kept) != 0) return; /* out of memory: every channel kept */
    char *names[MAX_CHANNELS];
    for (int c = 0; c < t->C; c++) names[c] = t->categories[c], t->categories[c] = NULL;
    for (int k = 0; k < kept; k++) t->categories[k] = names[keep[k]], names[keep[k]] = NULL;
    for (int c = 0; c < t->C; c++) free(names[c]);
    t->C = kept;
}

/* The recency sums are dropped when no incident's time is finer than the bin (police.uk
 * months under month bins): they would hold nothing the counts do not. */
static void finish_recency(cc_tensor *t, const cc_raster_stats *stats) {
    if (stats->timed > 0 || !t->sparse->recent) return;
    free(t->sparse->recent);
    t->sparse->recent = NULL, t->sparse->R = 0;
}

static void fill_metadata(cc_tensor *t, const cc_raster_stats *stats, const char *city) {
    for (int ti = 0; ti < t->T; ti++) t->time[ti] = cc_time_axis_start(&stats->axis, ti);
    const cc_sparse *s = t->sparse;
    for (int ti = 0; ti < t->T; ti++) /* channel 0, "all" */
        for (int64_t i = s->start[ti * t->C]; i < s->start[ti * t->C + 1]; i++) t->mask[s->cell[i]] = 1;
    snprintf(t->city, sizeof t->city, "%s", city);
    snprintf(t->crs, sizeof t->crs, "%s", stats->grid.crs);
    t->bin = stats->axis.kind;
    t->x0 = stats->grid.x0;
    t->y0 = stats->grid.y0;
    t->cell = stats->grid.cell;
}

/* The counts (and recency sums) from the scan's events; dense values too unless the
 * layout is sparse. 0, or -1 with err (out of memory). */
static int build_counts(raster_job *job) {
    cc_tensor *t = job->tensor;
    const cc_raster_spec *spec = job->spec;
    t->sparse = calloc(1, sizeof *t->sparse);
    int R = spec->without_recency ? 0 : CC_RECENCY_MAPS;
    if (job->out_of_memory || !t->sparse ||
        cc_sparse_from_events(job->events.items, job->events.count, t->T * t->C, t->H * t->W, R, t->sparse) != 0)
        return -1;
    free(job->events.items);
    job->events.items = NULL;
    if (!spec->categories) compact_channels(t);
    finish_recency(t, job->stats);
    size_t values = (size_t)t->T * t->C * t->H * t->W;
    int dense = spec->layout == CC_LAYOUT_DENSE ||
                (spec->layout == CC_LAYOUT_AUTO && values * sizeof(float) <= CC_RASTER_DENSE_MOST_BYTES);
    if (!dense) return 0;
    t->values = malloc(sizeof *t->values * values);
    if (!t->values) return -1;
    cc_sparse_scatter_counts(t->sparse, t->values);
    return 0;
}

/* Bins more than half of whose incidents have no category (San Francisco's Kaggle test
 * weeks, every other week): the category channels are near empty there, not crime-free. */
static void count_uncategorised_bins(const raster_job *job, cc_raster_stats *stats) {
    stats->first_uncategorised = -1;
    for (int b = 0; b < stats->axis.count; b++)
        if (2 * (uint64_t)job->bin_unknown[b] > job->bin_counted[b]) {
            if (stats->bins_uncategorised++ == 0) stats->first_uncategorised = b;
        }
}

/* Bins with days the store seems to lack (cc_raster_stats.bins_short). */
static void count_short_bins(const raster_job *job, cc_raster_stats *stats) {
    stats->first_short = -1;
    for (int b = 0; job->day_count && b < stats->axis.count; b++) {
        int64_t from = cc_time_axis_start(&stats->axis, b), to = cc_time_axis_start(&stats->axis, b + 1);
        uint64_t incidents = 0;
        int empty = 0;
        int64_t first_empty = 0;
        for (int64_t d = from; d < to; d++) {
            uint32_t n = job->day_count[d - job->first_day];
            incidents += n;
            if (n == 0 && empty++ == 0) first_empty = d;
        }
        int64_t days = to - from;
        if (empty == 0 || empty == days) continue; /* none missing, or the whole bin empty: said otherwise */
        if ((double)incidents / (double)(days - empty) < CC_RASTER_BUSY_DAY) continue; /* quiet days have none */
        if (stats->bins_short++ == 0)
            stats->first_short = b, stats->first_short_days = empty, stats->first_short_day = first_empty;
    }
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

/* A CRS the city definition names (no --crs given) that PROJ does not know, or whose metres
 * are not ground metres over the city's box: the message says where it came from (it read
 * as if the user had given it). */
static void city_crs_said(const cc_city *city, char *err, size_t err_len) {
    char said[1024];
    snprintf(said, sizeof said, "%s", err);
    snprintf(err, err_len, "the city definition of %s, its 'crs' over its 'bbox' (no --crs given): %s",
             cc_city_name(city), said);
}

int cc_rasterise(cc_store *store, const cc_city *city, const cc_raster_spec *spec, cc_tensor *out,
                 cc_raster_stats *stats, cc_raster_progress_fn progress, void *progress_context,
                 char *err, size_t err_len) {
    memset(stats, 0, sizeof *stats);
    memset(out, 0, sizeof *out);
    raster_job job = {.spec = spec, .stats = stats, .tensor = out, .city = cc_city_name(city), .progress = progress,
                      .progress_context = progress_context, .err = err, .err_len = err_len};
    if (cc_time_axis_build(spec->bin, spec->from, spec->to, &stats->axis) != 0) { /* dated: demo's span is its own */
        char from[11], to[11];
        cc_format_iso_date(spec->from, from), cc_format_iso_date(spec->to, to);
        snprintf(err, err_len, "no whole %s fits in %s .. %s (the day after the last; %s)", cc_bin_kind_name(spec->bin),
                 from, to, spec->bin == CC_BIN_WEEK ? "weeks begin on Mondays" : spec->bin == CC_BIN_MONTH
                                                 ? "months begin on the 1st" : "a day is the smallest bin");
        return -1;
    }
    const char *crs = spec->crs ? spec->crs : cc_city_crs(city);
    char *names[MAX_CHANNELS];
    int channels, status = -1;
    job.projection = cc_projection_new(crs, err, err_len);
    cc_bbox bbox = cc_city_bbox(city);
    int grid_status = job.projection ? cc_grid_from_bbox(job.projection, &bbox, crs, spec->cells, spec->cell_metres,
                                                         &stats->grid, err, err_len) : CC_GRID_CRS_REFUSED;
    int gridded = grid_status == 0;
    /* the city's CRS blamed only when it is the cause, not the grid's size (--cell 1: a reviewer) */
    if (grid_status == CC_GRID_CRS_REFUSED && !spec->crs) city_crs_said(city, err, err_len);
    if (gridded && plan_channels(&job, names, &channels) == 0) {
        uint64_t values = (uint64_t)stats->axis.count * (uint64_t)channels * (uint64_t)stats->grid.height *
                          (uint64_t)stats->grid.width;
        job.batch = malloc(sizeof *job.batch);
        job.bin_counted = calloc((size_t)stats->axis.count + 1, sizeof *job.bin_counted);
        job.bin_unknown = calloc((size_t)stats->axis.count + 1, sizeof *job.bin_unknown);
        job.first_day = cc_time_axis_start(&stats->axis, 0);
        job.days = cc_time_axis_start(&stats->axis, stats->axis.count) - job.first_day;
        int day_counts = spec->bin != CC_BIN_DAY; /* under day bins a day without one is an empty bin */
        job.day_count = day_counts ? calloc((size_t)job.days + 1, sizeof *job.day_count) : NULL;
        if (stats->axis.count > CC_TENSOR_MOST_BINS) { /* what every reader refuses is not written */
            snprintf(err, err_len, "%d %s bins is more than crimecast reads (at most %d): a shorter span or a longer bin",
                     stats->axis.count, cc_bin_kind_name(spec->bin), CC_TENSOR_MOST_BINS);
        } else if (values > CC_TENSOR_MOST_VALUES) {
            snprintf(err, err_len, "%d bins x %d channels x %d x %d cells is more than crimecast makes (2^32 values)",
                     stats->axis.count, channels, stats->grid.height, stats->grid.width);
        } else if (!job.batch || !job.bin_counted || !job.bin_unknown || (day_counts && !job.day_count) ||
                   cc_tensor_alloc_frame(out, stats->axis.count, channels, stats->grid.height, stats->grid.width) != 0) {
            snprintf(err, err_len, "out of memory");
        } else {
            job.batch->count = 0;
            for (int c = 0; c < channels; c++) out->categories[c] = strdup(names[c]);
            status = scan(&job, store);
            if (status == 0) count_uncategorised_bins(&job, stats), count_short_bins(&job, stats);
            if (status == 0 && build_counts(&job) != 0) {
                snprintf(err, err_len, "out of memory for the counts of %llu incidents%s (%d x %d x %d x %d)",
                         (unsigned long long)stats->counted, out->values ? "" : " and their dense tensor",
                         stats->axis.count, channels, stats->grid.height, stats->grid.width);
                status = -1;
            }
        }
    }
    if (status == 0) fill_metadata(out, stats, cc_city_name(city));
    else cc_tensor_free(out);
    free(job.events.items);
    free(job.batch);
    free(job.bin_counted), free(job.bin_unknown), free(job.day_count);
    cc_projection_free(job.projection);
    return status;
}
