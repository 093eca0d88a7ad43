/* Files written whole or not at all, and durably: every file crimecast writes (tensors,
 * forecasts, model files, PNGs, configurations, reports) is written under a temporary
 * name beside its final one, flushed to the disk (fsync), renamed over the final name,
 * and the rename itself flushed (fsync of the directory). A crash or a kill -9 leaves
 * either the old file or the new one under the final name, never half of one; after a
 * power loss the file that was renamed is the file that is there.
 *
 * The temporary name is "<final>.tmp-<pid>" (a final name of more than 222 bytes keeps
 * its first 222 there, so the temporary is a valid name too). A run killed mid-write leaves its temporary
 * behind (a GeoPackage also its SQLite "-journal", "-wal" or "-shm" beside it); the next
 * write of the same final name removes every such leftover whose process is gone (a live
 * process's temporary is another run's write in progress, left alone). A process that
 * dies of a signal it can catch (Ctrl-C, kill) removes its own: the temporaries being
 * written are listed (between begin and commit or abandon), and its signal handler calls
 * cc_whole_file_remove_temporaries (host/ctrl_c.h installs it). */
#ifndef CRIMECAST_CRAWLER_WHOLE_FILE_H
#define CRIMECAST_CRAWLER_WHOLE_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct cc_whole_file {
    char path[4096];     /* the final name */
    char temp[4200];     /* what the caller writes */
    int slot;            /* its place in the list a signal handler removes (-1: none) */
} cc_whole_file;

/* Whether `path` can be written whole, before any work is spent on it: its directory is
 * there, is one and may be written, the name fits a directory entry, and nothing but a
 * regular file has that name (not a directory; not a pipe, device or socket, which the
 * rename would replace unread), and that file is no SQLite database (an incident store;
 * a GeoPackage, .gpkg, aside). 0, or -1 with err naming the cause. */
int cc_whole_file_check(const char *path, char *err, size_t err_len);

/* Whether stream f starts like an HDF5 file: the signature at byte 0, 512, 1024, 2048, ...
 * (where a user block may push the superblock). */
int cc_has_hdf5_signature(FILE *f);

/* For writers of other kinds (a PNG, an HTML page, a CSV): -1 with err when `path` is an
 * HDF5 file (its signature), which they would replace (png --out t.h5 replaced a tensor;
 * a probe); `writing` names what would be written ("a PNG"). 0 otherwise. */
int cc_whole_file_refuse_hdf5(const char *path, const char *writing, char *err, size_t err_len);

/* Prepares writing `path`: cc_whole_file_check, the temporary name in f->temp, and the
 * leftovers of killed runs removed. A `path` that is a symbolic link to a file writes
 * that file (f->path; the link stays a link). 0, or -1 with err. */
int cc_whole_file_begin(cc_whole_file *f, const char *path, char *err, size_t err_len);

/* The temporary file, written and closed by the caller, becomes `path`: flushed, given
 * the permissions of the file it replaces (if any), renamed, the directory flushed.
 * 0, or -1 with err (the temporary removed). */
int cc_whole_file_commit(cc_whole_file *f, char *err, size_t err_len);

/* Gives up: removes the temporary file, if any. */
void cc_whole_file_abandon(cc_whole_file *f);

/* Removes every temporary this process is writing now, with its SQLite side files; for a
 * signal handler about to end the process (async-signal-safe: unlink and lock-free
 * atomics only). The writes it cuts short are not committed: their final names keep
 * the old files. */
void cc_whole_file_remove_temporaries(void);

/* A directory of the process's own temporaries (tune's candidates in $TMPDIR): while it is
 * held, cc_whole_file_remove_temporaries also removes the files at `paths` (`count` of
 * them, copied here) and then the directory (a tune ended by SIGTERM left them; a probe).
 * One at a time; 0, or -1 when out of memory (then nothing is held). */
int cc_whole_file_hold_directory(const char *dir, const char *const *paths, int count);
/* Stops holding it (the caller removes what it means to remove). */
void cc_whole_file_release_directory(void);

/* The same for stdio writes: begin, and the temporary opened for writing ("wb"). NULL
 * with err. */
FILE *cc_whole_file_fopen(cc_whole_file *f, const char *path, char *err, size_t err_len);
/* Closes what cc_whole_file_fopen opened and commits it, or abandons it when `ok` is 0
 * (the caller's work failed), a write to the stream failed (its error flag) or the close
 * fails. 0, or -1 with err. */
int cc_whole_file_fclose(cc_whole_file *f, FILE *stream, int ok, char *err, size_t err_len);

/* Whether a failed write's errno says no room was left for it: a full disk (ENOSPC), a
 * quota (EDQUOT) or the file-size limit (EFBIG, ulimit -f): the machine's state, which
 * the messages name, not the file's or the program's fault. */
int cc_no_room_for_write(int code);

#endif
