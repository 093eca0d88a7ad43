/* Heatmap PNGs: one map (one time step, one channel) as an 8-bit palette PNG written
 * through libpng's simplified API. Palette entries 0..254 are the colormap, 255 the
 * neutral colour of cells outside the mask. Each cell becomes zoom x zoom pixels.
 * Text chunks (tEXt; iTXt for UTF-8 beyond ASCII) carry what is needed to read the
 * picture: scale, vmin, vmax, colormap, time, category. The file is written under a
 * temporary name and renamed. */
#ifndef CRIMECAST_HEATMAPS_PNG_EXPORT_H
#define CRIMECAST_HEATMAPS_PNG_EXPORT_H

#include <png.h>
#include <stddef.h>
#include <stdint.h>

#include "heatmaps/colormap.h"

typedef struct cc_png_style {
    const cc_colormap *colormap;
    cc_scale scale;
    double vmax;    /* value drawn in the top colour; > 0 */
    int zoom;       /* pixels per cell side, >= 1 */
} cc_png_style;

typedef struct cc_png_text {
    const char *key, *value;
} cc_png_text;

/* Writes the H x W map `values` (row 0 north) to `path`. Returns 0 or -1 with `err`. */
int cc_png_write(const char *path, const float *values, const uint8_t *mask, int height, int width,
                 const cc_png_style *style, const cc_png_text *texts, int text_count, char *err,
                 size_t err_len);

/* Encodes `pixels` as libpng's simplified API describes them in `image` (format, width,
 * height, colormap entries set by the caller; `colormap` NULL unless the format has
 * one) and writes the PNG to `path` with `texts` as text chunks right after IHDR (tEXt,
 * or iTXt for well-formed UTF-8 that is not ASCII, since tEXt is Latin-1), under
 * a temporary name then renamed. Keywords (1-79 characters) are checked before any
 * encoding. Returns 0 or -1 with `err` naming the file. Shared by cc_png_write and the
 * RGB canvas writer, so every PNG crimecast writes is encoded and labelled one way. */
int cc_png_write_image(const char *path, png_image *image, const void *pixels, const void *colormap,
                       const cc_png_text *texts, int text_count, char *err, size_t err_len);

#endif
