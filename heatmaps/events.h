/* The incidents behind a tensor as timed, projected points, per channel: what a point
 * process (the ETAS baseline) reads where the tensor keeps only counts. A point is the
 * incident's time in days since 1970-01-01 on the local clock (cc_incident_day) and its
 * location projected into the tensor's CRS, the frame of its grid. */
#ifndef CRIMECAST_HEATMAPS_EVENTS_H
#define CRIMECAST_HEATMAPS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "crawler/store.h"
#include "heatmaps/tensor.h"

typedef struct cc_timed_point {
    double t, x, y;
} cc_timed_point;

typedef struct cc_channel_points {
    cc_timed_point *points;     /* sorted by time */
    size_t count, capacity;
} cc_channel_points;

typedef struct cc_point_stats {
    uint64_t read;              /* incidents of the city in the span */
    uint64_t by_precision[3];   /* minute, day, month */
    uint64_t unprojected;       /* locations PROJ could not transform (left out) */
} cc_point_stats;

/* The incident's time, days since 1970-01-01 on the local clock: the middle of its
 * precision (the minute itself, noon of the day, the middle of the month). */
double cc_incident_day(const char *occurred, const char *precision);

/* Reads the incidents of t's city with from_day <= day < to_day from `store` into
 * points[c] for every channel c of t ("all": every incident; a category: its own),
 * each sorted by time. `points` holds t->C zeroed entries. 0, or -1 with err (the
 * points freed). */
int cc_tensor_points(cc_store *store, const cc_tensor *t, int64_t from_day, int64_t to_day, cc_channel_points *points,
                     cc_point_stats *stats, char *err, size_t err_len);
void cc_channel_points_free(cc_channel_points *points, int channels);

#endif
