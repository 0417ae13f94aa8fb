/*
 * cpu_reduce.c -- sum, max, min and mean over the last axis of a rows x cols
 * view: out[r] = f(in[r*cols .. r*cols + cols - 1]).
 *
 * sum/mean accumulate in double for both dtypes, pairwise (cpu_primitives).
 * An empty row sums to 0 and has mean NaN (NumPy's 0/0, without its warning).
 * The host never passes cols == 0 to max/min; should it, they give NaN
 * rather than read past the row.
 */
#include <math.h>
#include <stdint.h>

#include "cpu_kernel_impl.h"

#define HG_CPU_TEMPLATE "cpu_reduce.inc"
#include "cpu_isa_instantiate.h"
