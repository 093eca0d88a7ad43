/* host/shell_word.h */
#include "host/shell_word.h"

#include <stdio.h>
#include <string.h>

static const char PLAIN[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-+=:,";

const char *cc_shell_word(const char *text, char *out, size_t len) {
    if (len == 0) return NULL;
    if (text[0] && text[strspn(text, PLAIN)] == 0)
        return (size_t)snprintf(out, len, "%s", text) < len ? out : NULL;
    size_t n = 0;
    out[n++] = '\'';
    for (const char *c = text; *c; c++) {
        size_t need = *c == '\'' ? 4 : 1;
        if (n + need + 2 > len) return NULL;
        if (*c == '\'') memcpy(out + n, "'\\''", 4);
        else out[n] = *c;
        n += need;
    }
    if (n + 2 > len) return NULL;
    out[n++] = '\'', out[n] = 0;
    return out;
}
