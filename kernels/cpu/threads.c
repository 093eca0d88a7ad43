/* kernels/cpu/threads.h */
#include "kernels/cpu/threads.h"

#ifdef _OPENMP
#include <omp.h>
int cc_cpu_threads(const cc_ops_context *ctx) { return ctx->threads > 0 ? ctx->threads : omp_get_max_threads(); }
int cc_cpu_thread_index(void) { return omp_get_thread_num(); }
#else
int cc_cpu_threads(const cc_ops_context *ctx) {
    (void)ctx;
    return 1;
}
int cc_cpu_thread_index(void) { return 0; }
#endif
