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
 *   HG_VEXP, HG_VLOG, HG_VTANH, HG_VSIGMOID, HG_VGELU, HG_VGELU_TANH
 *                       the element functions of the unary kernels: for float
 *                       the vectorisable ones of cpu_vmath.h (the build that
 *                       matches this ISA, see HG_VM), for double libm-based
 *                       (exp, ..., hg_sigmoid_f64, ...)
 *   HG_VEXP_OF_DIFF(x, m) exp(x - m) of two T, rounded to T, without rounding
 *                       x - m first (softmax)
 *   HG_VLOG_OF_DOUBLE(d)  log of a double argument, in double (losses)
 *   HG_VM(name)         the cpu_vmath.h function `name` as built for this ISA:
 *                       name_fma where the ISA has FMA, name on the baseline
 * The HG_V* macros need cpu_vmath.h included by the kernel's .c file.
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

/* cpu_vmath.h's fused build for the ISAs with FMA (the avx2 and avx512
   instantiations are compiled with it enabled; aarch64 always has it). */
#define HG_VM_ISA_SFX_scalar
#define HG_VM_ISA_SFX_avx2 _fma
#define HG_VM_ISA_SFX_avx512 _fma
#define HG_VM_ISA_SFX_neon _fma
#define HG_VM_CAT_(a, b) a##b
#define HG_VM_CAT(a, b) HG_VM_CAT_(a, b)
#define HG_VM_ISA_SFX_(isa) HG_VM_ISA_SFX_##isa
#define HG_VM_ISA_SFX(isa) HG_VM_ISA_SFX_(isa)
#define HG_VM(name) HG_VM_CAT(name, HG_VM_ISA_SFX(HG_CPU_ISA))

/* ---- float32 ---- */
#define T float
#define HG_CPU_SFX f32
#define HG_EXP expf
#define HG_LOG logf
#define HG_TANH tanhf
#define HG_SQRT sqrtf
#define HG_FABS fabsf
#define HG_VEXP HG_VM(hg_vexpf)
#define HG_VLOG HG_VM(hg_vlogf)
#define HG_VTANH HG_VM(hg_vtanhf)
#define HG_VSIGMOID HG_VM(hg_vsigmoidf)
#define HG_VGELU HG_VM(hg_vgeluf)
#define HG_VGELU_TANH HG_VM(hg_vgelu_tanhf)
#define HG_VEXP_OF_DIFF HG_VM(hg_vexpf_diff)
#define HG_VLOG_OF_DOUBLE HG_VM(hg_vlog_d)
#include HG_CPU_TEMPLATE
#undef T
#undef HG_CPU_SFX
#undef HG_EXP
#undef HG_LOG
#undef HG_TANH
#undef HG_SQRT
#undef HG_FABS
#undef HG_VEXP
#undef HG_VLOG
#undef HG_VTANH
#undef HG_VSIGMOID
#undef HG_VGELU
#undef HG_VGELU_TANH
#undef HG_VEXP_OF_DIFF
#undef HG_VLOG_OF_DOUBLE

/* ---- float64 ---- */
#define T double
#define HG_CPU_SFX f64
#define HG_EXP exp
#define HG_LOG log
#define HG_TANH tanh
#define HG_SQRT sqrt
#define HG_FABS fabs
#define HG_VEXP exp
#define HG_VLOG log
#define HG_VTANH tanh
#define HG_VSIGMOID hg_sigmoid_f64
#define HG_VGELU hg_gelu_f64
#define HG_VGELU_TANH hg_gelu_tanh_f64
/* float64: x - m rounded once, then libm's exp. */
#define HG_VEXP_OF_DIFF(x, m) exp((x) - (m))
#define HG_VLOG_OF_DOUBLE log
#include HG_CPU_TEMPLATE
#undef T
#undef HG_CPU_SFX
#undef HG_EXP
#undef HG_LOG
#undef HG_TANH
#undef HG_SQRT
#undef HG_FABS
#undef HG_VEXP
#undef HG_VLOG
#undef HG_VTANH
#undef HG_VSIGMOID
#undef HG_VGELU
#undef HG_VGELU_TANH
#undef HG_VEXP_OF_DIFF
#undef HG_VLOG_OF_DOUBLE

#undef HG_CPU_NAME
#undef HG_CPU_F64
#undef HG_LOCAL
#undef HG_VM
#undef HG_VM_ISA_SFX
#undef HG_VM_ISA_SFX_
#undef HG_VM_CAT
#undef HG_VM_CAT_
#undef HG_VM_ISA_SFX_scalar
#undef HG_VM_ISA_SFX_avx2
#undef HG_VM_ISA_SFX_avx512
#undef HG_VM_ISA_SFX_neon
#undef HG_CPU_CAT3
#undef HG_CPU_CAT3_
