/*
 * cpu_kernel_table.c -- hg_cpu_kernel_lookup: (op, dtype) -> kernel.
 *
 * A constant table built from HG_CPU_KERNELS, so lookups need no
 * initialisation and are safe from any thread. Reserved dtypes have no
 * entries and stay NULL.
 */
#include <stddef.h>
#include <stdint.h>

#include "cpu_kernel_impl.h"
#include "cpu_kernels.h"

#define HG_CPU_COUNT_KERNEL(op, name) +1
_Static_assert(0 HG_CPU_KERNELS(HG_CPU_COUNT_KERNEL) == HG_OP_COUNT,
               "HG_CPU_KERNELS must list every hg_op exactly once");
#undef HG_CPU_COUNT_KERNEL

/* A duplicated op would override an initializer, which -Wextra reports
   (-Woverride-init); with the count check above, every op is covered. */
static const hg_kernel_fn hg_cpu_kernels[HG_OP_COUNT][HG_DTYPE_COUNT] = {
#define HG_CPU_KERNEL_ENTRY(op, name)              \
    [op] = {[HG_DTYPE_FLOAT32] = hg_cpu_##name##_f32, \
            [HG_DTYPE_FLOAT64] = hg_cpu_##name##_f64},
    HG_CPU_KERNELS(HG_CPU_KERNEL_ENTRY)
#undef HG_CPU_KERNEL_ENTRY
};

hg_kernel_fn hg_cpu_kernel_lookup(uint32_t op, uint32_t dtype)
{
    if (op >= HG_OP_COUNT || dtype >= HG_DTYPE_COUNT)
        return NULL;
    return hg_cpu_kernels[op][dtype];
}
