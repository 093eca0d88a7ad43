/* Grids as GeoTIFF files through GDAL (Debian's libgdal; no format writer of our own),
 * for GIS tools (QGIS, ArcGIS): float32 bands in the grid's own CRS, north up, with the
 * exact geotransform of the cell corners:
 *   x = x0 + col * cell,  y = y0 - row * cell   (x0 the west edge, y0 the north edge)
 * so pixel (col, row)'s top-left corner is the grid cell's north-west corner (GDAL's
 * "Area" pixels). Cells outside the mask hold CC_GEOTIFF_NODATA, declared as every band's
 * nodata value (a count or expected count is never negative). The file is written whole
 * or not at all (crawler/whole_file.h). */
#ifndef CRIMECAST_HEATMAPS_GEOTIFF_H
#define CRIMECAST_HEATMAPS_GEOTIFF_H

#include <stddef.h>
#include <stdint.h>

#define CC_GEOTIFF_NODATA (-1.0)

typedef struct cc_geo_raster {
    const char *crs;             /* as the tensor stores it, e.g. "EPSG:26971" */
    double x0, y0, cell;         /* west edge, north edge, cell side (CRS units, metres) */
    int height, width;
    const uint8_t *mask;         /* [H][W], 1 inside; NULL: every cell */
    int bands;
    const float *const *values;  /* [bands] -> [H][W] */
    const char *const *descriptions; /* [bands] band descriptions */
    const char *const *metadata; /* "KEY", "value", ..., NULL: the dataset's metadata items */
} cc_geo_raster;

/* 1 when this build writes GeoTIFF (CRIMECAST_HAVE_GDAL). */
int cc_geotiff_available(void);

/* GDAL's version, e.g. "GDAL 3.6.2", or why there is none. */
const char *cc_geotiff_library(void);

/* Writes `path`. 0, or -1 with err naming the file (an unknown CRS, an unwritable place,
 * a build without GDAL); nothing is left at path on failure. */
int cc_geotiff_write(const char *path, const cc_geo_raster *raster, char *err, size_t err_len);

#endif
