/* Tensor and forecast files (heatmaps/tensor_file.h), edited from templates crimecast
 * wrote (hdf5_edit.h).
 *
 * Input: one byte, then the edits. The byte's low two bits pick the template (a tensor
 * with dense counts and sparse recency sums, a forecast, or a tensor stored sparse), the
 * next two what is asked for (whichever of /counts or /forecast is there, /counts, or
 * /forecast, as each command asks).
 *
 * Promises checked: a file is read whole or refused with a printable message naming it;
 * what is read is what every command assumes without checking again: a shape within
 * heatmaps/tensor.h's limits, bins strictly increasing, counts finite, >= 0 and at most
 * CC_TENSOR_MOST_COUNT, channel names, a cell size > 0, recency maps of the same shape and
 * range; a horizon and first/last bin, where a file has them, agreeing with its bins. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hdf5_edit.h"
#include "heatmaps/tensor_file.h"

enum { TEMPLATES = 3, FORECAST = 1 };
static h5_template templates[TEMPLATES];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    h5_template_load(&templates[0], CRIMECAST_FUZZ_TEMPLATES "/tensor.h5");
    h5_template_load(&templates[1], CRIMECAST_FUZZ_TEMPLATES "/forecast.h5");
    h5_template_load(&templates[2], CRIMECAST_FUZZ_TEMPLATES "/tensor_sparse.h5");
    /* The templates must read as they are, or the fuzzer explores nothing of use. */
    const char *names[TEMPLATES] = {"/tensor.h5", "/forecast.h5", "/tensor_sparse.h5"};
    for (int i = 0; i < TEMPLATES; i++) {
        char path[512], err[1024];
        snprintf(path, sizeof path, "%s%s", CRIMECAST_FUZZ_TEMPLATES, names[i]);
        cc_tensor t;
        FUZZ_CHECK(cc_tensor_read(path, NULL, &t, err, sizeof err) == 0 &&
                       (i == FORECAST || (cc_tensor_read_recency(path, &t, 1, err, sizeof err) == 0 && t.R > 0)),
                   "the template does not read (run tests/fuzz/make_templates.sh): %s", err);
        cc_tensor_free(&t);
    }
    return 0;
}

static void check_nonnegative(const float *v, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(isfinite(v[i]) && v[i] >= 0 && v[i] <= CC_TENSOR_MOST_COUNT, "%s[%zu] = %g was read", what, i, v[i]);
}

static void check_tensor(const cc_tensor *t) {
    FUZZ_CHECK(t->T >= 1 && t->T <= CC_TENSOR_MOST_BINS && t->C >= 1 && t->C <= CC_TENSOR_MOST_CHANNELS &&
                   t->H >= 1 && t->H <= CC_TENSOR_MOST_SIDE && t->W >= 1 && t->W <= CC_TENSOR_MOST_SIDE,
               "shape %d x %d x %d x %d", t->T, t->C, t->H, t->W);
    FUZZ_CHECK(t->cell > 0 && isfinite(t->cell) && isfinite(t->x0) && isfinite(t->y0), "cell %g at %g, %g", t->cell,
               t->x0, t->y0);
    for (int b = 1; b < t->T; b++) FUZZ_CHECK(t->time[b] > t->time[b - 1], "bin %d is not after bin %d", b, b - 1);
    for (int c = 0; c < t->C; c++) FUZZ_CHECK(t->categories[c] != NULL, "channel %d has no name", c);
    size_t values = (size_t)t->T * t->C * t->H * t->W;
    check_nonnegative(t->values, values, "values");
    if (t->R) {
        FUZZ_CHECK(t->R == CC_RECENCY_MAPS && t->recency, "R = %d", t->R);
        check_nonnegative(t->recency, values * (size_t)t->R, "recency");
    }
    /* What the commands do first with a tensor: find a bin by its date, sum a span. */
    FUZZ_CHECK(cc_tensor_bin(t, t->time[t->T - 1]) == t->T - 1, "the last bin is not found by its date");
    float *sum = malloc(sizeof(float) * (size_t)t->C * t->H * t->W);
    cc_tensor_sum_bins(t, 0, t->T - 1, sum);
    free(sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in = {data, size, 0};
    uint8_t choice = fuzz_u8(&in);
    int which = (choice & 3) % TEMPLATES;
    const h5_template *template = &templates[which];
    const char *asked[3] = {NULL, "counts", "forecast"};
    const char *dataset = asked[(choice >> 2 & 3) % 3];
    const char *path = fuzz_path("tensor.h5");
    h5_edit(template, path, &in);
    cc_tensor t;
    char err[1024] = "";
    int status = cc_tensor_read(path, dataset, &t, err, sizeof err);
    if (status == 0 && which != FORECAST) {
        status = cc_tensor_read_recency(path, &t, 1, err, sizeof err);
        if (status != 0) cc_tensor_free(&t);
    }
    if (status == 0) {
        check_tensor(&t);
        cc_tensor_free(&t);
    } else {
        fuzz_check_message(err, path);
    }
    return 0;
}
