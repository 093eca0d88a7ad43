/* host/ctrl_c.h */
#include "host/ctrl_c.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "crawler/whole_file.h"

/* Set by the handler: the pieces of process state a signal handler may touch (the flag,
 * which holds the signal that set it, and the handlers to put back at the first one). */
static volatile sig_atomic_t ctrl_c_seen;
static struct sigaction before_ctrl_c, before_term;

/* Says at once that the signal was heard: the work may be loading data for minutes before
 * it next looks at the flag. write() is async-signal-safe; stdio is not. */
static void on_ctrl_c(int signal_number) {
    static const char said_int[] = "\ncrimecast: Ctrl-C: stopping at the next safe point (Ctrl-C again kills it)\n";
    static const char said_term[] = "\ncrimecast: SIGTERM: stopping at the next safe point (a second one kills it)\n";
    int saved = errno; /* the interrupted code may be about to read it */
    int term = signal_number == SIGTERM;
    if (!ctrl_c_seen) ctrl_c_seen = signal_number; /* the first names the stop */
    /* the second of either is the previous handlers' (a Ctrl-C after a scheduler's SIGTERM
     * was caught again, and the run went on: a reviewer) */
    sigaction(SIGINT, &before_ctrl_c, NULL);
    sigaction(SIGTERM, &before_term, NULL);
    ssize_t ignored = term ? write(STDERR_FILENO, said_term, sizeof said_term - 1)
                           : write(STDERR_FILENO, said_int, sizeof said_int - 1);
    (void)ignored;
    errno = saved;
}

int cc_with_ctrl_c(cc_stoppable_work work, void *context, int *caught) {
    if (caught) *caught = 0;
    struct sigaction action, previous_int, previous_term;
    sigaction(SIGINT, NULL, &previous_int);
    sigaction(SIGTERM, NULL, &previous_term);
    int take_int = previous_int.sa_handler != SIG_IGN, take_term = previous_term.sa_handler != SIG_IGN;
    if (!take_int && !take_term) return work(context, NULL);
    memset(&action, 0, sizeof action);
    action.sa_handler = on_ctrl_c;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT), sigaddset(&action.sa_mask, SIGTERM); /* one handler at a time */
    ctrl_c_seen = 0;
    before_ctrl_c = previous_int, before_term = previous_term;
    if (take_int) sigaction(SIGINT, &action, NULL);
    if (take_term) sigaction(SIGTERM, &action, NULL);
    int status = work(context, &ctrl_c_seen);
    if (take_int) sigaction(SIGINT, &previous_int, NULL);
    if (take_term) sigaction(SIGTERM, &previous_term, NULL);
    if (caught) *caught = ctrl_c_seen != 0;
    return status;
}

/* Removes the temporaries being written, then dies of the same signal: the default
 * action put back and the signal raised again (it is delivered when the handler
 * returns, as the mask that blocked it goes). */
static void remove_temporaries_and_die(int signal_number) {
    cc_whole_file_remove_temporaries();
    /* said, with write(2) alone (a handler): a Ctrl-C in a long baseline (ETAS fits for
     * minutes) ended it with exit 130 and no word (a probe). SIGHUP's terminal is gone. */
    static const char interrupted[] = "\ncrimecast: stopped by Ctrl-C (SIGINT); any file it was writing is removed, "
                                      "not left half-written\n";
    static const char terminated[] = "\ncrimecast: stopped by SIGTERM; any file it was writing is removed, not left "
                                     "half-written\n";
    /* a pipe's reader gone with the same Ctrl-C (2>&1 | tee) must not end it by SIGPIPE,
     * exit 141 for 130 (a reviewer) */
    struct sigaction no_pipe;
    memset(&no_pipe, 0, sizeof no_pipe);
    no_pipe.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &no_pipe, NULL);
    ssize_t ignored = 0;
    if (signal_number == SIGINT) ignored = write(STDERR_FILENO, interrupted, sizeof interrupted - 1);
    else if (signal_number == SIGTERM) ignored = write(STDERR_FILENO, terminated, sizeof terminated - 1);
    (void)ignored;
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void cc_remove_temporaries_on_signals(void) {
    /* A file-size limit (ulimit -f) ended the process by SIGXFSZ at the write that passed
     * it: no word, exit 153, its temporary left. Ignored, the write fails with EFBIG as a
     * full disk's with ENOSPC, and the writer says so and removes its temporary. */
    signal(SIGXFSZ, SIG_IGN);
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction action, previous;
    memset(&action, 0, sizeof action);
    action.sa_handler = remove_temporaries_and_die;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&action.sa_mask, signals[i]);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], NULL, &previous);
        if (previous.sa_handler == SIG_IGN) continue; /* nohup, `&` in a script: stays ignored */
        sigaction(signals[i], &action, NULL);
    }
}
