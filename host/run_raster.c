/* host/run_raster.h */
#include "host/run_raster.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/city.h"
#include "crawler/datetime.h"
#include "crawler/store.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/grid.h"
#include "heatmaps/machine_memory.h"
#include "heatmaps/raster.h"
#include "heatmaps/sparse.h"
#include "heatmaps/tensor_file.h"
#include "host/city_check.h"
#include "host/defaults.h"
#include "host/progress.h"
#include "host/shell_word.h"

enum { MAX_CATEGORIES = 64 };

static const cc_option RASTER_OPTIONS[] = {
    {CC_OPTION_TEXT("city", cc_raster_request, city, "CITY", NULL, "the city whose stored incidents are counted"),
     .required = 1},
    {CC_OPTION_TEXT("db", cc_raster_request, db, "PATH", CC_DEFAULT_DB, "the incident store"), .file = CC_FILE_READ},
    {CC_OPTION_DATE("from", cc_raster_request, from, NULL, "the span's first day"), .required = 1},
    {CC_OPTION_DATE("to", cc_raster_request, to, NULL,
                    "the day after the span; partial bins at either end are dropped and reported"), .required = 1},
    {CC_OPTION_CHOICE("bin", cc_raster_request, bin, "day|week|month", NULL,
                      "local calendar days, ISO weeks (Monday to Sunday) or calendar months; London's records are "
                      "monthly"), .required = 1},
    {CC_OPTION_INT("grid", cc_raster_request, grid, "N", NULL, 1, 4096,
                   "N x N square cells over the longer side of the city's bounding box (1 .. 4096)")},
    {CC_OPTION_REAL("cell", cc_raster_request, cell, "METRES", NULL, 1,
                    "cells of this size covering the bounding box (at most 8192 cells a side, and 1000 km)")},
    {CC_OPTION_TEXT("categories", cc_raster_request, categories, "all|LIST", "all",
                    "a channel per category present, or a comma list of crimecast categories; channel 0 is always "
                    "'all' (every incident)")},
    {CC_OPTION_TEXT("crs", cc_raster_request, crs, "EPSG:NNNN", NULL,
                    "the grid's metric CRS (if not given: the city's, e.g. a UTM zone); its metres must be ground "
                    "metres over the city's box to within 1% (Web Mercator's are not)")},
    {CC_OPTION_CHOICE("recency", cc_raster_request, recency, "on|off", "on",
                      "also the recency sums (/sparse/recent): each cell's incidents weighted by how recent they were "
                      "at its bin's end (decays of 1 and 3 days), from which train derives the recency maps; none "
                      "when no record's time is finer than the bin")},
    {CC_OPTION_CHOICE("layout", cc_raster_request, layout, "auto|dense|sparse", "auto",
                      "the counts dense in /counts, or only as the cells with incidents in /sparse (a cost that "
                      "scales with the incidents: for fine grids); auto: dense up to 256 MiB of counts")},
    {CC_OPTION_TEXT("out", cc_raster_request, out, "FILE.h5", NULL, "the tensor file, written whole or not at all"),
     .required = 1, .file = CC_FILE_WRITTEN},
};

/* Splits a comma list into names (pointing into the returned copy, which the caller
 * frees); NULL and no names for "all". */
static char *split_categories(const char *list, const char **names, int *count) {
    *count = 0;
    if (!strcmp(list, "all")) return NULL;
    char *copy = strdup(list);
    for (char *save, *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && *count < MAX_CATEGORIES;
         tok = strtok_r(NULL, ",", &save))
        names[(*count)++] = tok;
    return copy;
}

static int known_categories(const char *list, char *why, size_t why_len) {
    const char *names[MAX_CATEGORIES];
    int count;
    char *copy = split_categories(list, names, &count);
    int status = 0;
    size_t len = strlen(list);
    if (strcmp(list, "all") != 0 && count == 0) {
        snprintf(why, why_len, "--categories names no category (got '%s'): give all, or names joined by commas", list);
        status = -1;
    } else if (len && (list[0] == ',' || list[len - 1] == ',' || strstr(list, ",,"))) {
        snprintf(why, why_len, "--categories has an empty name (got '%s'): names joined by single commas", list);
        status = -1;
    }
    for (int k = 0; k < count && status == 0; k++)
        for (int j = 0; j < k && status == 0; j++)
            if (!strcmp(names[j], names[k])) { /* one channel a name: channels are chosen by name */
                snprintf(why, why_len, "--categories names '%s' twice", names[k]);
                status = -1;
            }
    for (int k = 0; k < count && status == 0; k++) {
        int known = 0;
        for (int i = 0; CC_TAXONOMY[i]; i++) known |= !strcmp(CC_TAXONOMY[i], names[k]);
        if (!known) {
            snprintf(why, why_len, "--categories: '%s' is not a crimecast category (violence, robbery, burglary, "
                     "theft, vehicle_theft, drugs, weapons, criminal_damage, fraud, public_order, other, unknown)",
                     names[k]);
            status = -1;
        }
    }
    free(copy);
    return status;
}

/* --crs's metres are ground metres over the city's box (cc_crs_require_true_scale): Web
 * Mercator or another country's grid is refused here, before the store is read; a grid
 * turned far from north is said in a warning. */
static int crs_true_to_scale(const char *crs, const char *city_name, char *why, size_t why_len) {
    char problem[1024], turned[512];
    cc_city *city = cc_city_load(city_name, problem, sizeof problem);
    if (!city) return 0; /* cc_city_check found it: the run will say what is wrong with it */
    cc_bbox box = cc_city_bbox(city);
    int status = cc_crs_require_true_scale(crs, &box, turned, sizeof turned, problem, sizeof problem);
    if (status != 0) snprintf(why, why_len, "--crs: %s", problem);
    else if (turned[0]) fprintf(stderr, "crimecast raster: warning: --crs: %s\n", turned);
    cc_city_free(city);
    return status;
}

/* The request's checks, the option table's: run once, where the line is read (a run that
 * checked again printed --crs's warning twice; a probe). A --crs turned from north is
 * warned of here. */
static int check_request(void *request, char *why, size_t why_len) {
    const cc_raster_request *r = request;
    int64_t from, to;
    char problem[512];
    cc_parse_iso_date(r->from, &from), cc_parse_iso_date(r->to, &to); /* valid: the table checked them */
    int metric = r->crs ? cc_crs_require_metric(r->crs, problem, sizeof problem) : 0;
    cc_bin_kind bin;
    cc_time_axis axis;
    cc_bin_kind_parse(r->bin, &bin); /* valid too */
    if (to <= from) snprintf(why, why_len, "--to must be after --from");
    else if (cc_time_axis_build(bin, from, to, &axis) != 0) /* known from the options: a usage error */
        snprintf(why, why_len, "no whole %s fits in %s .. %s (--to is the day after the last; %s)", r->bin, r->from,
                 r->to, bin == CC_BIN_WEEK ? "weeks begin on Mondays" : bin == CC_BIN_MONTH ? "months begin on the 1st"
                                                                        : "a day is the smallest bin");
    else if ((r->grid > 0) == (r->cell > 0)) snprintf(why, why_len, "give exactly one of --grid N and --cell METRES");
    else if (r->cell > 1e6) /* past a city many times over; at 1e30 the cells' coordinates lost every digit */
        snprintf(why, why_len, "--cell %.17g m is more than 1000 km: at most 1000000", r->cell);
    else if (metric == -1) snprintf(why, why_len, "--crs: %s", problem);
    else if (known_categories(r->categories, why, why_len) != 0 || cc_city_check(r->city, CC_CITY_ANY, why, why_len) != 0) return -1;
    else return metric == 0 && r->crs ? crs_true_to_scale(r->crs, r->city, why, why_len) : 0;
    return -1; /* (metric -2, no proj.db, is the machine's, not the request's: the run says so) */
}

static const cc_option_group RASTER_GROUPS[] = {{"options", CC_OPTION_ROWS(RASTER_OPTIONS), 0}};

const cc_command_spec CC_RASTER_SPEC = {
    .name = "raster",
    .synopsis = "--city CITY [--db PATH] --from DATE --to DATE --bin day|week|month (--grid N | --cell METRES)\n"
                "                        [--categories all|LIST] [--crs EPSG:NNNN] [--recency on|off] "
                "[--layout auto|dense|sparse] --out FILE.h5",
    .description = "Counts the stored incidents of CITY into a space-time tensor /counts[T][C][H][W] in an\n"
                   "HDF5 file (see README: tensor file format).\n",
    .request_size = sizeof(cc_raster_request),
    .groups = RASTER_GROUPS,
    .group_count = 1,
    .check = check_request,
};

void cc_raster_request_defaults(cc_raster_request *r) { cc_options_defaults(&CC_RASTER_SPEC, r); }

static void show_progress(void *context, uint64_t done) { cc_progress_update(context, done); }

/* One cell holding an outsized share of the span's incidents (at least 1% of them, 100 or
 * more, and 2.5 times the next busiest cell's): many records on one address, a police
 * station or a geocoder's default (San Francisco's Hall of Justice, 850 Bryant St: 2.9% of
 * 2013-2014 at 150 m, 2.8 times the next, exported as hotspot 1 unsaid; a probe). Said as
 * a note: it may be real. Channel 0 ('all'). */
static void note_dominant_cell(const cc_raster_request *r, const cc_tensor *t) {
    const cc_sparse *s = t->sparse;
    size_t cells = (size_t)t->H * t->W;
    double *total = s ? calloc(cells, sizeof *total) : NULL, all = 0;
    if (!total) return;
    for (int b = 0; b < t->T; b++) {
        size_t plane = (size_t)b * t->C;
        for (int64_t i = s->start[plane]; i < s->start[plane + 1]; i++) total[s->cell[i]] += s->count[i];
    }
    size_t top = 0, second = cells > 1 ? 1 : 0;
    for (size_t q = 0; q < cells; q++) {
        all += total[q];
        if (total[q] > total[top]) second = top, top = q;
        else if (q != top && total[q] > total[second]) second = q;
    }
    double most = total[top], next = total[second];
    free(total);
    if (!(most >= 100 && most >= 0.01 * all && most >= 2.5 * next)) return;
    int row = (int)(top / (size_t)t->W), column = (int)(top % (size_t)t->W);
    char lead[64] = "no other cell holding any";
    if (next > 0) snprintf(lead, sizeof lead, "%.1f times the next busiest", most / next);
    fprintf(stderr, "crimecast raster: note: %s: one cell holds %.1f%% of the %.0f incidents counted, %s (row %d, "
            "column %d; its centre %.0f, %.0f in %s): many records on one address, a police station or a geocoder's "
            "default (San Francisco's 850 Bryant St)? Every forecast ranks it first; look at it before a map goes "
            "out\n", r->out, 100.0 * most / all, all, lead, row, column, t->x0 + (column + 0.5) * t->cell,
            t->y0 - (row + 0.5) * t->cell, t->crs);
}

/* A sparse tensor every reader makes dense (train, baseline, predict, eval, png): past the
 * machine's memory none of them can read it, which raster wrote in half a second without
 * a word (--cell 7: 6390 x 5274 cells, a mistyped 70 or 700; a probe). Said with the
 * dense size. (Past 2^32 values raster refuses to make it.) */
static void warn_unreadable_dense(const cc_raster_request *r, const cc_tensor *t) {
    double bytes = 4.0 * (double)t->T * t->C * t->H * t->W * (1 + t->sparse->R);
    double memory = cc_physical_memory_bytes();
    if (!(memory > 0 && bytes > memory)) return;
    fprintf(stderr, "crimecast raster: warning: %s held dense is %.1f GiB (%d bins x %d channels x %d x %d cells of "
            "%.0f m%s), more than this machine's %.1f GiB of memory: every reader makes it dense (train, baseline, "
            "predict, eval, png), so none can read it here; a larger --cell (150 m is patrol resolution), a shorter "
            "span or fewer --categories\n", r->out, bytes / 1073741824.0, t->T, t->C, t->H, t->W, t->cell,
            t->sparse->R ? ", with its recency maps" : "", memory / 1073741824.0);
}

/* The days no whole bin holds, dated, and the --to that takes the tail's bin whole: --to
 * 2017-07-16 (read as inclusive) dropped a whole week with "0 days at the start, 6 at the
 * end", and the forecast that followed was of a week gone (a probe). */
static void say_dropped_days(FILE *out, const cc_time_axis *axis) {
    char head[64] = "0 days at the start", tail[160] = "0 at the end", a[11], b[11], next[11];
    if (axis->dropped_head_days) {
        cc_format_iso_date(axis->first_start - axis->dropped_head_days, a);
        cc_format_iso_date(axis->first_start - 1, b);
        snprintf(head, sizeof head, "%lld day%s at the start (%s .. %s)", (long long)axis->dropped_head_days,
                 axis->dropped_head_days == 1 ? "" : "s", a, b);
    }
    if (axis->dropped_tail_days) {
        cc_format_iso_date(axis->end, a);
        cc_format_iso_date(axis->end + axis->dropped_tail_days - 1, b);
        cc_format_iso_date(cc_bin_end(axis->kind, axis->end), next);
        snprintf(tail, sizeof tail, "%lld at the end (%s .. %s; --to is the day after the last taken: --to %s takes "
                 "that %s whole)", (long long)axis->dropped_tail_days, a, b, next, cc_bin_kind_name(axis->kind));
    }
    fprintf(out, "  dropped partial bins: %s, %s\n", head, tail);
}

static void report(FILE *out, const cc_raster_request *r, const cc_raster_stats *s, const cc_tensor *t,
                   double seconds) {
    char first[11], last[11];
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    fprintf(out, "%s: %d %s%s (%s .. %s) x %d channels x %d x %d cells of %.1f m in %s; %llu incidents, "
                 "%llu counted, %llu in dropped partial bins, %llu off the grid [%.1f s]\n",
            r->out, t->T, cc_bin_kind_name(s->axis.kind), t->T == 1 ? "" : "s", first, last, t->C, t->H, t->W, t->cell,
            t->crs,
            (unsigned long long)s->incidents, (unsigned long long)s->counted, (unsigned long long)s->outside_bins,
            (unsigned long long)s->outside_grid, seconds);
    if (!t->values)
        fprintf(out, "  counts stored sparse: %lld cells with incidents of %.0f (%.2f%%)\n", (long long)t->sparse->nnz,
                (double)t->T * t->C * t->H * t->W, 100.0 * (double)t->sparse->nnz / ((double)t->T * t->C * t->H * t->W));
    if (t->sparse->R == 0 && !strcmp(r->recency, "off"))
        fprintf(out, "  no recency maps (--recency off)\n");
    else if (t->sparse->R == 0)
        fprintf(out, "  no recency maps: no incident's time is finer than a %s\n", cc_bin_kind_name(s->axis.kind));
    if (s->axis.dropped_head_days || s->axis.dropped_tail_days) say_dropped_days(out, &s->axis);
    if (s->malformed) /* rows another program wrote: crimecast stores none */
        fprintf(stderr, "crimecast raster: warning: %s: %llu incident%s of the span with an occurred that is no "
                "\"YYYY-MM-DD HH:MM\" of the calendar (the first: '%s'): not counted\n", r->db,
                (unsigned long long)s->malformed, s->malformed == 1 ? "" : "s", s->first_malformed);
    warn_unreadable_dense(r, t);
    note_dominant_cell(r, t);
}

/* Whether bin b holds no incident (channel 0 is 'all'). */
static int empty_bin(const cc_tensor *t, int b) {
    if (t->sparse) return t->sparse->start[(size_t)b * t->C] == t->sparse->start[(size_t)b * t->C + 1];
    size_t plane = (size_t)t->H * t->W;
    const float *v = t->values + (size_t)b * t->C * plane;
    for (size_t q = 0; q < plane; q++)
        if (v[q] != 0) return 0;
    return 1;
}

/* Bins without a single incident, said on stderr: over a city they are a gap in the store
 * (a span not imported, a portal's missing day), not a week without crime, and a model
 * would learn them as one. Names the first runs of them. */
static void warn_empty_bins(const cc_tensor *t, const char *bin_name) {
    int empty = 0, runs = 0;
    char listed[512] = "";
    size_t used = 0;
    for (int b = 0; b < t->T; b++) {
        if (!empty_bin(t, b)) continue;
        int end = b;
        while (end + 1 < t->T && empty_bin(t, end + 1)) end++;
        empty += end - b + 1;
        if (runs++ < 3 && used < sizeof listed) {
            char first[11], last[11];
            cc_format_iso_date(t->time[b], first), cc_format_iso_date(t->time[end], last);
            used += (size_t)snprintf(listed + used, sizeof listed - used, "%s%s%s%s", runs > 1 ? ", " : "", first,
                                     end > b ? " .. " : "", end > b ? last : "");
        }
        b = end;
    }
    if (empty == 0) return;
    fprintf(stderr, "crimecast raster: warning: %d of %d %ss %s no incident at all (%s%s): a gap in the store, not "
            "a %s without crime? Import or crawl those dates, or raster a span the store covers\n",
            empty, t->T, bin_name, empty == 1 ? "holds" : "hold", listed, runs > 3 ? ", ..." : "", bin_name);
}

/* Whether channel c holds no incident in any bin. */
static int empty_channel(const cc_tensor *t, int c) {
    size_t plane = (size_t)t->H * t->W;
    for (int b = 0; b < t->T; b++) {
        if (t->sparse && t->sparse->start[(size_t)b * t->C + c] != t->sparse->start[(size_t)b * t->C + c + 1]) return 0;
        const float *v = t->sparse ? NULL : t->values + ((size_t)b * t->C + c) * plane;
        for (size_t q = 0; v && q < plane; q++)
            if (v[q] != 0) return 0;
    }
    return 1;
}

/* A channel asked for (--categories) that no incident of the span falls in: all zeros,
 * which a model and every score of it read as a crime that never happened here. */
static void warn_empty_channels(const cc_tensor *t) {
    for (int c = 0; c < t->C; c++)
        if (empty_channel(t, c))
            fprintf(stderr, "crimecast raster: warning: channel '%s' holds no incident in the span: all zeros (a "
                    "category this city's records do not give, or none of it in these dates?)\n", t->categories[c]);
}

/* How unlikely no incident of a category in a run of bins must be (as -ln of the chance)
 * before the run is taken for records the store lacks: one in a million. */
#define CC_RASTER_UNLIKELY_GAP 13.8 /* -ln(1e-6) */

/* -ln of the chance that none of a category's `count` incidents fell in a run of bins
 * holding `run` of the `all` categorised incidents, were its share the same everywhere
 * (binomial: (1 - run/all)^count). Conditioned on the count, so a category of one incident
 * is never a gap (a share estimated from its own first and last bins made one in week 40
 * of 156 one: a reviewer). */
static double no_incident_log_odds(double count, double run, double all) {
    if (run <= 0 || all <= 0) return 0;
    return run >= all ? INFINITY : -count * log1p(-run / all);
}

/* The incidents of bin b that have a category: channel 'all' less channel 'unknown'. */
static double categorised(const cc_tensor *t, int b, int unknown) {
    return cc_tensor_plane_total(t, b, 0) - (unknown > 0 ? cc_tensor_plane_total(t, b, unknown) : 0);
}

/* A category channel without an incident in a run of bins at the span's start or end where,
 * at one share of the categorised incidents throughout, that is a chance below one in a
 * million (no_incident_log_odds): the store's records of that category cover less time
 * than the span, as when a one-year file of every crime type was imported beside a
 * nine-year file of burglaries (or the source began or stopped recording it). A model
 * would learn the category's start as a change in crime. The chance rests on the
 * incidents of the run that have a category, so a week of uncategorised records (San
 * Francisco's Kaggle test weeks) or a thin trickle at the span's start is no gap (a
 * reviewer). Said in one warning naming the first channels so found. */
static void warn_channel_coverage(const cc_tensor *t, const cc_raster_stats *s, const char *bin_name) {
    int unknown = cc_tensor_channel(t, CC_CATEGORY_UNKNOWN);
    if (unknown < 0 && s->bins_uncategorised > 0) return; /* which incidents had a category is not known */
    double *known = malloc((size_t)t->T * sizeof *known);
    char listed[1024] = "";
    size_t used = 0;
    int partial = 0;
    for (int b = 0; known && b < t->T; b++) known[b] = categorised(t, b, unknown);
    for (int c = 1; known && c < t->C; c++) {
        if (c == unknown) continue; /* a share of the records, not a crime type */
        int first = -1, last = -1;
        double sum = 0, known_all = 0, known_before = 0, known_after = 0;
        for (int b = 0; b < t->T; b++) {
            double total = cc_tensor_plane_total(t, b, c);
            sum += total;
            if (total > 0) last = b, first = first < 0 ? b : first;
        }
        if (first < 0) continue; /* warn_empty_channels says it */
        for (int b = 0; b < t->T; b++) {
            known_all += known[b];
            if (b < first) known_before += known[b];
            if (b > last) known_after += known[b];
        }
        if (!(no_incident_log_odds(sum, known_before, known_all) > CC_RASTER_UNLIKELY_GAP ||
              no_incident_log_odds(sum, known_after, known_all) > CC_RASTER_UNLIKELY_GAP))
            continue;
        char from[11], to[11];
        cc_format_iso_date(t->time[first], from), cc_format_iso_date(t->time[last], to);
        if (partial++ < 4 && used < sizeof listed)
            used += (size_t)snprintf(listed + used, sizeof listed - used, "%s'%s' %s .. %s (%d of %d %ss, %.1f a %s)",
                                     partial > 1 ? ", " : "", t->categories[c], from, to, last - first + 1, t->T,
                                     bin_name, sum / (last - first + 1), bin_name);
    }
    char more[32] = "";
    if (partial > 4) snprintf(more, sizeof more, ", and %d more", partial - 4);
    if (partial)
        fprintf(stderr, "crimecast raster: warning: %d channel%s hold%s incidents only in part of the span, where %s "
                "share of the incidents makes the empty %ss all but impossible: %s%s. The store's records of "
                "%s seem to cover less time than the span (files of other categories or dates imported together, or "
                "a category the source began or stopped recording?), and a model would learn a start or end of "
                "records as a change in crime: raster the span the records cover, or --categories without %s\n",
                partial, partial == 1 ? "" : "s", partial == 1 ? "s" : "", partial == 1 ? "its" : "their", bin_name,
                listed, more, partial == 1 ? "it" : "them", partial == 1 ? "it" : "them");
    free(known);
}

/* Bins whose incidents mostly have no category: their category channels are near empty,
 * which a model and every category score read as weeks without that crime (San
 * Francisco's Kaggle files: every other week; persistence's AUC there 0.5). */
static void warn_uncategorised_bins(const cc_tensor *t, const cc_raster_stats *s, const char *bin_name) {
    int categories = 0; /* channels of a crime type: not all, not unknown */
    for (int c = 1; c < t->C; c++) categories += strcmp(t->categories[c], CC_CATEGORY_UNKNOWN) != 0;
    if (s->bins_uncategorised == 0 || categories == 0) return; /* no crime-type channel to mislead */
    char first[11];
    cc_format_iso_date(t->time[s->first_uncategorised], first);
    fprintf(stderr, "crimecast raster: warning: in %d of %d %ss (the first: %s) more than half the incidents have no "
            "category ('unknown'): the crime-type channels are near empty there, not free of those crimes; only "
            "channel all (and unknown) is whole in them\n", s->bins_uncategorised, t->T, bin_name, first);
}

/* Bins with days the store seems to lack (cc_raster_stats.bins_short): their counts are
 * short, not low, and a model or a score would take them as a quiet week (a probe's San
 * Francisco tensor ended on a week with three of its seven days). */
static void warn_short_bins(const cc_tensor *t, const cc_raster_stats *s, const char *bin_name) {
    if (s->bins_short == 0) return;
    char first[11], day[11];
    cc_format_iso_date(t->time[s->first_short], first);
    cc_format_iso_date(s->first_short_day, day);
    fprintf(stderr, "crimecast raster: warning: %d of %d %ss %s days without a single incident while their other "
            "days hold %.0f or more on average (the first: the %s of %s, %d day%s without one from %s): days missing "
            "from the store? Their counts are short, not low: import or crawl those dates, or raster a span the "
            "store covers\n", s->bins_short, t->T, bin_name, s->bins_short == 1 ? "has" : "have", CC_RASTER_BUSY_DAY,
            bin_name, first, s->first_short_days, s->first_short_days == 1 ? "" : "s", day);
}

/* The store is named by its absolute path: a baseline that reads the incidents again
 * (ETAS, from the tensor alone) then finds it from any directory. */
static char *describe_source(const cc_raster_request *r) {
    char here[PATH_MAX];
    int relative = r->db[0] != '/' && getcwd(here, sizeof here);
    size_t len = strlen(r->db) + (relative ? strlen(here) : 0) + 1024;
    char *text = malloc(len);
    if (text)
        snprintf(text, len, "sqlite:%s%s%s SELECT occurred, lat, lon, category FROM incidents WHERE city = '%s' "
                            "AND occurred >= '%s 00:00' AND occurred < '%s 00:00'",
                 relative ? here : "", relative ? "/" : "", r->db, r->city, r->from, r->to);
    return text;
}

/* The request as the raster command line that makes the same file. */
static char *describe_command(const cc_raster_request *r) {
    enum { WORDS = 5, MOST = 5 * CC_SHELL_WORD_MAX + 1024 };
    char *text = malloc(MOST), size[64], *word = malloc((size_t)WORDS * CC_SHELL_WORD_MAX);
    const char *given[WORDS] = {r->city, r->db, r->categories, r->crs ? r->crs : "", r->out}, *quoted[WORDS];
    for (int i = 0; word && i < WORDS; i++) /* each one word to a shell, as the user gave it */
        quoted[i] = cc_shell_word(given[i], word + (size_t)i * CC_SHELL_WORD_MAX, CC_SHELL_WORD_MAX);
    if (!text || !word) {
        free(text), free(word);
        return NULL;
    }
    if (r->grid > 0) snprintf(size, sizeof size, "--grid %d", r->grid);
    else snprintf(size, sizeof size, "--cell %.17g", r->cell);
    snprintf(text, MOST, "crimecast %s raster --city %s --db %s --from %s --to %s --bin %s %s --categories %s%s%s "
                         "--recency %s --layout %s --out %s",
             CRIMECAST_VERSION, quoted[0] ? quoted[0] : "?", quoted[1] ? quoted[1] : "?", r->from, r->to, r->bin, size,
             quoted[2] ? quoted[2] : "?", r->crs ? " --crs " : "", r->crs && quoted[3] ? quoted[3] : "", r->recency,
             r->layout, quoted[4] ? quoted[4] : "?");
    free(word);
    return text;
}

/* The spec of heatmaps/raster.h; names point into the caller's array. */
static cc_raster_spec spec_of(const cc_raster_request *r, const char *const *names, int count) {
    cc_raster_spec spec = {0};
    cc_bin_kind_parse(r->bin, &spec.bin); /* valid: the table checked them */
    cc_parse_iso_date(r->from, &spec.from);
    cc_parse_iso_date(r->to, &spec.to);
    spec.crs = r->crs;
    spec.cells = r->grid;
    spec.cell_metres = r->cell;
    spec.categories = count ? names : NULL;
    spec.category_count = count;
    spec.without_recency = !strcmp(r->recency, "off");
    spec.layout = !strcmp(r->layout, "dense") ? CC_LAYOUT_DENSE : !strcmp(r->layout, "sparse") ? CC_LAYOUT_SPARSE
                                                                                               : CC_LAYOUT_AUTO;
    return spec;
}

static int rasterise(const cc_raster_request *r, cc_store *store, const cc_city *city, FILE *out, char *err,
                     size_t err_len) {
    const char *names[MAX_CATEGORIES];
    int count;
    char *list = split_categories(r->categories, names, &count);
    cc_raster_spec spec = spec_of(r, names, count);
    cc_tensor t;
    cc_raster_stats stats;
    cc_progress bar;
    cc_progress_begin(&bar, "raster", 0);
    if (bar.enabled) bar.total = (uint64_t)cc_store_count(store, r->city); /* an upper bound */
    double start = cc_now_seconds();
    int ok = cc_rasterise(store, city, &spec, &t, &stats, bar.enabled ? show_progress : NULL, &bar, err, err_len) == 0;
    cc_progress_end(&bar);
    if (ok && stats.counted == 0) { /* a tensor of zeros: nothing trains, forecasts or scores on it */
        snprintf(err, err_len, "no incident of %s counted in %s .. %s (%llu in the store's span: %llu off the grid, "
                 "%llu in dropped partial bins): nothing to raster; import or crawl the span first", r->city, r->from,
                 r->to, (unsigned long long)stats.incidents, (unsigned long long)stats.outside_grid,
                 (unsigned long long)stats.outside_bins);
        cc_tensor_free(&t);
        ok = 0;
    } else if (ok) {
        t.source = describe_source(r);
        t.created_by = describe_command(r);
        ok = cc_tensor_write(r->out, &t, "counts", CC_TENSOR_FORMAT, NULL, 0, err, err_len) == 0;
        if (ok) report(out, r, &stats, &t, cc_now_seconds() - start);
        if (ok) warn_empty_bins(&t, cc_bin_kind_name(stats.axis.kind));
        if (ok) warn_uncategorised_bins(&t, &stats, cc_bin_kind_name(stats.axis.kind));
        if (ok) warn_short_bins(&t, &stats, cc_bin_kind_name(stats.axis.kind));
        if (ok) warn_empty_channels(&t);
        if (ok) warn_channel_coverage(&t, &stats, cc_bin_kind_name(stats.axis.kind));
        cc_tensor_free(&t);
    }
    free(list);
    return ok ? 0 : -1;
}

int cc_run_raster(const cc_raster_request *r, FILE *out, char *err, size_t err_len) {
    if (cc_hdf5_replace_check(r->out, CC_TENSOR_FORMAT, err, err_len) != 0) return -1; /* before the store is read */
    cc_city *city = cc_city_load(r->city, err, err_len);
    if (!city) return -1;
    cc_store *store = cc_store_open_existing(r->db, err, err_len);
    int status = store ? rasterise(r, store, city, out, err, err_len) : -1;
    cc_store_close(store);
    cc_city_free(city);
    return status;
}
