/* Whether the ranks of an MPI job (`mpirun -np N crimecast train`) run the same thing:
 * each starts from its own command line and reads its own copy of the tensor (the same
 * path on every machine), and a stale copy or another option on one rank trained a mix
 * silently (exit 0). Each rank digests what it has (FNV-1a, 64 bits); the digests are
 * compared through the job's collective, and every rank learns which differ. */
#ifndef CRIMECAST_HOST_RANK_AGREEMENT_H
#define CRIMECAST_HOST_RANK_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "heatmaps/tensor.h"
#include "models/collective.h"

/* FNV-1a 64 of n bytes, going on from `digest` (start from CC_DIGEST_START). */
#define CC_DIGEST_START 0xcbf29ce484222325ull
uint64_t cc_digest_bytes(uint64_t digest, const void *bytes, size_t n);
/* The same for large arrays (a tensor's counts: 1.1 GB at 150 m in Chicago), eight times
 * fewer steps: four lanes of 64-bit words, each (lane ^ word) * FNV prime then folded,
 * the lanes and the tail then through cc_digest_bytes. Not FNV-1a's value. */
uint64_t cc_digest_large(uint64_t digest, const void *bytes, size_t n);

/* The command line after the program's name (each argument and its end), and the bytes
 * of the file `also` names when not NULL (train's --config or --resume file: the same
 * command line with another configuration, or a stale model file, on one machine is
 * another run). */
uint64_t cc_digest_arguments(int argc, char **argv, const char *also);

/* What a run reads of a tensor: its shape, bins, categories, grid, mask and counts, and
 * its covariate maps when they are loaded. Also kept in a model file, so that train
 * --resume continues on the data it began on; the recency maps are not in it (model files
 * keep the digest as it was first written: a resume on a file rastered again with other
 * incident times is not told apart). */
uint64_t cc_digest_tensor(const cc_tensor *t);

/* How many ranks hold a `digest` that is not rank 0's, the same answer on every rank
 * (every rank must call it), with *one the rank when there is one; -1 when the sums
 * failed. */
int cc_ranks_differing(const cc_collective *c, uint64_t digest, int *one);

/* How many ranks pass a true `failed`, the same answer on every rank (every rank must
 * call it), with *one the rank when there is one; -1 when the sum failed. */
int cc_ranks_failing(const cc_collective *c, int failed, int *one);

/* Every rank was started with this command line and `also` file (cc_digest_arguments),
 * which the option `also_option` names (e.g. "--config"). 0, or -1 with err naming the
 * rank, or how many, that differ from rank 0. */
int cc_ranks_same_command(const cc_collective *c, int argc, char **argv, const char *also_option, const char *also,
                          char *err, size_t err_len);

/* Every rank read the same tensor `t` from `path` (its own copy on its machine): its
 * digest and its recency maps when read (a copy rastered with other incident times, or
 * without them, trained a mixed model or ended in MPI's own error). 0, or -1 with err
 * naming the rank, or how many, that read another. */
int cc_ranks_same_tensor(const cc_collective *c, const char *path, const cc_tensor *t, char *err, size_t err_len);

/* A failed run's message as the user reads it: under mpirun prefixed with which rank said
 * it ("rank 2 of 4: ..."), as it is otherwise. */
void cc_rank_named_message(const cc_collective *c, const char *err, char *out, size_t out_len);

#endif
