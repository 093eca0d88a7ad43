#include "crawler/json_file.h"

#include <stdio.h>
#include <stdlib.h>

#include "crawler/printable.h"

/* The file's bytes, NUL-terminated, with their count; NULL with `err`. */
static char *read_bounded(const char *path, const char *what, size_t *length, char *err, size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open %s", path, what);
        return NULL;
    }
    char *text = malloc((size_t)CC_JSON_FILE_MOST_BYTES + 2);
    size_t n = text ? fread(text, 1, (size_t)CC_JSON_FILE_MOST_BYTES + 1, f) : 0;
    int failed = !text || ferror(f);
    fclose(f);
    if (failed)
        snprintf(err, err_len, "%s: cannot read %s", path, what);
    else if (n > (size_t)CC_JSON_FILE_MOST_BYTES)
        snprintf(err, err_len, "%s: larger than %d MiB, not a %s", path, CC_JSON_FILE_MOST_BYTES >> 20, what);
    if (failed || n > (size_t)CC_JSON_FILE_MOST_BYTES) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *length = n;
    return text;
}

cJSON *cc_json_file_parse(const char *path, const char *what, char *err, size_t err_len) {
    size_t length = 0;
    char *text = read_bounded(path, what, &length, err, err_len);
    if (!text) return NULL;
    cJSON *root = cJSON_ParseWithLength(text, length);
    if (!root) {
        /* The error pointer points into `text` (or is NULL): quote it before freeing. */
        const char *near = cJSON_GetErrorPtr();
        size_t offset = near && near >= text && near <= text + length ? (size_t)(near - text) : length;
        char quoted[96];
        snprintf(err, err_len, "%s: not a valid JSON %s (byte %zu, near '%s')", path, what, offset,
                 cc_printable(text + offset, quoted, sizeof quoted, 20));
    }
    free(text);
    return root;
}
