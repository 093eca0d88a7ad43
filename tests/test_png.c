/* Heatmap PNGs decoded with libpng: size, the palette colour of a known hot cell at
 * its pixels, the masked colour, the colour-level rule, and the text chunks. */
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
#include "heatmaps/map_grid.h"
#include "heatmaps/panels.h"
#include "heatmaps/png_export.h"
#include "tests/test_util.h"

enum { H = 5, W = 7, ZOOM = 3 };

static void pixel(const unsigned char *rgb, int x, int y, unsigned char out[3]) {
    memcpy(out, rgb + ((size_t)y * W * ZOOM + (size_t)x) * 3, 3);
}

static void test_levels_follow_matplotlib_rule(void **state) {
    (void)state;
    /* floor(x * 255) clipped to 254, x = f(v) / f(vmax). */
    assert_int_equal(cc_colormap_level(0, 10, CC_SCALE_LINEAR), 0);
    assert_int_equal(cc_colormap_level(10, 10, CC_SCALE_LINEAR), 254);
    assert_int_equal(cc_colormap_level(20, 10, CC_SCALE_LINEAR), 254);
    assert_int_equal(cc_colormap_level(5, 10, CC_SCALE_LINEAR), 127);   /* 127.5 */
    assert_int_equal(cc_colormap_level(2.5, 10, CC_SCALE_SQRT), 127);   /* sqrt: 0.5 */
    assert_int_equal(cc_colormap_level(-3, 10, CC_SCALE_LINEAR), 0);
    /* log1p(e - 1) / log1p(e^2 - 1) = 1/2 */
    assert_int_equal(cc_colormap_level(1.718281828459045, 6.38905609893065, CC_SCALE_LOG), 127);
    assert_non_null(cc_colormap_find("viridis"));
    assert_null(cc_colormap_find("jet"));
    /* The map grids' (inspect's) rule on [vmin, vmax]; values past vmax, infinite ones
     * among them, take the top level, not an overflowed cast (a crash, found by audit). */
    assert_int_equal(cc_map_grid_level(0.5, 0, 1), 127);
    assert_int_equal(cc_map_grid_level(0, -1, 1), 127);
    assert_int_equal(cc_map_grid_level(1e300, 0, 1), 254);
    assert_int_equal(cc_map_grid_level(INFINITY, 0, 1e-12), 254);
    assert_int_equal(cc_map_grid_level(-INFINITY, 0, 1), 0);
    assert_int_equal(cc_map_grid_level(NAN, 0, 1), 0);
}

/* A PNG's chunks up to the image data, read with libpng's full API (its text, palette). */
typedef struct png_head {
    FILE *f;
    png_structp png;
    png_infop info;
} png_head;

static void read_png_head(const char *path, png_head *h) {
    h->f = fopen(path, "rb");
    assert_non_null(h->f);
    h->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    h->info = png_create_info_struct(h->png);
    if (setjmp(png_jmpbuf(h->png))) fail_msg("libpng could not read %s", path);
    png_init_io(h->png, h->f);
    png_read_info(h->png, h->info);
}

static void close_png_head(png_head *h) {
    png_destroy_read_struct(&h->png, &h->info, NULL);
    fclose(h->f);
}

static void test_png_pixels_and_text(void **state) {
    (void)state;
    float values[H * W] = {0};
    uint8_t mask[H * W];
    memset(mask, 1, sizeof mask);
    values[1 * W + 5] = 12.0f;  /* the hot cell: row 1, column 5 */
    values[3 * W + 2] = 6.0f;   /* half way */
    mask[4 * W + 0] = 0;        /* outside the study area */
    const cc_colormap *cmap = cc_colormap_find("inferno");
    cc_png_style style = {cmap, CC_SCALE_LINEAR, 12.0, ZOOM};
    cc_png_text texts[] = {{"vmin", "0"}, {"vmax", "12"}, {"colormap", "inferno"}, {"time", "2016-03-07"}};
    char *dir = tu_make_temp_dir();
    char *path = tu_path(dir, "map.png");
    char err[512];
    assert_int_equal(cc_png_write(path, values, mask, H, W, &style, texts, 4, err, sizeof err), 0);

    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&image, path));
    assert_int_equal(image.width, W * ZOOM);
    assert_int_equal(image.height, H * ZOOM);
    assert_true(image.format & PNG_FORMAT_FLAG_COLORMAP); /* stored as a palette image */
    image.format = PNG_FORMAT_RGB;
    unsigned char *rgb = malloc(PNG_IMAGE_SIZE(image));
    assert_true(png_image_finish_read(&image, NULL, rgb, 0, NULL));
    unsigned char got[3];
    for (int dy = 0; dy < ZOOM; dy++)
        for (int dx = 0; dx < ZOOM; dx++) {
            pixel(rgb, 5 * ZOOM + dx, 1 * ZOOM + dy, got);
            assert_memory_equal(got, CC_COLORMAP_INFERNO[254], 3);
            pixel(rgb, 0 * ZOOM + dx, 4 * ZOOM + dy, got);
            assert_memory_equal(got, cmap->masked, 3);
        }
    pixel(rgb, 2 * ZOOM, 3 * ZOOM, got);
    assert_memory_equal(got, CC_COLORMAP_INFERNO[127], 3);
    pixel(rgb, 0, 0, got);
    assert_memory_equal(got, CC_COLORMAP_INFERNO[0], 3);
    free(rgb);

    /* The text chunks, read with libpng's full API. */
    png_head head;
    read_png_head(path, &head);
    png_textp text;
    int count = 0;
    png_get_text(head.png, head.info, &text, &count);
    assert_int_equal(count, 4);
    assert_string_equal(text[1].key, "vmax");
    assert_string_equal(text[1].text, "12");
    assert_string_equal(text[3].key, "time");
    assert_string_equal(text[3].text, "2016-03-07");
    int palette_entries = 0;
    png_colorp palette;
    png_get_PLTE(head.png, head.info, &palette, &palette_entries);
    assert_int_equal(palette_entries, 256);
    assert_int_equal(palette[CC_PALETTE_MASKED].red, cmap->masked[0]);
    close_png_head(&head);
    tu_remove_dir(dir);
    free(path);
    free(dir);
}

/* Text that is not ASCII: well-formed UTF-8 goes in iTXt (tEXt is Latin-1, so a viewer
 * showed 'th\xc3\xa9ft' as two Latin-1 characters), ASCII and bytes that are not UTF-8 in
 * tEXt. Read back with libpng, which tells the chunk kinds apart by `compression`. */
static void test_png_utf8_text_is_itxt(void **state) {
    (void)state;
    float values[4] = {0, 1, 2, 3};
    const cc_colormap *cmap = cc_colormap_find("inferno");
    cc_png_style style = {cmap, CC_SCALE_LINEAR, 3.0, 1};
    cc_png_text texts[] = {{"category", "th\xc3\xa9" "ft"}, {"time", "2016-03-07"}, {"note", "caf\xe9"}};
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "utf8.png"), err[512];
    assert_int_equal(cc_png_write(path, values, NULL, 2, 2, &style, texts, 3, err, sizeof err), 0);
    png_head head;
    read_png_head(path, &head);
    png_textp text;
    int count = 0;
    png_get_text(head.png, head.info, &text, &count);
    assert_int_equal(count, 3);
    assert_string_equal(text[0].key, "category");
    assert_int_equal(text[0].compression, PNG_ITXT_COMPRESSION_NONE);
    assert_string_equal(text[0].text, "th\xc3\xa9" "ft");
    assert_int_equal(text[1].compression, PNG_TEXT_COMPRESSION_NONE);
    assert_string_equal(text[1].text, "2016-03-07");
    assert_int_equal(text[2].compression, PNG_TEXT_COMPRESSION_NONE);
    assert_string_equal(text[2].text, "caf\xe9");
    close_png_head(&head);
    tu_remove_dir(dir);
    free(path);
    free(dir);
}

/* Panels of a small grid with long titles: each column is as wide as its title, so the
 * titles neither overlap nor start off the canvas (they did at a report's 16 x 16 maps). */
static void test_panel_titles_fit(void **state) {
    (void)state;
    float values[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t mask[9];
    memset(mask, 1, sizeof mask);
    cc_panel panels[3] = {{"truth: top 5%", values}, {"histavg-52 (h.h5): top 5%", values}, {"kde-1398m: top 5%", values}};
    cc_png_style style = {cc_colormap_find("viridis"), CC_SCALE_LINEAR, 8.0, 2};
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "panels.png"), err[512];
    assert_int_equal(cc_panels_png(path, panels, 3, mask, 3, 3, &style, "c", err, sizeof err), 0);
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&image, path));
    int widest = 0;
    for (int i = 0; i < 3; i++) {
        int tw = cc_canvas_text_width(panels[i].title, 2);
        if (tw > widest) widest = tw;
    }
    if ((int)image.width < 3 * widest) fail_msg("%u pixels wide for three titles of up to %d", image.width, widest);
    png_image_free(&image);
    tu_remove_dir(dir);
    free(path), free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_levels_follow_matplotlib_rule),
                                       cmocka_unit_test(test_png_pixels_and_text),
                                       cmocka_unit_test(test_png_utf8_text_is_itxt),
                                       cmocka_unit_test(test_panel_titles_fit)};
    return cmocka_run_group_tests_name("png", tests, NULL, NULL);
}
