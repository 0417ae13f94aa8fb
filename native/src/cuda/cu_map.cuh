/*
 * cu_map.cuh -- launches the elementwise kernel (cu_map_kernel.cuh) in its
 * shipped shape: blocks of CU_BLOCK threads, CU_MAP_UNROLL vectors per
 * thread and tile, one tile per block, when every pointer is 16-byte
 * aligned; the scalar loop over a capped grid otherwise.
 */
#ifndef HOLOGRAM_CU_MAP_CUH
#define HOLOGRAM_CU_MAP_CUH

#include "cu_internal.h"
#include "cu_map_kernel.cuh"

/* Vectors each thread has in flight per input and step of the vector loop:
   all loads of a step are issued before the first result is stored, so
   each thread keeps CU_MAP_UNROLL * 16 bytes per input moving (a plain
   grid-stride loop has one load outstanding; that reached ~0.93x of
   PyTorch's add and relu on an H200). */
enum { CU_MAP_UNROLL = 4 };

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
        cu_k_map<T, NIN, true, F, CU_BLOCK, CU_MAP_UNROLL>
            <<<cu_map_grid(n / W), CU_BLOCK, 0, c->stream>>>(a, b, out, n, f);
    } else {
        cu_k_map<T, NIN, false, F, CU_BLOCK, CU_MAP_UNROLL>
            <<<cu_grid(c, n), CU_BLOCK, 0, c->stream>>>(a, b, out, n, f);
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
