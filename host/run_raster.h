/* The incident store counted into a tensor file, as `crimecast raster` and `demo` run it
 * (heatmaps/raster.h does the counting). */
#ifndef CRIMECAST_HOST_RUN_RASTER_H
#define CRIMECAST_HOST_RUN_RASTER_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"

typedef struct cc_raster_request {
    const char *city, *db, *out;
    const char *from, *to;      /* [from, to), ISO dates */
    const char *bin;            /* day, week or month */
    int grid;                   /* N x N cells ... */
    double cell;                /* ... or cells of this size in metres (one of the two) */
    const char *categories;     /* all, or a comma list of crimecast categories */
    const char *crs;            /* NULL: the city's */
    const char *recency;        /* on or off */
    const char *layout;         /* auto, dense or sparse */
} cc_raster_request;

extern const cc_command_spec CC_RASTER_SPEC;

void cc_raster_request_defaults(cc_raster_request *request);

/* Writes the tensor file (whole or not at all; its created_by is the request as a raster
 * command line) and its summary to `out`. 0, or -1 with err. The request is one that
 * CC_RASTER_SPEC's checks passed (cc_options_read runs them, once; demo builds its own
 * within them): they are not run again here. */
int cc_run_raster(const cc_raster_request *request, FILE *out, char *err, size_t err_len);

#endif
