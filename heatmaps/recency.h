/* The recency maps' decay times and floor (heatmaps/tensor.h says what the maps are,
 * heatmaps/sparse.h how they are stored). */
#ifndef CRIMECAST_HEATMAPS_RECENCY_H
#define CRIMECAST_HEATMAPS_RECENCY_H

enum { CC_RECENCY_MAPS = 2 };

/* The decay times of the recency maps, in days: 1 and 3 (heatmaps/sparse.c). */
extern const double cc_recency_tau_days[CC_RECENCY_MAPS];

/* A sum below this is stored as 0 (heatmaps/tensor.h says why). */
#define CC_RECENCY_FLOOR 1e-12f

#endif
