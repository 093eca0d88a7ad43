/* cuBLAS, opened at run time (dlopen) by the first CUDA state instead of linked.
 *
 * Why: libcublas brings libcublasLt, 600 MiB whose loading relocates and touches about
 * 200 MiB; linked, that cost every crimecast command 0.16 s and 200 MiB of memory,
 * GPU or not (measured on the dev VM, 2026-12-07: `crimecast --version` 0.25 s, of which
 * cuBLAS 0.16 s and GDAL 0.09 s). Opened here, only a command that builds a CUDA state
 * pays it, and a CPU command never needs cuBLAS to be there.
 *
 * The library is looked for by its soname (libcublas.so.<major> of the headers built
 * against: LD_LIBRARY_PATH, the system's cache - the GPU bundle's wrapper sets the
 * former), then at the path CMake found it at. Once opened it stays loaded for the
 * process: a handle per state keeps the loader's count, and unloading 600 MiB between two
 * states only to load it again would cost the 0.16 s twice. The file opened must be of
 * the headers' major version (the path tried second may be an unversioned link that a
 * later toolkit moved). The program still links cuDNN and NCCL (3 ms and 2 ms to load). */
#ifndef CRIMECAST_KERNELS_CUDA_CUBLAS_LIBRARY_CUH
#define CRIMECAST_KERNELS_CUDA_CUBLAS_LIBRARY_CUH

#include <cublas_v2.h>
#include <stddef.h>

/* cublasGemmEx and cublasGemmStridedBatchedEx are overloaded in C++ (an inline twin takes a
 * cudaDataType compute type): the types of the exported ones, checked against the headers
 * by the casts. */
typedef cublasStatus_t (*cc_cublas_gemm_ex_fn)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                               const void *, const void *, cudaDataType, int, const void *,
                                               cudaDataType, int, const void *, void *, cudaDataType, int,
                                               cublasComputeType_t, cublasGemmAlgo_t);
typedef cublasStatus_t (*cc_cublas_gemm_strided_batched_ex_fn)(
    cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void *, const void *, cudaDataType, int,
    long long, const void *, cudaDataType, int, long long, const void *, void *, cudaDataType, int, long long, int,
    cublasComputeType_t, cublasGemmAlgo_t);
static_assert(sizeof(static_cast<cc_cublas_gemm_ex_fn>(&cublasGemmEx)) != 0, "cublasGemmEx's type");
static_assert(sizeof(static_cast<cc_cublas_gemm_strided_batched_ex_fn>(&cublasGemmStridedBatchedEx)) != 0,
              "cublasGemmStridedBatchedEx's type");

/* The cuBLAS functions the backend calls, typed from the headers (their _v2 names where
 * cublas_v2.h maps one). */
struct cc_cublas_library {
    void *handle; /* dlopen's; NULL until opened */
    decltype(&cublasCreate) create;
    decltype(&cublasDestroy) destroy;
    decltype(&cublasSetStream) set_stream;
    decltype(&cublasSetMathMode) set_math_mode;
    decltype(&cublasSgemm) sgemm;
    decltype(&cublasSgemmStridedBatched) sgemm_strided_batched;
    cc_cublas_gemm_ex_fn gemm_ex;
    cc_cublas_gemm_strided_batched_ex_fn gemm_strided_batched_ex;
    decltype(&cublasGetProperty) get_property;
};

/* Opens cuBLAS and finds every function above: 0, or -1 with err naming the library (or
 * the function it lacks) and what to set. `where`, when not NULL, receives the file
 * opened. Needs no GPU. */
int cc_cublas_library_open(struct cc_cublas_library *lib, char *where, size_t where_len, char *err, size_t err_len);

#endif
