/* Bins that hold far fewer incidents than the bins around them: records the store lacks
 * (a portal not yet published, a crawl cut short, a raster past the store's end, a week of
 * which a source holds three days), which a forecast from them takes for quiet bins and a
 * score against them takes for a quiet truth. predict and baseline --span next warn of
 * them in their window; eval and report note them among the bins scored. Judged on
 * channel 0 (every category: raster's 'all'). */
#ifndef CRIMECAST_HOST_SHORT_BINS_H
#define CRIMECAST_HOST_SHORT_BINS_H

#include <stddef.h>

#include "heatmaps/tensor.h"

typedef struct cc_short_bins {
    int count;          /* bins of [first, last] far below */
    double usual;       /* the median bin of the year (at most) before `first` */
    int before;         /* how many bins that median is over */
    int first_short;    /* the first bin far below, -1 when none */
    char listed[512];   /* the first four: "2014-12-29 (1212: 44% of the 8 weeks before it), ..." */
} cc_short_bins;

/* The bins of t in [first, last] whose total is far below the usual count (under half the
 * median of the year before `first`, and a Poisson count that low one in a million or
 * rarer) or far below the 8 bins just before each (under 70% of their median and 5
 * Poisson deviations below it). Returns the count (also in out->count); 0 when fewer than
 * 4 bins precede `first`, too few to know a usual count. */
int cc_find_short_bins(const cc_tensor *t, int first, int last, cc_short_bins *out);

#endif
