/* One process at a time reading, changing and rewriting one file (covariates adds maps to
 * a tensor file: two runs at once each read the file, added their maps and renamed their
 * copy over it, and the later one's copy lacked the earlier one's maps, exit 0 both).
 *
 * The lock is an open-file-description lock (Linux's F_OFD_SETLKW) on the file itself,
 * taken again on the new file when the one locked was renamed over meanwhile (the writer
 * before this one replaced it): unlike POSIX record locks it is not dropped when the
 * process closes another descriptor of the file (HDF5 opens and closes its own), and it
 * does not meet HDF5's flock() locks. Held until cc_file_lock_release, or the process ends.
 * A file this process may not write (its permission, read-only media) is not locked: a
 * write lock needs a descriptor open for writing; nor one on a network file system (NFS,
 * CIFS), where Linux emulates flock() with byte-range locks and HDF5's would meet it, or
 * on one without such locks. */
#ifndef CRIMECAST_CRAWLER_FILE_LOCK_H
#define CRIMECAST_CRAWLER_FILE_LOCK_H

#include <stddef.h>

typedef struct cc_file_lock {
    int fd;
} cc_file_lock;

/* Waits for `path` to be free (saying so on stderr when it is not at once, as `who`),
 * then holds it. 0, or -1 with err (no such file, or the lock cannot be taken). */
int cc_file_lock_take(cc_file_lock *lock, const char *path, const char *who, char *err, size_t err_len);

void cc_file_lock_release(cc_file_lock *lock);

#endif
