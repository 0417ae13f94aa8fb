/*
 * cpu_primitives.c -- row primitives shared by the reduction, row-wise and
 * loss kernels: an accurate sum and NaN-propagating max/min.
 */
#include <stdint.h>

#include "cpu_cascade.h"
#include "cpu_kernel_impl.h"

/* Independent partial sums per block. GCC vectorises a reduction only if it
   may reassociate the additions (-ffast-math), which would also change the
   rounding from run to run of the code generator; explicit lanes give it
   element-wise vector work instead and make the summation order fixed. */
#define HG_SUM_LANES 16

/* max/min use more lanes than the sum: with 16 or fewer GCC unrolls the lane
   loop completely and then fails to vectorise the NaN-aware selects, and
   each lane vector's update (two compares, a mask or, a blend) is a chain
   of dependent instructions, so 128 lanes (8 AVX-512 vectors of float)
   keep enough chains in flight: 10K floats 0.75 -> 0.40 us against 32. */
#define HG_EXTREMUM_LANES 128

#define HG_CPU_TEMPLATE "cpu_primitives.inc"
#include "cpu_isa_instantiate.h"
