/* How much of each grid cell each polygon of a vector layer covers: the weights of an
 * area-weighted join of polygon data (LSOA deprivation, borough mobility) onto a
 * tensor's grid.
 *
 * The layer is read through GDAL/OGR (a Shapefile, GeoPackage, GeoJSON, ...; a path
 * ending .gz, .tar.gz/.tgz or .zip is read inside the archive through GDAL's /vsigzip/,
 * /vsitar/ and /vsizip/). Its polygons are carried into the grid's CRS by OGR (PROJ) when
 * the layer is in another, and refused when the layer states no CRS. Each polygon's
 * area inside each cell is exact for the polygon as stored (straight edges): every
 * ring is clipped to the cell's square (Sutherland-Hodgman against one column strip,
 * then each row of it; exact for area even for non-convex rings, since the clip region
 * is convex) and the hole rings' areas subtracted. A polygon that is not valid (a ring
 * crossing itself) is first mended by GEOS's MakeValid, where GDAL has GEOS. */
#ifndef CRIMECAST_HEATMAPS_AREA_WEIGHTS_H
#define CRIMECAST_HEATMAPS_AREA_WEIGHTS_H

#include <stddef.h>

#include "heatmaps/grid.h"

/* Polygon `polygon` covers `area` square metres of cell `cell` (row * W + col). */
typedef struct cc_area_piece {
    int cell, polygon;
    double area;
} cc_area_piece;

typedef struct cc_area_weights {
    int polygons;           /* features read (those with a polygon) */
    char **keys;            /* [polygons] each feature's key field, as text */
    long pieces;            /* (cell, polygon) pairs with area > 0, sorted by cell then polygon */
    cc_area_piece *piece;
    long skipped;           /* features without a polygon geometry or with an empty key */
    long repaired;          /* polygons not valid (self-intersecting rings), weighed as GEOS's
                               MakeValid mends them (where GDAL has GEOS) */
    double outside_m2;      /* polygon area outside the grid */
    char crs_note[512];     /* the layer's CRS, and whether it was reprojected */
} cc_area_weights;

/* Reads `path` (layer `layer`, NULL: the only or first one) and the field `key_field`
 * (its value as text), and weighs its polygons over `grid`. 0, or -1 with `err` naming
 * the file and what is wrong (an unknown key field lists the fields there are; a layer
 * without CRS; a crimecast built without GDAL). */
int cc_area_weights_compute(const char *path, const char *layer, const char *key_field, const cc_grid *grid,
                            cc_area_weights *weights, char *err, size_t err_len);
void cc_area_weights_free(cc_area_weights *weights);

/* The area of the part of a ring (x, y, n points; closing point optional) inside the
 * rectangle [west, east] x [south, north], >= 0. */
double cc_ring_area_in_box(const double *x, const double *y, int n, double west, double south, double east,
                           double north);

#endif
