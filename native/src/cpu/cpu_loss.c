/*
 * cpu_loss.c -- mse, cross_entropy and binary_cross_entropy over the rows x
 * cols elements of pred (in0) and target (in1); the scalar loss goes to
 * out[0]. Definitions in hologram.h.
 *
 * Every term is computed in double for both dtypes (a float32 input widens
 * exactly, so 1 - p and p - t carry no rounding error) and the terms are
 * summed pairwise. A mean over no elements is NaN, like np.mean of an empty
 * array: MSE and BCE when rows*cols == 0, CE when rows == 0 (CE divides by
 * rows only, so rows > 0 with cols == 0 gives 0).
 */
#include <math.h>
#include <stdint.h>

#include "cpu_cascade.h"
#include "cpu_kernel_impl.h"

/* PyTorch's clamp of the logs at -100, so p = 0 or 1 gives a finite loss
   and t = 0 never meets 0 * -inf. A NaN log (p < 0 or NaN) still
   propagates, as torch.clamp and np.maximum let it. */
static inline double hg_clamped_log(double v)
{
    const double lv = log(v), floor = -100.0;
    return HG_MAX_NAN(lv, floor);
}

#define HG_CPU_TEMPLATE "cpu_loss.inc"
#include "cpu_isa_instantiate.h"
