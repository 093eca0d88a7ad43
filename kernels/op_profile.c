/* kernels/op_profile.h */
#include "kernels/op_profile.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#endif

/* An op's GPU interval, recorded and not yet read back: events[start] .. events[start + 1]. */
typedef struct pending {
    int op;
    size_t start;
} pending;

struct cc_op_profile {
    int depth;          /* ops open: only the outermost is timed */
    double host_began;  /* the outermost op's start, on the CPU */
    size_t open_event;  /* its start event, on a GPU */
    int ops;
    cc_op_time time[CC_OP_PROFILE_MOST];
    /* GPU: events in pairs, reused after each collect; the intervals waiting for it */
    void **events;
    size_t events_made, events_used, events_cap;
    pending *waiting;
    size_t waiting_count, waiting_cap;
};

static double host_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

cc_op_profile *cc_op_profile_create(void) { return calloc(1, sizeof(cc_op_profile)); }

void cc_op_profile_free(cc_op_profile *p) {
    if (!p) return;
#ifdef CRIMECAST_HAVE_CUDA
    for (size_t k = 0; k < p->events_made; k++) cc_cuda_event_destroy(p->events[k]);
#endif
    free(p->events);
    free(p->waiting);
    free(p);
}

void cc_op_profile_reset(cc_op_profile *p) {
    p->ops = 0, p->depth = 0;
    p->events_used = 0, p->waiting_count = 0;
}

/* The op's row: found by name, or a new one; past the table's room the last row, renamed,
 * takes every op not already in it. */
static int row_of(cc_op_profile *p, const char *op) {
    for (int k = 0; k < p->ops; k++)
        if (p->time[k].op == op || !strcmp(p->time[k].op, op)) return k;
    if (p->ops == CC_OP_PROFILE_MOST) {
        p->time[CC_OP_PROFILE_MOST - 1].op = "(other ops)";
        return CC_OP_PROFILE_MOST - 1;
    }
    p->time[p->ops] = (cc_op_time){op, 0, 0.0};
    return p->ops++;
}

size_t cc_op_profile_events(const cc_op_profile *p) { return p->events_made; }

#ifdef CRIMECAST_HAVE_CUDA
/* The next unused event, made when none is left; aborts when out of host memory. */
static size_t next_event(cc_op_profile *p) {
    if (p->events_used == p->events_made) {
        if (p->events_made == p->events_cap) {
            size_t cap = p->events_cap ? 2 * p->events_cap : 256;
            void **grown = realloc(p->events, sizeof *grown * cap);
            if (!grown) abort();
            p->events = grown, p->events_cap = cap;
        }
        p->events[p->events_made++] = cc_cuda_event_create();
    }
    return p->events_used++;
}

static void wait_for(cc_op_profile *p, int op, size_t start) {
    if (p->waiting_count == p->waiting_cap) {
        size_t cap = p->waiting_cap ? 2 * p->waiting_cap : 256;
        pending *grown = realloc(p->waiting, sizeof *grown * cap);
        if (!grown) abort();
        p->waiting = grown, p->waiting_cap = cap;
    }
    p->waiting[p->waiting_count++] = (pending){op, start};
}
#endif

void cc_op_profile_begin(const cc_ops_context *ctx) {
    cc_op_profile *p = ctx->profile;
    if (p->depth++ > 0) return;
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA) {
        p->open_event = next_event(p);
        cc_cuda_event_record(ctx->cuda, p->events[p->open_event]);
        return;
    }
#endif
    p->host_began = host_seconds();
}

void cc_op_profile_end(const cc_ops_context *ctx, const char *op) {
    cc_op_profile *p = ctx->profile;
    if (--p->depth > 0) return;
    int row = row_of(p, op);
    p->time[row].calls++;
#ifdef CRIMECAST_HAVE_CUDA
    if (ctx->backend == CC_BACKEND_CUDA) {
        size_t end = next_event(p);
        /* the pair must be adjacent: an op's own events only come between begin and end */
        if (end != p->open_event + 1) abort();
        cc_cuda_event_record(ctx->cuda, p->events[end]);
        wait_for(p, row, p->open_event);
        return;
    }
#endif
    p->time[row].seconds += host_seconds() - p->host_began;
}

void cc_op_profile_collect(const cc_ops_context *ctx) {
    cc_op_profile *p = ctx->profile;
#ifdef CRIMECAST_HAVE_CUDA
    for (size_t k = 0; k < p->waiting_count; k++) {
        const pending *w = &p->waiting[k];
        p->time[w->op].seconds += cc_cuda_event_seconds(p->events[w->start], p->events[w->start + 1]);
    }
#endif
    p->waiting_count = 0, p->events_used = 0;
}

static int longer_first(const void *a, const void *b) {
    double x = ((const cc_op_time *)a)->seconds, y = ((const cc_op_time *)b)->seconds;
    return (x < y) - (x > y);
}

int cc_op_profile_times(const cc_op_profile *p, cc_op_time *out, int most) {
    int n = p->ops < most ? p->ops : most;
    cc_op_time all[CC_OP_PROFILE_MOST];
    memcpy(all, p->time, sizeof(cc_op_time) * (size_t)p->ops);
    qsort(all, (size_t)p->ops, sizeof *all, longer_first);
    memcpy(out, all, sizeof(cc_op_time) * (size_t)n);
    return n;
}
