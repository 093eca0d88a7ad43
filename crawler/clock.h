/* A monotonic clock for timing work: a crawl's statistics, training throughput, a
 * forest's fitting time, progress bars. In the bottom layer so that every layer that
 * times something reads the same clock. */
#ifndef CRIMECAST_CRAWLER_CLOCK_H
#define CRIMECAST_CRAWLER_CLOCK_H

/* Seconds on a monotonic clock (CLOCK_MONOTONIC): differences are elapsed time. */
double cc_now_seconds(void);

#endif
