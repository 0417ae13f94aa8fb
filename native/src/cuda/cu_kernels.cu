/*
 * cu_kernels.cu -- cu_get_kernel: (op, dtype) -> kernel, a constant table
 * built from CU_KERNELS (cu_internal.h), float32 and float64 for every op,
 * as the CPU backend. Reserved dtypes have no kernels (NULL: the host
 * reports them as unsupported).
 */
#include "cu_internal.h"

namespace {

#define CU_COUNT_KERNEL(op, name) +1
static_assert(0 CU_KERNELS(CU_COUNT_KERNEL) == HG_OP_COUNT, "CU_KERNELS must list every hg_op exactly once");
#undef CU_COUNT_KERNEL

struct kernel_table {
    hg_kernel_fn fn[HG_OP_COUNT][HG_DTYPE_COUNT];
    kernel_table() : fn() {
#define CU_KERNEL_ENTRY(op, name)                    \
    fn[op][HG_DTYPE_FLOAT32] = cu_##name##_f32;      \
    fn[op][HG_DTYPE_FLOAT64] = cu_##name##_f64;
        CU_KERNELS(CU_KERNEL_ENTRY)
#undef CU_KERNEL_ENTRY
    }
};

const kernel_table table;

} // namespace

hg_kernel_fn cu_get_kernel(void *ctx, uint32_t op, uint32_t dtype) {
    (void)ctx;
    if (op >= HG_OP_COUNT || dtype >= HG_DTYPE_COUNT) return NULL;
    return table.fn[op][dtype];
}
