#include "host/memory_budget.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "heatmaps/machine_memory.h"
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
    return kib > 0 ? kib * 1024.0 : cc_physical_memory_bytes();
}

/* What this process may still map under an address-space limit (ulimit -v, prlimit --as):
 * the limit less its size now; 0 where there is none. --memory auto planned against the
 * machine's memory under one, and the network then failed to allocate (a probe). */
static double address_space_room_bytes(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
    FILE *f = fopen("/proc/self/statm", "r");
    double pages = 0;
    if (f && fscanf(f, "%lf", &pages) != 1) pages = 0;
    if (f) fclose(f);
    double room = (double)limit.rlim_cur - pages * (double)sysconf(_SC_PAGESIZE);
    return room > 1 ? room : 1;
}

/* One number from dir/name (a cgroup's limit or usage); 0 when it holds none ("max"). */
static double number_in_file(const char *dir, const char *name) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    double value = 0;
    if (f && fscanf(f, "%lf", &value) != 1) value = 0;
    if (f) fclose(f);
    return value;
}

/* The value of `key` in dir/memory.stat ("key value" lines); 0 when absent. */
static double stat_in_file(const char *dir, const char *key) {
    char path[4400], name[128];
    snprintf(path, sizeof path, "%s/memory.stat", dir);
    FILE *f = fopen(path, "r");
    double value = 0, v;
    while (f && fscanf(f, "%127s %lf", name, &v) == 2)
        if (!strcmp(name, key)) value = v;
    if (f) fclose(f);
    return value;
}

/* A group's limit less what it uses, its inactive file cache not counted (the kernel
 * reclaims that first: counted, a few GiB of reads refused a run; a reviewer); 0 where it
 * sets no limit (v1 writes 2^63 rounded down to a page for none). */
static double room_in(const char *dir, const char *limit_name, const char *usage_name, const char *cache_key) {
    double most = number_in_file(dir, limit_name);
    if (!(most > 0 && most < 0x1p60)) return 0;
    double used = number_in_file(dir, usage_name) - stat_in_file(dir, cache_key);
    double room = most - (used > 0 ? used : 0);
    return room > 1 ? room : 1;
}

/* The least positive room of `dir` and each group above it up to `top` (a limit set on a
 * parent binds too: a Slurm job's, a systemd slice's; a reviewer). */
static double room_up_to(const char *dir, const char *top, const char *limit_name, const char *usage_name,
                         const char *cache_key) {
    char here[4200];
    snprintf(here, sizeof here, "%s", dir);
    double least = 0;
    size_t floor = strlen(top);
    for (;;) {
        double room = room_in(here, limit_name, usage_name, cache_key);
        if (room > 0 && (least <= 0 || room < least)) least = room;
        char *slash = strrchr(here, '/');
        if (strlen(here) <= floor || !slash || (size_t)(slash - here) < floor) break;
        *slash = '\0';
    }
    return least;
}

double cc_cgroup_room_bytes(const char *cgroup_list, const char *root) {
    FILE *f = fopen(cgroup_list, "r");
    char line[4096], v2[4200] = "", v1[4200] = "", v1_top[4200];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *v1_path = strstr(line, ":memory:");
        if (!strncmp(line, "0::", 3)) snprintf(v2, sizeof v2, "%s%s", root, line + 3);
        else if (v1_path) snprintf(v1, sizeof v1, "%s/memory%s", root, v1_path + 8);
    }
    if (f) fclose(f);
    snprintf(v1_top, sizeof v1_top, "%s/memory", root); /* a container sees its own group as the root */
    double room = v2[0] ? room_up_to(v2, root, "memory.max", "memory.current", "inactive_file") : 0;
    if (room == 0 && v1[0])
        room = room_up_to(v1, v1_top, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file");
    return room;
}

/* The least of the positive ones (0 when none is). */
static double least_known(double a, double b) { return a > 0 && (b <= 0 || a < b) ? a : b; }

double cc_memory_budget(const cc_ops_context *ctx, double asked, const char **words) {
    const char *said = "--memory";
    double budget = asked;
    cc_gpu_info gpu;
    char why[256];
    if (asked > 0) {
        /* as given */
    } else if (ctx->backend == CC_BACKEND_CUDA && cc_cuda_device_info(0, &gpu, why, sizeof why) == 0) {
        said = "90% of the GPU's memory", budget = 0.9 * (double)gpu.total_memory_bytes;
    } else {
        double available = host_available_bytes(), address = address_space_room_bytes(),
               group = cc_cgroup_room_bytes("/proc/self/cgroup", "/sys/fs/cgroup");
        double least = least_known(least_known(available, address), group);
        said = group > 0 && least == group ? "90% of what the memory cgroup's limit leaves (a container's or a job's)"
               : address > 0 && least == address && least != available
                   ? "90% of what the address-space limit (ulimit -v) leaves"
                   : "90% of the host's available memory";
        budget = 0.9 * least;
    }
    if (words) *words = said;
    return budget;
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
