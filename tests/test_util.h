/* Helpers shared by the cmocka tests: scratch directories and fixture files. */
#ifndef CRIMECAST_TESTS_TEST_UTIL_H
#define CRIMECAST_TESTS_TEST_UTIL_H

#include <stddef.h>

/* Creates a fresh directory under $TMPDIR (or /tmp); returns its path (static storage
 * per call site is the caller's: the result is malloc'ed). */
char *tu_make_temp_dir(void);
/* Removes a directory made by tu_make_temp_dir and everything in it. */
void tu_remove_dir(const char *dir);
/* dir/name, malloc'ed. */
char *tu_path(const char *dir, const char *name);

/* Writes bytes to a file; plain, or gzip-compressed. Fail the test on error. */
void tu_write_file(const char *path, const char *bytes, size_t len);
void tu_write_gzip(const char *path, const char *bytes, size_t len);
/* Writes a zip archive holding `count` members (names[i] with contents[i]). */
void tu_write_zip(const char *path, int count, const char *const *names,
                  const char *const *contents);

/* Runs a query on a SQLite file that yields one integer / text value. */
long long tu_query_int(const char *db_path, const char *sql);
/* Text result copied into out ("<NULL>" for NULL). */
void tu_query_text(const char *db_path, const char *sql, char *out, size_t out_len);

#endif
