/*
 * cpu_gemm_internal.h -- what cpu_gemm.c shares with its per-dtype/ISA
 * template (cpu_gemm.inc): cache sizes, the scratch buffer and task slots.
 */
#ifndef HOLOGRAM_CPU_GEMM_INTERNAL_H
#define HOLOGRAM_CPU_GEMM_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_cache.h"
#include "cpu_isa.h"

/* Packed panels start on cache-line (and zmm) boundaries. */
#define HG_GEMM_ALIGN 64

/* A 64-byte aligned buffer of at least `bytes`, reused across calls (see
   cpu_gemm.c); NULL when out of memory. Release it after the call. */
void *hg_gemm_scratch_acquire(size_t bytes);
void hg_gemm_scratch_release(void *data);

/* Packing buffers of the tasks running at one time (one per thread). */
#define HG_GEMM_MAX_SLOTS 64
typedef struct hg_gemm_slots {
    int count;
    atomic_int busy[HG_GEMM_MAX_SLOTS];
} hg_gemm_slots;
int hg_gemm_slot_claim(hg_gemm_slots *s);
void hg_gemm_slot_release(hg_gemm_slots *s, int slot);

/* Packing a panel pays when its rows sit a page or more apart (each
   row of a B sliver or A panel then touches its own TLB entry, and
   power-of-two strides pile the rows into a few cache sets) and when it is
   reused often enough: by at least this many rows (B) or columns (A) of C.
   Measured on Zen 5 (see cpu_gemm.inc). */
#define HG_GEMM_PAGE 4096
#define HG_GEMM_PACK_REUSE 512

/* Below this many multiply-adds a second thread costs more than it saves:
   measured (AVX-512 float32) 64^3 takes 2.0 us on one thread and 2.1 us on
   two, 72^3 3.7 us and 3.3 us. */
#ifndef HG_GEMM_PARALLEL_MNK
#define HG_GEMM_PARALLEL_MNK (320 * 1024)
#endif

/* Each chunk of a matrix-vector product streams at least this many matrix
   elements, which amortises handing it to another thread. */
#define HG_GEMV_GRAIN_ELEMS (64 * 1024)

/* How a product is blocked and split (hg_cpu_gemm_blocking_<dtype>_<isa>,
   which the tests use to aim at the block edges). */
typedef struct hg_gemm_blocking {
    int64_t mr, nr;         /* micro-tile */
    int64_t kc_max, nc_max; /* limits from the cache sizes */
    int64_t kc, mc, nc;     /* this product's blocks (the last kc, nc block may be shorter) */
    int64_t task_rows, task_cols, tasks_m, tasks_n; /* parallel tasks: a grid of sub-products */
    int threads;            /* threads the product may use */
    int pack_a, pack_b;     /* copied into packed panels (else read in place) */
} hg_gemm_blocking;

/* Tests only: -1 (the default) lets the size decide what is packed; 0..3
   forces it (bit 0: A, bit 1: B; B^T is always packed). */
extern atomic_int hg_gemm_test_pack;
/* Tests and the GEMM benchmark only: 0 (the default) derives a block size
   from the caches; a positive value forces it: KC's limit as is, MC and NC
   rounded down to whole micro-tiles (at least one). For checking every loop
   boundary with small matrices, and for tuning on a new CPU without a
   rebuild (bench_gemm -kc/-mc/-nc). */
extern atomic_int hg_gemm_test_kc, hg_gemm_test_mc, hg_gemm_test_nc;

#define HG_GEMM_DECLARE_BLOCKING(isa)                                                      \
    void hg_cpu_gemm_blocking_f32_##isa(int64_t m, int64_t n, int64_t k, uint32_t flags, hg_gemm_blocking *bl); \
    void hg_cpu_gemm_blocking_f64_##isa(int64_t m, int64_t n, int64_t k, uint32_t flags, hg_gemm_blocking *bl);
HG_CPU_ISAS(HG_GEMM_DECLARE_BLOCKING)
#undef HG_GEMM_DECLARE_BLOCKING

/* Maps HG_CPU_ISA / HG_CPU_SFX tokens to numbers, so the template can pick
   its SIMD code with #if (the preprocessor cannot compare tokens). */
#define HG_GEMM_ISA_ID_scalar 0
#define HG_GEMM_ISA_ID_neon 0
#define HG_GEMM_ISA_ID_avx2 1
#define HG_GEMM_ISA_ID_avx512 2
#define HG_GEMM_ISA_ID_(isa) HG_GEMM_ISA_ID_##isa
#define HG_GEMM_ISA_ID(isa) HG_GEMM_ISA_ID_(isa)
#define HG_GEMM_DT_f32 4
#define HG_GEMM_DT_f64 8
#define HG_GEMM_DT_(sfx) HG_GEMM_DT_##sfx
#define HG_GEMM_DT(sfx) HG_GEMM_DT_(sfx)

/* Full unrolling of the fixed-size register-tile loops: the accumulators
   must become named registers, never an array in memory. */
#if defined(__clang__)
#define HG_GEMM_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define HG_GEMM_UNROLL _Pragma("GCC unroll 32")
#else
#define HG_GEMM_UNROLL
#endif

#if defined(__GNUC__)
#define HG_GEMM_INLINE static inline __attribute__((always_inline))
#define HG_GEMM_PREFETCH_W(p) __builtin_prefetch(p, 1)
#else
#define HG_GEMM_INLINE static inline
#define HG_GEMM_PREFETCH_W(p) ((void)0)
#endif

#endif /* HOLOGRAM_CPU_GEMM_INTERNAL_H */
