/*
 * cpu_elementwise.c -- fill, copy, the binary ops (add .. minimum) and the ops
 * with scalars (add_scalar, mul_scalar, clip).
 *
 * These kernels may run in place (out == an input), so the pointers are not
 * restrict-qualified: restrict would make that call undefined behaviour. GCC
 * still vectorises the loops; its run-time overlap check accepts exact
 * aliasing, which only a partial overlap (never passed by the host) fails.
 */
#include <stdint.h>
#include <string.h>

#include "cpu_kernel_impl.h"

#define HG_CPU_TEMPLATE "cpu_elementwise.inc"
#include "cpu_isa_instantiate.h"
