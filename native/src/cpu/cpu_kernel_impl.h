/*
 * cpu_kernel_impl.h -- shared by the kernel sources only (not by the backend).
 *
 * HG_CPU_KERNELS is the single list of (op, kernel name) pairs: it declares
 * the kernels here and fills the lookup table in cpu_kernel_table.c, so the
 * two cannot drift apart. Every name gets a float32 and a float64 kernel,
 * hg_cpu_<name>_f32 and hg_cpu_<name>_f64, generated from one template
 * (see cpu_instantiate.h).
 */
#ifndef HOLOGRAM_CPU_KERNEL_IMPL_H
#define HOLOGRAM_CPU_KERNEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_isa.h"
#include "hologram/backend.h"

/* The CPU backend has a kernel for every op of the ABI. */
#define HG_CPU_KERNELS(X) HG_OP_LIST(X)

#define HG_CPU_DECLARE_KERNEL_ISA(op, name, isa)                              \
    hg_status hg_cpu_##name##_f32_##isa(void *ctx, const hg_op_args *args);    \
    hg_status hg_cpu_##name##_f64_##isa(void *ctx, const hg_op_args *args);
#define HG_CPU_DECLARE_KERNEL_scalar(op, name) HG_CPU_DECLARE_KERNEL_ISA(op, name, scalar)
#define HG_CPU_DECLARE_KERNEL_avx2(op, name) HG_CPU_DECLARE_KERNEL_ISA(op, name, avx2)
#define HG_CPU_DECLARE_KERNEL_avx512(op, name) HG_CPU_DECLARE_KERNEL_ISA(op, name, avx512)
#define HG_CPU_DECLARE_KERNEL_neon(op, name) HG_CPU_DECLARE_KERNEL_ISA(op, name, neon)
#define HG_CPU_DECLARE_ALL_KERNELS(isa) HG_CPU_KERNELS(HG_CPU_DECLARE_KERNEL_##isa)
HG_CPU_ISAS(HG_CPU_DECLARE_ALL_KERNELS)
#undef HG_CPU_DECLARE_ALL_KERNELS

/* Row primitives several kernel families share (cpu_primitives.inc).
   sum: pairwise-accurate, accumulated in double for both dtypes.
   max/min: NaN-propagating; n must be >= 1. max_unordered: the max when no
   element is NaN, and unspecified (NaN or an element) when one is; it skips
   the NaN test, for callers to whom a NaN element is fatal anyway (softmax).
   softmax_*: the three steps of a softmax row (cpu_rowwise.inc). */
#define HG_CPU_DECLARE_PRIMITIVES(type, sfx, isa)                          \
    double hg_cpu_row_sum_##sfx##_##isa(const type *x, int64_t n);         \
    type hg_cpu_row_max_##sfx##_##isa(const type *x, int64_t n);           \
    type hg_cpu_row_min_##sfx##_##isa(const type *x, int64_t n);           \
    type hg_cpu_row_max_unordered_##sfx##_##isa(const type *x, int64_t n); \
    double hg_cpu_softmax_max_##sfx##_##isa(const void *x, int64_t n);     \
    double hg_cpu_softmax_exp_sum_##sfx##_##isa(const void *x, void *y, int64_t n, double m); \
    void hg_cpu_softmax_finish_##sfx##_##isa(const void *x, void *y, int64_t n, double m,     \
                                             double total, int log_form);
#define HG_CPU_DECLARE_ISA_PRIMITIVES(isa)             \
    HG_CPU_DECLARE_PRIMITIVES(float, f32, isa)         \
    HG_CPU_DECLARE_PRIMITIVES(double, f64, isa)
HG_CPU_ISAS(HG_CPU_DECLARE_ISA_PRIMITIVES)
#undef HG_CPU_DECLARE_ISA_PRIMITIVES
#undef HG_CPU_DECLARE_PRIMITIVES

/* Rows are summed in blocks of this many elements; the block sums are then
   combined pairwise (see hg_cascade). Kernels that must transform elements
   before summing (exp, losses) stage one block in a stack buffer. */
#define HG_CPU_SUM_BLOCK 256

/* The host may hand a zero-length operand as a NULL handle; NULL + offset
   would be undefined behaviour, so it stays NULL (and is never dereferenced
   because the count is 0). */
static inline void *hg_cpu_operand(const hg_op_args *args, unsigned i)
{
    char *base = (char *)args->operand[i];
    return base ? base + args->offset[i] : NULL;
}

/* np.maximum / np.minimum: a NaN in either argument wins. Written as a
   select (not fmax, which drops NaN) so that loops over it vectorise.
   The arguments are evaluated more than once: pass plain variables. */
#define HG_MAX_NAN(a, b) ((((a) >= (b)) || ((a) != (a))) ? (a) : (b))
#define HG_MIN_NAN(a, b) ((((a) <= (b)) || ((a) != (a))) ? (a) : (b))
/* The larger of two, NaN ignored when b is NaN (one compare and a blend). */
#define HG_MAX_UNORDERED(a, b) (((b) > (a)) ? (b) : (a))

#endif /* HOLOGRAM_CPU_KERNEL_IMPL_H */
