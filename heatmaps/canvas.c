#include "heatmaps/canvas.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/colormap.h"
#include "heatmaps/font.h"

/* Ink of the colour bar's frame, ticks and labels: near black, softer than pure black. */
static const cc_rgb BAR_INK = {40, 40, 40};

int cc_canvas_init(cc_canvas *canvas, int width, int height, cc_rgb background) {
    canvas->width = canvas->height = 0;
    canvas->rgb = NULL;
    if (width < 1 || height < 1 || (size_t)width > SIZE_MAX / 3 / (size_t)height) return -1;
    size_t pixels = (size_t)width * (size_t)height;
    unsigned char *rgb = malloc(pixels * 3);
    if (!rgb) return -1;
    for (size_t i = 0; i < pixels; i++) {
        rgb[3 * i] = background.r, rgb[3 * i + 1] = background.g, rgb[3 * i + 2] = background.b;
    }
    canvas->width = width, canvas->height = height, canvas->rgb = rgb;
    return 0;
}

void cc_canvas_free(cc_canvas *canvas) {
    free(canvas->rgb);
    canvas->rgb = NULL;
    canvas->width = canvas->height = 0;
}

static void put_pixel(cc_canvas *canvas, int x, int y, cc_rgb colour) {
    if (x < 0 || y < 0 || x >= canvas->width || y >= canvas->height) return;
    unsigned char *p = canvas->rgb + ((size_t)y * (size_t)canvas->width + (size_t)x) * 3;
    p[0] = colour.r, p[1] = colour.g, p[2] = colour.b;
}

void cc_canvas_fill_rect(cc_canvas *canvas, int x, int y, int w, int h, cc_rgb colour) {
    /* Clip in 64-bit so that huge rectangles cannot overflow x + w. */
    long long x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    long long x1 = (long long)x + w, y1 = (long long)y + h;
    if (x1 > canvas->width) x1 = canvas->width;
    if (y1 > canvas->height) y1 = canvas->height;
    for (long long row = y0; row < y1; row++)
        for (long long col = x0; col < x1; col++) put_pixel(canvas, (int)col, (int)row, colour);
}

/* A round brush `thickness` pixels across centred on pixel (cx, cy): a disc, so that
 * thick lines keep their width at every angle and joins between segments look round. */
static void brush(cc_canvas *canvas, int cx, int cy, int thickness, cc_rgb colour) {
    int lo = -(thickness - 1) / 2, hi = lo + thickness - 1;
    double centre = (lo + hi) / 2.0, radius2 = thickness * thickness / 4.0 + 1e-9;
    for (int dy = lo; dy <= hi; dy++)
        for (int dx = lo; dx <= hi; dx++) {
            double ex = dx - centre, ey = dy - centre;
            if (ex * ex + ey * ey <= radius2) put_pixel(canvas, cx + dx, cy + dy, colour);
        }
}

/* Clamps a coordinate far outside any canvas so that the step count stays bounded. */
static double clamp_coordinate(double v) {
    const double LIMIT = 1e6;
    return v < -LIMIT ? -LIMIT : v > LIMIT ? LIMIT : v;
}

void cc_canvas_line(cc_canvas *canvas, double x0, double y0, double x1, double y1, int thickness, int dash,
                    cc_rgb colour) {
    cc_canvas_line_from(canvas, x0, y0, x1, y1, thickness, dash, 0.0, colour);
}

double cc_canvas_line_from(cc_canvas *canvas, double x0, double y0, double x1, double y1, int thickness, int dash,
                           double phase, cc_rgb colour) {
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return phase;
    x0 = clamp_coordinate(x0), y0 = clamp_coordinate(y0);
    x1 = clamp_coordinate(x1), y1 = clamp_coordinate(y1);
    if (thickness < 1) thickness = 1;
    double dx = x1 - x0, dy = y1 - y0, length = sqrt(dx * dx + dy * dy);
    /* One sample per pixel along the major axis (a DDA): every column (or row) the
     * line crosses gets exactly one brush stamp, both endpoints included. */
    int steps = (int)ceil(fmax(fabs(dx), fabs(dy)));
    for (int i = 0; i <= steps; i++) {
        double t = steps ? (double)i / steps : 0.0;
        if (dash > 0 && fmod(phase + t * length, 2.0 * dash) >= dash) continue;
        brush(canvas, (int)lround(x0 + t * dx), (int)lround(y0 + t * dy), thickness, colour);
    }
    return phase + length;
}

static int glyph_code(char c) {
    int ch = (unsigned char)c;
    return ch < CC_FONT_FIRST || ch > CC_FONT_LAST ? '?' : ch;
}

int cc_canvas_text_width(const char *text, int scale) {
    size_t n = strlen(text);
    if (n == 0 || scale < 1) return 0;
    /* No blank column after the last glyph, so the width is the ink's extent. */
    return (int)n * CC_FONT_ADVANCE * scale - (CC_FONT_ADVANCE - CC_FONT_WIDTH) * scale;
}

int cc_canvas_text_height(int scale) { return scale < 1 ? 0 : CC_FONT_HEIGHT * scale; }

/* Draws `text` with font pixel (u, v) of the string (u along it, v down a glyph) as a
 * scale x scale block; vertical text turns the string 90 degrees counter-clockwise
 * inside its bounding box at (x, y). */
static int draw_text(cc_canvas *canvas, int x, int y, const char *text, int scale, cc_rgb colour,
                     int vertical) {
    int width = cc_canvas_text_width(text, scale);
    if (width == 0) return 0;
    for (int i = 0; text[i]; i++) {
        int ch = glyph_code(text[i]);
        for (int row = 0; row < CC_FONT_HEIGHT; row++)
            for (int col = 0; col < CC_FONT_WIDTH; col++) {
                if (!cc_font_ink(ch, col, row)) continue;
                int u = (i * CC_FONT_ADVANCE + col) * scale, v = row * scale;
                if (vertical)
                    cc_canvas_fill_rect(canvas, x + v, y + width - u - scale, scale, scale, colour);
                else
                    cc_canvas_fill_rect(canvas, x + u, y + v, scale, scale, colour);
            }
    }
    return width;
}

int cc_canvas_text(cc_canvas *canvas, int x, int y, const char *text, int scale, cc_rgb colour) {
    return draw_text(canvas, x, y, text, scale, colour, 0);
}

int cc_canvas_text_vertical(cc_canvas *canvas, int x, int y, const char *text, int scale, cc_rgb colour) {
    return draw_text(canvas, x, y, text, scale, colour, 1);
}

static cc_rgb level_colour(const cc_colormap *cmap, int level) {
    const unsigned char *c = cmap->rgb[level];
    return (cc_rgb){c[0], c[1], c[2]};
}

void cc_canvas_map(cc_canvas *canvas, int x, int y, const float *values, const uint8_t *mask, int H, int W,
                   const cc_png_style *style) {
    const cc_colormap *cmap = style->colormap;
    cc_rgb masked = {cmap->masked[0], cmap->masked[1], cmap->masked[2]};
    int zoom = style->zoom < 1 ? 1 : style->zoom;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            size_t k = (size_t)r * (size_t)W + (size_t)c;
            /* The same rule as png_export.c's palette indices. */
            cc_rgb colour = mask && !mask[k] ? masked
                                             : level_colour(cmap, cc_colormap_level(values[k], style->vmax,
                                                                                    style->scale));
            cc_canvas_fill_rect(canvas, x + c * zoom, y + r * zoom, zoom, zoom, colour);
        }
}

/* The value whose scaled position is half way up the scale: where the bar's middle
 * colour sits (vmax/2 linear, vmax/4 sqrt, expm1(log1p(vmax)/2) log). */
static double scale_midpoint(double vmax, cc_scale scale) {
    switch (scale) {
    case CC_SCALE_LINEAR: return vmax / 2;
    case CC_SCALE_SQRT: return vmax / 4;
    case CC_SCALE_LOG: return expm1(log1p(vmax) / 2);
    }
    return vmax / 2;
}

static void bar_tick(cc_canvas *canvas, int tick_x, int bar_bottom, double value, int scale) {
    char label[32];
    snprintf(label, sizeof label, "%.3g", value);
    cc_canvas_fill_rect(canvas, tick_x, bar_bottom, 1, 2 + 2 * scale, BAR_INK);
    int width = cc_canvas_text_width(label, scale);
    cc_canvas_text(canvas, tick_x - width / 2, bar_bottom + 4 + 2 * scale, label, scale, BAR_INK);
}

void cc_canvas_colour_bar(cc_canvas *canvas, int x, int y, int w, int h, const cc_png_style *style) {
    if (w < 1 || h < 1) return;
    for (int i = 0; i < w; i++) {
        /* Column i shows the level at the middle of its share of the scale. */
        int level = (int)((i + 0.5) * CC_COLORMAP_LEVELS / w);
        if (level > CC_COLORMAP_LEVELS - 1) level = CC_COLORMAP_LEVELS - 1;
        cc_canvas_fill_rect(canvas, x + i, y, 1, h, level_colour(style->colormap, level));
    }
    /* A frame just outside the bar, so that a dark end of the map stays visible on a
     * dark background and a light end on white. */
    cc_canvas_fill_rect(canvas, x - 1, y - 1, w + 2, 1, BAR_INK);
    cc_canvas_fill_rect(canvas, x - 1, y + h, w + 2, 1, BAR_INK);
    cc_canvas_fill_rect(canvas, x - 1, y, 1, h, BAR_INK);
    cc_canvas_fill_rect(canvas, x + w, y, 1, h, BAR_INK);
    int scale = w >= 200 ? 2 : 1;
    bar_tick(canvas, x, y + h + 1, 0.0, scale);
    bar_tick(canvas, x + w / 2, y + h + 1, scale_midpoint(style->vmax, style->scale), scale);
    bar_tick(canvas, x + w - 1, y + h + 1, style->vmax, scale);
}

int cc_canvas_write_png(const cc_canvas *canvas, const char *path, const cc_png_text *texts, int text_count,
                        char *err, size_t err_len) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)canvas->width;
    image.height = (png_uint_32)canvas->height;
    image.format = PNG_FORMAT_RGB;
    return cc_png_write_image(path, &image, canvas->rgb, NULL, texts, text_count, err, err_len);
}
