/* A readable stream of bytes: a plain or gzip-compressed file, or one member of a
 * zip archive. The CSV reader reads through it without knowing which.
 *
 * Errors are never silent: a truncated gzip stream or a zip member whose CRC does
 * not match makes read return -1 with the reason in cc_byte_source_error(). */
#ifndef CRIMECAST_CRAWLER_BYTE_SOURCE_H
#define CRIMECAST_CRAWLER_BYTE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cc_byte_source cc_byte_source;

/* Opens a plain or gzip file (gzip recognised by its magic bytes, not its name).
 * Returns NULL with `err` filled when it cannot be opened. */
cc_byte_source *cc_byte_source_open_file(const char *path, char *err, size_t err_len);

/* Opens member `index` of an open libzip archive (`archive` is a zip_t *). */
cc_byte_source *cc_byte_source_open_zip_member(void *archive, uint64_t index, char *err,
                                               size_t err_len);

/* Reads `len` bytes at `data` (borrowed: they must outlive the source). */
cc_byte_source *cc_byte_source_open_memory(const char *data, size_t len);

/* Reads up to `cap` bytes. Returns the count, 0 at a clean end, -1 on error. */
long cc_byte_source_read(cc_byte_source *src, char *buf, size_t cap);

/* Looks at the first bytes without taking them: reads up to `cap` (to the end, if
 * sooner), points *bytes at them (owned by the source) and returns their count, or -1 on
 * error; the next reads return them again, then what follows. Once, before any read (a
 * second call returns what the first read). A pipe can be looked into so, as a second
 * opening of it could not. */
long cc_byte_source_peek(cc_byte_source *src, const char **bytes, size_t cap);

/* Bytes of the underlying file consumed so far (compressed bytes for gzip), for
 * progress reporting. */
uint64_t cc_byte_source_position(const cc_byte_source *src);

/* Why the last read failed. */
const char *cc_byte_source_error(const cc_byte_source *src);

void cc_byte_source_close(cc_byte_source *src);

/* 1 when the file starts as a zip archive does: a local-file header, or (an archive of no
 * member) the end-of-central-directory record. */
int cc_file_is_zip(const char *path);

#endif
