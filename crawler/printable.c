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

void cc_print_json_string(FILE *out, const char *text) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f) fprintf(out, "\\u%04x", *c);
        else fputc(*c, out);
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
