/* What the process writes to stderr for a while, copied both to the stderr it had (the
 * terminal) and to a log, its warning lines collected: the demo's steps print their notes
 * and warnings to stderr, and demo.log is "what each step printed" while the analyst
 * still sees them as they come (a San Francisco demo scored half-empty weeks while
 * raster's warning went by on the terminal alone).
 *
 * Between begin and end, fd 2 is a pipe that a thread drains (signals blocked there, so
 * a closed terminal's SIGPIPE fails its write rather than ending the run, and Ctrl-C is
 * handled elsewhere): each chunk is written to
 * the terminal and to the log's descriptor (once, where the two are one file: `2>log`).
 * Where the terminal is a TTY, CC_TEE_TTY_ENV=1 is set meanwhile, so that progress bars
 * still draw (host/progress.h), and their redraws - from a '\r' to the "\033[K" that
 * ends each - go to the terminal alone. Lines holding "warning:" are appended to the
 * caller's buffer, each whole (a long one cut with "..." between UTF-8 characters) and a
 * "(more in the log)" line once when it fills. Bytes still in the pipe when the process
 * dies of a signal (abort, a second Ctrl-C) are lost to both. No tee is made where the
 * log is fd 2 itself (stderr was closed when the log was opened). */
#ifndef CRIMECAST_HOST_STDERR_TEE_H
#define CRIMECAST_HOST_STDERR_TEE_H

#include <pthread.h>
#include <stddef.h>

/* Set to "1" while stderr is a tee to a TTY: progress bars draw there. */
#define CC_TEE_TTY_ENV "CRIMECAST_STDERR_TEE_TTY"

typedef struct cc_stderr_tee {
    int terminal;        /* the stderr before begin (a dup of it), restored by end */
    int log;             /* the log's descriptor (borrowed) */
    int read_end;        /* the pipe's end the thread reads */
    int same_file;       /* terminal and log are one file: written once */
    int tty;             /* the terminal is a TTY: bars drawn there, kept out of the log */
    int in_bar;          /* inside a bar's redraw (from '\r' to "\033[K") */
    int escape;          /* how much of "\033[K" has been seen inside it */
    pthread_t thread;
    char line[1024];     /* the line being collected */
    size_t line_len;
    int cut;             /* the line being collected was cut: the rest of it is dropped */
    char *warnings;      /* the caller's buffer of warning lines */
    size_t warnings_cap;
    int warnings_full;
} cc_stderr_tee;

/* Starts copying fd 2 to itself and to `log_fd`, warnings into `warnings` (NUL-terminated,
 * appended to). 0, or -1 when a pipe, dup or thread cannot be had: stderr is left as it
 * was, and nothing is copied. */
int cc_stderr_tee_begin(cc_stderr_tee *tee, int log_fd, char *warnings, size_t warnings_cap);
/* Restores fd 2 and waits for the copy to finish. Flush stdio's stderr before. */
void cc_stderr_tee_end(cc_stderr_tee *tee);

#endif
