/* crimecast raster: incident store → HDF5 count tensor. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/city.h"
#include "crawler/store.h"
#include "heatmaps/raster.h"
#include "host/cli.h"
#include "host/progress.h"
#include "host/tensor_file.h"

static const char RASTER_HELP[] =
    "usage: crimecast raster --city CITY [--db PATH] --from DATE --to DATE --bin day|week|month\n"
    "                        (--grid N | --cell METRES) [--categories all|LIST] [--crs EPSG:NNNN]\n"
    "                        [--recency on|off] --out FILE.h5\n\n"
    "Counts the stored incidents of CITY into a space-time tensor /counts[T][C][H][W] in an\n"
    "HDF5 file (see README: tensor file format).\n\n"
    "  --from, --to   the span [from, to), ISO dates (YYYY-MM-DD); partial bins at either end\n"
    "                 are dropped and reported\n"
    "  --bin          local calendar days, ISO weeks (Monday to Sunday) or calendar months;\n"
    "                 London's records are monthly, so London takes --bin month\n"
    "  --grid N       N x N square cells over the longer side of the city's bounding box\n"
    "  --cell METRES  cells of this size covering the bounding box\n"
    "  --categories   'all' (default): a channel per category present, or a comma list of\n"
    "                 crimecast categories; channel 0 is always 'all' (every incident)\n"
    "  --crs          metric CRS of the grid (default: the city's, e.g. a UTM zone)\n"
    "  --recency      on (default): also /recency, the incidents weighted by how recent\n"
    "                 they were at each bin's end (decays of 1 and 3 days; what `train`\n"
    "                 reads about when in a bin they came); twice the counts' size, so\n"
    "                 off saves memory on very large tensors. None when no record's time\n"
    "                 is finer than the bin (police.uk months)\n"
    "  --db PATH      incident store (default " CC_DEFAULT_DB ")\n"
    "  --out FILE     the tensor file, written whole or not at all\n";

typedef struct raster_args {
    const char *city, *db, *out, *crs, *categories;
    cc_raster_spec spec;
    int have_from, have_to, have_bin;
} raster_args;

static int parse_args(int argc, char **argv, raster_args *a) {
    static const struct option OPTIONS[] = {
        {"city", required_argument, NULL, 'c'}, {"db", required_argument, NULL, 'd'},
        {"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
        {"bin", required_argument, NULL, 'b'},  {"grid", required_argument, NULL, 'g'},
        {"cell", required_argument, NULL, 'm'}, {"categories", required_argument, NULL, 'k'},
        {"crs", required_argument, NULL, 'p'},  {"out", required_argument, NULL, 'o'},
        {"recency", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->db = CC_DEFAULT_DB;
    a->categories = "all";
    optind = 0;
    opterr = 0;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'c': a->city = optarg; break;
        case 'd': a->db = optarg; break;
        case 'o': a->out = optarg; break;
        case 'p': a->crs = optarg; break;
        case 'k': a->categories = optarg; break;
        case 'r':
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return cc_usage_error("raster", "--recency must be on or off (got '%s')", optarg);
            a->spec.without_recency = !strcmp(optarg, "off");
            break;
        case 'f':
            if (cc_parse_iso_date(optarg, &a->spec.from) != 0)
                return cc_usage_error("raster", "--from '%s' is not a date (YYYY-MM-DD)", optarg);
            a->have_from = 1;
            break;
        case 't':
            if (cc_parse_iso_date(optarg, &a->spec.to) != 0)
                return cc_usage_error("raster", "--to '%s' is not a date (YYYY-MM-DD)", optarg);
            a->have_to = 1;
            break;
        case 'b':
            if (cc_bin_kind_parse(optarg, &a->spec.bin) != 0)
                return cc_usage_error("raster", "--bin must be day, week or month (got '%s')", optarg);
            a->have_bin = 1;
            break;
        case 'g':
            a->spec.cells = (int)strtol(optarg, &end, 10);
            if (*end || a->spec.cells < 1 || a->spec.cells > 4096)
                return cc_usage_error("raster", "--grid must be a whole number of cells, 1-4096 (got '%s')", optarg);
            break;
        case 'm':
            a->spec.cell_metres = strtod(optarg, &end);
            if (*end || !(a->spec.cell_metres >= 1.0))
                return cc_usage_error("raster", "--cell must be a size in metres >= 1 (got '%s')", optarg);
            break;
        case 'h': fputs(RASTER_HELP, stdout); return -1;
        default: return cc_usage_error("raster", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cc_usage_error("raster", "unexpected argument '%s'", argv[optind]);
    if (!a->city || !a->out || !a->have_from || !a->have_to || !a->have_bin)
        return cc_usage_error("raster", "--city, --from, --to, --bin and --out are required");
    if (a->spec.to <= a->spec.from) return cc_usage_error("raster", "--to must be after --from");
    if ((a->spec.cells > 0) == (a->spec.cell_metres > 0))
        return cc_usage_error("raster", "give exactly one of --grid N and --cell METRES");
    a->spec.crs = a->crs;
    return 0;
}

/* Splits a comma list into the spec's categories (NULL for "all"). */
static char *split_categories(const char *list, cc_raster_spec *spec, const char **names, int cap) {
    if (!strcmp(list, "all")) return NULL;
    char *copy = strdup(list);
    int n = 0;
    for (char *save, *tok = strtok_r(copy, ",", &save); tok && n < cap; tok = strtok_r(NULL, ",", &save))
        names[n++] = tok;
    spec->categories = names;
    spec->category_count = n;
    return copy;
}

static void show_progress(void *context, uint64_t done) { cc_progress_update(context, done); }

static void report(const raster_args *a, const cc_raster_stats *s, const cc_tensor *t, double seconds) {
    char first[11], last[11];
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    printf("%s: %d %ss (%s .. %s) x %d channels x %d x %d cells of %.1f m in %s; %llu incidents, "
           "%llu counted, %llu in dropped partial bins, %llu off the grid [%.1f s]\n",
           a->out, t->T, s->axis.kind == CC_BIN_DAY ? "day" : cc_bin_kind_name(s->axis.kind), first, last,
           t->C, t->H, t->W, t->cell, t->crs, (unsigned long long)s->incidents,
           (unsigned long long)s->counted, (unsigned long long)s->outside_bins,
           (unsigned long long)s->outside_grid, seconds);
    if (t->R == 0 && a->spec.without_recency)
        printf("  no recency maps (--recency off)\n");
    else if (t->R == 0)
        printf("  no recency maps: no incident's time is finer than a %s\n", cc_bin_kind_name(s->axis.kind));
    if (s->axis.dropped_head_days || s->axis.dropped_tail_days)
        printf("  dropped partial bins: %lld days at the start, %lld at the end\n",
               (long long)s->axis.dropped_head_days, (long long)s->axis.dropped_tail_days);
}

static char *describe_source(const raster_args *a, const cc_raster_stats *s) {
    char from[11], to[11], *text = malloc(1024);
    cc_format_iso_date(a->spec.from, from);
    cc_format_iso_date(a->spec.to, to);
    if (text)
        snprintf(text, 1024, "sqlite:%s SELECT occurred, lat, lon, category FROM incidents WHERE city = '%s' "
                             "AND occurred >= '%s 00:00' AND occurred < '%s 00:00'",
                 a->db, a->city, from, to);
    (void)s;
    return text;
}

static char *describe_command(int argc, char **argv) {
    size_t n = strlen("crimecast " CRIMECAST_VERSION) + 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *text = malloc(n);
    if (!text) return NULL;
    strcpy(text, "crimecast " CRIMECAST_VERSION);
    for (int i = 0; i < argc; i++) strcat(strcat(text, " "), argv[i]);
    return text;
}

int cc_cmd_raster(int argc, char **argv) {
    raster_args a;
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    const char *names[64];
    char *list = split_categories(a.categories, &a.spec, names, 64);
    for (int k = 0; k < a.spec.category_count; k++) {
        int known = 0;
        for (int i = 0; CC_TAXONOMY[i]; i++) known |= !strcmp(CC_TAXONOMY[i], names[k]);
        if (!known) {
            int status = cc_usage_error("raster", "--categories: '%s' is not a crimecast category (violence, "
                                        "robbery, burglary, theft, vehicle_theft, drugs, weapons, criminal_damage, "
                                        "fraud, public_order, other, unknown)", names[k]);
            free(list);
            return status;
        }
    }
    char err[1024];
    cc_city *city = cc_city_load(a.city, err, sizeof err);
    if (!city) {
        free(list);
        return cc_usage_error("raster", "%s", err);
    }
    int status = CC_EXIT_FAILURE;
    cc_store *store = cc_store_open(a.db, err, sizeof err);
    if (store) {
        cc_tensor t;
        cc_raster_stats stats;
        cc_progress bar;
        cc_progress_begin(&bar, "raster", 0);
        if (bar.enabled) bar.total = (uint64_t)cc_store_count(store, a.city); /* an upper bound */
        double start = cc_now_seconds();
        int ok = cc_rasterise(store, city, &a.spec, &t, &stats, bar.enabled ? show_progress : NULL, &bar, err,
                              sizeof err) == 0;
        cc_progress_end(&bar);
        if (ok) {
            t.source = describe_source(&a, &stats);
            t.created_by = describe_command(argc, argv);
            ok = cc_tensor_write(a.out, &t, "counts", CC_TENSOR_FORMAT, NULL, 0, err, sizeof err) == 0;
            if (ok) report(&a, &stats, &t, cc_now_seconds() - start);
            cc_tensor_free(&t);
        }
        if (ok) status = CC_EXIT_OK;
        cc_store_close(store);
    }
    if (status != CC_EXIT_OK) fprintf(stderr, "crimecast raster: %s\n", err);
    cc_city_free(city);
    free(list);
    return status;
}
