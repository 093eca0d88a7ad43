/* host/ctrl_c.h: work that Ctrl-C stops. The work raises SIGINT itself (the signal is
 * delivered before raise returns), so every case is exact: the flag set, the work's
 * result returned, the handler in place before put back after, an ignored SIGINT kept
 * ignored with no flag handed over. And the handler main installs: a child process
 * writing files dies of the signal with its temporaries removed, what it committed kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crawler/whole_file.h"
#include "host/ctrl_c.h"

typedef struct probe {
    int interrupts;                /* how many signals the work raises */
    int signal_number;             /* which: SIGINT (0 means SIGINT too) or SIGTERM */
    volatile sig_atomic_t *stop;   /* what it was handed */
    int stopped_before, stopped_after;
} probe;

static int work(void *context, volatile sig_atomic_t *stop) {
    probe *p = context;
    p->stop = stop;
    p->stopped_before = stop ? *stop : -1;
    for (int i = 0; i < p->interrupts; i++) raise(p->signal_number ? p->signal_number : SIGINT);
    p->stopped_after = stop ? *stop : -1;
    return 42;
}

static void (*sigint_handler(void))(int) {
    struct sigaction now;
    sigaction(SIGINT, NULL, &now);
    return now.sa_handler;
}

static void test_ctrl_c_sets_the_flag_and_the_work_finishes(void **state) {
    (void)state;
    signal(SIGINT, SIG_DFL);
    probe p = {.interrupts = 1};
    int caught = -1;
    assert_int_equal(cc_with_ctrl_c(work, &p, &caught), 42);
    assert_non_null(p.stop);
    assert_int_equal(p.stopped_before, 0);
    assert_int_equal(p.stopped_after, SIGINT); /* the signal, which a message may name */
    assert_int_equal(caught, 1);
    assert_ptr_equal(sigint_handler(), SIG_DFL); /* put back: a later Ctrl-C kills as usual */
}

/* SIGTERM (kill, timeout, a scheduler's stop) stops the work as Ctrl-C does, the flag
 * naming it, its handler put back after; with SIGINT and SIGTERM both ignored the work is
 * handed no flag. */
static void test_sigterm_sets_the_flag_too(void **state) {
    (void)state;
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);
    probe p = {.interrupts = 1, .signal_number = SIGTERM};
    int caught = -1;
    assert_int_equal(cc_with_ctrl_c(work, &p, &caught), 42);
    assert_int_equal(p.stopped_before, 0);
    assert_int_equal(p.stopped_after, SIGTERM);
    assert_int_equal(caught, 1);
    struct sigaction now;
    sigaction(SIGTERM, NULL, &now);
    assert_ptr_equal(now.sa_handler, SIG_DFL);
    signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN);
    probe none = {.interrupts = 0};
    assert_int_equal(cc_with_ctrl_c(work, &none, &caught), 42);
    assert_null(none.stop);
    signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);
}

static void test_no_ctrl_c_leaves_the_flag_clear(void **state) {
    (void)state;
    signal(SIGINT, SIG_DFL);
    probe p = {.interrupts = 0};
    int caught = -1;
    assert_int_equal(cc_with_ctrl_c(work, &p, &caught), 42);
    assert_non_null(p.stop);
    assert_int_equal(p.stopped_after, 0);
    assert_int_equal(caught, 0);
    /* A second run starts clear, whatever the first saw. */
    probe first = {.interrupts = 1}, second = {.interrupts = 0};
    cc_with_ctrl_c(work, &first, NULL);
    assert_int_equal(cc_with_ctrl_c(work, &second, &caught), 42);
    assert_int_equal(second.stopped_before, 0);
    assert_int_equal(caught, 0);
}

/* After a SIGTERM the next Ctrl-C is the previous handler's (it kills a run that takes too
 * long to stop), and the flag keeps naming the first. */
static volatile sig_atomic_t previous_handler_calls;
static void count_previous(int signal_number) {
    (void)signal_number;
    previous_handler_calls++;
}

static int term_then_int(void *context, volatile sig_atomic_t *stop) {
    int *seen = context;
    raise(SIGTERM);
    raise(SIGINT);
    *seen = *stop;
    return 0;
}

static void test_a_ctrl_c_after_sigterm_is_the_previous_handlers(void **state) {
    (void)state;
    signal(SIGINT, count_previous), signal(SIGTERM, SIG_DFL);
    previous_handler_calls = 0;
    int seen = -1;
    assert_int_equal(cc_with_ctrl_c(term_then_int, &seen, NULL), 0);
    assert_int_equal(seen, SIGTERM);
    assert_int_equal(previous_handler_calls, 1);
    signal(SIGINT, SIG_DFL);
}

static void test_an_ignored_sigint_stays_ignored(void **state) {
    (void)state;
    signal(SIGINT, SIG_IGN); /* as nohup or `&` in a script start the process */
    probe p = {.interrupts = 2};
    int caught = -1;
    assert_int_equal(cc_with_ctrl_c(work, &p, &caught), 42);
    assert_non_null(p.stop); /* for SIGTERM, which is not ignored */
    assert_int_equal(p.stopped_after, 0);
    assert_int_equal(caught, 0);
    assert_ptr_equal(sigint_handler(), SIG_IGN);
    signal(SIGINT, SIG_DFL);
}

/* While the work runs Ctrl-C is caught, and once caught the next one is the previous
 * handler's (here the default's): a second Ctrl-C kills a run that takes too long to stop. */
static int look_at_the_handler(void *context, volatile sig_atomic_t *stop) {
    void (**seen)(int) = context;
    (void)stop;
    seen[0] = sigint_handler();
    raise(SIGINT);
    seen[1] = sigint_handler();
    return 0;
}

static void test_the_handler_is_in_place_only_while_the_work_runs(void **state) {
    (void)state;
    signal(SIGINT, SIG_DFL);
    void (*seen[2])(int) = {SIG_DFL, SIG_IGN};
    assert_int_equal(cc_with_ctrl_c(look_at_the_handler, seen, NULL), 0);
    assert_true(seen[0] != SIG_DFL && seen[0] != SIG_IGN);
    assert_ptr_equal(seen[1], SIG_DFL);
    assert_ptr_equal(sigint_handler(), SIG_DFL);
}

/* The files in a directory, counted (. and .. not). */
static int files_in(const char *dir) {
    char command[4200];
    snprintf(command, sizeof command, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(command, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

/* Removes a directory made by mkdtemp here and what it holds. */
static void remove_dir(const char *dir) {
    char command[200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
}

static int exists(const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* What the child does: commit kept.txt, then begin open.gpkg (a temporary and its SQLite
 * journal, as GDAL leaves them) and raise `signal_number` -- through cc_with_ctrl_c's
 * handler twice when `twice` (the first Ctrl-C only sets the flag). */
typedef struct child_plan {
    const char *dir;
    int signal_number, twice;
} child_plan;

static int begin_and_raise(void *context, volatile sig_atomic_t *stop) {
    const child_plan *plan = context;
    (void)stop;
    char path[4200], err[512], journal[4300];
    cc_whole_file kept, open;
    snprintf(path, sizeof path, "%s/kept.txt", plan->dir);
    FILE *f = cc_whole_file_fopen(&kept, path, err, sizeof err);
    if (!f || fputs("whole\n", f) < 0 || cc_whole_file_fclose(&kept, f, 1, err, sizeof err) != 0) return 3;
    snprintf(path, sizeof path, "%s/open.gpkg", plan->dir);
    if (!(f = cc_whole_file_fopen(&open, path, err, sizeof err))) return 3;
    fputs("half", f);
    fflush(f);
    snprintf(journal, sizeof journal, "%s-journal", open.temp);
    FILE *j = fopen(journal, "w");
    if (!j) return 3;
    fclose(j);
    raise(plan->signal_number);
    if (plan->twice) raise(plan->signal_number);
    return 4; /* not reached when the signal killed it */
}

/* The child's stderr goes to <dir>.stderr (beside the directory, whose files are counted). */
static int run_child(child_plan plan, int ignore_hup) {
    char said[4200];
    snprintf(said, sizeof said, "%s.stderr", plan.dir);
    pid_t child = fork();
    if (child == 0) {
        if (!freopen(said, "w", stderr)) _exit(5);
        signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, ignore_hup ? SIG_IGN : SIG_DFL);
        cc_remove_temporaries_on_signals();
        _exit(plan.twice ? cc_with_ctrl_c(begin_and_raise, &plan, NULL) : begin_and_raise(&plan, NULL));
    }
    int status;
    waitpid(child, &status, 0);
    return status;
}

/* What the child wrote on stderr (its <dir>.stderr, removed). */
static void child_said(const char *dir, char *text, size_t len) {
    char path[4200];
    snprintf(path, sizeof path, "%s.stderr", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, len - 1, f) : 0;
    text[n] = '\0';
    if (f) fclose(f);
    unlink(path);
}

static void test_a_signal_removes_the_temporaries_and_kills(void **state) {
    (void)state;
    const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    /* said on stderr (a Ctrl-C in a long baseline ended it with no word; a probe), but to
     * a hung-up terminal nothing */
    const char *says[] = {"crimecast: stopped by Ctrl-C (SIGINT); any file it was writing is removed, not left "
                          "half-written\n",
                          "crimecast: stopped by SIGTERM; any file it was writing is removed, not left half-written\n",
                          ""};
    for (int i = 0; i < 3; i++) {
        char dir[] = "/tmp/crimecast-ctrl-c-XXXXXX", text[512];
        assert_non_null(mkdtemp(dir));
        int status = run_child((child_plan){dir, signals[i], 0}, 0);
        assert_true(WIFSIGNALED(status)); /* dies of it: the shell sees 128 + the signal */
        assert_int_equal(WTERMSIG(status), signals[i]);
        assert_true(exists(dir, "kept.txt"));  /* committed before: kept */
        assert_false(exists(dir, "open.gpkg")); /* never committed */
        assert_int_equal(files_in(dir), 1);     /* no open.gpkg.tmp-PID, no -journal */
        child_said(dir, text, sizeof text);
        assert_string_equal(text + (text[0] == '\n'), says[i]);
        remove_dir(dir);
    }
}

static void test_the_second_ctrl_c_in_stoppable_work_removes_them_too(void **state) {
    (void)state;
    char dir[] = "/tmp/crimecast-ctrl-c-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int status = run_child((child_plan){dir, SIGINT, 1}, 0);
    char text[512];
    child_said(dir, text, sizeof text);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGINT);
    assert_int_equal(files_in(dir), 1);
    remove_dir(dir);
}

static void test_an_ignored_hangup_stays_ignored(void **state) {
    (void)state;
    char dir[] = "/tmp/crimecast-ctrl-c-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int status = run_child((child_plan){dir, SIGHUP, 0}, 1); /* nohup */
    char text[512];
    child_said(dir, text, sizeof text);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 4); /* went on past the raise */
    remove_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctrl_c_sets_the_flag_and_the_work_finishes),
        cmocka_unit_test(test_sigterm_sets_the_flag_too),
        cmocka_unit_test(test_a_ctrl_c_after_sigterm_is_the_previous_handlers),
        cmocka_unit_test(test_no_ctrl_c_leaves_the_flag_clear),
        cmocka_unit_test(test_an_ignored_sigint_stays_ignored),
        cmocka_unit_test(test_the_handler_is_in_place_only_while_the_work_runs),
        cmocka_unit_test(test_a_signal_removes_the_temporaries_and_kills),
        cmocka_unit_test(test_the_second_ctrl_c_in_stoppable_work_removes_them_too),
        cmocka_unit_test(test_an_ignored_hangup_stays_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
