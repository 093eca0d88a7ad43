/* CUDA device discovery, compiled by nvcc, callable from C (kernels/device.h wraps it
 * for builds with and without CUDA). */
#ifndef CRIMECAST_KERNELS_CUDA_DEVICE_QUERY_H
#define CRIMECAST_KERNELS_CUDA_DEVICE_QUERY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cc_gpu_info {
    char name[256];
    size_t total_memory_bytes;
    int compute_major, compute_minor;
    int multiprocessors;
} cc_gpu_info;

int cc_cuda_query_device_count(char *why, size_t why_len);
int cc_cuda_query_device(int index, cc_gpu_info *info, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
