#include "host/memory_budget.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/options.h"
#include "kernels/device.h"

/* The host's available memory, or its physical memory where /proc says nothing. */
static double host_available_bytes(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1) break;
    if (f) fclose(f);
    if (kib > 0) return kib * 1024.0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : 0;
}

double cc_memory_budget(const cc_ops_context *ctx, double asked) {
    if (asked > 0) return asked;
    cc_gpu_info gpu;
    char why[256];
    if (ctx->backend == CC_BACKEND_CUDA && cc_cuda_device_info(0, &gpu, why, sizeof why) == 0)
        return 0.9 * (double)gpu.total_memory_bytes;
    return 0.9 * host_available_bytes();
}

int cc_parse_memory_option(const char *text, void *field, char *why, size_t why_len) {
    double *bytes = field;
    if (!strcmp(text, "auto")) return *bytes = 0, 0;
    char *end;
    double v = cc_decimal_strtod(text, &end);
    const char *units = "KMGT";
    const char *unit = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (unit) {
        v *= pow(1024.0, (double)(unit - units + 1));
        end++;
        if (!strcmp(end, "iB") || !strcmp(end, "B")) end += strlen(end);
    }
    if (end == text || *end || !(v >= 1 << 20) || !isfinite(v)) {
        snprintf(why, why_len, "--memory takes a size of at least 1M, e.g. 40G or 512M, or auto (got '%s')", text);
        return -1;
    }
    *bytes = v;
    return 0;
}
