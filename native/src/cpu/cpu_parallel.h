/*
 * cpu_parallel.h -- splits one kernel launch into chunks for the thread pool.
 *
 * Kernels stay single-threaded functions of their hg_op_args; parallelism is
 * a layer above them that narrows dims[0] and advances the operands' byte
 * offsets per chunk. Ops whose output is one value (losses) or that thread
 * themselves (GEMM) are not split here.
 */
#ifndef HOLOGRAM_CPU_PARALLEL_H
#define HOLOGRAM_CPU_PARALLEL_H

#include "hologram/backend.h"

/* What a CPU executor's ctx points at. */
typedef struct hg_cpu_context {
    int isa; /* index into cpu_isa.h's HG_CPU_ISAS */
} hg_cpu_context;

/* The kernel the backend hands out for (op, dtype) on ctx's ISA: a splitting
   wrapper where the op splits, else the kernel itself. */
hg_kernel_fn hg_cpu_dispatch_kernel(const hg_cpu_context *ctx, uint32_t op, uint32_t dtype);

#endif /* HOLOGRAM_CPU_PARALLEL_H */
