#include "crawler/byte_source.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>
#include <zlib.h>

struct cc_byte_source {
    gzFile gz;        /* a file, plain or gzip: zlib reads plain files through */
    zip_file_t *zf;   /* or a zip member */
    const char *memory;  /* or bytes in memory (an HTTP response body), borrowed */
    size_t memory_len;
    uint64_t consumed;
    char error[512];
};

cc_byte_source *cc_byte_source_open_file(const char *path, char *err, size_t err_len) {
    cc_byte_source *src = calloc(1, sizeof *src);
    if (!src) {
        snprintf(err, err_len, "%s: out of memory", path);
        return NULL;
    }
    errno = 0;
    src->gz = gzopen(path, "rb");
    if (!src->gz) {
        snprintf(err, err_len, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        free(src);
        return NULL;
    }
    gzbuffer(src->gz, 1 << 18);
    return src;
}

cc_byte_source *cc_byte_source_open_zip_member(void *archive, uint64_t index, char *err,
                                               size_t err_len) {
    cc_byte_source *src = calloc(1, sizeof *src);
    if (!src) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    src->zf = zip_fopen_index((zip_t *)archive, index, 0);
    if (!src->zf) {
        snprintf(err, err_len, "cannot open archive member %llu: %s", (unsigned long long)index,
                 zip_strerror((zip_t *)archive));
        free(src);
        return NULL;
    }
    return src;
}

static long read_gzip(cc_byte_source *src, char *buf, size_t cap) {
    unsigned want = cap > INT_MAX ? INT_MAX : (unsigned)cap;
    int got = gzread(src->gz, buf, want);
    if (got < 0) {
        int code;
        const char *msg = gzerror(src->gz, &code);
        snprintf(src->error, sizeof src->error, "read error: %s",
                 code == Z_ERRNO ? strerror(errno) : msg);
        return -1;
    }
    if (got == 0) {
        /* zlib reports a stream cut off mid-member only through gzerror. */
        int code;
        const char *msg = gzerror(src->gz, &code);
        if (code == Z_BUF_ERROR) {
            snprintf(src->error, sizeof src->error, "truncated gzip stream (%s)", msg);
            return -1;
        }
        if (code != Z_OK) {
            snprintf(src->error, sizeof src->error, "read error: %s", msg);
            return -1;
        }
    }
    src->consumed = (uint64_t)gzoffset(src->gz);
    return got;
}

static long read_zip(cc_byte_source *src, char *buf, size_t cap) {
    zip_int64_t got = zip_fread(src->zf, buf, cap);
    if (got < 0) {
        snprintf(src->error, sizeof src->error, "read error: %s",
                 zip_error_strerror(zip_file_get_error(src->zf)));
        return -1;
    }
    src->consumed += (uint64_t)got;
    return (long)got;
}

cc_byte_source *cc_byte_source_open_memory(const char *data, size_t len) {
    cc_byte_source *src = calloc(1, sizeof *src);
    if (!src) return NULL;
    src->memory = data;
    src->memory_len = len;
    return src;
}

static long read_memory(cc_byte_source *src, char *buf, size_t cap) {
    size_t n = src->memory_len - src->consumed;
    if (n > cap) n = cap;
    memcpy(buf, src->memory + src->consumed, n);
    src->consumed += n;
    return (long)n;
}

long cc_byte_source_read(cc_byte_source *src, char *buf, size_t cap) {
    if (src->gz) return read_gzip(src, buf, cap);
    if (src->zf) return read_zip(src, buf, cap);
    return read_memory(src, buf, cap);
}

uint64_t cc_byte_source_position(const cc_byte_source *src) { return src->consumed; }

const char *cc_byte_source_error(const cc_byte_source *src) { return src->error; }

void cc_byte_source_close(cc_byte_source *src) {
    if (!src) return;
    if (src->gz) gzclose(src->gz);
    if (src->zf) zip_fclose(src->zf);
    free(src);
}

int cc_file_is_zip(const char *path) {
    /* A pipe (`<(zcat ...)`, /dev/stdin) is read once: looking at its first bytes here
     * would lose them for the reader that opens it next (and a zip needs seeking anyway). */
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    return got == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}
