/*
 * cpu_cache.c -- the data cache sizes of the CPU the process runs on, which
 * the GEMM blocking (cpu_gemm.inc) and the streaming-store rule
 * (cpu_parallel.c) are derived from.
 */
#include "cpu_cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Used when the OS does not say. They match common x86 cores of the last
   decade. */
#define HG_CACHE_DEFAULT_L1 (32 * 1024)
#define HG_CACHE_DEFAULT_L2 (512 * 1024)
#define HG_CACHE_DEFAULT_L3 (8 * 1024 * 1024)

/* Linux's sysfs describes cpu0's caches (index0..: level, type, size as
   "48K"); it is right in virtual machines where glibc's sysconf, which
   decodes cpuid, is not (this one reports a 384 MiB L3 for a 32 MiB one). */
static long sysfs_cache_size(int level)
{
    long found = 0;
    for (int index = 0; index < 8 && !found; ++index) {
        char path[96], type[32] = "", size[32] = "";
        int lvl = 0;
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        if (!(f = fopen(path, "r")))
            continue;
        const int got_level = fscanf(f, "%d", &lvl) == 1;
        fclose(f);
        if (!got_level || lvl != level)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%31s", type) != 1)
                type[0] = '\0';
            fclose(f);
        }
        if (!strcmp(type, "Instruction"))
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        if ((f = fopen(path, "r"))) {
            long v = 0;
            char unit = '\0';
            if (fscanf(f, "%31s", size) == 1 && sscanf(size, "%ld%c", &v, &unit) >= 1)
                found = unit == 'K' ? v * 1024 : unit == 'M' ? v * 1024 * 1024 : v;
            fclose(f);
        }
    }
    return found;
}

static long cache_size(int level, int sc_name, long fallback, long lo, long hi)
{
    long v = sysfs_cache_size(level);
    if (v <= 0 && sc_name >= 0)
        v = sysconf(sc_name);
    if (v <= 0)
        return fallback;
    /* Clamped: the blocking must stay sane whatever the OS says. */
    return v < lo ? lo : v > hi ? hi : v;
}

#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
#define HG_CACHE_SC_L1 _SC_LEVEL1_DCACHE_SIZE
#define HG_CACHE_SC_L2 _SC_LEVEL2_CACHE_SIZE
#define HG_CACHE_SC_L3 _SC_LEVEL3_CACHE_SIZE
#else
#define HG_CACHE_SC_L1 (-1)
#define HG_CACHE_SC_L2 (-1)
#define HG_CACHE_SC_L3 (-1)
#endif

static _Atomic long cache_bytes[3];

void hg_cpu_cache_sizes(long *l1, long *l2, long *l3)
{
    /* Racing first calls compute the same values; no lock needed. */
    long c1 = atomic_load_explicit(&cache_bytes[0], memory_order_acquire);
    if (c1 == 0) {
        c1 = cache_size(1, HG_CACHE_SC_L1, HG_CACHE_DEFAULT_L1, 16 * 1024, 128 * 1024);
        const long c2 = cache_size(2, HG_CACHE_SC_L2, HG_CACHE_DEFAULT_L2, 128 * 1024, 4 * 1024 * 1024);
        long c3 = cache_size(3, HG_CACHE_SC_L3, HG_CACHE_DEFAULT_L3, 0, 64L * 1024 * 1024);
        if (c3 < c2)
            c3 = c2; /* no L3 (or none reported): B panels then live in L2 */
        atomic_store_explicit(&cache_bytes[1], c2, memory_order_relaxed);
        atomic_store_explicit(&cache_bytes[2], c3, memory_order_relaxed);
        atomic_store_explicit(&cache_bytes[0], c1, memory_order_release);
    }
    *l1 = c1;
    *l2 = atomic_load_explicit(&cache_bytes[1], memory_order_relaxed);
    *l3 = atomic_load_explicit(&cache_bytes[2], memory_order_relaxed);
}
