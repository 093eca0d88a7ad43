/* Forecasts and tensors into GIS files, as `crimecast export` writes them
 * (heatmaps/geotiff.h does the writing through GDAL). */
#ifndef CRIMECAST_HOST_RUN_EXPORT_H
#define CRIMECAST_HOST_RUN_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"

typedef struct cc_export_request {
    const char *in, *dataset;  /* the file; counts or forecast (NULL: whichever it has) */
    const char *time;          /* one target bin, every category as a band ... */
    int all;                   /* ... or every time step of one category as a band */
    const char *category;      /* NULL: every category (one bin), "all" (--all) */
    const char *out;           /* FILE.tif */
} cc_export_request;

extern const cc_command_spec CC_EXPORT_SPEC;

/* Writes the GeoTIFF and a line about it to `out`. 0, or -1 with err. */
int cc_run_export(const cc_export_request *request, FILE *out, char *err, size_t err_len);

#endif
