/* kernels/buffer.h: host memory through the C library, GPU memory through the CUDA
 * backend's allocator and its stream-ordered copies. */
#include "kernels/buffer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CRIMECAST_HAVE_CUDA
#include "kernels/cuda/cuda_ops.h"
#else
/* Never reached with a device: a CUDA state cannot exist without the backend. */
static void no_cuda(const char *what) {
    fprintf(stderr, "crimecast: %s on a GPU, which this build lacks (CRIMECAST_CUDA=OFF or no nvcc)\n", what);
    abort();
}
#endif

void *cc_buffer_alloc(struct cc_cuda_state *device, size_t bytes) {
    if (!device) return bytes ? malloc(bytes) : NULL;
#ifdef CRIMECAST_HAVE_CUDA
    return cc_cuda_alloc(bytes);
#else
    no_cuda("cc_buffer_alloc");
    return NULL;
#endif
}

void cc_buffer_free(struct cc_cuda_state *device, void *buffer) {
    if (!device) {
        free(buffer);
        return;
    }
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_free(buffer);
#else
    no_cuda("cc_buffer_free");
#endif
}

void cc_buffer_upload(struct cc_cuda_state *device, void *dst, const void *host_src, size_t bytes) {
    cc_buffer_upload_start(device, dst, host_src, bytes);
    if (bytes) cc_buffer_wait(device); /* nothing queued for 0 bytes, as before: no wait */
}

void cc_staging_alloc(cc_staging *s, struct cc_cuda_state *device, size_t bytes) {
    s->data = NULL, s->pinned = 0;
#ifdef CRIMECAST_HAVE_CUDA
    if (device && (s->data = cc_cuda_host_alloc(bytes))) {
        s->pinned = 1;
        return;
    }
#else
    (void)device;
#endif
    s->data = bytes ? malloc(bytes) : NULL; /* no GPU, or no page-locked memory to be had */
}

void cc_staging_free(cc_staging *s) {
#ifdef CRIMECAST_HAVE_CUDA
    if (s->pinned) cc_cuda_host_free(s->data);
    else free(s->data);
#else
    free(s->data);
#endif
    s->data = NULL, s->pinned = 0;
}

void cc_buffer_upload_start(struct cc_cuda_state *device, void *dst, const void *host_src, size_t bytes) {
    if (!device) {
        if (dst != host_src && bytes) memcpy(dst, host_src, bytes);
        return;
    }
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_copy_to_device_start(device, dst, host_src, bytes);
#else
    no_cuda("cc_buffer_upload_start");
#endif
}

void cc_buffer_zero(struct cc_cuda_state *device, void *dst, size_t bytes) {
    if (!device) {
        if (bytes) memset(dst, 0, bytes);
        return;
    }
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_zero(device, dst, bytes);
#else
    no_cuda("cc_buffer_zero");
#endif
}

void cc_buffer_wait(struct cc_cuda_state *device) {
    if (!device) return;
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_synchronize(device);
#else
    no_cuda("cc_buffer_wait");
#endif
}

void cc_buffer_download(struct cc_cuda_state *device, void *host_dst, const void *src, size_t bytes) {
    if (!device) {
        if (host_dst != src && bytes) memcpy(host_dst, src, bytes);
        return;
    }
#ifdef CRIMECAST_HAVE_CUDA
    cc_cuda_copy_to_host(device, host_dst, src, bytes);
#else
    no_cuda("cc_buffer_download");
#endif
}
