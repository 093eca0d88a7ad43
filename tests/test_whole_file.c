/* crawler/whole_file.h: a file appears under its name whole, a killed run's leftover
 * temporary is removed by the next write of that name, a live process's is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crawler/whole_file.h"
#include "tests/test_util.h"

/* The pid of a process that has exited (a child, waited for). */
static long dead_pid(void) {
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    return (long)child;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static void test_leftovers_of_dead_runs_go(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "out.h5"), dead[4400], live[4400], other[4400];
    snprintf(dead, sizeof dead, "%s.tmp-%ld", path, dead_pid());
    snprintf(live, sizeof live, "%s.tmp-%ld", path, (long)getppid()); /* a process that is there */
    snprintf(other, sizeof other, "%s/other.h5.tmp-%ld", dir, dead_pid()); /* another file's */
    tu_write_file(dead, "half", 4), tu_write_file(live, "half", 4), tu_write_file(other, "half", 4);
    cc_whole_file f;
    char err[256];
    FILE *out = cc_whole_file_fopen(&f, path, err, sizeof err);
    assert_non_null(out);
    assert_false(exists(dead));  /* gone with the begin */
    assert_true(exists(live) && exists(other));
    assert_false(exists(path));  /* nothing under the final name while it is written */
    fputs("whole", out);
    assert_int_equal(cc_whole_file_fclose(&f, out, 1, err, sizeof err), 0);
    assert_true(exists(path) && !exists(f.temp));
    char text[16] = "";
    FILE *in = fopen(path, "rb");
    assert_int_equal(fread(text, 1, sizeof text - 1, in), 5);
    fclose(in);
    assert_string_equal(text, "whole");
    /* a failed write leaves the old file and no temporary */
    out = cc_whole_file_fopen(&f, path, err, sizeof err);
    fputs("broken", out);
    assert_int_equal(cc_whole_file_fclose(&f, out, 0, err, sizeof err), -1);
    assert_true(exists(path) && !exists(f.temp));
    tu_remove_dir(dir);
    free(dir), free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_leftovers_of_dead_runs_go)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
