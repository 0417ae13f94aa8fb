/*
 * cpu_kernels.h -- the CPU backend's kernel table.
 *
 * The kernels follow backend.h's hg_op_args layout. On the CPU backend a
 * memory handle is a host pointer, so an operand lives at
 * (char *)args->operand[i] + args->offset[i]; the ctx argument is not used
 * (NULL is fine). Kernels trust the host's validation and always return HG_OK.
 *
 * Aliasing the kernels accept (anything else must not overlap):
 *   - fill/copy, binary, scalar and unary ops: the output may be exactly the
 *     same memory as any input (in-place updates such as a = a + b);
 *   - softmax/log_softmax: out may be exactly in (in-place);
 *   - reductions, losses, gemm and matvec: the output must not overlap any
 *     input (inputs may overlap each other, e.g. gemm(A, A)).
 */
#ifndef HOLOGRAM_CPU_KERNELS_H
#define HOLOGRAM_CPU_KERNELS_H

#include <stdint.h>

#include "cpu_isa.h"
#include "hologram/backend.h"

/* The kernel for (op, dtype): float32 and float64 for every hg_op; NULL for
   the reserved dtypes and for values out of range. Uses the best ISA this
   machine supports. Thread-safe (a constant table). */
hg_kernel_fn hg_cpu_kernel_lookup(uint32_t op, uint32_t dtype);
/* The same for one ISA of cpu_isa.h (whether or not this machine runs it:
   callers check hg_cpu_isa_supported). */
hg_kernel_fn hg_cpu_kernel_lookup_isa(int isa, uint32_t op, uint32_t dtype);

/* The steps of one softmax row, for splitting a long row across threads. */
typedef struct hg_cpu_softmax_parts {
    double (*max)(const void *x, int64_t n);
    double (*exp_sum)(const void *x, void *y, int64_t n, double m);
    void (*finish)(const void *x, void *y, int64_t n, double m, double total, int log_form);
} hg_cpu_softmax_parts;

/* NULL for the reserved dtypes or an unknown ISA. */
const hg_cpu_softmax_parts *hg_cpu_softmax_parts_lookup(int isa, uint32_t dtype);

#endif /* HOLOGRAM_CPU_KERNELS_H */
