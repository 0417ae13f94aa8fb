/*
 * error.c -- the thread-local error detail and the names used in messages.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"

static _Thread_local char last_error[HG_ERROR_CAPACITY];

hg_status hg__set_error(hg_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

const char *hg_last_error(void) { return last_error; }

const char *hg_status_name(hg_status status) {
    switch (status) {
    case HG_OK: return "HG_OK";
    case HG_ERR_INVALID_ARGUMENT: return "HG_ERR_INVALID_ARGUMENT";
    case HG_ERR_DTYPE: return "HG_ERR_DTYPE";
    case HG_ERR_SHAPE: return "HG_ERR_SHAPE";
    case HG_ERR_OUT_OF_MEMORY: return "HG_ERR_OUT_OF_MEMORY";
    case HG_ERR_CLOSED: return "HG_ERR_CLOSED";
    case HG_ERR_EXECUTOR_MISMATCH: return "HG_ERR_EXECUTOR_MISMATCH";
    case HG_ERR_READ_ONLY: return "HG_ERR_READ_ONLY";
    case HG_ERR_UNSUPPORTED: return "HG_ERR_UNSUPPORTED";
    case HG_ERR_NOT_HOST_ADDRESSABLE: return "HG_ERR_NOT_HOST_ADDRESSABLE";
    case HG_ERR_BACKEND_UNAVAILABLE: return "HG_ERR_BACKEND_UNAVAILABLE";
    case HG_ERR_ABI_MISMATCH: return "HG_ERR_ABI_MISMATCH";
    case HG_ERR_LOAD_FAILED: return "HG_ERR_LOAD_FAILED";
    case HG_ERR_BACKEND: return "HG_ERR_BACKEND";
    case HG_ERR_INTERNAL: return "HG_ERR_INTERNAL";
    }
    return "HG_ERR_UNKNOWN";
}

static const hg_host_api host_api = {
    .abi_version = HG_BACKEND_ABI_VERSION,
    .struct_size = sizeof(hg_host_api),
    .set_error = hg__set_error,
};

const hg_host_api *hg__host_api(void) { return &host_api; }

uint32_t hg_backend_abi_version(void) { return HG_BACKEND_ABI_VERSION; }

const char *hg_version(void) { return "0.1.0"; }

static const char *const dtype_names[HG_DTYPE_COUNT] = {
    "float32", "float64", "float16", "bfloat16", "int32",
};
static const size_t dtype_sizes[HG_DTYPE_COUNT] = {4, 8, 2, 2, 4};

const char *hg__dtype_name(int32_t dtype) {
    return (dtype >= 0 && dtype < HG_DTYPE_COUNT) ? dtype_names[dtype] : "unknown dtype";
}

size_t hg_dtype_size(int32_t dtype) {
    return (dtype >= 0 && dtype < HG_DTYPE_COUNT) ? dtype_sizes[dtype] : 0;
}

static const char *const op_names[HG_OP_COUNT] = {
    "fill", "copy", "add", "sub", "mul", "div", "maximum", "minimum",
    "add_scalar", "mul_scalar", "clip", "neg", "abs", "relu", "sigmoid", "tanh",
    "exp", "log", "sqrt", "gelu", "gelu_tanh", "sum", "max", "min", "mean",
    "softmax", "log_softmax", "mse", "cross_entropy", "binary_cross_entropy",
    "gemm", "matvec",
};

const char *hg__op_name(int32_t op) {
    return (op >= 0 && op < HG_OP_COUNT) ? op_names[op] : "unknown op";
}
