/* The embedded bitmap font of crimecast's figures: printable ASCII (32..126), each
 * glyph CC_FONT_WIDTH x CC_FONT_HEIGHT pixels. Rows 0..CC_FONT_ASCENT-1 hold capitals
 * and digits (the baseline lies under row CC_FONT_ASCENT-1); the rows below hold the
 * descenders of g, j, p, q, y and the comma. Text advances CC_FONT_ADVANCE pixels per
 * character, which leaves one blank column between glyphs.
 *
 * The glyphs are our own design, kept in heatmaps/font.c as ASCII art ('#' ink,
 * '.' blank) so that they can be reviewed and edited by eye. */
#ifndef CRIMECAST_HEATMAPS_FONT_H
#define CRIMECAST_HEATMAPS_FONT_H

enum {
    CC_FONT_FIRST = 32,     /* ' ' */
    CC_FONT_LAST = 126,     /* '~' */
    CC_FONT_WIDTH = 5,
    CC_FONT_HEIGHT = 9,
    CC_FONT_ASCENT = 7,
    CC_FONT_ADVANCE = 6
};

/* Row `row` (0 = top) of the glyph of `ch` as a bit mask: bit CC_FONT_WIDTH-1-col is
 * set where column `col` is ink, so the leftmost column is the high bit, as the art
 * reads. Characters outside 32..126 give the glyph of '?'; rows outside the glyph 0. */
unsigned cc_font_row(int ch, int row);

/* Whether pixel (col, row) of the glyph of `ch` is ink (0 outside the glyph). */
int cc_font_ink(int ch, int col, int row);

#endif
