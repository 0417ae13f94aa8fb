/*
 * ops.c -- validation and dispatch of every op call.
 *
 * All checks live here, in C, so a Python wrapper is one attribute load per
 * argument and one call: the executor is open, each buffer is alive, belongs
 * to that executor, has the expected dtype and holds enough elements, outputs
 * are writable and do not partially overlap inputs. Kernels then see only
 * valid arguments.
 */
#include <math.h>
#include <string.h>

#include "core.h"

static hg_status check_executor(const hg_executor *ex) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "executor is NULL");
    if (atomic_load(&ex->closed))
        return hg__set_error(HG_ERR_CLOSED, "the executor is closed: create a new hg.Executor()");
    return HG_OK;
}

/* Resolves HG_DTYPE_ANY to the first operand's dtype. */
static hg_status resolve_dtype(int32_t expect, const hg_buffer *first, int32_t *dtype_out) {
    if (expect == HG_DTYPE_ANY) {
        if (!first) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "buffer is NULL");
        *dtype_out = first->dtype;
    } else if (expect < 0 || expect >= HG_DTYPE_COUNT) {
        return hg__set_error(HG_ERR_DTYPE, "unknown dtype code %d", expect);
    } else {
        *dtype_out = expect;
    }
    return HG_OK;
}

static hg_status check_buffer(const hg_executor *ex, const hg_buffer *b, const char *name,
                              int32_t dtype, int64_t need, int write, int32_t op) {
    if (!b) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "%s: buffer '%s' is NULL", hg__op_name(op), name);
    if (b->ex != ex)
        return hg__set_error(HG_ERR_EXECUTOR_MISMATCH,
            "%s: buffer '%s' belongs to another executor; allocate it from the executor "
            "that runs the op", hg__op_name(op), name);
    if (atomic_load(&b->freed))
        return hg__set_error(HG_ERR_CLOSED, "%s: buffer '%s' was freed: allocate a new one",
                             hg__op_name(op), name);
    if (b->dtype != dtype)
        return hg__set_error(HG_ERR_DTYPE, "%s: buffer '%s' is %s but the op needs %s",
                             hg__op_name(op), name, hg__dtype_name(b->dtype), hg__dtype_name(dtype));
    if (need > b->count)
        return hg__set_error(HG_ERR_SHAPE,
            "%s: needs %lld elements of buffer '%s', which holds %lld",
            hg__op_name(op), (long long)need, name, (long long)b->count);
    if (write && b->read_only)
        return hg__set_error(HG_ERR_READ_ONLY,
            "%s: output buffer '%s' wraps read-only memory", hg__op_name(op), name);
    return HG_OK;
}

static hg_status check_count(int64_t n, const char *what, int32_t op) {
    if (n < 0)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "%s: %s must be >= 0, got %lld",
                             hg__op_name(op), what, (long long)n);
    return HG_OK;
}

static hg_status check_product(int64_t a, int64_t b, int64_t *out, int32_t op) {
    if (__builtin_mul_overflow(a, b, out))
        return hg__set_error(HG_ERR_SHAPE, "%s: %lld x %lld elements overflow", hg__op_name(op),
                             (long long)a, (long long)b);
    return HG_OK;
}

/* 1 if the first `xn` elements of x and `yn` of y overlap in a way the op
   cannot handle. Identical ranges are fine for elementwise ops
   (allow_same); device memory of distinct buffers never overlaps. */
static int bad_overlap(const hg_buffer *x, int64_t xn, const hg_buffer *y, int64_t yn, int allow_same) {
    if (xn == 0 || yn == 0) return 0;
    if (x == y) return !allow_same;
    if (!x->host || !y->host) return 0;
    const char *xs = x->host, *ys = y->host;
    size_t es = hg_dtype_size(x->dtype);
    if (xs + (size_t)xn * es <= ys || ys + (size_t)yn * es <= xs) return 0;
    return !(allow_same && xs == ys);
}

static hg_status check_overlap(const hg_buffer *out, int64_t on, const hg_buffer *in, int64_t in_n,
                               int allow_same, const char *out_name, const char *in_name, int32_t op) {
    if (bad_overlap(out, on, in, in_n, allow_same))
        return hg__set_error(HG_ERR_INVALID_ARGUMENT,
            "%s: output '%s' overlaps input '%s'%s: use a separate output buffer",
            hg__op_name(op), out_name, in_name, allow_same ? " without being the same memory" : "");
    return HG_OK;
}

/* Reads element 0 of `b` as a double (one tiny copy on device backends). */
static hg_status read_first(hg_executor *ex, const hg_buffer *b, double *value_out) {
    double d = 0.0;
    float f = 0.0f;
    void *dst = b->dtype == HG_DTYPE_FLOAT64 ? (void *)&d : (void *)&f;
    if (b->dtype != HG_DTYPE_FLOAT64 && b->dtype != HG_DTYPE_FLOAT32)
        return hg__set_error(HG_ERR_DTYPE, "cannot read a %s result", hg__dtype_name(b->dtype));
    hg_status st = b->host ? (memcpy(dst, b->host, hg_dtype_size(b->dtype)), HG_OK)
                           : ex->vt->copy_to_host(ex->ctx, dst, b->mem, 0, hg_dtype_size(b->dtype));
    if (st) return st;
    *value_out = b->dtype == HG_DTYPE_FLOAT64 ? d : (double)f;
    return HG_OK;
}

/* A dtype the backend has no kernel for at all (float64 on a WGSL backend)
   is a wrong-type error, a missing op of a supported dtype is "unsupported". */
static int dtype_has_kernels(const hg_executor *ex, uint32_t dtype) {
    for (int op = 0; op < HG_OP_COUNT; op++)
        if (ex->kernels[op][dtype]) return 1;
    return 0;
}

/* Runs the kernel inside the in-flight guard (see core.h): the operands are
   re-checked after announcing the call, so a concurrent free or close either
   waits for the kernel or is seen here. `result_out`, if given, receives
   element 0 of `result` under the same guard. */
static hg_status run(hg_executor *ex, hg_op_args *args, hg_buffer *const *buffers, double *result_out,
                     const hg_buffer *result) {
    hg_kernel_fn kernel = ex->kernels[args->op][args->dtype];
    if (!kernel && !dtype_has_kernels(ex, args->dtype))
        return hg__set_error(HG_ERR_DTYPE, "backend '%s' has no %s kernels at all: use float32 data, or "
                             "an executor of another backend (such as 'cpu') for %s",
                             ex->vt->name, hg__dtype_name((int32_t)args->dtype), hg__dtype_name((int32_t)args->dtype));
    if (!kernel)
        return hg__set_error(HG_ERR_UNSUPPORTED, "backend '%s' has no %s kernel for %s",
                             ex->vt->name, hg__dtype_name((int32_t)args->dtype), hg__op_name((int32_t)args->op));
    hg_status st = HG_OK;
    hg__enter(ex);
    if (atomic_load(&ex->closed))
        st = hg__set_error(HG_ERR_CLOSED, "the executor was closed while the call started");
    for (uint32_t i = 0; !st && i < args->num_operands; i++)
        if (atomic_load(&buffers[i]->freed))
            st = hg__set_error(HG_ERR_CLOSED, "%s: a buffer was freed while the call started",
                               hg__op_name((int32_t)args->op));
    if (!st) st = kernel(ex->ctx, args);
    if (!st && result_out) st = read_first(ex, result, result_out);
    hg__leave(ex);
    return st;
}

static hg_op_args make_args(int32_t op, int32_t dtype, uint32_t num_operands) {
    hg_op_args args;
    memset(&args, 0, sizeof args);
    args.op = (uint32_t)op;
    args.dtype = (uint32_t)dtype;
    args.num_operands = num_operands;
    return args;
}

static int in_range(int32_t op, int32_t first, int32_t last) { return op >= first && op <= last; }

static hg_status check_op(int32_t op, int32_t first, int32_t last, const char *family) {
    if (!in_range(op, first, last))
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "op %d (%s) is not a %s op", op, hg__op_name(op), family);
    return HG_OK;
}

hg_status hg_fill(hg_executor *ex, hg_buffer *out, double value, int64_t n) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    if ((st = check_executor(ex)) || (st = check_count(n, "n", HG_OP_FILL)) ||
        (st = resolve_dtype(HG_DTYPE_ANY, out, &dtype)) ||
        (st = check_buffer(ex, out, "out", dtype, n, 1, HG_OP_FILL)))
        return st;
    hg_op_args args = make_args(HG_OP_FILL, dtype, 1);
    args.operand[0] = out->mem;
    args.dims[0] = n;
    args.scalar[0] = value;
    hg_buffer *const bufs[] = {out};
    return run(ex, &args, bufs, NULL, NULL);
}

hg_status hg_copy(hg_executor *ex, hg_buffer *src, hg_buffer *dst, int64_t n) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    if ((st = check_executor(ex)) || (st = check_count(n, "n", HG_OP_COPY)) ||
        (st = resolve_dtype(HG_DTYPE_ANY, src, &dtype)) ||
        (st = check_buffer(ex, src, "src", dtype, n, 0, HG_OP_COPY)) ||
        (st = check_buffer(ex, dst, "dst", dtype, n, 1, HG_OP_COPY)) ||
        (st = check_overlap(dst, n, src, n, 1, "dst", "src", HG_OP_COPY)))
        return st;
    hg_op_args args = make_args(HG_OP_COPY, dtype, 2);
    args.operand[0] = src->mem;
    args.operand[1] = dst->mem;
    args.dims[0] = n;
    hg_buffer *const bufs[] = {src, dst};
    return run(ex, &args, bufs, NULL, NULL);
}

hg_status hg_binary(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *a, hg_buffer *b,
                    hg_buffer *out, int64_t n) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    if ((st = check_executor(ex)) || (st = check_op(op, HG_OP_ADD, HG_OP_MINIMUM, "binary")) ||
        (st = check_count(n, "n", op)) || (st = resolve_dtype(expect, a, &dtype)) ||
        (st = check_buffer(ex, a, "a", dtype, n, 0, op)) ||
        (st = check_buffer(ex, b, "b", dtype, n, 0, op)) ||
        (st = check_buffer(ex, out, "out", dtype, n, 1, op)) ||
        (st = check_overlap(out, n, a, n, 1, "out", "a", op)) ||
        (st = check_overlap(out, n, b, n, 1, "out", "b", op)))
        return st;
    hg_op_args args = make_args(op, dtype, 3);
    args.operand[0] = a->mem;
    args.operand[1] = b->mem;
    args.operand[2] = out->mem;
    args.dims[0] = n;
    hg_buffer *const bufs[] = {a, b, out};
    return run(ex, &args, bufs, NULL, NULL);
}

hg_status hg_unary(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *a, hg_buffer *out, int64_t n) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    if ((st = check_executor(ex)) || (st = check_op(op, HG_OP_NEG, HG_OP_GELU_TANH, "unary")) ||
        (st = check_count(n, "n", op)) || (st = resolve_dtype(expect, a, &dtype)) ||
        (st = check_buffer(ex, a, "a", dtype, n, 0, op)) ||
        (st = check_buffer(ex, out, "out", dtype, n, 1, op)) ||
        (st = check_overlap(out, n, a, n, 1, "out", "a", op)))
        return st;
    hg_op_args args = make_args(op, dtype, 2);
    args.operand[0] = a->mem;
    args.operand[1] = out->mem;
    args.dims[0] = n;
    hg_buffer *const bufs[] = {a, out};
    return run(ex, &args, bufs, NULL, NULL);
}

hg_status hg_scalar(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *a, hg_buffer *out,
                    int64_t n, double scalar0, double scalar1) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    if ((st = check_executor(ex)) || (st = check_op(op, HG_OP_ADD_SCALAR, HG_OP_CLIP, "scalar")) ||
        (st = check_count(n, "n", op)) || (st = resolve_dtype(expect, a, &dtype)) ||
        (st = check_buffer(ex, a, "a", dtype, n, 0, op)) ||
        (st = check_buffer(ex, out, "out", dtype, n, 1, op)) ||
        (st = check_overlap(out, n, a, n, 1, "out", "a", op)))
        return st;
    if (op == HG_OP_CLIP && (isnan(scalar0) || isnan(scalar1)))
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "clip: the bounds must not be NaN (got %g, %g)",
                             scalar0, scalar1);
    hg_op_args args = make_args(op, dtype, 2);
    args.operand[0] = a->mem;
    args.operand[1] = out->mem;
    args.dims[0] = n;
    args.scalar[0] = scalar0;
    args.scalar[1] = scalar1;
    hg_buffer *const bufs[] = {a, out};
    return run(ex, &args, bufs, NULL, NULL);
}

/* Shared checks of the rows x cols ops: counts, the input and its product. */
static hg_status check_matrix(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *a, int64_t rows,
                              int64_t cols, int32_t *dtype_out, int64_t *total_out) {
    hg_status st;
    if ((st = check_executor(ex)) || (st = check_count(rows, "rows", op)) ||
        (st = check_count(cols, "cols", op)) || (st = check_product(rows, cols, total_out, op)) ||
        (st = resolve_dtype(expect, a, dtype_out)))
        return st;
    return HG_OK;
}

hg_status hg_reduce(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *a, hg_buffer *out,
                    int64_t rows, int64_t cols, double *result_out) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    int64_t total;
    if ((st = check_op(op, HG_OP_SUM, HG_OP_MEAN, "reduction")) ||
        (st = check_matrix(ex, op, expect, a, rows, cols, &dtype, &total)) ||
        (st = check_buffer(ex, a, "a", dtype, total, 0, op)) ||
        (st = check_buffer(ex, out, "out", dtype, rows, 1, op)) ||
        (st = check_overlap(out, rows, a, total, 0, "out", "a", op)))
        return st;
    if ((op == HG_OP_MAX || op == HG_OP_MIN) && cols == 0 && rows > 0)
        return hg__set_error(HG_ERR_SHAPE, "%s of an empty row: the reduction has no identity",
                             hg__op_name(op));
    hg_op_args args = make_args(op, dtype, 2);
    args.operand[0] = a->mem;
    args.operand[1] = out->mem;
    args.dims[0] = rows;
    args.dims[1] = cols;
    if (result_out && rows == 0) *result_out = NAN;
    hg_buffer *const bufs[] = {a, out};
    return run(ex, &args, bufs, rows ? result_out : NULL, out);
}

hg_status hg_rowwise(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *a, hg_buffer *out,
                     int64_t rows, int64_t cols) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    int64_t total;
    if ((st = check_op(op, HG_OP_SOFTMAX, HG_OP_LOG_SOFTMAX, "row-wise")) ||
        (st = check_matrix(ex, op, expect, a, rows, cols, &dtype, &total)) ||
        (st = check_buffer(ex, a, "a", dtype, total, 0, op)) ||
        (st = check_buffer(ex, out, "out", dtype, total, 1, op)) ||
        (st = check_overlap(out, total, a, total, 1, "out", "a", op)))
        return st;
    hg_op_args args = make_args(op, dtype, 2);
    args.operand[0] = a->mem;
    args.operand[1] = out->mem;
    args.dims[0] = rows;
    args.dims[1] = cols;
    hg_buffer *const bufs[] = {a, out};
    return run(ex, &args, bufs, NULL, NULL);
}

hg_status hg_loss(hg_executor *ex, int32_t op, int32_t expect, hg_buffer *pred, hg_buffer *target,
                  hg_buffer *out, int64_t rows, int64_t cols, double *result_out) {
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    int64_t total;
    if ((st = check_op(op, HG_OP_MSE, HG_OP_BINARY_CROSS_ENTROPY, "loss")) ||
        (st = check_matrix(ex, op, expect, pred, rows, cols, &dtype, &total)) ||
        (st = check_buffer(ex, pred, "pred", dtype, total, 0, op)) ||
        (st = check_buffer(ex, target, "target", dtype, total, 0, op)) ||
        (st = check_buffer(ex, out, "out", dtype, 1, 1, op)) ||
        (st = check_overlap(out, 1, pred, total, 0, "out", "pred", op)) ||
        (st = check_overlap(out, 1, target, total, 0, "out", "target", op)))
        return st;
    hg_op_args args = make_args(op, dtype, 3);
    args.operand[0] = pred->mem;
    args.operand[1] = target->mem;
    args.operand[2] = out->mem;
    args.dims[0] = rows;
    args.dims[1] = cols;
    hg_buffer *const bufs[] = {pred, target, out};
    return run(ex, &args, bufs, result_out, out);
}

hg_status hg_gemm(hg_executor *ex, int32_t expect, hg_buffer *a, hg_buffer *b, hg_buffer *c,
                  int64_t m, int64_t n, int64_t k, int32_t trans_a, int32_t trans_b,
                  double alpha, double beta) {
    const int32_t op = HG_OP_GEMM;
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    int64_t mk, kn, mn;
    if ((st = check_executor(ex)) || (st = check_count(m, "m", op)) || (st = check_count(n, "n", op)) ||
        (st = check_count(k, "k", op)) || (st = check_product(m, k, &mk, op)) ||
        (st = check_product(k, n, &kn, op)) || (st = check_product(m, n, &mn, op)) ||
        (st = resolve_dtype(expect, a, &dtype)) ||
        (st = check_buffer(ex, a, "a", dtype, mk, 0, op)) ||
        (st = check_buffer(ex, b, "b", dtype, kn, 0, op)) ||
        (st = check_buffer(ex, c, "c", dtype, mn, 1, op)) ||
        (st = check_overlap(c, mn, a, mk, 0, "c", "a", op)) ||
        (st = check_overlap(c, mn, b, kn, 0, "c", "b", op)))
        return st;
    hg_op_args args = make_args(op, dtype, 3);
    args.operand[0] = a->mem;
    args.operand[1] = b->mem;
    args.operand[2] = c->mem;
    args.dims[0] = m;
    args.dims[1] = n;
    args.dims[2] = k;
    args.flags = (trans_a ? HG_ARG_TRANS_A : 0u) | (trans_b ? HG_ARG_TRANS_B : 0u);
    args.scalar[0] = alpha;
    args.scalar[1] = beta;
    hg_buffer *const bufs[] = {a, b, c};
    return run(ex, &args, bufs, NULL, NULL);
}

hg_status hg_matvec(hg_executor *ex, int32_t expect, hg_buffer *a, hg_buffer *x, hg_buffer *y,
                    int64_t m, int64_t n) {
    const int32_t op = HG_OP_MATVEC;
    hg_status st;
    int32_t dtype = HG_DTYPE_FLOAT32;
    int64_t mn;
    if ((st = check_executor(ex)) || (st = check_count(m, "m", op)) || (st = check_count(n, "n", op)) ||
        (st = check_product(m, n, &mn, op)) || (st = resolve_dtype(expect, a, &dtype)) ||
        (st = check_buffer(ex, a, "a", dtype, mn, 0, op)) ||
        (st = check_buffer(ex, x, "x", dtype, n, 0, op)) ||
        (st = check_buffer(ex, y, "y", dtype, m, 1, op)) ||
        (st = check_overlap(y, m, a, mn, 0, "y", "a", op)) ||
        (st = check_overlap(y, m, x, n, 0, "y", "x", op)))
        return st;
    hg_op_args args = make_args(op, dtype, 3);
    args.operand[0] = a->mem;
    args.operand[1] = x->mem;
    args.operand[2] = y->mem;
    args.dims[0] = m;
    args.dims[1] = n;
    hg_buffer *const bufs[] = {a, x, y};
    return run(ex, &args, bufs, NULL, NULL);
}
