/* The ETAS fit (models/etas.h) of every incident behind a tensor, over its whole span:
 * how long the EM takes on a city's history, and the parameters it finds. The baseline
 * (`crimecast baseline --method etas`) fits the training span only; this fits all of it,
 * as bench/etas_fit.sh times it (with /usr/bin/time for the memory).
 *
 *   etas_fit TENSOR.h5 [STORE] [CHANNEL]   (STORE: the one the tensor names; CHANNEL: 0) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/clock.h"
#include "crawler/store.h"
#include "heatmaps/events.h"
#include "heatmaps/tensor_file.h"
#include "heatmaps/time_bins.h"
#include "host/baseline_etas.h"
#include "models/etas.h"

static int print_iteration(void *context, int iteration, const cc_etas_params *p) {
    double *last = context, now = cc_now_seconds();
    fprintf(stderr, "  iteration %d: branching ratio %.4f, mean delay %.3f days, sigma %.1f m (%.2f s)\n", iteration,
            p->branching, p->decay_days, p->sigma_m, now - *last);
    *last = now;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: etas_fit TENSOR.h5 [STORE] [CHANNEL]\n");
        return 2;
    }
    char err[1024], path[4096];
    cc_tensor t;
    memset(&t, 0, sizeof t);
    if (cc_tensor_read(argv[1], NULL, &t, err, sizeof err) != 0) return fprintf(stderr, "%s\n", err), 1;
    if (argc > 2) snprintf(path, sizeof path, "%s", argv[2]);
    else if (cc_tensor_source_store(&t, path, sizeof path) != 0) return fprintf(stderr, "no store: give one\n"), 1;
    int channel = argc > 3 ? atoi(argv[3]) : 0;
    if (channel < 0 || channel >= t.C) return fprintf(stderr, "no channel %d\n", channel), 1;
    cc_store *store = cc_store_open(path, err, sizeof err);
    if (!store) return fprintf(stderr, "%s\n", err), 1;
    cc_channel_points *points = calloc((size_t)t.C, sizeof *points);
    cc_point_stats stats;
    int64_t from = t.time[0], to = cc_bin_end(t.bin, t.time[t.T - 1]);
    if (!points || cc_tensor_points(store, &t, from, to, points, &stats, err, sizeof err) != 0)
        return fprintf(stderr, "%s\n", err), 1;
    cc_store_close(store);
    size_t n = points[channel].count;
    cc_hawkes_event *events = malloc(sizeof *events * (n ? n : 1));
    if (!events) return fprintf(stderr, "out of memory\n"), 1;
    for (size_t i = 0; i < n; i++)
        events[i] = (cc_hawkes_event){points[channel].points[i].t, points[channel].points[i].x,
                                      points[channel].points[i].y};
    cc_channel_points_free(points, t.C);
    free(points);
    double start = cc_now_seconds(), last = start;
    cc_etas_options o = {0};
    o.on_iteration = print_iteration, o.context = &last;
    cc_etas_fit fit;
    if (cc_etas_fit_events(events, n, (double)from, (double)to, &o, &fit, err, sizeof err) != 0)
        return fprintf(stderr, "%s\n", err), 1;
    printf("etas_fit '%s': %zu incidents, %lld .. %lld (days since 1970): branching ratio %.4f, mean delay %.3f "
           "days, sigma %.1f m, bandwidth %.0f m, %d EM iterations%s, pairs %.3g, %.1f s\n",
           t.categories[channel], n, (long long)from, (long long)to, fit.params.branching, fit.params.decay_days,
           fit.params.sigma_m, fit.bandwidth_m, fit.iterations, fit.converged ? " (converged)" : " (not converged)",
           fit.pairs, cc_now_seconds() - start);
    cc_etas_fit_free(&fit);
    free(events);
    cc_tensor_free(&t);
    return 0;
}
