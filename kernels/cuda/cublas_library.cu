/* kernels/cuda/cublas_library.cuh: cuBLAS opened at run time. */
#include "kernels/cuda/cublas_library.cuh"

#include "kernels/cuda/cuda_ops.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#define CC_STRINGIFY_EXPANDED(x) CC_STRINGIFY(x)
#define CC_STRINGIFY(x) #x

/* The soname of the cuBLAS the headers describe: the ABI this build was compiled for. */
static const char CUBLAS_SONAME[] = "libcublas.so." CC_STRINGIFY_EXPANDED(CUBLAS_VER_MAJOR);

/* By soname first (LD_LIBRARY_PATH, the loader's cache), then where CMake found it. */
static void *open_library(char *tried, size_t tried_len) {
    void *handle = dlopen(CUBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (handle) return handle;
    snprintf(tried, tried_len, "%s", dlerror());
#ifdef CRIMECAST_CUBLAS_PATH
    handle = dlopen(CRIMECAST_CUBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
    if (handle) return handle;
    size_t used = strlen(tried);
    if (used < tried_len) snprintf(tried + used, tried_len - used, "; %s", dlerror());
#endif
    return NULL;
}

/* The library's own path, as the loader resolved it. */
static void library_path(void *handle, char *where, size_t where_len) {
    struct link_map *map = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0])
        snprintf(where, where_len, "%s", map->l_name);
    else
        snprintf(where, where_len, "%s", CUBLAS_SONAME);
}

/* `name` from the library into *slot: 0, or -1 naming the missing function. The names
 * are the macros' expansions (cublasCreate is cublasCreate_v2), as exported. */
template <typename F>
static int find(void *handle, const char *name, F *slot, char *err, size_t err_len) {
    *slot = (F)dlsym(handle, name);
    if (*slot) return 0;
    snprintf(err, err_len, "cuBLAS (%s) lacks %s: a cuBLAS older than the headers this build used (CUDA %d)",
             CUBLAS_SONAME, name, CUBLAS_VER_MAJOR);
    return -1;
}
/* 1, saying so, when the file opened is not of the headers' major version: its functions
 * keep their names across versions, and their types need not. */
static int wrong_version(const struct cc_cublas_library *lib, const char *where, char *err, size_t err_len) {
    int major = -1;
    if (lib->get_property(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS && major == CUBLAS_VER_MAJOR) return 0;
    snprintf(err, err_len, "the cuBLAS opened (%s) is version %d, not the %d this build was compiled for: put "
             "cuBLAS %d's folder on LD_LIBRARY_PATH", where && where[0] ? where : CUBLAS_SONAME, major,
             CUBLAS_VER_MAJOR, CUBLAS_VER_MAJOR);
    return 1;
}

#define CC_FIND(lib, field, function, err, err_len) \
    find((lib)->handle, CC_STRINGIFY_EXPANDED(function), &(lib)->field, err, err_len)

int cc_cublas_library_open(struct cc_cublas_library *lib, char *where, size_t where_len, char *err, size_t err_len) {
    memset(lib, 0, sizeof *lib);
    char tried[1024] = "";
    lib->handle = open_library(tried, sizeof tried);
    if (!lib->handle) {
        snprintf(err, err_len, "cannot open cuBLAS (%s), which the GPU commands need: %s. Put its folder (the "
                 "CUDA toolkit's lib64, or PyTorch's nvidia/cublas/lib) on LD_LIBRARY_PATH", CUBLAS_SONAME, tried);
        return -1;
    }
    if (where && where_len) library_path(lib->handle, where, where_len);
    if (CC_FIND(lib, create, cublasCreate, err, err_len) || CC_FIND(lib, destroy, cublasDestroy, err, err_len) ||
        CC_FIND(lib, set_stream, cublasSetStream, err, err_len) ||
        CC_FIND(lib, set_math_mode, cublasSetMathMode, err, err_len) ||
        CC_FIND(lib, sgemm, cublasSgemm, err, err_len) ||
        CC_FIND(lib, sgemm_strided_batched, cublasSgemmStridedBatched, err, err_len) ||
        CC_FIND(lib, gemm_ex, cublasGemmEx, err, err_len) ||
        CC_FIND(lib, gemm_strided_batched_ex, cublasGemmStridedBatchedEx, err, err_len) ||
        CC_FIND(lib, get_property, cublasGetProperty, err, err_len) || wrong_version(lib, where, err, err_len)) {
        dlclose(lib->handle);
        memset(lib, 0, sizeof *lib);
        return -1;
    }
    return 0;
}

extern "C" int cc_cuda_find_cublas(char *where, size_t where_len, char *err, size_t err_len) {
    struct cc_cublas_library lib;
    return cc_cublas_library_open(&lib, where, where_len, err, err_len);
}
