/* host/device_options.h */
#include "host/device_options.h"

#include <stdio.h>
#include <string.h>

#include "host/defaults.h"
#include "kernels/device.h"

const cc_option CC_DEVICE_OPTIONS[CC_DEVICE_OPTION_COUNT] = {
    {CC_OPTION_CHOICE("device", cc_device_request, device, "auto|cpu|cuda", CC_DEFAULT_DEVICE,
                      "where the ops run: the GPU when one is usable (auto), the CPU, or the GPU or an error")},
    {CC_OPTION_CHOICE("conv", cc_device_request, conv, "auto|gemm|cudnn|onednn", "auto",
                      "the convolutions: auto is im2col + cuBLAS on the GPU and oneDNN on the CPU (im2col + "
                      "OpenBLAS in a build without it); gemm is im2col + GEMM on either; cudnn (GPU) and onednn "
                      "(CPU) are ignored on the other device")},
    {CC_OPTION_FLAG("tf32", cc_device_request, tf32,
                    "allow TF32 tensor cores in the GPU's convolutions: faster, about 1e-3 from FP32")},
    {CC_OPTION_INT("threads", cc_device_request, threads, "N", "0", 0, 1024, "CPU threads the ops use, 0: all")},
};

int cc_device_open(const cc_device_request *r, cc_ops_context *ctx, char *why, size_t why_len) {
    char reason[512];
    if (cc_open_backend(r->device, r->threads, r->conv, r->tf32, ctx, reason, sizeof reason) == 0)
        return 0;
    snprintf(why, why_len, "--device %s: %s", r->device, reason);
    return -1;
}
