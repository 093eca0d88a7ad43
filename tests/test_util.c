#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */
#include "tests/test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

char *tu_make_temp_dir(void) {
    const char *base = getenv("TMPDIR");
    char *dir = malloc(4096);
    assert_non_null(dir);
    snprintf(dir, 4096, "%s/crimecast-test-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tu_remove_dir(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

char *tu_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/%s", dir, name);
    return path;
}

void tu_write_file(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void tu_write_gzip(const char *path, const char *bytes, size_t len) {
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, bytes, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
}

void tu_write_zip(const char *path, int count, const char *const *names, const char *const *contents) {
    int error = 0;
    zip_t *archive = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &error);
    assert_non_null(archive);
    for (int i = 0; i < count; i++) {
        zip_source_t *src = zip_source_buffer(archive, contents[i], strlen(contents[i]), 0);
        assert_non_null(src);
        assert_true(zip_file_add(archive, names[i], src, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(archive), 0);
}

static sqlite3_stmt *query(sqlite3 **db, const char *db_path, const char *sql) {
    assert_int_equal(sqlite3_open_v2(db_path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(*db, sql, -1, &stmt, NULL) != SQLITE_OK)
        fail_msg("query '%s': %s", sql, sqlite3_errmsg(*db));
    if (sqlite3_step(stmt) != SQLITE_ROW) fail_msg("query '%s' returned no row", sql);
    return stmt;
}

long long tu_query_int(const char *db_path, const char *sql) {
    sqlite3 *db;
    sqlite3_stmt *stmt = query(&db, db_path, sql);
    long long v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

void tu_query_text(const char *db_path, const char *sql, char *out, size_t out_len) {
    sqlite3 *db;
    sqlite3_stmt *stmt = query(&db, db_path, sql);
    const unsigned char *text = sqlite3_column_text(stmt, 0);
    snprintf(out, out_len, "%s", text ? (const char *)text : "<NULL>");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}
