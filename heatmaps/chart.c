#include "heatmaps/chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/font.h"

static const cc_rgb WHITE = {255, 255, 255};
static const cc_rgb INK = {33, 33, 33};          /* text, axes box, ticks */
static const cc_rgb GRID = {228, 228, 228};      /* light enough to stay behind the data */
static const cc_rgb CHANCE = {150, 150, 150};
static const cc_rgb LEGEND_EDGE = {190, 190, 190};

enum { DEFAULT_WIDTH = 800, DEFAULT_HEIGHT = 600, MIN_WIDTH = 160, MIN_HEIGHT = 120, MAX_SIDE = 16384 };
enum { MAX_TICKS = 64, LABEL_LEN = 32 };

cc_rgb cc_chart_colour(int i) {
    /* Okabe & Ito's colour-blind-safe palette, ordered so that the first colours have
     * the most contrast on white; yellow, the weakest on white, comes last. */
    static const cc_rgb PALETTE[] = {{0, 114, 178},   {213, 94, 0},   {0, 158, 115},  {204, 121, 167},
                                     {230, 159, 0},   {86, 180, 233}, {0, 0, 0},      {240, 228, 66}};
    _Static_assert(sizeof PALETTE / sizeof PALETTE[0] == CC_CHART_COLOURS, "the palette's size is public");
    int n = CC_CHART_COLOURS;
    return PALETTE[((i % n) + n) % n];
}

int cc_chart_dash(int i, int scale) {
    static const int DASH[] = {0, 7, 3}; /* in text-scale units: solid, long, short (past the round brush) */
    int round = (i < 0 ? 0 : i / CC_CHART_COLOURS) % (int)(sizeof DASH / sizeof DASH[0]);
    return DASH[round] * scale;
}

/* ---------------------------------------------------------------- axes and ticks */

typedef struct axis_tick {
    double value;       /* in data units */
    int labelled;       /* major tick with a number; minor ticks (log axes) have none */
    char label[LABEL_LEN];
} axis_tick;

typedef struct axis {
    double min, max;
    int log;            /* positions are log10(value) */
    axis_tick ticks[MAX_TICKS];
    int count;
} axis;

/* Smallest of 1, 2, 5 x 10^k that is >= raw. */
static double nice_step(double raw) {
    if (!(raw > 0) || !isfinite(raw)) return 1.0;
    double power = pow(10.0, floor(log10(raw)));
    double mantissa = raw / power;
    double nice = mantissa <= 1.0 + 1e-9 ? 1 : mantissa <= 2.0 + 1e-9 ? 2 : mantissa <= 5.0 + 1e-9 ? 5 : 10;
    return nice * power;
}

static double coarser_step(double step) { return nice_step(step * 1.5); }

static double position(const axis *a, double v) { return a->log ? log10(v) : v; }

/* Fraction of the way along the axis, 0 at min, 1 at max. */
static double fraction(const axis *a, double v) {
    double lo = position(a, a->min), hi = position(a, a->max);
    return (position(a, v) - lo) / (hi - lo);
}

static void format_linear(char *out, double v, double step) {
    int decimals = (int)-floor(log10(step) + 1e-9);
    if (fabs(v) >= 1e6 || decimals > 6)
        snprintf(out, LABEL_LEN, "%g", v);
    else
        snprintf(out, LABEL_LEN, "%.*f", decimals > 0 ? decimals : 0, v);
}

static void add_tick(axis *a, double value, int labelled) {
    if (a->count >= MAX_TICKS) return;
    axis_tick *t = &a->ticks[a->count++];
    t->value = value;
    t->labelled = labelled;
    t->label[0] = 0;
    if (labelled) snprintf(t->label, LABEL_LEN, "%g", value);
}

static void linear_ticks_with_step(axis *a, double step) {
    a->count = 0;
    double first = ceil(a->min / step - 1e-9);
    for (int i = 0; i < MAX_TICKS; i++) {
        double v = (first + i) * step;
        if (v > a->max + step * 1e-9) break;
        if (fabs(v) < step * 1e-9) v = 0.0; /* no "-0.0" */
        add_tick(a, v, 1);
        format_linear(a->ticks[a->count - 1].label, v, step);
    }
}

static int widest_label(const axis *a, int scale) {
    int widest = 0;
    for (int i = 0; i < a->count; i++) {
        int w = cc_canvas_text_width(a->ticks[i].label, scale);
        if (w > widest) widest = w;
    }
    return widest;
}

/* Ticks of a linear axis `pixels` long, at least `gap` pixels apart; on a horizontal
 * axis also far enough apart that neighbouring labels keep a two-character space. */
static void linear_ticks(axis *a, int pixels, int gap, int horizontal, int scale) {
    double span = a->max - a->min;
    int target = pixels / gap < 2 ? 2 : pixels / gap;
    double step = nice_step(span / target);
    while (span / step > MAX_TICKS - 2) step = coarser_step(step);
    for (;;) {
        linear_ticks_with_step(a, step);
        double step_pixels = step / span * pixels;
        int needed = horizontal ? widest_label(a, scale) + 2 * CC_FONT_ADVANCE * scale : gap / 2;
        if (step_pixels >= needed || a->count <= 2) return;
        step = coarser_step(step);
    }
}

/* Decades labelled (every `every`-th one when they crowd), with unlabelled minor ticks
 * at 2..9 x 10^k when there is room; an axis shorter than two decades also labels the
 * 2s and 5s so that it keeps at least two numbers. */
static void log_ticks(axis *a, int pixels, int gap) {
    int first = (int)ceil(log10(a->min) - 1e-9), last = (int)floor(log10(a->max) + 1e-9);
    int decades = last - first + 1, room = pixels / gap < 2 ? 2 : pixels / gap;
    int every = decades > room ? (decades + room - 1) / room : 1;
    int minors = decades <= room / 2 + 1 && decades <= 12;
    a->count = 0;
    for (int d = first - 1; d <= last; d++) {
        double base = pow(10.0, d);
        if (d >= first && d <= last) add_tick(a, base, (d - first) % every == 0);
        for (int m = 2; m <= 9 && minors; m++) {
            double v = m * base;
            if (v < a->min * (1 - 1e-9) || v > a->max * (1 + 1e-9)) continue;
            add_tick(a, v, decades < 2 && (m == 2 || m == 5));
        }
    }
}

/* ---------------------------------------------------------------- ranges */

typedef struct bounds {
    double lo, hi;
    int any;
} bounds;

static void include(bounds *b, double v) {
    if (!isfinite(v)) return;
    if (!b->any || v < b->lo) b->lo = v;
    if (!b->any || v > b->hi) b->hi = v;
    b->any = 1;
}

/* A point is drawn when both coordinates are finite (and y > 0 on a log axis). */
static int plotted(double x, double y, int log_y) { return isfinite(x) && isfinite(y) && (!log_y || y > 0); }

static bounds data_bounds(const cc_series *series, int count, int want_y, int log_y) {
    bounds b = {0, 0, 0};
    for (int s = 0; s < count; s++)
        for (int i = 0; i < series[s].n; i++)
            if (plotted(series[s].x[i], series[s].y[i], log_y)) include(&b, want_y ? series[s].y[i] : series[s].x[i]);
    return b;
}

/* Data bounds widened to whole steps of a roughly 6-tick axis; an empty or flat range
 * is widened first so that the axis never has zero length. */
static void auto_linear(double lo, double hi, int any, double *min, double *max) {
    if (!any) lo = 0, hi = 1;
    if (hi - lo <= fabs(hi) * 1e-12) {
        double half = lo != 0 ? fabs(lo) * 0.1 : 0.5;
        lo -= half, hi += half;
    }
    double step = nice_step((hi - lo) / 6);
    *min = floor(lo / step + 1e-9) * step;
    *max = ceil(hi / step - 1e-9) * step;
}

static void auto_log(double lo, double hi, int any, double *min, double *max) {
    int first = any ? (int)floor(log10(lo) + 1e-9) : 0, last = any ? (int)ceil(log10(hi) - 1e-9) : 1;
    if (last <= first) last = first + 1;
    *min = pow(10.0, first), *max = pow(10.0, last);
}

static void resolve_ranges(const cc_line_chart *chart, const cc_series *series, int count, axis *x, axis *y) {
    memset(x, 0, sizeof *x), memset(y, 0, sizeof *y);
    y->log = chart->log_y != 0;
    x->min = chart->x_min, x->max = chart->x_max;
    if (!(x->min < x->max) || !isfinite(x->min) || !isfinite(x->max)) {
        bounds b = data_bounds(series, count, 0, y->log);
        auto_linear(b.lo, b.hi, b.any, &x->min, &x->max);
    }
    y->min = chart->y_min, y->max = chart->y_max;
    int fixed = y->min < y->max && isfinite(y->min) && isfinite(y->max) && (!y->log || y->min > 0);
    if (!fixed) {
        bounds b = data_bounds(series, count, 1, y->log);
        if (y->log)
            auto_log(b.lo, b.hi, b.any, &y->min, &y->max);
        else
            auto_linear(b.lo, b.hi, b.any, &y->min, &y->max);
    }
}

/* ---------------------------------------------------------------- layout */

/* Everything a render needs: the public layout plus the ticks. */
typedef struct plan {
    cc_line_chart_layout layout;
    axis x, y;
    int title_scale;
} plan;

static double fx(const plan *p, double v) {
    const cc_line_chart_layout *l = &p->layout;
    return l->plot_x + fraction(&p->x, v) * (l->plot_w - 1);
}

static double fy(const plan *p, double v) {
    const cc_line_chart_layout *l = &p->layout;
    return l->plot_y + (l->plot_h - 1) - fraction(&p->y, v) * (l->plot_h - 1);
}

static int has_text(const char *s) { return s && *s; }

static int padding(int scale) { return 6 * scale; }
static int tick_length(int scale) { return 3 * scale; }

/* The largest title scale (at most one above the labels) at which it fits the width. */
static int fit_title_scale(const char *title, int width, int scale) {
    if (!has_text(title)) return scale;
    for (int s = scale + 1; s > 1; s--)
        if (cc_canvas_text_width(title, s) <= width - 2 * padding(scale)) return s;
    return 1;
}

static int legend_entries(const cc_series *series, int count, int scale, int *widest) {
    int entries = 0;
    *widest = 0;
    for (int s = 0; s < count; s++) {
        if (!has_text(series[s].label)) continue;
        int w = cc_canvas_text_width(series[s].label, scale);
        if (w > *widest) *widest = w;
        entries++;
    }
    return entries;
}

static int swatch_length(int scale) { return 12 * scale; }
static int legend_row(int scale) { return cc_canvas_text_height(scale) + 2 * scale; }

/* How much of the data a rectangle would hide: samples along every segment (every
 * few pixels) and along the chance line that fall inside it. */
static int data_under(const plan *p, const cc_series *series, int count, int chance, int rx, int ry, int rw,
                      int rh) {
    int hidden = 0;
    for (int s = 0; s <= count; s++) {
        int is_chance = s == count;
        if (is_chance && !chance) break;
        int n = is_chance ? 2 : series[s].n;
        for (int i = 1; i < n; i++) {
            double x0 = is_chance ? p->x.min : series[s].x[i - 1], x1 = is_chance ? p->x.max : series[s].x[i];
            double y0 = is_chance ? p->x.min : series[s].y[i - 1], y1 = is_chance ? p->x.max : series[s].y[i];
            if (!plotted(x0, y0, p->y.log) || !plotted(x1, y1, p->y.log)) continue;
            double ax = fx(p, x0), ay = fy(p, y0), bx = fx(p, x1), by = fy(p, y1);
            int samples = 1 + (int)(fmin(hypot(bx - ax, by - ay), 4000.0) / 3);
            for (int k = 0; k <= samples; k++) {
                double t = (double)k / samples, qx = ax + t * (bx - ax), qy = ay + t * (by - ay);
                hidden += qx >= rx && qx < rx + rw && qy >= ry && qy < ry + rh;
            }
        }
    }
    return hidden;
}

static void place_legend(plan *p, const cc_series *series, int count, int chance) {
    cc_line_chart_layout *l = &p->layout;
    int scale = l->text_scale, pad = padding(scale), widest = 0;
    int entries = legend_entries(series, count, scale, &widest);
    l->legend_x = l->legend_y = l->legend_w = l->legend_h = 0;
    if (!entries) return;
    l->legend_w = pad + swatch_length(scale) + pad + widest + pad;
    l->legend_h = pad + entries * legend_row(scale) - 2 * scale + pad;
    int left = l->plot_x + pad, right = l->plot_x + l->plot_w - pad - l->legend_w;
    int top = l->plot_y + pad, bottom = l->plot_y + l->plot_h - pad - l->legend_h;
    /* Preference order on ties: top right, bottom right, top left, bottom left. */
    const int corners[4][2] = {{right, top}, {right, bottom}, {left, top}, {left, bottom}};
    int best = 0, best_hidden = -1;
    for (int c = 0; c < 4; c++) {
        int hidden = data_under(p, series, count, chance, corners[c][0], corners[c][1], l->legend_w, l->legend_h);
        if (best_hidden < 0 || hidden < best_hidden) best = c, best_hidden = hidden;
    }
    l->legend_x = corners[best][0], l->legend_y = corners[best][1];
}

static int check_series(const cc_series *series, int count, char *err, size_t err_len) {
    if (count < 0 || (count > 0 && !series)) {
        snprintf(err, err_len, "line chart: bad series list");
        return -1;
    }
    for (int s = 0; s < count; s++)
        if (series[s].n < 0 || (series[s].n > 0 && (!series[s].x || !series[s].y))) {
            snprintf(err, err_len, "line chart: series %d ('%s') has no points array", s,
                     series[s].label ? series[s].label : "");
            return -1;
        }
    return 0;
}

/* Margins follow from the text they hold: the y tick labels decide the left margin,
 * so the y ticks are laid out first, then the x ticks on the width that remains. */
static int plan_chart(const cc_line_chart *chart, const cc_series *series, int count, plan *p, char *err,
                      size_t err_len) {
    memset(p, 0, sizeof *p);
    cc_line_chart_layout *l = &p->layout;
    l->width = chart->width > 0 ? chart->width : DEFAULT_WIDTH;
    l->height = chart->height > 0 ? chart->height : DEFAULT_HEIGHT;
    if (l->width < MIN_WIDTH || l->height < MIN_HEIGHT || l->width > MAX_SIDE || l->height > MAX_SIDE) {
        snprintf(err, err_len, "line chart: size %d x %d outside %d x %d .. %d x %d", l->width, l->height,
                 MIN_WIDTH, MIN_HEIGHT, MAX_SIDE, MAX_SIDE);
        return -1;
    }
    if (check_series(series, count, err, err_len)) return -1;
    int scale = l->text_scale = l->width >= 640 && l->height >= 440 ? 2 : 1;
    int pad = padding(scale), th = cc_canvas_text_height(scale), tick = tick_length(scale);
    p->title_scale = fit_title_scale(chart->title, l->width, scale);
    resolve_ranges(chart, series, count, &p->x, &p->y);

    int top = pad + (has_text(chart->title) ? cc_canvas_text_height(p->title_scale) + pad : th / 2);
    int bottom = tick + 3 * scale + th + (has_text(chart->x_label) ? pad + th : 0) + pad;
    l->plot_y = top, l->plot_h = l->height - top - bottom;
    if (p->y.log)
        log_ticks(&p->y, l->plot_h, 3 * th);
    else
        linear_ticks(&p->y, l->plot_h, 3 * th, 0, scale);

    int left = pad + (has_text(chart->y_label) ? th + pad : 0) + widest_label(&p->y, scale) + tick + 3 * scale;
    int right = 3 * pad;
    l->plot_x = left, l->plot_w = l->width - left - right;
    if (l->plot_w < 40 || l->plot_h < 40) {
        snprintf(err, err_len, "line chart: %d x %d is too small for its labels", l->width, l->height);
        return -1;
    }
    linear_ticks(&p->x, l->plot_w, 6 * CC_FONT_ADVANCE * scale, 1, scale);
    l->x_min = p->x.min, l->x_max = p->x.max, l->y_min = p->y.min, l->y_max = p->y.max;
    place_legend(p, series, count, chart->chance_line);
    return 0;
}

int cc_line_chart_layout_of(const cc_line_chart *chart, const cc_series *series, int series_count,
                            cc_line_chart_layout *layout, char *err, size_t err_len) {
    plan p;
    if (plan_chart(chart, series, series_count, &p, err, err_len)) return -1;
    *layout = p.layout;
    return 0;
}

/* ---------------------------------------------------------------- drawing */

/* Clips the segment to the rectangle [x0, x1] x [y0, y1] (Liang-Barsky). Returns 0
 * when nothing of it is inside. */
static int clip_segment(double *ax, double *ay, double *bx, double *by, double x0, double y0, double x1,
                        double y1) {
    double dx = *bx - *ax, dy = *by - *ay, t0 = 0, t1 = 1;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {*ax - x0, x1 - *ax, *ay - y0, y1 - *ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
            continue;
        }
        double r = q[i] / p[i];
        if (p[i] < 0 && r > t0) t0 = r;
        if (p[i] > 0 && r < t1) t1 = r;
        if (t0 > t1) return 0;
    }
    double sx = *ax, sy = *ay;
    *ax = sx + t0 * dx, *ay = sy + t0 * dy;
    *bx = sx + t1 * dx, *by = sy + t1 * dy;
    return 1;
}

/* Draws the part of a segment inside the plot area, its dashes `phase` along the path;
 * returns the phase after the whole segment (its clipped parts count as drawn). */
static double plot_segment(cc_canvas *canvas, const plan *p, double ax, double ay, double bx, double by,
                           int thickness, int dash, double phase, cc_rgb colour) {
    const cc_line_chart_layout *l = &p->layout;
    double whole = hypot(bx - ax, by - ay), sx = ax, sy = ay;
    if (clip_segment(&ax, &ay, &bx, &by, l->plot_x, l->plot_y, l->plot_x + l->plot_w - 1, l->plot_y + l->plot_h - 1))
        cc_canvas_line_from(canvas, ax, ay, bx, by, thickness, dash, phase + hypot(ax - sx, ay - sy), colour);
    return phase + whole;
}

/* A point with no plotted neighbour gets a dot, so that it does not vanish. */
static int isolated(const cc_series *s, int i, int log_y) {
    int before = i > 0 && plotted(s->x[i - 1], s->y[i - 1], log_y);
    int after = i + 1 < s->n && plotted(s->x[i + 1], s->y[i + 1], log_y);
    return !before && !after;
}

static void draw_series(cc_canvas *canvas, const plan *p, const cc_series *s, cc_rgb colour, int dash) {
    int thickness = p->layout.text_scale + 1, log_y = p->y.log;
    double phase = 0; /* along the whole line, so that many short segments show the dashes */
    for (int i = 0; i < s->n; i++) {
        if (!plotted(s->x[i], s->y[i], log_y)) continue;
        double bx = fx(p, s->x[i]), by = fy(p, s->y[i]);
        if (i > 0 && plotted(s->x[i - 1], s->y[i - 1], log_y))
            phase = plot_segment(canvas, p, fx(p, s->x[i - 1]), fy(p, s->y[i - 1]), bx, by, thickness, dash, phase,
                                 colour);
        else if (isolated(s, i, log_y))
            plot_segment(canvas, p, bx, by, bx, by, thickness + 2, 0, 0, colour);
    }
}

static void draw_grid(cc_canvas *canvas, const plan *p) {
    const cc_line_chart_layout *l = &p->layout;
    for (int i = 0; i < p->x.count; i++)
        if (p->x.ticks[i].labelled)
            cc_canvas_fill_rect(canvas, (int)lround(fx(p, p->x.ticks[i].value)), l->plot_y, 1, l->plot_h, GRID);
    for (int i = 0; i < p->y.count; i++)
        if (p->y.ticks[i].labelled)
            cc_canvas_fill_rect(canvas, l->plot_x, (int)lround(fy(p, p->y.ticks[i].value)), l->plot_w, 1, GRID);
}

/* The axes box just outside the plot area, so that data on the range's edge stays
 * visible. */
static void draw_box(cc_canvas *canvas, int x, int y, int w, int h, cc_rgb colour) {
    cc_canvas_fill_rect(canvas, x - 1, y - 1, w + 2, 1, colour);
    cc_canvas_fill_rect(canvas, x - 1, y + h, w + 2, 1, colour);
    cc_canvas_fill_rect(canvas, x - 1, y, 1, h, colour);
    cc_canvas_fill_rect(canvas, x + w, y, 1, h, colour);
}

static void draw_x_ticks(cc_canvas *canvas, const plan *p) {
    const cc_line_chart_layout *l = &p->layout;
    int scale = l->text_scale, tick = tick_length(scale), below = l->plot_y + l->plot_h + 1;
    for (int i = 0; i < p->x.count; i++) {
        int at = (int)lround(fx(p, p->x.ticks[i].value));
        cc_canvas_fill_rect(canvas, at, below, 1, tick, INK);
        const char *label = p->x.ticks[i].label;
        cc_canvas_text(canvas, at - cc_canvas_text_width(label, scale) / 2, below + tick + 3 * scale, label, scale,
                       INK);
    }
}

/* Labelled ticks and, on a log axis, every decade: the 2..9 between are minor. */
static int is_major(const axis *a, const axis_tick *t) {
    if (t->labelled || !a->log) return 1;
    double decade = log10(t->value);
    return fabs(decade - round(decade)) < 1e-9;
}

static void draw_y_ticks(cc_canvas *canvas, const plan *p) {
    const cc_line_chart_layout *l = &p->layout;
    int scale = l->text_scale, tick = tick_length(scale), minor = (tick + 1) / 2;
    for (int i = 0; i < p->y.count; i++) {
        const axis_tick *t = &p->y.ticks[i];
        int at = (int)lround(fy(p, t->value));
        int length = is_major(&p->y, t) ? tick : minor;
        cc_canvas_fill_rect(canvas, l->plot_x - 1 - length, at, length, 1, INK);
        if (!t->labelled) continue;
        int w = cc_canvas_text_width(t->label, scale);
        /* Centred on the capitals' height: digits have no descenders. */
        cc_canvas_text(canvas, l->plot_x - 1 - tick - 3 * scale - w, at - CC_FONT_ASCENT * scale / 2, t->label, scale,
                       INK);
    }
}

static void draw_titles(cc_canvas *canvas, const cc_line_chart *chart, const plan *p) {
    const cc_line_chart_layout *l = &p->layout;
    int scale = l->text_scale, pad = padding(scale), th = cc_canvas_text_height(scale);
    if (has_text(chart->title)) {
        int w = cc_canvas_text_width(chart->title, p->title_scale), x = l->plot_x + (l->plot_w - w) / 2;
        if (x + w > l->width - pad) x = l->width - pad - w;
        cc_canvas_text(canvas, x < pad ? pad : x, pad, chart->title, p->title_scale, INK);
    }
    if (has_text(chart->x_label)) {
        int w = cc_canvas_text_width(chart->x_label, scale);
        cc_canvas_text(canvas, l->plot_x + (l->plot_w - w) / 2, l->height - pad - th, chart->x_label, scale, INK);
    }
    if (has_text(chart->y_label)) {
        int h = cc_canvas_text_width(chart->y_label, scale);
        cc_canvas_text_vertical(canvas, pad, l->plot_y + (l->plot_h - h) / 2, chart->y_label, scale, INK);
    }
}

static void draw_legend(cc_canvas *canvas, const plan *p, const cc_series *series, int count) {
    const cc_line_chart_layout *l = &p->layout;
    if (!l->legend_w) return;
    int scale = l->text_scale, pad = padding(scale), swatch = swatch_length(scale);
    cc_canvas_fill_rect(canvas, l->legend_x, l->legend_y, l->legend_w, l->legend_h, WHITE);
    draw_box(canvas, l->legend_x + 1, l->legend_y + 1, l->legend_w - 2, l->legend_h - 2, LEGEND_EDGE);
    int row = l->legend_y + pad;
    for (int s = 0; s < count; s++) {
        if (!has_text(series[s].label)) continue;
        cc_rgb colour = cc_chart_colour(s);
        int middle = row + CC_FONT_ASCENT * scale / 2;
        cc_canvas_line(canvas, l->legend_x + pad, middle, l->legend_x + pad + swatch - 1, middle, scale + 1,
                       cc_chart_dash(s, scale), colour);
        cc_canvas_text(canvas, l->legend_x + pad + swatch + pad, row, series[s].label, scale, colour);
        row += legend_row(scale);
    }
}

static void draw_chart(cc_canvas *canvas, const cc_line_chart *chart, const plan *p, const cc_series *series,
                       int count) {
    const cc_line_chart_layout *l = &p->layout;
    draw_grid(canvas, p);
    if (chart->chance_line) {
        /* y = x over the part of the x range that the y range shows. */
        double lo = fmax(p->x.min, p->y.min), hi = fmin(p->x.max, p->y.max);
        if (lo < hi && (!p->y.log || lo > 0))
            plot_segment(canvas, p, fx(p, lo), fy(p, lo), fx(p, hi), fy(p, hi), l->text_scale, 6 * l->text_scale, 0,
                         CHANCE);
    }
    for (int s = 0; s < count; s++)
        draw_series(canvas, p, &series[s], cc_chart_colour(s), cc_chart_dash(s, l->text_scale));
    draw_box(canvas, l->plot_x, l->plot_y, l->plot_w, l->plot_h, INK);
    draw_x_ticks(canvas, p);
    draw_y_ticks(canvas, p);
    draw_titles(canvas, chart, p);
    draw_legend(canvas, p, series, count);
}

int cc_line_chart_render(cc_canvas *canvas, const cc_line_chart *chart, const cc_series *series, int series_count,
                         char *err, size_t err_len) {
    canvas->rgb = NULL, canvas->width = canvas->height = 0;
    plan p;
    if (plan_chart(chart, series, series_count, &p, err, err_len)) return -1;
    if (cc_canvas_init(canvas, p.layout.width, p.layout.height, WHITE)) {
        snprintf(err, err_len, "line chart: out of memory");
        return -1;
    }
    draw_chart(canvas, chart, &p, series, series_count);
    return 0;
}

/* Renders, then writes with the chart's title and the program as PNG text. */
static int write_chart(const char *path, cc_canvas *canvas, const char *title, char *err, size_t err_len) {
    cc_png_text texts[2] = {{"Software", "crimecast " CRIMECAST_VERSION}, {"Title", title}};
    int rc = cc_canvas_write_png(canvas, path, texts, has_text(title) ? 2 : 1, err, err_len);
    cc_canvas_free(canvas);
    return rc;
}

int cc_line_chart_png(const char *path, const cc_line_chart *chart, const cc_series *series, int series_count,
                      char *err, size_t err_len) {
    cc_canvas canvas;
    if (cc_line_chart_render(&canvas, chart, series, series_count, err, err_len)) {
        char reason[400];
        snprintf(reason, sizeof reason, "%s", err);
        snprintf(err, err_len, "%s: %s", path, reason);
        return -1;
    }
    return write_chart(path, &canvas, chart->title, err, err_len);
}

/* ---------------------------------------------------------------- bar charts */

typedef struct bar_plan {
    int width, height, scale, title_scale;
    int label_w;            /* room for the labels left of the bars */
    int plot_x, plot_y, plot_w, plot_h;
    int pitch, bar_h;       /* vertical distance between bars, and a bar's height */
    axis value;
} bar_plan;

static int bar_pitch(int scale) { return cc_canvas_text_height(scale) + 6 * scale; }

/* `label`, shortened with "..." to fit `width` pixels. Every character advances the
 * same distance, so the count that fits follows from the width. */
static void fit_label(char *out, size_t out_len, const char *label, int width, int scale) {
    snprintf(out, out_len, "%s", label ? label : "");
    int advance = CC_FONT_ADVANCE * scale, fits = (width + advance - CC_FONT_WIDTH * scale) / advance;
    size_t n = strlen(out);
    if ((long)n <= fits) return;
    if (fits < 4) {
        out[fits > 0 ? fits : 0] = 0;
        return;
    }
    memcpy(out + fits - 3, "...", 4);
}

/* The values and whiskers with zero always in view (bars start there); all zero gives
 * [0, 1]. */
static void value_range(const double *values, const double *errors, int n, double *min, double *max) {
    bounds b = {0, 0, 1};
    for (int i = 0; i < n; i++) {
        double e = errors && isfinite(errors[i]) ? fabs(errors[i]) : 0;
        include(&b, values[i] - e);
        include(&b, values[i] + e);
    }
    auto_linear(b.lo, b.hi, b.hi > b.lo, min, max);
}

static int plan_bars(const cc_bar_chart *chart, const char *const *labels, const double *values,
                     const double *errors, int n, bar_plan *b, char *err, size_t err_len) {
    memset(b, 0, sizeof *b);
    b->width = chart->width > 0 ? chart->width : DEFAULT_WIDTH;
    if (b->width < MIN_WIDTH || b->width > MAX_SIDE || n < 1 || n > 2000 || !values) {
        snprintf(err, err_len, "bar chart: need 1..2000 bars and a width of %d..%d (got %d bars, width %d)",
                 MIN_WIDTH, MAX_SIDE, n, b->width);
        return -1;
    }
    int scale = b->scale = b->width >= 640 ? 2 : 1;
    int pad = padding(scale), th = cc_canvas_text_height(scale), tick = tick_length(scale);
    b->title_scale = fit_title_scale(chart->title, b->width, scale);
    for (int i = 0; labels && i < n; i++) {
        int w = cc_canvas_text_width(labels[i] ? labels[i] : "", scale);
        if (w > b->label_w) b->label_w = w;
    }
    if (b->label_w > b->width * 2 / 5) b->label_w = b->width * 2 / 5;
    b->pitch = bar_pitch(scale), b->bar_h = th + 2 * scale;
    b->plot_y = pad + (has_text(chart->title) ? cc_canvas_text_height(b->title_scale) + 2 * pad : pad);
    b->plot_h = n * b->pitch;
    b->plot_x = pad + b->label_w + 2 * pad;
    b->plot_w = b->width - b->plot_x - 4 * pad;
    int bottom = tick + 3 * scale + th + (has_text(chart->value_label) ? pad + th : 0) + pad;
    b->height = b->plot_y + b->plot_h + bottom;
    value_range(values, errors, n, &b->value.min, &b->value.max);
    linear_ticks(&b->value, b->plot_w, 6 * CC_FONT_ADVANCE * scale, 1, scale);
    return 0;
}

static double bar_x(const bar_plan *b, double v) { return b->plot_x + fraction(&b->value, v) * (b->plot_w - 1); }

static void draw_whisker(cc_canvas *canvas, const bar_plan *b, double v, double e, int middle) {
    double lo = bar_x(b, v - e), hi = bar_x(b, v + e);
    int cap = b->bar_h / 4, thickness = b->scale;
    cc_canvas_line(canvas, lo, middle, hi, middle, thickness, 0, INK);
    cc_canvas_line(canvas, lo, middle - cap, lo, middle + cap, thickness, 0, INK);
    cc_canvas_line(canvas, hi, middle - cap, hi, middle + cap, thickness, 0, INK);
}

static void draw_bar(cc_canvas *canvas, const bar_plan *b, const char *label, double v, const double *e,
                     int i) {
    int top = b->plot_y + i * b->pitch + (b->pitch - b->bar_h) / 2, middle = top + b->bar_h / 2;
    if (isfinite(v)) {
        int zero = (int)lround(bar_x(b, 0)), end = (int)lround(bar_x(b, v));
        int x = zero < end ? zero : end, w = abs(end - zero) + 1;
        cc_canvas_fill_rect(canvas, x, top, w, b->bar_h, cc_chart_colour(v < 0 ? 1 : 0));
        if (e && isfinite(*e) && *e > 0) draw_whisker(canvas, b, v, *e, middle);
    }
    char text[256];
    fit_label(text, sizeof text, label, b->label_w, b->scale);
    int w = cc_canvas_text_width(text, b->scale);
    cc_canvas_text(canvas, b->plot_x - 2 * padding(b->scale) - w, middle - CC_FONT_ASCENT * b->scale / 2, text,
                   b->scale, INK);
}

static void draw_value_axis(cc_canvas *canvas, const bar_plan *b) {
    int scale = b->scale, tick = tick_length(scale), below = b->plot_y + b->plot_h;
    cc_canvas_fill_rect(canvas, b->plot_x, below, b->plot_w, 1, INK);
    for (int i = 0; i < b->value.count; i++) {
        int at = (int)lround(bar_x(b, b->value.ticks[i].value));
        cc_canvas_fill_rect(canvas, at, below + 1, 1, tick, INK);
        const char *label = b->value.ticks[i].label;
        cc_canvas_text(canvas, at - cc_canvas_text_width(label, scale) / 2, below + 1 + tick + 3 * scale, label,
                       scale, INK);
    }
}

static void draw_bars(cc_canvas *canvas, const cc_bar_chart *chart, const bar_plan *b, const char *const *labels,
                      const double *values, const double *errors, int n) {
    int pad = padding(b->scale), th = cc_canvas_text_height(b->scale);
    for (int i = 0; i < b->value.count; i++)
        cc_canvas_fill_rect(canvas, (int)lround(bar_x(b, b->value.ticks[i].value)), b->plot_y, 1, b->plot_h, GRID);
    for (int i = 0; i < n; i++)
        draw_bar(canvas, b, labels ? labels[i] : NULL, values[i], errors ? &errors[i] : NULL, i);
    /* The zero line goes over the bars' roots, so that positive and negative bars
     * visibly start from it. */
    cc_canvas_fill_rect(canvas, (int)lround(bar_x(b, 0)), b->plot_y, 1, b->plot_h, INK);
    draw_value_axis(canvas, b);
    if (has_text(chart->title)) {
        int w = cc_canvas_text_width(chart->title, b->title_scale), x = (b->width - w) / 2;
        cc_canvas_text(canvas, x < pad ? pad : x, pad, chart->title, b->title_scale, INK);
    }
    if (has_text(chart->value_label)) {
        int w = cc_canvas_text_width(chart->value_label, b->scale);
        cc_canvas_text(canvas, b->plot_x + (b->plot_w - w) / 2, b->height - pad - th, chart->value_label, b->scale,
                       INK);
    }
}

int cc_bar_chart_render(cc_canvas *canvas, const cc_bar_chart *chart, const char *const *labels,
                        const double *values, const double *errors, int n, char *err, size_t err_len) {
    canvas->rgb = NULL, canvas->width = canvas->height = 0;
    bar_plan b;
    if (plan_bars(chart, labels, values, errors, n, &b, err, err_len)) return -1;
    if (b.height > MAX_SIDE || cc_canvas_init(canvas, b.width, b.height, WHITE)) {
        snprintf(err, err_len, "bar chart: cannot allocate %d x %d pixels", b.width, b.height);
        return -1;
    }
    draw_bars(canvas, chart, &b, labels, values, errors, n);
    return 0;
}

int cc_bar_chart_png(const char *path, const cc_bar_chart *chart, const char *const *labels, const double *values,
                     const double *errors, int n, char *err, size_t err_len) {
    cc_canvas canvas;
    if (cc_bar_chart_render(&canvas, chart, labels, values, errors, n, err, err_len)) {
        char reason[400];
        snprintf(reason, sizeof reason, "%s", err);
        snprintf(err, err_len, "%s: %s", path, reason);
        return -1;
    }
    return write_chart(path, &canvas, chart->title, err, err_len);
}
