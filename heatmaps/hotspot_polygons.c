/* heatmaps/hotspot_polygons.h */
#include "heatmaps/hotspot_polygons.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crawler/whole_file.h"

#ifdef CRIMECAST_HAVE_GDAL
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

static int has_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcasecmp(path + n - k, suffix);
}

/* The square of cell (row, col), corners in the grid's CRS. */
/* Every edge from its own row or column index, so that two cells sharing an edge have it
 * at the very same coordinates (north - cell and the next row's y0 - (row + 1) * cell can
 * differ in the last bit, and a union would keep the two apart). */
static double grid_x(const cc_hotspot_layer *l, int col) { return l->x0 + col * l->cell; }
static double grid_y(const cc_hotspot_layer *l, int row) { return l->y0 - row * l->cell; }

static OGRGeometryH cell_square(const cc_hotspot_layer *l, int row, int col) {
    double west = grid_x(l, col), east = grid_x(l, col + 1), north = grid_y(l, row), south = grid_y(l, row + 1);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing), square = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddPoint_2D(ring, west, north);
    OGR_G_AddPoint_2D(ring, west, south);
    OGR_G_AddPoint_2D(ring, east, south);
    OGR_G_AddPoint_2D(ring, east, north);
    OGR_G_AddPoint_2D(ring, west, north);
    OGR_G_AddGeometryDirectly(square, ring);
    return square;
}

static int add_field(OGRLayerH layer, const char *name, OGRFieldType type) {
    OGRFieldDefnH field = OGR_Fld_Create(name, type);
    int ok = OGR_L_CreateField(layer, field, TRUE) == OGRERR_NONE;
    OGR_Fld_Destroy(field);
    return ok;
}

/* One feature: the geometry (taken over) and the fields of a cell or patch. */
static int add_feature(OGRLayerH layer, const cc_hotspot_layer *l, OGRGeometryH shape, int cells, double value, int rank,
                       double share, int tied) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "cells"), cells);
    OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "value"), value);
    OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "rank"), rank);
    OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "cum_share"), share);
    OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "tied"), tied);
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "model"), l->model);
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "target"), l->target);
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "category"), l->category);
    OGR_F_SetGeometryDirectly(f, shape);
    int ok = OGR_L_CreateFeature(layer, f) == OGRERR_NONE;
    OGR_F_Destroy(f);
    return ok;
}

/* One patch of flagged cells: its squares (a MultiPolygon until united), and its fields. */
typedef struct patch {
    OGRGeometryH squares;
    int cells, best, tied; /* best: the rank of its highest cell */
    double value;          /* its cells' expected counts summed */
} patch;

/* Patches by expected count, the highest first; equal ones by their best cell. */
static int by_value(const void *a, const void *b) {
    const patch *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? 1 : -1;
    return (x->best > y->best) - (x->best < y->best);
}

/* Patches: cells joined through shared edges (4-neighbours), found by a flood fill over
 * the flagged cells; each patch's squares united into one polygon (GEOS, through OGR).
 * A patch's rank and cumulative share are the patches': ranked by their expected counts,
 * the share the patches' down to this one (a patch gave its best cell's, which counted
 * the cells of other patches: a probe). */
static int write_patches(OGRLayerH layer, const cc_hotspot_layer *l) {
    int n = l->count, ok = 1, count = 0;
    int *in_patch = malloc(sizeof *in_patch * (size_t)n), *queue = malloc(sizeof *queue * (size_t)n);
    patch *patches = calloc((size_t)(n ? n : 1), sizeof *patches);
    if (!in_patch || !queue || !patches)
        ok = 0, CPLError(CE_Failure, CPLE_OutOfMemory, "out of memory for %d cells' patches", n);
    for (int i = 0; ok && i < n; i++) in_patch[i] = -1;
    for (int seed = 0; ok && seed < n; seed++) {
        if (in_patch[seed] >= 0) continue;
        patch *p = &patches[count];
        int head = 0, tail = 0;
        *p = (patch){OGR_G_CreateGeometry(wkbMultiPolygon), 0, l->cells[seed].rank, 0, 0};
        in_patch[seed] = count, queue[tail++] = seed;
        while (head < tail) {
            const cc_hotspot_cell *c = &l->cells[queue[head++]];
            OGR_G_AddGeometryDirectly(p->squares, cell_square(l, c->row, c->col));
            p->value += c->value, p->tied |= c->tied, p->cells++;
            if (c->rank < p->best) p->best = c->rank;
            for (int j = 0; j < n; j++) /* n is a patrol budget's cells: quadratic is fine */
                if (in_patch[j] < 0 && abs(l->cells[j].row - c->row) + abs(l->cells[j].col - c->col) == 1)
                    in_patch[j] = count, queue[tail++] = j;
        }
        count++;
    }
    if (ok) qsort(patches, (size_t)count, sizeof *patches, by_value);
    double running = 0;
    for (int k = 0; k < count; k++) {
        OGRGeometryH merged = ok ? OGR_G_UnionCascaded(patches[k].squares) : NULL;
        OGR_G_DestroyGeometry(patches[k].squares);
        /* a 4-connected patch is one polygon (holes and all): anything else is a bug, not
         * a feature to write under the layer's declared Polygon type */
        if (merged && wkbFlatten(OGR_G_GetGeometryType(merged)) != wkbPolygon) {
            OGR_G_DestroyGeometry(merged);
            merged = NULL;
        }
        running += patches[k].value;
        ok = merged && add_feature(layer, l, merged, patches[k].cells, patches[k].value, k + 1,
                                   l->total > 0 ? running / l->total : 0, patches[k].tied);
    }
    free(in_patch), free(queue), free(patches);
    return ok;
}

/* Writes the layer to `tmp` (a .gpkg, or the GeoJSON written in memory: see below). */
static int write_layer(const char *tmp, const char *path, const cc_hotspot_layer *l, OGRSpatialReferenceH srs) {
    int geojson = has_suffix(path, ".geojson");
    GDALDriverH driver = GDALGetDriverByName(geojson ? "GeoJSON" : "GPKG");
    GDALDatasetH ds = driver ? GDALCreate(driver, tmp, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    if (!ds) return -1;
    /* RFC 7946: WGS84 longitude/latitude (GDAL reprojects), counter-clockwise exteriors */
    char *geojson_options[] = {"RFC7946=YES", "COORDINATE_PRECISION=10", "WRITE_NAME=YES", NULL};
    OGRLayerH layer = GDALDatasetCreateLayer(ds, "hotspots", srs, wkbPolygon, geojson ? geojson_options : NULL);
    int ok = layer && add_field(layer, "cells", OFTInteger) && add_field(layer, "value", OFTReal) &&
             add_field(layer, "rank", OFTInteger) && add_field(layer, "cum_share", OFTReal) &&
             add_field(layer, "tied", OFTInteger) && add_field(layer, "model", OFTString) &&
             add_field(layer, "target", OFTDate) && add_field(layer, "category", OFTString);
    if (ok && l->dissolve) ok = write_patches(layer, l);
    for (int i = 0; ok && !l->dissolve && i < l->count; i++) {
        const cc_hotspot_cell *c = &l->cells[i];
        ok = add_feature(layer, l, cell_square(l, c->row, c->col), 1, c->value, c->rank, c->cumulative_share, c->tied);
    }
    GDALClose(ds);
    return ok && CPLGetLastErrorType() < CE_Failure ? 0 : -1;
}

/* GDAL's GeoJSON driver (3.6) reports no error when its writes fail (a full disk left a
 * file cut at 8 KiB, taken as written): it writes into memory, and the bytes go to `dest`
 * here, every write checked. */
static int write_geojson(const char *dest, const char *path, const cc_hotspot_layer *l, OGRSpatialReferenceH srs,
                         char *err, size_t err_len) {
    char memory[4200]; /* the temporary's own name, unique to this write, under /vsimem/ */
    if (snprintf(memory, sizeof memory, "/vsimem/%s", dest) >= (int)sizeof memory) {
        snprintf(err, err_len, "%s: the name is too long", path);
        return -1;
    }
    if (write_layer(memory, path, l, srs) != 0) {
        VSIUnlink(memory);
        snprintf(err, err_len, "%s: GDAL could not write it: %s", path,
                 CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "unknown error");
        return -1;
    }
    vsi_l_offset length = 0;
    GByte *bytes = VSIGetMemFileBuffer(memory, &length, TRUE); /* TRUE: the buffer is ours, the file gone */
    FILE *out = bytes ? fopen(dest, "wb") : NULL;
    int ok = out && fwrite(bytes, 1, (size_t)length, out) == (size_t)length;
    ok = (out && fclose(out) == 0) && ok;
    if (!ok) snprintf(err, err_len, "%s: cannot write it: %s", path, bytes ? strerror(errno) : "GDAL kept no bytes of it");
    VSIFree(bytes);
    return ok ? 0 : -1;
}

/* What an existing GeoPackage holds besides a 'hotspots' layer (another run's, which this
 * one replaces): its other layers' names, or "raster tiles", into `other`; "" when
 * nothing (or no GeoPackage GDAL reads is there). Writing replaces the whole file, so a
 * project's GeoPackage would lose them unasked. */
static void other_contents(const char *path, char *other, size_t len) {
    other[0] = 0;
    if (access(path, F_OK) != 0) return;
    const char *const gpkg[] = {"GPKG", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, gpkg, NULL, NULL);
    for (int i = 0; ds && i < GDALDatasetGetLayerCount(ds); i++) {
        const char *name = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        size_t used = strlen(other);
        if (strcmp(name, "hotspots") != 0 && used + 8 < len)
            snprintf(other + used, len - used, "%s'%s'", used ? ", " : "", name);
    }
    if (ds) GDALClose(ds);
    ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, gpkg, NULL, NULL);
    if (ds && strlen(other) + 16 < len) snprintf(other + strlen(other), len - strlen(other), "%sraster tiles",
                                                 other[0] ? ", " : "");
    if (ds) GDALClose(ds);
}

int cc_hotspot_polygons_write(const char *path, const cc_hotspot_layer *l, char *err, size_t err_len) {
    if (!has_suffix(path, ".geojson") && !has_suffix(path, ".gpkg")) {
        snprintf(err, err_len, "%s: hotspot polygons are written as .geojson or .gpkg", path);
        return -1;
    }
    GDALAllRegister();
    char other[512];
    if (cc_whole_file_check(path, err, err_len) != 0) return -1; /* before GDAL opens it: a FIFO would block */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    if (has_suffix(path, ".gpkg")) other_contents(path, other, sizeof other);
    else other[0] = 0;
    CPLPopErrorHandler();
    if (other[0]) {
        snprintf(err, err_len, "%s: this GeoPackage holds %s besides hotspots: crimecast writes the file whole and "
                 "would drop them; give another --out (ogr2ogr -append copies the layer in)", path, other);
        return -1;
    }
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    if (!srs || OSRSetFromUserInput(srs, l->crs) != OGRERR_NONE) {
        if (srs) OSRDestroySpatialReference(srs);
        snprintf(err, err_len, "%s: the grid's CRS '%s' is not one GDAL knows", path, l->crs);
        return -1;
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    cc_whole_file file;
    if (cc_whole_file_begin(&file, path, err, err_len) != 0) {
        OSRDestroySpatialReference(srs);
        return -1;
    }
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    int status;
    if (has_suffix(path, ".geojson"))
        status = write_geojson(file.temp, path, l, srs, err, err_len);
    else if ((status = write_layer(file.temp, path, l, srs)) != 0)
        snprintf(err, err_len, "%s: GDAL could not write it: %s", path,
                 CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "unknown error");
    CPLPopErrorHandler();
    OSRDestroySpatialReference(srs);
    if (status != 0) cc_whole_file_abandon(&file);
    return status == 0 ? cc_whole_file_commit(&file, err, err_len) : -1;
}

#else

int cc_hotspot_polygons_write(const char *path, const cc_hotspot_layer *l, char *err, size_t err_len) {
    (void)l;
    snprintf(err, err_len, "%s: this build has no GDAL, so no polygons (Debian: libgdal-dev)", path);
    return -1;
}

#endif
