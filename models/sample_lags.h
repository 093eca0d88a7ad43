/* Which bins before a target a sample's input holds.
 *
 * A sample (models/dataset.h) forecasts from the bins up to its origin o; lag L is bin
 * o + 1 - L (lag 1: the origin, the bin before a one-step target). A ConvLSTM reads every lag 1..window, in order.
 * ST-ResNet (models/st_resnet.h) reads a few: the last bins, the same bin a period and a
 * trend ago. Holding only those in x keeps its samples small where the longest lag is
 * long: weekly at 150 m with a yearly trend, 5 of 52 steps, each a full set of count and
 * context maps (about 2.2 GB a sample on Chicago's 299 x 247 grid held all 52).
 *
 * x's steps are the held lags, longest first (oldest bin first, as in time order), so
 * the last step is lag 1 when it is held. A set with no lag means every lag 1..window. */
#ifndef CRIMECAST_MODELS_SAMPLE_LAGS_H
#define CRIMECAST_MODELS_SAMPLE_LAGS_H

#include <stdint.h>

enum { CC_MAX_LAG = 512 }; /* a model file's longest window (models/checkpoint.c) */

typedef struct cc_lags {
    uint64_t held[CC_MAX_LAG / 64]; /* bit L - 1: lag L is held */
} cc_lags;

/* Adds lag (1..CC_MAX_LAG; others are ignored). */
void cc_lags_add(cc_lags *l, int lag);
int cc_lags_holds(const cc_lags *l, int lag);
/* The number of held lags: x's steps (0 for the empty set: the caller's whole window). */
int cc_lags_count(const cc_lags *l);
/* The steps of a window of `window` bins: every lag 1..window when l is empty, or none
 * set, else the held lags. */
int cc_lags_steps(const cc_lags *l, int window);
/* The lag of step s (0 <= s < cc_lags_steps): longest first. */
int cc_lags_lag_of_step(const cc_lags *l, int window, int s);
/* The step that holds lag, or -1 when it is not held. */
int cc_lags_step_of_lag(const cc_lags *l, int window, int lag);

#endif
