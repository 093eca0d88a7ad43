#define _DEFAULT_SOURCE /* realpath (X/Open), beside the POSIX 2008 the build asks for */
/* crawler/whole_file.h */
#include "crawler/whole_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "crawler/printable.h"

/* The directory of a path ("." when it has none) and its last part. */
static void split_path(const char *path, char *dir, size_t dir_len, const char **base) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dir_len, ".");
        *base = path;
    } else if (slash == path) {
        snprintf(dir, dir_len, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, dir_len, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
    }
}

/* Whether `tail` ends a leftover's name: nothing, or the side file SQLite keeps beside a
 * database being written (a GeoPackage written through GDAL: "-journal", or "-wal" and
 * "-shm"), which a kill leaves behind with the temporary. */
static int leftover_tail(const char *tail) {
    return !strcmp(tail, "") || !strcmp(tail, "-journal") || !strcmp(tail, "-wal") || !strcmp(tail, "-shm");
}

/* How much of a final name `base` its temporaries keep: all of it, or where
 * "<base>.tmp-<pid>-journal" would pass NAME_MAX, the first bytes that leave room (cut
 * between characters). A 251-byte name is a valid one; its temporary must be too. */
enum { TEMP_BASE_MOST = NAME_MAX - 5 - 20 - 8 }; /* ".tmp-", a pid, "-journal" */
static size_t temp_base_length(const char *base) {
    size_t n = strlen(base);
    return n <= TEMP_BASE_MOST ? n : cc_utf8_prefix(base, TEMP_BASE_MOST);
}

/* The pid of a leftover's name "<base's first n bytes>.tmp-<pid>[-journal|-wal|-shm]",
 * or 0 when the name is not one. */
static long leftover_pid(const char *name, const char *base, size_t n) {
    if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp-", 5) != 0) return 0;
    char *end;
    long pid = strtol(name + n + 5, &end, 10);
    return leftover_tail(end) && pid > 0 ? pid : 0;
}

/* Removes "<base>.tmp-<pid>" files (and their SQLite side files) in dir whose process no
 * longer exists. */
static void remove_leftovers(const char *dir, const char *base) {
    DIR *d = opendir(dir);
    if (!d) return;
    size_t kept = temp_base_length(base);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        long pid = leftover_pid(e->d_name, base, kept);
        if (pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* The temporaries being written, for a signal handler to remove (the one list of process
 * state here: a handler cannot be handed anything). A slot is FREE, SETTING (its name
 * being written: the handler skips it) or WRITING. Every begin is ended by a commit or
 * an abandon (a write that fails after begin abandons), or its slot stays taken. Files
 * are written from one thread at a time, so the handler never reads a name being
 * rewritten for another file. More writes at once than slots are not
 * listed: a signal leaves those for the next run to remove, as a kill -9 does. */
enum { SLOT_FREE, SLOT_SETTING, SLOT_WRITING, SLOTS = 8 };
static atomic_int slot_state[SLOTS];
static char slot_temp[SLOTS][sizeof ((cc_whole_file *)0)->temp];

static void list_temporary(cc_whole_file *f) {
    f->slot = -1;
    for (int i = 0; i < SLOTS; i++) {
        int expected = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slot_state[i], &expected, SLOT_SETTING)) continue;
        memcpy(slot_temp[i], f->temp, sizeof f->temp);
        atomic_store(&slot_state[i], SLOT_WRITING);
        f->slot = i;
        return;
    }
}

static void unlist_temporary(cc_whole_file *f) {
    if (f->slot < 0 || f->slot >= SLOTS) return;
    atomic_store(&slot_state[f->slot], SLOT_FREE);
    f->slot = -1;
}

/* unlink(name + tail), composed without stdio (this runs in a signal handler). */
static void unlink_with_tail(const char *name, const char *tail) {
    char path[sizeof ((cc_whole_file *)0)->temp + 16];
    size_t n = strlen(name), t = strlen(tail);
    if (n + t >= sizeof path) return;
    memcpy(path, name, n);
    memcpy(path + n, tail, t + 1);
    unlink(path);
}

/* The held directory: its paths are set before `held` turns 1 and freed after it turns 0,
 * so that the handler reads them whole or not at all. */
static atomic_int held;
static char **held_paths, *held_dir;
static int held_count;

int cc_whole_file_hold_directory(const char *dir, const char *const *paths, int count) {
    cc_whole_file_release_directory();
    char **copies = calloc((size_t)(count > 0 ? count : 1), sizeof *copies), *dir_copy = strdup(dir);
    int ok = copies && dir_copy;
    for (int i = 0; ok && i < count; i++) ok = (copies[i] = strdup(paths[i])) != NULL;
    if (!ok) {
        for (int i = 0; copies && i < count; i++) free(copies[i]);
        free(copies), free(dir_copy);
        return -1;
    }
    held_paths = copies, held_dir = dir_copy, held_count = count;
    atomic_store(&held, 1);
    return 0;
}

void cc_whole_file_release_directory(void) {
    if (!atomic_exchange(&held, 0)) return;
    for (int i = 0; i < held_count; i++) free(held_paths[i]);
    free(held_paths), free(held_dir);
    held_paths = NULL, held_dir = NULL, held_count = 0;
}

void cc_whole_file_remove_temporaries(void) {
    static const char *const tails[] = {"", "-journal", "-wal", "-shm"};
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load(&slot_state[i]) != SLOT_WRITING) continue;
        for (size_t k = 0; k < sizeof tails / sizeof tails[0]; k++) unlink_with_tail(slot_temp[i], tails[k]);
    }
    if (!atomic_load(&held)) return;
    for (int i = 0; i < held_count; i++) unlink(held_paths[i]);
    rmdir(held_dir);
}

/* A name that is a symbolic link to a file: the file it names (the link stays a link, and
 * the temporary goes beside the file, on its file system). 0, or -1 with err. */
static int link_target(const char *path, char *target, size_t target_len, char *err, size_t err_len) {
    struct stat st;
    snprintf(target, target_len, "%s", path);
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;
    char resolved[PATH_MAX];
    if (!realpath(path, resolved)) {
        snprintf(err, err_len, "%.2000s: cannot write it: a symbolic link to nothing there (%s)", path, strerror(errno));
        return -1;
    }
    if (strlen(resolved) >= target_len) {
        snprintf(err, err_len, "%.200s...: the file the link names has too long a name", path);
        return -1;
    }
    snprintf(target, target_len, "%s", resolved);
    return 0;
}

/* Whether the file at `path` is an SQLite database (its 16-byte header): an incident store
 * given as another command's output (raster --out, report --out) was replaced by it, days
 * of crawling lost to a typo (a probe, a reviewer). */
static int is_sqlite_database(const char *path) {
    char head[16];
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    return got == (ssize_t)sizeof head && !memcmp(head, "SQLite format 3", 16);
}

int cc_has_hdf5_signature(FILE *f) {
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    for (long at = 0; at <= (1L << 20); at = at ? 2 * at : 512)
        if (fseek(f, at, SEEK_SET) != 0 || fread(head, 1, 8, f) != 8) return 0;
        else if (!memcmp(head, signature, 8)) return 1;
    return 0;
}

int cc_whole_file_refuse_hdf5(const char *path, const char *writing, char *err, size_t err_len) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a pipe's name is not waited on */
    struct stat st;
    if (fd < 0) return 0;
    FILE *f = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "rb") : NULL;
    int hdf5 = f && cc_has_hdf5_signature(f);
    if (f) fclose(f);
    else close(fd);
    if (!hdf5) return 0;
    snprintf(err, err_len, "%.2000s: cannot write %s there: an HDF5 file is there (a tensor, model or forecast?), "
             "which it would replace; name another file, or remove that one", path, writing);
    return -1;
}

/* A GeoPackage is an SQLite database that export writes whole, over an older one. */
static int has_suffix_ignoring_case(const char *name, const char *suffix) {
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && !strcasecmp(name + n - k, suffix);
}

/* cc_whole_file_check, the file written (a link's target) into path[path_len]. */
static int check_and_resolve(const char *named, char *path, size_t path_len, char *err, size_t err_len) {
    if (strlen(named) >= path_len) {
        snprintf(err, err_len, "%.200s...: the file name is too long", named);
        return -1;
    }
    if (link_target(named, path, path_len, err, err_len) != 0) return -1; /* the file a link names is written */
    char dir[4096];
    const char *base;
    split_path(path, dir, sizeof dir, &base);
    struct stat st; /* said here: a writer's own failure (libhdf5's, GDAL's) names no cause */
    if (stat(dir, &st) != 0) {
        snprintf(err, err_len, "%.2000s: cannot write it: the directory %.2000s: %s", path, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%.2000s: cannot write it: %.2000s is not a directory", path, dir);
        return -1;
    }
    if (access(dir, W_OK) != 0) {
        snprintf(err, err_len, "%.2000s: cannot write it: the directory %.2000s: %s", path, dir, strerror(errno));
        return -1;
    }
    if (!*base || strlen(base) > NAME_MAX) {
        snprintf(err, err_len, "%.2000s: cannot write it: %s", path,
                 *base ? "a file name longer than 255 bytes" : "the path names a directory, not a file");
        return -1;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%.2000s: cannot write it: a directory is there", path);
        return -1;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* a rename would replace the FIFO or device unread */
        snprintf(err, err_len, "%.2000s: cannot write it: not a regular file (a pipe, a device or a socket): crimecast "
                 "writes a file whole, renaming it over the name when done; give a file name", path);
        return -1;
    }
    if (is_sqlite_database(path) && !has_suffix_ignoring_case(base, ".gpkg")) {
        snprintf(err, err_len, "%.2000s: cannot write it: an SQLite database is there (an incident store?), which "
                 "crimecast never writes a file over; name another file, or remove that one", path);
        return -1;
    }
    return 0;
}

int cc_whole_file_check(const char *named, char *err, size_t err_len) {
    char path[sizeof ((cc_whole_file *)0)->path];
    return check_and_resolve(named, path, sizeof path, err, err_len);
}

int cc_whole_file_begin(cc_whole_file *f, const char *named, char *err, size_t err_len) {
    f->slot = -1;
    char path[sizeof f->path];
    if (check_and_resolve(named, path, sizeof path, err, err_len) != 0) return -1;
    char dir[4096];
    const char *base;
    split_path(path, dir, sizeof dir, &base);
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->temp, sizeof f->temp, "%.*s.tmp-%ld", (int)((size_t)(base - path) + temp_base_length(base)), path,
             (long)getpid());
    remove_leftovers(dir, base);
    list_temporary(f);
    return 0;
}

/* fsync of a file or directory opened read-only (enough on Linux); 0 or -1. */
static int sync_path(const char *path, int directory) {
    int fd = open(path, O_RDONLY | (directory ? O_DIRECTORY : 0));
    if (fd < 0) return -1;
    int status = fsync(fd);
    close(fd);
    return status;
}

int cc_whole_file_commit(cc_whole_file *f, char *err, size_t err_len) {
    const char *step = NULL;
    struct stat old;
    if (sync_path(f->temp, 0) != 0) step = "flush"; /* before the mode: a file of mode 0200 could not be opened */
    else if (stat(f->path, &old) == 0 && S_ISREG(old.st_mode) && chmod(f->temp, old.st_mode & 0777) != 0)
        step = "give the permissions of the file it replaces to"; /* a file rewritten keeps its owner's settings */
    else if (rename(f->temp, f->path) != 0) step = "rename";
    if (step) {
        snprintf(err, err_len, "%s: cannot %s the file written (%s)", f->path, step, strerror(errno));
        unlink(f->temp);
        unlist_temporary(f);
        return -1;
    }
    unlist_temporary(f); /* renamed: nothing of it is left under the temporary name */
    char dir[4096];
    const char *base;
    split_path(f->path, dir, sizeof dir, &base);
    sync_path(dir, 1); /* best effort: some file systems refuse to sync a directory */
    return 0;
}

void cc_whole_file_abandon(cc_whole_file *f) {
    unlink(f->temp);
    unlist_temporary(f);
}

FILE *cc_whole_file_fopen(cc_whole_file *f, const char *path, char *err, size_t err_len) {
    if (cc_whole_file_begin(f, path, err, err_len) != 0) return NULL;
    FILE *stream = fopen(f->temp, "wb");
    if (!stream) {
        snprintf(err, err_len, "%s: cannot write (%s)", path, strerror(errno));
        cc_whole_file_abandon(f); /* off the list a signal handler removes */
    }
    return stream;
}

int cc_whole_file_fclose(cc_whole_file *f, FILE *stream, int ok, char *err, size_t err_len) {
    /* a write that failed before the last flush (ENOSPC on a full buffer) shows only in
     * the stream's error flag: fclose reports the last flush alone */
    int failed_write = ferror(stream), failed_close = fclose(stream) != 0, why = errno;
    if (ok && !failed_write && !failed_close) return cc_whole_file_commit(f, err, err_len);
    cc_whole_file_abandon(f);
    if (failed_close) snprintf(err, err_len, "%s: cannot write (%s)", f->path, strerror(why));
    else snprintf(err, err_len, "%s: cannot write (a write failed: disk full?)", f->path); /* a caller may say more */
    return -1;
}

int cc_no_room_for_write(int code) { return code == ENOSPC || code == EDQUOT || code == EFBIG; }
