/* The CPU ops' threads (OpenMP when the build has it, else one): how many a context
 * allows, which one is running, and the pragmas the ops spread their loops with. */
#ifndef CRIMECAST_KERNELS_CPU_THREADS_H
#define CRIMECAST_KERNELS_CPU_THREADS_H

#include "kernels/ops.h"

/* Threads the CPU ops use: ctx->threads, or all OpenMP threads when 0 (1 without OpenMP),
 * never more than OpenMP's thread limit; and the calling thread's index among them. */
int cc_cpu_threads(const cc_ops_context *ctx);
int cc_cpu_thread_index(void);
/* Makes the calling thread's parallel regions get the threads they ask for: with
 * OMP_DYNAMIC=true OpenMP may give fewer (on a loaded machine), which the ops cannot
 * take. Called as a backend is opened. */
void cc_cpu_exact_teams(void);

#ifdef _OPENMP
#define CC_PRAGMA(x) _Pragma(#x)
#define CC_PARALLEL_FOR(ctx) CC_PRAGMA(omp parallel for schedule(static) num_threads(cc_cpu_threads(ctx)))
/* Iterations of uneven cost (one dealt at a time): the caller makes the result not depend
 * on which thread ran which. */
#define CC_PARALLEL_FOR_UNEVEN(ctx) CC_PRAGMA(omp parallel for schedule(dynamic, 1) num_threads(cc_cpu_threads(ctx)))
#define CC_PARALLEL(ctx) CC_PRAGMA(omp parallel num_threads(cc_cpu_threads(ctx)))
#define CC_FOR CC_PRAGMA(omp for schedule(static))
#else
#define CC_PARALLEL_FOR(ctx)
#define CC_PARALLEL_FOR_UNEVEN(ctx)
#define CC_PARALLEL(ctx)
#define CC_FOR
#endif

#endif
