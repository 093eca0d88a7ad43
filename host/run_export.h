/* Forecasts and tensors into GIS files, as `crimecast export` writes them: GeoTIFF
 * rasters (heatmaps/geotiff.h) and hotspot polygons at an area budget
 * (heatmaps/hotspot_polygons.h), both through GDAL. */
#ifndef CRIMECAST_HOST_RUN_EXPORT_H
#define CRIMECAST_HOST_RUN_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"

typedef struct cc_export_request {
    const char *in, *dataset;  /* the file; counts or forecast (NULL: whichever it has) */
    const char *time;          /* one target bin, every category as a band ... */
    int all;                   /* ... or every time step of one category as a band */
    const char *category;      /* NULL: every category (one bin), "all" (--all, polygons) */
    double area_km2, topk;     /* polygons: the flagged area, in km2 or % of the cells (0: not given) */
    int dissolve;              /* polygons: one per connected patch */
    const char *out;           /* FILE.tif, FILE.geojson or FILE.gpkg */
} cc_export_request;

extern const cc_command_spec CC_EXPORT_SPEC;

/* Writes the GeoTIFF and a line about it to `out`. 0, or -1 with err. */
int cc_run_export(const cc_export_request *request, FILE *out, char *err, size_t err_len);

#endif
