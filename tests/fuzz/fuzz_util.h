/* What the fuzz targets share: reading a fuzzer's input as a stream of small decisions,
 * a private scratch folder for the files a target writes, and a check that aborts
 * (so libFuzzer keeps the input) when a parser breaks one of its promises. */
#ifndef CRIMECAST_FUZZ_UTIL_H
#define CRIMECAST_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The input, consumed from the front; past its end every take returns 0. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size, pos;
} fuzz_input;

uint8_t fuzz_u8(fuzz_input *in);
uint16_t fuzz_u16(fuzz_input *in);
uint32_t fuzz_u32(fuzz_input *in);
/* Up to n bytes (fewer at the end of the input) copied into out; returns how many. */
size_t fuzz_bytes(fuzz_input *in, void *out, size_t n);
size_t fuzz_left(const fuzz_input *in);

/* "<scratch>/<name>", the scratch folder made once per process (removed at exit). */
const char *fuzz_path(const char *name);
/* Writes bytes to path (whole, replacing it); aborts when it cannot. */
void fuzz_write_file(const char *path, const void *data, size_t size);

/* A promise of the code under test broken: prints it and aborts. */
#define FUZZ_CHECK(cond, ...) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))
_Noreturn void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An error message must say what was refused: non-empty, naming `path` when given, and
 * printable (no raw control bytes from the input). */
void fuzz_check_message(const char *err, const char *path);

#endif
