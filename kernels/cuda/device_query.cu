#include "kernels/cuda/device_query.h"

#include <string.h>
#include <unistd.h>

#include "kernels/cuda/cuda_check.h"

extern "C" int cc_cuda_query_device_count(char *why, size_t why_len) {
    int count = 0;
    cudaError_t status = cudaGetDeviceCount(&count);
    /* without the kernel driver the runtime finds no libcuda and calls it "insufficient" */
    if ((status == cudaErrorInsufficientDriver || status == cudaErrorNoDevice) &&
        access("/proc/driver/nvidia/version", F_OK) != 0) {
        (void)cudaGetLastError();
        if (why && why_len) snprintf(why, why_len, "no NVIDIA driver on this machine: /proc/driver/nvidia is absent");
        return 0;
    }
    if (CC_CUDA_TRY(status, why, why_len) != 0) return 0;
    if (count == 0 && why && why_len) snprintf(why, why_len, "the CUDA driver reports no device");
    return count;
}

extern "C" int cc_cuda_query_device(int index, cc_gpu_info *info, char *err, size_t err_len) {
    cudaDeviceProp prop;
    if (CC_CUDA_TRY(cudaGetDeviceProperties(&prop, index), err, err_len) != 0) return -1;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", prop.name);
    info->total_memory_bytes = prop.totalGlobalMem;
    info->compute_major = prop.major;
    info->compute_minor = prop.minor;
    info->multiprocessors = prop.multiProcessorCount;
    return 0;
}
