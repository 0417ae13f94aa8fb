/*
 * cu_reduce.cu -- sum, mean, max, min over the last axis of rows x cols.
 *
 * Shapes (chosen on the host, fixed for given sizes and device, so the
 * results are deterministic):
 *   - cols <= CU_SMALL_COLS: one warp per row, 8 rows per block;
 *   - otherwise one block per (row, chunk): a row is split into chunks only
 *     when there are too few rows to fill the GPU; the chunks' partial
 *     results go to the context's scratch and a second small kernel combines
 *     each row's chunks in order.
 * Sums accumulate in double (float32) or compensated double (float64),
 * mean is that sum / cols in double, rounded once. Empty rows (cols == 0)
 * give 0 (sum) and NaN (mean, max, min); max/min propagate NaN.
 */
#include "cu_internal.h"
#include "cu_map.cuh"
#include "cu_reduce.cuh"

namespace {

enum { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3 };
enum { CU_SMALL_COLS = 512 };

/* The reducer of op R over dtype T, and how a row's result becomes T. */
template <typename T, int R>
struct row_op;
template <typename T>
struct row_op<T, R_SUM> {
    typedef cu_sum_reducer<typename cu_sum_acc<T>::type> Red;
    __device__ __forceinline__ static void add(typename Red::V &v, T x) { v.add((double)x); }
    __device__ __forceinline__ static T finish(typename Red::V v, int64_t) { return (T)v.value(); }
};
template <typename T>
struct row_op<T, R_MEAN> {
    typedef cu_sum_reducer<typename cu_sum_acc<T>::type> Red;
    __device__ __forceinline__ static void add(typename Red::V &v, T x) { v.add((double)x); }
    __device__ __forceinline__ static T finish(typename Red::V v, int64_t cols) {
        return (T)(v.value() / (double)cols);
    }
};
template <typename T>
struct row_op<T, R_MAX> {
    typedef cu_extremum_reducer<T, true> Red;
    __device__ __forceinline__ static void add(T &v, T x) { v = cu_max_nan(v, x); }
    __device__ __forceinline__ static T finish(T v, int64_t) { return v; }
};
template <typename T>
struct row_op<T, R_MIN> {
    typedef cu_extremum_reducer<T, false> Red;
    __device__ __forceinline__ static void add(T &v, T x) { v = cu_min_nan(v, x); }
    __device__ __forceinline__ static T finish(T v, int64_t) { return v; }
};

/* Group g of rows * chunks reduces elements [chunk * chunk_len, ..) of row
   g / chunks; with one chunk per row it writes out[row], else partial[g]. */
template <typename T, int R, int TPR, bool VEC>
__global__ void __launch_bounds__(CU_BLOCK)
    k_reduce(const T *__restrict__ in, T *__restrict__ out, typename row_op<T, R>::Red::V *__restrict__ partial,
             int64_t rows, int64_t cols, int64_t chunks, int64_t chunk_len) {
    typedef row_op<T, R> Op;
    typedef typename Op::Red Red;
    typedef typename Red::V V;
    __shared__ V smem[CU_WARPS_PER_BLOCK];
    const int per_block = CU_BLOCK / TPR;
    const int64_t t = TPR == CU_BLOCK ? threadIdx.x : (threadIdx.x & 31);
    const int64_t first = (int64_t)blockIdx.x * per_block + (TPR == CU_BLOCK ? 0 : (threadIdx.x >> 5));
    const int64_t groups = rows * chunks;
    for (int64_t g = first; g < groups; g += (int64_t)gridDim.x * per_block) {
        const int64_t row = g / chunks, chunk = g - row * chunks;
        const int64_t begin = chunk * chunk_len;
        const int64_t end = begin + chunk_len < cols ? begin + chunk_len : cols;
        V acc = Red::identity();
        cu_visit<T, VEC>(in + row * cols, begin, end, t, TPR, [&](int64_t, T x) { Op::add(acc, x); });
        acc = cu_group_reduce<Red, TPR>(acc, smem);
        if (t == 0) {
            if (chunks == 1)
                out[row] = Op::finish(acc, cols);
            else
                partial[g] = acc;
        }
    }
}

/* One thread per row: combines the row's chunks in order. */
template <typename T, int R>
__global__ void __launch_bounds__(CU_BLOCK)
    k_reduce_finish(const typename row_op<T, R>::Red::V *__restrict__ partial, T *__restrict__ out, int64_t rows,
                    int64_t cols, int64_t chunks) {
    typedef row_op<T, R> Op;
    for (int64_t row = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; row < rows;
         row += (int64_t)gridDim.x * blockDim.x) {
        typename Op::Red::V acc = partial[row * chunks];
        for (int64_t k = 1; k < chunks; ++k) acc = Op::Red::combine(acc, partial[row * chunks + k]);
        out[row] = Op::finish(acc, cols);
    }
}

template <typename T, int R, int TPR>
void launch_reduce(cu_context *c, unsigned blocks, const T *in, T *out, typename row_op<T, R>::Red::V *partial,
                   int64_t rows, int64_t cols, int64_t chunks, int64_t chunk_len, bool vec) {
    if (vec)
        k_reduce<T, R, TPR, true><<<blocks, CU_BLOCK, 0, c->stream>>>(in, out, partial, rows, cols, chunks, chunk_len);
    else
        k_reduce<T, R, TPR, false><<<blocks, CU_BLOCK, 0, c->stream>>>(in, out, partial, rows, cols, chunks, chunk_len);
}

const char *const reduce_names[] = {"sum", "mean", "max", "min"};

template <typename T, int R>
hg_status cu_reduce_impl(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    const T *in = cu_operand<const T>(args, 0);
    T *out = cu_operand<T>(args, 1);
    const int64_t rows = args->dims[0], cols = args->dims[1];
    const char *name = reduce_names[R];
    if (rows <= 0) return HG_OK;
    cu_device_guard guard(c->device);
    if (cols == 0) {
        cu_f_fill<T> f = {R == R_SUM ? (T)0 : (T)NAN};
        return cu_map<T, 0>(c, name, (const T *)0, (const T *)0, out, rows, f);
    }
    typedef typename row_op<T, R>::Red::V V;
    const int W = cu_vec<T>::width;
    const bool vec = cu_aligned16(in) && cols % W == 0;
    if (cols <= CU_SMALL_COLS) {
        int64_t blocks = (rows + CU_WARPS_PER_BLOCK - 1) / CU_WARPS_PER_BLOCK;
        if (blocks > c->max_blocks) blocks = c->max_blocks;
        launch_reduce<T, R, 32>(c, (unsigned)blocks, in, out, (V *)0, rows, cols, 1, cols, vec);
        return cu_launch_check(name);
    }
    /* Enough blocks to fill the GPU: split rows only while each chunk keeps
       at least 16 elements per thread. */
    const int64_t target = (int64_t)c->sm_count * 4;
    int64_t chunks = 1;
    if (rows < target) {
        const int64_t min_chunk = (int64_t)CU_BLOCK * 16;
        const int64_t by_size = (cols + min_chunk - 1) / min_chunk;
        const int64_t by_fill = (target + rows - 1) / rows;
        chunks = by_size < by_fill ? by_size : by_fill;
        if (chunks < 1) chunks = 1;
    }
    int64_t chunk_len = (cols + chunks - 1) / chunks;
    chunk_len = (chunk_len + W - 1) / W * W;
    chunks = (cols + chunk_len - 1) / chunk_len;
    int64_t blocks = rows * chunks;
    if (blocks > c->max_blocks) blocks = c->max_blocks;
    if (chunks == 1) {
        launch_reduce<T, R, CU_BLOCK>(c, (unsigned)blocks, in, out, (V *)0, rows, cols, 1, cols, vec);
        return cu_launch_check(name);
    }
    pthread_mutex_lock(&c->scratch_lock);
    V *partial = (V *)cu_scratch(c, (size_t)(rows * chunks) * sizeof(V));
    hg_status st = HG_ERR_OUT_OF_MEMORY;
    if (partial) {
        launch_reduce<T, R, CU_BLOCK>(c, (unsigned)blocks, in, out, partial, rows, cols, chunks, chunk_len, vec);
        k_reduce_finish<T, R><<<cu_grid(c, rows), CU_BLOCK, 0, c->stream>>>(partial, out, rows, cols, chunks);
        st = cu_launch_check(name);
    }
    pthread_mutex_unlock(&c->scratch_lock);
    return st;
}

template <typename T>
hg_status cu_sum_impl(void *ctx, const hg_op_args *args) {
    return cu_reduce_impl<T, R_SUM>(ctx, args);
}
template <typename T>
hg_status cu_mean_impl(void *ctx, const hg_op_args *args) {
    return cu_reduce_impl<T, R_MEAN>(ctx, args);
}
template <typename T>
hg_status cu_max_impl(void *ctx, const hg_op_args *args) {
    return cu_reduce_impl<T, R_MAX>(ctx, args);
}
template <typename T>
hg_status cu_min_impl(void *ctx, const hg_op_args *args) {
    return cu_reduce_impl<T, R_MIN>(ctx, args);
}

} // namespace

CU_INSTANTIATE(sum, cu_sum_impl)
CU_INSTANTIATE(mean, cu_mean_impl)
CU_INSTANTIATE(max, cu_max_impl)
CU_INSTANTIATE(min, cu_min_impl)
