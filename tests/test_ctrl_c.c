/* host/ctrl_c.h: work that Ctrl-C stops. The work raises SIGINT itself (the signal is
 * delivered before raise returns), so every case is exact: the flag set, the work's
 * result returned, the handler in place before put back after, an ignored SIGINT kept
 * ignored with no flag handed over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>

#include <cmocka.h>

#include "host/ctrl_c.h"

typedef struct probe {
    int interrupts;                /* how many SIGINTs the work raises */
    volatile sig_atomic_t *stop;   /* what it was handed */
    int stopped_before, stopped_after;
} probe;

static int work(void *context, volatile sig_atomic_t *stop) {
    probe *p = context;
    p->stop = stop;
    p->stopped_before = stop ? *stop : -1;
    for (int i = 0; i < p->interrupts; i++) raise(SIGINT);
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
    assert_int_equal(p.stopped_after, 1);
    assert_int_equal(caught, 1);
    assert_ptr_equal(sigint_handler(), SIG_DFL); /* put back: a later Ctrl-C kills as usual */
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

static void test_an_ignored_sigint_stays_ignored(void **state) {
    (void)state;
    signal(SIGINT, SIG_IGN); /* as nohup or `&` in a script start the process */
    probe p = {.interrupts = 2};
    int caught = -1;
    assert_int_equal(cc_with_ctrl_c(work, &p, &caught), 42);
    assert_null(p.stop);
    assert_int_equal(caught, 0);
    assert_ptr_equal(sigint_handler(), SIG_IGN);
    signal(SIGINT, SIG_DFL);
}

/* While the work runs Ctrl-C is caught, and once caught the next one is the default's
 * (SA_RESETHAND): a second Ctrl-C kills a run that takes too long to stop. */
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctrl_c_sets_the_flag_and_the_work_finishes),
        cmocka_unit_test(test_no_ctrl_c_leaves_the_flag_clear),
        cmocka_unit_test(test_an_ignored_sigint_stays_ignored),
        cmocka_unit_test(test_the_handler_is_in_place_only_while_the_work_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
