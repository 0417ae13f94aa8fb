/*
 * cu_map.cuh -- the one elementwise kernel: out[i] = f(a[i], b[i]) for NIN
 * inputs (0: fill, 1: unary and scalar ops, 2: binary ops), with 16-byte
 * loads and stores (float4 / double2), several in flight per thread, when
 * every pointer is 16-byte aligned, and a grid-stride scalar loop for the
 * rest.
 *
 * In place (out == a or out == b) is safe: each element is read and written
 * by the same thread, read first. The pointers are therefore not __restrict__.
 */
#ifndef HOLOGRAM_CU_MAP_CUH
#define HOLOGRAM_CU_MAP_CUH

#include "cu_internal.h"
#include "cu_reduce.cuh"

/* Vectors each thread has in flight per input and step of the vector loop:
   all loads of a step are issued before the first result is stored, so
   each thread keeps CU_MAP_UNROLL * 16 bytes per input moving (a plain
   grid-stride loop has one load outstanding; that reached ~0.93x of
   PyTorch's add and relu on an H200). */
enum { CU_MAP_UNROLL = 4 };

template <typename T, int NIN, bool VEC, class F>
__global__ void __launch_bounds__(CU_BLOCK) cu_k_map(const T *a, const T *b, T *out, int64_t n, F f) {
    int64_t start = 0;
    if (VEC) {
        typedef typename cu_vec<T>::type V;
        const int W = cu_vec<T>::width;
        const int64_t nv = n / W;
        /* Block-sized tiles of CU_MAP_UNROLL * CU_BLOCK vectors; thread t takes vectors
           t, t + CU_BLOCK, ... of its tile, so every load instruction is coalesced. */
        const int64_t tile = (int64_t)CU_MAP_UNROLL * CU_BLOCK;
        for (int64_t base = (int64_t)blockIdx.x * tile; base < nv; base += (int64_t)gridDim.x * tile) {
            V va[CU_MAP_UNROLL], vb[CU_MAP_UNROLL];
#pragma unroll
            for (int u = 0; u < CU_MAP_UNROLL; ++u) {
                const int64_t i = base + u * CU_BLOCK + threadIdx.x;
                va[u] = V();
                vb[u] = V();
                if (i < nv) {
                    if (NIN >= 1) va[u] = reinterpret_cast<const V *>(a)[i];
                    if (NIN >= 2) vb[u] = reinterpret_cast<const V *>(b)[i];
                }
            }
#pragma unroll
            for (int u = 0; u < CU_MAP_UNROLL; ++u) {
                const int64_t i = base + u * CU_BLOCK + threadIdx.x;
                if (i >= nv) continue;
                V vo;
                const T *xa = reinterpret_cast<const T *>(&va[u]);
                const T *xb = reinterpret_cast<const T *>(&vb[u]);
                T *xo = reinterpret_cast<T *>(&vo);
#pragma unroll
                for (int l = 0; l < W; ++l) xo[l] = f(xa[l], xb[l]);
                reinterpret_cast<V *>(out)[i] = vo;
            }
        }
        start = nv * W;
    }
    /* The tail of a vector run (fewer than W elements), or every element when unaligned. */
    const int64_t tid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = start + tid; i < n; i += stride) {
        const T x = NIN >= 1 ? a[i] : (T)0;
        const T y = NIN >= 2 ? b[i] : (T)0;
        out[i] = f(x, y);
    }
}

/* Blocks for the vector loop: one tile each, so that a large map is one wave
   of short-lived blocks rather than max_blocks blocks looping (capped far
   above any real size; the loop covers the rest). */
static inline unsigned cu_map_grid(int64_t vectors) {
    const int64_t tile = (int64_t)CU_MAP_UNROLL * CU_BLOCK;
    int64_t blocks = (vectors + tile - 1) / tile;
    if (blocks > (int64_t)1 << 30) blocks = (int64_t)1 << 30;
    return blocks < 1 ? 1u : (unsigned)blocks;
}

/* Queues out = f(a, b) over n elements on c's stream (nothing for n == 0).
   Inputs beyond NIN are not read (pass NULL). */
template <typename T, int NIN, class F>
static hg_status cu_map(cu_context *c, const char *op, const T *a, const T *b, T *out, int64_t n, F f) {
    if (n <= 0) return HG_OK;
    const int W = cu_vec<T>::width;
    const bool vec = cu_aligned16(out) && (NIN < 1 || cu_aligned16(a)) && (NIN < 2 || cu_aligned16(b)) && n >= W;
    if (vec) {
        cu_k_map<T, NIN, true, F><<<cu_map_grid(n / W), CU_BLOCK, 0, c->stream>>>(a, b, out, n, f);
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
