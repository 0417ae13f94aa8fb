/*
 * cpu_isa_instantiate.h -- compiles the template HG_CPU_TEMPLATE for every
 * ISA in HG_CPU_ISAS (and, through cpu_instantiate.h, for every dtype).
 *
 * The wider ISAs are enabled per function with target pragmas, not with
 * -m flags, so the library still runs on a baseline CPU: only code behind
 * the runtime check (cpu_isa_select) ever executes AVX2/AVX-512 instructions.
 * Baseline static inline helpers may be inlined into the wider functions
 * (a subset of the caller's ISA); never the other way round.
 */
#ifndef HG_CPU_TEMPLATE
#error "define HG_CPU_TEMPLATE before including cpu_isa_instantiate.h"
#endif

#include "cpu_isa.h"

#if defined(HG_CPU_X86)

#define HG_CPU_ISA scalar
#include "cpu_instantiate.h"
#undef HG_CPU_ISA

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define HG_CPU_ISA avx2
#include "cpu_instantiate.h"
#undef HG_CPU_ISA
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* 512-bit vectors explicitly: GCC otherwise prefers 256-bit ones even when
   AVX-512 is enabled, which leaves half of each register unused. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,prefer-vector-width=512"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,prefer-vector-width=512")
#endif
#define HG_CPU_ISA avx512
#include "cpu_instantiate.h"
#undef HG_CPU_ISA
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#elif defined(__aarch64__)

#define HG_CPU_ISA neon
#include "cpu_instantiate.h"
#undef HG_CPU_ISA

#else

#define HG_CPU_ISA scalar
#include "cpu_instantiate.h"
#undef HG_CPU_ISA

#endif

#undef HG_CPU_TEMPLATE
