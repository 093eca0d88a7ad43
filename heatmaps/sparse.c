#include "heatmaps/sparse.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/count_limit.h"
#include "heatmaps/recency.h"

const double cc_recency_tau_days[CC_RECENCY_MAPS] = {1.0, 3.0};

int cc_sparse_alloc(cc_sparse *s, int planes, int cells, int64_t nnz, int R) {
    memset(s, 0, sizeof *s);
    s->planes = planes, s->cells = cells, s->nnz = nnz, s->R = R;
    size_t room = (size_t)(nnz > 0 ? nnz : 1);
    s->start = calloc((size_t)planes + 1, sizeof *s->start);
    s->cell = malloc(sizeof *s->cell * room);
    s->count = malloc(sizeof *s->count * room);
    s->recent = R > 0 ? malloc(sizeof *s->recent * room * (size_t)R) : NULL;
    if (!s->start || !s->cell || !s->count || (R > 0 && !s->recent)) {
        cc_sparse_free(s);
        return -1;
    }
    return 0;
}

int cc_sparse_from_dense(const float *values, int planes, int cells, cc_sparse *out) {
    size_t all = (size_t)planes * (size_t)cells;
    int64_t nnz = 0;
    for (size_t q = 0; q < all; q++) nnz += values[q] != 0.0f;
    if (cc_sparse_alloc(out, planes, cells, nnz, 0) != 0) return -1;
    int64_t e = 0;
    for (int p = 0; p < planes; p++) {
        const float *plane = values + (size_t)p * cells;
        for (int k = 0; k < cells; k++)
            if (plane[k] != 0.0f) out->cell[e] = k, out->count[e++] = plane[k];
        out->start[p + 1] = e;
    }
    return 0;
}

void cc_sparse_free(cc_sparse *s) {
    free(s->start), free(s->cell), free(s->count), free(s->recent);
    memset(s, 0, sizeof *s);
}

/* Sorts events by key: two stable counting passes of 16 bits (keys fit 32 bits). A
 * comparison sort of the 3.4 million events of Chicago 2012-2017 took longer than
 * reading them from the store. */
static int radix_sort(cc_sparse_event *events, size_t n) {
    cc_sparse_event *tmp = malloc(sizeof *tmp * (n > 0 ? n : 1));
    size_t *bucket = malloc(sizeof *bucket * 65536);
    if (!tmp || !bucket) {
        free(tmp), free(bucket);
        return -1;
    }
    cc_sparse_event *from = events, *to = tmp;
    for (int shift = 0; shift < 32; shift += 16) {
        memset(bucket, 0, sizeof *bucket * 65536);
        for (size_t i = 0; i < n; i++) bucket[(from[i].key >> shift) & 0xffff]++;
        size_t sum = 0;
        for (int d = 0; d < 65536; d++) {
            size_t c = bucket[d];
            bucket[d] = sum, sum += c;
        }
        for (size_t i = 0; i < n; i++) to[bucket[(from[i].key >> shift) & 0xffff]++] = from[i];
        cc_sparse_event *swap = from;
        from = to, to = swap;
    }
    /* two passes: the sorted events are back in `events` */
    free(tmp), free(bucket);
    return 0;
}

int cc_sparse_from_events(cc_sparse_event *events, size_t n, int planes, int cells, int R, cc_sparse *out) {
    if (radix_sort(events, n) != 0) return -1;
    int64_t nnz = 0;
    for (size_t i = 0; i < n; i++) nnz += i == 0 || events[i].key != events[i - 1].key;
    if (cc_sparse_alloc(out, planes, cells, nnz, R) != 0) return -1;
    int64_t e = -1;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || events[i].key != events[i - 1].key) {
            e++;
            uint32_t key = events[i].key;
            out->cell[e] = (int32_t)(key % (uint32_t)cells);
            out->count[e] = 0;
            out->start[key / (uint32_t)cells + 1]++;
            for (int r = 0; r < R; r++) out->recent[e * R + r] = 0;
        }
        out->count[e] += 1.0f;
        for (int r = 0; r < R; r++) out->recent[e * R + r] += (float)exp(-events[i].age / cc_recency_tau_days[r]);
    }
    for (int p = 0; p < planes; p++) out->start[p + 1] += out->start[p];
    return 0;
}

int cc_sparse_keep_channels(cc_sparse *s, int C, const int *keep, int kept) {
    int T = s->planes / C;
    int64_t to = 0;
    int64_t *start = malloc(sizeof *start * ((size_t)T * kept + 1));
    if (!start) return -1;
    start[0] = 0;
    for (int b = 0; b < T; b++)
        for (int k = 0; k < kept; k++) {
            int p = b * C + keep[k];
            for (int64_t i = s->start[p]; i < s->start[p + 1]; i++, to++) {
                s->cell[to] = s->cell[i];
                if (s->count) s->count[to] = s->count[i];
                for (int r = 0; r < s->R; r++) s->recent[to * s->R + r] = s->recent[i * s->R + r];
            }
            start[b * kept + k + 1] = to;
        }
    free(s->start);
    s->start = start, s->planes = T * kept, s->nnz = to;
    return 0;
}

void cc_sparse_place_counts(const cc_sparse *s, float *values) {
    for (int p = 0; p < s->planes; p++)
        for (int64_t i = s->start[p]; i < s->start[p + 1]; i++) values[(size_t)p * s->cells + s->cell[i]] = s->count[i];
}

void cc_sparse_scatter_counts(const cc_sparse *s, float *values) {
    memset(values, 0, sizeof *values * (size_t)s->planes * (size_t)s->cells);
    cc_sparse_place_counts(s, values);
}

/* One decay's map of one channel through every bin: R(b) = decay(b) R(b - 1) + the bin's
 * own sums, floored. */
static void recency_of_channel(const cc_sparse *s, int T, int C, const double *bin_days, int r, int c,
                               float *recency) {
    size_t map = (size_t)C * s->cells; /* one decay's maps of one bin: [C][cells] */
    for (int b = 0; b < T; b++) {
        float *now = recency + ((size_t)b * s->R + r) * map + (size_t)c * s->cells;
        const float *before = b ? now - (size_t)s->R * map : NULL;
        float decay = (float)exp(-bin_days[b] / cc_recency_tau_days[r]);
        for (int q = 0; q < s->cells; q++) now[q] = before ? decay * before[q] : 0.0f;
        int p = b * C + c;
        for (int64_t i = s->start[p]; i < s->start[p + 1]; i++) now[s->cell[i]] += s->recent[i * s->R + r];
        /* The floor after the sum, as raster applied it before the sums were sparse. */
        for (int q = 0; q < s->cells; q++)
            if (now[q] < CC_RECENCY_FLOOR) now[q] = 0.0f;
    }
}

void cc_sparse_recency_maps(const cc_sparse *s, int T, int C, const double *bin_days, int threads, float *recency) {
    /* Each decay and channel is a recursion of its own: spread over the CPU's threads
     * (at 150 m the maps are 2.2 GB, written once, most of it the first touch of their
     * pages), every element the same sums in the same order on any number of them. */
    int tasks = s->R * C;
#ifdef _OPENMP
    int team = threads > 0 ? threads : omp_get_max_threads(); /* --threads holds here too */
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
#else
    (void)threads;
#endif
    for (int k = 0; k < tasks; k++) recency_of_channel(s, T, C, bin_days, k / C, k % C, recency);
}

int cc_sparse_check(const cc_sparse *s, char *why, size_t why_len) {
    if (s->start[0] != 0 || s->start[s->planes] != s->nnz) {
        snprintf(why, why_len, "/sparse/start does not run from 0 to the %lld entries", (long long)s->nnz);
        return -1;
    }
    for (int p = 0; p < s->planes; p++) {
        if (s->start[p + 1] < s->start[p]) {
            snprintf(why, why_len, "/sparse/start goes back at plane %d", p);
            return -1;
        }
        for (int64_t i = s->start[p]; i < s->start[p + 1]; i++) {
            int cell_ok = s->cell[i] >= 0 && s->cell[i] < s->cells && (i == s->start[p] || s->cell[i] > s->cell[i - 1]);
            int count_ok = !s->count ||
                           (isfinite(s->count[i]) && s->count[i] > 0 && s->count[i] <= CC_TENSOR_MOST_COUNT);
            int recent_ok = 1;
            for (int r = 0; r < s->R; r++) recent_ok &= isfinite(s->recent[i * s->R + r]) && s->recent[i * s->R + r] >= 0;
            if (!cell_ok || !count_ok || !recent_ok) {
                snprintf(why, why_len, "/sparse entry %lld (plane %d): %s", (long long)i, p,
                         !cell_ok    ? "its cell is off the grid or not after the one before"
                         : !count_ok ? "its count is not finite, > 0 and at most 2^24 (16777216)"
                                     : "a recency sum is not finite and >= 0");
                return -1;
            }
        }
    }
    return 0;
}
