/* Checking every CUDA runtime, cuBLAS and cuDNN call.
 *
 * CC_CUDA_CHECK(call) aborts the process with the call's text, file, line and the
 * runtime's message: for kernels and training code, where a failed call means the
 * device state is unknown. CC_CUDA_TRY(call, buf, len) is the recoverable form for
 * discovery code (a machine without a GPU is normal): it returns 0 on success, or -1
 * with the same message written into buf. Check a kernel launch with
 * CC_CUDA_CHECK(cudaGetLastError()) right after it.
 *
 * CC_CUBLAS_CHECK / CC_CUBLAS_TRY and (in builds with cuDNN, CRIMECAST_HAVE_CUDNN)
 * CC_CUDNN_CHECK / CC_CUDNN_TRY do the same for the libraries' status codes, with the
 * library's own name and description of the status. */
#ifndef CRIMECAST_KERNELS_CUDA_CHECK_H
#define CRIMECAST_KERNELS_CUDA_CHECK_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef CRIMECAST_HAVE_CUDNN
#include <cudnn.h>
#endif
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

/* Prints "crimecast: <library> error: <message>" and exits, as CC_CUDA_CHECK does. */
static inline void cc_library_failure(const char *library, const char *message) {
    fprintf(stderr, "crimecast: %s error: %s\n", library, message);
    exit(1);
}

/* cuBLAS's status names, spelled here: the library is opened at run time
 * (kernels/cuda/cublas_library.cuh), and a failure to describe may be one of its own. */
static inline const char *cc_cublas_status_name(cublasStatus_t status) {
    switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED: the library did not start";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED: out of memory";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE: an unsupported value or parameter";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH: the device lacks a feature the call needs";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR: access to GPU memory failed";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED: the GPU program failed to run";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED: the functionality is not supported";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "an unknown cuBLAS status";
    }
}

static inline int cc_cublas_try_impl(cublasStatus_t status, const char *call, const char *file,
                                     int line, char *buf, size_t len) {
    if (status == CUBLAS_STATUS_SUCCESS) return 0;
    if (buf && len)
        snprintf(buf, len, "%s failed at %s:%d: %s (status %d)", call, file, line, cc_cublas_status_name(status),
                 (int)status);
    return -1;
}

static inline void cc_cublas_check_impl(cublasStatus_t status, const char *call, const char *file,
                                        int line) {
    char message[512];
    if (cc_cublas_try_impl(status, call, file, line, message, sizeof message) == 0) return;
    cc_library_failure("cuBLAS", message);
}

#define CC_CUBLAS_TRY(call, buf, len) cc_cublas_try_impl((call), #call, __FILE__, __LINE__, (buf), (len))
#define CC_CUBLAS_CHECK(call) cc_cublas_check_impl((call), #call, __FILE__, __LINE__)

#ifdef CRIMECAST_HAVE_CUDNN
static inline int cc_cudnn_try_impl(cudnnStatus_t status, const char *call, const char *file,
                                    int line, char *buf, size_t len) {
    if (status == CUDNN_STATUS_SUCCESS) return 0;
    if (buf && len)
        snprintf(buf, len, "%s failed at %s:%d: %s (status %d)", call, file, line,
                 cudnnGetErrorString(status), (int)status);
    return -1;
}

static inline void cc_cudnn_check_impl(cudnnStatus_t status, const char *call, const char *file,
                                       int line) {
    char message[512];
    if (cc_cudnn_try_impl(status, call, file, line, message, sizeof message) == 0) return;
    cc_library_failure("cuDNN", message);
}

#define CC_CUDNN_TRY(call, buf, len) cc_cudnn_try_impl((call), #call, __FILE__, __LINE__, (buf), (len))
#define CC_CUDNN_CHECK(call) cc_cudnn_check_impl((call), #call, __FILE__, __LINE__)
#endif

#endif
