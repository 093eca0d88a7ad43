/* Records from the portals: CSV files (plain, gzip, zip archives of them) and Socrata API
 * pages, through layout detection and the row parser of every layout.
 *
 * Input: one byte, then the bytes of a file or page. The byte's low two bits pick the
 * city (Chicago, San Francisco, Los Angeles, London: each has its own layouts), bit 2
 * whether the bytes are a file given to `import` (cc_import_file: gzip and zip by their
 * magic) or a page the crawler fetched (cc_import_bytes, in the crawler's transaction).
 *
 * Promises checked: no crash, leak or undefined behaviour; every row read is counted
 * once (read = inserted + duplicates + rejected); the store holds exactly the rows
 * inserted, or nothing when the import failed (one transaction); a failure says why,
 * naming the file, in printable text. */
#include <stdio.h>
#include <string.h>

#include "crawler/city.h"
#include "crawler/import.h"
#include "crawler/store.h"
#include "fuzz_util.h"

static const char *const CITIES[4] = {"chicago", "sanfrancisco", "losangeles", "london"};
static cc_city *cities[4];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char err[512];
    for (int i = 0; i < 4; i++) {
        cities[i] = cc_city_load(CITIES[i], err, sizeof err);
        FUZZ_CHECK(cities[i] != NULL, "%s", err);
    }
    return 0;
}

static int count_row(void *context, const cc_incident_point *incident) {
    (void)incident;
    ++*(uint64_t *)context;
    return 0;
}

static uint64_t stored_rows(cc_store *store, const cc_city *city) {
    uint64_t n = 0;
    char err[512];
    FUZZ_CHECK(cc_store_scan(store, cc_city_name(city), "0000", "9999", count_row, &n, err, sizeof err) == 0, "%s",
               err);
    return n;
}

static int import_page(cc_store *store, const cc_city *city, const uint8_t *data, size_t size,
                       cc_import_stats *stats, char *err, size_t err_len) {
    FUZZ_CHECK(cc_store_begin(store, err, err_len) == 0, "%s", err);
    int status = cc_import_bytes(store, city, (const char *)data, size, "fuzz-page", stats, err, err_len);
    if (status == 0)
        FUZZ_CHECK(cc_store_commit(store, err, err_len) == 0, "%s", err);
    else
        cc_store_rollback(store);
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const cc_city *city = cities[data[0] & 3];
    int as_file = data[0] >> 2 & 1;
    char err[1024] = "";
    cc_store *store = cc_store_open_in_memory(err, sizeof err);
    FUZZ_CHECK(store != NULL, "%s", err);
    cc_import_stats stats;
    memset(&stats, 0, sizeof stats);
    const char *path = as_file ? fuzz_path("records.csv") : NULL;
    int status;
    if (as_file) {
        fuzz_write_file(path, data + 1, size - 1);
        status = cc_import_file(store, city, path, &stats, NULL, NULL, err, sizeof err);
    } else {
        status = import_page(store, city, data + 1, size - 1, &stats, err, sizeof err);
    }
    uint64_t rows = stored_rows(store, city);
    if (status == 0) {
        FUZZ_CHECK(stats.rows_read == stats.inserted + stats.duplicates + cc_import_rejected_total(&stats),
                   "read %llu != inserted %llu + duplicates %llu + rejected %llu", (unsigned long long)stats.rows_read,
                   (unsigned long long)stats.inserted, (unsigned long long)stats.duplicates,
                   (unsigned long long)cc_import_rejected_total(&stats));
        FUZZ_CHECK(rows == stats.inserted, "store holds %llu rows, %llu inserted", (unsigned long long)rows,
                   (unsigned long long)stats.inserted);
    } else {
        fuzz_check_message(err, as_file ? path : "fuzz-page");
        FUZZ_CHECK(rows == 0, "a failed import left %llu rows", (unsigned long long)rows);
    }
    for (int i = 0; i < stats.example_count; i++) fuzz_check_message(stats.examples[i], NULL);
    cc_store_close(store);
    return 0;
}
