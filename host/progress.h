/* Progress reporting for long work (crawl, import, rasterise, train).
 *
 * When stderr is a terminal (or the demo's tee to one: host/stderr_tee.h), a bar is
 * redrawn in place (at most ~10 times a second)
 * and erased by cc_progress_end, so the command's own summary line follows it
 * cleanly. When stderr is not a terminal nothing is drawn: the command prints one
 * plain summary line per unit of work instead. No global state: each bar is a
 * value owned by its caller. */
#ifndef CRIMECAST_HOST_PROGRESS_H
#define CRIMECAST_HOST_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "crawler/clock.h" /* cc_now_seconds: the bars' clock */

typedef struct cc_progress {
    const char *label;  /* shown before the bar; borrowed, must outlive the bar */
    uint64_t total;     /* units of work in all; 0 when unknown */
    int enabled;        /* draw at all (stderr is a TTY) */
    double start;       /* seconds, monotonic */
    double last_draw;
    FILE *out;
} cc_progress;

void cc_progress_begin(cc_progress *bar, const char *label, uint64_t total);
/* Reports that `done` units of `total` are finished; redraws when due. */
void cc_progress_update(cc_progress *bar, uint64_t done);
/* Erases the bar (TTY) so the next line starts clean. */
void cc_progress_end(cc_progress *bar);

#endif
