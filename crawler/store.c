#include "crawler/store.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "crawler/clock.h"
#include "crawler/whole_file.h"

enum { ROWS_PER_STATEMENT = 32, COLUMNS = 10 };

struct cc_store {
    sqlite3 *db;
    sqlite3_stmt *insert;        /* one row */
    sqlite3_stmt *insert_many;   /* ROWS_PER_STATEMENT rows: fewer VM steps per row */
    char *path;
    char message[512];           /* store_error_text's, when it adds to SQLite's */
};

static const char SCHEMA_SQL[] =
    "CREATE TABLE incidents ("
    "  id INTEGER PRIMARY KEY,"
    "  city TEXT NOT NULL,"
    "  source_id TEXT NOT NULL,"
    "  occurred TEXT NOT NULL,"
    "  time_precision TEXT NOT NULL,"
    "  lat REAL NOT NULL,"
    "  lon REAL NOT NULL,"
    "  loc_precision TEXT NOT NULL,"
    "  category TEXT NOT NULL,"
    "  raw_type TEXT,"
    "  description TEXT,"
    "  UNIQUE (city, source_id)"
    ");"
    "CREATE INDEX incidents_city_occurred ON incidents (city, occurred);";

/* Schema 2: where each crawl stands, committed with every page (see cc_store_set_crawl_position). */
static const char CRAWL_STATE_SQL[] =
    "CREATE TABLE crawl_state ("
    "  city TEXT NOT NULL,"
    "  source TEXT NOT NULL,"       /* dataset id, or 'police.uk' */
    "  span TEXT NOT NULL,"         /* the query window: dates, tile */
    "  next_offset INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL,"
    "  updated TEXT NOT NULL,"
    "  PRIMARY KEY (city, source, span)"
    ");";

static const char INSERT_SQL[] =
    "INSERT OR IGNORE INTO incidents (city, source_id, occurred, time_precision, lat, lon,"
    " loc_precision, category, raw_type, description) VALUES ";
static const char ROW_PLACEHOLDERS[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static sqlite3_stmt *prepare_insert(sqlite3 *db, int rows) {
    char sql[sizeof INSERT_SQL + ROWS_PER_STATEMENT * (sizeof ROW_PLACEHOLDERS + 1)];
    size_t n = (size_t)snprintf(sql, sizeof sql, "%s", INSERT_SQL);
    for (int i = 0; i < rows; i++)
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s", i ? "," : "", ROW_PLACEHOLDERS);
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    return stmt;
}

/* The system's word for SQLite's last I/O failure ("No space left on device"), which
 * SQLite's own message ("disk I/O error") leaves out. */
static const char *system_error_text(sqlite3 *db) {
    int code = sqlite3_system_errno(db);
    return code ? strerror(code) : "no system error given";
}

/* Whether SQLite's last I/O failure was a full disk or a file-size limit. */
static int no_room(sqlite3 *db) { return cc_no_room_for_write(sqlite3_system_errno(db)); }

/* SQLite's message, or for a store another process holds past the busy timeout what an
 * analyst should do about it (it said only "database is locked"); an I/O failure with the
 * system's cause (a file-size limit said only "disk I/O error"; a probe). */
static const char *store_error_text(cc_store *s) {
    int code = sqlite3_errcode(s->db) & 0xff;
    if (code == SQLITE_BUSY)
        return "the store is busy: another process (an import, crawl or synth?) is writing it; run again when it is "
               "done";
    if (code != SQLITE_IOERR && code != SQLITE_FULL) return sqlite3_errmsg(s->db);
    struct rlimit size;
    if (!sqlite3_system_errno(s->db)) { /* lost in SQLite's rollback: what can be told without it */
        int limited = getrlimit(RLIMIT_FSIZE, &size) == 0 && size.rlim_cur != RLIM_INFINITY;
        snprintf(s->message, sizeof s->message, "%s (%s)", sqlite3_errmsg(s->db),
                 limited ? "a file-size limit is set, ulimit -f: is the store past it? Or the disk full" : "the disk "
                                                                                                      "full, or failing?");
        return s->message;
    }
    int room = no_room(s->db);
    snprintf(s->message, sizeof s->message, "%s (%s%s)", sqlite3_errmsg(s->db), system_error_text(s->db),
             !room ? "" : sqlite3_system_errno(s->db) == EFBIG ? ": past the file-size limit, ulimit -f"
                                                               : ": make room on the disk and run again");
    return s->message;
}

static int exec(cc_store *s, const char *sql, char *err, size_t err_len) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    int code = sqlite3_errcode(s->db) & 0xff; /* these said with what to do, or the system's cause */
    int explained = code == SQLITE_BUSY || code == SQLITE_IOERR || code == SQLITE_FULL;
    snprintf(err, err_len, "%s: %s", s->path, msg && !explained ? msg : store_error_text(s));
    sqlite3_free(msg);
    return -1;
}

static int query_int(cc_store *s, const char *sql, long long *value) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The schema version and how many objects the store holds, read in one statement (one
 * snapshot: read apart, another process making the schema between them showed a version
 * 0 with tables, "not a crimecast store"). 0, or -1. */
static int read_schema_state(cc_store *s, long long *version, long long *objects) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(s->db, "SELECT (SELECT user_version FROM pragma_user_version), "
                                  "(SELECT count(*) FROM sqlite_master)", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *version = sqlite3_column_int64(stmt, 0), *objects = sqlite3_column_int64(stmt, 1);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* A new store into write-ahead-log mode. SQLite answers a busy store at once here, the
 * busy handler aside (another process making the same new store held it: "database is
 * locked" after 0.1 s): tried again for up to the busy timeout's 10 s. */
static int set_wal(cc_store *s, char *err, size_t err_len) {
    for (double start = cc_now_seconds();;) {
        int rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL;", NULL, NULL, NULL);
        if (rc == SQLITE_OK) return 0;
        if ((rc & 0xff) != SQLITE_BUSY || cc_now_seconds() - start > 10.0) break;
        sqlite3_sleep(20);
    }
    snprintf(err, err_len, "%s: %s", s->path, store_error_text(s));
    return -1;
}

/* Why the store's first query failed: a store or directory that cannot be written (SQLite's
 * write-ahead log keeps two files beside the store, and even a reader makes one), or a
 * file that is no database. */
static void unreadable(cc_store *s, char *err, size_t err_len) {
    int code = sqlite3_errcode(s->db) & 0xff;
    if (code == SQLITE_BUSY)
        snprintf(err, err_len, "%s: %s", s->path, store_error_text(s));
    else if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN)
        snprintf(err, err_len, "%s: the store or its directory cannot be written, and SQLite's write-ahead log keeps "
                 "its files beside the store (copy it where you can write, or, to read it in place, take the write "
                 "permission off it and its directory: chmod a-w): %s", s->path, sqlite3_errmsg(s->db));
    else if (code == SQLITE_FULL || (code == SQLITE_IOERR && no_room(s->db))) /* not the store's fault */
        snprintf(err, err_len, "%s: the store could not be opened: %s (%s): even to read a store SQLite writes its "
                 "write-ahead log's two files beside it (STORE-wal, STORE-shm); make room on that disk (or raise a "
                 "ulimit -f) and run again", s->path, sqlite3_errmsg(s->db), system_error_text(s->db));
    else if (code == SQLITE_IOERR) /* a failing disk or a network file system's locks: nothing to advise */
        snprintf(err, err_len, "%s: the store could not be read: %s (%s)", s->path, sqlite3_errmsg(s->db),
                 system_error_text(s->db));
    else
        snprintf(err, err_len, "%s: not a readable SQLite database: %s", s->path, sqlite3_errmsg(s->db));
}

/* Brings a store to the current schema in one transaction, from the version read inside
 * it (0: empty): another process opening the same new store may have made the schema
 * since this one looked (two making it failed with "table incidents already exists"). */
static int upgrade(cc_store *s, char *err, size_t err_len) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", CC_STORE_SCHEMA_VERSION);
    if (exec(s, "BEGIN IMMEDIATE;", err, err_len) != 0) return -1;
    long long version = 0;
    int status = query_int(s, "PRAGMA user_version", &version);
    if (status != 0) unreadable(s, err, err_len);
    if (status == 0 && version > CC_STORE_SCHEMA_VERSION) { /* a newer crimecast made it meanwhile */
        snprintf(err, err_len, "%s: store schema version %lld, this crimecast reads versions up to %d", s->path, version,
                 CC_STORE_SCHEMA_VERSION);
        status = -1;
    }
    if (status == 0 && version < 1) status = exec(s, SCHEMA_SQL, err, err_len);
    if (status == 0 && version < 2) status = exec(s, CRAWL_STATE_SQL, err, err_len);
    if (status == 0) status = exec(s, sql, err, err_len);
    if (status == 0) status = exec(s, "COMMIT;", err, err_len);
    if (status != 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return status;
}

/* Creates the schema in an empty database, upgrades an older one, or refuses. */
static int ensure_schema(cc_store *s, char *err, size_t err_len) {
    long long version = 0, objects = 0;
    if (read_schema_state(s, &version, &objects) != 0) {
        unreadable(s, err, err_len);
        return -1;
    }
    if (version == 0 && objects == 0) {
        if (set_wal(s, err, err_len) != 0) return -1;
        return upgrade(s, err, err_len);
    }
    if (version == 0) {
        snprintf(err, err_len, "%s: a SQLite database but not a crimecast store (no schema version)",
                 s->path);
        return -1;
    }
    if (version > CC_STORE_SCHEMA_VERSION) {
        snprintf(err, err_len, "%s: store schema version %lld, this crimecast reads versions up to %d",
                 s->path, version, CC_STORE_SCHEMA_VERSION);
        return -1;
    }
    return version < CC_STORE_SCHEMA_VERSION ? upgrade(s, err, err_len) : 0;
}

/* What a reader needs of an existing store: a crimecast schema of a version it knows (a
 * version-1 store holds the incidents as version 2 does; it is upgraded when next
 * written). */
static int check_schema_to_read(cc_store *s, char *err, size_t err_len) {
    long long version = 0, objects = 0;
    if (read_schema_state(s, &version, &objects) != 0) {
        unreadable(s, err, err_len);
        return -1;
    }
    if (version >= 1 && version <= CC_STORE_SCHEMA_VERSION) return 0;
    if (version == 0 && objects == 0) return 1; /* an empty database: a store with nothing in it yet */
    if (version == 0)
        snprintf(err, err_len, "%s: not a crimecast store (no schema version)", s->path);
    else
        snprintf(err, err_len, "%s: store schema version %lld, this crimecast reads versions up to %d", s->path,
                 version, CC_STORE_SCHEMA_VERSION);
    return -1;
}

/* Whether commits may wait in the store's write-ahead log (a writer killed before it
 * merged them): a store read as immutable would not see them. */
static int has_unmerged_log(const char *path) {
    size_t n = strlen(path);
    char *wal = malloc(n + 5);
    struct stat st;
    int has = wal && (sprintf(wal, "%s-wal", path), stat(wal, &st) == 0) && st.st_size > 0;
    free(wal);
    return has || !wal;
}

/* Any write permission bit. */
#define WRITABLE (S_IWUSR | S_IWGRP | S_IWOTH)

/* The directory `path` is in, where SQLite keeps its -wal and -shm files: "." for a bare
 * name, "/" at the root; in `out` (PATH_MAX bytes, a longer one cut: its stat fails). */
static const char *folder_of(const char *path, char out[PATH_MAX]) {
    const char *slash = strrchr(path, '/');
    if (!slash) return ".";
    if (slash == path) return "/";
    snprintf(out, PATH_MAX, "%.*s", (int)(slash - path), path);
    return out;
}

/* Whether no one can change the store at `path`: the file carries no write permission for
 * anyone, and either its directory none either or it lies on a read-only file system (a
 * read-only mount alone is not enough: the same files may be written through another);
 * and no commit waits in its log (has_unmerged_log). Only then may it be read as
 * immutable: SQLite then reads it without locks, which a writer at the same time would
 * turn into wrong answers. */
static int no_one_writes(const char *path) {
    struct stat file, dir;
    struct statvfs fs;
    char folder[PATH_MAX];
    if (access(path, R_OK) != 0 || stat(path, &file) != 0 || has_unmerged_log(path)) return 0;
    int read_only_fs = statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY);
    int dir_locked = stat(folder_of(path, folder), &dir) == 0 && !(dir.st_mode & WRITABLE);
    return !(file.st_mode & WRITABLE) && (read_only_fs || dir_locked);
}

/* `path` as an SQLite URI file name (RFC 3986: %, ?, # and the like escaped). */
static char *file_uri(const char *path, const char *query) {
    size_t n = strlen(path);
    char *uri = malloc(3 * n + strlen(query) + 10);
    if (!uri) return NULL;
    size_t k = (size_t)sprintf(uri, path[0] == '/' ? "file://" : "file:"); /* "file:///a": no authority */
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (isalnum(*c) || strchr("/-._~", *c)) uri[k++] = (char)*c;
        else k += (size_t)sprintf(uri + k, "%%%02X", *c);
    sprintf(uri + k, "?%s", query);
    return uri;
}

/* SQLite's memory statistics take a global mutex on every allocation; crimecast never
 * reads them, and turning them off makes bulk imports markedly faster. This is
 * process-wide SQLite configuration, set once before SQLite initialises. */
static void configure_sqlite(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/* The name SQLite opens for the file `path`: Debian's SQLite takes a name beginning with
 * "file:" as a URI (and PROJ has initialised it before any setting could say otherwise),
 * which opened x.db for "file:x.db" while crimecast checked, locked and named
 * "file:x.db"; "./file:x.db" is the file itself. Into buffer (PATH_MAX). */
static const char *file_name_for_sqlite(const char *path, char *buffer) {
    if (strncmp(path, "file:", 5) != 0) return path;
    snprintf(buffer, PATH_MAX, "./%s", path);
    return buffer;
}

cc_store *cc_store_open_existing(const char *path, char *err, size_t err_len) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            snprintf(err, err_len, "%s: no incident store here: import or crawl into it first, or name another with --db",
                     path);
        else
            snprintf(err, err_len, "%s: cannot open the incident store: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%s: a directory, not an incident store", path);
        return NULL;
    }
    return cc_store_open_to_read(path, err, err_len);
}

/* An unopened store named `path`, SQLite configured once for the process (both ways of
 * opening start here, so configure_sqlite runs once whichever comes first). NULL with
 * err when out of memory. */
static cc_store *new_store(const char *path, char *err, size_t err_len) {
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    cc_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, err_len, "%s: out of memory", path);
        return NULL;
    }
    return s;
}

/* Whether this process may write `path` and the directory it is in (where SQLite's
 * write-ahead log and shared-memory files go), and their modes allow writing at all: root
 * passes every access() test, and a store its owner made read-only (chmod a-w) is read
 * as one. */
static int writable_here(const char *path) {
    char folder[PATH_MAX];
    const char *where = folder_of(path, folder);
    struct stat file, dir;
    return access(path, W_OK) == 0 && access(where, W_OK) == 0 && stat(path, &file) == 0 && stat(where, &dir) == 0 &&
           (file.st_mode & WRITABLE) && (dir.st_mode & WRITABLE);
}

/* Opens `name` (a path, or a URI) to read into s; 0, 1 for an empty database (closed
 * again), or -1 with err. Where this process may write the store, the handle is a
 * read-write one held to reading (PRAGMA query_only): SQLite then merges and removes the
 * -wal and -shm files when the last handle closes, which a read-only handle leaves
 * behind (every raster, eval or demo left two stray files beside the store). */
static int open_read_only(cc_store *s, const char *name, int uri, char *err, size_t err_len) {
    int rw = !uri && writable_here(name);
    int flags = (rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0);
    char literal[PATH_MAX];
    if (sqlite3_open_v2(uri ? name : file_name_for_sqlite(name, literal), &s->db, flags, NULL) != SQLITE_OK ||
        (rw && sqlite3_exec(s->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK)) {
        snprintf(err, err_len, "%s: cannot open store: %s", s->path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        s->db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(s->db, 10000);
    int checked = check_schema_to_read(s, err, err_len);
    if (checked == 0) return 0;
    sqlite3_close(s->db);
    s->db = NULL;
    return checked; /* 1: empty */
}

/* Whether `path`, when it exists, is a file SQLite can open: a FIFO made SQLite wait on
 * it forever (raster, baseline --method etas), a directory or device fails obscurely. 0,
 * or -1 with err. */
static int regular_or_absent(const char *path, char *err, size_t err_len) {
    struct stat st;
    if (!path[0] || !strcmp(path, ":memory:")) { /* SQLite's temporary databases: every incident stored is lost */
        snprintf(err, err_len, "%s%s%s names no file but a temporary database of SQLite's, which keeps nothing: name "
                 "the incident store's file%s", path[0] ? "'" : "an empty path", path, path[0] ? "'" : "",
                 path[0] ? " (./:memory: for a file of that name)" : "");
        return -1;
    }
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return 0;
    snprintf(err, err_len, "%s: %s, not an incident store", path,
             S_ISDIR(st.st_mode) ? "a directory" : "not a regular file (a pipe or device)");
    return -1;
}

cc_store *cc_store_open_to_read(const char *path, char *err, size_t err_len) {
    if (regular_or_absent(path, err, err_len) != 0) return NULL;
    cc_store *s = new_store(path, err, err_len);
    if (!s) return NULL;
    int status = open_read_only(s, path, 0, err, err_len);
    if (status == 1) { /* empty: a reader writes nothing, not even a store's tables (a zero-byte --db was
                          * made one by raster, a probe) */
        cc_store_close(s);
        snprintf(err, err_len, "%s: no incident store yet (an empty file or database): import or crawl into it first",
                 path);
        return NULL;
    }
    if (status != 0 && no_one_writes(path)) {
        /* A store no one can change (read-only media, or the file and its directory without
         * write permission): SQLite's write-ahead log cannot make its shared-memory file
         * beside it, and need not, since nothing will write meanwhile. */
        char *uri = file_uri(path, "immutable=1"), first[512];
        snprintf(first, sizeof first, "%s", err);
        status = uri ? open_read_only(s, uri, 1, err, err_len) : -1;
        if (status == 1) snprintf(err, err_len, "%s: an empty store: import or crawl into it first", path);
        else if (status != 0) snprintf(err, err_len, "%s", first);
        free(uri);
    } else if (status != 0 && has_unmerged_log(path)) {
        snprintf(err + strlen(err), err_len - strlen(err), " (its write-ahead log %s-wal holds commits not yet merged "
                 "into it, which only a process that can write beside it can merge)", path);
    }
    if (status != 0) {
        cc_store_close(s);
        return NULL;
    }
    return s;
}

/* The store `path` names, opened as SQLite's `name` for it. */
static cc_store *open_to_write(const char *path, const char *name, char *err, size_t err_len) {
    cc_store *s = new_store(path, err, err_len);
    if (!s) return NULL;
    if (sqlite3_open_v2(name, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, err_len, "%s: cannot open store: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        cc_store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (sqlite3_db_readonly(s->db, "main") == 1) { /* SQLite opens a file it may not write read-only, silently */
        snprintf(err, err_len, "%s: the store cannot be written (its permissions, or a read-only file system): "
                 "nothing done", path);
        cc_store_close(s);
        return NULL;
    }
    /* synchronous=NORMAL is safe in WAL mode: a crash loses at most the last commit, never
     * consistency. A large cache keeps the unique index in memory during big imports. */
    if (ensure_schema(s, err, err_len) != 0 ||
        exec(s, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;"
                "", err, err_len) != 0) {
        cc_store_close(s);
        return NULL;
    }
    s->insert = prepare_insert(s->db, 1);
    s->insert_many = prepare_insert(s->db, ROWS_PER_STATEMENT);
    if (!s->insert || !s->insert_many) {
        snprintf(err, err_len, "%s: %s", path, store_error_text(s));
        cc_store_close(s);
        return NULL;
    }
    return s;
}

cc_store *cc_store_open(const char *path, char *err, size_t err_len) {
    if (regular_or_absent(path, err, err_len) != 0) return NULL;
    char literal[PATH_MAX];
    return open_to_write(path, file_name_for_sqlite(path, literal), err, err_len);
}

cc_store *cc_store_open_in_memory(char *err, size_t err_len) { return open_to_write(":memory:", ":memory:", err, err_len); }

void cc_store_close(cc_store *s) {
    if (!s) return;
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->insert_many);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

int cc_store_begin(cc_store *s, char *err, size_t err_len) {
    return exec(s, "BEGIN IMMEDIATE", err, err_len);
}

int cc_store_commit(cc_store *s, char *err, size_t err_len) { return exec(s, "COMMIT", err, err_len); }

void cc_store_rollback(cc_store *s) {
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text) {
    if (text)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, index);
}

static void bind_incident(sqlite3_stmt *st, int row, const char *city, const cc_incident *inc) {
    int k = row * COLUMNS;
    sqlite3_bind_text(st, k + 1, city, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, k + 2, inc->source_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, k + 3, inc->occurred, 16, SQLITE_STATIC);
    sqlite3_bind_text(st, k + 4, cc_time_precision_name(inc->time_precision), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, k + 5, inc->lat);
    sqlite3_bind_double(st, k + 6, inc->lon);
    sqlite3_bind_text(st, k + 7, cc_loc_precision_name(inc->loc_precision), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, k + 8, inc->category, -1, SQLITE_STATIC);
    bind_text_or_null(st, k + 9, inc->raw_type);
    bind_text_or_null(st, k + 10, inc->description);
}

/* Runs a bound insert statement; returns the rows it inserted, or -1. */
static int run_insert(cc_store *s, sqlite3_stmt *st, char *err, size_t err_len) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_len, "%s: insert failed: %s", s->path, store_error_text(s));
        return -1;
    }
    return sqlite3_changes(s->db);
}

int cc_store_insert(cc_store *s, const char *city, const cc_incident *inc, char *err, size_t err_len) {
    bind_incident(s->insert, 0, city, inc);
    return run_insert(s, s->insert, err, err_len);
}

long cc_store_insert_many(cc_store *s, const char *city, const cc_incident *incidents, int count,
                          char *err, size_t err_len) {
    long inserted = 0;
    int i = 0;
    for (; i + ROWS_PER_STATEMENT <= count; i += ROWS_PER_STATEMENT) {
        for (int r = 0; r < ROWS_PER_STATEMENT; r++) bind_incident(s->insert_many, r, city, &incidents[i + r]);
        int n = run_insert(s, s->insert_many, err, err_len);
        if (n < 0) return -1;
        inserted += n;
    }
    for (; i < count; i++) {
        int n = cc_store_insert(s, city, &incidents[i], err, err_len);
        if (n < 0) return -1;
        inserted += n;
    }
    return inserted;
}

long long cc_store_count(cc_store *s, const char *city) {
    sqlite3_stmt *stmt;
    const char *sql = city ? "SELECT count(*) FROM incidents WHERE city = ?"
                           : "SELECT count(*) FROM incidents";
    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) return -1;
    if (city) sqlite3_bind_text(stmt, 1, city, -1, SQLITE_STATIC);
    long long n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return n;
}

long long cc_store_count_occurred(cc_store *s, const char *city, const char *from, const char *to) {
    sqlite3_stmt *stmt;
    const char *sql = "SELECT count(*) FROM incidents WHERE city = ? AND occurred >= ? AND occurred < ?";
    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(stmt, 1, city, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, to, -1, SQLITE_STATIC);
    long long n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return n;
}

int cc_store_time_range(cc_store *s, const char *city, char first[17], char last[17]) {
    sqlite3_stmt *stmt;
    const char *sql = "SELECT min(occurred), max(occurred) FROM incidents WHERE city = ?";
    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(stmt, 1, city, -1, SQLITE_STATIC);
    int status = 0;
    if (sqlite3_step(stmt) != SQLITE_ROW) status = -1;
    else if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) status = 1;
    else {
        snprintf(first, 17, "%s", (const char *)sqlite3_column_text(stmt, 0));
        snprintf(last, 17, "%s", (const char *)sqlite3_column_text(stmt, 1));
    }
    sqlite3_finalize(stmt);
    return status;
}

/* Rows of the span, through the (city, occurred) index: each row found there costs a
 * jump into the table. When rows were imported out of time order (SF's Kaggle files run
 * backwards) and the span is a large part of the store, those jumps are random reads
 * all over the file; one sequential pass over the table is then much faster. */
/* Prepares a query whose first three parameters are texts (city, from, to; or city,
 * source, span). NULL on error (sqlite3_errmsg says why). */
static sqlite3_stmt *prepare_with_texts(cc_store *s, const char *sql, const char *a, const char *b, const char *c) {
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, c, -1, SQLITE_STATIC);
    return stmt;
}

static int scan_sequentially(cc_store *s, const char *city, const char *from, const char *to) {
    long long in_span = 0, rows = 0;
    sqlite3_stmt *stmt = prepare_with_texts(
        s, "SELECT count(*) FROM incidents WHERE city = ? AND occurred >= ? AND occurred < ?", city, from, to);
    if (!stmt) return 0;
    if (sqlite3_step(stmt) == SQLITE_ROW) in_span = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (query_int(s, "SELECT max(id) FROM incidents", &rows) != 0) return 0;
    return in_span * 4 > rows; /* a quarter of the table or more */
}

int cc_store_scan(cc_store *s, const char *city, const char *from, const char *to, cc_store_visit_fn visit,
                  void *context, char *err, size_t err_len) {
    static const char BY_INDEX[] = "SELECT occurred, lat, lon, category, time_precision, id FROM incidents "
                                   "WHERE city = ? AND occurred >= ? AND occurred < ?";
    static const char BY_TABLE[] = "SELECT occurred, lat, lon, category, time_precision, id FROM incidents NOT INDEXED "
                                   "WHERE city = ? AND occurred >= ? AND occurred < ?";
    const char *sql = scan_sequentially(s, city, from, to) ? BY_TABLE : BY_INDEX;
    sqlite3_stmt *stmt = prepare_with_texts(s, sql, city, from, to);
    if (!stmt) {
        snprintf(err, err_len, "%s: %s", s->path, store_error_text(s));
        return -1;
    }
    int rc, status = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        cc_incident_point point = {(const char *)sqlite3_column_text(stmt, 0), sqlite3_column_double(stmt, 1),
                                   sqlite3_column_double(stmt, 2), (const char *)sqlite3_column_text(stmt, 3),
                                   (const char *)sqlite3_column_text(stmt, 4)};
        if (!point.occurred || !point.category || !point.time_precision) { /* the schema forbids it: an edit */
            snprintf(err, err_len, "%s: the incident of id %lld (city %s) has a NULL %s, which crimecast's schema "
                     "forbids (a store edited, or another tool's?): mend or delete that row", s->path,
                     (long long)sqlite3_column_int64(stmt, 5), city,
                     !point.occurred ? "occurred" : !point.category ? "category" : "time_precision");
            status = -1;
            break;
        }
        if (visit(context, &point) != 0) {
            status = 1;
            break;
        }
    }
    if (status == 0 && rc != SQLITE_DONE) {
        snprintf(err, err_len, "%s: reading incidents: %s", s->path, store_error_text(s));
        status = -1;
    }
    sqlite3_finalize(stmt);
    return status;
}

const char *cc_store_path(const cc_store *s) { return s->path; }

int cc_store_crawl_position(cc_store *s, const char *city, const char *source, const char *window,
                            cc_crawl_position *pos, char *err, size_t err_len) {
    static const char SQL[] =
        "SELECT next_offset, complete FROM crawl_state WHERE city = ? AND source = ? AND span = ?";
    pos->next_offset = 0;
    pos->complete = 0;
    sqlite3_stmt *stmt = prepare_with_texts(s, SQL, city, source, window);
    if (!stmt) {
        snprintf(err, err_len, "%s: %s", s->path, store_error_text(s));
        return -1;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        pos->next_offset = sqlite3_column_int64(stmt, 0);
        pos->complete = sqlite3_column_int(stmt, 1);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(err, err_len, "%s: reading crawl state: %s", s->path, store_error_text(s));
        return -1;
    }
    return 0;
}

int cc_store_forget_crawl_windows(cc_store *s, const char *city, const char *source, const char *prefix, char *err,
                                  size_t err_len) {
    static const char SQL[] = "DELETE FROM crawl_state WHERE city = ?1 AND source = ?2 AND "
                              "substr(span, 1, length(?3)) = ?3";
    sqlite3_stmt *stmt = prepare_with_texts(s, SQL, city, source, prefix);
    int rc = stmt ? sqlite3_step(stmt) : SQLITE_ERROR;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_len, "%s: forgetting crawl state: %s", s->path, store_error_text(s));
        return -1;
    }
    return 0;
}

int cc_store_set_crawl_position(cc_store *s, const char *city, const char *source, const char *window,
                                const cc_crawl_position *pos, char *err, size_t err_len) {
    static const char SQL[] =
        "INSERT INTO crawl_state (city, source, span, next_offset, complete, updated) "
        "VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
        "ON CONFLICT (city, source, span) DO UPDATE SET next_offset = excluded.next_offset, "
        "complete = excluded.complete, updated = excluded.updated";
    sqlite3_stmt *stmt = prepare_with_texts(s, SQL, city, source, window);
    if (!stmt) {
        snprintf(err, err_len, "%s: %s", s->path, store_error_text(s));
        return -1;
    }
    sqlite3_bind_int64(stmt, 4, pos->next_offset);
    sqlite3_bind_int(stmt, 5, pos->complete);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_len, "%s: saving crawl state: %s", s->path, store_error_text(s));
        return -1;
    }
    return 0;
}
