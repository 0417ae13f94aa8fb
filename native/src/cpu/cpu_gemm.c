/*
 * cpu_gemm.c -- gemm (C = alpha op(A) op(B) + beta C) and matvec (y = A x),
 * row-major and contiguous; C is m x n, op(A) m x k, op(B) k x n.
 *
 * Unblocked reference-speed loops (blocking, packing and threads come
 * later), in the two orders that keep the innermost loop contiguous:
 *   - op(B) = B: row i of C gets alpha*op(A)[i][p] times row p of B added,
 *     p = 0..k-1 (an axpy over n, vectorised), whatever A's layout;
 *   - op(B) = B^T: C[i][j] is a dot product of a row of op(A) with row j
 *     of B, both contiguous unless A is transposed too.
 * float32 accumulates in float32, as BLAS sgemm does.
 *
 * When beta == 0, C is written without being read, so garbage or NaN in C
 * does not leak into the result (the BLAS convention). k == 0 leaves beta*C.
 * C and y must not overlap the inputs (restrict); A and B may overlap.
 */
#include <stdint.h>

#include "cpu_kernel_impl.h"

/* Independent partial sums let GCC vectorise a dot product without
   reassociating the additions (which it only does under -ffast-math). */
#define HG_DOT_LANES 8

#define HG_CPU_TEMPLATE "cpu_gemm.inc"
#include "cpu_isa_instantiate.h"
