/* crawler/printable.h */
#include "crawler/printable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many bytes at c form one unit of text: a well-formed UTF-8 sequence (1-4 bytes;
 * Unicode's table 3-7: no overlong form, no surrogate, nothing past U+10FFFF), with
 * *well_formed set; or else the maximal subpart of an ill-formed one (the longest prefix
 * of a well-formed sequence, at least one byte), which Unicode's recommended practice
 * (and Python's decode with errors='replace') turns into one U+FFFD. */
static int utf8_unit(const unsigned char *c, int *well_formed) {
    int n = *c < 0x80 ? 1 : *c >= 0xC2 && *c <= 0xDF ? 2 : *c >= 0xE0 && *c <= 0xEF ? 3 : *c >= 0xF0 && *c <= 0xF4 ? 4 : 0;
    unsigned lo = *c == 0xE0 ? 0xA0 : *c == 0xF0 ? 0x90 : 0x80, hi = *c == 0xED ? 0x9F : *c == 0xF4 ? 0x8F : 0xBF;
    int k = 1;
    if (n > 1 && c[1] >= lo && c[1] <= hi) /* also stops at the terminating NUL */
        for (k = 2; k < n && (c[k] & 0xC0) == 0x80;) k++;
    *well_formed = k == n;
    return k;
}

/* A character a terminal acts on rather than shows: C0, DEL and C1 (U+0080-U+009F); and
 * the bidirectional overrides and isolates (U+202A-202E, U+2066-2069), which would let a
 * crafted name reorder the message it stands in. */
static int is_control(const unsigned char *c, int length) {
    switch (length) {
    case 1: return *c < 0x20 || *c == 0x7f;
    case 2: return *c == 0xC2 && c[1] < 0xA0;
    case 3: return *c == 0xE2 && ((c[1] == 0x80 && c[2] >= 0xAA && c[2] <= 0xAE) ||
                                  (c[1] == 0x81 && c[2] >= 0xA6 && c[2] <= 0xA9));
    default: return 0;
    }
}

/* One piece of the shown text at c: `step` bytes of input shown as `width` bytes (a kept
 * character, an ASCII byte, or \xNN); returns whether the piece is a kept character. */
static int piece(const unsigned char *c, int keep_utf8, size_t *step, size_t *width) {
    int well_formed = 0, k = keep_utf8 ? utf8_unit(c, &well_formed) : 1;
    int kept = k > 1 && well_formed && !is_control(c, k);
    *step = kept ? (size_t)k : 1;
    *width = kept ? *step : *c >= 0x20 && *c < 0x7f ? 1 : 4;
    return kept;
}

/* cc_printable and cc_printable_utf8: non-ASCII text kept or escaped. Text that fits
 * whole is shown whole; else each piece goes in only with room left for "..." after
 * it, so a cut is always marked, and no character or escape is split. */
static const char *printable(const char *text, char *out, size_t len, size_t most, int keep_utf8) {
    size_t n = 0, i = 0, step, width;
    if (!len) return out;
    if (!text) text = "";
    for (; text[i] && i < most && n < len; i += step, n += width)
        piece((const unsigned char *)text + i, keep_utf8, &step, &width);
    size_t room = !text[i] && i <= most && n + 1 <= len ? 1 : 4; /* the NUL alone, or "...\0" */
    for (n = 0, i = 0; text[i] && i < most; n += width, i += step) {
        const unsigned char *c = (const unsigned char *)text + i;
        int kept = piece(c, keep_utf8, &step, &width);
        if (i + step > most || n + width + room > len) break;
        if (kept) memcpy(out + n, c, step);
        else if (width == 1) out[n] = (char)*c;
        else snprintf(out + n, len - n, "\\x%02X", *c);
    }
    if (text[i] && n + 4 <= len) memcpy(out + n, "...", 3), n += 3;
    out[n < len ? n : len - 1] = 0;
    return out;
}

const char *cc_printable(const char *text, char *out, size_t len, size_t most) {
    return printable(text, out, len, most, 0);
}

const char *cc_printable_utf8(const char *text, char *out, size_t len, size_t most) {
    return printable(text, out, len, most, 1);
}

size_t cc_utf8_prefix(const char *text, size_t most) {
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)text; c[n];) {
        int well_formed, k = utf8_unit(c + n, &well_formed);
        if (n + (size_t)k > most) break;
        n += (size_t)k;
    }
    return n;
}

int cc_utf8_well_formed(const char *text) {
    for (const unsigned char *c = (const unsigned char *)text; *c;) {
        int well_formed, k = utf8_unit(c, &well_formed);
        if (!well_formed) return 0;
        c += k;
    }
    return 1;
}

const char *cc_utf8_repaired(const char *text, char **buffer, size_t *capacity, int *repaired) {
    size_t length = 0, bad = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c;) {
        int well_formed, k = utf8_unit(c, &well_formed);
        bad += !well_formed, length += (size_t)k, c += k;
    }
    *repaired = bad > 0;
    if (!bad) return text;
    size_t need = length + 2 * bad + 1; /* each ill-formed unit is at least 1 byte; U+FFFD is 3 */
    if (need > *capacity) {
        char *grown = realloc(*buffer, need);
        if (!grown) return NULL;
        *buffer = grown, *capacity = need;
    }
    char *out = *buffer;
    for (const unsigned char *c = (const unsigned char *)text; *c;) {
        int well_formed, k = utf8_unit(c, &well_formed);
        if (well_formed) memcpy(out, c, (size_t)k), out += k;
        else memcpy(out, "\xEF\xBF\xBD", 3), out += 3;
        c += k;
    }
    *out = 0;
    return *buffer;
}

void cc_print_json_string(FILE *out, const char *text) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c;) {
        int well_formed, k = utf8_unit(c, &well_formed);
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f) fprintf(out, "\\u%04x", *c);
        else if (!well_formed) fputs("\\ufffd", out); /* JSON is UTF-8: a strict parser refuses a stray byte */
        else fwrite(c, 1, (size_t)k, out);
        c += k;
    }
    fputc('"', out);
}

void cc_print_csv_field(FILE *out, const char *text) {
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"') fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}
