/* A page of the police.uk street-crime API (JSON) as the crawler stores it
 * (crawler/police_uk.h), for London.
 *
 * Input: the response body.
 *
 * Promises checked: a body that is not an array of crimes is refused with a printable
 * message naming the page; otherwise every crime is counted once (read = inserted +
 * duplicates + rejected) and exactly the inserted ones are in the store. */
#include <string.h>

#include "crawler/city.h"
#include "crawler/police_uk.h"
#include "crawler/store.h"
#include "fuzz_util.h"

static cc_city *london;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char err[512];
    london = cc_city_load("london", err, sizeof err);
    FUZZ_CHECK(london != NULL, "%s", err);
    return 0;
}

static int count_row(void *context, const cc_incident_point *incident) {
    (void)incident;
    ++*(uint64_t *)context;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[1024] = "";
    cc_store *store = cc_store_open_in_memory(err, sizeof err);
    FUZZ_CHECK(store != NULL && cc_store_begin(store, err, sizeof err) == 0, "%s", err);
    cc_import_stats stats;
    memset(&stats, 0, sizeof stats);
    int status = cc_police_uk_import_page(store, london, (const char *)data, size, NULL, "fuzz-tile", &stats, err,
                                          sizeof err);
    uint64_t rows = 0;
    FUZZ_CHECK(cc_store_scan(store, "london", "0000", "9999", count_row, &rows, err, sizeof err) == 0, "%s", err);
    if (status == 0) {
        FUZZ_CHECK(stats.rows_read == stats.inserted + stats.duplicates + cc_import_rejected_total(&stats),
                   "read %llu != inserted %llu + duplicates %llu + rejected %llu", (unsigned long long)stats.rows_read,
                   (unsigned long long)stats.inserted, (unsigned long long)stats.duplicates,
                   (unsigned long long)cc_import_rejected_total(&stats));
        FUZZ_CHECK(rows == stats.inserted, "the page's transaction holds %llu rows, %llu inserted",
                   (unsigned long long)rows, (unsigned long long)stats.inserted);
    } else {
        fuzz_check_message(err, "fuzz-tile");
    }
    for (int i = 0; i < stats.example_count; i++) fuzz_check_message(stats.examples[i], NULL);
    cc_store_rollback(store);
    cc_store_close(store);
    return 0;
}
