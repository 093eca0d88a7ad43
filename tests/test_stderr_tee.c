/* host/stderr_tee.h: what is written to stderr between begin and end reaches both the
 * terminal (here a file standing for it) and the log, its warning lines collected whole,
 * a long one cut, a full buffer marked; fd 2 is stderr again after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/stderr_tee.h"
#include "tests/test_util.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static void test_both_get_it_and_warnings_are_kept(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *terminal_path = tu_path(dir, "terminal"), *log_path = tu_path(dir, "log");
    int terminal = open(terminal_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(terminal >= 0 && log >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(dup2(terminal, STDERR_FILENO) >= 0); /* the "terminal" the tee finds on fd 2 */
    char warnings[160] = "";
    cc_stderr_tee tee;
    assert_int_equal(cc_stderr_tee_begin(&tee, log, warnings, sizeof warnings), 0);
    fprintf(stderr, "a note\ncrimecast raster: warning: half the weeks are empty\n");
    char long_line[1500];
    memset(long_line, 'x', sizeof long_line - 1), long_line[sizeof long_line - 1] = 0;
    fprintf(stderr, "warning: %s\n", long_line);
    fprintf(stderr, "crimecast eval: warning: one more\nlast warning: no newline");
    fflush(stderr);
    cc_stderr_tee_end(&tee);
    fprintf(stderr, "after the end\n");
    fflush(stderr);
    /* a later tee into the same full buffer adds nothing, not a second marker */
    assert_int_equal(cc_stderr_tee_begin(&tee, log, warnings, sizeof warnings), 0);
    fprintf(stderr, "crimecast png: warning: later\n");
    fflush(stderr);
    cc_stderr_tee_end(&tee);
    assert_null(strstr(warnings, "later"));
    assert_ptr_equal(strstr(warnings, "(more in the log)"), strrchr(warnings, '('));
    /* the log on fd 2 itself (stderr closed before it was opened): no tee, stderr as is */
    assert_int_equal(cc_stderr_tee_begin(&tee, STDERR_FILENO, warnings, sizeof warnings), -1);
    dup2(saved, STDERR_FILENO), close(saved), close(terminal), close(log);
    const char *want = "a note\ncrimecast raster: warning: half the weeks are empty\n";
    char *seen = strdup(slurp(terminal_path));
    assert_non_null(strstr(seen, want));
    assert_non_null(strstr(seen, "after the end\n")); /* fd 2 was given back */
    assert_non_null(strstr(seen, "crimecast png: warning: later\n"));
    char *logged = slurp(log_path);
    assert_non_null(strstr(logged, want));
    assert_null(strstr(logged, "after the end"));
    assert_non_null(strstr(logged, long_line)); /* the log has every byte */
    /* the first warning whole; the long one cut (it does not fit the 160 bytes): marked */
    assert_memory_equal(warnings, "crimecast raster: warning: half the weeks are empty\n", 52);
    assert_non_null(strstr(warnings, "(more in the log)\n"));
    free(seen);
    tu_remove_dir(dir);
    free(dir), free(terminal_path), free(log_path);
}

static void test_a_long_warning_is_cut_whole(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *log_path = tu_path(dir, "log");
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), devnull = open("/dev/null", O_WRONLY);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(devnull, STDERR_FILENO);
    char warnings[4096] = "";
    cc_stderr_tee tee;
    assert_int_equal(cc_stderr_tee_begin(&tee, log, warnings, sizeof warnings), 0);
    char long_line[1500];
    memset(long_line, 'y', sizeof long_line - 1), long_line[sizeof long_line - 1] = 0;
    fprintf(stderr, "warning: %s\nwarning: short\n", long_line);
    fflush(stderr);
    cc_stderr_tee_end(&tee);
    dup2(saved, STDERR_FILENO), close(saved), close(devnull), close(log);
    char *cut = strstr(warnings, "...\n");
    assert_non_null(cut); /* cut with "...", its newline kept, and the next line its own */
    assert_string_equal(cut, "...\nwarning: short\n");
    assert_true(cut - warnings < 1024);
    tu_remove_dir(dir);
    free(dir), free(log_path);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_both_get_it_and_warnings_are_kept),
                                       cmocka_unit_test(test_a_long_warning_is_cut_whole)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
