/* How much memory a run may take where its ops run, when the user gives no --memory: 90%
 * of the GPU's memory, or of the host's available memory (MemAvailable: free plus what the
 * kernel can reclaim, within the process's limits below). train plans its batch against
 * it; predict its batch of forecasts (a model trained at --batch 64 on a large machine,
 * predicted on a smaller one, took the training batch's activations at once: 13 GB at
 * 150 m for batch 16; a probe). */
#ifndef CRIMECAST_HOST_MEMORY_BUDGET_H
#define CRIMECAST_HOST_MEMORY_BUDGET_H

#include "kernels/ops.h"

/* --memory SIZE|auto into a double of bytes (0: auto): 40G, 512M, 1.5T, 1.5GiB (binary
 * units; a bare number is bytes); at least 1M.
 * An option table's custom parser (host/options.h): 0, or -1 with why. */
int cc_parse_memory_option(const char *text, void *field, char *why, size_t why_len);

/* `asked` when positive (--memory), else the share above, of the least of the host's
 * available memory, what an address-space limit (ulimit -v) leaves and what the process's
 * cgroup leaves (a container's or a batch job's limit: MemAvailable is the machine's); 0
 * when nothing can be told. */
double cc_memory_budget(const cc_ops_context *ctx, double asked);

/* Where that budget came from, for a refusal: "--memory", "90% of the GPU's memory",
 * "90% of the host's available memory", or the address-space or cgroup limit's words. */
const char *cc_memory_budget_words(const cc_ops_context *ctx, double asked);

/* What a memory cgroup leaves this process, in bytes, from the list `cgroup_list` names
 * (/proc/self/cgroup) under the mount `root` (/sys/fs/cgroup): v2's memory.max less
 * memory.current, else v1's memory.limit_in_bytes less memory.usage_in_bytes (the group's
 * own directory, or the mount's when a container sees its group as the root); 0 where no
 * limit is set or none can be read. At least 1 when a limit is spent. */
double cc_cgroup_room_bytes(const char *cgroup_list, const char *root);

#endif
