/* crawler/printable.h: text from files written into JSON and CSV output, checked against
 * the escaped forms written out here by hand (RFC 8259 strings of well-formed UTF-8,
 * RFC 4180 fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/printable.h"

/* What `print` writes for `text`, in buf. */
static const char *written(void (*print)(FILE *, const char *), const char *text, char *buf, size_t len) {
    FILE *f = tmpfile();
    assert_non_null(f);
    print(f, text);
    rewind(f);
    buf[fread(buf, 1, len - 1, f)] = 0;
    fclose(f);
    return buf;
}

static void test_json_strings(void **state) {
    (void)state;
    struct {
        const char *text, *json;
    } cases[] = {
        {"rf-100", "\"rf-100\""},
        {"a \"b\" \\ c", "\"a \\\"b\\\" \\\\ c\""},
        {"line\nnext\ttab\x7f", "\"line\\u000anext\\u0009tab\\u007f\""},
        {"Stra\xc3\x9f" "e \xe7\x8a\xaf \xf0\x9f\x94\xa5", "\"Stra\xc3\x9f" "e \xe7\x8a\xaf \xf0\x9f\x94\xa5\""}, /* kept */
        {"x\xffy", "\"x\\ufffdy\""},                       /* a stray byte */
        {"x\xc3", "\"x\\ufffd\""},                          /* a sequence cut by the end */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},      /* a surrogate, byte by byte */
        {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},      /* an overlong '/' */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[128];
        if (strcmp(written(cc_print_json_string, cases[i].text, buf, sizeof buf), cases[i].json) != 0)
            fail_msg("case %zu: wrote %s, wanted %s", i, buf, cases[i].json);
    }
}

static void test_csv_fields(void **state) {
    (void)state;
    struct {
        const char *text, *csv;
    } cases[] = {
        {"histavg-52", "histavg-52"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[128];
        if (strcmp(written(cc_print_csv_field, cases[i].text, buf, sizeof buf), cases[i].csv) != 0)
            fail_msg("case %zu: wrote %s, wanted %s", i, buf, cases[i].csv);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json_strings), cmocka_unit_test(test_csv_fields)};
    return cmocka_run_group_tests_name("printable", tests, NULL, NULL);
}
