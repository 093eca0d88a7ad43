/* kernels/cpu/threads.h */
#include "kernels/cpu/threads.h"

#ifdef _OPENMP
#include <omp.h>
/* At most what OpenMP will grant a team (OMP_THREAD_LIMIT): the ops' per-thread partial
 * sums and oneDNN's split of the work count on exactly the threads asked for, and a team
 * given fewer left slots unwritten and work undone (wrong gradients and forecasts, or a
 * hang in oneDNN). */
int cc_cpu_threads(const cc_ops_context *ctx) {
    int asked = ctx->threads > 0 ? ctx->threads : omp_get_max_threads(), limit = omp_get_thread_limit();
    return asked < limit ? asked : limit;
}
int cc_cpu_thread_index(void) { return omp_get_thread_num(); }
void cc_cpu_exact_teams(void) { omp_set_dynamic(0); }
#else
int cc_cpu_threads(const cc_ops_context *ctx) {
    (void)ctx;
    return 1;
}
int cc_cpu_thread_index(void) { return 0; }
void cc_cpu_exact_teams(void) {}
#endif
