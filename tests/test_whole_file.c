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
#include <sys/stat.h>
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
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "out.h5"), dead[4400], journal[4400], live[4400],
         live_journal[4410], other[4400], not_ours[4400];
    long gone = dead_pid();
    snprintf(dead, sizeof dead, "%s.tmp-%ld", path, gone);
    snprintf(journal, sizeof journal, "%s.tmp-%ld-journal", path, gone); /* SQLite's, of a GeoPackage */
    snprintf(live, sizeof live, "%s.tmp-%ld", path, (long)getppid()); /* a process that is there */
    snprintf(live_journal, sizeof live_journal, "%s-wal", live);
    snprintf(other, sizeof other, "%s/other.h5.tmp-%ld", dir, dead_pid()); /* another file's */
    snprintf(not_ours, sizeof not_ours, "%s.tmp-%ld-notes", path, gone); /* a name we never write */
    const char *names[] = {dead, journal, live, live_journal, other, not_ours};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) tu_write_file(names[i], "half", 4);
    cc_whole_file f;
    char err[256];
    FILE *out = cc_whole_file_fopen(&f, path, err, sizeof err);
    assert_non_null(out);
    assert_false(exists(dead) || exists(journal)); /* gone with the begin */
    assert_true(exists(live) && exists(live_journal) && exists(other) && exists(not_ours));
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

/* A file in a directory that is not there says so (libhdf5 and GDAL, failing to create
 * the temporary, would name no cause). */
static void test_a_missing_directory_is_named(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *missing = tu_path(dir, "nope/out.h5"), *file = tu_path(dir, "plain");
    char *under_file = tu_path(dir, "plain/out.h5"), err[512] = "";
    tu_write_file(file, "x", 1);
    cc_whole_file f;
    assert_int_equal(cc_whole_file_begin(&f, missing, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
    assert_non_null(strstr(err, "/nope"));
    assert_int_equal(cc_whole_file_begin(&f, under_file, err, sizeof err), -1);
    assert_non_null(strstr(err, "is not a directory"));
    assert_null(cc_whole_file_fopen(&f, missing, err, sizeof err));
    tu_remove_dir(dir);
    free(dir), free(missing), free(file), free(under_file);
}

/* A valid name of 251 bytes (NAME_MAX is 255) is written, through a temporary that keeps
 * its first 222 bytes ("<name>.tmp-<pid>" would pass 255); a dead run's leftover of that
 * shortened name goes; a name of 256 bytes and a directory at the path are refused up
 * front, each saying why (the long name failed as "disk full, or no permission?"). */
static void test_long_names_and_directories(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), name[300], err[512] = "";
    memset(name, 'b', 248), strcpy(name + 248, ".h5");
    char *path = tu_path(dir, name), leftover[600];
    snprintf(leftover, sizeof leftover, "%s/%.222s.tmp-%ld", dir, name, dead_pid());
    tu_write_file(leftover, "half", 4);
    cc_whole_file f;
    FILE *out = cc_whole_file_fopen(&f, path, err, sizeof err);
    if (!out) fail_msg("%s", err);
    const char *temp_name = strrchr(f.temp, '/') + 1;
    assert_true(strlen(temp_name) <= 255 - 8); /* room for SQLite's "-journal" beside it */
    assert_int_equal(strncmp(temp_name, name, 222), 0);
    assert_false(exists(leftover));
    fputs("whole", out);
    assert_int_equal(cc_whole_file_fclose(&f, out, 1, err, sizeof err), 0);
    assert_true(exists(path) && !exists(f.temp));
    memset(name, 'c', 253), strcpy(name + 253, ".h5"); /* 256 bytes */
    char *too_long = tu_path(dir, name);
    assert_int_equal(cc_whole_file_check(too_long, err, sizeof err), -1);
    assert_non_null(strstr(err, "a file name longer than 255 bytes"));
    char *sub = tu_path(dir, "sub");
    assert_int_equal(mkdir(sub, 0777), 0);
    assert_int_equal(cc_whole_file_check(sub, err, sizeof err), -1);
    assert_non_null(strstr(err, "a directory is there"));
    char with_slash[4200];
    snprintf(with_slash, sizeof with_slash, "%s/", sub);
    assert_int_equal(cc_whole_file_check(with_slash, err, sizeof err), -1);
    assert_non_null(strstr(err, "the path names a directory, not a file"));
    assert_int_equal(cc_whole_file_check(path, err, sizeof err), 0); /* an existing file is replaced whole */
    tu_remove_dir(dir);
    free(dir), free(path), free(too_long), free(sub);
}

/* A pipe at the name is refused up front (the rename replaced it, its reader left
 * waiting); a symbolic link to a file writes that file and stays a link; a link to
 * nothing is refused up front, not after the work; a stream whose write failed before
 * the close is not committed (fclose reports only the last flush). */
static void test_special_names_and_failed_writes(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *fifo = tu_path(dir, "pipe.png"), *target = tu_path(dir, "real.png"),
         *link = tu_path(dir, "link.png"), *dangling = tu_path(dir, "dangling.png"), err[512] = "";
    assert_int_equal(mkfifo(fifo, 0666), 0);
    assert_int_equal(cc_whole_file_check(fifo, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    tu_write_file(target, "old", 3);
    assert_int_equal(symlink("real.png", link), 0);
    cc_whole_file f;
    FILE *out = cc_whole_file_fopen(&f, link, err, sizeof err);
    if (!out) fail_msg("%s", err);
    fputs("new!", out);
    assert_int_equal(cc_whole_file_fclose(&f, out, 1, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 4);
    assert_int_equal(symlink("nowhere/none.png", dangling), 0);
    assert_int_equal(cc_whole_file_check(dangling, err, sizeof err), -1);
    assert_non_null(strstr(err, "a symbolic link to nothing"));
    char *broken = tu_path(dir, "broken.png");
    out = cc_whole_file_fopen(&f, broken, err, sizeof err);
    assert_non_null(out);
    fputs("half", out);
    fflush(out);
    clearerr(out);
    char byte;
    assert_int_equal(fread(&byte, 1, 1, out), 0); /* a read on a write-only stream: its error flag set */
    assert_true(ferror(out));
    assert_int_equal(cc_whole_file_fclose(&f, out, 1, err, sizeof err), -1);
    assert_false(exists(broken) || exists(f.temp));
    tu_remove_dir(dir);
    free(dir), free(fifo), free(target), free(link), free(dangling), free(broken);
}

/* A file written anew keeps the permissions its owner gave the file it replaces (covariates
 * rewrote a 0444 tensor as 0644; a probe, 2026-12-07); a new file takes the umask's. */
static void test_a_replaced_file_keeps_its_permissions(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *kept = tu_path(dir, "tensor.h5"), *fresh = tu_path(dir, "new.h5"), err[512] = "";
    tu_write_file(kept, "old", 3);
    assert_int_equal(chmod(kept, 0440), 0);
    mode_t mask = umask(022);
    for (int k = 0; k < 2; k++) {
        cc_whole_file f;
        FILE *out = cc_whole_file_fopen(&f, k ? fresh : kept, err, sizeof err);
        if (!out) fail_msg("%s", err);
        fputs("new!", out);
        assert_int_equal(cc_whole_file_fclose(&f, out, 1, err, sizeof err), 0);
    }
    umask(mask);
    struct stat st;
    assert_int_equal(stat(kept, &st), 0);
    assert_int_equal(st.st_size, 4);
    assert_int_equal(st.st_mode & 07777, 0440);
    assert_int_equal(stat(fresh, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    tu_remove_dir(dir);
    free(dir), free(kept), free(fresh);
}

/* ... also a file its owner may write but not read (0200): the temporary is flushed
 * before it takes that mode (opened to flush after, it could not be: a reviewer). Run as
 * user nobody where the test runs as root, whom no mode stops. */
static void test_a_write_only_file_is_replaced(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "write_only.h5");
    assert_int_equal(chmod(dir, 0777), 0);
    pid_t child = fork();
    if (child == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
        umask(022);
        FILE *first = fopen(path, "w");
        if (!first || fputs("old", first) < 0 || fclose(first) != 0 || chmod(path, 0200) != 0) _exit(4);
        char err[512] = "";
        cc_whole_file f;
        FILE *out = cc_whole_file_fopen(&f, path, err, sizeof err);
        if (!out) _exit(5);
        fputs("new!", out);
        if (cc_whole_file_fclose(&f, out, 1, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            _exit(6);
        }
        struct stat st;
        _exit(stat(path, &st) == 0 && st.st_size == 4 && (st.st_mode & 07777) == 0200 ? 0 : 7);
    }
    int status = -1;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    tu_remove_dir(dir);
    free(dir), free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_leftovers_of_dead_runs_go),
                                       cmocka_unit_test(test_a_missing_directory_is_named),
                                       cmocka_unit_test(test_long_names_and_directories),
                                       cmocka_unit_test(test_special_names_and_failed_writes),
                                       cmocka_unit_test(test_a_replaced_file_keeps_its_permissions),
                                       cmocka_unit_test(test_a_write_only_file_is_replaced)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
