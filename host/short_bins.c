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

/* The cuts, as shares of the reference median: the year's and the 8 bins'. Days fall
 * lower on holidays than weeks or months do: Chicago's Christmas Day holds 52% of the
 * year's median day and 54% of the 8 days before it, Christmas Eve 68%; its weeks 74-77%
 * (the lowest real week of 2012-2017 a cold January's); London's April 2020 57% of the 8
 * months before it (a lockdown: said, as the counts cannot tell it from a gap). A week
 * 60% published (Chicago's portal lags a week) forecast 8% low, unsaid (a probe). */
static double year_cut(cc_bin_kind bin) { return bin == CC_BIN_DAY ? 0.4 : 0.5; }
static double recent_cut(cc_bin_kind bin) { return bin == CC_BIN_DAY ? 0.5 : 0.7; }

/* Whether `total` is far below a reference median `usual`: under `cut` of it, and a
 * Poisson count that low one in a million or rarer (none: e^-usual; otherwise 5 standard
 * deviations below). */
static int far_below(double total, double usual, double cut) {
    return total < cut * usual && ((total == 0 && usual > 13.8) || (usual >= 25 && total < usual - 5 * sqrt(usual)));
}

/* The totals of up to `want` bins before b that are not short (short_bin marks those
 * found so), the nearest first, into ref; their number. A run of empty bins is judged
 * against the bins before it, not against itself (52 empty weeks were said as 27; a
 * reviewer). */
static int reference_bins(const double *totals, const unsigned char *short_bin, int b, int want, double *ref) {
    int n = 0;
    for (int i = b - 1; i >= 0 && n < want; i--)
        if (!short_bin[i]) ref[n++] = totals[i];
    return n;
}

int cc_find_short_bins(const cc_tensor *t, int first, int last, cc_short_bins *out) {
    enum { RECENT = 8 };
    memset(out, 0, sizeof *out);
    out->first_short = -1;
    if (first < 0 || last >= t->T || first > last) return 0;
    int per_year = cc_bin_kind_per_year(t->bin);
    double *totals = malloc(sizeof(double) * (size_t)(last + 1)), *ref = malloc(sizeof(double) * (size_t)per_year);
    unsigned char *short_bin = calloc((size_t)(last + 1), 1);
    if (!totals || !ref || !short_bin) {
        free(totals), free(ref), free(short_bin);
        return 0;
    }
    for (int b = 0; b <= last; b++) totals[b] = cc_tensor_plane_total(t, b, 0); /* once: a day's year is 364 */
    size_t used = 0;
    const char *bin = cc_bin_kind_name(t->bin);
    for (int b = first; b <= last; b++) {
        double recent[RECENT];
        int year = reference_bins(totals, short_bin, b, per_year, ref);
        if (year < 4) continue; /* too little before it to know its usual count */
        int eight = year < RECENT ? year : RECENT;
        memcpy(recent, ref, sizeof(double) * (size_t)eight);
        double usual = cc_median_of(ref, year), lately = eight == RECENT ? cc_median_of(recent, eight) : 0;
        int yearly = far_below(totals[b], usual, year_cut(t->bin));
        int recently = !yearly && eight == RECENT && far_below(totals[b], lately, recent_cut(t->bin));
        if (!yearly && !recently) continue;
        short_bin[b] = 1;
        char day[11], against[96];
        cc_format_iso_date(t->time[b], day);
        if (recently)
            snprintf(against, sizeof against, ": %.0f%% of the 8 %ss before it", 100 * totals[b] / lately, bin);
        else
            snprintf(against, sizeof against, ", where the %d %ss before it had a median of %.0f", year, bin, usual);
        if (out->count++ == 0) out->first_short = b;
        if (out->count <= 4 && used < sizeof out->listed)
            used += (size_t)snprintf(out->listed + used, sizeof out->listed - used, "%s%s (%.0f%s)",
                                     out->count > 1 ? ", " : "", day, totals[b], against);
    }
    free(totals), free(ref), free(short_bin);
    if (out->count > 4 && used + 6 < sizeof out->listed)
        snprintf(out->listed + used, sizeof out->listed - used, ", ...");
    return out->count;
}
