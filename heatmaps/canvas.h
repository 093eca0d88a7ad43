/* An RGB drawing surface for the figures crimecast writes (ROC curves, loss curves,
 * importance bars, side-by-side forecast panels): rectangles, lines, text in an
 * embedded bitmap font of our own (heatmaps/font.h), heatmap blits with a colour bar,
 * and an RGB PNG writer (libpng simplified API, tEXt chunks, temp file + rename).
 *
 * Coordinates are pixels, x to the right, y down, (0, 0) the top-left pixel.
 * Everything drawn is clipped to the canvas, so callers never write out of bounds. */
#ifndef CRIMECAST_HEATMAPS_CANVAS_H
#define CRIMECAST_HEATMAPS_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "heatmaps/png_export.h"

typedef struct cc_rgb {
    unsigned char r, g, b;
} cc_rgb;

typedef struct cc_canvas {
    int width, height;
    unsigned char *rgb;     /* [height][width][3] */
} cc_canvas;

/* Allocates a canvas filled with `background`. Returns 0 or -1 (out of memory). */
int cc_canvas_init(cc_canvas *canvas, int width, int height, cc_rgb background);
void cc_canvas_free(cc_canvas *canvas);

void cc_canvas_fill_rect(cc_canvas *canvas, int x, int y, int w, int h, cc_rgb colour);
/* A straight line of the given thickness (pixels, >= 1; drawn with a round brush)
 * between two points in pixel coordinates: integer values address pixel centres,
 * fractional ones round to the nearest pixel. Both endpoints are drawn, and at
 * thickness 1 exactly one pixel per column (or row, for steep lines). dash > 0 draws
 * dashes of that many pixels with gaps of the same length, measured along the line. */
void cc_canvas_line(cc_canvas *canvas, double x0, double y0, double x1, double y1, int thickness, int dash,
                    cc_rgb colour);
/* The same, its dash pattern `phase` pixels along (the length of the segments drawn
 * before it in one path, so that a path of many short segments shows its dashes);
 * returns the phase at its end. */
double cc_canvas_line_from(cc_canvas *canvas, double x0, double y0, double x1, double y1, int thickness, int dash,
                           double phase, cc_rgb colour);

/* Text in the embedded font, each font pixel drawn scale x scale; (x, y) is the top-left
 * corner of the first glyph. '\n' is not interpreted. Characters outside printable
 * ASCII are drawn as '?'. Returns the width drawn, in pixels: cc_canvas_text_width,
 * which has no blank column after the last glyph. Text is CC_FONT_HEIGHT x scale pixels
 * high, descenders included (cc_canvas_text_height). */
int cc_canvas_text(cc_canvas *canvas, int x, int y, const char *text, int scale, cc_rgb colour);
/* The same text rotated 90 degrees counter-clockwise (reads bottom to top), for y-axis
 * labels; (x, y) is the top-left corner of its bounding box. */
int cc_canvas_text_vertical(cc_canvas *canvas, int x, int y, const char *text, int scale, cc_rgb colour);
int cc_canvas_text_width(const char *text, int scale);
int cc_canvas_text_height(int scale);

/* The H x W map `values` (row 0 north) drawn at (x, y), each cell zoom x zoom pixels,
 * coloured as cc_png_write colours it (cells outside the mask in the masked colour). */
void cc_canvas_map(cc_canvas *canvas, int x, int y, const float *values, const uint8_t *mask, int H, int W,
                   const cc_png_style *style);
/* A horizontal colour bar w x h at (x, y) for `style`, framed by a 1-pixel line just
 * outside it, with ticks and labels under it at 0, the value half way along the scale
 * (vmax/2 linear, vmax/4 sqrt, expm1(log1p(vmax)/2) log) and vmax. Labels are drawn at
 * scale 2 when w >= 200, else 1, and take about 14 x scale pixels below the bar. */
void cc_canvas_colour_bar(cc_canvas *canvas, int x, int y, int w, int h, const cc_png_style *style);

/* Writes the canvas as an 8-bit RGB PNG with the given tEXt chunks, under a temporary
 * name then renamed. Returns 0 or -1 with `err` naming the file. */
int cc_canvas_write_png(const cc_canvas *canvas, const char *path, const cc_png_text *texts, int text_count,
                        char *err, size_t err_len);

#endif
