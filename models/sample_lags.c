/* models/sample_lags.h */
#include "models/sample_lags.h"

void cc_lags_add(cc_lags *l, int lag) {
    if (lag >= 1 && lag <= CC_MAX_LAG) l->held[(lag - 1) / 64] |= (uint64_t)1 << ((lag - 1) % 64);
}

int cc_lags_holds(const cc_lags *l, int lag) {
    return lag >= 1 && lag <= CC_MAX_LAG && (l->held[(lag - 1) / 64] >> ((lag - 1) % 64) & 1);
}

int cc_lags_count(const cc_lags *l) {
    int n = 0;
    for (int w = 0; w < CC_MAX_LAG / 64; w++)
        for (uint64_t bits = l->held[w]; bits; bits &= bits - 1) n++;
    return n;
}

int cc_lags_steps(const cc_lags *l, int window) {
    int n = cc_lags_count(l);
    return n ? n : window;
}

int cc_lags_lag_of_step(const cc_lags *l, int window, int s) {
    if (!cc_lags_count(l)) return window - s;
    for (int lag = CC_MAX_LAG; lag >= 1; lag--)
        if (cc_lags_holds(l, lag) && s-- == 0) return lag;
    return -1;
}

int cc_lags_step_of_lag(const cc_lags *l, int window, int lag) {
    if (!cc_lags_count(l)) return lag >= 1 && lag <= window ? window - lag : -1;
    if (!cc_lags_holds(l, lag)) return -1;
    int longer = 0; /* held lags longer than this one come first */
    for (int k = lag + 1; k <= CC_MAX_LAG; k++) longer += cc_lags_holds(l, k);
    return longer;
}
