#include "heatmaps/events.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "heatmaps/grid.h"

static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

double cc_incident_day(const char *occurred, const char *precision) {
    int year = digits(occurred, 4), month = digits(occurred + 5, 2), day = digits(occurred + 8, 2);
    if (!strcmp(precision, "month")) return (double)cc_days_from_civil(year, month, 1) + 0.5 * cc_days_in_month(year, month);
    double start = (double)cc_days_from_civil(year, month, day);
    if (!strcmp(precision, "day")) return start + 0.5;
    return start + (digits(occurred + 11, 2) * 60 + digits(occurred + 14, 2)) / 1440.0;
}

typedef struct points_job {
    const cc_tensor *t;
    cc_channel_points *points;
    cc_point_stats *stats;
    cc_projection *projection;
    int failed;
} points_job;

static int push(cc_channel_points *c, cc_timed_point p) {
    if (c->count == c->capacity) {
        size_t capacity = c->capacity ? 2 * c->capacity : 4096;
        cc_timed_point *grown = realloc(c->points, sizeof *grown * capacity);
        if (!grown) return -1;
        c->points = grown, c->capacity = capacity;
    }
    c->points[c->count++] = p;
    return 0;
}

static int visit(void *context, const cc_incident_point *incident) {
    points_job *job = context;
    job->stats->read++;
    const char *precision = incident->time_precision;
    job->stats->by_precision[!strcmp(precision, "month") ? 2 : !strcmp(precision, "day") ? 1 : 0]++;
    double x = incident->lon, y = incident->lat;
    cc_projection_forward(job->projection, &x, &y, 1);
    if (!isfinite(x) || !isfinite(y) || x == HUGE_VAL || y == HUGE_VAL) {
        job->stats->unprojected++;
        return 0;
    }
    cc_timed_point p = {cc_incident_day(incident->occurred, precision), x, y};
    int channel = cc_tensor_channel(job->t, incident->category);
    if (push(&job->points[0], p) != 0 || (channel > 0 && push(&job->points[channel], p) != 0)) {
        job->failed = 1;
        return 1;
    }
    return 0;
}

static int by_time(const void *a, const void *b) {
    const cc_timed_point *p = a, *q = b;
    if (p->t != q->t) return p->t < q->t ? -1 : 1;
    if (p->x != q->x) return p->x < q->x ? -1 : 1; /* a fixed order for equal times */
    return (p->y > q->y) - (p->y < q->y);
}

int cc_tensor_points(cc_store *store, const cc_tensor *t, int64_t from_day, int64_t to_day, cc_channel_points *points,
                     cc_point_stats *stats, char *err, size_t err_len) {
    memset(stats, 0, sizeof *stats);
    points_job job = {t, points, stats, cc_projection_new(t->crs, err, err_len), 0};
    if (!job.projection) return -1;
    char from[17], to[17];
    cc_format_iso_date(from_day, from);
    cc_format_iso_date(to_day, to);
    strcat(from, " 00:00");
    strcat(to, " 00:00");
    int status = cc_store_scan(store, t->city, from, to, visit, &job, err, err_len);
    cc_projection_free(job.projection);
    if (job.failed) snprintf(err, err_len, "out of memory for the incidents of %s", t->city);
    if (status != 0 || job.failed) {
        cc_channel_points_free(points, t->C);
        return -1;
    }
    for (int c = 0; c < t->C; c++) /* a channel with no incident has no array: qsort may not be given NULL */
        if (points[c].count > 1) qsort(points[c].points, points[c].count, sizeof(cc_timed_point), by_time);
    return 0;
}

void cc_channel_points_free(cc_channel_points *points, int channels) {
    for (int c = 0; c < channels; c++) {
        free(points[c].points);
        points[c] = (cc_channel_points){0};
    }
}
