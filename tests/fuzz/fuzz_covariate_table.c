/* Covariate tables (`crimecast covariates --table`: heatmaps/covariate_table.h).
 *
 * Input: one byte choosing the reading (bit 0: a date column "date"; bit 1: columns chosen
 * by the pattern "score" rather than every numeric one), then the bytes of the CSV, whose
 * key column is "code".
 *
 * Promises checked: a table is read whole or refused with a printable message naming the
 * file; what is read holds 1 .. CC_TABLE_MOST_COLUMNS columns with headers and >= 1
 * row, every key non-empty, the rows sorted by (key, day) with no pair twice, each
 * value NaN or finite, and per column no more missing and non-numeric fields than rows. */
#include <math.h>
#include <string.h>

#include "fuzz_util.h"
#include "heatmaps/covariate_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const cc_covariate_table *t, int dated) {
    FUZZ_CHECK(t->columns >= 1 && t->columns <= CC_TABLE_MOST_COLUMNS && t->rows >= 1, "%d columns, %ld rows",
               t->columns, t->rows);
    FUZZ_CHECK((t->days != NULL) == dated, "days %s for a %s table", t->days ? "present" : "absent",
               dated ? "dated" : "static");
    for (int k = 0; k < t->columns; k++) {
        FUZZ_CHECK(t->headers[k] != NULL, "column %d has no header", k);
        FUZZ_CHECK(t->missing[k] >= 0 && t->not_numeric[k] >= 0 && t->missing[k] + t->not_numeric[k] <= t->rows,
                   "column %d: %ld missing, %ld not numbers of %ld rows", k, t->missing[k], t->not_numeric[k], t->rows);
    }
    for (long i = 0; i < t->rows; i++) {
        FUZZ_CHECK(t->keys[i] && t->keys[i][0], "row %ld has an empty key", i);
        if (i) {
            int c = strcmp(t->keys[i - 1], t->keys[i]);
            FUZZ_CHECK(c < 0 || (c == 0 && dated && t->days[i - 1] < t->days[i]), "rows %ld and %ld out of order or repeated",
                       i - 1, i);
        }
        for (int k = 0; k < t->columns; k++) {
            double v = t->values[(size_t)i * t->columns + k];
            FUZZ_CHECK(isnan(v) || isfinite(v), "row %ld column %d is %g", i, k, v);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int dated = data[0] & 1, chosen = data[0] & 2;
    const char *path = fuzz_path("table.csv");
    fuzz_write_file(path, data + 1, size - 1);
    const char *patterns[] = {"score"};
    char err[1024] = "";
    cc_covariate_table t;
    if (cc_covariate_table_read(path, "code", dated ? "date" : NULL, patterns, chosen ? 1 : 0, &t, err, sizeof err) != 0) {
        fuzz_check_message(err, path);
        return 0;
    }
    check_table(&t, dated);
    cc_covariate_table_free(&t);
    return 0;
}
