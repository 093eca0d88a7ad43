/* CUDA device discovery, compiled by nvcc, callable from C. See host/device.h. */
#ifndef CRIMECAST_KERNELS_CUDA_DEVICE_QUERY_H
#define CRIMECAST_KERNELS_CUDA_DEVICE_QUERY_H

#include <stddef.h>

#include "host/device.h"

#ifdef __cplusplus
extern "C" {
#endif

int cc_cuda_query_device_count(char *why, size_t why_len);
int cc_cuda_query_device(int index, cc_gpu_info *info, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
