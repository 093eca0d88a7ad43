/* Figures of many small maps (crimecast inspect): a picture of one or more blocks, each a
 * titled grid of H x W maps sharing one colour scale [vmin, vmax] with its colour bar, so
 * the 64 hidden units of a layer, or the eight input steps of a saliency map, read at a
 * glance and compare by colour.
 *
 * Colours: a block marked diverging is drawn cool-warm (blue below the middle of the
 * scale, light grey at it, red above: Moreland's cool-warm end colours joined linearly
 * in RGB through a light grey), else in matplotlib's viridis. A value v takes level
 * floor((v - vmin) / (vmax - vmin) * 255), clipped to 0..254, as the colour bar's
 * pixel columns do: column i of a bar w wide shows level floor(i * 255 / w). Cells
 * outside the mask are near-white (246), apart from the diverging middle (221).
 *
 * So that a program can read the numbers back off the picture, each block's geometry
 * and scale are written as a tEXt chunk "block<b>" of space-separated key=value pairs:
 *   vmin vmax x y zoom columns pitch_x pitch_y bar_x bar_y bar_w bar_h
 * map k's cell (r, c) is the zoom x zoom square at x + (k % columns) pitch_x + c zoom,
 * y + (k / columns) pitch_y + r zoom; the bar's pixel columns bar_x .. bar_x + bar_w - 1
 * hold the levels. The picture's own title is the tEXt chunk "Title". */
#ifndef CRIMECAST_HEATMAPS_MAP_GRID_H
#define CRIMECAST_HEATMAPS_MAP_GRID_H

#include <stddef.h>
#include <stdint.h>

typedef struct cc_map_block {
    const char *title;
    const float *maps;          /* count maps, each [H][W], row 0 north */
    int count, H, W;
    const char *const *labels;  /* one short label under each map, or NULL */
    int columns;                /* maps per row of the grid; 0: about square */
    double vmin, vmax;          /* the colour scale (vmax > vmin) */
    int diverging;              /* 1: cool-warm (for signed values), 0: viridis */
    const uint8_t *mask;        /* [H][W] cells drawn (others grey), or NULL for all */
} cc_map_block;

/* Writes the blocks, `per_row` side by side (0: all in one row), under `title` to the
 * PNG `path` (temporary name, then renamed). 0, or -1 with err naming the file. */
int cc_map_grid_png(const char *path, const char *title, const cc_map_block *blocks, int count, int per_row,
                    char *err, size_t err_len);

/* The level (0..254) of v on [vmin, vmax], as drawn. */
int cc_map_grid_level(double v, double vmin, double vmax);

#endif
