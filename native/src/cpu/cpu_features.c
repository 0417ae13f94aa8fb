/*
 * cpu_features.c -- the CPU features this machine offers, probed once.
 *
 * For now this is informational (`hologram info`); runtime ISA dispatch of
 * kernels builds on the same probe.
 */
#include <pthread.h>
#include <string.h>

#include "hologram/hologram.h"

static char features[256];
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static void append(const char *name) {
    size_t used = strlen(features);
    if (used + strlen(name) + 2 > sizeof features) return;
    if (used) features[used++] = ' ';
    strcpy(features + used, name);
}

static void probe(void) {
#if defined(__x86_64__) || defined(__i386__)
    /* __builtin_cpu_supports also checks that the OS saves the wider registers. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) append("sse4.2");
    if (__builtin_cpu_supports("avx")) append("avx");
    if (__builtin_cpu_supports("avx2")) append("avx2");
    if (__builtin_cpu_supports("fma")) append("fma");
    if (__builtin_cpu_supports("avx512f")) append("avx512f");
    if (__builtin_cpu_supports("avx512bw")) append("avx512bw");
    if (__builtin_cpu_supports("avx512vl")) append("avx512vl");
#elif defined(__aarch64__)
    append("neon");
#endif
    if (!features[0]) append("baseline");
}

const char *hg_cpu_features(void) {
    pthread_once(&features_once, probe);
    return features;
}
