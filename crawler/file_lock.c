/* crawler/file_lock.h */
#define _GNU_SOURCE /* F_OFD_SETLK, F_OFD_SETLKW */
#include "crawler/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Network file systems emulate flock() with byte-range locks (Linux's NFS client, CIFS):
 * there this process's lock would meet HDF5's own flock() of the file. */
static int on_network_file_system(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return 0;
    unsigned long type = (unsigned long)fs.f_type;
    return type == 0x6969UL /* NFS */ || type == 0xFF534D42UL /* CIFS */ || type == 0xFE534D42UL /* SMB2 */;
}

static int set_lock(int fd, int wait) {
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0};
    return fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &whole);
}

int cc_file_lock_take(cc_file_lock *lock, const char *path, const char *who, char *err, size_t err_len) {
    lock->fd = -1;
    for (int said = 0;;) {
        int fd = open(path, O_RDWR | O_CLOEXEC); /* a write lock needs a descriptor that may write */
        if (fd < 0 && (errno == EACCES || errno == EROFS)) {
            /* a file without write permission (replaced by rename all the same) or on
             * read-only media: no lock to take; what comes next says if it cannot go on */
            lock->fd = open(path, O_RDONLY | O_CLOEXEC);
            if (lock->fd >= 0) return 0;
        }
        if (fd < 0) {
            snprintf(err, err_len, "%s: cannot open it: %s", path, strerror(errno));
            return -1;
        }
        if (on_network_file_system(fd)) { /* no lock: runs at once there are the caller's to avoid */
            lock->fd = fd;
            return 0;
        }
        int held = set_lock(fd, 0) == 0;
        if (!held && (errno == EAGAIN || errno == EACCES)) {
            if (!said++) fprintf(stderr, "%s: %s is being changed by another process: waiting for it\n", who, path);
            held = set_lock(fd, 1) == 0;
        }
        if (!held && (errno == EINVAL || errno == ENOLCK || errno == ENOSYS || errno == EOPNOTSUPP)) {
            lock->fd = fd; /* a file system without such locks: go on without, as before them */
            return 0;
        }
        if (!held) {
            snprintf(err, err_len, "%s: cannot lock it: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        struct stat mine, now; /* still the file at `path`, or replaced while this one waited? */
        if (fstat(fd, &mine) == 0 && stat(path, &now) == 0 && mine.st_dev == now.st_dev && mine.st_ino == now.st_ino) {
            lock->fd = fd;
            return 0;
        }
        close(fd); /* the lock goes with it; take the new file's */
    }
}

void cc_file_lock_release(cc_file_lock *lock) {
    if (lock->fd >= 0) close(lock->fd);
    lock->fd = -1;
}
