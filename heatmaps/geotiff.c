/* heatmaps/geotiff.h */
#include "heatmaps/geotiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/whole_file.h"

#ifdef CRIMECAST_HAVE_GDAL
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

int cc_geotiff_available(void) { return 1; }

const char *cc_geotiff_library(void) {
    static char name[64];
    snprintf(name, sizeof name, "GDAL %s", GDALVersionInfo("RELEASE_NAME"));
    return name;
}

/* The CRS as WKT (CPLFree it), or NULL. */
static char *crs_wkt(const char *crs) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *wkt = NULL;
    if (srs && OSRSetFromUserInput(srs, crs) == OGRERR_NONE) OSRExportToWkt(srs, &wkt);
    if (srs) OSRDestroySpatialReference(srs);
    return wkt;
}

/* Band b's values with the cells outside the mask set to nodata. */
static int write_band(GDALDatasetH ds, const cc_geo_raster *r, int b, float *row_buffer) {
    GDALRasterBandH band = GDALGetRasterBand(ds, b + 1);
    if (!band || GDALSetRasterNoDataValue(band, CC_GEOTIFF_NODATA) != CE_None) return -1;
    if (r->descriptions && r->descriptions[b]) GDALSetDescription(band, r->descriptions[b]);
    for (int row = 0; row < r->height; row++) {
        const float *src = r->values[b] + (size_t)row * r->width;
        for (int col = 0; col < r->width; col++)
            row_buffer[col] = !r->mask || r->mask[(size_t)row * r->width + col] ? src[col] : (float)CC_GEOTIFF_NODATA;
        if (GDALRasterIO(band, GF_Write, 0, row, r->width, 1, row_buffer, r->width, 1, GDT_Float32, 0, 0) != CE_None)
            return -1;
    }
    return 0;
}

static int write_dataset(const char *tmp, const cc_geo_raster *r, const char *wkt) {
    GDALDriverH driver = GDALGetDriverByName("GTiff");
    /* Each band stored apart (a reader of one date decompresses that band alone), in
     * 256 x 256 tiles where the grid has room for them, in strips otherwise: tiles of every
     * band together made a 1 x 1 grid of 2,191 daily bands take 1.9 GB to write. */
    int tiled = r->width >= 256 || r->height >= 256;
    char *options[] = {"COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=BAND", tiled ? "TILED=YES" : "TILED=NO", NULL};
    GDALDatasetH ds = driver ? GDALCreate(driver, tmp, r->width, r->height, r->bands, GDT_Float32, options) : NULL;
    if (!ds) return -1;
    double transform[6] = {r->x0, r->cell, 0.0, r->y0, 0.0, -r->cell};
    int ok = GDALSetGeoTransform(ds, transform) == CE_None && GDALSetProjection(ds, wkt) == CE_None;
    for (int k = 0; ok && r->metadata && r->metadata[k] && r->metadata[k + 1]; k += 2)
        ok = GDALSetMetadataItem(ds, r->metadata[k], r->metadata[k + 1], NULL) == CE_None;
    float *row = malloc(sizeof *row * (size_t)r->width);
    if (!row) CPLError(CE_Failure, CPLE_OutOfMemory, "out of memory for a row of %d cells", r->width); /* the message said */
    for (int b = 0; ok && row && b < r->bands; b++) ok = write_band(ds, r, b, row) == 0;
    free(row);
    GDALClose(ds); /* flushes; a failure there shows as a CPL error */
    return ok && row && CPLGetLastErrorType() < CE_Failure ? 0 : -1;
}

int cc_geotiff_write(const char *path, const cc_geo_raster *r, char *err, size_t err_len) {
    GDALAllRegister();
    char *wkt = crs_wkt(r->crs);
    if (!wkt) {
        snprintf(err, err_len, "%s: the grid's CRS '%s' is not one GDAL knows", path, r->crs);
        return -1;
    }
    cc_whole_file file;
    if (cc_whole_file_begin(&file, path, err, err_len) != 0) {
        CPLFree(wkt);
        return -1;
    }
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    int status = write_dataset(file.temp, r, wkt);
    if (status != 0)
        snprintf(err, err_len, "%s: GDAL could not write it: %s", path,
                 CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "unknown error");
    CPLPopErrorHandler();
    CPLFree(wkt);
    if (status != 0) cc_whole_file_abandon(&file);
    return status == 0 ? cc_whole_file_commit(&file, err, err_len) : -1;
}

#else

int cc_geotiff_available(void) { return 0; }
const char *cc_geotiff_library(void) { return "none (a build without GDAL: Debian's libgdal-dev)"; }

int cc_geotiff_write(const char *path, const cc_geo_raster *r, char *err, size_t err_len) {
    (void)r;
    snprintf(err, err_len, "%s: this build has no GDAL, so no GeoTIFF (Debian: libgdal-dev)", path);
    return -1;
}

#endif
