/* Rasterisation: incidents of the store → a count tensor [T][C][H][W].
 *
 * Channel 0 is "all" (every incident); then one channel per requested category, or,
 * when none are requested, one per taxonomy category that occurs in the span (in
 * taxonomy order). An incident counts in the whole bin of its local date and the
 * cell of its projected location; incidents in the partial bins dropped at either
 * end of [from, to), or off the grid, are counted in the stats and left out. The
 * mask marks cells with at least one incident over the whole span.
 *
 * A bin finer than the incidents' time precision (police.uk months under weekly
 * bins) is an error: the data cannot say which week a month's incident belongs to.
 *
 * The tensor also gets the recency maps of heatmaps/tensor.h (unless the spec says without,
 * and when at least one incident's time is finer than the bins), counted over the same incidents, bins
 * and cells: the bin's end minus the incident's time, decayed, plus the previous bin's
 * maps decayed over the bin's length. */
#ifndef CRIMECAST_HEATMAPS_RASTER_H
#define CRIMECAST_HEATMAPS_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "crawler/city.h"
#include "crawler/store.h"
#include "heatmaps/grid.h"
#include "heatmaps/time_bins.h"
#include "heatmaps/tensor.h"

typedef struct cc_raster_spec {
    cc_bin_kind bin;
    int64_t from, to;                 /* days since 1970-01-01: [from, to) */
    const char *crs;                  /* NULL: the city's default CRS */
    int cells;                        /* an n x n grid ... */
    double cell_metres;               /* ... or cells of this size (when cells == 0) */
    const char *const *categories;    /* channels after "all"; NULL: every category present */
    int category_count;
    int without_recency;              /* 1: no recency maps (they take twice the counts' memory) */
} cc_raster_spec;

typedef struct cc_raster_stats {
    cc_time_axis axis;
    cc_grid grid;
    uint64_t incidents;       /* stored in [from, to) */
    uint64_t counted;         /* in a whole bin and on the grid */
    uint64_t outside_bins;    /* in the partial bins dropped at the ends */
    uint64_t outside_grid;
    uint64_t timed;           /* counted, with a time finer than the bin */
} cc_raster_stats;

typedef void (*cc_raster_progress_fn)(void *context, uint64_t done);

/* Fills `out` (the caller frees it with cc_tensor_free). Returns 0 or -1 with `err`. */
int cc_rasterise(cc_store *store, const cc_city *city, const cc_raster_spec *spec, cc_tensor *out,
                 cc_raster_stats *stats, cc_raster_progress_fn progress, void *progress_context,
                 char *err, size_t err_len);

#endif
