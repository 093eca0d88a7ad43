/* Hotspot cells as polygon layers through GDAL/OGR, for GIS tools: one square per flagged
 * cell (its exact corners in the grid's CRS), or with `dissolve` one polygon per
 * 4-connected patch of them. GeoJSON (.geojson) is written in WGS84 longitude/latitude
 * as RFC 7946 requires (GDAL reprojects, through PROJ), GeoPackage (.gpkg) in the grid's
 * CRS. Written whole or not at all (crawler/whole_file.h). Which cells are
 * flagged, their ranks and shares are the caller's (host/run_export.c applies eval's
 * budget rule). */
#ifndef CRIMECAST_HEATMAPS_HOTSPOT_POLYGONS_H
#define CRIMECAST_HEATMAPS_HOTSPOT_POLYGONS_H

#include <stddef.h>

typedef struct cc_hotspot_cell {
    int row, col;            /* row 0 is the northernmost */
    double value;            /* the forecast's expected count */
    int rank;                /* 1: the highest */
    double cumulative_share; /* of the forecast's total inside the mask, down to this cell */
    int tied;                /* 1 when its value equals the cut's: a tie broken by row-major order */
} cc_hotspot_cell;

typedef struct cc_hotspot_layer {
    const char *crs;
    double x0, y0, cell; /* west edge, north edge, cell side */
    const cc_hotspot_cell *cells;
    int count;
    const char *model, *target, *category;
    int dissolve; /* one feature per connected patch: its cells, value (their sum), and the
                   * patches' rank (by value) and cumulative share down to it */
    double total; /* the forecast's total inside the study area: the shares' denominator */
} cc_hotspot_layer;

/* Writes `path` (.geojson or .gpkg). 0, or -1 with err naming the file. */
int cc_hotspot_polygons_write(const char *path, const cc_hotspot_layer *layer, char *err, size_t err_len);

#endif
