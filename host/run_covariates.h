/* Covariates onto a tensor's grid, as `crimecast covariates` adds them: a table keyed by
 * an area's code (heatmaps/covariate_table.h), joined to polygons carrying that code
 * (heatmaps/area_weights.h, heatmaps/covariate_join.h), averaged over each cell by area
 * and, for a dated table, over each bin's days, then stored in the tensor file
 * (heatmaps/covariates.h). One path for both kinds: a table without --date gives static
 * maps (deprivation per LSOA), one with --date dynamic maps per bin (mobility per
 * borough, the boroughs given as the LSOA polygons' borough field). */
#ifndef CRIMECAST_HOST_RUN_COVARIATES_H
#define CRIMECAST_HOST_RUN_COVARIATES_H

#include <stddef.h>
#include <stdio.h>

#include "heatmaps/covariate_table.h"
#include "host/options.h"

typedef struct cc_covariates_request {
    const char *data;                   /* the tensor file, changed in place (whole) */
    const char *polygons, *layer, *polygon_key;
    const char *table, *key, *date;     /* date: NULL for a static table */
    const char *columns[CC_TABLE_MOST_COLUMNS];
    int column_count;
    const char *names[CC_TABLE_MOST_COLUMNS];
    int name_count;
    const char *unit;
    const char *lookup, *lookup_columns; /* "POLYGON_COL,TABLE_COL" */
    const char *join_csv;               /* every polygon's join, as CSV (NULL: none) */
} cc_covariates_request;

extern const cc_command_spec CC_COVARIATES_SPEC;

/* Adds the maps to the tensor file and reports what was joined to `out`. 0, or -1 with
 * err; the file is unchanged on any error. */
int cc_run_covariates(const cc_covariates_request *request, FILE *out, char *err, size_t err_len);

#endif
