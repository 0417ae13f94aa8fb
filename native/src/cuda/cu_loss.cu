/*
 * cu_loss.cu -- mse, cross_entropy, binary_cross_entropy: one value into
 * out[0] from rows x cols predictions and targets.
 *
 * A deterministic two-stage reduction: a fixed grid (set by n and the
 * device's SM count) sums the terms of its grid-stride elements into one
 * partial per block, in the context's scratch; then a single block adds the
 * partials in a fixed tree and writes sign * total / divisor. Terms are
 * formed in double from the inputs (as the CPU backend), logs clamped at
 * -100 (PyTorch), sums in double (compensated for float64). An empty
 * divisor gives NaN; cross_entropy with rows > 0 and cols == 0 gives -0.
 */
#include "cu_internal.h"
#include "cu_reduce.cuh"

namespace {

enum { L_MSE = 0, L_CE = 1, L_BCE = 2 };

template <int L>
__device__ __forceinline__ double loss_term(double p, double t);
template <>
__device__ __forceinline__ double loss_term<L_MSE>(double p, double t) {
    const double d = p - t;
    return d * d;
}
template <>
__device__ __forceinline__ double loss_term<L_CE>(double p, double t) {
    return t * cu_clamped_log(p);
}
template <>
__device__ __forceinline__ double loss_term<L_BCE>(double p, double t) {
    return t * cu_clamped_log(p) + (1.0 - t) * cu_clamped_log(1.0 - p);
}

template <typename T, int L, bool VEC>
__global__ void __launch_bounds__(CU_BLOCK)
    k_loss_partial(const T *__restrict__ p, const T *__restrict__ t, typename cu_sum_acc<T>::type *__restrict__ partial,
                   int64_t n) {
    typedef cu_sum_reducer<typename cu_sum_acc<T>::type> Red;
    __shared__ typename Red::V smem[CU_WARPS_PER_BLOCK];
    const int64_t tid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    typename Red::V acc = Red::identity();
    int64_t start = 0;
    if (VEC) {
        typedef typename cu_vec<T>::type V;
        const int W = cu_vec<T>::width;
        const int64_t nv = n / W;
        for (int64_t i = tid; i < nv; i += stride) {
            const V pv = reinterpret_cast<const V *>(p)[i], tv = reinterpret_cast<const V *>(t)[i];
            const T *pe = reinterpret_cast<const T *>(&pv), *te = reinterpret_cast<const T *>(&tv);
#pragma unroll
            for (int l = 0; l < W; ++l) acc.add(loss_term<L>((double)pe[l], (double)te[l]));
        }
        start = nv * W;
    }
    for (int64_t i = start + tid; i < n; i += stride) acc.add(loss_term<L>((double)p[i], (double)t[i]));
    acc = cu_group_reduce<Red, CU_BLOCK>(acc, smem);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

/* One block: thread i adds partials i, i + CU_BLOCK, ... in order, then the
   block tree; out[0] = sign * total / divisor (NaN when divisor == 0). */
template <typename T>
__global__ void __launch_bounds__(CU_BLOCK)
    k_loss_finish(const typename cu_sum_acc<T>::type *__restrict__ partial, int64_t count, T *__restrict__ out,
                  double sign, int64_t divisor) {
    typedef cu_sum_reducer<typename cu_sum_acc<T>::type> Red;
    __shared__ typename Red::V smem[CU_WARPS_PER_BLOCK];
    typename Red::V acc = Red::identity();
    for (int64_t i = threadIdx.x; i < count; i += CU_BLOCK) acc = Red::combine(acc, partial[i]);
    acc = cu_group_reduce<Red, CU_BLOCK>(acc, smem);
    if (threadIdx.x == 0) out[0] = divisor == 0 ? (T)NAN : (T)(sign * (acc.value() / (double)divisor));
}

const char *const loss_names[] = {"mse", "cross_entropy", "binary_cross_entropy"};

template <typename T, int L>
hg_status cu_loss_impl(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    const T *p = cu_operand<const T>(args, 0);
    const T *t = cu_operand<const T>(args, 1);
    T *out = cu_operand<T>(args, 2);
    const int64_t rows = args->dims[0], cols = args->dims[1], n = rows * cols;
    const int64_t divisor = L == L_CE ? rows : n;
    const double sign = L == L_MSE ? 1.0 : -1.0;
    typedef typename cu_sum_acc<T>::type A;
    cu_device_guard guard(c->device);
    if (divisor == 0 || n == 0) {
        /* Nothing to sum: the finishing kernel alone writes NaN or (-)0. */
        k_loss_finish<T><<<1, CU_BLOCK, 0, c->stream>>>((const A *)0, 0, out, sign, divisor);
        return cu_launch_check(loss_names[L]);
    }
    const int W = cu_vec<T>::width;
    const bool vec = cu_aligned16(p) && cu_aligned16(t) && n >= W;
    int64_t blocks = (n + (int64_t)CU_BLOCK * W * 4 - 1) / ((int64_t)CU_BLOCK * W * 4);
    const int64_t cap = (int64_t)c->sm_count * 4;
    if (blocks > cap) blocks = cap;
    if (blocks < 1) blocks = 1;
    pthread_mutex_lock(&c->scratch_lock);
    A *partial = (A *)cu_scratch(c, (size_t)blocks * sizeof(A));
    hg_status st = HG_ERR_OUT_OF_MEMORY;
    if (partial) {
        if (vec)
            k_loss_partial<T, L, true><<<(unsigned)blocks, CU_BLOCK, 0, c->stream>>>(p, t, partial, n);
        else
            k_loss_partial<T, L, false><<<(unsigned)blocks, CU_BLOCK, 0, c->stream>>>(p, t, partial, n);
        k_loss_finish<T><<<1, CU_BLOCK, 0, c->stream>>>(partial, blocks, out, sign, divisor);
        st = cu_launch_check(loss_names[L]);
    }
    pthread_mutex_unlock(&c->scratch_lock);
    return st;
}

template <typename T>
hg_status cu_mse_impl(void *ctx, const hg_op_args *args) {
    return cu_loss_impl<T, L_MSE>(ctx, args);
}
template <typename T>
hg_status cu_cross_entropy_impl(void *ctx, const hg_op_args *args) {
    return cu_loss_impl<T, L_CE>(ctx, args);
}
template <typename T>
hg_status cu_binary_cross_entropy_impl(void *ctx, const hg_op_args *args) {
    return cu_loss_impl<T, L_BCE>(ctx, args);
}

} // namespace

CU_INSTANTIATE(mse, cu_mse_impl)
CU_INSTANTIATE(cross_entropy, cu_cross_entropy_impl)
CU_INSTANTIATE(binary_cross_entropy, cu_binary_cross_entropy_impl)
