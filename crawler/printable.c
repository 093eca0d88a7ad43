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

/* A character a terminal acts on rather than shows: C0, DEL and C1 (U+0080-U+009F). */
static int is_control(const unsigned char *c, int length) {
    return length == 1 ? *c < 0x20 || *c == 0x7f : length == 2 && *c == 0xC2 && c[1] < 0xA0;
}

/* cc_printable and cc_printable_utf8: non-ASCII text kept or escaped. */
static const char *printable(const char *text, char *out, size_t len, size_t most, int keep_utf8) {
    size_t n = 0, i = 0;
    if (!len) return out;
    while (text && text[i] && i < most && n + 5 < len) {
        const unsigned char *c = (const unsigned char *)text + i;
        int well_formed, k = utf8_unit(c, &well_formed);
        if (keep_utf8 && k > 1 && well_formed && !is_control(c, k)) {
            if (i + (size_t)k > most || n + (size_t)k + 5 >= len) break; /* no half characters */
            memcpy(out + n, c, (size_t)k);
            n += (size_t)k, i += (size_t)k;
        } else if (*c >= 0x20 && *c < 0x7f) {
            out[n++] = (char)*c, i++;
        } else {
            n += (size_t)snprintf(out + n, len - n, "\\x%02X", *c), i++;
        }
    }
    if (text && text[i] && n + 4 <= len) n += (size_t)snprintf(out + n, len - n, "...");
    out[n < len ? n : len - 1] = 0;
    return out;
}

const char *cc_printable(const char *text, char *out, size_t len, size_t most) {
    return printable(text, out, len, most, 0);
}

const char *cc_printable_utf8(const char *text, char *out, size_t len, size_t most) {
    return printable(text, out, len, most, 1);
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
