/*
 * fast_calls.c -- the op entry points as METH_FASTCALL functions, compiled into
 * hologram_core._native beside the cffi binding (build_native.py appends this
 * file to the module's source).
 *
 * Why not cffi for these: a cffi call converts each pointer argument through
 * its type machinery and always releases and retakes the GIL, about 0.5 us
 * for a seven-argument op, which is a quarter of a 10K-element add. Here the
 * handles travel as plain ints (Buffer._buf_addr, Executor._ex_addr: the address
 * behind the cffi handle, which stays alive as long as the Python object does), each
 * argument is one PyLong conversion, and the GIL is kept for small ops: one
 * that streams fewer than HG_PY_KEEP_GIL_BELOW elements takes about as long
 * as releasing the GIL would. Everything else (validation, errors) is the C
 * core's, exactly as through cffi: each function returns the hg_status (and
 * the reductions the value), and Python raises.
 *
 * The functions are installed as the module hologram_core._fast_calls by
 * hg_py_install_fast_calls(), which hologram_core's __init__ calls once.
 */

#define HG_PY_KEEP_GIL_BELOW 16384

/* METH_FASTCALL is part of the stable ABI from Python 3.10 on, the oldest this
   abi3 wheel supports; the limited-API headers hide it unless Py_LIMITED_API
   names 3.10, which cffi's bare definition does not. */
#ifndef METH_FASTCALL
#define METH_FASTCALL 0x0080
#endif

/* One converted argument. */
typedef union hg_py_arg {
    void *p;
    uintptr_t u;
    int32_t i;
    int64_t n;
    double d;
} hg_py_arg;

/* Converts args by `spec`, one letter per argument: p handle address, u memory
   address (a non-negative int: data_ptr()), i int32, n int64 count, d double. Sets a Python exception and returns -1 on failure:
   TypeError for a non-integer (so the caller's wrapper can name it),
   OverflowError for a value out of range. */
static int hg_py_parse(const char *name, PyObject *const *args, Py_ssize_t nargs, const char *spec,
                       hg_py_arg *out) {
    const Py_ssize_t want = (Py_ssize_t)strlen(spec);
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, want, nargs);
        return -1;
    }
    for (Py_ssize_t k = 0; k < nargs; k++) {
        PyObject *v = args[k];
        switch (spec[k]) {
        case 'p':
            if (!PyLong_Check(v)) {
                PyErr_Format(PyExc_TypeError, "%s(): argument %zd must be a handle address", name, k);
                return -1;
            }
            out[k].p = PyLong_AsVoidPtr(v);
            if (!out[k].p && PyErr_Occurred()) return -1;
            break;
        case 'u': {
            unsigned long long x = PyLong_AsUnsignedLongLong(v); /* OverflowError if negative */
            if (x == (unsigned long long)-1 && PyErr_Occurred()) return -1;
            if (x > UINTPTR_MAX) {
                PyErr_Format(PyExc_OverflowError, "%s(): argument %zd is out of range", name, k);
                return -1;
            }
            out[k].u = (uintptr_t)x;
            break;
        }
        case 'i': {
            long x = PyLong_AsLong(v);
            if (x == -1 && PyErr_Occurred()) return -1;
            if (x < INT32_MIN || x > INT32_MAX) {
                PyErr_Format(PyExc_OverflowError, "%s(): argument %zd is out of range", name, k);
                return -1;
            }
            out[k].i = (int32_t)x;
            break;
        }
        case 'n': {
            long long x = PyLong_AsLongLong(v);
            if (x == -1 && PyErr_Occurred()) return -1;
            out[k].n = (int64_t)x;
            break;
        }
        default: { /* 'd' */
            double x = PyFloat_AsDouble(v);
            if (x == -1.0 && PyErr_Occurred()) return -1;
            out[k].d = x;
            break;
        }
        }
    }
    return 0;
}

/* Runs CALL (an expression giving an hg_status) without the GIL when the op
   is large. */
#define HG_PY_RUN(large, st, CALL)          \
    do {                                    \
        if (large) {                        \
            PyThreadState *ts_ = PyEval_SaveThread(); \
            (st) = (CALL);                  \
            PyEval_RestoreThread(ts_);      \
        } else {                            \
            (st) = (CALL);                  \
        }                                   \
    } while (0)

static int hg_py_large(int64_t a, int64_t b) {
    int64_t total;
    return __builtin_mul_overflow(a, b, &total) || total >= HG_PY_KEEP_GIL_BELOW;
}

/* The entry points that return a status: each parses its arguments by SPEC
   (see hg_py_parse), decides by LARGE whether to release the GIL, and makes
   one core call. v[] holds the converted arguments. */
#define HG_PY_STATUS_OP(name, SPEC, LARGE, CALL)                                           \
    static PyObject *hg_py_##name(PyObject *self, PyObject *const *args, Py_ssize_t nargs) { \
        (void)self;                                                                        \
        hg_py_arg v[sizeof(SPEC) - 1];                                                     \
        if (hg_py_parse(#name, args, nargs, SPEC, v)) return NULL;                         \
        hg_status st;                                                                      \
        HG_PY_RUN(LARGE, st, CALL);                                                        \
        return PyLong_FromLong(st);                                                        \
    }

/* binary(ex, op, dtype, a, b, out, n), unary(ex, op, dtype, a, out, n),
   scalar(ex, op, dtype, a, out, n, s0, s1), rowwise(ex, op, dtype, a, out, rows, cols) */
HG_PY_STATUS_OP(binary, "piipppn", hg_py_large(v[6].n, 1),
                hg_binary(v[0].p, v[1].i, v[2].i, v[3].p, v[4].p, v[5].p, v[6].n))
HG_PY_STATUS_OP(unary, "piippn", hg_py_large(v[5].n, 1), hg_unary(v[0].p, v[1].i, v[2].i, v[3].p, v[4].p, v[5].n))
HG_PY_STATUS_OP(scalar, "piippndd", hg_py_large(v[5].n, 1),
                hg_scalar(v[0].p, v[1].i, v[2].i, v[3].p, v[4].p, v[5].n, v[6].d, v[7].d))
HG_PY_STATUS_OP(rowwise, "piippnn", hg_py_large(v[5].n, v[6].n),
                hg_rowwise(v[0].p, v[1].i, v[2].i, v[3].p, v[4].p, v[5].n, v[6].n))
/* gemm(ex, dtype, a, b, c, m, n, k, trans_a, trans_b, alpha, beta): the GIL is
   always released, even GEMM 64 is microseconds of work;
   matvec(ex, dtype, a, x, y, m, n) */
HG_PY_STATUS_OP(gemm, "pipppnnniidd", 1,
                hg_gemm(v[0].p, v[1].i, v[2].p, v[3].p, v[4].p, v[5].n, v[6].n, v[7].n, v[8].i, v[9].i, v[10].d,
                        v[11].d))
HG_PY_STATUS_OP(matvec, "pipppnn", hg_py_large(v[5].n, v[6].n),
                hg_matvec(v[0].p, v[1].i, v[2].p, v[3].p, v[4].p, v[5].n, v[6].n))

/* The same ops on caller-owned host memory (hologram.hostcall): the operands
   are memory addresses ('u'), with the argument order of the calls above. */
HG_PY_STATUS_OP(binary_host, "piiuuun", hg_py_large(v[6].n, 1),
                hg_binary_host(v[0].p, v[1].i, v[2].i, v[3].u, v[4].u, v[5].u, v[6].n))
HG_PY_STATUS_OP(unary_host, "piiuun", hg_py_large(v[5].n, 1),
                hg_unary_host(v[0].p, v[1].i, v[2].i, v[3].u, v[4].u, v[5].n))
HG_PY_STATUS_OP(scalar_host, "piiuundd", hg_py_large(v[5].n, 1),
                hg_scalar_host(v[0].p, v[1].i, v[2].i, v[3].u, v[4].u, v[5].n, v[6].d, v[7].d))
HG_PY_STATUS_OP(rowwise_host, "piiuunn", hg_py_large(v[5].n, v[6].n),
                hg_rowwise_host(v[0].p, v[1].i, v[2].i, v[3].u, v[4].u, v[5].n, v[6].n))
HG_PY_STATUS_OP(reduce_host, "piiuunn", hg_py_large(v[5].n, v[6].n),
                hg_reduce_host(v[0].p, v[1].i, v[2].i, v[3].u, v[4].u, v[5].n, v[6].n))
HG_PY_STATUS_OP(loss_host, "piiuuunn", hg_py_large(v[6].n, v[7].n),
                hg_loss_host(v[0].p, v[1].i, v[2].i, v[3].u, v[4].u, v[5].u, v[6].n, v[7].n))
HG_PY_STATUS_OP(gemm_host, "piuuunnniidd", 1,
                hg_gemm_host(v[0].p, v[1].i, v[2].u, v[3].u, v[4].u, v[5].n, v[6].n, v[7].n, v[8].i, v[9].i,
                             v[10].d, v[11].d))

/* (status, value): the value is meaningful when status is 0. */
static PyObject *hg_py_status_value(hg_status st, double value) {
    return Py_BuildValue("(id)", (int)st, st ? 0.0 : value);
}

/* The output of a reduction or loss called with out = 0 (the Python ops that
   return a float): a scratch buffer of `count` elements of a's dtype, taken
   from the executor's block cache and released after the call, so that the
   Python side creates no Buffer for a value it never shows. */
static hg_status hg_py_scratch(hg_executor *ex, int32_t dtype, const hg_buffer *a, int64_t count, hg_buffer **out) {
    if (dtype == HG_DTYPE_ANY && a) dtype = hg_buffer_dtype(a);
    if (dtype == HG_DTYPE_ANY) dtype = HG_DTYPE_FLOAT32; /* a is NULL: the core reports it */
    return hg_buffer_allocate(ex, count, dtype, out);
}

/* reduce(ex, op, dtype, a, out, rows, cols) -> (status, out[0]); out may be 0
   (then a scratch output is used). */
static PyObject *hg_py_reduce(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    hg_py_arg v[7];
    if (hg_py_parse("reduce", args, nargs, "piippnn", v)) return NULL;
    hg_status st = HG_OK;
    double value = 0.0;
    hg_buffer *scratch = NULL, *out = v[4].p;
    if (!out && (st = hg_py_scratch(v[0].p, v[2].i, v[3].p, v[5].n, &scratch)) == HG_OK) out = scratch;
    if (!st)
        HG_PY_RUN(hg_py_large(v[5].n, v[6].n), st,
                  hg_reduce(v[0].p, v[1].i, v[2].i, v[3].p, out, v[5].n, v[6].n, &value));
    hg_buffer_release(scratch);
    return hg_py_status_value(st, value);
}

/* loss(ex, op, dtype, pred, target, out, rows, cols) -> (status, out[0]); out
   may be 0, as for reduce. */
static PyObject *hg_py_loss(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    hg_py_arg v[8];
    if (hg_py_parse("loss", args, nargs, "piipppnn", v)) return NULL;
    hg_status st = HG_OK;
    double value = 0.0;
    hg_buffer *scratch = NULL, *out = v[5].p;
    if (!out && (st = hg_py_scratch(v[0].p, v[2].i, v[3].p, 1, &scratch)) == HG_OK) out = scratch;
    if (!st)
        HG_PY_RUN(hg_py_large(v[6].n, v[7].n), st,
                  hg_loss(v[0].p, v[1].i, v[2].i, v[3].p, v[4].p, out, v[6].n, v[7].n, &value));
    hg_buffer_release(scratch);
    return hg_py_status_value(st, value);
}

/* allocate(ex, count, dtype) -> the new buffer's handle address, or -status.
   One reference, which the caller owns (Buffer.__del__ gives it back through
   release): creating a buffer this way skips cffi's out-parameter, pointer
   cast and finaliser, about 0.5 us of the 1.2 us an allocating op spent on
   its output. */
static PyObject *hg_py_allocate(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    hg_py_arg v[3];
    if (hg_py_parse("allocate", args, nargs, "pni", v)) return NULL;
    hg_buffer *buf = NULL;
    hg_status st;
    /* Large allocations may wait (fresh pages; a device backend's allocator
       can synchronise): without the GIL, as through cffi. */
    HG_PY_RUN(hg_py_large(v[1].n, 1), st, hg_buffer_allocate(v[0].p, v[1].n, v[2].i, &buf));
    if (st) return PyLong_FromLong(-(long)st);
    return PyLong_FromVoidPtr(buf);
}

/* retain(buf): one more reference to a handle (a reshaped view's). */
static PyObject *hg_py_retain(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    hg_py_arg v[1];
    if (hg_py_parse("retain", args, nargs, "p", v)) return NULL;
    hg_buffer_retain(v[0].p);
    Py_RETURN_NONE;
}

/* release(buf): gives one reference back; the last frees the handle. */
static PyObject *hg_py_release(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    hg_py_arg v[1];
    if (hg_py_parse("release", args, nargs, "p", v)) return NULL;
    hg_buffer *buf = v[0].p;
    if (buf && hg_py_large(hg_buffer_count(buf), 1)) {
        /* The last reference frees the memory, which for a large buffer or
           device memory can take a while: not under the GIL. */
        PyThreadState *ts = PyEval_SaveThread();
        hg_buffer_release(buf);
        PyEval_RestoreThread(ts);
    } else {
        hg_buffer_release(buf);
    }
    Py_RETURN_NONE;
}

#define HG_PY_FAST(name, doc) {#name, (PyCFunction)(void (*)(void))hg_py_##name, METH_FASTCALL, doc}

static PyMethodDef hg_py_fast_methods[] = {
    HG_PY_FAST(binary, "binary(ex, op, dtype, a, b, out, n) -> status"),
    HG_PY_FAST(unary, "unary(ex, op, dtype, a, out, n) -> status"),
    HG_PY_FAST(scalar, "scalar(ex, op, dtype, a, out, n, s0, s1) -> status"),
    HG_PY_FAST(rowwise, "rowwise(ex, op, dtype, a, out, rows, cols) -> status"),
    HG_PY_FAST(reduce, "reduce(ex, op, dtype, a, out, rows, cols) -> (status, value); out may be 0"),
    HG_PY_FAST(loss, "loss(ex, op, dtype, pred, target, out, rows, cols) -> (status, value); out may be 0"),
    HG_PY_FAST(gemm, "gemm(ex, dtype, a, b, c, m, n, k, trans_a, trans_b, alpha, beta) -> status"),
    HG_PY_FAST(matvec, "matvec(ex, dtype, a, x, y, m, n) -> status"),
    HG_PY_FAST(binary_host, "binary_host(ex, op, dtype, a, b, out, n) -> status (a, b, out: addresses)"),
    HG_PY_FAST(unary_host, "unary_host(ex, op, dtype, a, out, n) -> status"),
    HG_PY_FAST(scalar_host, "scalar_host(ex, op, dtype, a, out, n, s0, s1) -> status"),
    HG_PY_FAST(rowwise_host, "rowwise_host(ex, op, dtype, a, out, rows, cols) -> status"),
    HG_PY_FAST(reduce_host, "reduce_host(ex, op, dtype, a, out, rows, cols) -> status"),
    HG_PY_FAST(loss_host, "loss_host(ex, op, dtype, pred, target, out, rows, cols) -> status"),
    HG_PY_FAST(gemm_host, "gemm_host(ex, dtype, a, b, c, m, n, k, trans_a, trans_b, alpha, beta) -> status"),
    HG_PY_FAST(allocate, "allocate(ex, count, dtype) -> buffer address (an owned reference), or -status"),
    HG_PY_FAST(retain, "retain(buf): one more reference to the buffer handle"),
    HG_PY_FAST(release, "release(buf): gives one reference to the buffer handle back"),
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hg_py_fast_module = {
    PyModuleDef_HEAD_INIT, "hologram_core._fast_calls",
    "The op entry points of the C core as METH_FASTCALL functions taking handle addresses (internal).",
    -1, hg_py_fast_methods, NULL, NULL, NULL, NULL,
};

/* Creates hologram_core._fast_calls and puts it into sys.modules; 0 on
   success. Called through cffi, which has released the GIL. */
int hg_py_install_fast_calls(void) {
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = -1;
    PyObject *module = PyModule_Create(&hg_py_fast_module);
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    if (module && modules && PyMapping_SetItemString(modules, "hologram_core._fast_calls", module) == 0) rc = 0;
    if (rc) PyErr_Clear(); /* the Python caller reports the failure */
    Py_XDECREF(module);
    PyGILState_Release(gil);
    return rc;
}
