/* host/run_export.h */
#include "host/run_export.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crawler/datetime.h"
#include "heatmaps/geotiff.h"
#include "heatmaps/tensor_file.h"

static const cc_option EXPORT_OPTIONS[] = {
    {CC_OPTION_TEXT("in", cc_export_request, in, "FILE.h5", NULL, "a forecast or tensor file"), .required = 1},
    {CC_OPTION_CHOICE("dataset", cc_export_request, dataset, "counts|forecast", NULL,
                      "the dataset written (if not given: the one the file has)")},
    {CC_OPTION_DATE("time", cc_export_request, time, NULL, "the bin starting on DATE, one band per category")},
    {CC_OPTION_FLAG("all", cc_export_request, all, "every time step of one category, one band each")},
    {CC_OPTION_TEXT("category", cc_export_request, category, "NAME", NULL,
                    "only this category (if not given: every category with --time, 'all' with --all)")},
    {CC_OPTION_TEXT("out", cc_export_request, out, "FILE.tif", NULL, "the GeoTIFF written"), .required = 1},
};

static int has_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcasecmp(path + n - k, suffix);
}

static int check_request(void *request, char *why, size_t why_len) {
    const cc_export_request *r = request;
    if ((r->time != NULL) + (r->all != 0) != 1) snprintf(why, why_len, "give exactly one of --time and --all");
    else if (!has_suffix(r->out, ".tif") && !has_suffix(r->out, ".tiff"))
        snprintf(why, why_len, "--out must name a .tif file (GeoTIFF; hotspot polygons, .geojson and .gpkg, are "
                               "not built yet) (got '%s')", r->out);
    else return 0;
    return -1;
}

static const cc_option_group EXPORT_GROUPS[] = {{"options", CC_OPTION_ROWS(EXPORT_OPTIONS), 0}};

const cc_command_spec CC_EXPORT_SPEC = {
    .name = "export",
    .synopsis = "--in FILE.h5 (--time DATE | --all) [--category NAME] --out FILE.tif",
    .description =
        "Writes a forecast (expected counts) or a tensor (counts) as a GeoTIFF for GIS tools,\n"
        "through GDAL: float32 bands in the grid's own CRS, north up, the geotransform of the\n"
        "cell corners exactly, cells outside the study area as nodata (-1). With --time, one\n"
        "band per category of that bin; with --all, one band per time step of one category.\n"
        "Band descriptions name the category and bin; the file's metadata the model, the\n"
        "target bin, the horizon, the units and the source file.\n",
    .request_size = sizeof(cc_export_request),
    .groups = EXPORT_GROUPS,
    .group_count = 1,
    .check = check_request,
};

/* "FILE has no category 'x' (it has: all burglary ...)". */
static void no_category(const cc_export_request *a, const cc_tensor *t, char *err, size_t err_len) {
    size_t n = (size_t)snprintf(err, err_len, "%s has no category '%s' (it has:", a->in, a->category);
    for (int k = 0; k < t->C && n < err_len; k++) n += (size_t)snprintf(err + n, err_len - n, " %s", t->categories[k]);
    if (n < err_len) snprintf(err + n, err_len - n, ")");
}

static int bin_of(const cc_export_request *a, const cc_tensor *t, char *err, size_t err_len) {
    int64_t day;
    cc_parse_iso_date(a->time, &day); /* valid: the table checked it */
    int ti = cc_tensor_bin(t, day);
    if (ti >= 0) return ti;
    char first[11], last[11];
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    snprintf(err, err_len, "%s: no %s bin starts on %s (bins start %s .. %s)", a->in, cc_bin_kind_name(t->bin), a->time,
             first, last);
    return -1;
}

/* The bands: (time step, channel) pairs, with their descriptions. */
typedef struct band_plan {
    int count;
    const float **values;
    char (*names)[96];
    const char **descriptions;
} band_plan;

static int plan_bands(const cc_export_request *a, const cc_tensor *t, int ti, int c, band_plan *p) {
    p->count = a->all ? t->T : c >= 0 ? 1 : t->C;
    p->values = calloc((size_t)p->count, sizeof *p->values);
    p->names = calloc((size_t)p->count, sizeof *p->names);
    p->descriptions = calloc((size_t)p->count, sizeof *p->descriptions);
    if (!p->values || !p->names || !p->descriptions) return -1;
    size_t plane = (size_t)t->H * t->W;
    for (int b = 0; b < p->count; b++) {
        int step = a->all ? b : ti, channel = a->all || c >= 0 ? c : b;
        char date[11];
        cc_format_iso_date(t->time[step], date);
        p->values[b] = t->values + ((size_t)step * t->C + channel) * plane;
        snprintf(p->names[b], sizeof p->names[b], "%s %s", t->categories[channel], date);
        p->descriptions[b] = p->names[b];
    }
    return 0;
}

static void free_plan(band_plan *p) { free(p->values), free(p->names), free(p->descriptions); }

static int write_file(const cc_export_request *a, const cc_tensor *t, int ti, int c, FILE *out, char *err,
                      size_t err_len) {
    band_plan p = {0};
    if (plan_bands(a, t, ti, c, &p) != 0) {
        free_plan(&p);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    int forecast = t->model[0] != 0, horizon = forecast ? cc_forecast_horizon(a->in) : 0;
    char target[11] = "", horizon_text[16], units[96];
    if (!a->all) cc_format_iso_date(t->time[ti], target);
    snprintf(horizon_text, sizeof horizon_text, "%d", horizon);
    snprintf(units, sizeof units, "%s incidents per cell per %s", forecast ? "expected" : "recorded",
             cc_bin_kind_name(t->bin));
    const char *metadata[] = {"CRIMECAST_MODEL", forecast ? t->model : "observed counts",
                              "CRIMECAST_TARGET_BIN", a->all ? "every bin (one per band)" : target,
                              "CRIMECAST_HORIZON", forecast ? horizon_text : "none",
                              "CRIMECAST_BIN", cc_bin_kind_name(t->bin),
                              "CRIMECAST_UNITS", units,
                              "CRIMECAST_CITY", t->city,
                              "CRIMECAST_SOURCE", a->in,
                              "CRIMECAST_NODATA", "-1: outside the study area",
                              "TIFFTAG_SOFTWARE", "crimecast " CRIMECAST_VERSION,
                              NULL};
    cc_geo_raster r = {t->crs, t->x0, t->y0, t->cell, t->H, t->W, t->mask, p.count, p.values, p.descriptions, metadata};
    int status = cc_geotiff_write(a->out, &r, err, err_len);
    if (status == 0)
        fprintf(out, "%s: %d band(s) of %d x %d cells of %g m (%s), %s\n", a->out, p.count, t->W, t->H, t->cell, t->crs,
                forecast ? t->model : "observed counts");
    free_plan(&p);
    return status;
}

int cc_run_export(const cc_export_request *a, FILE *out, char *err, size_t err_len) {
    if (!cc_geotiff_available()) {
        snprintf(err, err_len, "%s: this build has no GDAL, so no GeoTIFF (Debian: libgdal-dev)", a->out);
        return -1;
    }
    cc_tensor t;
    if (cc_tensor_read(a->in, a->dataset, &t, err, err_len) != 0) return -1;
    int status = -1, ti = 0;
    const char *category = a->category ? a->category : a->all ? "all" : NULL;
    int c = category ? cc_tensor_channel(&t, category) : -1;
    cc_export_request named = *a;
    named.category = category;
    if (category && c < 0) no_category(&named, &t, err, err_len);
    else if (!t.crs[0]) snprintf(err, err_len, "%s: the file has no CRS, so it cannot be placed on a map", a->in);
    else if (a->all || (ti = bin_of(a, &t, err, err_len)) >= 0) status = write_file(a, &t, ti, c, out, err, err_len);
    cc_tensor_free(&t);
    return status;
}
