/* host/run_png.h */
#include "host/run_png.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "heatmaps/colormap.h"
#include "heatmaps/panels.h"
#include "heatmaps/png_export.h"
#include "heatmaps/tensor_file.h"

static const cc_option PNG_OPTIONS[] = {
    {CC_OPTION_TEXT("in", cc_png_request, in, "FILE.h5", NULL, "a tensor or forecast file"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_CHOICE("dataset", cc_png_request, dataset, "counts|forecast", NULL,
                      "the dataset drawn (if not given: the one the file has)")},
    {CC_OPTION_DATE("time", cc_png_request, time, NULL, "draw the bin starting on DATE")},
    {CC_OPTION_SOME_INT("index", cc_png_request, index, "I", 0, 1000000000, "draw time step I (from 0)")},
    {CC_OPTION_FLAG("all", cc_png_request, all,
                    "draw every time step into the directory --out, as <category>_<date>.png, on one colour scale")},
    {CC_OPTION_TEXT("category", cc_png_request, category, "NAME", "all", "the channel drawn")},
    {CC_OPTION_CHOICE("cmap", cc_png_request, cmap, "inferno|viridis|magma|gray", "inferno", "the colormap")},
    {CC_OPTION_CHOICE("scale", cc_png_request, scale, "linear|sqrt|log", "linear",
                      "the colour scale's shape (log: log(1 + v) / log(1 + vmax))")},
    {CC_OPTION_REAL("vmax", cc_png_request, vmax, "V", NULL, 0, "the scale's top (if not given: the values' maximum)"),
     .open_min = 1},
    {CC_OPTION_REAL("vmax-quantile", cc_png_request, quantile, "Q", NULL, 0,
                    "the scale's top at this quantile of the in-mask values of every frame drawn"),
     .open_min = 1, .max = 1},
    {CC_OPTION_INT("zoom", cc_png_request, zoom, "K", "8", 1, 64, "pixels per cell side, 1-64")},
    {CC_OPTION_FLAG("legend", cc_png_request, legend,
                    "a picture to read: the map under a title (what, which channel, which bin) with a caption and "
                    "a colour bar below (RGB; without it the PNG is the bare map, one cell zoom x zoom pixels)")},
    {CC_OPTION_TEXT("out", cc_png_request, out, "FILE.png|DIR", NULL, "the PNG, or the directory of --all"),
     .required = 1, .file = CC_FILE_WRITTEN},
};

static int check_request(void *request, char *why, size_t why_len) {
    const cc_png_request *r = request;
    if ((r->time != NULL) + (r->index.given != 0) + (r->all != 0) != 1)
        snprintf(why, why_len, "give exactly one of --time, --index and --all");
    else if (r->vmax > 0 && r->quantile > 0) snprintf(why, why_len, "give --vmax or --vmax-quantile, not both");
    else if (r->all && r->out && strlen(r->out) >= 4 && !strcasecmp(r->out + strlen(r->out) - 4, ".png"))
        snprintf(why, why_len, "--all draws every time step into the directory --out, and '%s' names a PNG: give a "
                 "directory, e.g. --out frames", r->out); /* a probe */
    else return 0;
    return -1;
}

static const cc_option_group PNG_GROUPS[] = {{"options", CC_OPTION_ROWS(PNG_OPTIONS), 0}};

const cc_command_spec CC_PNG_SPEC = {
    .name = "png",
    .synopsis = "--in FILE.h5 (--time DATE | --index I | --all) [--category NAME] [options] --out FILE.png|DIR",
    .description =
        "Draws one time step of one channel as an 8-bit palette PNG, north up, cells outside\n"
        "the mask in a neutral colour, or every time step into a directory, all on the same\n"
        "colour scale. The scale runs from 0 to vmax. The scale, colormap, time and category\n"
        "are written into each PNG as text chunks; --legend also draws them (a title, a caption\n"
        "and a colour bar around the map).\n",
    .request_size = sizeof(cc_png_request),
    .groups = PNG_GROUPS,
    .group_count = 1,
    .check = check_request,
};

void cc_png_request_defaults(cc_png_request *r) { cc_options_defaults(&CC_PNG_SPEC, r); }

/* The request's drawing style, but for vmax. */
typedef struct png_look {
    const cc_colormap *cmap;
    cc_scale scale;
} png_look;

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
        if (quantile > 0 && !(vmax > 0) && v[n - 1] > 0) /* the scale would not be the quantile asked */
            fprintf(stderr, "crimecast png: note: the %g quantile of the in-mask values is 0 (that share of the "
                    "cells or more are 0), so the scale's top is 1; the largest value is %g: give --vmax\n", quantile,
                    (double)v[n - 1]);
    }
    free(v);
    return vmax > 0 ? vmax : 1.0; /* an empty map still needs a scale */
}

/* --legend: the map as one panel under a title, with a caption and a colour bar (a bare
 * map read later, or shown in a slide, said neither what nor when; a probe). */
static int draw_with_legend(const png_look *look, const cc_tensor *t, int ti, int c, const cc_png_style *style,
                            const char *path, const cc_png_text *texts, int text_count, char *err, size_t err_len) {
    char date[11], when[40], title[320], caption[400], model[160], category[160];
    cc_format_iso_date(t->time[ti], date);
    if (t->bin == CC_BIN_DAY) snprintf(when, sizeof when, "%s", date);
    else snprintf(when, sizeof when, "%s of %s", cc_bin_kind_name(t->bin), date);
    cc_printable_utf8(t->categories[c], category, sizeof category, 60);
    if (t->forecast)
        snprintf(title, sizeof title, "%s forecast of '%s', %s",
                 t->model[0] ? cc_printable_utf8(t->model, model, sizeof model, 60) : "a", category, when);
    else
        snprintf(title, sizeof title, "'%s' counted, %s", category, when);
    const float *map = t->values + cc_tensor_offset(t, ti, c, 0, 0);
    int any = 0; /* an empty frame on the scale an empty map gets (0 to 1) said so (a probe) */
    for (size_t q = 0; q < (size_t)t->H * t->W && !any; q++) any = t->mask[q] && map[q] > 0;
    snprintf(caption, sizeof caption, "%s, %g m cells; colour: %s a cell, %s scale 0 to %g (%s)%s", t->city,
             t->cell, t->forecast ? "expected crimes" : "crimes", cc_scale_name(look->scale), style->vmax,
             look->cmap->name, any ? "" : "; every cell 0");
    cc_panel panel = {title, map};
    return cc_panels_png_with(path, &panel, 1, t->mask, t->H, t->W, style, caption, texts, text_count, err, err_len);
}

static int draw_frame(const cc_png_request *a, const png_look *look, const cc_tensor *t, int ti, int c, double vmax,
                      const char *path, char *err, size_t err_len) {
    char date[11], vmax_text[32];
    cc_format_iso_date(t->time[ti], date);
    snprintf(vmax_text, sizeof vmax_text, "%.9g", vmax);
    cc_png_style style = {look->cmap, look->scale, vmax, a->zoom};
    cc_png_text texts[] = {{"vmin", "0"},
                           {"vmax", vmax_text},
                           {"scale", cc_scale_name(look->scale)},
                           {"colormap", look->cmap->name},
                           {"time", date},
                           {"category", t->categories[c]},
                           {"bin", cc_bin_kind_name(t->bin)},
                           {"Software", "crimecast " CRIMECAST_VERSION}};
    int count = (int)(sizeof texts / sizeof texts[0]);
    if (a->legend) return draw_with_legend(look, t, ti, c, &style, path, texts, count, err, err_len);
    return cc_png_write(path, t->values + cc_tensor_offset(t, ti, c, 0, 0), t->mask, t->H, t->W, &style, texts, count,
                        err, err_len);
}

static int pick_frame(const cc_png_request *a, const cc_tensor *t, char *err, size_t err_len) {
    if (a->index.given) {
        if (a->index.value < t->T) return a->index.value;
        snprintf(err, err_len, "%s: --index %d, but the file has %d time steps", a->in, a->index.value, t->T);
        return -1;
    }
    return cc_tensor_bin_dated(t, a->in, a->time, err, err_len); /* the date is valid: the table checked it */
}

/* PNGs of channel c in DIR that this run did not draw (<category>_<date>.png of a date the
 * file lacks): an earlier run's, on its own colour scale, which a folder of this run's
 * frames would show among them without a word (a probe). Their number, the earliest's
 * name into `first`. */
static int frames_not_drawn(const char *dir, const cc_tensor *t, int c, char *first, size_t first_len) {
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t prefix = strlen(t->categories[c]);
    int others = 0;
    while (d && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        int64_t day;
        if (strncmp(name, t->categories[c], prefix) || name[prefix] != '_' || strlen(name + prefix) != 15 ||
            strcmp(name + prefix + 11, ".png"))
            continue;
        char date[11];
        snprintf(date, sizeof date, "%.10s", name + prefix + 1);
        int drawn = cc_parse_iso_date(date, &day) == 0 && cc_tensor_bin(t, day) >= 0; /* a bin starts on it */
        if (!drawn && (!others++ || strcmp(name, first) < 0)) snprintf(first, first_len, "%s", name); /* the earliest */
    }
    if (d) closedir(d);
    return others;
}

static int draw_all(const cc_png_request *a, const png_look *look, const cc_tensor *t, int c, FILE *out, char *err,
                    size_t err_len) {
    if (mkdir(a->out, 0777) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create directory: %s", a->out, strerror(errno));
        return -1;
    }
    double vmax = a->vmax > 0 ? a->vmax : choose_vmax(t, c, 0, t->T - 1, a->quantile);
    for (int ti = 0; ti < t->T; ti++) {
        char date[11], path[4200];
        cc_format_iso_date(t->time[ti], date);
        snprintf(path, sizeof path, "%s/%s_%s.png", a->out, t->categories[c], date);
        if (draw_frame(a, look, t, ti, c, vmax, path, err, err_len) != 0) return -1;
    }
    fprintf(out, "%s: %d PNGs of '%s', %d x %d pixels%s, scale 0 .. %g (%s, %s)\n", a->out, t->T, t->categories[c],
            t->W * a->zoom, t->H * a->zoom, a->legend ? " of map each, with a legend" : "", vmax,
            cc_scale_name(look->scale), look->cmap->name);
    char first[300] = "";
    int others = frames_not_drawn(a->out, t, c, first, sizeof first);
    if (others)
        fprintf(stderr, "crimecast png: note: %s also holds %d PNG%s of '%s' this run did not draw (the first: %s): "
                "an earlier run's, on its own colour scale\n", a->out, others, others > 1 ? "s" : "", t->categories[c],
                first);
    return 0;
}

static int draw_one(const cc_png_request *a, const png_look *look, const cc_tensor *t, int c, FILE *out, char *err,
                    size_t err_len) {
    int ti = pick_frame(a, t, err, err_len);
    if (ti < 0) return -1;
    double vmax = a->vmax > 0 ? a->vmax : choose_vmax(t, c, ti, ti, a->quantile);
    if (draw_frame(a, look, t, ti, c, vmax, a->out, err, err_len) != 0) return -1;
    char date[11];
    cc_format_iso_date(t->time[ti], date);
    fprintf(out, "%s: '%s', %s bin of %s, %d x %d pixels%s, scale 0 .. %g (%s, %s)\n", a->out, t->categories[c],
            cc_bin_kind_name(t->bin), date, t->W * a->zoom, t->H * a->zoom, a->legend ? " of map, with a legend" : "",
            vmax, cc_scale_name(look->scale), look->cmap->name);
    return 0;
}

int cc_run_png(const cc_png_request *a, FILE *out, char *err, size_t err_len) {
    png_look look = {cc_colormap_find(a->cmap), CC_SCALE_LINEAR};
    cc_scale_parse(a->scale, &look.scale); /* valid: the table checked it */
    cc_tensor t;
    if (cc_tensor_read(a->in, a->dataset, &t, err, err_len) != 0) return -1;
    int status = -1, c = cc_tensor_channel_named(&t, a->in, a->category, err, err_len);
    if (c < 0) status = -1;
    else if (a->all) status = draw_all(a, &look, &t, c, out, err, err_len);
    else status = draw_one(a, &look, &t, c, out, err, err_len);
    cc_tensor_free(&t);
    return status;
}
