/* heatmaps/machine_memory.h */
#include "heatmaps/machine_memory.h"

#include <unistd.h>

double cc_physical_memory_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : 0.0;
}
