/*
 * cpu_features.c -- what this machine can execute, probed once: the CPU's
 * cpuid bits *and* the OS's consent (XCR0) to save the wider registers. A CPU
 * with AVX-512 under an OS that does not save zmm state must not run AVX-512
 * code, so cpuid alone is not enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "core.h"
#include "cpu_isa.h"

enum {
    F_SSE42 = 1 << 0,
    F_AVX = 1 << 1,
    F_AVX2 = 1 << 2,
    F_FMA = 1 << 3,
    F_AVX512F = 1 << 4,
    F_AVX512BW = 1 << 5,
    F_AVX512VL = 1 << 6,
    F_AVX512DQ = 1 << 7,
    F_NEON = 1 << 8,
};

static const struct {
    unsigned bit;
    const char *name;
} feature_names[] = {
    {F_SSE42, "sse4.2"}, {F_AVX, "avx"}, {F_AVX2, "avx2"}, {F_FMA, "fma"},
    {F_AVX512F, "avx512f"}, {F_AVX512BW, "avx512bw"}, {F_AVX512VL, "avx512vl"},
    {F_AVX512DQ, "avx512dq"}, {F_NEON, "neon"},
};

static unsigned features;
static char feature_text[160];
static char isa_list[64]; /* the supported ISAs, lowest first */
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    /* xgetbv with ecx = 0; encoded as bytes for assemblers without the mnemonic. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static unsigned probe_x86(void) {
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (c & bit_SSE4_2) f |= F_SSE42;
    const int osxsave = (c & bit_OSXSAVE) != 0;
    const int cpu_avx = (c & bit_AVX) != 0, cpu_fma = (c & bit_FMA) != 0;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    /* XMM|YMM state for AVX; plus opmask, ZMM_Hi256, Hi16_ZMM for AVX-512. */
    const int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xe6) == 0xe6;
    if (cpu_avx && os_avx) f |= F_AVX;
    if (cpu_fma && os_avx) f |= F_FMA;
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if ((b & bit_AVX2) && os_avx) f |= F_AVX2;
        if (os_avx512) {
            if (b & bit_AVX512F) f |= F_AVX512F;
            if (b & bit_AVX512BW) f |= F_AVX512BW;
            if (b & bit_AVX512VL) f |= F_AVX512VL;
            if (b & bit_AVX512DQ) f |= F_AVX512DQ;
        }
    }
    return f;
}
#endif

static void probe(void) {
#if defined(__x86_64__) || defined(__i386__)
    features = probe_x86();
#elif defined(__aarch64__)
    features = F_NEON; /* part of the AArch64 baseline */
#endif
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
        if (!(features & feature_names[i].bit)) continue;
        size_t used = strlen(feature_text), add = strlen(feature_names[i].name);
        if (used + add + 2 > sizeof feature_text) break;
        if (used) feature_text[used++] = ' ';
        memcpy(feature_text + used, feature_names[i].name, add + 1);
    }
    if (!feature_text[0]) strcpy(feature_text, "baseline");
}

static void append_isa(const char *name) {
    size_t used = strlen(isa_list);
    if (used + strlen(name) + 2 > sizeof isa_list) return;
    if (used) isa_list[used++] = ' ';
    strcpy(isa_list + used, name);
}

const char *hg_cpu_features(void) {
    pthread_once(&probe_once, probe);
    return feature_text;
}

static const char *const isa_names[HG_CPU_ISA_COUNT] = {
#define HG_CPU_ISA_NAME(isa) #isa,
    HG_CPU_ISAS(HG_CPU_ISA_NAME)
#undef HG_CPU_ISA_NAME
};

const char *hg_cpu_isa_name(int isa) {
    return (isa >= 0 && isa < HG_CPU_ISA_COUNT) ? isa_names[isa] : "unknown";
}

static int isa_supported(int isa);

static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

static void list_isas(void) {
    for (int isa = 0; isa < HG_CPU_ISA_COUNT; isa++)
        if (isa_supported(isa)) append_isa(hg_cpu_isa_name(isa));
}

const char *hg_cpu_isa_list(void) {
    pthread_once(&isa_once, list_isas);
    return isa_list;
}

int hg_cpu_isa_supported(int isa) { return isa_supported(isa); }

static int isa_supported(int isa) {
    pthread_once(&probe_once, probe);
    const char *name = hg_cpu_isa_name(isa);
    if (strcmp(name, "avx2") == 0) return (features & (F_AVX2 | F_FMA)) == (F_AVX2 | F_FMA);
    if (strcmp(name, "avx512") == 0) {
        const unsigned need = F_AVX512F | F_AVX512BW | F_AVX512VL | F_AVX512DQ | F_AVX2 | F_FMA;
        return (features & need) == need;
    }
    return isa >= 0 && isa < HG_CPU_ISA_COUNT; /* the baseline always runs */
}

int hg_cpu_isa_select(void) {
    int best = 0;
    for (int isa = 0; isa < HG_CPU_ISA_COUNT; isa++)
        if (hg_cpu_isa_supported(isa)) best = isa;
    const char *forced = getenv("HOLOGRAM_ISA");
    if (!forced || !forced[0] || strcmp(forced, "auto") == 0) return best;
    for (int isa = 0; isa < HG_CPU_ISA_COUNT; isa++) {
        if (strcmp(forced, isa_names[isa]) != 0) continue;
        if (hg_cpu_isa_supported(isa)) return isa;
        hg__set_error(HG_ERR_BACKEND_UNAVAILABLE,
            "HOLOGRAM_ISA=%s: this machine cannot run %s code (features: %s); unset it or "
            "pick one of the supported ISAs (%s)", forced, forced, hg_cpu_features(), hg_cpu_isa_list());
        return -1;
    }
    hg__set_error(HG_ERR_INVALID_ARGUMENT, "HOLOGRAM_ISA=%s is not an ISA of this build (%s, or auto)",
                  forced, hg_cpu_isa_list());
    return -1;
}


const char *hg_cpu_isa(void) {
    int isa = hg_cpu_isa_select();
    return isa < 0 ? NULL : hg_cpu_isa_name(isa);
}
