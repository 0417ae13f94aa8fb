/*
 * cpu_loss.c -- mse, cross_entropy and binary_cross_entropy over the rows x
 * cols elements of pred (in0) and target (in1); the scalar loss goes to
 * out[0]. Definitions in hologram.h.
 *
 * Every term is computed in double for both dtypes (a float32 input widens
 * exactly, so 1 - p and p - t carry no rounding error) and the terms are
 * summed pairwise. The logs are libm's for float64 and cpu_vmath.h's
 * hg_vlog_d for float32: a double-precision log (error < 1e-15) that
 * vectorises, where a float log's ~1 ULP per term could push the float
 * result past 1 ULP. A mean over no elements is NaN, like np.mean of an empty
 * array: MSE and BCE when rows*cols == 0, CE when rows == 0 (CE divides by
 * rows only, so rows > 0 with cols == 0 gives 0).
 */
#include <math.h>
#include <stdint.h>

#include "cpu_cascade.h"
#include "cpu_kernel_impl.h"
#include "cpu_vmath.h"


#define HG_CPU_TEMPLATE "cpu_loss.inc"
#include "cpu_isa_instantiate.h"
