/* Heatmap PNGs of a tensor or forecast file, as `crimecast png` draws them
 * (heatmaps/png_export.h does the drawing). */
#ifndef CRIMECAST_HOST_RUN_PNG_H
#define CRIMECAST_HOST_RUN_PNG_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"

typedef struct cc_png_request {
    const char *in, *dataset;        /* the file; counts or forecast (NULL: whichever it has) */
    const char *time;                /* one frame: the bin starting on this date ... */
    cc_optional_int index;           /* ... or this time step ... */
    int all;                         /* ... or every frame, into the directory `out` */
    const char *category;
    const char *cmap, *scale;
    double vmax, quantile;           /* the colour scale's top, or its quantile; 0: not given */
    int zoom;                        /* pixels per cell side */
    int legend;                      /* a title above the map and a colour bar below */
    const char *out;
} cc_png_request;

extern const cc_command_spec CC_PNG_SPEC;

void cc_png_request_defaults(cc_png_request *request);

/* Draws the PNG(s) and a line about them to `out`. 0, or -1 with err. */
int cc_run_png(const cc_png_request *request, FILE *out, char *err, size_t err_len);

#endif
