/*
 * cu_map.cuh -- the one elementwise kernel: out[i] = f(a[i], b[i]) for NIN
 * inputs (0: fill, 1: unary and scalar ops, 2: binary ops), grid-stride,
 * with 16-byte loads and stores (float4 / double2) when every pointer is
 * 16-byte aligned and a scalar tail for the rest.
 *
 * In place (out == a or out == b) is safe: each element is read and written
 * by the same thread, read first. The pointers are therefore not __restrict__.
 */
#ifndef HOLOGRAM_CU_MAP_CUH
#define HOLOGRAM_CU_MAP_CUH

#include "cu_internal.h"
#include "cu_reduce.cuh"

template <typename T, int NIN, bool VEC, class F>
__global__ void __launch_bounds__(CU_BLOCK) cu_k_map(const T *a, const T *b, T *out, int64_t n, F f) {
    const int64_t tid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    int64_t start = 0;
    if (VEC) {
        typedef typename cu_vec<T>::type V;
        const int W = cu_vec<T>::width;
        const int64_t nv = n / W;
        for (int64_t i = tid; i < nv; i += stride) {
            V va = V(), vb = V(), vo;
            if (NIN >= 1) va = reinterpret_cast<const V *>(a)[i];
            if (NIN >= 2) vb = reinterpret_cast<const V *>(b)[i];
            const T *xa = reinterpret_cast<const T *>(&va);
            const T *xb = reinterpret_cast<const T *>(&vb);
            T *xo = reinterpret_cast<T *>(&vo);
#pragma unroll
            for (int l = 0; l < W; ++l) xo[l] = f(xa[l], xb[l]);
            reinterpret_cast<V *>(out)[i] = vo;
        }
        start = nv * W;
    }
    for (int64_t i = start + tid; i < n; i += stride) {
        const T x = NIN >= 1 ? a[i] : (T)0;
        const T y = NIN >= 2 ? b[i] : (T)0;
        out[i] = f(x, y);
    }
}

/* Queues out = f(a, b) over n elements on c's stream (nothing for n == 0).
   Inputs beyond NIN are not read (pass NULL). */
template <typename T, int NIN, class F>
static hg_status cu_map(cu_context *c, const char *op, const T *a, const T *b, T *out, int64_t n, F f) {
    if (n <= 0) return HG_OK;
    const int W = cu_vec<T>::width;
    const bool vec = cu_aligned16(out) && (NIN < 1 || cu_aligned16(a)) && (NIN < 2 || cu_aligned16(b)) && n >= W;
    if (vec) {
        cu_k_map<T, NIN, true, F><<<cu_grid(c, n / W + n % W), CU_BLOCK, 0, c->stream>>>(a, b, out, n, f);
    } else {
        cu_k_map<T, NIN, false, F><<<cu_grid(c, n), CU_BLOCK, 0, c->stream>>>(a, b, out, n, f);
    }
    return cu_launch_check(op);
}

/* out[i] = value. */
template <typename T>
struct cu_f_fill {
    T value;
    __device__ __forceinline__ T operator()(T, T) const { return value; }
};

#endif /* HOLOGRAM_CU_MAP_CUH */
