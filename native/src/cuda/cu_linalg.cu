/*
 * cu_linalg.cu -- GEMM and MATVEC through cuBLAS (column-major), on the
 * context's stream.
 *
 * Row-major C (m x n) is column-major C^T (n x m), and
 * C^T = alpha op(B)^T op(A)^T + beta C^T, so a row-major GEMM is the
 * column-major GEMM with the operands swapped: gemm(opB, opA, n, m, k, B, A).
 * A row-major matrix read column-major is its transpose, so each operand
 * keeps its own transpose flag; leading dimensions are the row lengths
 * (A: trans_a ? m : k, B: trans_b ? k : n, C: n). The 64-bit cuBLAS API
 * takes the sizes as they are.
 *
 * beta == 0: cuBLAS never reads C (the BLAS convention, which the host's
 * contract needs: C may hold NaN). k == 0: C = beta C, done here (zeros
 * without reading C when beta == 0). float32 GEMMs use exact float32 FMAs
 * unless TF32 was enabled for the context (HOLOGRAM_CUDA_TF32=1 or
 * hg_cuda_set_tf32); cuBLAS accumulates in the dtype.
 */
#include "cu_internal.h"
#include "cu_map.cuh"

namespace {

template <typename T>
struct f_scale {
    T beta;
    __device__ __forceinline__ T operator()(T x, T) const { return beta * x; }
};

cublasStatus_t blas_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n,
                         int64_t k, const float *alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                         const float *beta, float *c, int64_t ldc) {
    return cublasSgemm_64(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t blas_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n,
                         int64_t k, const double *alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                         const double *beta, double *c, int64_t ldc) {
    return cublasDgemm_64(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t blas_gemv(cublasHandle_t h, cublasOperation_t t, int64_t m, int64_t n, const float *alpha,
                         const float *a, int64_t lda, const float *x, const float *beta, float *y) {
    return cublasSgemv_64(h, t, m, n, alpha, a, lda, x, 1, beta, y, 1);
}
cublasStatus_t blas_gemv(cublasHandle_t h, cublasOperation_t t, int64_t m, int64_t n, const double *alpha,
                         const double *a, int64_t lda, const double *x, const double *beta, double *y) {
    return cublasDgemv_64(h, t, m, n, alpha, a, lda, x, 1, beta, y, 1);
}

template <typename T>
hg_status cu_gemm_impl(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    const int64_t m = args->dims[0], n = args->dims[1], k = args->dims[2];
    const T alpha = (T)args->scalar[0], beta = (T)args->scalar[1];
    if (m <= 0 || n <= 0) return HG_OK;
    const T *a = cu_operand<const T>(args, 0);
    const T *b = cu_operand<const T>(args, 1);
    T *cm = cu_operand<T>(args, 2);
    cu_device_guard guard(c->device);
    if (k <= 0) {
        if (beta == (T)0) {
            cu_f_fill<T> f = {(T)0};
            return cu_map<T, 0>(c, "gemm", (const T *)0, (const T *)0, cm, m * n, f);
        }
        f_scale<T> f = {beta};
        return cu_map<T, 1>(c, "gemm", (const T *)cm, (const T *)0, cm, m * n, f);
    }
    const bool ta = (args->flags & HG_ARG_TRANS_A) != 0, tb = (args->flags & HG_ARG_TRANS_B) != 0;
    const int64_t lda = ta ? m : k, ldb = tb ? k : n;
    const cublasStatus_t st = blas_gemm(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m,
                                        k, &alpha, b, ldb, a, lda, &beta, cm, n);
    if (st != CUBLAS_STATUS_SUCCESS) return cu_blas_fail(st, sizeof(T) == 4 ? "cublasSgemm" : "cublasDgemm");
    return cu_launch_check("gemm");
}

/* y = A x, A m x n row-major = column-major A^T (n x m, ld n): y = (A^T)^T x. */
template <typename T>
hg_status cu_matvec_impl(void *ctx, const hg_op_args *args) {
    cu_context *c = (cu_context *)ctx;
    const int64_t m = args->dims[0], n = args->dims[1];
    if (m <= 0) return HG_OK;
    const T *a = cu_operand<const T>(args, 0);
    const T *x = cu_operand<const T>(args, 1);
    T *y = cu_operand<T>(args, 2);
    cu_device_guard guard(c->device);
    if (n <= 0) {
        cu_f_fill<T> f = {(T)0};
        return cu_map<T, 0>(c, "matvec", (const T *)0, (const T *)0, y, m, f);
    }
    const T one = (T)1, zero = (T)0;
    const cublasStatus_t st = blas_gemv(c->blas, CUBLAS_OP_T, n, m, &one, a, n, x, &zero, y);
    if (st != CUBLAS_STATUS_SUCCESS) return cu_blas_fail(st, sizeof(T) == 4 ? "cublasSgemv" : "cublasDgemv");
    return cu_launch_check("matvec");
}

} // namespace

CU_INSTANTIATE(gemm, cu_gemm_impl)
CU_INSTANTIATE(matvec, cu_matvec_impl)
