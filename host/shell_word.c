/* host/shell_word.h */
#include "host/shell_word.h"

#include <stdio.h>
#include <stdlib.h>
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

char *cc_command_line(int argc, char *const *argv) {
    static const char start[] = "crimecast " CRIMECAST_VERSION;
    size_t most = sizeof start;
    for (int i = 0; i < argc; i++) most += 4 * strlen(argv[i]) + 3; /* every byte a quote, the quotes, a space */
    char *line = malloc(most);
    if (!line) return NULL;
    size_t used = (size_t)snprintf(line, most, "%s", start);
    for (int i = 0; i < argc; i++) {
        line[used++] = ' ';
        used += strlen(cc_shell_word(argv[i], line + used, most - used)); /* fits: room was counted above */
    }
    return line;
}
