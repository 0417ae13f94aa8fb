/*
 * cu_elementwise.cu -- fill, copy, the binary ops, the scalar ops and the
 * unary ops: one functor each over the map kernel of cu_map.cuh.
 *
 * Semantics as the CPU backend: maximum/minimum/clip propagate NaN (np.clip
 * order: the upper bound last), relu is x < 0 ? 0 : x (NaN passes), the
 * scalars are rounded to the dtype first (NumPy's rule for a Python float
 * next to a float32 array). add/sub/mul/div, the scalar ops, clip, neg,
 * abs and relu are exact (one IEEE operation each).
 */
#include "cu_internal.h"
#include "cu_map.cuh"
#include "cu_math.cuh"

namespace {

template <typename T>
hg_status cu_fill_impl(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    cu_device_guard guard(c->device);
    cu_f_fill<T> f = {(T)args->scalar[0]};
    return cu_map<T, 0>(c, "fill", (const T *)0, (const T *)0, cu_operand<T>(args, 0), args->dims[0], f);
}

/* A device-to-device memcpy on the stream; a copy onto itself does nothing. */
template <typename T>
hg_status cu_copy_impl(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    const T *in = cu_operand<T>(args, 0);
    T *out = cu_operand<T>(args, 1);
    const int64_t n = args->dims[0];
    if (n <= 0 || in == out) return HG_OK;
    cu_device_guard guard(c->device);
    return cu_check(cudaMemcpyAsync(out, in, (size_t)n * sizeof(T), cudaMemcpyDeviceToDevice, c->stream), "copy");
}

#define CU_BINARY_FUNCTOR(fname, EXPR)                                         \
    template <typename T>                                                      \
    struct fname {                                                             \
        __device__ __forceinline__ T operator()(T x, T y) const { return EXPR; } \
    };

CU_BINARY_FUNCTOR(f_add, x + y)
CU_BINARY_FUNCTOR(f_sub, x - y)
CU_BINARY_FUNCTOR(f_mul, x * y)
CU_BINARY_FUNCTOR(f_div, x / y)
CU_BINARY_FUNCTOR(f_maximum, cu_max_nan(x, y))
CU_BINARY_FUNCTOR(f_minimum, cu_min_nan(x, y))

template <typename T, template <typename> class F>
hg_status cu_binary(void *ctx, const hg_op_args *args, const char *op) {
    cu_context *c = (cu_context *)ctx;
    cu_device_guard guard(c->device);
    return cu_map<T, 2>(c, op, cu_operand<const T>(args, 0), cu_operand<const T>(args, 1), cu_operand<T>(args, 2),
                        args->dims[0], F<T>());
}

template <typename T>
struct f_add_scalar {
    T s0;
    __device__ __forceinline__ T operator()(T x, T) const { return x + s0; }
};
template <typename T>
struct f_mul_scalar {
    T s0;
    __device__ __forceinline__ T operator()(T x, T) const { return x * s0; }
};
template <typename T>
struct f_clip {
    T lo, hi;
    __device__ __forceinline__ T operator()(T x, T) const { return cu_min_nan(cu_max_nan(x, lo), hi); }
};

template <typename T, class F>
hg_status cu_unary_with(void *ctx, const hg_op_args *args, const char *op, F f) {
    cu_context *c = (cu_context *)ctx;
    cu_device_guard guard(c->device);
    return cu_map<T, 1>(c, op, cu_operand<const T>(args, 0), (const T *)0, cu_operand<T>(args, 1), args->dims[0], f);
}

#define CU_UNARY_FUNCTOR(fname, EXPR)                                          \
    template <typename T>                                                      \
    struct fname {                                                             \
        __device__ __forceinline__ T operator()(T x, T) const { return EXPR; }  \
    };

CU_UNARY_FUNCTOR(f_neg, -x)
CU_UNARY_FUNCTOR(f_abs, cu_fabs(x))
CU_UNARY_FUNCTOR(f_relu, x < (T)0 ? (T)0 : x)
CU_UNARY_FUNCTOR(f_sigmoid, cu_sigmoid(x))
CU_UNARY_FUNCTOR(f_tanh, cu_tanh(x))
CU_UNARY_FUNCTOR(f_exp, cu_exp(x))
CU_UNARY_FUNCTOR(f_log, cu_log(x))
CU_UNARY_FUNCTOR(f_sqrt, cu_sqrt(x))
CU_UNARY_FUNCTOR(f_gelu, cu_gelu(x))
CU_UNARY_FUNCTOR(f_gelu_tanh, cu_gelu_tanh(x))

#define CU_BINARY_IMPL(name)                                         \
    template <typename T>                                            \
    hg_status cu_##name##_impl(void *ctx, const hg_op_args *args) {  \
        return cu_binary<T, f_##name>(ctx, args, #name);             \
    }
CU_BINARY_IMPL(add)
CU_BINARY_IMPL(sub)
CU_BINARY_IMPL(mul)
CU_BINARY_IMPL(div)
CU_BINARY_IMPL(maximum)
CU_BINARY_IMPL(minimum)

template <typename T>
hg_status cu_add_scalar_impl(void *ctx, const hg_op_args *args) {
    f_add_scalar<T> f = {(T)args->scalar[0]};
    return cu_unary_with<T>(ctx, args, "add_scalar", f);
}
template <typename T>
hg_status cu_mul_scalar_impl(void *ctx, const hg_op_args *args) {
    f_mul_scalar<T> f = {(T)args->scalar[0]};
    return cu_unary_with<T>(ctx, args, "mul_scalar", f);
}
template <typename T>
hg_status cu_clip_impl(void *ctx, const hg_op_args *args) {
    f_clip<T> f = {(T)args->scalar[0], (T)args->scalar[1]};
    return cu_unary_with<T>(ctx, args, "clip", f);
}

#define CU_UNARY_IMPL(name)                                          \
    template <typename T>                                            \
    hg_status cu_##name##_impl(void *ctx, const hg_op_args *args) {  \
        return cu_unary_with<T>(ctx, args, #name, f_##name<T>());    \
    }
CU_UNARY_IMPL(neg)
CU_UNARY_IMPL(abs)
CU_UNARY_IMPL(relu)
CU_UNARY_IMPL(sigmoid)
CU_UNARY_IMPL(tanh)
CU_UNARY_IMPL(exp)
CU_UNARY_IMPL(log)
CU_UNARY_IMPL(sqrt)
CU_UNARY_IMPL(gelu)
CU_UNARY_IMPL(gelu_tanh)

} // namespace

CU_INSTANTIATE(fill, cu_fill_impl)
CU_INSTANTIATE(copy, cu_copy_impl)
CU_INSTANTIATE(add, cu_add_impl)
CU_INSTANTIATE(sub, cu_sub_impl)
CU_INSTANTIATE(mul, cu_mul_impl)
CU_INSTANTIATE(div, cu_div_impl)
CU_INSTANTIATE(maximum, cu_maximum_impl)
CU_INSTANTIATE(minimum, cu_minimum_impl)
CU_INSTANTIATE(add_scalar, cu_add_scalar_impl)
CU_INSTANTIATE(mul_scalar, cu_mul_scalar_impl)
CU_INSTANTIATE(clip, cu_clip_impl)
CU_INSTANTIATE(neg, cu_neg_impl)
CU_INSTANTIATE(abs, cu_abs_impl)
CU_INSTANTIATE(relu, cu_relu_impl)
CU_INSTANTIATE(sigmoid, cu_sigmoid_impl)
CU_INSTANTIATE(tanh, cu_tanh_impl)
CU_INSTANTIATE(exp, cu_exp_impl)
CU_INSTANTIATE(log, cu_log_impl)
CU_INSTANTIATE(sqrt, cu_sqrt_impl)
CU_INSTANTIATE(gelu, cu_gelu_impl)
CU_INSTANTIATE(gelu_tanh, cu_gelu_tanh_impl)
