/* The most events one cell holds in one bin, counted or expected: 2^24, float32's last
 * whole number with every whole number below it (a count past it cannot be stored
 * exactly; London's busiest year is a twentieth of it in one cell). A file's 3e38 was
 * trained on, at a loss of 1.5e34 (a probe). Every reader of counts, sparse or dense,
 * refuses more. */
#ifndef CRIMECAST_HEATMAPS_COUNT_LIMIT_H
#define CRIMECAST_HEATMAPS_COUNT_LIMIT_H

#define CC_TENSOR_MOST_COUNT 16777216.0f

#endif
