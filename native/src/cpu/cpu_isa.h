/*
 * cpu_isa.h -- the instruction sets the CPU kernels are compiled for.
 *
 * Every kernel template is compiled once per ISA of the target architecture
 * into the one library (cpu_isa_instantiate.h); at executor creation the
 * best ISA the machine supports (cpuid and the OS's XCR0, cpu_features.c)
 * is chosen, unless HOLOGRAM_ISA names a lower one. Distributed wheels are
 * built for the baseline; the wider code paths exist only behind this check.
 */
#ifndef HOLOGRAM_CPU_ISA_H
#define HOLOGRAM_CPU_ISA_H

#if defined(__x86_64__) || defined(__i386__)
#define HG_CPU_X86 1
/* Lowest first: the index order is the preference order. */
#define HG_CPU_ISAS(X) X(scalar) X(avx2) X(avx512)
#elif defined(__aarch64__)
#define HG_CPU_ISAS(X) X(neon)
#else
#define HG_CPU_ISAS(X) X(scalar)
#endif

enum hg_cpu_isa {
#define HG_CPU_ISA_ENUM(isa) HG_CPU_ISA_##isa,
    HG_CPU_ISAS(HG_CPU_ISA_ENUM)
#undef HG_CPU_ISA_ENUM
    HG_CPU_ISA_COUNT
};

/* "scalar", "avx2", ... */
const char *hg_cpu_isa_name(int isa);
/* 1 when this machine (CPU and OS) can run code of that ISA. */
int hg_cpu_isa_supported(int isa);
/* The ISA new executors use: HOLOGRAM_ISA if set (validated), else the best
   supported one. Returns -1 with the error detail set on a bad HOLOGRAM_ISA. */
int hg_cpu_isa_select(void);
const char *hg_cpu_isa_list(void);

#endif /* HOLOGRAM_CPU_ISA_H */
