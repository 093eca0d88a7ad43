#include "heatmaps/map_grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "heatmaps/canvas.h"
#include "heatmaps/colormap.h"

/* A map of a grid is drawn at least MIN_MAP_PIXELS wide, a block's only map MIN_SINGLE_PIXELS. */
enum { MARGIN = 14, GAP = 6, BLOCK_GAP = 24, BAR_HEIGHT = 10, LABEL_GAP = 2, MIN_MAP_PIXELS = 40, MIN_SINGLE_PIXELS = 200,
       BAR_MIN = 200 };

static const cc_rgb WHITE = {255, 255, 255}, INK = {30, 30, 30}, MASKED = {246, 246, 246}; /* off the diverging middle */

int cc_map_grid_level(double v, double vmin, double vmax) {
    double x = (v - vmin) / (vmax - vmin);
    if (!(x > 0)) return 0;   /* NaN too */
    if (!(x < 1)) return 254; /* before the cast: a value past vmax, or infinite, would overflow int */
    int level = (int)floor(x * 255.0);
    return level > 254 ? 254 : level;
}

/* Cool-warm: blue (59, 76, 192), light grey (221, 221, 221) at the middle, red (180, 4, 38). */
static cc_rgb diverging(int level) {
    static const double ends[3][3] = {{59, 76, 192}, {221, 221, 221}, {180, 4, 38}};
    double x = level / 254.0 * 2.0;
    int half = x < 1.0 ? 0 : 1;
    double u = x - half;
    cc_rgb c;
    c.r = (unsigned char)lround(ends[half][0] + u * (ends[half + 1][0] - ends[half][0]));
    c.g = (unsigned char)lround(ends[half][1] + u * (ends[half + 1][1] - ends[half][1]));
    c.b = (unsigned char)lround(ends[half][2] + u * (ends[half + 1][2] - ends[half][2]));
    return c;
}

static cc_rgb colour(const cc_map_block *b, int level) {
    if (b->diverging) return diverging(level);
    const unsigned char *rgb = cc_colormap_find("viridis")->rgb[level];
    return (cc_rgb){rgb[0], rgb[1], rgb[2]};
}

/* A block's layout: grid of maps, their labels, title line above, bar below. */
typedef struct layout {
    int zoom, columns, rows, pitch_x, pitch_y, width, height, bar_w;
} layout;

static int label_width(const cc_map_block *b) {
    int most = 0;
    for (int k = 0; b->labels && k < b->count; k++) {
        int w = cc_canvas_text_width(b->labels[k], 1);
        if (w > most) most = w;
    }
    return most;
}

static layout plan_block(const cc_map_block *b) {
    layout l;
    int least = b->count == 1 ? MIN_SINGLE_PIXELS : MIN_MAP_PIXELS;
    l.zoom = b->W >= least ? 1 : (least + b->W - 1) / b->W;
    l.columns = b->columns > 0 ? b->columns : (int)ceil(sqrt((double)b->count));
    if (l.columns > b->count) l.columns = b->count;
    l.rows = (b->count + l.columns - 1) / l.columns;
    int map_w = b->W * l.zoom, lw = label_width(b);
    l.pitch_x = (map_w > lw ? map_w : lw) + GAP;
    l.pitch_y = b->H * l.zoom + (b->labels ? cc_canvas_text_height(1) + LABEL_GAP : 0) + GAP;
    int grid_w = l.columns * l.pitch_x - GAP, title_w = cc_canvas_text_width(b->title, 1);
    l.bar_w = grid_w > BAR_MIN ? grid_w : BAR_MIN;
    l.width = grid_w;
    if (l.bar_w + 80 > l.width) l.width = l.bar_w + 80; /* room for the end labels */
    if (title_w > l.width) l.width = title_w;
    l.height = cc_canvas_text_height(1) + GAP + l.rows * l.pitch_y + BAR_HEIGHT + 2 * cc_canvas_text_height(1) + GAP;
    return l;
}

static void draw_map(cc_canvas *canvas, const cc_map_block *b, const float *map, int x, int y, int zoom) {
    for (int r = 0; r < b->H; r++)
        for (int c = 0; c < b->W; c++) {
            size_t q = (size_t)r * b->W + c;
            cc_rgb rgb = b->mask && !b->mask[q] ? MASKED : colour(b, cc_map_grid_level(map[q], b->vmin, b->vmax));
            cc_canvas_fill_rect(canvas, x + c * zoom, y + r * zoom, zoom, zoom, rgb);
        }
}

/* Draws block b with its top-left corner at (x, y); writes its tEXt value to `text`. */
static void draw_block(cc_canvas *canvas, const cc_map_block *b, const layout *l, int x, int y, char *text,
                       size_t text_len) {
    int line = cc_canvas_text_height(1);
    cc_canvas_text(canvas, x, y, b->title, 1, INK);
    int grid_y = y + line + GAP;
    size_t plane = (size_t)b->H * b->W;
    for (int k = 0; k < b->count; k++) {
        int mx = x + (k % l->columns) * l->pitch_x, my = grid_y + (k / l->columns) * l->pitch_y;
        draw_map(canvas, b, b->maps + k * plane, mx, my, l->zoom);
        if (b->labels) cc_canvas_text(canvas, mx, my + b->H * l->zoom + LABEL_GAP, b->labels[k], 1, INK);
    }
    int bar_y = grid_y + l->rows * l->pitch_y;
    for (int i = 0; i < l->bar_w; i++)
        cc_canvas_fill_rect(canvas, x + i, bar_y, 1, BAR_HEIGHT, colour(b, i * 255 / l->bar_w));
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.3g", b->vmin);
    snprintf(hi, sizeof hi, "%.3g", b->vmax);
    cc_canvas_text(canvas, x, bar_y + BAR_HEIGHT + 3, lo, 1, INK);
    cc_canvas_text(canvas, x + l->bar_w - cc_canvas_text_width(hi, 1), bar_y + BAR_HEIGHT + 3, hi, 1, INK);
    snprintf(text, text_len,
             "vmin=%.9g vmax=%.9g x=%d y=%d zoom=%d columns=%d pitch_x=%d pitch_y=%d bar_x=%d bar_y=%d bar_w=%d bar_h=%d",
             b->vmin, b->vmax, x, grid_y, l->zoom, l->columns, l->pitch_x, l->pitch_y, x, bar_y, l->bar_w, BAR_HEIGHT);
}

enum { MAX_BLOCKS = 16 };

int cc_map_grid_png(const char *path, const char *title, const cc_map_block *blocks, int count, int per_row,
                    char *err, size_t err_len) {
    if (count < 1 || count > MAX_BLOCKS) {
        snprintf(err, err_len, "%s: a figure holds 1..%d blocks, not %d", path, MAX_BLOCKS, count);
        return -1;
    }
    if (per_row < 1 || per_row > count) per_row = count;
    layout l[MAX_BLOCKS];
    int col_w[MAX_BLOCKS] = {0}, row_h[MAX_BLOCKS] = {0}, rows = (count + per_row - 1) / per_row;
    for (int b = 0; b < count; b++) {
        l[b] = plan_block(&blocks[b]);
        if (l[b].width > col_w[b % per_row]) col_w[b % per_row] = l[b].width;
        if (l[b].height > row_h[b / per_row]) row_h[b / per_row] = l[b].height;
    }
    int title_h = cc_canvas_text_height(2) + GAP, width = 2 * MARGIN, height = 2 * MARGIN + title_h;
    for (int c = 0; c < per_row; c++) width += col_w[c] + (c ? BLOCK_GAP : 0);
    for (int r = 0; r < rows; r++) height += row_h[r] + (r ? BLOCK_GAP : 0);
    int tw = cc_canvas_text_width(title, 2) + 2 * MARGIN;
    if (tw > width) width = tw;
    cc_canvas canvas;
    if (cc_canvas_init(&canvas, width, height, WHITE) != 0) {
        snprintf(err, err_len, "%s: out of memory for a %d x %d picture", path, width, height);
        return -1;
    }
    cc_canvas_text(&canvas, MARGIN, MARGIN, title, 2, INK);
    char values[MAX_BLOCKS][320], keys[MAX_BLOCKS][24]; /* "block" and any int */
    cc_png_text texts[MAX_BLOCKS + 1] = {{"Title", title}};
    int y = MARGIN + title_h;
    for (int r = 0; r < rows; r++) {
        int x = MARGIN;
        for (int c = 0; c < per_row && r * per_row + c < count; c++) {
            int b = r * per_row + c;
            draw_block(&canvas, &blocks[b], &l[b], x, y, values[b], sizeof values[b]);
            snprintf(keys[b], sizeof keys[b], "block%d", b);
            texts[b + 1] = (cc_png_text){keys[b], values[b]};
            x += col_w[c] + BLOCK_GAP;
        }
        y += row_h[r] + BLOCK_GAP;
    }
    int status = cc_canvas_write_png(&canvas, path, texts, count + 1, err, err_len);
    cc_canvas_free(&canvas);
    return status;
}
