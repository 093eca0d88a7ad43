#include "heatmaps/grid.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/printable.h"
#include "heatmaps/tensor.h"

struct cc_projection {
    PJ_CONTEXT *context;
    PJ *transform;
};

/* 1 when the CRS is projected with metre axes. */
static int is_metric_projected(PJ_CONTEXT *ctx, PJ *crs) {
    PJ_TYPE type = proj_get_type(crs);
    if (type != PJ_TYPE_PROJECTED_CRS) return 0;
    PJ *cs = proj_crs_get_coordinate_system(ctx, crs);
    if (!cs) return 0;
    int ok = proj_cs_get_axis_count(ctx, cs) >= 2;
    for (int i = 0; ok && i < 2; i++) {
        double factor = 0;
        ok = proj_cs_get_axis_info(ctx, cs, i, NULL, NULL, NULL, &factor, NULL, NULL, NULL) &&
             fabs(factor - 1.0) < 1e-12;
    }
    proj_destroy(cs);
    return ok;
}

/* 0 when PROJ knows crs as a projected CRS in metres; -1 with err when it does not; -2
 * when this machine has no proj.db to look it up in. */
static int require_metric(PJ_CONTEXT *ctx, const char *crs, char *err, size_t err_len) {
    char shown[160]; /* the text may come from a file: quoted printably */
    cc_printable(crs, shown, sizeof shown, 120);
    if (!crs[0]) {
        snprintf(err, err_len, "the CRS is empty (name one such as EPSG:32616)");
        return -1;
    }
    size_t most = sizeof ((cc_grid *)0)->crs - 1; /* files hold it whole: cut, it would name another CRS */
    if (strlen(crs) > most) {
        snprintf(err, err_len, "a CRS of %zu characters: at most %zu (an authority code such as EPSG:32616 is "
                 "enough)", strlen(crs), most);
        return -1;
    }
    PJ *target = proj_create(ctx, crs); /* a PROJ string needs no database; an EPSG code does */
    if (!target && !proj_context_get_database_path(ctx)) {
        snprintf(err, err_len, "PROJ's database proj.db was not found, so CRS '%s' cannot be read (install "
                 "proj-data, or set PROJ_DATA to the folder that holds proj.db)", shown);
        return -2;
    }
    if (!target) {
        snprintf(err, err_len, "unknown CRS '%s' (PROJ: %s)", shown,
                 proj_context_errno_string(ctx, proj_context_errno(ctx)));
        return -1;
    }
    int metric = is_metric_projected(ctx, target), crs_at_all = proj_is_crs(target);
    proj_destroy(target);
    if (!crs_at_all) { /* "+proj=utm +zone=17" is a projection to PROJ; "+type=crs" makes it a CRS */
        snprintf(err, err_len, "'%s' is a PROJ operation, not a CRS: %s", shown,
                 crs[0] == '+' ? "add +type=crs to a PROJ string (or name an EPSG code)" : "name an EPSG code");
        return -1;
    }
    if (!metric) {
        snprintf(err, err_len, "CRS '%s' is not a projected CRS in metres (use e.g. a UTM zone)", shown);
        return -1;
    }
    return 0;
}

int cc_crs_require_metric(const char *crs, char *err, size_t err_len) {
    PJ_CONTEXT *ctx = proj_context_create();
    if (!ctx) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    proj_log_level(ctx, PJ_LOG_NONE);
    int status = require_metric(ctx, crs, err, err_len);
    proj_context_destroy(ctx);
    return status;
}

/* How far crs departs from the ground over the box, at its corners, edge midpoints and
 * centre: the largest scale error max |h - 1|, |k - 1| (PROJ's meridional and parallel
 * scale; NaN where PROJ cannot tell, a point outside what the projection covers), at
 * scale_at, and the largest angle between grid north and true north (PROJ's meridian
 * convergence, degrees), at turn_at (latitude, longitude). */
typedef struct crs_departure {
    double scale_error, scale_at[2];
    double turn_degrees, turn_at[2];
} crs_departure;

static void measure_departure(PJ *target, const cc_bbox *b, crs_departure *d) {
    d->scale_error = d->turn_degrees = 0;
    for (int i = 0; i < 9 && !isnan(d->scale_error); i++) {
        double lon = b->min_lon + 0.5 * (i % 3) * (b->max_lon - b->min_lon);
        double lat = b->min_lat + 0.5 * (i / 3) * (b->max_lat - b->min_lat);
        PJ_FACTORS f = proj_factors(target, proj_coord(proj_torad(lon), proj_torad(lat), 0, 0));
        double error = fmax(fabs(f.meridional_scale - 1), fabs(f.parallel_scale - 1));
        double turn = fabs(proj_todeg(f.meridian_convergence));
        if (proj_errno(target) || !isfinite(error)) error = NAN;
        if (isnan(error) || error > d->scale_error) d->scale_error = error, d->scale_at[0] = lat, d->scale_at[1] = lon;
        if (isfinite(turn) && turn > d->turn_degrees) d->turn_degrees = turn, d->turn_at[0] = lat, d->turn_at[1] = lon;
        proj_errno_reset(target);
    }
}

/* measure_departure of crs as PROJ reads it; *created 0 when it cannot. */
static void crs_departure_over(PJ_CONTEXT *ctx, const char *crs, const cc_bbox *b, crs_departure *d, int *created) {
    PJ *declared = proj_create(ctx, crs);
    /* east and north first, as the grid's transformation takes them (a CRS whose first
     * axis is northing, such as EPSG:3035, gave PROJ's factors nothing to read) */
    PJ *target = declared ? proj_normalize_for_visualization(ctx, declared) : NULL;
    if (declared) proj_destroy(declared);
    *created = target != NULL;
    if (!target) return;
    measure_departure(target, b, d);
    proj_destroy(target);
}

/* "41.640 N, 87.940 W" */
static void point_text(const double at[2], char *text, size_t len) {
    snprintf(text, len, "%.3f %s, %.3f %s", fabs(at[0]), at[0] < 0 ? "S" : "N", fabs(at[1]), at[1] < 0 ? "W" : "E");
}

int cc_crs_require_true_scale(const char *crs, const cc_bbox *box, char *turned, size_t turned_len, char *err,
                              size_t err_len) {
    if (turned && turned_len) turned[0] = '\0';
    PJ_CONTEXT *ctx = proj_context_create();
    if (!ctx) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    proj_log_level(ctx, PJ_LOG_NONE);
    int created = 0;
    crs_departure d = {0};
    crs_departure_over(ctx, crs, box, &d, &created);
    double worst = d.scale_error;
    const char *proj_says = created ? "" : proj_context_errno_string(ctx, proj_context_errno(ctx));
    char shown[160], said[256];
    cc_printable(crs, shown, sizeof shown, 120);
    snprintf(said, sizeof said, "%s", proj_says ? proj_says : "");
    proj_context_destroy(ctx);
    if (!created) {
        snprintf(err, err_len, "PROJ cannot read CRS '%s' to measure its scale (%s)", shown, said);
        return -1;
    }
    char point[64];
    point_text(d.scale_at, point, sizeof point);
    if (isnan(worst)) {
        snprintf(err, err_len, "CRS '%s' cannot say its scale at %s, in the city's box: the box is outside the "
                 "area it projects (use a CRS made for the city, such as a UTM zone)", shown, point);
        return -1;
    }
    if (worst > 10) { /* no map of a city's box stretches it elevenfold: PROJ's factors are wrong */
        snprintf(err, err_len, "PROJ's scale factors for CRS '%s' make no sense (%g at %s): PROJ does not measure "
                 "this string (a +proj=utm with +k_0, for one); name the CRS by its EPSG code (a UTM zone: EPSG:326NN "
                 "north, 327NN south)", shown, 1 + worst, point);
        return -1;
    }
    if (worst > CC_CRS_MOST_SCALE_ERROR) {
        snprintf(err, err_len, "CRS '%s' stretches distances by %.1f%% at %s, in the city's box: its metres are "
                 "not metres on the ground there, so cell sizes, bandwidths and areas would be wrong (use a CRS "
                 "made for the city, such as a UTM zone: at most %g%% is taken)", shown, 100 * worst, point,
                 100 * CC_CRS_MOST_SCALE_ERROR);
        return -1;
    }
    if (turned && d.turn_degrees > CC_CRS_NOTED_TURN_DEGREES) { /* France's grid at Chicago: turned 66 degrees */
        point_text(d.turn_at, point, sizeof point);
        snprintf(turned, turned_len, "CRS '%s' turns north by %.1f degrees at %s, in the city's box: row 0 of the "
                 "grid and of its maps (png, report) points that far from north (GIS files, placed by their CRS, are "
                 "right; a CRS made for the city, such as a UTM zone, turns less than 3 degrees)", shown,
                 d.turn_degrees, point);
    }
    return 0;
}

cc_projection *cc_projection_new(const char *crs, char *err, size_t err_len) {
    cc_projection *p = calloc(1, sizeof *p);
    if (!p || !(p->context = proj_context_create())) {
        free(p);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    proj_log_level(p->context, PJ_LOG_NONE);
    if (require_metric(p->context, crs, err, err_len) != 0) {
        cc_projection_free(p);
        return NULL;
    }
    PJ *raw = proj_create_crs_to_crs(p->context, "EPSG:4326", crs, NULL);
    /* Normalise axis order to longitude, latitude in and easting, northing out. */
    p->transform = raw ? proj_normalize_for_visualization(p->context, raw) : NULL;
    proj_destroy(raw);
    if (!p->transform) {
        snprintf(err, err_len, "cannot transform WGS84 to '%s'", crs);
        cc_projection_free(p);
        return NULL;
    }
    return p;
}

void cc_projection_free(cc_projection *p) {
    if (!p) return;
    proj_destroy(p->transform);
    proj_context_destroy(p->context);
    free(p);
}

void cc_projection_forward(cc_projection *p, double *x, double *y, size_t count) {
    proj_trans_generic(p->transform, PJ_FWD, x, sizeof *x, count, y, sizeof *y, count, NULL, 0, 0,
                       NULL, 0, 0);
}

void cc_projection_inverse(cc_projection *p, double *x, double *y, size_t count) {
    proj_trans_generic(p->transform, PJ_INV, x, sizeof *x, count, y, sizeof *y, count, NULL, 0, 0,
                       NULL, 0, 0);
}

enum { EDGE_SAMPLES = 64 };

/* Projected envelope of the box: its edges are curves in the CRS, so sample them. */
static int projected_envelope(cc_projection *p, const cc_bbox *b, double env[4]) {
    double x[4 * EDGE_SAMPLES], y[4 * EDGE_SAMPLES];
    for (int i = 0; i < EDGE_SAMPLES; i++) {
        double t = (double)i / (EDGE_SAMPLES - 1);
        double lon = b->min_lon + t * (b->max_lon - b->min_lon);
        double lat = b->min_lat + t * (b->max_lat - b->min_lat);
        x[i] = lon, y[i] = b->min_lat;
        x[EDGE_SAMPLES + i] = lon, y[EDGE_SAMPLES + i] = b->max_lat;
        x[2 * EDGE_SAMPLES + i] = b->min_lon, y[2 * EDGE_SAMPLES + i] = lat;
        x[3 * EDGE_SAMPLES + i] = b->max_lon, y[3 * EDGE_SAMPLES + i] = lat;
    }
    cc_projection_forward(p, x, y, 4 * EDGE_SAMPLES);
    env[0] = env[1] = INFINITY;
    env[2] = env[3] = -INFINITY;
    for (int i = 0; i < 4 * EDGE_SAMPLES; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || x[i] == HUGE_VAL) return -1;
        env[0] = fmin(env[0], x[i]);
        env[1] = fmin(env[1], y[i]);
        env[2] = fmax(env[2], x[i]);
        env[3] = fmax(env[3], y[i]);
    }
    return 0;
}

int cc_grid_from_bbox(cc_projection *p, const cc_bbox *bbox, const char *crs, int cells,
                      double cell_metres, cc_grid *g, char *err, size_t err_len) {
    memset(g, 0, sizeof *g);
    cc_crs_canonical(crs, g->crs, sizeof g->crs); /* whole: cc_projection_new refused a longer one */
    if (cc_crs_require_true_scale(crs, bbox, NULL, 0, err, err_len) != 0) return CC_GRID_CRS_REFUSED;
    double env[4];
    if (projected_envelope(p, bbox, env) != 0) {
        snprintf(err, err_len, "the city's bounding box cannot be projected into %s", crs);
        return CC_GRID_CRS_REFUSED;
    }
    /* A metre of margin: a point on the box's edge must not fall off by rounding. */
    env[0] -= 1.0, env[1] -= 1.0, env[2] += 1.0, env[3] += 1.0;
    double width = env[2] - env[0], height = env[3] - env[1], columns, rows;
    if (cells > 0) {
        g->cell = fmax(width, height) / cells;
        columns = rows = cells;
    } else if (cell_metres > 0) {
        g->cell = cell_metres;
        columns = ceil(width / cell_metres), rows = ceil(height / cell_metres);
    } else {
        snprintf(err, err_len, "give a grid size (cells > 0) or a cell size in metres (> 0)");
        return -1;
    }
    if (!(columns <= CC_TENSOR_MOST_SIDE && rows <= CC_TENSOR_MOST_SIDE)) { /* before they become ints */
        snprintf(err, err_len, "%.0f x %.0f cells of %.1f m: a tensor holds at most %d a side", rows, columns, g->cell,
                 CC_TENSOR_MOST_SIDE);
        return -1;
    }
    g->width = (int)columns, g->height = (int)rows;
    /* Centre the cells on the envelope. */
    g->x0 = 0.5 * (env[0] + env[2]) - 0.5 * g->width * g->cell;
    g->y0 = 0.5 * (env[1] + env[3]) + 0.5 * g->height * g->cell;
    return 0;
}

double cc_grid_x_centre(const cc_grid *g, int col) { return g->x0 + (col + 0.5) * g->cell; }
double cc_grid_y_centre(const cc_grid *g, int row) { return g->y0 - (row + 0.5) * g->cell; }
