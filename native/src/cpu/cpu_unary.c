/*
 * cpu_unary.c -- unary element-wise ops and activations.
 *
 * Like cpu_elementwise.c, these run in place (out == in), so the pointers
 * are not restrict-qualified.
 */
#include <math.h>
#include <stdint.h>

#include "cpu_kernel_impl.h"
#include "cpu_vmath.h"

#define HG_CPU_TEMPLATE "cpu_unary.inc"
#include "cpu_isa_instantiate.h"
