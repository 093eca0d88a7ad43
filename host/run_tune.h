/* A small random search over the ConvLSTM's options, as `crimecast tune` runs it: each
 * candidate is a training run (host/run_train.h) with some of train's options changed,
 * scored by its best validation loss (the test span is never read); the winner becomes
 * a training configuration file (host/train_config.h) that `train --config` reads. */
#ifndef CRIMECAST_HOST_RUN_TUNE_H
#define CRIMECAST_HOST_RUN_TUNE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/collective.h"

#include "host/options.h"

typedef struct cc_tune_request {
    const char *data, *out;       /* the tensor; the configuration file written */
    int budget;                   /* candidates trained */
    int epochs, patience, window, seed, threads;   /* of every candidate */
    const char *keep;             /* keep the candidates' model files here (NULL: a temporary directory) */
    int resume;                   /* go on with the search kept in `keep`: its candidates' files resume */
    const char *model, *down;     /* every candidate's network and downsampling (NULL: train's defaults) */
    int batch;                    /* every candidate's batch (0: train's default) */
    /* Set by the command line under mpirun (host/mpi_world.h), not an option: candidate i
     * is trained by rank i mod N, the scores shared, rank 0 prints and writes; the caller has
     * checked that every rank reads the same tensor (cmd_tune), so it is not read here first.
     * NULL: one process. */
    const cc_collective *collective;
    uint64_t tensor_digest;       /* under mpirun: the tensor's cc_digest_tensor, read by the caller */
    int tensor_bins;              /* under mpirun: its bins (T), read by the caller */
    /* Set by the command line in one process (host/ctrl_c.h), not an option: the Ctrl-C
     * flag. The candidate in training stops before its next step and the search ends
     * there, no configuration written. NULL: no such flag. */
    const volatile sig_atomic_t *stop;
} cc_tune_request;

extern const cc_command_spec CC_TUNE_SPEC;

void cc_tune_request_defaults(cc_tune_request *request);

/* Trains the candidates (their epochs into DIR/tune.log), a line per candidate to `out`,
 * and writes the winner's configuration. 0, or -1 with err (also when stopped). */
int cc_run_tune(const cc_tune_request *request, FILE *out, char *err, size_t err_len);

#endif
