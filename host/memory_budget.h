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
 * memory cgroups leave (a container's or a batch job's limit: MemAvailable is the
 * machine's); 0 when nothing can be told. `words` (may be NULL) gets where it came from,
 * for a refusal: "--memory", "90% of the GPU's memory", "90% of the host's available
 * memory", or the limit's. */
double cc_memory_budget(const cc_ops_context *ctx, double asked, const char **words);

/* What the memory cgroups leave this process, in bytes, from the list `cgroup_list` names
 * (/proc/self/cgroup) under the mount `root` (/sys/fs/cgroup): the least, over its group
 * and each above it, of v2's memory.max less memory.current, else v1's
 * memory.limit_in_bytes less memory.usage_in_bytes, the inactive file cache (memory.stat)
 * not counted as used; the v1 walk ends at the mount's memory directory (a container sees
 * its own group as the root). 0 where no limit is set or none can be read; at least 1
 * when a limit is spent. */
double cc_cgroup_room_bytes(const char *cgroup_list, const char *root);

#endif
