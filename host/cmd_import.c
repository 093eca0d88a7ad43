/* crimecast import: local record files into the incident store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "crawler/city.h"
#include "crawler/import.h"
#include "crawler/store.h"
#include "host/cli.h"
#include "host/progress.h"

static const char IMPORT_HELP[] =
    "usage: crimecast import --city CITY [--db PATH] FILE...\n\n"
    "Loads crime records into the incident store (SQLite). CITY is chicago,\n"
    "sanfrancisco, losangeles or london. A FILE is a .csv or .csv.gz in any layout the\n"
    "portals publish (recognised by its header: Chicago portal/API; SF 2003-2018,\n"
    "2018-present and the Kaggle sf-crime files; LA 2010-2019 and 2020-present;\n"
    "police.uk street-level CSV), or a police.uk .zip archive (its Metropolitan and\n"
    "City of London street-level CSVs are read).\n\n"
    "Each file is one transaction: it is stored whole or, on an error, not at all.\n"
    "Rows already stored (same city and source id) are counted as duplicates, so\n"
    "importing a file twice inserts nothing the second time. Rows without usable\n"
    "coordinates, outside the city's bounding box, with an unparseable date or\n"
    "malformed are counted and skipped; the first few are shown as file:line.\n\n"
    "options:\n"
    "  --city CITY   city the records belong to (required)\n"
    "  --db PATH     incident store (default " CC_DEFAULT_DB ")\n"
    "  -h, --help    this help\n\n"
    "exit status: 0 all files imported, 1 a file failed (store unchanged for it),\n"
    "2 usage error\n";

static void show_progress(void *context, uint64_t done, uint64_t total) {
    cc_progress *bar = context;
    bar->total = total;
    cc_progress_update(bar, done);
}

static void print_file_report(const char *path, const cc_import_stats *s, double seconds,
                              const cc_city *city) {
    printf("%s: %llu read, %llu inserted, %llu duplicates, %llu rejected (no coordinates %llu, "
           "outside bbox %llu, bad date %llu, malformed %llu) [%s, %.1f s]\n",
           path, (unsigned long long)s->rows_read, (unsigned long long)s->inserted,
           (unsigned long long)s->duplicates, (unsigned long long)cc_import_rejected_total(s),
           (unsigned long long)s->rejected[CC_REJECT_NO_COORDINATES],
           (unsigned long long)s->rejected[CC_REJECT_OUTSIDE_BBOX],
           (unsigned long long)s->rejected[CC_REJECT_BAD_DATE],
           (unsigned long long)s->rejected[CC_REJECT_MALFORMED], s->format, seconds);
    fflush(stdout); /* keep the report and its examples (stderr) in order on a terminal */
    for (int i = 0; i < s->example_count; i++) fprintf(stderr, "  %s\n", s->examples[i]);
    if (s->unmapped_rows) {
        fprintf(stderr, "  warning: %llu rows have raw types not in the %s category map, stored as "
                        "'other':", (unsigned long long)s->unmapped_rows, cc_city_name(city));
        for (int i = 0; i < s->unmapped_count; i++) fprintf(stderr, "%s '%s'", i ? "," : "", s->unmapped[i]);
        fprintf(stderr, "\n");
    }
    if (s->members_read || s->members_skipped)
        printf("  archive: %d member CSVs read, %d other members skipped\n", s->members_read,
               s->members_skipped);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int import_files(cc_store *store, const cc_city *city, char **paths, int count) {
    int failed = 0;
    unsigned long long inserted = 0, read = 0;
    for (int i = 0; i < count; i++) {
        cc_import_stats stats;
        char err[1024];
        cc_progress bar;
        cc_progress_begin(&bar, base_name(paths[i]), 0);
        double start = cc_now_seconds();
        int status = cc_import_file(store, city, paths[i], &stats, show_progress, &bar, err, sizeof err);
        cc_progress_end(&bar);
        if (status != 0) {
            fprintf(stderr, "crimecast import: %s\n  nothing from this file was stored\n", err);
            failed++;
            continue;
        }
        print_file_report(paths[i], &stats, cc_now_seconds() - start, city);
        inserted += stats.inserted;
        read += stats.rows_read;
    }
    if (count > 1)
        printf("total: %d files, %d failed, %llu rows read, %llu inserted\n", count, failed, read,
               inserted);
    return failed ? CC_EXIT_FAILURE : CC_EXIT_OK;
}

int cc_cmd_import(int argc, char **argv) {
    static const struct option OPTIONS[] = {{"city", required_argument, NULL, 'c'},
                                            {"db", required_argument, NULL, 'd'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *city_name = NULL, *db_path = CC_DEFAULT_DB;
    optind = 0; /* glibc: full re-initialisation, so the command can run more than once */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'c': city_name = optarg; break;
        case 'd': db_path = optarg; break;
        case 'h': fputs(IMPORT_HELP, stdout); return CC_EXIT_OK;
        default:
            return cc_usage_error("import", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (!city_name) return cc_usage_error("import", "--city is required");
    if (optind >= argc) return cc_usage_error("import", "no FILE given");

    char err[1024];
    cc_city *city = cc_city_load(city_name, err, sizeof err);
    if (!city) return cc_usage_error("import", "%s", err);
    cc_store *store = cc_store_open(db_path, err, sizeof err);
    if (!store) {
        fprintf(stderr, "crimecast import: %s\n", err);
        cc_city_free(city);
        return CC_EXIT_FAILURE;
    }
    int status = import_files(store, city, argv + optind, argc - optind);
    cc_store_close(store);
    cc_city_free(city);
    return status;
}
