#include "crawler/json_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* A name given twice in one object anywhere in the tree, or NULL; *no_memory set when
 * an object's names could not be sorted. Sorted, not compared pairwise: a 4 MiB object
 * of short names would take hours so. */
static const char *name_given_twice(const cJSON *item, int *no_memory) {
    size_t names = 0;
    for (const cJSON *child = item->child; child; child = child->next) names += child->string != NULL;
    const char *twice = NULL;
    if (cJSON_IsObject(item) && names > 1) {
        const char **sorted = malloc(sizeof *sorted * names);
        if (!sorted) return *no_memory = 1, NULL;
        size_t n = 0;
        for (const cJSON *child = item->child; child; child = child->next)
            if (child->string) sorted[n++] = child->string;
        qsort(sorted, n, sizeof *sorted, by_name);
        for (size_t i = 1; i < n && !twice; i++)
            if (!strcmp(sorted[i - 1], sorted[i])) twice = sorted[i];
        free(sorted);
    }
    for (const cJSON *child = item->child; child && !twice && !*no_memory; child = child->next)
        twice = name_given_twice(child, no_memory);
    return twice;
}

cJSON *cc_json_file_parse(const char *path, const char *what, char *err, size_t err_len) {
    size_t length = 0;
    char *text = read_bounded(path, what, &length, err, err_len);
    if (!text) return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, &end, 0);
    size_t after = root && end >= text && end <= text + length ? (size_t)(end - text) : length;
    while (root && after < length && strchr(" \t\r\n", text[after]) && text[after]) after++;
    int no_memory = 0;
    const char *twice = root && after == length ? name_given_twice(root, &no_memory) : NULL;
    char quoted[96];
    if (!root) {
        /* The error pointer points into `text` (or is NULL): quote it before freeing. */
        const char *near = cJSON_GetErrorPtr();
        size_t offset = near && near >= text && near <= text + length ? (size_t)(near - text) : length;
        snprintf(err, err_len, "%s: not a valid JSON %s (byte %zu, near '%s')", path, what, offset,
                 cc_printable(text + offset, quoted, sizeof quoted, 20));
    } else if (after < length || twice || no_memory) {
        if (no_memory)
            snprintf(err, err_len, "%s: out of memory reading the JSON %s", path, what);
        else if (twice)
            snprintf(err, err_len, "%s: not a valid JSON %s ('%s' given twice in one object: which one is meant?)",
                     path, what, cc_printable(twice, quoted, sizeof quoted, 40));
        else
            snprintf(err, err_len, "%s: not a valid JSON %s (byte %zu, near '%s': text after its end)", path, what,
                     after, cc_printable(text + after, quoted, sizeof quoted, 20));
        cJSON_Delete(root);
        root = NULL;
    }
    free(text);
    return root;
}
