#include "host/device.h"

#include <stdio.h>

#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/device_query.h"

int cc_cuda_compiled(void) { return 1; }

int cc_cuda_device_count(char *why, size_t why_len) {
    return cc_cuda_query_device_count(why, why_len);
}

int cc_cuda_device_info(int index, cc_gpu_info *info, char *err, size_t err_len) {
    return cc_cuda_query_device(index, info, err, err_len);
}

#else

int cc_cuda_compiled(void) { return 0; }

int cc_cuda_device_count(char *why, size_t why_len) {
    snprintf(why, why_len, "this build has no CUDA backend (configured with CRIMECAST_CUDA=OFF "
                           "or without nvcc)");
    return 0;
}

int cc_cuda_device_info(int index, cc_gpu_info *info, char *err, size_t err_len) {
    (void)info;
    snprintf(err, err_len, "no CUDA device %d: this build has no CUDA backend", index);
    return -1;
}

#endif
