/*
 * cpu_rowwise.c -- softmax and log_softmax over the last axis of a
 * rows x cols view.
 *
 * Both subtract the row max m before exponentiating, so no finite input
 * overflows. What IEEE arithmetic then gives for the degenerate rows is the
 * result, as with the max-subtracted NumPy formula: a row that contains NaN
 * or +inf, or whose entries are all -inf, comes out all NaN (x - m is NaN
 * there); a -inf entry in an otherwise finite row gives 0 (softmax) and
 * -inf (log_softmax).
 *
 * The sums run in double for both dtypes. For float32, x - m is never
 * rounded before the exponential: the rounding would be magnified by exp to
 * several ULP for the small probabilities (|x - m| 2^-24 relative).
 * cpu_vmath.h's hg_vexpf_diff(x, m) splits x - m exactly into a float and
 * its rounding error and feeds both to the reduction: within 1.5 ULP, all
 * in float, and the loop vectorises. float64 uses libm's exp.
 *
 * out may be exactly in (in-place): every pass reads an element before it
 * writes the same element, so the pointers are not restrict-qualified.
 */
#include <math.h>
#include <stdint.h>

#include "cpu_cascade.h"
#include "cpu_kernel_impl.h"
#include "cpu_vmath.h"

#define HG_CPU_TEMPLATE "cpu_rowwise.inc"
#include "cpu_isa_instantiate.h"
