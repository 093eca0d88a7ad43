#include "heatmaps/panels.h"

#include <stdio.h>
#include <stdlib.h>

#include "heatmaps/canvas.h"

enum { MARGIN = 16, GAP = 12, TITLE_SCALE = 2, CAPTION_SCALE = 2, BAR_HEIGHT = 14, BAR_WIDTH = 256 };

static const cc_rgb WHITE = {255, 255, 255}, INK = {30, 30, 30};

int cc_panels_png(const char *path, const cc_panel *panels, int count, const uint8_t *mask, int H, int W,
                  const cc_png_style *style, const char *caption, char *err, size_t err_len) {
    return cc_panels_png_with(path, panels, count, mask, H, W, style, caption, NULL, 0, err, err_len);
}

int cc_panels_png_with(const char *path, const cc_panel *panels, int count, const uint8_t *mask, int H, int W,
                       const cc_png_style *style, const char *caption, const cc_png_text *texts, int text_count,
                       char *err, size_t err_len) {
    int map_w = W * style->zoom, map_h = H * style->zoom, line = cc_canvas_text_height(TITLE_SCALE);
    int slot = map_w; /* each panel's column: its map, or its title where that is wider (a small grid) */
    for (int i = 0; i < count; i++) {
        int tw = cc_canvas_text_width(panels[i].title, TITLE_SCALE);
        if (tw > slot) slot = tw;
    }
    int width = 2 * MARGIN + count * slot + (count - 1) * GAP;
    int caption_w = cc_canvas_text_width(caption, CAPTION_SCALE) + 2 * MARGIN;
    if (caption_w > width) width = caption_w;
    int maps_top = MARGIN + line + 6, strip_top = maps_top + map_h + MARGIN;
    /* Caption line, then the colour bar with its tick labels (about two text lines). */
    int height = strip_top + line + 8 + BAR_HEIGHT + 2 * line + MARGIN;
    cc_canvas canvas;
    if (cc_canvas_init(&canvas, width, height, WHITE) != 0) {
        snprintf(err, err_len, "%s: out of memory for a %d x %d picture", path, width, height);
        return -1;
    }
    int left = (width - count * slot - (count - 1) * GAP) / 2; /* MARGIN, or centred under a wider caption */
    for (int i = 0; i < count; i++) {
        int x = left + i * (slot + GAP);
        int tw = cc_canvas_text_width(panels[i].title, TITLE_SCALE);
        cc_canvas_text(&canvas, x + (slot - tw) / 2, MARGIN, panels[i].title, TITLE_SCALE, INK);
        cc_canvas_map(&canvas, x + (slot - map_w) / 2, maps_top, panels[i].values, mask, H, W, style);
    }
    cc_canvas_text(&canvas, MARGIN, strip_top, caption, CAPTION_SCALE, INK);
    cc_canvas_colour_bar(&canvas, MARGIN, strip_top + line + 8, BAR_WIDTH, BAR_HEIGHT, style);
    cc_png_text *all = malloc(sizeof *all * (size_t)(1 + text_count));
    int status = -1;
    if (all) {
        all[0] = (cc_png_text){"Description", caption};
        for (int i = 0; i < text_count; i++) all[1 + i] = texts[i];
        status = cc_canvas_write_png(&canvas, path, all, 1 + text_count, err, err_len);
    } else {
        snprintf(err, err_len, "%s: out of memory", path);
    }
    free(all);
    cc_canvas_free(&canvas);
    return status;
}
