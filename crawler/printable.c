/* crawler/printable.h */
#include "crawler/printable.h"

#include <stdio.h>
#include <string.h>

const char *cc_printable(const char *text, char *out, size_t len, size_t most) {
    size_t n = 0, i = 0;
    if (!len) return out;
    for (; text && text[i] && i < most && n + 5 < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f) out[n++] = (char)c;
        else n += (size_t)snprintf(out + n, len - n, "\\x%02X", c);
    }
    if (text && text[i] && n + 4 <= len) n += (size_t)snprintf(out + n, len - n, "...");
    out[n < len ? n : len - 1] = 0;
    return out;
}

/* The length of the well-formed UTF-8 sequence at c (2-4; Unicode's table 3-7: no
 * overlong form, no surrogate, nothing past U+10FFFF), or 0: JSON is UTF-8, and a strict
 * parser refuses a stray byte. */
static int utf8_sequence(const unsigned char *c) {
    int n = *c >= 0xC2 && *c <= 0xDF ? 2 : *c >= 0xE0 && *c <= 0xEF ? 3 : *c >= 0xF0 && *c <= 0xF4 ? 4 : 0;
    unsigned lo = *c == 0xE0 ? 0xA0 : *c == 0xF0 ? 0x90 : 0x80, hi = *c == 0xED ? 0x9F : *c == 0xF4 ? 0x8F : 0xBF;
    if (n && !(c[1] >= lo && c[1] <= hi)) return 0; /* also the terminating NUL */
    for (int k = 2; k < n; k++)
        if ((c[k] & 0xC0) != 0x80) return 0;
    return n;
}

void cc_print_json_string(FILE *out, const char *text) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        int n = *c >= 0x80 ? utf8_sequence(c) : 1;
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f) fprintf(out, "\\u%04x", *c);
        else if (n == 0) fputs("\\ufffd", out); /* a byte that is not UTF-8: the replacement character */
        else fwrite(c, 1, (size_t)n, out), c += n - 1;
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
