/* Which target bins a forecast covers, as baseline and synth --oracle take it: --span,
 * --window, --horizon and --test-from, one group of option rows (host/options.h), and the
 * targets they select through the chronological split (models/dataset.h), the same bins
 * `predict` forecasts with a model of that window, horizon and split. */
#ifndef CRIMECAST_HOST_FORECAST_SPAN_H
#define CRIMECAST_HOST_FORECAST_SPAN_H

#include <stddef.h>

#include "heatmaps/tensor.h"
#include "host/options.h"
#include "models/dataset.h"

typedef struct cc_forecast_span {
    const char *span;       /* test, val or all */
    int window, horizon;
    const char *test_from;  /* the first test bin's date, or NULL for 70/15/15 */
} cc_forecast_span;

enum { CC_FORECAST_SPAN_OPTION_COUNT = 4 };
extern const cc_option CC_FORECAST_SPAN_OPTIONS[CC_FORECAST_SPAN_OPTION_COUNT];

#define CC_FORECAST_SPAN_GROUP(type, field) \
    {"forecast span", CC_FORECAST_SPAN_OPTIONS, CC_FORECAST_SPAN_OPTION_COUNT, offsetof(type, field)}

/* The span's target bins of tensor t: *targets (malloc'ed, n of them) and the split. For
 * --span next, the one bin `horizon` after the last (index T - 1 + horizon, past the
 * data: its date is cc_tensor_bin_start's, its counts are nobody's), the split as for
 * the test span (what a method fits, it fits on the same bins). A method that fits or
 * chooses nothing (fits 0) forecasts the next bin of a tensor too short to split: its
 * split then holds no target in any span.
 * Returns n > 0, or -1 with err (a span too short, no target, a bad date). */
int cc_forecast_targets(const cc_forecast_span *span, const cc_tensor *t, int fits, cc_split *split, int **targets,
                        char *err, size_t err_len);

/* --test-from DATE as a bin of t (the first bin starting on or after it), or -1 for the
 * default split (date NULL). -2 with err when it is not a date or after the last bin. */
int cc_test_from_bin(const char *date, const cc_tensor *t, char *err, size_t err_len);

#endif
