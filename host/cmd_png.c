/* crimecast png: heatmap PNGs from a tensor or forecast file. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "heatmaps/colormap.h"
#include "heatmaps/png_export.h"
#include "heatmaps/time_bins.h"
#include "host/cli.h"
#include "host/tensor_file.h"

static const char PNG_HELP[] =
    "usage: crimecast png --in FILE.h5 [--dataset counts|forecast] (--time DATE | --index I | --all)\n"
    "                     [--category NAME] [--cmap inferno|viridis|magma|gray]\n"
    "                     [--scale linear|sqrt|log] [--vmax V | --vmax-quantile Q] [--zoom K]\n"
    "                     --out FILE.png|DIR\n\n"
    "Draws one time step (--time: the bin starting on DATE, or --index) of one channel\n"
    "(default 'all') as an 8-bit palette PNG, north up, cells outside the mask in a neutral\n"
    "colour. With --all, one PNG per time step into DIR (created if needed), named\n"
    "<category>_<date>.png, all on the same colour scale. The scale runs from 0 to vmax:\n"
    "--vmax V, or the Q-quantile (0-1] of the in-mask values of every frame drawn\n"
    "(default: their maximum). Each cell is drawn K x K pixels (--zoom, default 8). The\n"
    "scale, colormap, time and category are written into each PNG as text chunks.\n";

typedef struct png_args {
    const char *in, *dataset, *time, *category, *out;
    int index, all;
    const cc_colormap *cmap;
    cc_scale scale;
    double vmax, quantile;
    int zoom;
} png_args;

static int parse_args(int argc, char **argv, png_args *a) {
    static const struct option OPTIONS[] = {
        {"in", required_argument, NULL, 'i'},      {"dataset", required_argument, NULL, 'd'},
        {"time", required_argument, NULL, 't'},    {"index", required_argument, NULL, 'n'},
        {"all", no_argument, NULL, 'a'},           {"category", required_argument, NULL, 'c'},
        {"cmap", required_argument, NULL, 'm'},    {"scale", required_argument, NULL, 's'},
        {"vmax", required_argument, NULL, 'v'},    {"vmax-quantile", required_argument, NULL, 'q'},
        {"zoom", required_argument, NULL, 'z'},    {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->category = "all";
    a->cmap = cc_colormap_find("inferno");
    a->index = -1;
    a->zoom = 8;
    optind = 0;
    opterr = 0;
    int opt, selectors = 0;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'i': a->in = optarg; break;
        case 'd': a->dataset = optarg; break;
        case 't': a->time = optarg, selectors++; break;
        case 'a': a->all = 1, selectors++; break;
        case 'c': a->category = optarg; break;
        case 'o': a->out = optarg; break;
        case 'n':
            a->index = (int)strtol(optarg, &end, 10), selectors++;
            if (*end || a->index < 0) return cc_usage_error("png", "--index must be >= 0 (got '%s')", optarg);
            break;
        case 'm':
            if (!(a->cmap = cc_colormap_find(optarg)))
                return cc_usage_error("png", "--cmap must be inferno, viridis, magma or gray (got '%s')", optarg);
            break;
        case 's':
            if (cc_scale_parse(optarg, &a->scale) != 0)
                return cc_usage_error("png", "--scale must be linear, sqrt or log (got '%s')", optarg);
            break;
        case 'v':
            a->vmax = strtod(optarg, &end);
            if (*end || !(a->vmax > 0)) return cc_usage_error("png", "--vmax must be > 0 (got '%s')", optarg);
            break;
        case 'q':
            a->quantile = strtod(optarg, &end);
            if (*end || !(a->quantile > 0 && a->quantile <= 1))
                return cc_usage_error("png", "--vmax-quantile must be in (0, 1] (got '%s')", optarg);
            break;
        case 'z':
            a->zoom = (int)strtol(optarg, &end, 10);
            if (*end || a->zoom < 1 || a->zoom > 64) return cc_usage_error("png", "--zoom must be 1-64 (got '%s')", optarg);
            break;
        case 'h': fputs(PNG_HELP, stdout); return -1;
        default: return cc_usage_error("png", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cc_usage_error("png", "unexpected argument '%s'", argv[optind]);
    if (!a->in || !a->out) return cc_usage_error("png", "--in and --out are required");
    if (selectors != 1) return cc_usage_error("png", "give exactly one of --time, --index and --all");
    if (a->vmax > 0 && a->quantile > 0) return cc_usage_error("png", "give --vmax or --vmax-quantile, not both");
    return 0;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* vmax over the in-mask values of frames [first, last] of channel c. */
static double choose_vmax(const cc_tensor *t, int c, int first, int last, double quantile) {
    size_t plane = (size_t)t->H * t->W, n = 0;
    float *v = malloc(sizeof *v * plane * (size_t)(last - first + 1));
    if (!v) return 1.0;
    for (int ti = first; ti <= last; ti++)
        for (size_t k = 0; k < plane; k++)
            if (t->mask[k]) v[n++] = t->values[cc_tensor_offset(t, ti, c, 0, 0) + k];
    double vmax = 0;
    if (n > 0) {
        qsort(v, n, sizeof *v, compare_floats);
        double q = quantile > 0 ? quantile : 1.0;
        size_t k = (size_t)ceil(q * (double)n) - 1;
        vmax = v[k < n ? k : n - 1];
    }
    free(v);
    return vmax > 0 ? vmax : 1.0; /* an empty map still needs a scale */
}

static int draw_frame(const png_args *a, const cc_tensor *t, int ti, int c, double vmax, const char *path) {
    char date[11], vmax_text[32], err[1024];
    cc_format_iso_date(t->time[ti], date);
    snprintf(vmax_text, sizeof vmax_text, "%.9g", vmax);
    cc_png_style style = {a->cmap, a->scale, vmax, a->zoom};
    cc_png_text texts[] = {{"vmin", "0"},      {"vmax", vmax_text}, {"scale", cc_scale_name(a->scale)},
                           {"colormap", a->cmap->name}, {"time", date}, {"category", t->categories[c]},
                           {"bin", t->bin},    {"Software", "crimecast " CRIMECAST_VERSION}};
    if (cc_png_write(path, t->values + cc_tensor_offset(t, ti, c, 0, 0), t->mask, t->H, t->W, &style, texts,
                     (int)(sizeof texts / sizeof texts[0]), err, sizeof err) != 0) {
        fprintf(stderr, "crimecast png: %s\n", err);
        return -1;
    }
    return 0;
}

static int pick_frame(const png_args *a, const cc_tensor *t) {
    if (a->index >= 0) {
        if (a->index >= t->T) {
            fprintf(stderr, "crimecast png: %s: --index %d, but the file has %d time steps\n", a->in, a->index, t->T);
            return -1;
        }
        return a->index;
    }
    int64_t day;
    if (cc_parse_iso_date(a->time, &day) != 0) {
        fprintf(stderr, "crimecast png: --time '%s' is not a date (YYYY-MM-DD)\n", a->time);
        return -1;
    }
    int ti = cc_tensor_bin(t, day);
    if (ti >= 0) return ti;
    char first[11], last[11];
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    fprintf(stderr, "crimecast png: %s: no %s bin starts on %s (bins start %s .. %s)\n", a->in, t->bin, a->time,
            first, last);
    return -1;
}

static int draw_all(const png_args *a, const cc_tensor *t, int c) {
    if (mkdir(a->out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "crimecast png: %s: cannot create directory: %s\n", a->out, strerror(errno));
        return -1;
    }
    double vmax = a->vmax > 0 ? a->vmax : choose_vmax(t, c, 0, t->T - 1, a->quantile);
    for (int ti = 0; ti < t->T; ti++) {
        char date[11], path[4200];
        cc_format_iso_date(t->time[ti], date);
        snprintf(path, sizeof path, "%s/%s_%s.png", a->out, t->categories[c], date);
        if (draw_frame(a, t, ti, c, vmax, path) != 0) return -1;
    }
    printf("%s: %d PNGs of '%s', %d x %d pixels, scale 0 .. %g (%s, %s)\n", a->out, t->T, t->categories[c],
           t->W * a->zoom, t->H * a->zoom, vmax, cc_scale_name(a->scale), a->cmap->name);
    return 0;
}

int cc_cmd_png(int argc, char **argv) {
    png_args a;
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    cc_tensor t;
    char err[1024];
    if (cc_tensor_read(a.in, a.dataset, &t, err, sizeof err) != 0) {
        fprintf(stderr, "crimecast png: %s\n", err);
        return CC_EXIT_FAILURE;
    }
    int status = CC_EXIT_FAILURE, c = cc_tensor_channel(&t, a.category);
    if (c < 0) {
        fprintf(stderr, "crimecast png: %s has no category '%s' (it has:", a.in, a.category);
        for (int k = 0; k < t.C; k++) fprintf(stderr, " %s", t.categories[k]);
        fprintf(stderr, ")\n");
    } else if (a.all) {
        status = draw_all(&a, &t, c) == 0 ? CC_EXIT_OK : CC_EXIT_FAILURE;
    } else {
        int ti = pick_frame(&a, &t);
        double vmax = a.vmax > 0 ? a.vmax : ti >= 0 ? choose_vmax(&t, c, ti, ti, a.quantile) : 1;
        if (ti >= 0 && draw_frame(&a, &t, ti, c, vmax, a.out) == 0) {
            char date[11];
            cc_format_iso_date(t.time[ti], date);
            printf("%s: '%s', %s bin of %s, %d x %d pixels, scale 0 .. %g (%s, %s)\n", a.out, t.categories[c],
                   t.bin, date, t.W * a.zoom, t.H * a.zoom, vmax, cc_scale_name(a.scale), a.cmap->name);
            status = CC_EXIT_OK;
        }
    }
    cc_tensor_free(&t);
    return status;
}
