/* How much memory a run may take where its ops run, when the user gives no --memory: 90%
 * of the GPU's memory, or of the host's available memory (MemAvailable: free plus what the
 * kernel can reclaim). train plans its batch against it; predict its batch of forecasts
 * (a model trained at --batch 64 on a large machine, predicted on a smaller one, took the
 * training batch's activations at once: 13 GB at 150 m for batch 16; a probe). */
#ifndef CRIMECAST_HOST_MEMORY_BUDGET_H
#define CRIMECAST_HOST_MEMORY_BUDGET_H

#include "kernels/ops.h"

/* --memory SIZE|auto into a double of bytes (0: auto): 40G, 512M, 1.5T, 1.5GiB (binary
 * units; a bare number is bytes); at least 1M.
 * An option table's custom parser (host/options.h): 0, or -1 with why. */
int cc_parse_memory_option(const char *text, void *field, char *why, size_t why_len);

/* `asked` when positive (--memory), else the share above; 0 when nothing can be told. */
double cc_memory_budget(const cc_ops_context *ctx, double asked);

#endif
