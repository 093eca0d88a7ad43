#include "crawler/byte_source.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>
#include <zlib.h>

enum { FILE_BUFFER = 1 << 18 };

struct cc_byte_source {
    FILE *file;          /* a file, plain or gzip (gzip: inflated through `z`) */
    int gzip;            /* the file began with gzip's magic bytes */
    int member_ended;    /* a gzip member ended: the next bytes must begin another, or be the end */
    z_stream z;
    unsigned char *in;   /* the file's bytes read and not yet inflated: z.next_in, z.avail_in */
    zip_file_t *zf;      /* or a zip member */
    const char *memory;  /* or bytes in memory (an HTTP response body), borrowed */
    size_t memory_len;
    uint64_t consumed;   /* bytes of the file (compressed for gzip) taken in so far */
    char *peeked;        /* bytes cc_byte_source_peek read, returned by the next reads first */
    size_t peeked_len, peeked_at;
    char error[512];
};

/* Reads more of the file into `in` until it holds `need` bytes not yet taken, or the file
 * ended; 0, or -1 on a read error. */
static int fill(cc_byte_source *src, uInt need) {
    while (src->z.avail_in < need && !feof(src->file)) {
        memmove(src->in, src->z.next_in, src->z.avail_in); /* the bytes left, to the front */
        src->z.next_in = src->in;
        size_t got = fread(src->in + src->z.avail_in, 1, FILE_BUFFER - src->z.avail_in, src->file);
        if (got == 0 && ferror(src->file)) {
            snprintf(src->error, sizeof src->error, "read error: %s", strerror(errno));
            return -1;
        }
        src->z.avail_in += (uInt)got;
    }
    return 0;
}

/* Whether the input not yet taken begins with gzip's magic bytes (1f 8b): a member. */
static int member_begins(const cc_byte_source *src) {
    return src->z.avail_in >= 2 && src->z.next_in[0] == 0x1f && src->z.next_in[1] == 0x8b;
}

cc_byte_source *cc_byte_source_open_file(const char *path, char *err, size_t err_len) {
    cc_byte_source *src = calloc(1, sizeof *src);
    unsigned char *in = malloc(FILE_BUFFER);
    if (!src || !in) {
        snprintf(err, err_len, "%s: out of memory", path);
        free(src), free(in);
        return NULL;
    }
    src->in = in;
    errno = 0;
    src->file = fopen(path, "rb");
    src->z.next_in = in;
    if (!src->file || fill(src, 2) != 0) {
        snprintf(err, err_len, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        cc_byte_source_close(src);
        return NULL;
    }
    src->gzip = member_begins(src);
    if (src->gzip && inflateInit2(&src->z, 15 + 16) != Z_OK) { /* 16: a gzip header and trailer */
        snprintf(err, err_len, "%s: out of memory for gzip", path);
        src->gzip = 0;
        cc_byte_source_close(src);
        return NULL;
    }
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

static long read_plain(cc_byte_source *src, char *buf, size_t cap) {
    size_t n = src->z.avail_in < cap ? src->z.avail_in : cap;
    memcpy(buf, src->z.next_in, n);
    src->z.next_in += n, src->z.avail_in -= (uInt)n;
    src->consumed += n;
    if (fill(src, 1) != 0) return -1;
    return (long)n;
}

/* After a gzip member's end: another member (gzip files may be concatenated), the file's
 * end, or zeros (padding, which gzip itself passes over). Anything else is refused:
 * zlib's gzread ignored it, and a plain file appended to a compressed one lost its rows
 * without a word. 1: another member begins, 0: the end, -1 with the error. */
static int after_member(cc_byte_source *src) {
    if (fill(src, 2) != 0) return -1;
    if (member_begins(src)) {
        inflateReset(&src->z);
        src->member_ended = 0;
        return 1;
    }
    for (;;) { /* zeros to the end are padding */
        while (src->z.avail_in > 0 && src->z.next_in[0] == 0) src->z.next_in++, src->z.avail_in--, src->consumed++;
        if (src->z.avail_in > 0) break;
        if (fill(src, 1) != 0) return -1;
        if (src->z.avail_in == 0) return 0;
    }
    snprintf(src->error, sizeof src->error, "bytes after the end of the gzip stream, from offset %llu (from 0), are not gzip (another "
             "file appended to a compressed one?): refused, not ignored (decompress it, or compress it whole again)",
             (unsigned long long)src->consumed);
    return -1;
}

static long read_gzip(cc_byte_source *src, char *buf, size_t cap) {
    uInt want = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    src->z.next_out = (Bytef *)buf, src->z.avail_out = want;
    while (src->z.avail_out == want) { /* until some bytes come out, or the end */
        if (src->member_ended) {
            int next = after_member(src);
            if (next <= 0) return next;
        }
        if (fill(src, 1) != 0) return -1;
        if (src->z.avail_in == 0) {
            snprintf(src->error, sizeof src->error, "truncated gzip stream (unexpected end of file)");
            return -1;
        }
        uInt before = src->z.avail_in;
        int rc = inflate(&src->z, Z_NO_FLUSH);
        src->consumed += before - src->z.avail_in;
        if (rc == Z_STREAM_END) src->member_ended = 1;
        else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(src->error, sizeof src->error, "read error: %s", src->z.msg ? src->z.msg : "gzip data error");
            return -1;
        }
    }
    return (long)(want - src->z.avail_out);
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

static long read_underlying(cc_byte_source *src, char *buf, size_t cap) {
    if (src->file) return src->gzip ? read_gzip(src, buf, cap) : read_plain(src, buf, cap);
    if (src->zf) return read_zip(src, buf, cap);
    return read_memory(src, buf, cap);
}

long cc_byte_source_read(cc_byte_source *src, char *buf, size_t cap) {
    if (src->peeked_at < src->peeked_len) {
        size_t n = src->peeked_len - src->peeked_at < cap ? src->peeked_len - src->peeked_at : cap;
        memcpy(buf, src->peeked + src->peeked_at, n);
        src->peeked_at += n;
        return (long)n;
    }
    return read_underlying(src, buf, cap);
}

long cc_byte_source_peek(cc_byte_source *src, const char **bytes, size_t cap) {
    if (src->peeked) { /* once: what a second look would see is what the first saw */
        *bytes = src->peeked;
        return (long)src->peeked_len;
    }
    src->peeked = malloc(cap ? cap : 1);
    if (!src->peeked) {
        snprintf(src->error, sizeof src->error, "out of memory");
        return -1;
    }
    long n = 0;
    while ((size_t)src->peeked_len < cap && (n = read_underlying(src, src->peeked + src->peeked_len,
                                                                  cap - src->peeked_len)) > 0)
        src->peeked_len += (size_t)n;
    *bytes = src->peeked;
    return n < 0 ? -1 : (long)src->peeked_len;
}

uint64_t cc_byte_source_position(const cc_byte_source *src) { return src->consumed; }

const char *cc_byte_source_error(const cc_byte_source *src) { return src->error; }

void cc_byte_source_close(cc_byte_source *src) {
    if (!src) return;
    if (src->gzip) inflateEnd(&src->z);
    if (src->file) fclose(src->file);
    free(src->in);
    if (src->zf) zip_fclose(src->zf);
    free(src->peeked);
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
    /* a member's local header first, or an empty archive's end record alone (read as a
     * CSV, it was "a header matching no layout: 'PK\x05\x06'"; a probe) */
    return got == 4 && magic[0] == 'P' && magic[1] == 'K' && ((magic[2] == 3 && magic[3] == 4) ||
                                                              (magic[2] == 5 && magic[3] == 6));
}
