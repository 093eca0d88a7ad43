/* Side-by-side forecast panels: several maps of one bin and channel (the truth, model
 * forecasts, an error map) drawn next to each other on ONE colour scale, each under its
 * title, with a caption strip below (time, category, scale) and a colour bar, so a
 * reader compares the maps by eye without reading numbers. */
#ifndef CRIMECAST_HEATMAPS_PANELS_H
#define CRIMECAST_HEATMAPS_PANELS_H

#include <stddef.h>
#include <stdint.h>

#include "heatmaps/png_export.h"

typedef struct cc_panel {
    const char *title;
    const float *values;    /* H x W, row 0 north */
} cc_panel;

/* Writes the panels (all H x W on `mask`, drawn with `style`) to `path`; caption: one
 * line of text for the strip under them, also the PNG's Description text chunk. 0 or -1
 * with `err`. */
int cc_panels_png(const char *path, const cc_panel *panels, int count, const uint8_t *mask, int H, int W,
                  const cc_png_style *style, const char *caption, char *err, size_t err_len);

/* The same, with `texts` as text chunks after the Description (png --legend's are a bare
 * map's: scale, vmax, time, category, ...). */
int cc_panels_png_with(const char *path, const cc_panel *panels, int count, const uint8_t *mask, int H, int W,
                       const cc_png_style *style, const char *caption, const cc_png_text *texts, int text_count,
                       char *err, size_t err_len);

#endif
