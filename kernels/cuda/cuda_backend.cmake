# The CUDA backend's sources and libraries, included from the top-level CMakeLists.txt
# when CRIMECAST_HAVE_CUDA (after enable_language(CUDA) and find_package(CUDAToolkit)).
#
# cuBLAS comes from the toolkit (CUDA::cublas) unless CUBLAS_ROOT points elsewhere, and
# cuDNN from CUDNN_ROOT or the toolkit's directories; both roots may be the `nvidia/cublas`
# and `nvidia/cudnn` folders of PyTorch's pip wheels (lib/ holds only versioned names such
# as libcudnn.so.9, hence the explicit names below). See kernels/README.md.

list(APPEND CRIMECAST_KERNELS_SOURCES
  kernels/cuda/device_query.cu
  kernels/cuda/cublas_library.cu
  kernels/cuda/state.cu
  kernels/cuda/scratch.cu
  kernels/cuda/im2col.cu
  kernels/cuda/conv2d.cu
  kernels/cuda/conv2d_bf16.cu
  kernels/cuda/bf16_copy.cu
  kernels/cuda/elementwise.cu
  kernels/cuda/cell_scale.cu
  kernels/cuda/lstm_gates.cu
  kernels/cuda/loss.cu
  kernels/cuda/optim.cu
  kernels/cuda/step.cu
  kernels/cuda/graph.cu
  kernels/cuda/gemm_rate.cu
  kernels/cuda/events.cu
)

set(CUBLAS_ROOT "$ENV{CUBLAS_ROOT}" CACHE PATH "cuBLAS outside the toolkit (folder with lib/ and include/)")
set(CUDNN_ROOT "$ENV{CUDNN_ROOT}" CACHE PATH "cuDNN outside the toolkit (folder with lib/ and include/)")
set(CRIMECAST_CUDNN AUTO CACHE STRING "The cuDNN convolution path: AUTO (when found), ON, OFF")
set_property(CACHE CRIMECAST_CUDNN PROPERTY STRINGS AUTO ON OFF)

if(CUBLAS_ROOT)
  find_library(CRIMECAST_CUBLAS_LIBRARY NAMES cublas libcublas.so.13 libcublas.so.12
               PATHS "${CUBLAS_ROOT}/lib" "${CUBLAS_ROOT}/lib64" NO_DEFAULT_PATH)
  find_library(CRIMECAST_CUBLASLT_LIBRARY NAMES cublasLt libcublasLt.so.13 libcublasLt.so.12
               PATHS "${CUBLAS_ROOT}/lib" "${CUBLAS_ROOT}/lib64" NO_DEFAULT_PATH)
  find_path(CRIMECAST_CUBLAS_INCLUDE_DIR cublas_v2.h PATHS "${CUBLAS_ROOT}/include" NO_DEFAULT_PATH)
  if(NOT CRIMECAST_CUBLAS_LIBRARY OR NOT CRIMECAST_CUBLASLT_LIBRARY OR NOT CRIMECAST_CUBLAS_INCLUDE_DIR)
    message(FATAL_ERROR "CUBLAS_ROOT=${CUBLAS_ROOT}: no lib/libcublas*, lib/libcublasLt* and include/cublas_v2.h there")
  endif()
  message(STATUS "crimecast: cuBLAS ${CRIMECAST_CUBLAS_LIBRARY}")
elseif(NOT TARGET CUDA::cublas)
  message(FATAL_ERROR "the CUDA toolkit has no cuBLAS: point -DCUBLAS_ROOT at one (kernels/README.md)")
endif()

# An optional library beside the toolkit's, `what` (cuDNN, NCCL): looked for in <NAME>_ROOT
# when set (a folder with include/ and lib/, e.g. a PyTorch wheel's), else in the
# toolkit's folders, unless CRIMECAST_<NAME> is OFF (ON: its absence is an error). Sets
# CRIMECAST_HAVE_<NAME>, <NAME>_INCLUDE_DIR and <NAME>_LIBRARY, and adds `source` to the
# kernels when found. The remaining arguments are the library's names.
macro(crimecast_find_cuda_extra NAME what header source)
  set(CRIMECAST_HAVE_${NAME} OFF)
  if(NOT CRIMECAST_${NAME} STREQUAL "OFF")
    if(${NAME}_ROOT)
      set(extra_search PATHS "${${NAME}_ROOT}" PATH_SUFFIXES include lib lib64 NO_DEFAULT_PATH)
    else()
      set(extra_search HINTS ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_DIR}
          "${CUDAToolkit_LIBRARY_ROOT}/lib" "${CUDAToolkit_LIBRARY_ROOT}/lib64")
    endif()
    find_path(${NAME}_INCLUDE_DIR ${header} ${extra_search})
    find_library(${NAME}_LIBRARY NAMES ${ARGN} ${extra_search})
    if(${NAME}_INCLUDE_DIR AND ${NAME}_LIBRARY)
      set(CRIMECAST_HAVE_${NAME} ON)
      list(APPEND CRIMECAST_KERNELS_SOURCES ${source})
    elseif(CRIMECAST_${NAME} STREQUAL "ON")
      message(FATAL_ERROR "CRIMECAST_${NAME}=ON but ${what} was not found: set -D${NAME}_ROOT (kernels/README.md)")
    endif()
  endif()
endmacro()

crimecast_find_cuda_extra(CUDNN cuDNN cudnn.h kernels/cuda/conv2d_cudnn.cu cudnn libcudnn.so.9)
message(STATUS "crimecast: cuDNN convolution path ${CRIMECAST_HAVE_CUDNN} ${CUDNN_LIBRARY}")

# NCCL: the GPU sums of data-parallel training (kernels/nccl.h), from NCCL_ROOT (e.g. the
# `nvidia/nccl` folder of PyTorch's wheels) or the toolkit's directories.
set(NCCL_ROOT "$ENV{NCCL_ROOT}" CACHE PATH "NCCL outside the toolkit (folder with lib/ and include/)")
set(CRIMECAST_NCCL AUTO CACHE STRING "NCCL for data-parallel training on GPUs: AUTO (when found), ON, OFF")
set_property(CACHE CRIMECAST_NCCL PROPERTY STRINGS AUTO ON OFF)
crimecast_find_cuda_extra(NCCL NCCL nccl.h kernels/cuda/nccl.cu nccl libnccl.so.2)
message(STATUS "crimecast: NCCL ${CRIMECAST_HAVE_NCCL} ${NCCL_LIBRARY}")

# Links the backend's libraries into `target` (crimecast_kernels). cuBLAS is not linked but
# opened when the first GPU state is made (kernels/cuda/cublas_library.cuh: loading it cost
# every command 0.16 s and 200 MiB): only its headers here, and the file found, which the
# program tries after the soname.
function(crimecast_link_cuda_backend target)
  if(CRIMECAST_CUBLAS_LIBRARY)
    set(cublas_file ${CRIMECAST_CUBLAS_LIBRARY})
    target_include_directories(${target} PRIVATE ${CRIMECAST_CUBLAS_INCLUDE_DIR})
  else()
    get_target_property(cublas_file CUDA::cublas LOCATION)
    get_target_property(cublas_include CUDA::cublas INTERFACE_INCLUDE_DIRECTORIES)
    target_include_directories(${target} PRIVATE ${cublas_include})
  endif()
  set_property(SOURCE kernels/cuda/cublas_library.cu APPEND PROPERTY COMPILE_DEFINITIONS
               CRIMECAST_CUBLAS_PATH="${cublas_file}")
  target_link_libraries(${target} PUBLIC ${CMAKE_DL_LIBS})
  if(CRIMECAST_HAVE_CUDNN)
    target_link_libraries(${target} PUBLIC ${CUDNN_LIBRARY})
    target_include_directories(${target} PRIVATE ${CUDNN_INCLUDE_DIR})
    target_compile_definitions(${target} PRIVATE CRIMECAST_HAVE_CUDNN=1)
  endif()
  if(CRIMECAST_HAVE_NCCL)
    target_link_libraries(${target} PUBLIC ${NCCL_LIBRARY})
    target_include_directories(${target} PRIVATE ${NCCL_INCLUDE_DIR})
  endif()
endfunction()
