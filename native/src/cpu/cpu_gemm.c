/*
 * cpu_gemm.c -- gemm (C = alpha op(A) op(B) + beta C) and matvec (y = A x),
 * row-major; C is m x n, op(A) m x k, op(B) k x n.
 *
 * GEMM follows the GotoBLAS/BLIS structure (cpu_gemm.inc has the loop nest
 * and the measurements behind its choices):
 *
 *   for each task (a block of C's rows or columns), one per thread:
 *    for jc in its columns step NC
 *     for pc in k step KC            B~ = op(B)[pc.., jc..] packed (or in place)
 *      for ic in its rows step MC    A~ = op(A)[ic.., pc..] packed (or in place)
 *       for jr in the NC columns step NR      a KC x NR sliver of B~ (L1)
 *        for ir in the MC rows step MR        micro-kernel: MR x NR tile of C
 *
 * The micro-kernel (cpu_gemm_ukernel.inc, vocabulary in cpu_gemm_simd.inc)
 * keeps an MR x NR tile of C in vector registers and, per k step, loads one
 * NR-wide row of B and broadcasts MR elements of A. Transposes are absorbed
 * by the packing (or by the layout the kernel reads A in), so it never sees
 * them. GEMMs with m == 1 or n == 1 are matrix-vector products instead.
 *
 * This file holds what is not per dtype/ISA: the cached scratch buffer and
 * the packing slots (the cache sizes the blocking is derived from are
 * cpu_cache.c's).
 *
 * When beta == 0, C is written without being read, so garbage or NaN in C
 * does not leak into the result (the BLAS convention). k == 0 leaves beta*C.
 * C and y must not overlap the inputs; A and B may overlap.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h> /* memset in the template */

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h> /* the template's micro-kernels */
#endif

#include "cpu_gemm_internal.h"
#include "cpu_kernel_impl.h"
#include "cpu_threadpool.h"

/* ---- scratch buffer ------------------------------------------------------- */

/* One buffer is kept between calls: packing a 1024-size GEMM needs ~2 MiB,
   and allocating that afresh each call would page-fault it in again every
   time (glibc hands blocks that large out with mmap). Whoever finds the
   cache empty (a concurrent call from another thread) allocates its own; on
   release the larger of the two is kept. The cached block stays reachable
   from this static, so leak checkers do not report it. */
typedef struct hg_gemm_block {
    size_t capacity; /* usable bytes after the header */
    void *raw;       /* what malloc returned */
} hg_gemm_block;

#define HG_GEMM_HEADER 64 /* keeps the data 64-byte aligned */
static _Atomic(hg_gemm_block *) hg_gemm_cached;

void *hg_gemm_scratch_acquire(size_t bytes)
{
    hg_gemm_block *blk = atomic_exchange(&hg_gemm_cached, NULL);
    if (blk && blk->capacity >= bytes)
        return (char *)blk + HG_GEMM_HEADER;
    if (blk)
        free(blk->raw);
    /* A little slack, so that slightly bigger later calls reuse the block. */
    const size_t cap = bytes + bytes / 8 + 4096;
    void *raw = malloc(cap + HG_GEMM_HEADER + HG_GEMM_ALIGN);
    if (!raw)
        return NULL;
    uintptr_t at = ((uintptr_t)raw + HG_GEMM_ALIGN - 1) & ~(uintptr_t)(HG_GEMM_ALIGN - 1);
    blk = (hg_gemm_block *)at;
    blk->capacity = cap;
    blk->raw = raw;
    return (char *)blk + HG_GEMM_HEADER;
}

void hg_gemm_scratch_release(void *data)
{
    if (!data)
        return;
    hg_gemm_block *blk = (hg_gemm_block *)(void *)((char *)data - HG_GEMM_HEADER);
    hg_gemm_block *old = atomic_exchange(&hg_gemm_cached, blk);
    if (old) {
        /* Two calls overlapped: keep the larger block. */
        if (old->capacity > blk->capacity) {
            hg_gemm_block *mine = atomic_exchange(&hg_gemm_cached, old);
            old = mine;
        }
        if (old)
            free(old->raw);
    }
}

atomic_int hg_gemm_test_pack = -1;
atomic_int hg_gemm_test_kc, hg_gemm_test_mc, hg_gemm_test_nc;

/* ---- slots ---------------------------------------------------------------- */

/* A task claims one of the per-thread packing buffers for its duration.
   There are as many slots as tasks can run at once (min(tasks, threads)),
   so a free one is always found; even if not, the scan could not starve:
   every claimed slot is released when its task, which waits on nothing,
   ends. */
int hg_gemm_slot_claim(hg_gemm_slots *s)
{
    for (;;) {
        for (int i = 0; i < s->count; ++i) {
            int expected = 0;
            if (atomic_load_explicit(&s->busy[i], memory_order_relaxed) == 0 &&
                atomic_compare_exchange_strong(&s->busy[i], &expected, 1))
                return i;
        }
    }
}

void hg_gemm_slot_release(hg_gemm_slots *s, int slot)
{
    atomic_store(&s->busy[slot], 0);
}

#define HG_CPU_TEMPLATE "cpu_gemm.inc"
#include "cpu_isa_instantiate.h"
