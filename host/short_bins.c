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

static double median_of(double *values, int n) {
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
 * the 8 before, and 5 Poisson deviations below it. A week 60% published (Chicago's portal
 * lags a week) forecast 8% low, unsaid: it was 65% of the year's median, above half (a
 * probe). Over the real weeks of Chicago 2012-2017 the lowest was 77% of its 8 before (a
 * cold January), Christmas 74-75%; London's April 2020 57% (a lockdown: said too). */
static int far_below_recent(const cc_tensor *t, int b, double total, double *share) {
    enum { RECENT = 8 };
    if (b < RECENT) return 0;
    double recent[RECENT];
    for (int i = 0; i < RECENT; i++) recent[i] = cc_tensor_plane_total(t, b - RECENT + i, 0);
    double median = median_of(recent, RECENT);
    *share = median > 0 ? total / median : 1;
    return median > 0 && total < 0.7 * median && total < median - 5 * sqrt(median);
}

int cc_find_short_bins(const cc_tensor *t, int first, int last, cc_short_bins *out) {
    memset(out, 0, sizeof *out);
    out->first_short = -1;
    int per_year = cc_bin_kind_per_year(t->bin), before = first < per_year ? first : per_year;
    if (first < 0 || last >= t->T || before < 4) return 0; /* too little before to know the usual count */
    double *totals = malloc(sizeof(double) * (size_t)before);
    if (!totals) return 0;
    for (int i = 0; i < before; i++) totals[i] = cc_tensor_plane_total(t, first - before + i, 0);
    out->usual = median_of(totals, before), out->before = before;
    free(totals);
    size_t used = 0;
    for (int b = first; b <= last; b++) {
        double total = cc_tensor_plane_total(t, b, 0), share = 1;
        int yearly = far_below(total, out->usual), recent = !yearly && far_below_recent(t, b, total, &share);
        if (!yearly && !recent) continue;
        char day[11], of_recent[64] = "";
        cc_format_iso_date(t->time[b], day);
        if (recent)
            snprintf(of_recent, sizeof of_recent, ": %.0f%% of the 8 %ss before it", 100 * share,
                     cc_bin_kind_name(t->bin));
        if (out->count++ == 0) out->first_short = b;
        if (out->count <= 4 && used < sizeof out->listed)
            used += (size_t)snprintf(out->listed + used, sizeof out->listed - used, "%s%s (%.0f%s)",
                                     out->count > 1 ? ", " : "", day, total, of_recent);
    }
    if (out->count > 4 && used + 6 < sizeof out->listed) snprintf(out->listed + used, sizeof out->listed - used, ", ...");
    return out->count;
}
