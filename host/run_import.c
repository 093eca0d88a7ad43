/* host/run_import.h */
#include "host/run_import.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "crawler/city.h"
#include "crawler/import.h"
#include "crawler/printable.h"
#include "crawler/store.h"
#include "host/city_check.h"
#include "host/defaults.h"
#include "host/progress.h"

static const cc_option IMPORT_OPTIONS[] = {
    {CC_OPTION_TEXT("city", cc_import_request, city, "CITY", NULL,
                    "the city the records belong to: chicago, sanfrancisco, losangeles or london"), .required = 1},
    {CC_OPTION_TEXT("db", cc_import_request, db, "PATH", CC_DEFAULT_DB, "the incident store"), .file = CC_FILE_WRITTEN},
};

static const cc_option IMPORT_OPERANDS = {
    CC_OPTION_LIST("", cc_import_request, files, file_count, CC_IMPORT_MAX_FILES, "FILE...",
                   "record files: .csv, .csv.gz, or police.uk .zip archives"),
    .required = 1, .file = CC_FILE_READ};

static int check_request(void *request, char *why, size_t why_len) {
    return cc_city_check(((cc_import_request *)request)->city, CC_CITY_RECORDED, why, why_len);
}

static const cc_option_group IMPORT_GROUPS[] = {{"options", CC_OPTION_ROWS(IMPORT_OPTIONS), 0}};

const cc_command_spec CC_IMPORT_SPEC = {
    .name = "import",
    .synopsis = "--city CITY [--db PATH] FILE...",
    .description =
        "Loads crime records into the incident store (SQLite). A FILE is a .csv or .csv.gz in\n"
        "any layout the portals publish (recognised by its header: Chicago portal/API; SF\n"
        "2003-2018, 2018-present and the Kaggle sf-crime files; LA 2010-2019 and 2020-present;\n"
        "police.uk street-level CSV), or a police.uk .zip archive (its Metropolitan and City of\n"
        "London street-level CSVs are read).\n\n"
        "Each file is one transaction: it is stored whole or, on an error, not at all. Rows\n"
        "already stored (same city and source id) are counted as duplicates, so importing a\n"
        "file twice inserts nothing the second time. Rows without usable coordinates, outside\n"
        "the city's area (its bounding box; for London also Greater London's outline), with an\n"
        "unparseable date or malformed are counted and skipped; the first few are shown as\n"
        "file:line.\n\n"
        "Exit status: 0 all files imported, 1 a file failed (the store unchanged for it), 2 a\n"
        "usage error.\n",
    .request_size = sizeof(cc_import_request),
    .groups = IMPORT_GROUPS,
    .group_count = 1,
    .operands = &IMPORT_OPERANDS,
    .check = check_request,
};

void cc_import_request_defaults(cc_import_request *r) { cc_options_defaults(&CC_IMPORT_SPEC, r); }

static void show_progress(void *context, uint64_t done, uint64_t total) {
    cc_progress *bar = context;
    bar->total = total;
    cc_progress_update(bar, done);
}

void cc_print_row_notes(FILE *err, const cc_import_stats *s, const char *city) {
    for (int i = 0; i < s->example_count; i++) fprintf(err, "  %s\n", s->examples[i]);
    if (s->unmapped_rows) {
        fprintf(err, "  warning: %llu rows have raw types not in the %s category map, stored as 'other':",
                (unsigned long long)s->unmapped_rows, city);
        for (int i = 0; i < s->unmapped_count; i++) {
            char shown[4 * 128 + 8];
            fprintf(err, "%s '%s'", i ? "," : "", cc_printable_utf8(s->unmapped[i], shown, sizeof shown, 128));
        }
        fprintf(err, "\n");
    }
    if (s->mended_rows)
        fprintf(err, "  warning: %llu of the rows accepted (not rejected) hold text that is not UTF-8 (the first "
                     "at %s), mended with U+FFFD for each bad byte sequence\n",
                (unsigned long long)s->mended_rows, s->first_mended);
}

static void print_file_report(FILE *out, const char *path, const cc_import_stats *s, double seconds,
                              const cc_city *city) {
    fprintf(out, "%s: %llu read, %llu inserted, %llu duplicates, %llu rejected (no coordinates %llu, "
                 "outside area %llu, bad date %llu, malformed %llu) [%s, %.1f s]\n",
            path, (unsigned long long)s->rows_read, (unsigned long long)s->inserted,
            (unsigned long long)s->duplicates, (unsigned long long)cc_import_rejected_total(s),
            (unsigned long long)s->rejected[CC_REJECT_NO_COORDINATES],
            (unsigned long long)s->rejected[CC_REJECT_OUTSIDE_BBOX], (unsigned long long)s->rejected[CC_REJECT_BAD_DATE],
            (unsigned long long)s->rejected[CC_REJECT_MALFORMED], s->format, seconds);
    fflush(out); /* keep the report and its examples (stderr) in order on a terminal */
    cc_print_row_notes(stderr, s, cc_city_name(city));
    if (s->rows_read == 0 && !s->members_read) /* (an archive's members say so themselves) */
        fprintf(stderr, "  warning: %s holds no row below its header: nothing was stored\n", path);
    if (s->rows_read > 0 && s->inserted + s->duplicates == 0)
        fprintf(stderr, "  warning: no row of %s was stored: all %llu were rejected (another city's file, or a layout "
                        "crimecast reads otherwise? the examples above say why)\n",
                path, (unsigned long long)s->rows_read);
    if (s->unended[0])
        fprintf(stderr, "  warning: the last line (%s) has no line end, as a file cut short (an interrupted download) "
                        "would end: its row was not stored (counted malformed); if the file is whole, end its last "
                        "line (and close its quote, if one is open) and import it again\n",
                s->unended);
    if (s->members_read || s->members_skipped)
        fprintf(out, "  archive: %d member CSVs read, %d other members skipped\n", s->members_read, s->members_skipped);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The files one after another; returns how many failed. */
static int import_files(cc_store *store, const cc_city *city, const cc_import_request *r, FILE *out) {
    int failed = 0;
    unsigned long long inserted = 0, read = 0;
    for (int i = 0; i < r->file_count; i++) {
        cc_import_stats stats;
        char err[1024];
        cc_progress bar;
        cc_progress_begin(&bar, base_name(r->files[i]), 0);
        double start = cc_now_seconds();
        int status = cc_import_file(store, city, r->files[i], &stats, show_progress, &bar, err, sizeof err);
        cc_progress_end(&bar);
        if (status != 0) { /* the store's error (a full disk) names the store alone: which file, too */
            int named = strncmp(err, r->files[i], strlen(r->files[i])) == 0;
            fprintf(stderr, "crimecast import: %s%s%s\n  nothing from this file was stored\n", named ? "" : r->files[i],
                    named ? "" : ": ", err);
            failed++;
            continue;
        }
        print_file_report(out, r->files[i], &stats, cc_now_seconds() - start, city);
        inserted += stats.inserted;
        read += stats.rows_read;
    }
    if (r->file_count > 1)
        fprintf(out, "total: %d files, %d failed, %llu rows read, %llu inserted\n", r->file_count, failed, read,
                inserted);
    return failed;
}

/* Whether any file given may be read: when none can, no store is made for nothing (a
 * mistyped name left an empty store behind). Asked of the file system, not by opening
 * it: a named pipe opened and closed again ends its writer with SIGPIPE. 0, or -1 with
 * err naming the first. */
static int some_file_readable(const cc_import_request *r, char *err, size_t err_len) {
    int first_errno = 0;
    for (int i = 0; i < r->file_count; i++) {
        if (access(r->files[i], R_OK) == 0) return 0;
        if (i == 0) first_errno = errno;
    }
    if (r->file_count == 1) snprintf(err, err_len, "%s: cannot open: %s", r->files[0], strerror(first_errno));
    else snprintf(err, err_len, "none of the %d files can be opened (%s: %s, ...)", r->file_count, r->files[0],
                  strerror(first_errno));
    return -1;
}

/* A store this run created, into which every file failed (a wrong --city: the header of
 * another city's layout), is removed with its journal: it was left behind empty, and the
 * next raster took it for a store and said "no incident of chicago counted" (a probe). */
static void remove_empty_store(const char *db) {
    static const char *const SUFFIXES[] = {"", "-wal", "-shm", "-journal"};
    char path[4400];
    for (size_t i = 0; i < sizeof SUFFIXES / sizeof SUFFIXES[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db, SUFFIXES[i]);
        unlink(path);
    }
}

int cc_run_import(const cc_import_request *r, FILE *out, char *err, size_t err_len) {
    cc_city *city = cc_city_load(r->city, err, err_len);
    if (!city) return -1;
    int existed = access(r->db, F_OK) == 0;
    cc_store *store = some_file_readable(r, err, err_len) == 0 ? cc_store_open(r->db, err, err_len) : NULL;
    int failed = store ? import_files(store, city, r, out) : -1;
    if (failed > 0) snprintf(err, err_len, "%d of %d files failed (their errors above)", failed, r->file_count);
    cc_store_close(store);
    cc_city_free(city);
    if (store && failed == r->file_count && !existed) {
        remove_empty_store(r->db);
        if (strlen(err) + 40 < err_len) snprintf(err + strlen(err), err_len - strlen(err), "; %s not created", r->db);
    }
    return failed == 0 ? 0 : -1;
}
