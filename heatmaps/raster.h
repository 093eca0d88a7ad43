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
 * The counts are made sparse (heatmaps/sparse.h: a cost that scales with the incidents,
 * not the cells) in out->sparse, with the in-bin recency sums of every entry (unless the
 * spec says without, and when at least one incident's time is finer than the bins) from
 * which a reader derives the recency maps of heatmaps/tensor.h; out->values holds them
 * dense too unless the layout is sparse (CC_LAYOUT_AUTO: dense up to
 * CC_RASTER_DENSE_MOST_BYTES of floats). */
#ifndef CRIMECAST_HEATMAPS_RASTER_H
#define CRIMECAST_HEATMAPS_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "crawler/city.h"
#include "crawler/store.h"
#include "heatmaps/grid.h"
#include "heatmaps/time_bins.h"
#include "heatmaps/tensor.h"

/* How the counts are stored: dense /counts, /sparse alone, or by size. */
typedef enum cc_raster_layout { CC_LAYOUT_AUTO = 0, CC_LAYOUT_DENSE, CC_LAYOUT_SPARSE } cc_raster_layout;

/* CC_LAYOUT_AUTO's bound: 256 MiB of dense counts (Chicago 2012-2017 weekly, 12 channels
 * at 64 x 64 is 61 MiB; at 150 m, 1.1 GiB). */
#define CC_RASTER_DENSE_MOST_BYTES ((size_t)256 << 20)

typedef struct cc_raster_spec {
    cc_bin_kind bin;
    int64_t from, to;                 /* days since 1970-01-01: [from, to) */
    const char *crs;                  /* NULL: the city's default CRS */
    int cells;                        /* an n x n grid ... */
    double cell_metres;               /* ... or cells of this size (when cells == 0) */
    const char *const *categories;    /* channels after "all"; NULL: every category present */
    int category_count;
    int without_recency;              /* 1: no recency sums */
    cc_raster_layout layout;
} cc_raster_spec;

typedef struct cc_raster_stats {
    cc_time_axis axis;
    cc_grid grid;
    uint64_t incidents;       /* stored in [from, to) */
    uint64_t counted;         /* in a whole bin and on the grid */
    uint64_t outside_bins;    /* in the partial bins dropped at the ends */
    uint64_t outside_grid;
    uint64_t timed;           /* counted, with a time finer than the bin */
    uint64_t malformed;       /* stored with an occurred that is no "YYYY-MM-DD HH:MM" of the
                                 calendar (a row another program wrote): skipped */
    char first_malformed[24]; /* the first such occurred, cut to 23 bytes */
    int bins_uncategorised;   /* bins more than half of whose counted incidents have category
                                 'unknown' (no crime type: San Francisco's Kaggle test weeks) */
    int first_uncategorised;  /* the first of them, or -1 */
    /* Week and month bins with days on which no incident at all happened, although the
     * bin's other days hold CC_RASTER_BUSY_DAY incidents or more on average (a quiet day
     * of such a city has them: e^-10 is its chance of none): days the store lacks (a
     * span not imported, a portal's missing days), whose bin counts are short. From
     * incidents timed to the day or finer; a bin with no incident at all is not one. */
    int bins_short;
    int first_short;          /* the first of them, or -1 */
    int first_short_days;     /* its days without an incident, */
    int64_t first_short_day;  /* the first of those days (days since 1970-01-01) */
} cc_raster_stats;

#define CC_RASTER_BUSY_DAY 10.0

typedef void (*cc_raster_progress_fn)(void *context, uint64_t done);

/* Fills `out` (the caller frees it with cc_tensor_free). Returns 0 or -1 with `err`. */
int cc_rasterise(cc_store *store, const cc_city *city, const cc_raster_spec *spec, cc_tensor *out,
                 cc_raster_stats *stats, cc_raster_progress_fn progress, void *progress_context,
                 char *err, size_t err_len);

#endif
