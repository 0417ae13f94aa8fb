/*
 * host_call.c -- op calls on caller-owned host memory, without buffer handles.
 *
 * A framework that owns its tensors (PyTorch through hologram-torch) would
 * otherwise wrap every operand in a buffer handle for one call and release
 * it afterwards: an allocation, a lock and a Python object per operand. Here
 * each operand becomes a buffer that lives on the stack for the duration of
 * the call and then runs through the very same validation and dispatch as
 * the handle-based calls (ops.c). Only for host-addressable backends.
 */
#include <string.h>

#include "core.h"

/* A stack buffer over `count` elements at `addr`, adopted by the backend
   (wrap_host) for this call only; host_view_end gives it back. */
static hg_status host_view(hg_executor *ex, hg_buffer *b, uintptr_t addr, int64_t count, int32_t dtype,
                           int32_t read_only, const char *name) {
    memset(b, 0, sizeof *b);
    if (!ex->host_addressable || !ex->vt->wrap_host)
        return hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "backend '%s' cannot run ops on host memory in place: use buffers", ex->vt->name);
    if (dtype < 0 || dtype >= HG_DTYPE_COUNT || dtype == HG_DTYPE_ANY)
        return hg__set_error(HG_ERR_DTYPE, "unknown dtype code %d", dtype);
    if (count < 0)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "'%s' holds %lld elements: must be >= 0", name,
                             (long long)count);
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow((uint64_t)count, (uint64_t)hg_dtype_size(dtype), &nbytes) ||
        nbytes > (uint64_t)INT64_MAX)
        return hg__set_error(HG_ERR_SHAPE, "'%s': %lld elements exceed the address space", name,
                             (long long)count);
    if (!addr && nbytes) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "'%s' is a NULL address", name);
    if (addr % hg_dtype_size(dtype))
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "'%s' is not aligned for %s", name, hg__dtype_name(dtype));
    void *mem = NULL;
    hg_status st = ex->vt->wrap_host(ex->ctx, (void *)addr, nbytes, &mem);
    if (st) return st;
    atomic_init(&b->refs, 1);
    atomic_init(&b->freed, 0);
    b->ex = ex;
    b->mem = mem;
    b->host = (void *)addr;
    b->count = count;
    b->nbytes = nbytes;
    b->dtype = dtype;
    b->read_only = read_only;
    b->wrapped = 1;
    b->has_mem = 1;
    return HG_OK;
}

static void host_view_end(hg_buffer *b) {
    if (b->has_mem && b->ex->vt->unwrap) b->ex->vt->unwrap(b->ex->ctx, b->mem);
    b->has_mem = 0;
}

/* Views every operand, runs `call` when all succeeded, ends the views. */
#define HG__MAX_HOST_OPERANDS 3

typedef struct {
    uintptr_t addr;
    int64_t count;
    int32_t read_only;
    const char *name;
} host_operand;

/* The whole call, views included, runs inside the executor's in-flight guard
   (core.h): a concurrent close waits for it before the backend context goes,
   so wrap_host/unwrap never see a destroyed context. */
static hg_status with_views(hg_executor *ex, int32_t dtype, const host_operand *ops, int n,
                            hg_buffer *views) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "executor is NULL");
    hg__enter(ex);
    if (atomic_load(&ex->closed)) {
        hg__leave(ex);
        return hg__set_error(HG_ERR_CLOSED, "the executor is closed: create a new hg.Executor()");
    }
    for (int i = 0; i < n; i++) {
        hg_status st = host_view(ex, &views[i], ops[i].addr, ops[i].count, dtype, ops[i].read_only, ops[i].name);
        if (st) {
            for (int j = 0; j < i; j++) host_view_end(&views[j]);
            hg__leave(ex);
            return st;
        }
    }
    return HG_OK;
}

static void end_views(hg_executor *ex, hg_buffer *views, int n) {
    for (int i = 0; i < n; i++) host_view_end(&views[i]);
    hg__leave(ex);
}

static int64_t product_or_max(int64_t a, int64_t b) {
    int64_t p = 0;
    return (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &p)) ? -1 : p;
}

hg_status hg_binary_host(hg_executor *ex, int32_t op, int32_t dtype, uintptr_t a, uintptr_t b, uintptr_t out,
                         int64_t n) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    const host_operand ops[] = {{a, n, 1, "a"}, {b, n, 1, "b"}, {out, n, 0, "out"}};
    hg_status st = with_views(ex, dtype, ops, 3, v);
    if (st) return st;
    st = hg_binary(ex, op, dtype, &v[0], &v[1], &v[2], n);
    end_views(ex, v, 3);
    return st;
}

hg_status hg_unary_host(hg_executor *ex, int32_t op, int32_t dtype, uintptr_t a, uintptr_t out, int64_t n) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    const host_operand ops[] = {{a, n, 1, "a"}, {out, n, 0, "out"}};
    hg_status st = with_views(ex, dtype, ops, 2, v);
    if (st) return st;
    st = hg_unary(ex, op, dtype, &v[0], &v[1], n);
    end_views(ex, v, 2);
    return st;
}

hg_status hg_scalar_host(hg_executor *ex, int32_t op, int32_t dtype, uintptr_t a, uintptr_t out, int64_t n,
                         double scalar0, double scalar1) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    const host_operand ops[] = {{a, n, 1, "a"}, {out, n, 0, "out"}};
    hg_status st = with_views(ex, dtype, ops, 2, v);
    if (st) return st;
    st = hg_scalar(ex, op, dtype, &v[0], &v[1], n, scalar0, scalar1);
    end_views(ex, v, 2);
    return st;
}

hg_status hg_rowwise_host(hg_executor *ex, int32_t op, int32_t dtype, uintptr_t a, uintptr_t out,
                          int64_t rows, int64_t cols) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    int64_t n = product_or_max(rows, cols);
    const host_operand ops[] = {{a, n, 1, "a"}, {out, n, 0, "out"}};
    hg_status st = with_views(ex, dtype, ops, 2, v);
    if (st) return st;
    st = hg_rowwise(ex, op, dtype, &v[0], &v[1], rows, cols);
    end_views(ex, v, 2);
    return st;
}

hg_status hg_reduce_host(hg_executor *ex, int32_t op, int32_t dtype, uintptr_t a, uintptr_t out,
                         int64_t rows, int64_t cols) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    const host_operand ops[] = {{a, product_or_max(rows, cols), 1, "a"}, {out, rows, 0, "out"}};
    hg_status st = with_views(ex, dtype, ops, 2, v);
    if (st) return st;
    st = hg_reduce(ex, op, dtype, &v[0], &v[1], rows, cols, NULL);
    end_views(ex, v, 2);
    return st;
}

hg_status hg_loss_host(hg_executor *ex, int32_t op, int32_t dtype, uintptr_t pred, uintptr_t target,
                       uintptr_t out, int64_t rows, int64_t cols) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    int64_t n = product_or_max(rows, cols);
    const host_operand ops[] = {{pred, n, 1, "pred"}, {target, n, 1, "target"}, {out, 1, 0, "out"}};
    hg_status st = with_views(ex, dtype, ops, 3, v);
    if (st) return st;
    st = hg_loss(ex, op, dtype, &v[0], &v[1], &v[2], rows, cols, NULL);
    end_views(ex, v, 3);
    return st;
}

hg_status hg_gemm_host(hg_executor *ex, int32_t dtype, uintptr_t a, uintptr_t b, uintptr_t c, int64_t m,
                       int64_t n, int64_t k, int32_t trans_a, int32_t trans_b, double alpha, double beta) {
    hg_buffer v[HG__MAX_HOST_OPERANDS];
    const host_operand ops[] = {{a, product_or_max(m, k), 1, "a"}, {b, product_or_max(k, n), 1, "b"},
                                {c, product_or_max(m, n), 0, "c"}};
    hg_status st = with_views(ex, dtype, ops, 3, v);
    if (st) return st;
    st = hg_gemm(ex, dtype, &v[0], &v[1], &v[2], m, n, k, trans_a, trans_b, alpha, beta);
    end_views(ex, v, 3);
    return st;
}
