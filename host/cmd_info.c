/* crimecast info: what this build can compute with, and on which GPU. */
#include <stdio.h>

#include "host/commands.h"
#include "host/options.h"
#include "kernels/cpu/gemm_choice.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/onednn.h"
#include "kernels/device.h"
#include "kernels/nccl.h"

#ifdef CRIMECAST_HAVE_IO
#include "heatmaps/geotiff.h"
#include "host/mpi_world.h"
#endif

typedef struct info_request {
    int unused; /* info takes no options */
} info_request;

static const cc_command_spec INFO_SPEC = {
    .name = "info",
    .synopsis = "",
    .description = "Prints crimecast's version, the compute backends built in (cpu, cuda); the CPU's\n"
                   "GEMM kernels (which OpenBLAS set, why, and its check against a float64 GEMM) and\n"
                   "convolutions (oneDNN and the ISA it sees); the GPU's convolutions and the cuBLAS\n"
                   "it would open (at the first GPU use, not at start-up); the CPU threads\n"
                   "the ops use; what the build has for MPI jobs (MPI, NCCL); the data commands; and,\n"
                   "for every CUDA device present, its name, memory and compute capability. Without a\n"
                   "GPU it says so and why (no device, no driver, or a build without CUDA).\n",
    .request_size = sizeof(info_request),
};

static void print_gpus(void) {
    char why[512] = "";
    int count = cc_cuda_device_count(why, sizeof why);
    if (count == 0) {
        printf("gpu:      none (%s)\n", why);
        return;
    }
    for (int i = 0; i < count; i++) {
        cc_gpu_info gpu;
        char err[512];
        if (cc_cuda_device_info(i, &gpu, err, sizeof err) != 0) {
            printf("gpu %d:    unavailable (%s)\n", i, err);
            continue;
        }
        printf("gpu %d:    %s, %.1f GiB, compute capability %d.%d, %d SMs\n", i, gpu.name,
               (double)gpu.total_memory_bytes / (1024.0 * 1024.0 * 1024.0), gpu.compute_major, gpu.compute_minor,
               gpu.multiprocessors);
    }
}

/* cuBLAS is opened when a GPU is first used, not at start-up: say here whether it can be. */
static void print_cublas(void) {
    char where[512], why[1536];
    if (cc_cublas_location(where, sizeof where, why, sizeof why) == 0)
        printf("gpu blas: cuBLAS %s (opened on the first GPU use)\n", where);
    else
        printf("gpu blas: none: %s\n", why);
}

int cc_cmd_info(int argc, char **argv) {
    info_request r;
    int parsed = cc_options_read(&INFO_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    printf("crimecast %s\n", CRIMECAST_VERSION);
    printf("backends: cpu%s\n", cc_cuda_compiled() ? ", cuda" : "");
    char conv[256];
    cc_onednn_describe(conv, sizeof conv);
    printf("cpu gemm: %s\n", cc_cpu_gemm_choice());
    printf("cpu conv: %s%s\n", conv, cc_onednn_built() ? "; --conv gemm for im2col + the GEMM above" : "");
    if (cc_cuda_compiled())
        printf("gpu conv: %s\n", cc_cudnn_compiled() ? "im2col + cuBLAS, or cuDNN; --conv auto takes cuDNN with --precision "
                                                      "tf32 or bf16, im2col + cuBLAS in fp32"
                                                    : "im2col + cuBLAS (this build has no cuDNN)");
    if (cc_cuda_compiled()) print_cublas();
    int threads = cc_cpu_threads(&(cc_ops_context){.backend = CC_BACKEND_CPU, .threads = 0});
    printf("threads:  %d CPU thread%s for the ops (OpenMP; train, predict, tune, demo, bench and baseline rf/etas "
           "take fewer with --threads N)\n", threads, threads == 1 ? "" : "s");
#ifdef CRIMECAST_HAVE_IO
    char mpi[256];
    int with_mpi = cc_mpi_world_built(mpi, sizeof mpi);
    printf("ranks:    %s%s\n", mpi, !with_mpi ? "" : cc_nccl_built() ? "; GPU sums over NCCL"
                                 : cc_cuda_compiled() ? "; no NCCL (data parallel on the CPU alone)" : "");
    printf("data:     store, import, crawl, raster%s\n",
           cc_geotiff_available() ? ", covariates, GIS export (GDAL)" : "; no GDAL in this build: no covariates or GIS export");
#else
    printf("data:     not built (CRIMECAST_IO=OFF: compute core only)\n");
#endif
    print_gpus();
    return CC_EXIT_OK;
}
