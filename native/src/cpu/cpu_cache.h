/*
 * cpu_cache.h -- data cache sizes of this CPU (see cpu_cache.c).
 */
#ifndef HOLOGRAM_CPU_CACHE_H
#define HOLOGRAM_CPU_CACHE_H

/* L1D, L2 (per core) and L3 sizes in bytes, from Linux's sysfs, else
   sysconf, else defaults; clamped (L3 to at most 64 MiB); computed once,
   thread-safe. */
void hg_cpu_cache_sizes(long *l1, long *l2, long *l3);

#endif /* HOLOGRAM_CPU_CACHE_H */
