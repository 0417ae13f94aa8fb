/*
 * cu_reduce.cuh -- device building blocks of the reductions, row-wise ops
 * and losses: wide-load traits, the sum accumulators, and the warp/block
 * reductions (warp shuffles, then shared memory across the warps).
 *
 * Sums accumulate in double for both dtypes: float32 terms in plain double
 * (per-thread chains of at most a few thousand adds: error ~ 2^-41 relative,
 * far below float32's 2^-24), float64 terms in a compensated double-double
 * (TwoSum per add), so neither is worse than the CPU backend's pairwise sum.
 * Every reduction has a fixed shape for given sizes and device, so results
 * are deterministic run to run.
 */
#ifndef HOLOGRAM_CU_REDUCE_CUH
#define HOLOGRAM_CU_REDUCE_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "cu_math.cuh"

#define CU_FULL_MASK 0xffffffffu
#define CU_WARPS_PER_BLOCK 8 /* CU_BLOCK / 32 */

/* 16-byte loads: float4 / double2. */
template <typename T>
struct cu_vec;
template <>
struct cu_vec<float> {
    typedef float4 type;
    enum { width = 4 };
};
template <>
struct cu_vec<double> {
    typedef double2 type;
    enum { width = 2 };
};

__device__ __forceinline__ float cu_shfl_down(float v, int off) { return __shfl_down_sync(CU_FULL_MASK, v, off); }
__device__ __forceinline__ double cu_shfl_down(double v, int off) { return __shfl_down_sync(CU_FULL_MASK, v, off); }
__device__ __forceinline__ float cu_shfl_idx(float v, int lane) { return __shfl_sync(CU_FULL_MASK, v, lane); }
__device__ __forceinline__ double cu_shfl_idx(double v, int lane) { return __shfl_sync(CU_FULL_MASK, v, lane); }

/* Sum of float32 terms: plain double. */
struct cu_sum_d {
    double s;
    __device__ __forceinline__ static cu_sum_d zero() {
        cu_sum_d a;
        a.s = 0.0;
        return a;
    }
    __device__ __forceinline__ void add(double v) { s += v; }
    __device__ __forceinline__ static cu_sum_d merge(cu_sum_d a, cu_sum_d b) {
        a.s += b.s;
        return a;
    }
    __device__ __forceinline__ double value() const { return s; }
    __device__ __forceinline__ cu_sum_d shfl_down(int off) const {
        cu_sum_d a;
        a.s = cu_shfl_down(s, off);
        return a;
    }
    __device__ __forceinline__ cu_sum_d shfl_idx(int lane) const {
        cu_sum_d a;
        a.s = cu_shfl_idx(s, lane);
        return a;
    }
};

/* Sum of float64 terms: hi + lo, lo collecting the exact rounding errors of
   the adds (Knuth's TwoSum). Once hi is inf or NaN it stays so and lo may be
   NaN (inf - inf): value() returns hi then. */
struct cu_sum_dd {
    double hi, lo;
    __device__ __forceinline__ static cu_sum_dd zero() {
        cu_sum_dd a;
        a.hi = 0.0;
        a.lo = 0.0;
        return a;
    }
    __device__ __forceinline__ static void two_sum(double a, double b, double &s, double &e) {
        s = a + b;
        const double bb = s - a;
        e = (a - (s - bb)) + (b - bb);
    }
    __device__ __forceinline__ void add(double v) {
        double s, e;
        two_sum(hi, v, s, e);
        hi = s;
        lo += e;
    }
    __device__ __forceinline__ static cu_sum_dd merge(cu_sum_dd a, cu_sum_dd b) {
        double s, e;
        two_sum(a.hi, b.hi, s, e);
        a.hi = s;
        a.lo = (a.lo + b.lo) + e;
        return a;
    }
    __device__ __forceinline__ double value() const { return isfinite(hi) ? hi + lo : hi; }
    __device__ __forceinline__ cu_sum_dd shfl_down(int off) const {
        cu_sum_dd a;
        a.hi = cu_shfl_down(hi, off);
        a.lo = cu_shfl_down(lo, off);
        return a;
    }
    __device__ __forceinline__ cu_sum_dd shfl_idx(int lane) const {
        cu_sum_dd a;
        a.hi = cu_shfl_idx(hi, lane);
        a.lo = cu_shfl_idx(lo, lane);
        return a;
    }
};

/* The sum accumulator of dtype T. */
template <typename T>
struct cu_sum_acc;
template <>
struct cu_sum_acc<float> {
    typedef cu_sum_d type;
};
template <>
struct cu_sum_acc<double> {
    typedef cu_sum_dd type;
};

/* Reducers: a value type V, identity(), combine(a, b), and shuffles. */
template <typename A>
struct cu_sum_reducer {
    typedef A V;
    __device__ __forceinline__ static V identity() { return A::zero(); }
    __device__ __forceinline__ static V combine(V a, V b) { return A::merge(a, b); }
    __device__ __forceinline__ static V shfl_down(V v, int off) { return v.shfl_down(off); }
    __device__ __forceinline__ static V shfl_idx(V v, int lane) { return v.shfl_idx(lane); }
};

/* NaN-propagating max (IS_MAX) or min over T; identity -inf / +inf. */
template <typename T, bool IS_MAX>
struct cu_extremum_reducer {
    typedef T V;
    __device__ __forceinline__ static V identity() { return IS_MAX ? (T)-INFINITY : (T)INFINITY; }
    __device__ __forceinline__ static V combine(V a, V b) { return IS_MAX ? cu_max_nan(a, b) : cu_min_nan(a, b); }
    __device__ __forceinline__ static V shfl_down(V v, int off) { return cu_shfl_down(v, off); }
    __device__ __forceinline__ static V shfl_idx(V v, int lane) { return cu_shfl_idx(v, lane); }
};

/* Reduces v over a group of TPR threads (32: the warp; CU_BLOCK: the block)
   and returns the result to every thread of the group. For TPR == CU_BLOCK
   every thread of the block must call it (it has barriers); `smem` holds
   CU_WARPS_PER_BLOCK values. */
template <class R, int TPR>
__device__ __forceinline__ typename R::V cu_group_reduce(typename R::V v, typename R::V *smem) {
    for (int off = 16; off > 0; off >>= 1) v = R::combine(v, R::shfl_down(v, off));
    if (TPR == 32) return R::shfl_idx(v, 0);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) smem[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < CU_WARPS_PER_BLOCK ? smem[lane] : R::identity();
        for (int off = CU_WARPS_PER_BLOCK / 2; off > 0; off >>= 1) v = R::combine(v, R::shfl_down(v, off));
        if (lane == 0) smem[0] = v;
    }
    __syncthreads();
    v = smem[0];
    __syncthreads(); /* smem may be reused at once */
    return v;
}

/* Calls f(j, x[j]) for the elements j in [begin, end) that thread t of a
   group of `step` threads owns: 16-byte vectors when VEC (x 16-byte aligned,
   begin and end multiples of the vector width), element by element
   otherwise. Every pass over a row uses the same ownership, so an element
   is only ever read and written by one thread (in-place row-wise ops). */
template <typename T, bool VEC, class F>
__device__ __forceinline__ void cu_visit(const T *x, int64_t begin, int64_t end, int64_t t, int64_t step, F &&f) {
    if (VEC) {
        typedef typename cu_vec<T>::type V;
        const int W = cu_vec<T>::width;
        const V *xv = reinterpret_cast<const V *>(x);
        for (int64_t v = begin / W + t; v < end / W; v += step) {
            const V pack = xv[v];
            const T *e = reinterpret_cast<const T *>(&pack);
#pragma unroll
            for (int l = 0; l < W; ++l) f(v * W + l, e[l]);
        }
    } else {
        for (int64_t j = begin + t; j < end; j += step) f(j, x[j]);
    }
}

#endif /* HOLOGRAM_CU_REDUCE_CUH */
