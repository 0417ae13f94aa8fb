/*
 * cpu_vmath.h -- float32 exp, log, tanh, sigmoid and the two GELUs written
 * for GCC's auto-vectoriser, plus the float64 element functions (libm) the
 * same kernels use.
 *
 * Why not libm: expf, tanhf, erfc... are opaque calls, so a loop over them
 * runs one element at a time (10-40x slower than vectorised code). These
 * functions are straight-line arithmetic: Cody-Waite range reduction, a
 * polynomial or rational kernel, an exponent built with integer operations
 * on the bit pattern, and mask selects (hg_vm_select) instead of branches
 * for the special cases. After inlining into a kernel loop GCC turns every
 * statement into a vector instruction (at -O3, the wheel's level: GCC 12's
 * -O2 cost model vectorises no loop of unknown length). Nothing calls libm
 * and nothing reads a table, so there are no gathers.
 *
 * Two builds of every function (cpu_vmath.inc, included twice below):
 *   hg_vexpf(x), ...      a*b + c as two roundings: for the baseline ISA,
 *                         where fmaf() would be a libm call;
 *   hg_vexpf_fma(x), ...  __builtin_fmaf: one fused instruction, only to be
 *                         called from code compiled for an ISA with FMA
 *                         (the avx2/avx512 kernels, aarch64). They are
 *                         always_inline, so the builtins are expanded in the
 *                         caller's target context.
 * GCC does not contract a*b + c on its own here (-std=c11 implies
 * -ffp-contract=off; `#pragma GCC target("fma")` does not change that), so
 * each build computes exactly what it says on every ISA, vectorised or not.
 * The error-critical steps (the reductions, the exact square in gelu) are
 * exact in both builds; only polynomial roundings differ, and test_vmath
 * checks both.
 *
 * Max error in ULP of the float result against the double-precision value,
 * over all 2^32 inputs (test_vmath with HOLOGRAM_VMATH_EXHAUSTIVE=1; the
 * bound in parentheses is what the plain test enforces):
 *   hg_vexpf          1.00 unfused, 1.02 fused        (1.5)
 *   hg_vlogf          0.95, 0.88                      (1)
 *   hg_vtanhf         2.73, 2.68                      (3)
 *   hg_vsigmoidf      2.40, 2.40                      (2.5)
 *   hg_vgeluf         3.47, 2.88                      (3.5)
 *   hg_vgelu_tanhf    1.14, 1.14                      (1.5)
 * gelu is 0.5 x (1 + erf(x / sqrt2)), gelu_tanh 0.5 x (1 + tanh(u)) with
 * u = sqrt(2/pi) (x + 0.044715 x^3). Denormal results are as accurate, in
 * units of 2^-149: nothing is flushed. Two helpers serve the row-wise and
 * loss kernels: hg_vexpf_diff(x, m) (exp(x - m) of two floats without
 * rounding x - m first; 1.5 ULP) and hg_vlog_d (a double log, relative error
 * < 1e-15).
 *
 * Special values follow the defining formulas in IEEE arithmetic, as the
 * libm-based kernels did: NaN in, NaN out; exp(+inf) = inf, exp(-inf) = 0,
 * overflow to inf above 88.7228; log(0) = -inf, log(x < 0) = NaN,
 * log(inf) = inf; tanh(+-inf) = +-1, tanh(-0) = -0; sigmoid(-inf) = 0,
 * sigmoid(inf) = 1; gelu(inf) = gelu_tanh(inf) = inf, and
 * gelu(-inf) = gelu_tanh(-inf) = NaN (-inf * 0 in the formula).
 */
#ifndef HOLOGRAM_CPU_VMATH_H
#define HOLOGRAM_CPU_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__CUDACC__)
/* The CUDA backend includes this header too (cu_math.cuh): the same float32
   algorithms, and so the same error bounds, on the GPU. Device code only;
   its fmaf is the one fused instruction. */
#define HG_VM_INLINE static __device__ __forceinline__
#elif defined(__GNUC__) || defined(__clang__)
#define HG_VM_INLINE static inline __attribute__((always_inline))
#else
#define HG_VM_INLINE static inline
#endif

/* Bit casts through memcpy: well defined, and free after optimisation (a
   vector register is just reinterpreted). */
HG_VM_INLINE uint32_t hg_vm_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

HG_VM_INLINE float hg_vm_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* c ? a : b with a bit mask rather than a conditional: GCC turns a ?:
   into a branch, and then sinks the work that only one arm needs (say, the
   whole exp when the other arm is inf) into that branch, where it cannot be
   if-converted (a conditional float operation could trap) and the loop is
   not vectorised. A mask select keeps the block straight; it becomes a
   blend or vpternlog. c must be 0 or 1. */
HG_VM_INLINE float hg_vm_select(int c, float a, float b)
{
    const uint32_t m = 0u - (uint32_t)c;
    return hg_vm_float((hg_vm_bits(a) & m) | (hg_vm_bits(b) & ~m));
}

HG_VM_INLINE uint64_t hg_vm_bits64(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

HG_VM_INLINE double hg_vm_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

HG_VM_INLINE double hg_vm_select_d(int c, double a, double b)
{
    const uint64_t m = 0u - (uint64_t)c;
    return hg_vm_double((hg_vm_bits64(a) & m) | (hg_vm_bits64(b) & ~m));
}

/* The exponentials share one scheme: exp(x) = 2^n (1 + t) with
   n = round(x / ln2), r = x - n ln2 in [-0.347, 0.347] and t = expm1(r) a
   polynomial. 2^n is applied as two factors, 2^(n + bias) from the bit
   pattern and 2^-bias, multiplied last: each is normal over the whole range
   (n from -160 to 128), so a result near FLT_MAX or in the denormal range is
   still rounded once and correctly, and callers can fold their own factors
   in before the scale (see the GELUs). */
typedef struct hg_vm_reduced {
    float r;        /* the reduced argument */
    float scale_hi; /* 2^(n + bias) */
} hg_vm_reduced;

/* A float-float value hi + lo, |lo| <= ulp(hi) / 2. */
typedef struct hg_vm_pair {
    float hi, lo;
} hg_vm_pair;

/* n = round(x log2e) by adding 1.5 * 2^23: the sum has ulp 1, so it is
   rounded to an integer, held in its low mantissa bits. Adding 127 + bias to
   the constant as well leaves the biased exponent of 2^(n + bias) in the
   low 9 bits, so `bits << 23` is that power of two directly (the constant's
   high bits shift out). */
#define HG_VM_SHIFTER 0x1.8p23f
/* ln2 = HI + LO with HI = 0x1.62e4p-1 (15 significant bits): n * HI is exact
   for |n| < 2^9, and x - n * HI is exact too (Sterbenz: the two are within a
   factor 2), so the reduction loses nothing. LO is ln2 - HI rounded. */
#define HG_VM_LN2_HI 0x1.62e4p-1f
#define HG_VM_LN2_LO 0x1.7f7d1cp-20f
#define HG_VM_LOG2E 0x1.715476p+0f
/* The same split for double: HI_D has 42 significant bits, so n * HI_D is
   exact for |n| < 2^11. */
#define HG_VM_LN2_HI_D 0x1.62e42fefa3800p-1
#define HG_VM_LN2_LO_D 0x1.ef35793c76730p-45
#define HG_VM_LOG2E_D 0x1.71547652b82fep+0
#define HG_VM_SHIFTER_D 0x1.8p52

/* expm1(r) - r = r^2 (C2 + C3 r + ... + C6 r^4) on |r| <= 0.357 (the
   reduction interval with slack for the rounding of n): minimax for the
   relative error of exp(r), fitted with the coefficients rounded to float
   one at a time; max relative error 3.9e-9 (0.07 ULP). */
#define HG_VM_EXP_C2 0x1.fffffap-2f
#define HG_VM_EXP_C3 0x1.55547cp-3f
#define HG_VM_EXP_C4 0x1.5559dap-5f
#define HG_VM_EXP_C5 0x1.124a36p-7f
#define HG_VM_EXP_C6 0x1.69c094p-10f

/* log1p(f) = f - f^2/2 + f^3 P(f) on f = m - 1, m in [2/3, 4/3): minimax for
   the relative error of log1p, float coefficients; max relative error 4.7e-9. */
#define HG_VM_LOG_P0 0x1.555506p-2f
#define HG_VM_LOG_P1 -0x1.fffeeep-3f
#define HG_VM_LOG_P2 0x1.99d07ap-3f
#define HG_VM_LOG_P3 -0x1.559e48p-3f
#define HG_VM_LOG_P4 0x1.1ed114p-3f
#define HG_VM_LOG_P5 -0x1.f30224p-4f
#define HG_VM_LOG_P6 0x1.1e87acp-3f
#define HG_VM_LOG_P7 -0x1.0829cep-3f
/* The bit pattern of 2/3 rounded to float: subtracting it splits x into
   2^e * m with m in [2/3, 4/3), so that |f| <= 1/3. */
#define HG_VM_TWO_THIRDS_BITS 0x3f2aaaabu

/* hg_vlog_d splits x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt2) by
   subtracting this bit pattern of sqrt(1/2) (as hg_vlogf does with 2/3),
   then log1p(f) = 2 atanh(s), s = f / (2 + f), |s| <= 0.1716:
   2s + s^3 (2/3 + 2/5 s^2 + ... + 2/19 s^16), the Taylor series; the first
   omitted term is below 2e-17 relative. */
#define HG_VM_SQRT_HALF_BITS_D UINT64_C(0x3fe6a09e667f3bcd)

/* gelu's tail c = t Phi(-t) (t = |x|) is exp(-t^2/2) t / D(t) with
   D(t) = 2 + t (sqrt(2 pi) + s(t)): D is 2 at t = 0 and ~ sqrt(2 pi) t for
   large t, and the remainder s, bounded in [-0.92, -0.12] on [0, 14.6], is
   the rational P(t) / Q(t) below (deg 4/5, minimax for the relative error
   of t / D with Lawson reweighting; scripts/fit_gelu.py; max relative
   error 0.04 2^-24 with these float coefficients). Only t |s| / D <= 1/5 of
   s's relative error reaches c, so s is evaluated in float: its nine
   Horner roundings and its division cost about 0.3 ULP. The form
   t R(t) with R fitted directly had every rounding land in full (5.5 2^-24
   in float), and was evaluated in double, at 1.35x the time. */
#define HG_VM_GELU_P0 -0x1.d25c22p-1f
#define HG_VM_GELU_P1 -0x1.5d46bep-1f
#define HG_VM_GELU_P2 -0x1.f6c5c8p-3f
#define HG_VM_GELU_P3 -0x1.82e86cp-5f
#define HG_VM_GELU_P4 -0x1.11f7c8p-8f
#define HG_VM_GELU_Q1 0x1.0c862ap+0f
#define HG_VM_GELU_Q2 0x1.1024f8p-1f
#define HG_VM_GELU_Q3 0x1.3ea32cp-3f
#define HG_VM_GELU_Q4 0x1.addb56p-6f
#define HG_VM_GELU_Q5 0x1.11f6c8p-9f
/* The division s = P / Q. Its error reaches gelu damped by t |s| / D <= 1/5,
   so the GPU build takes CUDA's approximate division (__fdividef: a
   reciprocal and a multiply, 2 ULP) there: the IEEE division's check for
   its slow path held GELU to 83% of the copy bandwidth on an H200, this to
   97%, and the maximum error over all 2^32 inputs on that GPU stayed at
   2.86 ULP (native/tests/cuda_vmath.cu measures both). */
#if defined(__CUDACC__)
#define HG_VM_DAMPED_DIV(a, b) __fdividef((a), (b))
#else
#define HG_VM_DAMPED_DIV(a, b) ((a) / (b))
#endif
/* sqrt(2 pi) rounded to float; the fit of s absorbs the rounding. */
#define HG_VM_SQRT_2PI 0x1.40d932p+1f
/* Past this |x| the GELU tail Phi(-t) t is below half the smallest
   denormal (the zero crossing is near t = 14.35). */
#define HG_VM_GELU_TMAX 14.6f

/* gelu_tanh: 2u = sqrt(2/pi) (2x + 2 * 0.044715 x^3), in double. */
#define HG_VM_GELU_TANH_K1 1.5957691216057307118
#define HG_VM_GELU_TANH_K3 0.071354816272600248776
/* Past this |x|: the result rounds to x (x > 0) or to -0 (x < 0; the exact
   value is below 2^-150 from x = -10.8 on). */
#define HG_VM_GELU_TANH_TMAX 11.0f

/* ---- the two builds ---- */

#define HG_VM_NAME(name) name
#define HG_VM_FUSED 0
#define HG_VM_FMAF(a, b, c) ((a) * (b) + (c))
#define HG_VM_FMA(a, b, c) ((a) * (b) + (c))
#include "cpu_vmath.inc"
#undef HG_VM_NAME
#undef HG_VM_FUSED
#undef HG_VM_FMAF
#undef HG_VM_FMA

#define HG_VM_NAME(name) name##_fma
#define HG_VM_FUSED 1
#if defined(__CUDACC__)
#define HG_VM_FMAF(a, b, c) fmaf((a), (b), (c))
#define HG_VM_FMA(a, b, c) fma((a), (b), (c))
#else
#define HG_VM_FMAF(a, b, c) __builtin_fmaf((a), (b), (c))
#define HG_VM_FMA(a, b, c) __builtin_fma((a), (b), (c))
#endif
#include "cpu_vmath.inc"
#undef HG_VM_NAME
#undef HG_VM_FUSED
#undef HG_VM_FMAF
#undef HG_VM_FMA

/* ---- float64: libm, element by element ---- */

/* sqrt(1/2) and sqrt(2/pi), to double precision; <math.h> only has M_SQRT1_2
   outside strict ISO C. */
#define HG_VM_SQRT1_2 0.70710678118654752440
#define HG_VM_SQRT_2_OVER_PI 0.79788456080286535588

/* exp() only ever sees -|x| <= 0, so it cannot overflow: sigmoid(+-1000) is
   exactly 1 and 0 instead of NaN. The two halves are 1/(1+e) and e/(1+e). */
static inline double hg_sigmoid_f64(double x)
{
    const double e = exp(-fabs(x));
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/* 0.5 x (1 + erf(x/sqrt2)) rewritten with erfc: for x << 0, 1 + erf cancels
   to nothing, while erfc(-x/sqrt2) keeps full relative precision. At
   x = -inf this is -inf * 0 = NaN, as the defining formula gives. */
static inline double hg_gelu_f64(double x)
{
    return 0.5 * x * erfc(-x * HG_VM_SQRT1_2);
}

/* 0.5 x (1 + tanh(u)) = x sigmoid(2u): x / (1 + exp(-2u)) for u >= 0, and
   for u < 0 x e / (1 + e) with e = exp(2u) <= 1, so that exp never
   overflows (x / (1 + exp(-2u)) gave x / inf = -0 for x in about
   [-21.5, -21.2], where the result is a tiny nonzero number). Once e is
   near the denormal range it is computed as exp(2u + 700) exp(-700)
   (2u + 700 exact by Sterbenz), with x multiplied in before the second
   factor: x e then rounds once, not after e lost its low bits. Large |x|:
   u = +-inf gives x or -0; x = -inf gives -inf * 0 = NaN like the defining
   formula. */
static inline double hg_gelu_tanh_f64(double x)
{
    const double u = HG_VM_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    if (!(u < 0.0))
        return x / (1.0 + exp(-2.0 * u)); /* NaN too */
    if (u > -350.0) {
        const double e = exp(2.0 * u);
        return x * e / (1.0 + e);
    }
    return (x * exp(2.0 * u + 700.0)) * exp(-700.0);
}

#endif /* HOLOGRAM_CPU_VMATH_H */
