/* Bins that hold far fewer incidents than the bins before them: records the store lacks
 * (a portal not yet published, a crawl cut short, a raster past the store's end, a week of
 * which a source holds three days), which a forecast from them takes for quiet bins and a
 * score against them takes for a quiet truth - or a real fall (a lockdown, a holiday),
 * which the counts alone cannot tell apart. predict and baseline --span next warn of them
 * in their window; eval and report note them among the bins scored. Judged on channel 0
 * (every category: raster's 'all'). */
#ifndef CRIMECAST_HOST_SHORT_BINS_H
#define CRIMECAST_HOST_SHORT_BINS_H

#include <stddef.h>

#include "heatmaps/tensor.h"

typedef struct cc_short_bins {
    int count;          /* bins of [first, last] far below */
    int first_short;    /* the first of them, -1 when none */
    char listed[640];   /* the first four, each with what it fell below: "2014-12-29 (1212: 44% of the 8 weeks
                           before it)", "2018-01-01 (0, where the 52 weeks before it had a median of 412)" */
} cc_short_bins;

/* The bins b of t in [first, last] whose total is far below the bins before b that are
 * not short themselves: under half the median of a year of them (at least 4; 40% for day
 * bins) and a Poisson count that low one in a million or rarer, or under 70% of the median
 * of the 8 nearest (50% for day bins, whose holidays fall to 52-54%: Chicago's Christmas
 * Day) and 5 Poisson deviations below it. Each channel-0 total is summed once. Returns the
 * count (also in out->count). */
int cc_find_short_bins(const cc_tensor *t, int first, int last, cc_short_bins *out);

/* The median of values[0..n) (n >= 1), which it sorts. */
double cc_median_of(double *values, int n);

#endif
