/* Long work that Ctrl-C (or SIGTERM: kill, timeout, a batch scheduler's stop) stops
 * cleanly (crawl, train, tune).
 *
 * The work is handed a stop flag that the first SIGINT or SIGTERM sets (to the signal's
 * number: a message may name it); it checks the flag between
 * its units (a page, a training step), finishes the one under way, and returns saying
 * how far it got. The handler says on stderr at once that it heard the Ctrl-C (the work
 * may be loading data for minutes before it next looks). A second Ctrl-C kills the
 * process (see below): what these commands write is written whole (store transactions,
 * files renamed into place), so that loses nothing either; a second stop of either kind
 * (SIGTERM, then Ctrl-C) alike. A
 * signal the process was started ignoring (SIGINT under nohup or `&` in a script) stays
 * ignored, and with both ignored the work is handed no flag.
 *
 * The handler is installed with SA_RESTART, so a write to a pipe or a read from a
 * socket is not cut short by the Ctrl-C, and the previous handler is put back after
 * (also at the first Ctrl-C: the second is the previous handler's).
 *
 * Every other command dies of Ctrl-C, as a Unix tool does; main installs, before any
 * command runs, a handler for SIGINT, SIGTERM and SIGHUP that removes the temporaries
 * the process is writing (crawler/whole_file.h) and then dies of the same signal, so the
 * shell sees the usual status (130 for Ctrl-C) and no NAME.tmp-PID is left behind. */
#ifndef CRIMECAST_HOST_CTRL_C_H
#define CRIMECAST_HOST_CTRL_C_H

#include <signal.h>

/* The work: its result is cc_with_ctrl_c's. `stop` is NULL when SIGINT and SIGTERM are
 * both ignored. */
typedef int (*cc_stoppable_work)(void *context, volatile sig_atomic_t *stop);

/* Runs work(context, stop) with Ctrl-C or SIGTERM setting *stop (to SIGINT or SIGTERM);
 * returns what the work returned. *caught (may be NULL) says whether one came while it ran. Not reentrant: one
 * such work at a time in a process (the flag is the one global a handler may touch). */
int cc_with_ctrl_c(cc_stoppable_work work, void *context, int *caught);

/* Installs the handler that removes this process's temporaries and dies of the signal,
 * for SIGINT, SIGTERM and SIGHUP, each unless the process started ignoring it; and
 * ignores SIGXFSZ, so that a write past a file-size limit fails (EFBIG) and is reported
 * as a full disk's is, rather than ending the process without a word. */
void cc_remove_temporaries_on_signals(void);

#endif
