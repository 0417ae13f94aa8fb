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
#define HG_CPU_KERNEL_ENTRY_ISA(op, name, isa)                 \
    [op] = {[HG_DTYPE_FLOAT32] = hg_cpu_##name##_f32_##isa,    \
            [HG_DTYPE_FLOAT64] = hg_cpu_##name##_f64_##isa},
#define HG_CPU_KERNEL_ENTRY_scalar(op, name) HG_CPU_KERNEL_ENTRY_ISA(op, name, scalar)
#define HG_CPU_KERNEL_ENTRY_avx2(op, name) HG_CPU_KERNEL_ENTRY_ISA(op, name, avx2)
#define HG_CPU_KERNEL_ENTRY_avx512(op, name) HG_CPU_KERNEL_ENTRY_ISA(op, name, avx512)
#define HG_CPU_KERNEL_ENTRY_neon(op, name) HG_CPU_KERNEL_ENTRY_ISA(op, name, neon)
#define HG_CPU_ISA_TABLE(isa) [HG_CPU_ISA_##isa] = {HG_CPU_KERNELS(HG_CPU_KERNEL_ENTRY_##isa)},

static const hg_kernel_fn hg_cpu_kernels[HG_CPU_ISA_COUNT][HG_OP_COUNT][HG_DTYPE_COUNT] = {
    HG_CPU_ISAS(HG_CPU_ISA_TABLE)
};

hg_kernel_fn hg_cpu_kernel_lookup_isa(int isa, uint32_t op, uint32_t dtype)
{
    if (isa < 0 || isa >= HG_CPU_ISA_COUNT || op >= HG_OP_COUNT || dtype >= HG_DTYPE_COUNT)
        return NULL;
    return hg_cpu_kernels[isa][op][dtype];
}

hg_kernel_fn hg_cpu_kernel_lookup(uint32_t op, uint32_t dtype)
{
    int best = 0;
    for (int isa = 0; isa < HG_CPU_ISA_COUNT; isa++)
        if (hg_cpu_isa_supported(isa)) best = isa;
    return hg_cpu_kernel_lookup_isa(best, op, dtype);
}

#define HG_CPU_SOFTMAX_PARTS(isa)                                                              \
    [HG_CPU_ISA_##isa] = {                                                                     \
        [HG_DTYPE_FLOAT32] = {hg_cpu_softmax_max_f32_##isa, hg_cpu_softmax_exp_sum_f32_##isa, \
                              hg_cpu_softmax_finish_f32_##isa},                                \
        [HG_DTYPE_FLOAT64] = {hg_cpu_softmax_max_f64_##isa, hg_cpu_softmax_exp_sum_f64_##isa, \
                              hg_cpu_softmax_finish_f64_##isa},                                \
    },

static const hg_cpu_softmax_parts softmax_parts[HG_CPU_ISA_COUNT][HG_DTYPE_COUNT] = {
    HG_CPU_ISAS(HG_CPU_SOFTMAX_PARTS)
};

const hg_cpu_softmax_parts *hg_cpu_softmax_parts_lookup(int isa, uint32_t dtype)
{
    if (isa < 0 || isa >= HG_CPU_ISA_COUNT || dtype >= HG_DTYPE_COUNT || !softmax_parts[isa][dtype].max)
        return NULL;
    return &softmax_parts[isa][dtype];
}
