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
        {"\xe2\x82" "x", "\"\\ufffdx\""},                   /* a cut sequence is one part */
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

/* Mended UTF-8 by hand, byte for byte: Unicode's maximal-subpart practice (chapter 3,
 * "U+FFFD Substitution of Maximal Subparts"), as Python's errors='replace'. */
static void test_utf8_mended(void **state) {
    (void)state;
    struct {
        const char *text, *mended; /* mended NULL: well-formed, returned as it is */
    } cases[] = {
        {"plain ASCII", NULL},
        {"Caf\xc3\xa9 \xe7\x8a\xaf \xf0\x9f\x94\xa5", NULL},
        {"", NULL},
        {"caf\xe9", "caf\xef\xbf\xbd"},                              /* Latin-1 */
        {"\xe2\x82" "x", "\xef\xbf\xbd" "x"},                          /* cut: one U+FFFD */
        {"\xf0\x9f\x94", "\xef\xbf\xbd"},                           /* cut at the end */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},      /* surrogate: three */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                     /* overlong: two */
        {"\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd"},                     /* stray continuations */
        {"a\xf5\x80z", "a\xef\xbf\xbd\xef\xbf\xbdz"},                 /* F5 never leads */
    };
    char *buffer = NULL;
    size_t capacity = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int repaired = -1;
        const char *got = cc_utf8_repaired(cases[i].text, &buffer, &capacity, &repaired);
        assert_non_null(got);
        if (!cases[i].mended) {
            if (got != cases[i].text || repaired != 0 || !cc_utf8_well_formed(cases[i].text))
                fail_msg("case %zu: well-formed text changed", i);
        } else {
            if (strcmp(got, cases[i].mended) != 0 || repaired != 1 || cc_utf8_well_formed(cases[i].text) ||
                !cc_utf8_well_formed(got))
                fail_msg("case %zu: mended to '%s'", i, got);
        }
    }
    free(buffer);
}

/* Messages: non-ASCII escaped, or kept when well-formed and not a control character. */
static void test_printable_messages(void **state) {
    (void)state;
    char out[64];
    const char *text = "Caf\xc3\xa9\x1b[1m\xc2\x9b\xff";
    assert_string_equal(cc_printable(text, out, sizeof out, 40), "Caf\\xC3\\xA9\\x1B[1m\\xC2\\x9B\\xFF");
    assert_string_equal(cc_printable_utf8(text, out, sizeof out, 40), "Caf\xc3\xa9\\x1B[1m\\xC2\\x9B\\xFF");
    /* cut after 4 bytes: the two-byte character is not split */
    assert_string_equal(cc_printable_utf8("Caf\xc3\xa9s", out, sizeof out, 4), "Caf...");
    assert_string_equal(cc_printable_utf8("Caf\xc3\xa9s", out, sizeof out, 5), "Caf\xc3\xa9...");
    /* a right-to-left override would reorder the message: escaped */
    assert_string_equal(cc_printable_utf8("a\xe2\x80\xae" "b\xe2\x81\xa6", out, sizeof out, 40),
                        "a\\xE2\\x80\\xAEb\\xE2\\x81\\xA6");
    /* a cut by the room in `out` is marked too, and the last piece needs no room for it */
    char few[64];
    const char *latin1 = "ab\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9";
    assert_string_equal(cc_printable(latin1, few, sizeof few, 40),
                        "ab\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9\\xE9...");
    char eight[8];
    assert_string_equal(cc_printable_utf8("\xe2\x82\xac", eight, sizeof eight, 40), "\xe2\x82\xac");
    assert_string_equal(cc_printable("abcdefg", eight, sizeof eight, 40), "abcdefg");
    assert_string_equal(cc_printable("abcdefgh", eight, sizeof eight, 40), "abcd...");
}

/* Cuts that keep characters whole, worked out by hand: "Caf\u00e9" is 5 bytes, the euro sign
 * 3, an ill-formed byte a unit of its own. */
static void test_utf8_prefix(void **state) {
    (void)state;
    assert_int_equal(cc_utf8_prefix("Caf\xc3\xa9s", 3), 3);
    assert_int_equal(cc_utf8_prefix("Caf\xc3\xa9s", 4), 3); /* not half of the e acute */
    assert_int_equal(cc_utf8_prefix("Caf\xc3\xa9s", 5), 5);
    assert_int_equal(cc_utf8_prefix("Caf\xc3\xa9s", 99), 6);
    assert_int_equal(cc_utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 5), 3);
    assert_int_equal(cc_utf8_prefix("\xe2\x82\xac", 2), 0);
    assert_int_equal(cc_utf8_prefix("ab\xe9\xe9", 3), 3); /* Latin-1 bytes: one unit each */
    assert_int_equal(cc_utf8_prefix("\xf0\x9f\x98\x80x", 4), 4);
    assert_int_equal(cc_utf8_prefix("\xf0\x9f\x98\x80x", 3), 0);
    assert_int_equal(cc_utf8_prefix("", 4), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json_strings), cmocka_unit_test(test_csv_fields),
                                       cmocka_unit_test(test_utf8_mended), cmocka_unit_test(test_printable_messages),
                                       cmocka_unit_test(test_utf8_prefix)};
    return cmocka_run_group_tests_name("printable", tests, NULL, NULL);
}
