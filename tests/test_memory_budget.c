/* host/memory_budget.h: what the memory cgroups leave the process (v2, its parents, its
 * inactive file cache free; v1 in its own directory, v1 seen as the mount's root inside a
 * container), read from a fake
 * /proc/self/cgroup and /sys/fs/cgroup tree; --memory auto planned against the machine's
 * memory under such a limit (a container's MemAvailable is the host's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/memory_budget.h"

/* Writes text to dir/name, making dir (and one parent level) first. */
static void put(const char *dir, const char *name, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "mkdir -p '%s'", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char root[64];

static int make_root(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/crimecast-cgroup-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state) {
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    return system(command) == 0 ? 0 : -1;
}

static double room(const char *list) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/proc", root);
    put(dir, "cgroup", list);
    char path[256];
    snprintf(path, sizeof path, "%s/proc/cgroup", root);
    char mount[256];
    snprintf(mount, sizeof mount, "%s/sys", root);
    return cc_cgroup_room_bytes(path, mount);
}

static void test_v2_limit_less_usage(void **state) {
    (void)state;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/sys/job/42", root);
    put(dir, "memory.max", "8589934592\n");     /* 8 GiB */
    put(dir, "memory.current", "1073741824\n"); /* 1 GiB used */
    assert_true(room("0::/job/42\n") == 7.0 * 1073741824.0);
    put(dir, "memory.max", "max\n"); /* none */
    assert_true(room("0::/job/42\n") == 0);
    put(dir, "memory.max", "1000\n"); /* spent: at least 1, not "none" */
    put(dir, "memory.current", "5000\n");
    assert_true(room("0::/job/42\n") == 1);
}

/* The inactive file cache is not counted as used (the kernel reclaims it first: counted, a
 * few GiB of reads refused a run; a reviewer), and a parent's limit binds too (a Slurm
 * job's, a systemd slice's). */
static void test_v2_cache_and_parents(void **state) {
    (void)state;
    char job[256], step[256];
    snprintf(job, sizeof job, "%s/sys/slurm/job_7", root);
    snprintf(step, sizeof step, "%s/sys/slurm/job_7/step_0", root);
    put(step, "memory.max", "max\n");
    put(step, "memory.current", "3221225472\n");                  /* 3 GiB, */
    put(step, "memory.stat", "anon 1073741824\ninactive_file 2147483648\n"); /* 2 of it cache */
    put(job, "memory.max", "4294967296\n");                      /* the job's 4 GiB */
    put(job, "memory.current", "3221225472\n");
    put(job, "memory.stat", "inactive_file 2147483648\nactive_file 1\n");
    assert_true(room("0::/slurm/job_7/step_0\n") == 3.0 * 1073741824.0); /* 4 - (3 - 2) */
    put(step, "memory.max", "2147483648\n"); /* the step's own 2 GiB is the lesser: 2 - (3 - 2) */
    assert_true(room("0::/slurm/job_7/step_0\n") == 1.0 * 1073741824.0);
}

static void test_v1_own_directory_then_mount_root(void **state) {
    (void)state;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/sys/memory/docker/abc", root);
    put(dir, "memory.limit_in_bytes", "4294967296\n");
    put(dir, "memory.usage_in_bytes", "294967296\n");
    const char *list = "4:memory:/docker/abc\n1:cpu:/\n0::/\n";
    assert_true(room(list) == 4000000000.0);
    /* a container sees its group as the mount's root: the group's path is not there */
    snprintf(dir, sizeof dir, "%s/sys/memory", root);
    put(dir, "memory.limit_in_bytes", "2147483648\n");
    put(dir, "memory.usage_in_bytes", "147483648\n");
    assert_true(room("4:memory:/process_api/7f1f\n0::/\n") == 2000000000.0);
    /* v1's "no limit" is 2^63 rounded down to a page */
    put(dir, "memory.limit_in_bytes", "9223372036854771712\n");
    assert_true(room("4:memory:/process_api/7f1f\n0::/\n") == 0);
}

static void test_nothing_to_read(void **state) {
    (void)state;
    assert_true(room("") == 0);
    assert_true(cc_cgroup_room_bytes("/nonexistent/cgroup", "/nonexistent") == 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_limit_less_usage),
        cmocka_unit_test(test_v2_cache_and_parents),
        cmocka_unit_test(test_v1_own_directory_then_mount_root),
        cmocka_unit_test(test_nothing_to_read),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
