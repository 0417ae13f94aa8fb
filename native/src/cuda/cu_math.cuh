/*
 * cu_math.cuh -- device element functions shared by the kernels, overloaded
 * for float and double, with the CPU backend's special-value rules.
 *
 * CUDA's accurate functions only (expf, logf, tanhf, erfc; never the __expf
 * intrinsics): the build uses no --use_fast_math, so division and sqrt are
 * correctly rounded and denormals are kept. The float32 GELUs and softmax's
 * exp(x - max) are the CPU backend's own (cpu_vmath.h, its fused build),
 * compiled for the device: the same straight-line float arithmetic with the
 * same exhaustively measured error bounds (on an H200, all 2^32 inputs:
 * gelu 2.86 ULP with HG_VM_DAMPED_DIV, gelu_tanh 1.14, exp(x - m) 1.11;
 * native/tests/cuda_vmath.cu). Their negative tails need care that CUDA's erfcf cannot
 * give (erfc(t) has condition number ~2t^2 in its argument), and evaluating
 * them in double instead ran GELU at 29% of the copy bandwidth on an H200;
 * in float it is memory-bound.
 */
#ifndef HOLOGRAM_CU_MATH_CUH
#define HOLOGRAM_CU_MATH_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "../cpu/cpu_vmath.h"

#define CU_SQRT1_2 0.70710678118654752440
#define CU_SQRT_2_OVER_PI 0.79788456080286535588

/* np.maximum / np.minimum: a NaN in either argument wins (held first). */
template <typename T>
__device__ __forceinline__ T cu_max_nan(T a, T b) {
    return (a >= b || a != a) ? a : b;
}
template <typename T>
__device__ __forceinline__ T cu_min_nan(T a, T b) {
    return (a <= b || a != a) ? a : b;
}

__device__ __forceinline__ float cu_fabs(float x) { return fabsf(x); }
__device__ __forceinline__ double cu_fabs(double x) { return fabs(x); }
__device__ __forceinline__ float cu_exp(float x) { return expf(x); }
__device__ __forceinline__ double cu_exp(double x) { return exp(x); }
__device__ __forceinline__ float cu_log(float x) { return logf(x); }
__device__ __forceinline__ double cu_log(double x) { return log(x); }
__device__ __forceinline__ float cu_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double cu_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float cu_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double cu_sqrt(double x) { return sqrt(x); }

/* exp() only sees -|x| <= 0, so it cannot overflow: sigmoid(+-1000) is 1 and
   0, not NaN; the two halves are 1/(1+e) and e/(1+e). NaN fails x >= 0 and
   gives e/(1+e) = NaN. */
template <typename T>
__device__ __forceinline__ T cu_sigmoid(T x) {
    const T e = cu_exp(-cu_fabs(x));
    return (x >= (T)0 ? (T)1 : e) / ((T)1 + e);
}

/* 0.5 x erfc(-x / sqrt2): erfc keeps full relative precision where
   1 + erf(x / sqrt2) cancels (x << 0); gelu(-inf) = -inf * 0 = NaN. */
__device__ __forceinline__ double cu_gelu_d(double x) { return 0.5 * x * erfc(-x * CU_SQRT1_2); }

/* x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), evaluated on the side
   where exp cannot overflow: x / (1 + exp(-2u)) for u >= 0 (and NaN), and
   x e / (1 + e) with e = exp(2u) <= 1 for u < 0. Near the denormal range e
   is exp(2u + 700) exp(-700), with x multiplied in between, so x e rounds
   once. As the CPU backend's hg_gelu_tanh_f64. */
__device__ __forceinline__ double cu_gelu_tanh_d(double x) {
    const double u = CU_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    if (!(u < 0.0)) return x / (1.0 + exp(-2.0 * u));
    if (u > -350.0) {
        const double e = exp(2.0 * u);
        return x * e / (1.0 + e);
    }
    return (x * exp(2.0 * u + 700.0)) * exp(-700.0);
}

__device__ __forceinline__ double cu_gelu(double x) { return cu_gelu_d(x); }
__device__ __forceinline__ double cu_gelu_tanh(double x) { return cu_gelu_tanh_d(x); }
__device__ __forceinline__ float cu_gelu(float x) { return hg_vgeluf_fma(x); }
__device__ __forceinline__ float cu_gelu_tanh(float x) { return hg_vgelu_tanhf_fma(x); }

/* exp(d) rounded to T for a double argument (softmax: d = x - max in double).
   float: d = hi + lo exactly enough (hi = float(d)), exp(d) = e^hi (1 + lo),
   so the rounding of d to float does not become an error of |d| 2^-24. */
__device__ __forceinline__ float cu_exp_of_double(double d, float) {
    const float hi = (float)d;
    const float e = expf(hi);
    if (e == 0.0f || !isfinite(e) || !isfinite(d)) return e;
    const float lo = (float)(d - (double)hi);
    return fmaf(e, lo, e);
}
__device__ __forceinline__ double cu_exp_of_double(double d, double) { return exp(d); }

/* PyTorch's clamp of a log at -100; a NaN log (v < 0 or NaN) propagates. */
__device__ __forceinline__ double cu_clamped_log(double v) { return cu_max_nan(log(v), -100.0); }

#endif /* HOLOGRAM_CU_MATH_CUH */
