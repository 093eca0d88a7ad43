/* host/stderr_tee.h */
#include "host/stderr_tee.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_all(int fd, const char *bytes, size_t n) {
    while (n > 0) {
        ssize_t wrote = write(fd, bytes, n);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) return; /* the terminal gone: the log still has it */
        bytes += wrote, n -= (size_t)wrote;
    }
}

static int same_file(int a, int b) {
    struct stat x, y;
    return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static const char MORE[] = "(more in the log)\n";

/* A whole line (tee->line, tee->line_len bytes, its newline included if it had one). */
static void take_line(cc_stderr_tee *tee) {
    tee->line[tee->line_len] = 0;
    if (!strstr(tee->line, "warning:") || tee->warnings_full) return;
    size_t used = strlen(tee->warnings), n = strlen(tee->line);
    const char *more = MORE;
    if (used + n + 2 + strlen(more) >= tee->warnings_cap) {
        if (used + strlen(more) < tee->warnings_cap) memcpy(tee->warnings + used, more, strlen(more) + 1);
        tee->warnings_full = 1;
        return;
    }
    memcpy(tee->warnings + used, tee->line, n + 1);
    if (n == 0 || tee->line[n - 1] != '\n') memcpy(tee->warnings + used + n, "\n", 2);
}

/* Cuts the line being collected with "...", between UTF-8 characters. */
static void cut_line(cc_stderr_tee *tee) {
    size_t n = tee->line_len;
    while (n > 0 && ((unsigned char)tee->line[n - 1] & 0xC0) == 0x80) n--; /* continuation bytes */
    if (n > 0 && ((unsigned char)tee->line[n - 1] & 0xC0) == 0xC0) n--;     /* their lead byte */
    memcpy(tee->line + n, "...", 3);
    tee->line_len = n + 3;
    tee->cut = 1;
}

/* Collects the lines of a chunk; one longer than the buffer is cut with "...". */
static void collect(cc_stderr_tee *tee, const char *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (tee->line_len + 5 < sizeof tee->line && !tee->cut) tee->line[tee->line_len++] = bytes[i];
        else if (!tee->cut) cut_line(tee);
        if (bytes[i] == '\n') {
            take_line(tee);
            tee->line_len = 0, tee->cut = 0;
        }
    }
}

/* The bytes of a chunk that belong in the log: all but a progress bar's redraws. */
static size_t log_bytes(cc_stderr_tee *tee, const char *chunk, size_t n, char *kept) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = chunk[i];
        if (!tee->in_bar && c == '\r' && tee->tty) {
            tee->in_bar = 1, tee->escape = 0;
            continue;
        }
        if (!tee->in_bar) {
            kept[k++] = c;
            continue;
        }
        /* "\033[K" ends a redraw; a newline would too (a '\r' that began none) */
        if (c == '\033') tee->escape = 1;
        else if (c == '[' && tee->escape == 1) tee->escape = 2;
        else if (c == 'K' && tee->escape == 2) tee->in_bar = 0;
        else tee->escape = 0;
        if (c == '\n') tee->in_bar = 0, kept[k++] = c;
    }
    return k;
}

static void *drain(void *arg) {
    cc_stderr_tee *tee = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* EPIPE, not SIGPIPE; Ctrl-C on the threads that work */
    char chunk[4096], kept[4096];
    for (;;) {
        ssize_t got = read(tee->read_end, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        size_t k = log_bytes(tee, chunk, (size_t)got, kept);
        if (!tee->same_file) write_all(tee->terminal, chunk, (size_t)got);
        write_all(tee->log, kept, k);
        collect(tee, kept, k);
    }
    if (tee->line_len > 0) take_line(tee); /* a last line without its newline */
    return NULL;
}

int cc_stderr_tee_begin(cc_stderr_tee *tee, int log_fd, char *warnings, size_t warnings_cap) {
    memset(tee, 0, sizeof *tee);
    tee->log = log_fd, tee->warnings = warnings, tee->warnings_cap = warnings_cap, tee->read_end = -1;
    tee->warnings_full = strstr(warnings, MORE) != NULL; /* marked full by an earlier tee */
    if (log_fd == STDERR_FILENO) return -1; /* stderr was closed, the log took its number: it gets stderr as is */
    int ends[2];
    if (pipe(ends) != 0) return -1;
    fcntl(ends[0], F_SETFD, FD_CLOEXEC), fcntl(ends[1], F_SETFD, FD_CLOEXEC); /* no exec'd child holds them */
    tee->terminal = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    if (tee->terminal < 0) {
        close(ends[0]), close(ends[1]);
        return -1;
    }
    tee->same_file = same_file(tee->terminal, log_fd);
    tee->tty = isatty(tee->terminal);
    tee->read_end = ends[0];
    int started = pthread_create(&tee->thread, NULL, drain, tee) == 0;
    if (!started || dup2(ends[1], STDERR_FILENO) < 0) {
        close(ends[1]); /* the thread, if it started, sees the end */
        if (started) pthread_join(tee->thread, NULL);
        close(ends[0]), close(tee->terminal);
        tee->read_end = -1;
        return -1;
    }
    close(ends[1]); /* fd 2 holds the write end now: restoring fd 2 ends the copy */
    if (tee->tty) setenv(CC_TEE_TTY_ENV, "1", 1);
    return 0;
}

void cc_stderr_tee_end(cc_stderr_tee *tee) {
    if (tee->read_end < 0) return;
    if (tee->tty) unsetenv(CC_TEE_TTY_ENV);
    dup2(tee->terminal, STDERR_FILENO); /* the pipe's last write end closed: the thread reads to its end */
    pthread_join(tee->thread, NULL);
    close(tee->read_end), close(tee->terminal);
    tee->read_end = -1;
}
