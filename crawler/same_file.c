#define _DEFAULT_SOURCE /* realpath (X/Open), beside the POSIX 2008 the build asks for */
#include "crawler/same_file.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The directory of `path` resolved, and its last part; 0, or -1 (no such directory, or
 * out of memory). The caller frees *dir. */
static int resolved_parts(const char *path, char **dir, char *base, size_t base_len) {
    char *for_dir = strdup(path), *for_base = strdup(path);
    *dir = for_dir ? realpath(dirname(for_dir), NULL) : NULL;
    int ok = *dir && for_base && strlen(basename(for_base)) < base_len;
    if (ok) strcpy(base, basename(for_base)); /* basename may change its argument: a copy each */
    free(for_dir), free(for_base);
    return ok ? 0 : -1;
}

int cc_paths_one_file(const char *a, const char *b) {
    if (!strcmp(a, b)) return 1;
    struct stat sa, sb;
    int a_there = stat(a, &sa) == 0, b_there = stat(b, &sb) == 0;
    if (a_there != b_there) return 0;
    if (a_there) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *dir_a = NULL, *dir_b = NULL, base_a[NAME_MAX + 1], base_b[NAME_MAX + 1];
    int same = resolved_parts(a, &dir_a, base_a, sizeof base_a) == 0 &&
               resolved_parts(b, &dir_b, base_b, sizeof base_b) == 0 && !strcmp(dir_a, dir_b) &&
               !strcmp(base_a, base_b);
    free(dir_a), free(dir_b);
    return same;
}
