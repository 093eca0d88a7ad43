/* host/short_bins.h */
#include "host/short_bins.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cc_median_of(double *values, int n) {
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/* Whether a bin of `total` incidents is too few to be a quiet bin of a series whose usual
 * bin holds `usual`: under half of it, and a Poisson count that low one in a million or
 * rarer (none: e^-usual; otherwise 5 standard deviations below). */
static int far_below(double total, double usual) {
    return total < 0.5 * usual && ((total == 0 && usual > 13.8) || (usual >= 25 && total < usual - 5 * sqrt(usual)));
}

/* Whether bin b's total is far below the bins just before it: under 70% of the median of
 * the 8 before (50% for days), and 5 Poisson deviations below it. A week 60% published
 * (Chicago's portal lags a week) forecast 8% low, unsaid: it was 65% of the year's median,
 * above half (a probe). Over the real weeks of Chicago 2012-2017 the lowest was 77% of its
 * 8 before (a cold January), Christmas 74-75%; its days fall to 54% on Christmas Day,
 * 68% on Christmas Eve; London's April 2020 57% (a lockdown: said, as the counts cannot
 * tell it from a gap). */
static int far_below_recent(const cc_tensor *t, int b, double total, double *share) {
    enum { RECENT = 8 };
    if (b < RECENT) return 0;
    double recent[RECENT];
    for (int i = 0; i < RECENT; i++) recent[i] = cc_tensor_plane_total(t, b - RECENT + i, 0);
    double median = cc_median_of(recent, RECENT), cut = t->bin == CC_BIN_DAY ? 0.5 : 0.7;
    *share = median > 0 ? total / median : 1;
    return median > 0 && total < cut * median && total < median - 5 * sqrt(median);
}

/* The median of the year of bins before b (at most; 0 bins: none), in *usual. */
static int year_before(const cc_tensor *t, int b, double *totals, double *usual) {
    int per_year = cc_bin_kind_per_year(t->bin), before = b < per_year ? b : per_year;
    for (int i = 0; i < before; i++) totals[i] = cc_tensor_plane_total(t, b - before + i, 0);
    *usual = before > 0 ? cc_median_of(totals, before) : 0;
    return before;
}

int cc_find_short_bins(const cc_tensor *t, int first, int last, cc_short_bins *out) {
    memset(out, 0, sizeof *out);
    out->first_short = -1;
    if (first < 0 || last >= t->T || first > last) return 0;
    double *totals = malloc(sizeof(double) * (size_t)cc_bin_kind_per_year(t->bin));
    if (!totals) return 0;
    size_t used = 0;
    const char *bin = cc_bin_kind_name(t->bin);
    for (int b = first; b <= last; b++) {
        double usual, total = cc_tensor_plane_total(t, b, 0), share = 1;
        int before = year_before(t, b, totals, &usual);
        if (before < 4) continue; /* too little before it to know its usual count */
        int yearly = far_below(total, usual), recent = !yearly && far_below_recent(t, b, total, &share);
        if (!yearly && !recent) continue;
        char day[11], against[96];
        cc_format_iso_date(t->time[b], day);
        if (recent) snprintf(against, sizeof against, ": %.0f%% of the 8 %ss before it", 100 * share, bin);
        else snprintf(against, sizeof against, ", where the %d %ss before it had a median of %.0f", before, bin, usual);
        if (out->count++ == 0) out->first_short = b;
        if (out->count <= 4 && used < sizeof out->listed)
            used += (size_t)snprintf(out->listed + used, sizeof out->listed - used, "%s%s (%.0f%s)",
                                     out->count > 1 ? ", " : "", day, total, against);
    }
    free(totals);
    if (out->count > 4 && used + 6 < sizeof out->listed) snprintf(out->listed + used, sizeof out->listed - used, ", ...");
    return out->count;
}
