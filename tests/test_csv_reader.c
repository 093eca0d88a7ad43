/* The CSV reader against hand-written inputs: quoting, line ends, BOM, blank lines,
 * records spanning read buffers, truncated gzip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "crawler/csv_reader.h"
#include "tests/test_util.h"

typedef struct fixture {
    char *dir, *path;
    cc_byte_source *src;
    cc_csv_reader *reader;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_make_temp_dir();
    f->path = tu_path(f->dir, "input.csv");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    cc_csv_close(f->reader);
    cc_byte_source_close(f->src);
    tu_remove_dir(f->dir);
    free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

static void open_text(fixture *f, const char *text, size_t len, int gzip) {
    if (gzip)
        tu_write_gzip(f->path, text, len);
    else
        tu_write_file(f->path, text, len);
    char err[256];
    f->src = cc_byte_source_open_file(f->path, err, sizeof err);
    assert_non_null(f->src);
    f->reader = cc_csv_open(f->src);
    assert_non_null(f->reader);
}

static void expect_row(fixture *f, long line, int count, const char *const *fields) {
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.line, line);
    assert_int_equal(row.field_count, count);
    for (int i = 0; i < count; i++) {
        assert_string_equal(row.fields[i], fields[i]);
        assert_int_equal(row.lengths[i], strlen(fields[i]));
    }
    assert_false(row.unterminated_quote);
    assert_false(row.unended);
}

static void expect_end(fixture *f) {
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 0);
    assert_int_equal(cc_csv_next(f->reader, &row), 0);
}

static void test_bom_and_crlf(void **state) {
    fixture *f = *state;
    const char text[] = "\xEF\xBB\xBFID,Date\r\n1,01/02/2015\r\n2,03/04/2016\r\n";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 2, (const char *[]){"ID", "Date"});
    expect_row(f, 2, 2, (const char *[]){"1", "01/02/2015"});
    expect_row(f, 3, 2, (const char *[]){"2", "03/04/2016"});
    expect_end(f);
}

static void test_quoted_fields(void **state) {
    fixture *f = *state;
    const char text[] = "a,\"hello, world\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
                        "next,\"\",,\"x\r\ny\"\r\n"
                        "last,row\n";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 4, (const char *[]){"a", "hello, world", "say \"hi\"", "two\nlines"});
    expect_row(f, 3, 4, (const char *[]){"next", "", "", "x\r\ny"});
    expect_row(f, 5, 2, (const char *[]){"last", "row"});
    expect_end(f);
}

static void test_empty_fields_and_no_final_newline(void **state) {
    fixture *f = *state;
    const char text[] = ",,\na,\n,b\nend";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 3, (const char *[]){"", "", ""});
    expect_row(f, 2, 2, (const char *[]){"a", ""});
    expect_row(f, 3, 2, (const char *[]){"", "b"});
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.line, 4);
    assert_string_equal(row.fields[0], "end");
    assert_true(row.unended); /* the input stopped inside it: a file cut short ends so */
    expect_end(f);
}

static void test_blank_lines_and_lone_cr(void **state) {
    fixture *f = *state;
    const char text[] = "a,b\n\n\r\n1,2\r3,4\r\r5,6\n\n";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 2, (const char *[]){"a", "b"});
    expect_row(f, 4, 2, (const char *[]){"1", "2"});
    expect_row(f, 5, 2, (const char *[]){"3", "4"});
    expect_row(f, 7, 2, (const char *[]){"5", "6"});
    expect_end(f);
}

static void test_lenient_quotes_like_python(void **state) {
    fixture *f = *state;
    /* Python's csv (non-strict) reads these as ['abc', 'd'] and ['x"y', 'z']. */
    const char text[] = "\"ab\"c,d\nx\"y,z\n";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 2, (const char *[]){"abc", "d"});
    expect_row(f, 2, 2, (const char *[]){"x\"y", "z"});
    expect_end(f);
}

static void test_unterminated_quote_is_flagged(void **state) {
    fixture *f = *state;
    const char text[] = "a,b\n1,\"never closed\n2,3\n";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 2, (const char *[]){"a", "b"});
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.line, 2);
    assert_true(row.unterminated_quote);
    assert_int_equal(row.field_count, 2);
    assert_string_equal(row.fields[1], "never closed\n2,3\n");
    expect_end(f);
}

/* A quote opened by mistake swallows the lines up to the next quote into one record: the
 * record says where it ends, for a message naming the span. A quote left open at the end
 * of a file that ends with a line end is no file cut short. */
static void test_record_lines_and_open_quote_at_a_line_end(void **state) {
    fixture *f = *state;
    const char text[] = "a,b\n1,\"stray\n2,3\n4,5\"\n6,\"open\n";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 2, (const char *[]){"a", "b"});
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.line, 2);
    assert_int_equal(row.last_line, 4);
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.line, 5);
    assert_true(row.unterminated_quote);
    assert_false(row.unended);
    expect_end(f);
}

/* Blanks or DOS's Ctrl-Z after the last line end: no record, cut short or not. */
static void test_blank_tail_is_no_record(void **state) {
    fixture *f = *state;
    const char text[] = "a,b\n1,2\n  \t\x1a";
    open_text(f, text, sizeof text - 1, 0);
    expect_row(f, 1, 2, (const char *[]){"a", "b"});
    expect_row(f, 2, 2, (const char *[]){"1", "2"});
    expect_end(f);
}

static void test_records_spanning_read_buffers(void **state) {
    fixture *f = *state;
    /* A 3 MiB quoted field crosses several 1 MiB reads and grows the row buffer. */
    size_t big = 3u << 20;
    size_t len = big + 64;
    char *text = malloc(len);
    size_t n = (size_t)sprintf(text, "id,body\n7,\"");
    for (size_t i = 0; i < big; i++) text[n++] = (char)('a' + i % 26);
    n += (size_t)sprintf(text + n, "\"\n8,short\n");
    open_text(f, text, n, 1);
    expect_row(f, 1, 2, (const char *[]){"id", "body"});
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.lengths[1], big);
    assert_int_equal(row.fields[1][big - 1], 'a' + (big - 1) % 26);
    expect_row(f, 3, 2, (const char *[]){"8", "short"});
    expect_end(f);
    free(text);
}

/* A quoted CRLF whose CR is the last byte of a 1 MiB read and whose LF is the first of
 * the next is one line end (it counted two: every later line number one too many). */
static void test_quoted_crlf_across_reads(void **state) {
    fixture *f = *state;
    size_t chunk = 1u << 20, len = chunk + 64;
    char *text = malloc(len);
    size_t n = (size_t)sprintf(text, "a,b\n1,\"");
    while (n < chunk - 1) text[n++] = 'z';
    text[n++] = '\r', text[n++] = '\n'; /* bytes chunk - 1 and chunk */
    n += (size_t)sprintf(text + n, "end\"\n2,after\n");
    open_text(f, text, n, 0);
    free(text);
    expect_row(f, 1, 2, (const char *[]){"a", "b"});
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_int_equal(row.line, 2);
    expect_row(f, 4, 2, (const char *[]){"2", "after"});
    expect_end(f);
}

static void test_truncated_gzip_is_an_error(void **state) {
    fixture *f = *state;
    char *text = malloc(200000);
    size_t n = 0;
    for (int i = 0; i < 10000; i++) n += (size_t)sprintf(text + n, "%d,row %d\n", i, i);
    tu_write_gzip(f->path, text, n);
    free(text);
    FILE *file = fopen(f->path, "r+b");
    assert_non_null(file);
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fclose(file);
    assert_int_equal(truncate(f->path, size / 2), 0);
    char err[256];
    f->src = cc_byte_source_open_file(f->path, err, sizeof err);
    f->reader = cc_csv_open(f->src);
    cc_csv_row row;
    int status, rows = 0;
    while ((status = cc_csv_next(f->reader, &row)) == 1) rows++;
    assert_int_equal(status, -1);
    assert_true(rows > 0 && rows < 10000);
    assert_non_null(strstr(cc_csv_error(f->reader), "truncated"));
}

/* One gzip member of `text` written to `file`, padded through its header's file name to
 * `size` bytes in all (0: no padding); returns its size. */
static long write_gzip_member(FILE *file, const char *text, size_t len, long size) {
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK); /* raw deflate */
    unsigned char *deflated = malloc(deflateBound(&z, len));
    z.next_in = (Bytef *)text, z.avail_in = (uInt)len, z.next_out = deflated, z.avail_out = (uInt)deflateBound(&z, len);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    long body = (long)z.total_out, name = size ? size - (10 + body + 8) : 0; /* its bytes, the last a NUL */
    assert_true(name == 0 || name >= 2);
    deflateEnd(&z);
    unsigned char header[10] = {0x1f, 0x8b, 8, name ? 8 : 0, 0, 0, 0, 0, 0, 3}; /* flag 8: a file name follows */
    fwrite(header, 1, 10, file);
    for (long i = 0; i < name; i++) fputc(i + 1 < name ? 'n' : 0, file);
    fwrite(deflated, 1, (size_t)body, file);
    unsigned long crc = crc32(0, (const Bytef *)text, (uInt)len);
    for (int i = 0; i < 4; i++) fputc((int)(crc >> (8 * i)) & 0xff, file); /* CRC-32, then the size, little-endian */
    for (int i = 0; i < 4; i++) fputc((int)(len >> (8 * i)) & 0xff, file);
    free(deflated);
    return 10 + name + body + 8;
}

static char *numbered_rows(int from, int to, size_t *len) {
    char *text = malloc(32 * (size_t)(to - from) + 1);
    size_t n = 0;
    for (int i = from; i < to; i++) n += (size_t)sprintf(text + n, "%d,row %d\n", i, i);
    *len = n;
    return text;
}

static int count_rows(fixture *f, int *status) {
    char err[256];
    f->src = cc_byte_source_open_file(f->path, err, sizeof err);
    assert_non_null(f->src);
    f->reader = cc_csv_open(f->src);
    cc_csv_row row;
    int rows = 0;
    while ((*status = cc_csv_next(f->reader, &row)) == 1) {
        assert_int_equal(atoi(row.fields[0]), rows);
        rows++;
    }
    return rows;
}

/* gzip files may be concatenated members (here the second begins one byte before the
 * reader's 256 KiB buffer ends, its magic split over two reads) and end in zeros, as gzip
 * reads them; bytes after the last member that are neither were ignored by zlib's gzread:
 * a plain file appended to a compressed one lost its rows without a word. */
static void test_gzip_members_padding_and_trailing_bytes(void **state) {
    fixture *f = *state;
    size_t len1, len2;
    char *first = numbered_rows(0, 1000, &len1), *second = numbered_rows(1000, 2000, &len2);
    FILE *file = fopen(f->path, "wb");
    assert_int_equal(write_gzip_member(file, first, len1, (1 << 18) - 1), (1 << 18) - 1);
    write_gzip_member(file, second, len2, 0);
    for (int i = 0; i < 100; i++) fputc(0, file);
    fclose(file);
    int status;
    assert_int_equal(count_rows(f, &status), 2000);
    assert_int_equal(status, 0);
    cc_csv_close(f->reader), cc_byte_source_close(f->src);

    file = fopen(f->path, "wb");
    write_gzip_member(file, first, len1, 0);
    fwrite(second, 1, len2, file); /* a plain file appended */
    fclose(file);
    assert_int_equal(count_rows(f, &status), 1000);
    assert_int_equal(status, -1);
    assert_non_null(strstr(cc_csv_error(f->reader), "after the end of the gzip stream"));
    free(first), free(second);
}

/* A record past CC_CSV_MOST_RECORD is a read error naming its line, not an allocation as
 * big as the file; one of more than CC_CSV_MOST_FIELDS fields is read whole and flagged
 * (the file went on; it ended the file, "longer than 16 MiB"), its extra fields in the
 * last kept one; a BOM alone is no record. */
static void test_limits_and_a_bom_alone(void **state) {
    fixture *f = *state;
    size_t big = CC_CSV_MOST_RECORD + 10;
    char *text = malloc(big + 16);
    size_t n = (size_t)sprintf(text, "a,b\n1,");
    memset(text + n, 'x', big), n += big;
    text[n++] = '\n';
    open_text(f, text, n, 0);
    free(text);
    expect_row(f, 1, 2, (const char *[]){"a", "b"});
    cc_csv_row row;
    assert_int_equal(cc_csv_next(f->reader, &row), -1);
    assert_non_null(strstr(cc_csv_error(f->reader), "line 2: a record longer than 16 MiB"));
    cc_csv_close(f->reader), cc_byte_source_close(f->src);
    size_t fields = CC_CSV_MOST_FIELDS + 2;
    text = malloc(2 * fields + 16);
    for (size_t i = 0; i < fields; i++) text[2 * i] = i + 2 < fields ? 'x' : 'y', text[2 * i + 1] = i + 1 < fields ? ',' : '\n';
    n = 2 * fields + (size_t)sprintf(text + 2 * fields, "1,2\n");
    open_text(f, text, n, 0);
    free(text);
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_true(row.too_many_fields);
    assert_int_equal(row.field_count, CC_CSV_MOST_FIELDS);
    assert_string_equal(row.fields[CC_CSV_MOST_FIELDS - 1], "x,y,y");
    assert_int_equal(row.lengths[CC_CSV_MOST_FIELDS - 1], 5);
    assert_int_equal(cc_csv_next(f->reader, &row), 1);
    assert_false(row.too_many_fields);
    assert_int_equal(row.line, 2);
    assert_int_equal(row.field_count, 2);
    expect_end(f);
    cc_csv_close(f->reader), cc_byte_source_close(f->src);
    open_text(f, "\xEF\xBB\xBF", 3, 0);
    expect_end(f);
}

/* A look at the first bytes (covariates' test for a binary table) takes nothing from the
 * reader: the records read after it are the whole file's, through gzip too; a second look
 * sees what the first saw; a look past the end returns what there is. */
static void test_peek_takes_nothing(void **state) {
    fixture *f = *state;
    const char *text = "a,b\n1,2\n3,4\n";
    for (int gzip = 0; gzip < 2; gzip++) {
        if (f->reader) cc_csv_close(f->reader), cc_byte_source_close(f->src);
        open_text(f, text, strlen(text), gzip);
        const char *head = NULL, *again = NULL;
        assert_int_equal(cc_byte_source_peek(f->src, &head, 6), 6);
        assert_memory_equal(head, "a,b\n1,", 6);
        assert_int_equal(cc_byte_source_peek(f->src, &again, 100), 6);
        assert_memory_equal(again, "a,b\n1,", 6);
        expect_row(f, 1, 2, (const char *[]){"a", "b"});
        expect_row(f, 2, 2, (const char *[]){"1", "2"});
        expect_row(f, 3, 2, (const char *[]){"3", "4"});
        expect_end(f);
    }
    cc_csv_close(f->reader), cc_byte_source_close(f->src);
    f->reader = NULL;
    f->src = cc_byte_source_open_memory(text, strlen(text));
    const char *head = NULL;
    assert_int_equal(cc_byte_source_peek(f->src, &head, 4096), (long)strlen(text));
    char all[64];
    long got = cc_byte_source_read(f->src, all, sizeof all);
    assert_int_equal(got, (long)strlen(text));
    assert_memory_equal(all, text, strlen(text));
    assert_int_equal(cc_byte_source_read(f->src, all, sizeof all), 0);
}

static void test_missing_file(void **state) {
    (void)state;
    char err[256];
    assert_null(cc_byte_source_open_file("/nonexistent/dir/file.csv", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dir/file.csv"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bom_and_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_fields_and_no_final_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_lines_and_lone_cr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lenient_quotes_like_python, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_quote_is_flagged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_lines_and_open_quote_at_a_line_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_tail_is_no_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_spanning_read_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_crlf_across_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_gzip_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_members_padding_and_trailing_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_a_bom_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peek_takes_nothing, setup, teardown),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests_name("csv_reader", tests, NULL, NULL);
}
