/* host/run_export.h */
#include "host/run_export.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crawler/datetime.h"
#include "heatmaps/geotiff.h"
#include "heatmaps/hotspot_polygons.h"
#include "heatmaps/tensor_file.h"
#include "models/metrics.h"

/* --area 1km2: the flagged area in square kilometres (the unit may be left out). */
static int parse_area(const char *text, void *field, char *why, size_t why_len) {
    char *end;
    double v = cc_decimal_strtod(text, &end);
    if (end != text && !strcmp(end, "km2")) end += 3;
    if (end == text || *end || !(v > 0 && v < 1e6)) {
        snprintf(why, why_len, "--area takes an area in square kilometres, e.g. 1km2 (got '%s')", text);
        return -1;
    }
    *(double *)field = v;
    return 0;
}

/* --topk 1%: a share of the cells in (0, 100] (the % may be left out). */
static int parse_percent(const char *text, void *field, char *why, size_t why_len) {
    char *end;
    double v = cc_decimal_strtod(text, &end);
    if (end != text && !strcmp(end, "%")) end++;
    if (end == text || *end || !(v > 0 && v <= 100)) {
        snprintf(why, why_len, "--topk takes a share of the cells in (0, 100], e.g. 1%% (got '%s')", text);
        return -1;
    }
    *(double *)field = v;
    return 0;
}

static const cc_option EXPORT_OPTIONS[] = {
    {CC_OPTION_TEXT("in", cc_export_request, in, "FILE.h5", NULL, "a forecast or tensor file"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_CHOICE("dataset", cc_export_request, dataset, "counts|forecast", NULL,
                      "the dataset written (if not given: the one the file has)")},
    {CC_OPTION_DATE("time", cc_export_request, time, NULL, "the bin starting on DATE, one band per category")},
    {CC_OPTION_FLAG("all", cc_export_request, all, "every time step of one category, one band each")},
    {CC_OPTION_TEXT("category", cc_export_request, category, "NAME", NULL,
                    "only this category (if not given: every category with --time, 'all' with --all)")},
    {CC_OPTION_CUSTOM("area", cc_export_request, area_km2, "KM2", NULL, parse_area,
                      "polygons: flag this area, e.g. 1km2 (eval's rule: the nearest whole number of cells)")},
    {CC_OPTION_CUSTOM("topk", cc_export_request, topk, "PCT", NULL, parse_percent,
                      "polygons: flag this % of the cells inside the study area, e.g. 1% (eval's rule)")},
    {CC_OPTION_FLAG("dissolve", cc_export_request, dissolve, "polygons: one per connected patch of flagged cells (cells sharing an edge; "
                                                            "diagonal neighbours are two patches)")},
    {CC_OPTION_TEXT("out", cc_export_request, out, "FILE.tif|.geojson|.gpkg", NULL,
                    "the GeoTIFF, or the hotspot polygons (GeoJSON in WGS84, GeoPackage in the grid's CRS)"),
     .required = 1, .file = CC_FILE_WRITTEN},
};

static int has_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcasecmp(path + n - k, suffix);
}

static int polygons_wanted(const cc_export_request *r) {
    return has_suffix(r->out, ".geojson") || has_suffix(r->out, ".gpkg");
}

static int check_request(void *request, char *why, size_t why_len) {
    const cc_export_request *r = request;
    int polygons = polygons_wanted(r), budgets = (r->area_km2 > 0) + (r->topk > 0);
    if ((r->time != NULL) + (r->all != 0) != 1) snprintf(why, why_len, "give exactly one of --time and --all");
    else if (!polygons && !has_suffix(r->out, ".tif") && !has_suffix(r->out, ".tiff"))
        snprintf(why, why_len, "--out must name a .tif, .geojson or .gpkg file (got '%s')", r->out);
    else if (polygons && (r->all || budgets != 1))
        snprintf(why, why_len, "hotspot polygons take one bin (--time) and one budget (--area or --topk)");
    else if (!polygons && (budgets || r->dissolve))
        snprintf(why, why_len, "--area, --topk and --dissolve are for hotspot polygons (.geojson, .gpkg)");
    else return 0;
    return -1;
}

static const cc_option_group EXPORT_GROUPS[] = {{"options", CC_OPTION_ROWS(EXPORT_OPTIONS), 0}};

const cc_command_spec CC_EXPORT_SPEC = {
    .name = "export",
    .synopsis = "--in FILE.h5 [--dataset counts|forecast] (--time DATE | --all) [--category NAME] --out FILE.tif\n"
                "       crimecast export --in FORECAST.h5 --time DATE (--area KM2 | --topk PCT) [--dissolve] "
                "[--category NAME] --out FILE.geojson|FILE.gpkg",
    .description =
        "Writes a forecast (expected counts) or a tensor (counts) as a GeoTIFF for GIS tools,\n"
        "through GDAL: float32 bands in the grid's own CRS, north up, the geotransform of the\n"
        "cell corners exactly, cells outside the study area as nodata (-1). With --time, one\n"
        "band per category of that bin; with --all, one band per time step of one category.\n"
        "Band descriptions name the category and bin; the file's metadata the model, the\n"
        "target bin, the horizon, the units and the source file.\n"
        "To .geojson or .gpkg: the hotspot cells of one bin and category (default 'all') at an\n"
        "area budget, by eval's rule (the highest cells that fit it; a tie at the cut broken by\n"
        "row-major order and marked 'tied'; a cell forecast 0 is no hotspot and is not written,\n"
        "where eval counts it in the budget, its place shared in a tie), one square per cell or\n"
        "one polygon per connected patch (--dissolve), with the expected count, rank,\n"
        "cumulative share of the forecast, model and target bin (a patch's: the sum of its\n"
        "cells, its rank among the patches by that sum, the patches' share down to it).\n"
        "GeoJSON in WGS84 (RFC 7946), GeoPackage in the grid's CRS.\n",
    .request_size = sizeof(cc_export_request),
    .groups = EXPORT_GROUPS,
    .group_count = 1,
    .check = check_request,
};

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

/* What the values are, for the file's metadata: the model of a forecast (a forecast file
 * that names none is still a forecast, not recorded crime), or the observed counts. */
static const char *made_by(const cc_tensor *t) {
    return !t->forecast ? "observed counts" : t->model[0] ? t->model : "unknown model (the file names none)";
}

static int write_file(const cc_export_request *a, const cc_tensor *t, int ti, int c, FILE *out, char *err,
                      size_t err_len) {
    band_plan p = {0};
    if (plan_bands(a, t, ti, c, &p) != 0) {
        free_plan(&p);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    int forecast = t->forecast, horizon = forecast ? cc_forecast_horizon(a->in) : 0;
    char target[11] = "", horizon_text[16], units[96];
    if (!a->all) cc_format_iso_date(t->time[ti], target);
    if (horizon > 0) snprintf(horizon_text, sizeof horizon_text, "%d", horizon);
    else snprintf(horizon_text, sizeof horizon_text, "unknown"); /* a forecast file without a usable horizon */
    snprintf(units, sizeof units, "%s incidents per cell per %s", forecast ? "expected" : "recorded",
             cc_bin_kind_name(t->bin));
    const char *metadata[] = {"CRIMECAST_MODEL", made_by(t),
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
                made_by(t));
    free_plan(&p);
    return status;
}

/* The cut fell inside a tie: which of the tied cells are flagged is the grid's order, not
 * the forecast's, and an analyst should know. */
static void note_tie(const float *map, const int *order, int n, int flagged) {
    float cut = map[order[flagged - 1]];
    int first = flagged - 1, last = flagged;
    while (first > 0 && map[order[first - 1]] == cut) first--;
    while (last < n && map[order[last]] == cut) last++;
    fprintf(stderr, "crimecast export: note: the cut falls in a tie: %d cells have the value %g, %d of them "
            "flagged in row-major order (field 'tied'; eval's figures share the places among all of them)\n",
            last - first, cut, flagged - first);
}

/* The budget's cells that forecast crime: a cell of 0 is no hotspot, however the budget
 * reaches it (a map of zeros flagged the grid's first cells, which a patrol map drew as
 * hotspots). Said when it cuts the layer short. */
static int cells_with_crime(const float *map, const int *order, int flagged, int n) {
    int kept = flagged;
    while (kept > 0 && !(map[order[kept - 1]] > 0)) kept--;
    if (kept == 0 && flagged > 0)
        fprintf(stderr, "crimecast export: note: the map is 0 in every cell: it has no hotspot, and the layer is "
                "empty\n");
    else if (kept < flagged)
        fprintf(stderr, "crimecast export: note: only %d of the %d cells forecast crime: the budget's other %d (value "
                "0) are no hotspots and are not written\n", kept, n, flagged - kept);
    return kept;
}

static int write_polygons(const cc_export_request *a, const cc_tensor *t, int ti, int c, FILE *out, char *err,
                          size_t err_len) {
    size_t plane = (size_t)t->H * t->W;
    const float *map = t->values + ((size_t)ti * t->C + c) * plane;
    int *order = malloc(sizeof *order * plane);
    cc_hotspot_cell *cells = malloc(sizeof *cells * plane);
    int n = order && cells ? cc_rank_cells(map, t->mask, (int)plane, order) : -1;
    if (n < 0) {
        free(order), free(cells);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    double total = 0;
    for (int i = 0; i < n; i++) total += map[order[i]];
    int budget = n == 0 ? 0 : a->area_km2 > 0 ? cc_flagged_for_area(a->area_km2, t->cell, n)
                                              : cc_flagged_for_percent(a->topk, n);
    double cell_km2 = t->cell * t->cell * 1e-6;
    if (a->area_km2 > 0 && a->area_km2 < 0.5 * cell_km2 && n > 0) /* rounded up to the one cell there is to flag */
        fprintf(stderr, "crimecast export: note: --area %g km2 is less than half a cell (%g km2): one cell flagged\n",
                a->area_km2, cell_km2);
    else if (a->topk > 0 && a->topk / 100.0 * n < 0.5 && n > 0) /* the same rounding, said alike (it was not) */
        fprintf(stderr, "crimecast export: note: --topk %g%% of %d cells is less than half a cell: one cell flagged\n",
                a->topk, n);
    if (a->area_km2 > n * cell_km2 && n > 0) /* as eval says it: a budget past the map is no budget */
        fprintf(stderr, "crimecast export: note: --area %g km2 is more than the whole study area (%d cells, %.3g km2): "
                "every cell is flagged\n", a->area_km2, n, n * cell_km2);
    int flagged = cells_with_crime(map, order, budget, n);
    /* a tie at the cut: cells of the cut's value on both sides of it */
    float cut = flagged > 0 ? map[order[flagged - 1]] : 0;
    int tie_at_cut = flagged > 0 && flagged < n && map[order[flagged]] == cut;
    double running = 0;
    for (int i = 0; i < flagged; i++) {
        float value = map[order[i]];
        running += value;
        cells[i] = (cc_hotspot_cell){order[i] / t->W, order[i] % t->W, value, i + 1, total > 0 ? running / total : 0,
                                     tie_at_cut && value == cut};
    }
    char target[11];
    cc_format_iso_date(t->time[ti], target);
    cc_hotspot_layer layer = {t->crs, t->x0, t->y0, t->cell, cells, flagged,
                              made_by(t), target, t->categories[c], a->dissolve, total};
    int status = cc_hotspot_polygons_write(a->out, &layer, err, err_len);
    if (status == 0)
        fprintf(out, "%s: the %d highest of %d cells (%.3g km2, %.1f%% of the %s%s), '%s', %s bin of %s%s\n",
                a->out, flagged, n, flagged * t->cell * t->cell * 1e-6,
                100 * (flagged ? cells[flagged - 1].cumulative_share : 0), t->forecast ? "forecast" : "counts",
                flagged < budget ? (t->forecast ? "; the budget's other cells forecast 0" : "; the budget's other cells "
                                                                                           "count 0") : "", t->categories[c],
                cc_bin_kind_name(t->bin), target, a->dissolve ? ", patches dissolved" : "");
    if (status == 0 && tie_at_cut) note_tie(map, order, n, flagged);
    free(order), free(cells);
    return status;
}

int cc_run_export(const cc_export_request *a, FILE *out, char *err, size_t err_len) {
    if (!cc_geotiff_available()) {
        snprintf(err, err_len, "%s: this build has no GDAL, so no GeoTIFF (Debian: libgdal-dev)", a->out);
        return -1;
    }
    cc_tensor t;
    if (cc_tensor_read(a->in, a->dataset, &t, err, err_len) != 0) return -1;
    int status = -1, ti = 0, c = -1;
    const char *category = a->category ? a->category : a->all || polygons_wanted(a) ? "all" : NULL;
    if (category && (c = cc_tensor_channel_named(&t, a->in, category, err, err_len)) < 0) status = -1;
    else if (!a->all && (ti = cc_tensor_bin_dated(&t, a->in, a->time, err, err_len)) < 0) status = -1;
    else if (polygons_wanted(a)) status = write_polygons(a, &t, ti, c, out, err, err_len);
    else status = write_file(a, &t, ti, c, out, err, err_len);
    cc_tensor_free(&t);
    return status;
}
