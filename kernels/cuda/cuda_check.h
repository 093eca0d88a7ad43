/* Checking every CUDA runtime call.
 *
 * CC_CUDA_CHECK(call) aborts the process with the call's text, file, line and the
 * runtime's message: for kernels and training code, where a failed call means the
 * device state is unknown. CC_CUDA_TRY(call, buf, len) is the recoverable form for
 * discovery code (a machine without a GPU is normal): it returns 0 on success, or -1
 * with the same message written into buf. Check a kernel launch with
 * CC_CUDA_CHECK(cudaGetLastError()) right after it. */
#ifndef CRIMECAST_KERNELS_CUDA_CHECK_H
#define CRIMECAST_KERNELS_CUDA_CHECK_H

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

static inline int cc_cuda_try_impl(cudaError_t status, const char *call, const char *file,
                                   int line, char *buf, size_t len) {
    if (status == cudaSuccess) return 0;
    if (buf && len)
        snprintf(buf, len, "%s failed at %s:%d: %s (%s)", call, file, line,
                 cudaGetErrorString(status), cudaGetErrorName(status));
    return -1;
}

static inline void cc_cuda_check_impl(cudaError_t status, const char *call, const char *file,
                                      int line) {
    char message[512];
    if (cc_cuda_try_impl(status, call, file, line, message, sizeof message) == 0) return;
    fprintf(stderr, "crimecast: CUDA error: %s\n", message);
    exit(1);
}

#define CC_CUDA_TRY(call, buf, len) cc_cuda_try_impl((call), #call, __FILE__, __LINE__, (buf), (len))
#define CC_CUDA_CHECK(call) cc_cuda_check_impl((call), #call, __FILE__, __LINE__)

#endif
