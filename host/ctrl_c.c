/* host/ctrl_c.h */
#include "host/ctrl_c.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Set by the handler: the one piece of process state a signal handler may touch. */
static volatile sig_atomic_t ctrl_c_seen;

/* Says at once that the Ctrl-C was heard: the work may be loading data for minutes
 * before it next looks at the flag. write() is async-signal-safe; stdio is not. */
static void on_ctrl_c(int signal_number) {
    (void)signal_number;
    static const char said[] = "\ncrimecast: Ctrl-C: stopping at the next safe point (Ctrl-C again kills it)\n";
    int saved = errno; /* the interrupted code may be about to read it */
    ctrl_c_seen = 1;
    ssize_t ignored = write(STDERR_FILENO, said, sizeof said - 1);
    (void)ignored;
    errno = saved;
}

int cc_with_ctrl_c(cc_stoppable_work work, void *context, int *caught) {
    if (caught) *caught = 0;
    struct sigaction action, previous;
    sigaction(SIGINT, NULL, &previous);
    if (previous.sa_handler == SIG_IGN) return work(context, NULL);
    memset(&action, 0, sizeof action);
    action.sa_handler = on_ctrl_c;
    action.sa_flags = SA_RESETHAND | SA_RESTART; /* the second Ctrl-C is the default's */
    sigemptyset(&action.sa_mask);
    ctrl_c_seen = 0;
    sigaction(SIGINT, &action, &previous);
    int status = work(context, &ctrl_c_seen);
    sigaction(SIGINT, &previous, NULL);
    if (caught) *caught = ctrl_c_seen != 0;
    return status;
}
