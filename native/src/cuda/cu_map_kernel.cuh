/*
 * cu_map_kernel.cuh -- the one elementwise kernel: out[i] = f(a[i], b[i])
 * for NIN inputs (0: fill, 1: unary and scalar ops, 2: binary ops).
 *
 * VEC (every pointer 16-byte aligned): a loop over tiles of UNROLL * BLOCK
 * 16-byte vectors (float4 / double2), all loads of a tile issued before its
 * first store, then a grid-stride scalar loop for the tail; otherwise the
 * scalar loop alone. Any grid size is correct. The block size and the unroll
 * are parameters so that native/tests/cuda_map_shapes.cu can time other
 * shapes of this very kernel; cu_map.cuh launches the shipped one.
 *
 * In place (out == a or out == b) is safe: each element is read and written
 * by the same thread, read first. The pointers are therefore not __restrict__.
 */
#ifndef HOLOGRAM_CU_MAP_KERNEL_CUH
#define HOLOGRAM_CU_MAP_KERNEL_CUH

#include <stdint.h>

#include "cu_reduce.cuh"

template <typename T, int NIN, bool VEC, class F, int BLOCK, int UNROLL>
__global__ void __launch_bounds__(BLOCK) cu_k_map(const T *a, const T *b, T *out, int64_t n, F f) {
    int64_t start = 0;
    if (VEC) {
        typedef typename cu_vec<T>::type V;
        const int W = cu_vec<T>::width;
        const int64_t nv = n / W;
        /* Tiles of UNROLL * BLOCK vectors; thread t takes vectors t, t + BLOCK, ...
           of its tile, so every load instruction is coalesced. */
        const int64_t tile = (int64_t)UNROLL * BLOCK;
        for (int64_t base = (int64_t)blockIdx.x * tile; base < nv; base += (int64_t)gridDim.x * tile) {
            V va[UNROLL], vb[UNROLL];
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const int64_t i = base + u * BLOCK + threadIdx.x;
                va[u] = V();
                vb[u] = V();
                if (i < nv) {
                    if (NIN >= 1) va[u] = reinterpret_cast<const V *>(a)[i];
                    if (NIN >= 2) vb[u] = reinterpret_cast<const V *>(b)[i];
                }
            }
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const int64_t i = base + u * BLOCK + threadIdx.x;
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

#endif /* HOLOGRAM_CU_MAP_KERNEL_CUH */
