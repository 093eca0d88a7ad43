/* The drawing layer: the font's glyphs, text drawn pixel for pixel from them (scaled,
 * rotated, clipped), lines, heatmap blits in cc_png_write's colours, RGB PNGs with
 * text chunks, and line and bar charts whose pixels land where their axes say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/canvas.h"
#include "heatmaps/chart.h"
#include "heatmaps/font.h"
#include "tests/test_util.h"

static const cc_rgb WHITE = {255, 255, 255};
static const cc_rgb RED = {200, 0, 0};

static const unsigned char *at(const cc_canvas *c, int x, int y) {
    return c->rgb + ((size_t)y * (size_t)c->width + (size_t)x) * 3;
}

static int is_colour(const cc_canvas *c, int x, int y, cc_rgb colour) {
    if (x < 0 || y < 0 || x >= c->width || y >= c->height) return 0;
    const unsigned char *p = at(c, x, y);
    return p[0] == colour.r && p[1] == colour.g && p[2] == colour.b;
}

/* Whether `colour` is within `radius` pixels (a square) of (x, y). */
static int colour_near(const cc_canvas *c, int x, int y, int radius, cc_rgb colour) {
    for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++)
            if (is_colour(c, x + dx, y + dy, colour)) return 1;
    return 0;
}

/* Ink of `text` drawn at (0, 0) with `scale`, at pixel (u, v) of its box: computed
 * from the font alone, independently of the canvas code. */
static int expected_ink(const char *text, int scale, int u, int v) {
    if (u < 0 || v < 0) return 0;
    int cell = CC_FONT_ADVANCE * scale, i = u / cell, col = (u % cell) / scale, row = v / scale;
    if (i >= (int)strlen(text)) return 0;
    return cc_font_ink((unsigned char)text[i], col, row);
}

static void init_canvas(cc_canvas *c, int w, int h) { assert_int_equal(cc_canvas_init(c, w, h, WHITE), 0); }

/* ------------------------------------------------------------------ font */

static void test_glyphs_inked_and_distinct(void **state) {
    (void)state;
    for (int row = 0; row < CC_FONT_HEIGHT; row++) assert_int_equal(cc_font_row(' ', row), 0);
    for (int ch = CC_FONT_FIRST + 1; ch <= CC_FONT_LAST; ch++) {
        unsigned any = 0;
        for (int row = 0; row < CC_FONT_HEIGHT; row++) any |= cc_font_row(ch, row);
        if (!any) fail_msg("glyph '%c' has no ink", ch);
        assert_true(any < 1u << CC_FONT_WIDTH);
    }
    for (int a = CC_FONT_FIRST; a <= CC_FONT_LAST; a++)
        for (int b = a + 1; b <= CC_FONT_LAST; b++) {
            int same = 1;
            for (int row = 0; row < CC_FONT_HEIGHT; row++) same &= cc_font_row(a, row) == cc_font_row(b, row);
            if (same) fail_msg("glyphs '%c' and '%c' are identical", a, b);
        }
    /* The art's bit order: leftmost column is the high bit. '-' is a full bar on row 3,
     * '.' the 2 x 2 dot ".##.." on rows 5 and 6, '|' the middle column. */
    assert_int_equal(cc_font_row('-', 3), 0x1F);
    assert_int_equal(cc_font_row('.', 5), 0x0C);
    assert_int_equal(cc_font_row('|', 0), 0x04);
    assert_true(cc_font_ink('|', 2, 0));
    assert_false(cc_font_ink('|', 1, 0));
    assert_false(cc_font_ink('|', 2, CC_FONT_HEIGHT));
    /* Descenders below the baseline, none on capitals. */
    assert_int_not_equal(cc_font_row('g', CC_FONT_ASCENT + 1), 0);
    assert_int_equal(cc_font_row('G', CC_FONT_ASCENT), 0);
    /* Outside printable ASCII: '?'. */
    for (int row = 0; row < CC_FONT_HEIGHT; row++) {
        assert_int_equal(cc_font_row(200, row), cc_font_row('?', row));
        assert_int_equal(cc_font_row('\n', row), cc_font_row('?', row));
    }
}

/* ------------------------------------------------------------------ text */

/* Draws `text` at (x, y) and checks every canvas pixel against the font. */
static void check_text(int width, int height, int x, int y, const char *text, int scale) {
    cc_canvas c;
    init_canvas(&c, width, height);
    int drawn = cc_canvas_text(&c, x, y, text, scale, RED);
    int n = (int)strlen(text);
    assert_int_equal(drawn, (n * CC_FONT_ADVANCE - (CC_FONT_ADVANCE - CC_FONT_WIDTH)) * scale);
    assert_int_equal(drawn, cc_canvas_text_width(text, scale));
    int inked = 0;
    for (int py = 0; py < height; py++)
        for (int px = 0; px < width; px++) {
            int want = expected_ink(text, scale, px - x, py - y);
            if (is_colour(&c, px, py, RED) != want)
                fail_msg("'%s' scale %d at (%d, %d): pixel (%d, %d) should be %s", text, scale, x, y, px, py,
                         want ? "ink" : "background");
            inked += want;
        }
    assert_true(inked > 0);
    cc_canvas_free(&c);
}

static void test_text_draws_exact_glyph_bits(void **state) {
    (void)state;
    check_text(120, 30, 3, 4, "Ab1,g%(x)", 1);
    check_text(200, 40, 5, 2, "ROC 0.5", 2);
    assert_int_equal(cc_canvas_text_height(2), 2 * CC_FONT_HEIGHT);
    /* Clipped at every edge: only the visible part is drawn, nothing wraps. */
    check_text(20, 12, -7, -5, "W@q", 2);
    check_text(20, 12, 9, 4, "M#j", 2);
    /* Bytes outside printable ASCII draw '?'. */
    cc_canvas a, b;
    init_canvas(&a, 20, 12), init_canvas(&b, 20, 12);
    cc_canvas_text(&a, 1, 1, "\xe9", 1, RED);
    cc_canvas_text(&b, 1, 1, "?", 1, RED);
    assert_memory_equal(a.rgb, b.rgb, (size_t)20 * 12 * 3);
    cc_canvas_free(&a), cc_canvas_free(&b);
}

static void test_vertical_text_is_rotated_counter_clockwise(void **state) {
    (void)state;
    const char *text = "Rate 7";
    int scale = 2, w = cc_canvas_text_width(text, scale), h = cc_canvas_text_height(scale);
    cc_canvas c;
    init_canvas(&c, h + 10, w + 10);
    assert_int_equal(cc_canvas_text_vertical(&c, 4, 3, text, scale, RED), w);
    /* Text pixel (u, v) lands at (x + v, y + w - 1 - u): reading bottom to top, the
     * tops of the letters facing left. */
    for (int py = 0; py < c.height; py++)
        for (int px = 0; px < c.width; px++) {
            int u = w - 1 - (py - 3), v = px - 4;
            int want = u >= 0 && u < w && v < h && expected_ink(text, scale, u, v);
            if (is_colour(&c, px, py, RED) != want) fail_msg("vertical text pixel (%d, %d)", px, py);
        }
    cc_canvas_free(&c);
}

/* ------------------------------------------------------------------ lines */

static void test_line_covers_expected_pixels(void **state) {
    (void)state;
    cc_canvas c;
    init_canvas(&c, 60, 60);
    cc_canvas_line(&c, 5, 5, 40, 25, 1, 0, RED);
    assert_true(is_colour(&c, 5, 5, RED));
    assert_true(is_colour(&c, 40, 25, RED));
    assert_true(colour_near(&c, 22, 15, 1, RED)); /* the midpoint (22.5, 15) */
    assert_false(colour_near(&c, 40, 8, 3, RED));
    assert_false(colour_near(&c, 8, 25, 3, RED));
    /* Thickness 1: exactly one pixel per column, within half a pixel of the line. */
    for (int x = 0; x < 60; x++) {
        int count = 0;
        for (int y = 0; y < 60; y++)
            if (is_colour(&c, x, y, RED)) {
                count++;
                assert_true(fabs(y - (5 + (x - 5) * 20.0 / 35)) <= 0.5 + 1e-9);
            }
        assert_int_equal(count, x >= 5 && x <= 40 ? 1 : 0);
    }
    cc_canvas_free(&c);

    /* Thickness 3: three rows, nothing beyond. */
    init_canvas(&c, 60, 60);
    cc_canvas_line(&c, 10, 30, 30, 30, 3, 0, RED);
    for (int y = 27; y <= 33; y++) assert_int_equal(is_colour(&c, 20, y, RED), y >= 29 && y <= 31);
    assert_false(is_colour(&c, 33, 30, RED));
    /* Dashes of 4: on 0..3, off 4..7, on 8..11. */
    cc_canvas_line(&c, 0, 45, 39, 45, 1, 4, RED);
    for (int x = 0; x < 16; x++) assert_int_equal(is_colour(&c, x, 45, RED), x % 8 < 4);
    /* Off the canvas: clipped, no crash, nothing drawn at the far side. */
    cc_canvas_line(&c, -100, 55, 200, 55, 1, 0, RED);
    for (int x = 0; x < 60; x++) assert_true(is_colour(&c, x, 55, RED));
    cc_canvas_fill_rect(&c, 50, 50, 1000, 1000, RED);
    assert_true(is_colour(&c, 59, 59, RED));
    cc_canvas_free(&c);
}

/* ------------------------------------------------------------------ maps and PNG */

static unsigned char *decode_rgb(const char *path, int *width, int *height, png_uint_32 *format) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&image, path));
    *format = image.format;
    *width = (int)image.width, *height = (int)image.height;
    image.format = PNG_FORMAT_RGB;
    unsigned char *rgb = malloc(PNG_IMAGE_SIZE(image));
    assert_non_null(rgb);
    assert_true(png_image_finish_read(&image, NULL, rgb, 0, NULL));
    return rgb;
}

/* The tEXt value of `key` in the PNG at `path` (copied into out; "" when absent). */
static void read_text(const char *path, const char *key, char *out, size_t out_len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng could not read %s", path);
    png_init_io(png, f);
    png_read_info(png, info);
    png_textp text;
    int count = 0;
    png_get_text(png, info, &text, &count);
    out[0] = 0;
    for (int i = 0; i < count; i++)
        if (!strcmp(text[i].key, key)) snprintf(out, out_len, "%s", text[i].text);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
}

enum { MAP_H = 4, MAP_W = 6, ZOOM = 3 };

static void test_map_colours_match_png_export(void **state) {
    (void)state;
    float values[MAP_H * MAP_W];
    uint8_t mask[MAP_H * MAP_W];
    for (int k = 0; k < MAP_H * MAP_W; k++) values[k] = (float)k * 0.7f, mask[k] = k % 5 != 3;
    const cc_colormap *cmap = cc_colormap_find("viridis");
    cc_png_style style = {cmap, CC_SCALE_SQRT, 10.0, ZOOM};
    cc_canvas c;
    init_canvas(&c, MAP_W * ZOOM + 10, MAP_H * ZOOM + 10);
    cc_canvas_map(&c, 5, 7, values, mask, MAP_H, MAP_W, &style);
    for (int r = 0; r < MAP_H; r++)
        for (int col = 0; col < MAP_W; col++) {
            int k = r * MAP_W + col;
            const unsigned char *want =
                mask[k] ? cmap->rgb[cc_colormap_level(values[k], 10.0, CC_SCALE_SQRT)] : cmap->masked;
            for (int d = 0; d < ZOOM * ZOOM; d++)
                assert_memory_equal(at(&c, 5 + col * ZOOM + d % ZOOM, 7 + r * ZOOM + d / ZOOM), want, 3);
        }
    assert_true(is_colour(&c, 4, 7, WHITE));
    assert_true(is_colour(&c, 5, 6, WHITE));

    /* The same map through cc_png_write decodes to the same pixels. */
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "map.png"), err[512];
    assert_int_equal(cc_png_write(path, values, mask, MAP_H, MAP_W, &style, NULL, 0, err, sizeof err), 0);
    int w, h;
    png_uint_32 format;
    unsigned char *rgb = decode_rgb(path, &w, &h, &format);
    assert_int_equal(w, MAP_W * ZOOM);
    for (int y = 0; y < MAP_H * ZOOM; y++)
        assert_memory_equal(rgb + (size_t)y * w * 3, at(&c, 5, 7 + y), (size_t)w * 3);
    free(rgb);
    tu_remove_dir(dir);
    free(path), free(dir);
    cc_canvas_free(&c);
}

static void test_colour_bar_runs_through_the_colormap(void **state) {
    (void)state;
    const cc_colormap *cmap = cc_colormap_find("inferno");
    cc_png_style style = {cmap, CC_SCALE_LINEAR, 40.0, 1};
    cc_canvas c;
    init_canvas(&c, 300, 80);
    cc_canvas_colour_bar(&c, 20, 10, 255, 12, &style);
    for (int i = 0; i < 255; i++) assert_memory_equal(at(&c, 20 + i, 15), cmap->rgb[i], 3);
    /* Tick labels under the bar: ink below it, near its ends and its middle. */
    int ink[3] = {0, 0, 0};
    for (int y = 24; y < 80; y++)
        for (int x = 0; x < 300; x++)
            if (at(&c, x, y)[0] < 100) ink[x < 60 ? 0 : x < 200 ? 1 : 2]++;
    assert_true(ink[0] > 0 && ink[1] > 0 && ink[2] > 0);
    cc_canvas_free(&c);
}

static void test_canvas_png_round_trip_with_text(void **state) {
    (void)state;
    cc_canvas c;
    init_canvas(&c, 37, 23);
    cc_canvas_fill_rect(&c, 3, 4, 10, 5, RED);
    cc_canvas_text(&c, 14, 10, "ok", 1, (cc_rgb){0, 90, 200});
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "canvas.png"), err[512], got[128];
    cc_png_text texts[] = {{"Title", "ROC curves"}, {"city", "chicago"}};
    assert_int_equal(cc_canvas_write_png(&c, path, texts, 2, err, sizeof err), 0);
    int w, h;
    png_uint_32 format;
    unsigned char *rgb = decode_rgb(path, &w, &h, &format);
    assert_int_equal(w, 37);
    assert_int_equal(h, 23);
    assert_int_equal(format, PNG_FORMAT_RGB);
    assert_memory_equal(rgb, c.rgb, (size_t)37 * 23 * 3);
    read_text(path, "Title", got, sizeof got);
    assert_string_equal(got, "ROC curves");
    read_text(path, "city", got, sizeof got);
    assert_string_equal(got, "chicago");
    /* A bad keyword is refused with the file named, and nothing is written. */
    char *bad_path = tu_path(dir, "bad.png");
    cc_png_text bad[] = {{"", "x"}};
    assert_int_equal(cc_canvas_write_png(&c, bad_path, bad, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, bad_path));
    assert_null(fopen(bad_path, "rb"));
    free(rgb);
    tu_remove_dir(dir);
    free(path), free(bad_path), free(dir);
    cc_canvas_free(&c);
}

/* ------------------------------------------------------------------ line charts */

static const double DIAG[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};

static double map_x(const cc_line_chart_layout *l, double x) {
    return l->plot_x + (x - l->x_min) / (l->x_max - l->x_min) * (l->plot_w - 1);
}

static double map_y(const cc_line_chart_layout *l, double y) {
    return l->plot_y + l->plot_h - 1 - (y - l->y_min) / (l->y_max - l->y_min) * (l->plot_h - 1);
}

/* Whether the label's glyph bits, drawn in `colour` at `scale`, appear anywhere with
 * their top-left corner inside the rectangle. */
static int text_found(const cc_canvas *c, const char *label, int scale, cc_rgb colour, int x, int y, int w,
                      int h) {
    int tw = cc_canvas_text_width(label, scale), th = cc_canvas_text_height(scale);
    for (int oy = y; oy < y + h; oy++)
        for (int ox = x; ox < x + w; ox++) {
            int match = 1;
            for (int v = 0; v < th && match; v++)
                for (int u = 0; u < tw && match; u++)
                    if (expected_ink(label, scale, u, v)) match = is_colour(c, ox + u, oy + v, colour);
            if (match) return 1;
        }
    return 0;
}

static void test_line_chart_maps_data_to_pixels(void **state) {
    (void)state;
    cc_series s = {"model", DIAG, DIAG, 11};
    cc_line_chart chart = {"Test", "false positive rate", "true positive rate", 0, 1, 0, 1, 0, 0, 0, 0};
    cc_line_chart_layout l;
    char err[256];
    assert_int_equal(cc_line_chart_layout_of(&chart, &s, 1, &l, err, sizeof err), 0);
    assert_int_equal(l.width, 800);
    assert_int_equal(l.height, 600);
    assert_int_equal(l.text_scale, 2);
    assert_true(l.plot_x > 40 && l.plot_y > 20 && l.plot_x + l.plot_w < 800 && l.plot_y + l.plot_h < 600);
    assert_true(l.plot_w > 500 && l.plot_h > 400);
    cc_canvas c;
    assert_int_equal(cc_line_chart_render(&c, &chart, &s, 1, err, sizeof err), 0);
    assert_int_equal(c.width, 800);
    cc_rgb colour = cc_chart_colour(0);
    for (int i = 1; i < 20; i++) {
        double t = i / 20.0;
        int px = (int)lround(map_x(&l, t)), py = (int)lround(map_y(&l, t));
        if (!colour_near(&c, px, py, 1, colour)) fail_msg("y = x missing at t = %g, pixel (%d, %d)", t, px, py);
        /* Well off the line: untouched by the series. */
        int qx = (int)lround(map_x(&l, t)), qy = (int)lround(map_y(&l, 1 - t));
        int in_legend = qx >= l.legend_x - 3 && qx < l.legend_x + l.legend_w + 3 && qy >= l.legend_y - 3 &&
                        qy < l.legend_y + l.legend_h + 3;
        if (fabs(t - 0.5) > 0.1 && !in_legend) assert_false(colour_near(&c, qx, qy, 3, colour));
    }
    /* The axes box just outside the plot area. */
    assert_false(is_colour(&c, l.plot_x - 1, l.plot_y + l.plot_h / 3, WHITE));
    assert_false(is_colour(&c, l.plot_x + l.plot_w, l.plot_y + l.plot_h / 3, WHITE));
    /* The legend takes the empty bottom-right corner and shows the label's glyphs in
     * the series colour. */
    assert_true(l.legend_w > 0 && l.legend_h > 0);
    assert_true(l.legend_x > l.plot_x + l.plot_w / 2 && l.legend_y > l.plot_y + l.plot_h / 2);
    assert_true(l.legend_x + l.legend_w <= l.plot_x + l.plot_w && l.legend_y + l.legend_h <= l.plot_y + l.plot_h);
    assert_true(text_found(&c, "model", 2, colour, l.legend_x, l.legend_y, l.legend_w, l.legend_h));
    /* ... and the title in the dark text colour somewhere at the top. */
    assert_true(text_found(&c, "Test", 3, (cc_rgb){33, 33, 33}, 0, 0, 800, l.plot_y));
    cc_canvas_free(&c);
}

/* Past the palette's eight colours a series repeats a colour, not a line: the ninth is
 * dashed long, the seventeenth short, the dashes running on across a line of many short
 * segments (an ROC curve's); the first is solid (a probe, 2026-12-07: the ninth ROC
 * curve was the first's twin). */
static void test_line_chart_series_past_the_palette_are_dashed(void **state) {
    (void)state;
    enum { SERIES = 17, POINTS = 121 };
    static double x[POINTS], y[SERIES][POINTS];
    cc_series s[SERIES];
    for (int i = 0; i < POINTS; i++) x[i] = i / (POINTS - 1.0);
    for (int k = 0; k < SERIES; k++) {
        for (int i = 0; i < POINTS; i++) y[k][i] = (k + 1) / (SERIES + 1.0);
        s[k] = (cc_series){k == 0 || k == 8 || k == 16 ? "m" : NULL, x, y[k], POINTS};
    }
    cc_line_chart chart = {"Test", "x", "y", 0, 1, 0, 1, 0, 0, 0, 0};
    cc_line_chart_layout l;
    char err[256];
    assert_int_equal(cc_line_chart_layout_of(&chart, s, SERIES, &l, err, sizeof err), 0);
    cc_canvas c;
    assert_int_equal(cc_line_chart_render(&c, &chart, s, SERIES, err, sizeof err), 0);
    assert_int_equal(cc_chart_dash(0, 2) + cc_chart_dash(7, 2), 0);
    int runs[3] = {0, 0, 0};
    double inked[3];
    for (int round = 0; round < 3; round++) {
        int k = 8 * round, py = (int)lround(map_y(&l, y[k][0])), columns = 0, hits = 0, was = 1;
        assert_true(cc_chart_colour(k).r == cc_chart_colour(0).r && cc_chart_colour(k).b == cc_chart_colour(0).b);
        for (int px = l.plot_x + 2; px < l.plot_x + l.plot_w - 2; px++) {
            if (px >= l.legend_x - 3 && px < l.legend_x + l.legend_w + 3 && py >= l.legend_y - 3 &&
                py < l.legend_y + l.legend_h + 3)
                continue;
            int on = is_colour(&c, px, py, cc_chart_colour(k));
            columns++, hits += on, runs[round] += on && !was, was = on;
        }
        assert_true(columns > 300);
        inked[round] = (double)hits / columns;
    }
    if (!(inked[0] == 1.0 && inked[1] > 0.4 && inked[1] < 0.7 && inked[2] > 0.4 && inked[2] < 0.75))
        fail_msg("inked shares %g %g %g", inked[0], inked[1], inked[2]);
    /* long dashes of 14 pixels, short of 6 (with gaps as long, at text scale 2; the brush widens them) */
    if (!(runs[0] <= 1 && runs[1] > 15 && runs[2] > 2 * runs[1])) fail_msg("runs %d %d %d", runs[0], runs[1], runs[2]);
    cc_canvas_free(&c);
}

static void test_line_chart_breaks_at_nan_and_auto_ranges(void **state) {
    (void)state;
    double x[] = {0.13, 0.3, 0.45, NAN, 0.6, 0.87};
    double y[] = {3, 9, 17, 25, 33, 47};
    cc_series s = {NULL, x, y, 6};
    cc_line_chart chart = {NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0};
    cc_line_chart_layout l;
    char err[256];
    assert_int_equal(cc_line_chart_layout_of(&chart, &s, 1, &l, err, sizeof err), 0);
    /* Rounded out to whole tick steps: 0.2 on x, 10 on y. */
    assert_true(fabs(l.x_min - 0.0) < 1e-12 && fabs(l.x_max - 1.0) < 1e-12);
    assert_true(fabs(l.y_min - 0.0) < 1e-12 && fabs(l.y_max - 50.0) < 1e-12);
    assert_int_equal(l.legend_w, 0); /* no label, no legend */
    cc_canvas c;
    assert_int_equal(cc_line_chart_render(&c, &chart, &s, 1, err, sizeof err), 0);
    cc_rgb colour = cc_chart_colour(0);
    /* Drawn from 0.3 to 0.45 and from 0.6 to 0.87, but not across the NaN. */
    assert_true(colour_near(&c, (int)lround(map_x(&l, 0.375)), (int)lround(map_y(&l, 13)), 1, colour));
    assert_true(colour_near(&c, (int)lround(map_x(&l, 0.735)), (int)lround(map_y(&l, 40)), 1, colour));
    assert_false(colour_near(&c, (int)lround(map_x(&l, 0.525)), (int)lround(map_y(&l, 25)), 4, colour));
    cc_canvas_free(&c);

    /* A log axis auto-ranges to whole decades. */
    double ly[] = {0.003, 0.1, 20, 5, 0.7, 0.02};
    cc_series logs = {"loss", x, ly, 6};
    chart.log_y = 1;
    assert_int_equal(cc_line_chart_layout_of(&chart, &logs, 1, &l, err, sizeof err), 0);
    assert_true(fabs(l.y_min - 1e-3) < 1e-15 && fabs(l.y_max - 100) < 1e-9);
    assert_int_equal(cc_line_chart_render(&c, &chart, &logs, 1, err, sizeof err), 0);
    /* 0.1 is two fifths up a five-decade axis. */
    int py = (int)lround(l.plot_y + l.plot_h - 1 - 0.4 * (l.plot_h - 1));
    assert_true(colour_near(&c, (int)lround(map_x(&l, 0.3)), py, 1, colour));
    cc_canvas_free(&c);

    /* Too small to hold its labels: refused with a reason. */
    chart.width = 50, chart.height = 50;
    assert_int_equal(cc_line_chart_render(&c, &chart, &s, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "50 x 50"));
}

static void test_line_chart_png_decodes(void **state) {
    (void)state;
    double fpr[] = {0, 0.05, 0.1, 0.2, 0.4, 0.7, 1}, tpr[] = {0, 0.3, 0.45, 0.62, 0.8, 0.93, 1};
    cc_series s[] = {{"ConvLSTM (AUC 0.78)", fpr, tpr, 7}, {"chance", DIAG, DIAG, 11}};
    cc_line_chart chart = {"ROC", "FPR", "TPR", 0, 1, 0, 1, 0, 1, 640, 480};
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "roc.png"), err[512], got[128];
    assert_int_equal(cc_line_chart_png(path, &chart, s, 2, err, sizeof err), 0);
    int w, h;
    png_uint_32 format;
    unsigned char *rgb = decode_rgb(path, &w, &h, &format);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    assert_int_equal(format, PNG_FORMAT_RGB);
    read_text(path, "Title", got, sizeof got);
    assert_string_equal(got, "ROC");
    read_text(path, "Software", got, sizeof got);
    assert_non_null(strstr(got, "crimecast"));
    free(rgb);
    /* An unwritable path names itself in the error. */
    char *bad = tu_path(dir, "no/such/dir.png");
    assert_int_equal(cc_line_chart_png(bad, &chart, s, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, bad));
    tu_remove_dir(dir);
    free(path), free(bad), free(dir);
}

/* ------------------------------------------------------------------ bar charts */

/* The longest run of `colour` in each group of consecutive rows that holds it: one
 * entry per bar, top to bottom. Returns the number of bars. */
static int bar_lengths(const cc_canvas *c, cc_rgb colour, int *lengths, int max) {
    int bars = 0, in_bar = 0;
    for (int y = 0; y < c->height; y++) {
        int longest = 0, run = 0;
        for (int x = 0; x < c->width; x++) {
            run = is_colour(c, x, y, colour) ? run + 1 : 0;
            if (run > longest) longest = run;
        }
        if (longest > 0 && !in_bar) {
            assert_true(bars < max);
            lengths[bars++] = 0;
        }
        if (longest > 0 && longest > lengths[bars - 1]) lengths[bars - 1] = longest;
        in_bar = longest > 0;
    }
    return bars;
}

static void test_bar_lengths_are_proportional(void **state) {
    (void)state;
    const char *labels[] = {"lag 1 week", "same week last year", "neighbours", "season"};
    const double values[] = {1, 2, 4, 3}, errors[] = {0.2, 0.1, 0.4, 0.3};
    cc_bar_chart chart = {"Feature importance", "importance", 0};
    cc_canvas c;
    char err[256];
    assert_int_equal(cc_bar_chart_render(&c, &chart, labels, values, errors, 4, err, sizeof err), 0);
    assert_int_equal(c.width, 800);
    int lengths[8];
    assert_int_equal(bar_lengths(&c, cc_chart_colour(0), lengths, 8), 4);
    double unit = lengths[2] / 4.0;
    assert_true(unit > 50);
    for (int i = 0; i < 4; i++)
        if (fabs(lengths[i] - values[i] * unit) > 2) fail_msg("bar %d: %d pixels, want %g", i, lengths[i], values[i] * unit);
    assert_true(text_found(&c, "neighbours", 2, (cc_rgb){33, 33, 33}, 0, 0, c.width / 2, c.height));
    int four_bars = c.height;
    cc_canvas_free(&c);

    /* Height grows with the bar count; negative bars extend left in the second colour,
     * as long as positive ones of the same size. */
    const char *eight[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    const double mixed[] = {-2, 2, 1, 1, 1, 1, 1, 1};
    assert_int_equal(cc_bar_chart_render(&c, &chart, eight, mixed, NULL, 8, err, sizeof err), 0);
    assert_true(c.height > four_bars);
    int negative[2], positive[8];
    assert_int_equal(bar_lengths(&c, cc_chart_colour(1), negative, 2), 1);
    assert_int_equal(bar_lengths(&c, cc_chart_colour(0), positive, 8), 7);
    assert_true(abs(negative[0] - positive[0]) <= 2);
    assert_true(abs(positive[0] - 2 * positive[1]) <= 2);
    cc_canvas_free(&c);

    assert_int_equal(cc_bar_chart_render(&c, &chart, eight, mixed, NULL, 0, err, sizeof err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glyphs_inked_and_distinct),
        cmocka_unit_test(test_text_draws_exact_glyph_bits),
        cmocka_unit_test(test_vertical_text_is_rotated_counter_clockwise),
        cmocka_unit_test(test_line_covers_expected_pixels),
        cmocka_unit_test(test_map_colours_match_png_export),
        cmocka_unit_test(test_colour_bar_runs_through_the_colormap),
        cmocka_unit_test(test_canvas_png_round_trip_with_text),
        cmocka_unit_test(test_line_chart_maps_data_to_pixels),
        cmocka_unit_test(test_line_chart_series_past_the_palette_are_dashed),
        cmocka_unit_test(test_line_chart_breaks_at_nan_and_auto_ranges),
        cmocka_unit_test(test_line_chart_png_decodes),
        cmocka_unit_test(test_bar_lengths_are_proportional),
    };
    return cmocka_run_group_tests_name("chart", tests, NULL, NULL);
}
