/*
 * cpu_instantiate.h -- compiles the kernel template named by HG_CPU_TEMPLATE
 * once per supported dtype, so every kernel is written once for float32 and
 * float64. Included (deliberately without an include guard) at the end of a
 * kernel .c file, after everything the template needs:
 *
 *     #define HG_CPU_TEMPLATE "cpu_unary.inc"
 *     #include "cpu_isa_instantiate.h"
 *
 * (through cpu_isa_instantiate.h, which defines HG_CPU_ISA once per ISA).
 *
 * Inside a template:
 *   T                   the element type
 *   HG_CPU_NAME(name)   hg_cpu_<name>_<f32|f64>_<isa>, for kernels and exported helpers
 *   HG_CPU_F64(name)    hg_cpu_<name>_f64_<isa>: the float64 twin, from either dtype
 *   HG_LOCAL(name)      <name>_<f32|f64>_<isa>, for static helpers (each .c holds
 *                       every instantiation, so even static names need a suffix)
 *   HG_EXP, HG_LOG, HG_TANH, HG_SQRT, HG_FABS
 *                       libm at T's precision (expf for float, ...)
 * A template must #undef any macro it defines, since it is included twice.
 */
#if !defined(HG_CPU_TEMPLATE) || !defined(HG_CPU_ISA)
#error "include cpu_isa_instantiate.h, which defines HG_CPU_ISA, with HG_CPU_TEMPLATE set"
#endif

#define HG_CPU_CAT3_(a, b, c) a##_##b##_##c
#define HG_CPU_CAT3(a, b, c) HG_CPU_CAT3_(a, b, c)
#define HG_CPU_NAME(name) HG_CPU_CAT3(hg_cpu_##name, HG_CPU_SFX, HG_CPU_ISA)
#define HG_CPU_F64(name) HG_CPU_CAT3(hg_cpu_##name, f64, HG_CPU_ISA)
#define HG_LOCAL(name) HG_CPU_CAT3(name, HG_CPU_SFX, HG_CPU_ISA)

/* ---- float32 ---- */
#define T float
#define HG_CPU_SFX f32
#define HG_EXP expf
#define HG_LOG logf
#define HG_TANH tanhf
#define HG_SQRT sqrtf
#define HG_FABS fabsf
#include HG_CPU_TEMPLATE
#undef T
#undef HG_CPU_SFX
#undef HG_EXP
#undef HG_LOG
#undef HG_TANH
#undef HG_SQRT
#undef HG_FABS

/* ---- float64 ---- */
#define T double
#define HG_CPU_SFX f64
#define HG_EXP exp
#define HG_LOG log
#define HG_TANH tanh
#define HG_SQRT sqrt
#define HG_FABS fabs
#include HG_CPU_TEMPLATE
#undef T
#undef HG_CPU_SFX
#undef HG_EXP
#undef HG_LOG
#undef HG_TANH
#undef HG_SQRT
#undef HG_FABS

#undef HG_CPU_NAME
#undef HG_CPU_F64
#undef HG_LOCAL
#undef HG_CPU_CAT3
#undef HG_CPU_CAT3_
