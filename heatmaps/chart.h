/* Charts as PNG files, drawn on a cc_canvas: line charts (ROC curves, training and
 * validation loss per epoch) and horizontal bar charts (feature importance). Axes carry
 * tick marks with numeric labels and a title each; a legend names every series in its
 * colour; everything is legible at the default size. */
#ifndef CRIMECAST_HEATMAPS_CHART_H
#define CRIMECAST_HEATMAPS_CHART_H

#include <stddef.h>

#include "heatmaps/canvas.h"

/* One line: n points (x[i], y[i]) joined in order. Points with a non-finite coordinate
 * break the line. */
typedef struct cc_series {
    const char *label;
    const double *x, *y;
    int n;
} cc_series;

typedef struct cc_line_chart {
    const char *title, *x_label, *y_label;
    /* Axis ranges; when min >= max the range is taken from the data (padded and rounded
     * to tick steps). */
    double x_min, x_max, y_min, y_max;
    int log_y;          /* logarithmic y axis (all plotted y must be > 0) */
    int chance_line;    /* a dashed grey y = x diagonal (ROC charts) */
    int width, height;  /* pixels; 0 picks 800 x 600 */
} cc_line_chart;

/* The i-th colour of the series palette (distinct, colour-blind-friendly, cycles). */
cc_rgb cc_chart_colour(int i);
enum { CC_CHART_COLOURS = 8 };
/* The i-th series' dash length in pixels at text scale `scale`: 0 (solid) for the
 * palette's first round, long dashes for its second, short ones for its third, and so
 * on again: the ninth series has the first one's colour, not its line. */
int cc_chart_dash(int i, int scale);

/* Where a line chart's parts go, in pixels, and the axis ranges it uses. */
typedef struct cc_line_chart_layout {
    int width, height;      /* the whole image */
    int text_scale;         /* font pixels per glyph pixel for labels: 2 at 800 x 600 */
    /* The plot area inside the axes box. x_min maps to column plot_x and x_max to
     * plot_x + plot_w - 1; y_min to row plot_y + plot_h - 1 and y_max to row plot_y,
     * linearly in y or, on a log axis, in log10(y). */
    int plot_x, plot_y, plot_w, plot_h;
    double x_min, x_max, y_min, y_max;  /* after auto-ranging */
    /* The legend box inside the plot area (w = h = 0 when no series has a label); it
     * takes the corner that hides the fewest data. */
    int legend_x, legend_y, legend_w, legend_h;
} cc_line_chart_layout;

/* The layout of `chart` drawn for `series`. Returns 0 or -1 with `err` (bad size or
 * arguments). */
int cc_line_chart_layout_of(const cc_line_chart *chart, const cc_series *series, int series_count,
                            cc_line_chart_layout *layout, char *err, size_t err_len);

/* Draws the chart of `series` on a new canvas (layout->width x layout->height) that
 * the caller frees with cc_canvas_free. Returns 0 or -1 with `err`. */
int cc_line_chart_render(cc_canvas *canvas, const cc_line_chart *chart, const cc_series *series, int series_count,
                         char *err, size_t err_len);

/* Writes the chart of `series` to `path` (PNG, with tEXt "Title" and "Software").
 * Returns 0 or -1 with `err`. */
int cc_line_chart_png(const char *path, const cc_line_chart *chart, const cc_series *series, int series_count,
                      char *err, size_t err_len);

typedef struct cc_bar_chart {
    const char *title, *value_label;
    int width;          /* pixels; 0 picks 800; the height follows from the bar count */
} cc_bar_chart;

/* Horizontal bars, one per label, in the order given (top to bottom), from 0 to
 * values[i] (negative values extend left of the zero line; a non-finite value draws no
 * bar); errors (NULL or n entries, >= 0) draw a whisker of +- errors[i]. Labels too
 * wide for 40% of the image are shortened with "...". The PNG carries tEXt "Title" and
 * "Software". Returns 0 or -1 with `err`. */
int cc_bar_chart_png(const char *path, const cc_bar_chart *chart, const char *const *labels, const double *values,
                     const double *errors, int n, char *err, size_t err_len);

/* The same chart drawn on a new canvas that the caller frees with cc_canvas_free.
 * Positive bars take cc_chart_colour(0), negative ones cc_chart_colour(1). Returns 0
 * or -1 with `err`. */
int cc_bar_chart_render(cc_canvas *canvas, const cc_bar_chart *chart, const char *const *labels,
                        const double *values, const double *errors, int n, char *err, size_t err_len);

#endif
