/* The machine's physical memory, which no tensor larger than it can be read into, and
 * what every memory plan falls back on where the kernel says nothing finer (MemAvailable,
 * a cgroup's limit: host/memory_budget.h). One place, as the tensor reader, raster's
 * warning and the memory plan each computed it. */
#ifndef CRIMECAST_HEATMAPS_MACHINE_MEMORY_H
#define CRIMECAST_HEATMAPS_MACHINE_MEMORY_H

/* Physical memory in bytes (pages times page size), 0 when the system does not say. */
double cc_physical_memory_bytes(void);

#endif
