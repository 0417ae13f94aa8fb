/*
 * cpu_unary.c -- unary element-wise ops and activations.
 *
 * Like cpu_elementwise.c, these run in place (out == in), so the pointers
 * are not restrict-qualified.
 */
#include <math.h>
#include <stdint.h>

#include "cpu_kernel_impl.h"

/* sqrt(1/2) and sqrt(2/pi), to double precision; <math.h> only has M_SQRT1_2
   outside strict ISO C. */
#define HG_SQRT1_2 0.70710678118654752440
#define HG_SQRT_2_OVER_PI 0.79788456080286535588

#define HG_CPU_TEMPLATE "cpu_unary.inc"
#include "cpu_isa_instantiate.h"
