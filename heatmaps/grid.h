/* The spatial grid of a tensor: square cells in a projected, metric CRS.
 *
 * A grid comes from the city's bounding box, never from the data: the box's corners
 * and edges are projected from WGS84 into the CRS (PROJ), and the cells cover the
 * projected envelope. Row 0 is the northern edge and column 0 the western one, so
 * images come out north-up:
 *   cell (row, col) spans x in [x0 + col*cell, x0 + (col+1)*cell)
 *                   and y in (y0 - (row+1)*cell, y0 - row*cell]
 * With `n` cells the grid is n x n, the cell size the envelope's longer side / n, and
 * the square centred on the envelope; with a cell size in metres, H and W are the
 * fewest cells that cover the envelope, again centred. */
#ifndef CRIMECAST_HEATMAPS_GRID_H
#define CRIMECAST_HEATMAPS_GRID_H

#include <stddef.h>

#include "crawler/city.h"

typedef struct cc_grid {
    char crs[64];
    double x0, y0;   /* west and north edges, CRS units (metres) */
    double cell;     /* cell side, metres */
    int height, width;
} cc_grid;

/* Projects WGS84 longitude/latitude into a metric CRS. One PROJ context per object:
 * use an object from one thread at a time. */
typedef struct cc_projection cc_projection;

/* 0 when PROJ knows `crs` as a projected CRS in metres (what a grid's cells are
 * measured in) and it fits cc_grid.crs whole; -1 with err when it does not (empty,
 * longer than 63 characters, unknown, or in degrees or feet);
 * -2 with err when this machine lacks PROJ's database (proj.db) to look it up in. */
int cc_crs_require_metric(const char *crs, char *err, size_t err_len);
/* 0 when `crs`'s metres are ground metres over the box, to within CC_CRS_MOST_SCALE_ERROR
 * (PROJ's meridional and parallel scale factors at its corners, edge midpoints and
 * centre); -1 with err naming the worst point otherwise, or where PROJ cannot tell (the
 * box outside the projection's reach). A UTM zone's error is at most 0.1% inside it;
 * Web Mercator's is 1/cos(latitude) - 1, 35% at Chicago; a national grid far from its
 * country, more. Cell sizes, KDE bandwidths and the areas of PAI and hotspot polygons are
 * all taken as ground metres. */
#define CC_CRS_MOST_SCALE_ERROR 0.01
/* `turned` (when not NULL) receives a sentence when grid north departs from true north by
 * more than CC_CRS_NOTED_TURN_DEGREES somewhere in the box (PROJ's meridian convergence at
 * the same points), else "": row 0 of a grid and of its maps is then not north. Not a
 * refusal: cells, bandwidths and areas are right, and GIS files are placed by their CRS.
 * A UTM zone turns less than 3 degrees at mid-latitudes (London in EPSG:32631, 2.8); a
 * grid over a continent more (US Albers, EPSG:5070: Chicago 5.1, Los Angeles 13.7, San
 * Francisco 16.0; London in EPSG:3035, 8.2); another country's conformal grid can be true
 * to scale and turned far (France's EPSG:2154 at Chicago: 66). */
#define CC_CRS_NOTED_TURN_DEGREES 10.0
int cc_crs_require_true_scale(const char *crs, const cc_bbox *box, char *turned, size_t turned_len, char *err,
                              size_t err_len);
/* Fails (NULL, `err`) when the CRS is unknown or not projected in metres. */
cc_projection *cc_projection_new(const char *crs, char *err, size_t err_len);
void cc_projection_free(cc_projection *projection);
/* In place: x[i] holds longitude on entry, easting on return; y[i] latitude, northing.
 * Points PROJ cannot transform come back as HUGE_VAL. */
void cc_projection_forward(cc_projection *projection, double *x, double *y, size_t count);
/* The inverse, in place: easting, northing in; longitude, latitude out. */
void cc_projection_inverse(cc_projection *projection, double *x, double *y, size_t count);

/* Builds the grid over `bbox` in `crs` (the projection's): `cells` > 0 for an n x n
 * grid, otherwise `cell_metres` > 0. Returns 0; or, with `err`, CC_GRID_CRS_REFUSED when
 * the CRS is the cause (not true to scale over the box: cc_crs_require_true_scale; or the
 * box cannot be projected into it), -1 when the grid's size is (more cells a side than a
 * tensor holds, no size given). */
enum { CC_GRID_CRS_REFUSED = -2 };
int cc_grid_from_bbox(cc_projection *projection, const cc_bbox *bbox, const char *crs, int cells,
                      double cell_metres, cc_grid *grid, char *err, size_t err_len);

/* Row and column of a projected point: 0 inside the grid, -1 outside. */
static inline int cc_grid_locate(const cc_grid *g, double x, double y, int *row, int *col) {
    double c = (x - g->x0) / g->cell, r = (g->y0 - y) / g->cell;
    if (!(c >= 0 && r >= 0 && c < g->width && r < g->height)) return -1;
    *col = (int)c;
    *row = (int)r;
    return 0;
}

/* Cell centres: x of column col, y of row row. */
double cc_grid_x_centre(const cc_grid *grid, int col);
double cc_grid_y_centre(const cc_grid *grid, int row);

#endif
