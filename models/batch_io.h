/* Where a training or prediction run's ops read and write (models/train.c).
 *
 * Batches are gathered on the host (models/dataset.h). On the CPU the ops run the
 * caller's model on those host buffers. With a CUDA context they run a copy of the model
 * on the GPU (cc_convlstm_create_on) on device copies of the buffers: each batch is
 * uploaded before the forward pass, the outputs come back only where the host reads them
 * (predictions), and the parameters and AdamW moments come back once per epoch, so the
 * caller's model and training state stay the host's record (checkpoints, the best
 * epoch). One op sequence serves both: `io` points wherever the ops work. */
#ifndef CRIMECAST_MODELS_BATCH_IO_H
#define CRIMECAST_MODELS_BATCH_IO_H

#include <stdint.h>

#include "kernels/arena.h"
#include "models/convlstm.h"
#include "models/train_step.h"

typedef struct cc_batch_io {
    float *x, *y, *out, *base;   /* host: the gathered batch (none when assembled on a GPU),
                                    outputs read back, baseline */
    float *smooth;               /* host: cc_gather_baseline's scratch when the baseline is
                                    smoothed (cfg.baseline_sigma > 0) and gathered here */
    int *starts;
    int batch;                   /* the most samples a batch holds */
    cc_convlstm *model;          /* what the ops run: the caller's model, or &mirror */
    cc_convlstm mirror;          /* the GPU copy */
    struct cc_cuda_state *device; /* where the ops' buffers live: NULL on the host */
    cc_train_step_io io;         /* where the ops read and write (host or device) */
    struct cc_window_tables *tables; /* set: batches are assembled from these where the ops
                                        run (models/window_tables.h), not gathered here */
} cc_batch_io;

/* Buffers for batches of up to `batch` samples of `model` on ctx's device (on a GPU, a
 * copy of the model's current parameters; `mask` is the tensor's, copied there). The
 * baseline offset (io.log_offset) exists only for a model with cfg.baseline_k > 0.
 * host_gather 0: the caller assembles every batch where the ops run (resident windows),
 * so on a GPU the host holds no x, y or base (NULL); on the CPU they are the ops' own.
 * 0, or -1 with err. */
int cc_batch_io_open(cc_batch_io *b, cc_convlstm *model, const cc_ops_context *ctx, const uint8_t *mask,
                     size_t mask_cells, int batch, int host_gather, char *err, size_t err_len);
void cc_batch_io_close(cc_batch_io *b);

/* Makes the gathered batch of n samples (x, y, and the baseline when the model has one)
 * visible to the ops: a copy to the device on a GPU, nothing on the CPU. */
void cc_batch_io_stage(cc_batch_io *b, int n);
/* Brings the ops' outputs (n samples) back into b->out (a copy from the GPU). */
void cc_batch_io_fetch_out(cc_batch_io *b, int n);

/* AdamW moments for training (host arenas of the parameter layout): the arenas' own
 * memory on the CPU, device copies of them on a GPU. */
void cc_batch_io_load_moments(cc_batch_io *b, const cc_arena *m, const cc_arena *v);
/* Copies what training changed on the GPU (parameters, moments) back to the host model
 * and moments; nothing on the CPU, where they are the same memory. */
void cc_batch_io_sync_back(cc_batch_io *b, cc_convlstm *host, cc_arena *m, cc_arena *v);

#endif
