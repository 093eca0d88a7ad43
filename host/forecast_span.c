/* host/forecast_span.h */
#include "host/forecast_span.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "host/defaults.h"

const cc_option CC_FORECAST_SPAN_OPTIONS[CC_FORECAST_SPAN_OPTION_COUNT] = {
    {CC_OPTION_CHOICE("span", cc_forecast_span, span, "test|val|all|next", CC_DEFAULT_SPAN,
                      "the span whose target bins are forecast; next: the bin `horizon` bins after the tensor's "
                      "last")},
    {CC_OPTION_INT("window", cc_forecast_span, window, "N", CC_DEFAULT_WINDOW, 1, 512,
                   "input bins before each target, as train's")},
    {CC_OPTION_INT("horizon", cc_forecast_span, horizon, "N", CC_DEFAULT_HORIZON, 1, 64,
                   "bins from the forecast origin to the target")},
    {CC_OPTION_DATE("test-from", cc_forecast_span, test_from, NULL,
                    "the test span starts with the first bin on or after DATE (if not given: the last 15%)")},
};

int cc_test_from_bin(const char *date, const cc_tensor *t, char *err, size_t err_len) {
    if (!date) return -1;
    int64_t day;
    if (cc_parse_iso_date(date, &day) != 0) {
        snprintf(err, err_len, "--test-from '%s' is not a date", date);
        return -2;
    }
    if (day <= t->time[0]) { /* nothing before it to train on */
        char first[11];
        cc_format_iso_date(t->time[0], first);
        snprintf(err, err_len, "--test-from %s is not after the tensor's first bin (%s): no bins are left to train on",
                 date, first);
        return -2;
    }
    int bin = cc_first_bin_from(t, day);
    if (bin < 0) { /* no bin starts on or after it: it is inside the last bin, or past it */
        char last[11];
        cc_format_iso_date(t->time[t->T - 1], last);
        snprintf(err, err_len, "--test-from %s: no bin of the tensor starts on or after it (its last bin starts %s)",
                 date, last);
    }
    return bin < 0 ? -2 : bin;
}

int cc_forecast_targets(const cc_forecast_span *s, const cc_tensor *t, int fits, cc_split *split, int **targets,
                        char *err, size_t err_len) {
    cc_span span = CC_SPAN_TEST;
    int next = strcmp(s->span, "next") == 0; /* the split stays: what is fitted, fitted as for the test span */
    if (!next) cc_span_parse(s->span, &span); /* the option table admits only the names */
    int first_test = cc_test_from_bin(s->test_from, t, err, err_len);
    if (first_test == -2) return -1;
    if (cc_split_make(t->T, s->window, s->horizon, first_test, split, err, err_len) != 0) {
        if (!next || fits) return -1;
        *split = (cc_split){.T = t->T, .lead = s->window + s->horizon - 1}; /* every span empty */
        err[0] = 0;
    }
    if (next) {
        if (!(*targets = malloc(sizeof(int)))) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
        **targets = t->T - 1 + s->horizon; /* past the data: its date is cc_tensor_bin_start's */
        return 1;
    }
    int n = cc_split_samples(split, span);
    if (n <= 0) {
        snprintf(err, err_len, "the %s span holds no target bin", cc_span_name(span));
        return -1;
    }
    if (!(*targets = malloc(sizeof(int) * (size_t)n))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) (*targets)[i] = cc_split_target(split, span, i);
    return n;
}
