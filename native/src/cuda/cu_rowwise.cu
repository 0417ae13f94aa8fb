/*
 * cu_rowwise.cu -- softmax and log_softmax over the last axis of rows x cols.
 *
 * One group of threads per row (a warp for rows of up to CU_SMALL_COLS
 * elements, else a block), three passes as the CPU backend:
 *   1. m = the row's max (NaN-propagating);
 *   2. e_j = exp(x_j - m) with x_j - m in double, rounded to T; their sum in
 *      double (compensated for float64); softmax stores e_j in y;
 *   3. softmax y_j = e_j / total (in double, rounded once); log_softmax
 *      y_j = (x_j - m) - log(total) in double.
 * Each element belongs to one thread in every pass, so y may be x (in place).
 * The formula's special cases follow: -inf entries give 0, a row holding
 * +inf or NaN (or only -inf) gives NaN.
 */
#include "cu_internal.h"
#include "cu_reduce.cuh"

namespace {

enum { CU_SMALL_COLS = 512 };

template <typename T, bool LOG, int TPR, bool VEC>
__global__ void __launch_bounds__(CU_BLOCK) k_softmax(const T *in, T *out, int64_t rows, int64_t cols) {
    typedef cu_extremum_reducer<T, true> MaxRed;
    typedef cu_sum_reducer<typename cu_sum_acc<T>::type> SumRed;
    __shared__ typename MaxRed::V smax[CU_WARPS_PER_BLOCK];
    __shared__ typename SumRed::V ssum[CU_WARPS_PER_BLOCK];
    const int per_block = CU_BLOCK / TPR;
    const int64_t t = TPR == CU_BLOCK ? threadIdx.x : (threadIdx.x & 31);
    const int64_t first = (int64_t)blockIdx.x * per_block + (TPR == CU_BLOCK ? 0 : (threadIdx.x >> 5));
    for (int64_t row = first; row < rows; row += (int64_t)gridDim.x * per_block) {
        const T *x = in + row * cols;
        T *y = out + row * cols;

        T mx = MaxRed::identity();
        cu_visit<T, VEC>(x, 0, cols, t, TPR, [&](int64_t, T v) { mx = cu_max_nan(mx, v); });
        const double m = (double)cu_group_reduce<MaxRed, TPR>(mx, smax);

        typename SumRed::V acc = SumRed::identity();
        cu_visit<T, VEC>(x, 0, cols, t, TPR, [&](int64_t j, T v) {
            const T e = cu_exp_of_double((double)v - m, (T)0);
            if (!LOG) y[j] = e;
            acc.add((double)e);
        });
        const double total = cu_group_reduce<SumRed, TPR>(acc, ssum).value();

        if (LOG) {
            const double log_total = log(total);
            cu_visit<T, VEC>(x, 0, cols, t, TPR,
                             [&](int64_t j, T v) { y[j] = (T)(((double)v - m) - log_total); });
        } else {
            cu_visit<T, VEC>(y, 0, cols, t, TPR, [&](int64_t j, T v) { y[j] = (T)((double)v / total); });
        }
    }
}

template <typename T, bool LOG, int TPR>
void launch_softmax(cu_context *c, unsigned blocks, const T *in, T *out, int64_t rows, int64_t cols, bool vec) {
    if (vec)
        k_softmax<T, LOG, TPR, true><<<blocks, CU_BLOCK, 0, c->stream>>>(in, out, rows, cols);
    else
        k_softmax<T, LOG, TPR, false><<<blocks, CU_BLOCK, 0, c->stream>>>(in, out, rows, cols);
}

template <typename T, bool LOG>
hg_status cu_softmax_rows(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    const T *in = cu_operand<const T>(args, 0);
    T *out = cu_operand<T>(args, 1);
    const int64_t rows = args->dims[0], cols = args->dims[1];
    if (rows <= 0 || cols <= 0) return HG_OK;
    cu_device_guard guard(c->device);
    const bool vec = cu_aligned16(in) && cu_aligned16(out) && cols % cu_vec<T>::width == 0;
    int64_t blocks;
    if (cols <= CU_SMALL_COLS) {
        blocks = (rows + CU_WARPS_PER_BLOCK - 1) / CU_WARPS_PER_BLOCK;
        if (blocks > c->max_blocks) blocks = c->max_blocks;
        launch_softmax<T, LOG, 32>(c, (unsigned)blocks, in, out, rows, cols, vec);
    } else {
        blocks = rows < c->max_blocks ? rows : c->max_blocks;
        launch_softmax<T, LOG, CU_BLOCK>(c, (unsigned)blocks, in, out, rows, cols, vec);
    }
    return cu_launch_check(LOG ? "log_softmax" : "softmax");
}

template <typename T>
hg_status cu_softmax_impl(void *ctx, const hg_op_args *args) {
    return cu_softmax_rows<T, false>(ctx, args);
}
template <typename T>
hg_status cu_log_softmax_impl(void *ctx, const hg_op_args *args) {
    return cu_softmax_rows<T, true>(ctx, args);
}

} // namespace

CU_INSTANTIATE(softmax, cu_softmax_impl)
CU_INSTANTIATE(log_softmax, cu_log_softmax_impl)
