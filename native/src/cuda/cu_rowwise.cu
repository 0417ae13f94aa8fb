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
 *
 * float32 rows of up to CU_WARP_ROW_COLS elements (a multiple of 4, 16-byte
 * aligned; the common case of attention scores and logits) take a faster
 * path: a warp per row holding the whole row in registers, so the row is
 * read once and written once (the three passes above read it three times and
 * reduce across a block, which ran at 27% of the copy bandwidth on an
 * H200). Its exp(x - m) is cpu_vmath.h's hg_vexpf_diff (1.5 ULP, no
 * rounding of x - m), the sum is double over float sums of four, and the
 * normalisation a float-pair reciprocal: few conversions to and from double,
 * which run at a quarter of the float rate.
 */
#include "cu_internal.h"
#include "cu_math.cuh"
#include "cu_reduce.cuh"

namespace {

enum { CU_SMALL_COLS = 512 };
/* The register path: up to 8 float4 per lane. */
enum { CU_WARP_ROW_VECS = 8, CU_WARP_ROW_COLS = 32 * 4 * CU_WARP_ROW_VECS };

/* One warp per row; lane l holds float4 number l + 32 k of the row (k < K),
   so each load instruction of the warp reads 512 contiguous bytes. */
template <bool LOG, int K>
__global__ void __launch_bounds__(CU_BLOCK) k_softmax_warp_f32(const float *in, float *out, int64_t rows, int cols) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = (int64_t)gridDim.x * (CU_BLOCK / 32);
    const int nv = cols / 4;
    for (int64_t row = (int64_t)blockIdx.x * (CU_BLOCK / 32) + (threadIdx.x >> 5); row < rows; row += warps) {
        const float4 *x = reinterpret_cast<const float4 *>(in + row * cols);
        float4 *y = reinterpret_cast<float4 *>(out + row * cols);
        float4 v[K];
        float m = -INFINITY;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const int j = lane + 32 * k;
            v[k] = j < nv ? x[j] : make_float4(-INFINITY, -INFINITY, -INFINITY, -INFINITY);
            m = cu_max_nan(cu_max_nan(m, v[k].x), cu_max_nan(v[k].y, cu_max_nan(v[k].z, v[k].w)));
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) m = cu_max_nan(m, __shfl_xor_sync(CU_FULL_MASK, m, off));

        /* Padding slots hold -inf: exp gives 0 there, unless m is -inf or NaN, when
           the row is NaN anyway. They are neither summed nor stored. softmax keeps
           e in v (fewer registers: more warps in flight); log_softmax keeps x. */
        double total = 0.0;
#pragma unroll
        for (int k = 0; k < K; ++k) {
            const float4 e = make_float4(hg_vexpf_diff_fma(v[k].x, m), hg_vexpf_diff_fma(v[k].y, m),
                                         hg_vexpf_diff_fma(v[k].z, m), hg_vexpf_diff_fma(v[k].w, m));
            /* Each float4's four terms are added in float (positive terms: <= 2 2^-24
               relative), then the groups in double: one conversion per four elements. */
            if (lane + 32 * k < nv) total += (double)((e.x + e.y) + (e.z + e.w));
            if (!LOG) v[k] = e;
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) total += __shfl_xor_sync(CU_FULL_MASK, total, off);

        if (LOG) {
            /* (x - m) in double is exact; minus log(total), rounded to float once. */
            const double md = (double)m, lt = log(total);
#pragma unroll
            for (int k = 0; k < K; ++k) {
                const int j = lane + 32 * k;
                if (j < nv)
                    y[j] = make_float4((float)(((double)v[k].x - md) - lt), (float)(((double)v[k].y - md) - lt),
                                       (float)(((double)v[k].z - md) - lt), (float)(((double)v[k].w - md) - lt));
            }
        } else {
            /* e / total as e (rh + rl), rh + rl = 1 / total to ~2^-48: the fma rounds
               once, as the double product did, with no conversions per element. */
            const double r = 1.0 / total;
            const float rh = (float)r, rl = (float)(r - (double)rh);
#pragma unroll
            for (int k = 0; k < K; ++k) {
                const int j = lane + 32 * k;
                if (j < nv)
                    y[j] = make_float4(fmaf(v[k].x, rh, v[k].x * rl), fmaf(v[k].y, rh, v[k].y * rl),
                                       fmaf(v[k].z, rh, v[k].z * rl), fmaf(v[k].w, rh, v[k].w * rl));
            }
        }
    }
}

template <bool LOG, int K>
void launch_softmax_warp(cu_context *c, const float *in, float *out, int64_t rows, int cols) {
    const int64_t per_block = CU_BLOCK / 32;
    int64_t blocks = (rows + per_block - 1) / per_block;
    if (blocks > (int64_t)1 << 30) blocks = (int64_t)1 << 30;
    k_softmax_warp_f32<LOG, K><<<(unsigned)blocks, CU_BLOCK, 0, c->stream>>>(in, out, rows, cols);
}

/* The register path for float32 rows that fit it; false when the row does not. */
template <typename T, bool LOG>
bool softmax_rows_in_registers(cu_context *c, const T *in, T *out, int64_t rows, int64_t cols) {
    if (sizeof(T) != 4 || cols > CU_WARP_ROW_COLS || cols % 4 != 0 || !cu_aligned16(in) || !cu_aligned16(out))
        return false;
    const float *x = reinterpret_cast<const float *>(in);
    float *y = reinterpret_cast<float *>(out);
    const int n = (int)cols;
    const int vecs_per_lane = (n / 4 + 31) / 32; /* 1..8 */
    if (vecs_per_lane <= 1) launch_softmax_warp<LOG, 1>(c, x, y, rows, n);
    else if (vecs_per_lane <= 2) launch_softmax_warp<LOG, 2>(c, x, y, rows, n);
    else if (vecs_per_lane <= 4) launch_softmax_warp<LOG, 4>(c, x, y, rows, n);
    else launch_softmax_warp<LOG, CU_WARP_ROW_VECS>(c, x, y, rows, n);
    return true;
}

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
    if (softmax_rows_in_registers<T, LOG>(c, in, out, rows, cols)) return cu_launch_check(LOG ? "log_softmax" : "softmax");
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
