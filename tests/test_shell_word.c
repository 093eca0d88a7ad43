/* host/shell_word.h: paths quoted for a command line the user is told to run. Each
 * case's quoting is written here by hand; tests/integration (crawl, hard_stops) also
 * read the printed resume commands back with Python's shlex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/shell_word.h"

static void expect_word(const char *text, const char *quoted) {
    char out[64];
    memset(out, '#', sizeof out);
    const char *word = cc_shell_word(text, out, sizeof out);
    assert_non_null(word);
    assert_ptr_equal(word, out);
    assert_string_equal(word, quoted);
}

static void test_plain_paths_stay_as_they_are(void **state) {
    (void)state;
    expect_word("model.h5", "model.h5");
    expect_word("/data/runs/chicago-2024_v2+b=1,c:d/m.h5", "/data/runs/chicago-2024_v2+b=1,c:d/m.h5");
}

static void test_special_characters_are_single_quoted(void **state) {
    (void)state;
    expect_word("my model.h5", "'my model.h5'");
    expect_word("$HOME/*.h5", "'$HOME/*.h5'");
    expect_word("a;b|c&d", "'a;b|c&d'");
    expect_word("it's.h5", "'it'\\''s.h5'");
    expect_word("'", "''\\'''");
    expect_word("~/m.h5", "'~/m.h5'"); /* a shell would expand the tilde */
    expect_word("line\nbreak", "'line\nbreak'");
}

static void test_empty_text_is_an_empty_word(void **state) {
    (void)state;
    expect_word("", "''"); /* nothing at all would drop the option's value */
}

static void test_too_long_is_refused_not_cut(void **state) {
    (void)state;
    char out[8];
    assert_string_equal(cc_shell_word("1234567", out, sizeof out), "1234567");
    assert_null(cc_shell_word("12345678", out, sizeof out));
    assert_string_equal(cc_shell_word("a b c", out, sizeof out), "'a b c'");
    assert_null(cc_shell_word("a b cd", out, sizeof out));
    assert_null(cc_shell_word("''", out, sizeof out)); /* '\''\'' is 10 bytes */
    assert_null(cc_shell_word("", out, 2));
    assert_string_equal(cc_shell_word("", out, 3), "''");
    assert_null(cc_shell_word("x", out, 0));
}

static void test_command_line_is_each_word_quoted(void **state) {
    (void)state;
    char *argv[] = {"predict", "--model", "my model.h5", "--out=it's.h5", "", "--span", "test"};
    char *line = cc_command_line(7, argv);
    assert_non_null(line);
    assert_string_equal(line, "crimecast " CRIMECAST_VERSION
                              " predict --model 'my model.h5' '--out=it'\\''s.h5' '' --span test");
    free(line);
    line = cc_command_line(0, argv);
    assert_string_equal(line, "crimecast " CRIMECAST_VERSION);
    free(line);
}

static void test_command_line_holds_the_longest_words_whole(void **state) {
    (void)state;
    enum { LONG = 9000 }; /* past any fixed buffer: a word of quotes alone is four times as long */
    char *quotes = malloc(LONG + 1), *spaces = malloc(LONG + 1);
    memset(quotes, '\'', LONG), quotes[LONG] = 0;
    memset(spaces, ' ', LONG), spaces[LONG] = 0;
    char *argv[] = {quotes, spaces, quotes};
    char *line = cc_command_line(3, argv);
    assert_non_null(line);
    size_t start = strlen("crimecast " CRIMECAST_VERSION);
    /* each quote is '\'' (4 bytes) inside a pair of quotes; each space stays one byte */
    assert_int_equal(strlen(line), start + 3 + (4 * LONG + 2) * 2 + (LONG + 2));
    assert_memory_equal(line + start, " ''\\'''\\''", 10);
    free(line), free(quotes), free(spaces);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_paths_stay_as_they_are),
        cmocka_unit_test(test_special_characters_are_single_quoted),
        cmocka_unit_test(test_empty_text_is_an_empty_word),
        cmocka_unit_test(test_too_long_is_refused_not_cut),
        cmocka_unit_test(test_command_line_is_each_word_quoted),
        cmocka_unit_test(test_command_line_holds_the_longest_words_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
