/* crawler/printable.h */
#include "crawler/printable.h"

#include <stdio.h>

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
