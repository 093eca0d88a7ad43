/* heatmaps/area_weights.h */
#include "heatmaps/area_weights.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Keeps the part of ring in (n points, xy interleaved) on one side of an axis-parallel
 * line: axis 0 is x, 1 is y; keep points with coordinate >= bound (above = 1) or <= bound.
 * out has room for 2n points; returns the points written. */
static int clip_half_plane(const double *in, int n, int axis, double bound, int above, double *out) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        const double *p = in + 2 * i, *q = in + 2 * ((i + 1) % n);
        double dp = above ? p[axis] - bound : bound - p[axis], dq = above ? q[axis] - bound : bound - q[axis];
        if (dp >= 0) out[2 * m] = p[0], out[2 * m + 1] = p[1], m++;
        if ((dp >= 0) != (dq >= 0)) { /* the edge crosses the line: add the crossing */
            double s = dp / (dp - dq);
            out[2 * m] = p[0] + s * (q[0] - p[0]), out[2 * m + 1] = p[1] + s * (q[1] - p[1]);
            out[2 * m + axis] = bound; /* exactly on the line */
            m++;
        }
    }
    return m;
}

static double shoelace(const double *p, int n) {
    double twice = 0;
    for (int i = 0; i < n; i++) {
        const double *a = p + 2 * i, *b = p + 2 * ((i + 1) % n);
        twice += a[0] * b[1] - b[0] * a[1];
    }
    return fabs(twice) / 2;
}

/* Scratch for clipping a ring of up to `points` points twice over (to 4x its size). */
typedef struct clip_scratch {
    int room;
    double *a, *b, *strip;
} clip_scratch;

static int scratch_fit(clip_scratch *s, int points) {
    if (points <= s->room) return 0;
    int room = points + 16;
    double *a = realloc(s->a, sizeof(double) * 2 * 4 * (size_t)room);
    if (a) s->a = a;
    double *b = realloc(s->b, sizeof(double) * 2 * 4 * (size_t)room);
    if (b) s->b = b;
    double *strip = realloc(s->strip, sizeof(double) * 2 * 4 * (size_t)room);
    if (strip) s->strip = strip;
    if (!a || !b || !strip) return -1;
    s->room = room;
    return 0;
}

/* The ring clipped to the column strip west <= x <= east, into s->strip. */
static int clip_to_strip(const double *ring, int n, double west, double east, clip_scratch *s) {
    int m = clip_half_plane(ring, n, 0, west, 1, s->a);
    return m ? clip_half_plane(s->a, m, 0, east, 0, s->strip) : 0;
}

static double strip_area_in_rows(const double *strip, int m, double south, double north, clip_scratch *s) {
    int k = clip_half_plane(strip, m, 1, south, 1, s->a);
    k = k ? clip_half_plane(s->a, k, 1, north, 0, s->b) : 0;
    return k >= 3 ? shoelace(s->b, k) : 0;
}

double cc_ring_area_in_box(const double *x, const double *y, int n, double west, double south, double east,
                           double north) {
    if (n > 1 && x[0] == x[n - 1] && y[0] == y[n - 1]) n--;
    if (n < 3) return 0;
    clip_scratch s = {0};
    double *ring = malloc(sizeof(double) * 2 * (size_t)n), area = 0;
    if (ring && scratch_fit(&s, n) == 0) {
        for (int i = 0; i < n; i++) ring[2 * i] = x[i], ring[2 * i + 1] = y[i];
        int m = clip_to_strip(ring, n, west, east, &s);
        area = m >= 3 ? strip_area_in_rows(s.strip, m, south, north, &s) : 0;
    }
    free(ring), free(s.a), free(s.b), free(s.strip);
    return area;
}

#ifdef CRIMECAST_HAVE_GDAL
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

static int has_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcasecmp(path + n - k, suffix);
}

/* The name GDAL reads: archives through its virtual file systems. */
static void gdal_name(const char *path, char *out, size_t len) {
    const char *prefix = "";
    if (!strncmp(path, "/vsi", 4)) prefix = "";
    else if (has_suffix(path, ".tar.gz") || has_suffix(path, ".tgz") || has_suffix(path, ".tar")) prefix = "/vsitar/";
    else if (has_suffix(path, ".zip")) prefix = "/vsizip/";
    else if (has_suffix(path, ".gz")) prefix = "/vsigzip/";
    snprintf(out, len, "%s%s", prefix, path);
}

/* Growing list of pieces. */
typedef struct piece_list {
    long count, capacity;
    cc_area_piece *items;
} piece_list;

static int add_piece(piece_list *l, int cell, int polygon, double area) {
    if (l->count == l->capacity) {
        long cap = l->capacity ? 2 * l->capacity : 4096;
        cc_area_piece *items = realloc(l->items, sizeof *items * (size_t)cap);
        if (!items) return -1;
        l->items = items, l->capacity = cap;
    }
    l->items[l->count++] = (cc_area_piece){cell, polygon, area};
    return 0;
}

/* One feature's area per cell of its envelope, before it becomes pieces. */
typedef struct feature_cells {
    int row0, col0, rows, cols;
    double *area;   /* [rows][cols] */
    double total;   /* the polygon's whole area (inside the grid or not) */
} feature_cells;

/* A ring's points, xy interleaved, without the closing repeat. */
static int ring_points(OGRGeometryH ring, clip_scratch *s, double **points) {
    int n = OGR_G_GetPointCount(ring);
    if (n > 1 && OGR_G_GetX(ring, 0) == OGR_G_GetX(ring, n - 1) && OGR_G_GetY(ring, 0) == OGR_G_GetY(ring, n - 1)) n--;
    if (n < 3 || scratch_fit(s, n) != 0) return n < 3 ? 0 : -1;
    double *p = malloc(sizeof(double) * 2 * (size_t)n);
    if (!p) return -1;
    for (int i = 0; i < n; i++) p[2 * i] = OGR_G_GetX(ring, i), p[2 * i + 1] = OGR_G_GetY(ring, i);
    *points = p;
    return n;
}

/* Adds (sign +1: exterior, -1: hole) a ring's area in each cell of the envelope. */
static int weigh_ring(OGRGeometryH ring, double sign, const cc_grid *g, feature_cells *f, clip_scratch *s) {
    double *p = NULL;
    int n = ring_points(ring, s, &p);
    if (n <= 0) return n;
    f->total += sign * shoelace(p, n);
    for (int c = 0; c < f->cols; c++) {
        double west = g->x0 + (f->col0 + c) * g->cell;
        int m = clip_to_strip(p, n, west, west + g->cell, s);
        if (m < 3) continue;
        for (int r = 0; r < f->rows; r++) {
            double north = g->y0 - (f->row0 + r) * g->cell;
            f->area[(size_t)r * f->cols + c] += sign * strip_area_in_rows(s->strip, m, north - g->cell, north, s);
        }
    }
    free(p);
    return 0;
}

static int weigh_polygon(OGRGeometryH polygon, const cc_grid *g, feature_cells *f, clip_scratch *s) {
    int rings = OGR_G_GetGeometryCount(polygon);
    for (int i = 0; i < rings; i++)
        if (weigh_ring(OGR_G_GetGeometryRef(polygon, i), i == 0 ? 1 : -1, g, f, s) != 0) return -1;
    return 0;
}

/* floor(v) as a cell index, held to [-1, most + 1] before the conversion (an envelope
 * 2^31 cells away, or NaN, would not fit an int); the caller clamps to the grid. */
static int cell_index(double v, int most) {
    double f = floor(v);
    return !(f >= -1) ? -1 : f > most + 1 ? most + 1 : (int)f;
}

/* The cells the envelope touches, clamped to the grid; 0 when it misses the grid. */
static int envelope_cells(OGRGeometryH geometry, const cc_grid *g, feature_cells *f) {
    OGREnvelope e;
    OGR_G_GetEnvelope(geometry, &e);
    int col0 = cell_index((e.MinX - g->x0) / g->cell, g->width), col1 = cell_index((e.MaxX - g->x0) / g->cell, g->width);
    int row0 = cell_index((g->y0 - e.MaxY) / g->cell, g->height), row1 = cell_index((g->y0 - e.MinY) / g->cell, g->height);
    col0 = col0 < 0 ? 0 : col0, row0 = row0 < 0 ? 0 : row0;
    col1 = col1 >= g->width ? g->width - 1 : col1, row1 = row1 >= g->height ? g->height - 1 : row1;
    f->row0 = row0, f->col0 = col0, f->rows = row1 - row0 + 1, f->cols = col1 - col0 + 1;
    return f->rows > 0 && f->cols > 0;
}

/* A feature's polygons (Polygon or MultiPolygon, curves linearised) over the grid. */
static int weigh_feature(OGRGeometryH geometry, int polygon, const cc_grid *g, piece_list *pieces, double *outside,
                         clip_scratch *s) {
    /* curves (CurvePolygon, MultiSurface) as the straight edges GDAL approximates them by */
    OGRGeometryH linear = OGR_G_HasCurveGeometry(geometry, TRUE) ? OGR_G_GetLinearGeometry(geometry, 0, NULL)
                                                                  : OGR_G_Clone(geometry);
    OGRGeometryH multi = OGR_G_ForceToMultiPolygon(linear);
    feature_cells f = {0};
    int status = 0;
    if (envelope_cells(multi, g, &f)) {
        f.area = calloc((size_t)f.rows * f.cols, sizeof *f.area);
        status = f.area ? 0 : -1;
    }
    for (int i = 0; !status && i < OGR_G_GetGeometryCount(multi); i++) {
        OGRGeometryH part = OGR_G_GetGeometryRef(multi, i);
        if (f.area) status = weigh_polygon(part, g, &f, s);
        else for (int k = 0; k < OGR_G_GetGeometryCount(part); k++) { /* off the grid: its area only */
            double *p = NULL;
            int n = ring_points(OGR_G_GetGeometryRef(part, k), s, &p);
            if (n > 0) f.total += (k ? -1 : 1) * shoelace(p, n);
            free(p);
        }
    }
    double inside = 0;
    for (int r = 0; !status && f.area && r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) {
            double a = f.area[(size_t)r * f.cols + c];
            if (a <= 0) continue;
            inside += a;
            status = add_piece(pieces, (f.row0 + r) * g->width + f.col0 + c, polygon, a);
            if (status) break;
        }
    if (f.total > inside) *outside += f.total - inside;
    free(f.area);
    OGR_G_DestroyGeometry(multi);
    return status;
}

static int by_cell_then_polygon(const void *a, const void *b) {
    const cc_area_piece *x = a, *y = b;
    if (x->cell != y->cell) return x->cell < y->cell ? -1 : 1;
    return (x->polygon > y->polygon) - (x->polygon < y->polygon);
}

static void list_fields(OGRFeatureDefnH defn, const char *path, const char *key, char *err, size_t err_len) {
    size_t n = (size_t)snprintf(err, err_len, "%s has no field '%s' (it has:", path, key);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn) && n < err_len; i++)
        n += (size_t)snprintf(err + n, err_len - n, " %s", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    if (n < err_len) snprintf(err + n, err_len - n, ")");
}

static const char *srs_name(OGRSpatialReferenceH srs, char *buf, size_t len) {
    const char *authority = OSRGetAuthorityName(srs, NULL), *code = OSRGetAuthorityCode(srs, NULL);
    if (authority && code) snprintf(buf, len, "%s:%s", authority, code);
    else snprintf(buf, len, "%s", OSRGetName(srs) ? OSRGetName(srs) : "an unnamed CRS");
    return buf;
}

/* The transformation from the layer's CRS to the grid's, or NULL when they are the same
 * (*fail set when one cannot be made). */
static OGRCoordinateTransformationH grid_transform(OGRLayerH layer, const char *path, const cc_grid *g,
                                                   cc_area_weights *w, int *fail, char *err, size_t err_len) {
    OGRSpatialReferenceH from = OGR_L_GetSpatialRef(layer), to = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    char name[128];
    *fail = 1;
    if (!from) snprintf(err, err_len, "%s: the layer states no CRS (crimecast will not guess one)", path);
    else if (OSRSetFromUserInput(to, g->crs) != OGRERR_NONE)
        snprintf(err, err_len, "the grid's CRS '%s' is unknown to GDAL", g->crs);
    else if (OSRIsSame(from, to)) {
        snprintf(w->crs_note, sizeof w->crs_note, "%s, the grid's CRS", srs_name(from, name, sizeof name));
        *fail = 0;
    } else {
        OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
        OGRSpatialReferenceH src = OSRClone(from);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(src, to);
        OSRDestroySpatialReference(src);
        srs_name(from, name, sizeof name);
        if (!ct) snprintf(err, err_len, "%s: no transformation from %s to %s", path, name, g->crs);
        else snprintf(w->crs_note, sizeof w->crs_note, "%s, reprojected to %s", name, g->crs);
        *fail = ct == NULL;
    }
    OSRDestroySpatialReference(to);
    return ct;
}

/* Adds to `multi` copies of the polygons in `g`, however nested: MakeValid answers a
 * MultiPolygon with a spike as a collection of a MultiPolygon and a LineString, which
 * weigh_feature read as rings of no points (every cell lost; a reviewer). Lines and
 * points, of no area, are left out. */
static void add_polygons(OGRGeometryH multi, OGRGeometryH g) {
    OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(g));
    if (type == wkbPolygon || type == wkbCurvePolygon) {
        OGR_G_AddGeometry(multi, g); /* copies it */
        return;
    }
    if (type == wkbMultiPolygon || type == wkbMultiSurface || type == wkbGeometryCollection)
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) add_polygons(multi, OGR_G_GetGeometryRef(g, i));
}

/* A polygon that is not valid (a ring crossing itself: a bow-tie) as GEOS mends it, into
 * *valid (the caller's to destroy), and 1; 0 for a valid one, or where GDAL has no GEOS.
 * Clipping takes a ring's area with its sign, so the two lobes of a bow-tie cancel: the
 * cells under it were left with no value at all (a probe). */
static int made_valid(OGRGeometryH geometry, OGRGeometryH *valid) {
    *valid = NULL;
    if (!OGRGetGEOSVersion(NULL, NULL, NULL) || OGR_G_IsValid(geometry)) return 0;
    OGRGeometryH mended = OGR_G_MakeValid(geometry);
    if (!mended) return 0;
    *valid = OGR_G_CreateGeometry(wkbMultiPolygon);
    if (*valid) add_polygons(*valid, mended);
    OGR_G_DestroyGeometry(mended);
    return *valid != NULL;
}

static int read_features(OGRLayerH layer, int key, OGRCoordinateTransformationH ct, const cc_grid *g,
                         cc_area_weights *w, piece_list *pieces, const char *path, char *err, size_t err_len) {
    long capacity = 0;
    clip_scratch s = {0};
    int status = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(layer);
    while (!status && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH geometry = OGR_F_GetGeometryRef(f);
        OGRwkbGeometryType type = geometry ? wkbFlatten(OGR_G_GetGeometryType(geometry)) : wkbUnknown;
        const char *code = OGR_F_IsFieldSetAndNotNull(f, key) ? OGR_F_GetFieldAsString(f, key) : "";
        if ((type != wkbPolygon && type != wkbMultiPolygon && type != wkbCurvePolygon && type != wkbMultiSurface) ||
            !code[0]) {
            w->skipped++;
            OGR_F_Destroy(f);
            continue;
        }
        if (w->polygons == capacity) {
            capacity = capacity ? 2 * capacity : 1024;
            char **keys = realloc(w->keys, sizeof *keys * (size_t)capacity);
            if (!keys) status = -1;
            else w->keys = keys;
        }
        if (!status && ct && OGR_G_Transform(geometry, ct) != OGRERR_NONE) {
            snprintf(err, err_len, "%s: feature %lld could not be reprojected to %s", path,
                     (long long)OGR_F_GetFID(f), g->crs);
            status = -2;
        }
        OGRGeometryH valid = NULL;
        if (!status && made_valid(geometry, &valid)) w->repaired++;
        if (!status && !(w->keys[w->polygons] = strdup(code))) status = -1;
        if (!status) status = weigh_feature(valid ? valid : geometry, w->polygons++, g, pieces, &w->outside_m2, &s);
        if (valid) OGR_G_DestroyGeometry(valid);
        OGR_F_Destroy(f);
    }
    if (status == -1) snprintf(err, err_len, "%s: out of memory", path);
    free(s.a), free(s.b), free(s.strip);
    return status ? -1 : 0;
}

static OGRLayerH pick_layer(GDALDatasetH ds, const char *path, const char *name, char *err, size_t err_len) {
    if (GDALDatasetGetLayerCount(ds) == 0) {
        snprintf(err, err_len, "%s: no vector layer in it (a file cut short?)", path);
        return NULL;
    }
    OGRLayerH layer = name ? GDALDatasetGetLayerByName(ds, name) : GDALDatasetGetLayer(ds, 0);
    if (!layer) {
        size_t n = (size_t)snprintf(err, err_len, "%s has no layer '%s' (it has:", path, name ? name : "");
        for (int i = 0; i < GDALDatasetGetLayerCount(ds) && n < err_len; i++)
            n += (size_t)snprintf(err + n, err_len - n, " %s", OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
        if (n < err_len) snprintf(err + n, err_len - n, ")");
    }
    return layer;
}

/* A vector file's name GDAL opens by itself (a shapefile's .shp, a GeoPackage, GeoJSON;
 * not any .json: archives carry metadata in them). */
static int vector_file_name(const char *name) {
    return has_suffix(name, ".shp") || has_suffix(name, ".gpkg") || has_suffix(name, ".geojson");
}

/* Adds folder (n bytes of text) to the list "a, b" unless it is there. */
static void list_folder(char *list, size_t len, const char *text, int n) {
    char folder[1024];
    snprintf(folder, sizeof folder, "%.*s/", n, text);
    for (const char *at = list; (at = strstr(at, folder)) != NULL; at++)
        if ((at == list || at[-2] == ',') && (at[strlen(folder)] == ',' || !at[strlen(folder)])) return;
    size_t used = strlen(list), add = strlen(folder);
    if (used + add + 3 >= len) return; /* the list is for a message: a long one is cut */
    if (used) memcpy(list + used, ", ", 2), used += 2;
    memcpy(list + used, folder, add + 1);
}

/* An archive (`name`, a /vsizip/ or /vsitar/ path) whose vector files all lie in one
 * folder inside it, as downloads keep them ("statistical-gis-boundaries-london/ESRI/"):
 * that folder's GDAL name in `out`, and 1. 0 otherwise: none in a folder, or in several
 * folders (then listed in `several`, for the message; else it is left ""). */
static int folder_in_archive(const char *name, char *out, size_t len, char *several, size_t several_len) {
    several[0] = 0;
    if (strncmp(name, "/vsizip/", 8) != 0 && strncmp(name, "/vsitar/", 8) != 0) return 0;
    char **files = VSIReadDirRecursive(name);
    char folders[1024] = "";
    int first = -1, count = 0;
    for (int i = 0; files && files[i]; i++) {
        const char *slash = strrchr(files[i], '/');
        if (!vector_file_name(files[i]) || !slash) continue; /* one at the top: GDAL's own open saw it */
        list_folder(folders, sizeof folders, files[i], (int)(slash - files[i]));
        if (first < 0) first = i;
        count = (int)(strchr(folders, ',') ? 2 : 1);
    }
    int found = count == 1;
    if (found) snprintf(out, len, "%s/%.*s", name, (int)(strrchr(files[first], '/') - files[first]), files[first]);
    if (count > 1) snprintf(several, several_len, "%s", folders);
    CSLDestroy(files);
    return found;
}

/* Why GDAL opened nothing at `path`: GDAL's message when it gave one, else the system's
 * reason when there is no file (GDAL says nothing then), else no reason. */
static void unreadable(const char *path, char *err, size_t err_len) {
    struct stat st;
    const char *gdal = CPLGetLastErrorMsg();
    if (gdal && *gdal) snprintf(err, err_len, "%s: GDAL cannot read it as vector data (%s)", path, gdal);
    else if (stat(path, &st) != 0) snprintf(err, err_len, "%s: cannot open it: %s", path, strerror(errno));
    else snprintf(err, err_len, "%s: GDAL cannot read it as vector data", path);
}

int cc_area_weights_compute(const char *path, const char *layer_name, const char *key_field, const cc_grid *g,
                            cc_area_weights *w, char *err, size_t err_len) {
    memset(w, 0, sizeof *w);
    char name[4200];
    gdal_name(path, name, sizeof name);
    GDALAllRegister();
    /* GDAL caches a .gz's sizes in a ".properties" file beside it: a write into the input's
     * folder (read-only data, shared by other runs, and not written whole) that crimecast
     * never asked for. GDAL's own configuration, the same for every open. */
    CPLSetConfigOption("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO");
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset(); /* the message read on failure is this open's */
    GDALDatasetH ds = GDALOpenEx(name, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    char inner[4400], several[1024] = "";
    if (!ds && folder_in_archive(name, inner, sizeof inner, several, sizeof several)) {
        CPLErrorReset();
        ds = GDALOpenEx(inner, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    }
    OGRLayerH layer = NULL;
    OGRCoordinateTransformationH ct = NULL;
    piece_list pieces = {0};
    int status = -1, key = -1, fail = 1;
    if (!ds && several[0])
        snprintf(err, err_len, "%s: vector files in several folders inside it (%s): name the one to read, as "
                 "%s/FOLDER", path, several, name);
    else if (!ds) unreadable(path, err, err_len);
    else if ((layer = pick_layer(ds, path, layer_name, err, err_len)) != NULL) {
        key = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), key_field);
        if (key < 0) list_fields(OGR_L_GetLayerDefn(layer), path, key_field, err, err_len);
        else ct = grid_transform(layer, path, g, w, &fail, err, err_len);
    }
    if (layer && key >= 0 && !fail) status = read_features(layer, key, ct, g, w, &pieces, path, err, err_len);
    if (!status && w->polygons == 0) {
        snprintf(err, err_len, "%s: no polygon with a key among its features (%ld skipped)", path, w->skipped);
        status = -1;
    }
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (ds) GDALClose(ds);
    CPLPopErrorHandler();
    if (!status && pieces.count > 1) /* polygons that miss the grid leave no array: qsort may not be given NULL */
        qsort(pieces.items, (size_t)pieces.count, sizeof *pieces.items, by_cell_then_polygon);
    w->piece = pieces.items, w->pieces = pieces.count;
    if (status) cc_area_weights_free(w);
    return status;
}

#else

int cc_area_weights_compute(const char *path, const char *layer, const char *key_field, const cc_grid *grid,
                            cc_area_weights *weights, char *err, size_t err_len) {
    (void)layer, (void)key_field, (void)grid;
    memset(weights, 0, sizeof *weights);
    snprintf(err, err_len, "%s: this crimecast was built without GDAL (Debian's libgdal-dev), which reads polygons",
             path);
    return -1;
}

#endif

void cc_area_weights_free(cc_area_weights *w) {
    for (int i = 0; w->keys && i < w->polygons; i++) free(w->keys[i]);
    free(w->keys), free(w->piece);
    memset(w, 0, sizeof *w);
}
