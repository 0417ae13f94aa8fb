/*
 * acme_backend.c -- a complete Hologram backend plugin, small enough to read in one sitting.
 *
 * "acme" stands for your hardware. This one runs on the CPU with plain malloc'd memory, so
 * every line here is about the plugin ABI (hologram/backend.h), not about a device: replace
 * the bodies of alloc/free/copies/kernels with calls into your driver. It is the sample that
 * docs/plugin-guide.md walks through; the tests build it into a wheel, install it and run it.
 *
 * Build (the wheel's build hook does this):
 *     cc -std=c11 -Wall -Wextra -Werror -O2 -fPIC -shared -fvisibility=hidden \
 *        -I<dir holding hologram/backend.h> acme_backend.c -o libhologram_acme.so
 */
// --8<-- [start:includes]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hologram/backend.h" /* includes hologram.h: hg_status, hg_op, hg_dtype */

#define ACME_NAME "acme"
#define ACME_VERSION "0.1.0"

/* The host's services (error reporting), handed to the entry point. Backends are never
   unloaded, and the host keeps this table alive for the life of the process. */
static const hg_host_api *host;
// --8<-- [end:includes]

// --8<-- [start:probe]
/* Can this machine run the backend? Called once per process by discovery. A score > 0 means
   usable; 0 means unusable, with a reason the user can act on. A real backend would look for
   its driver and devices here (dlopen the driver, count devices) and never crash without them. */
static hg_status acme_probe(int32_t *score_out, char *reason, size_t reason_capacity) {
    if (getenv("ACME_DISABLE")) {
        *score_out = 0;
        if (reason && reason_capacity)
            snprintf(reason, reason_capacity, "ACME_DISABLE is set: unset it to use the acme backend");
        return HG_OK;
    }
    *score_out = 1;
    return HG_OK;
}

static hg_status acme_device_count(int32_t *count_out) {
    *count_out = 1;
    return HG_OK;
}
// --8<-- [end:probe]

// --8<-- [start:context]
/* One context per hologram.Executor: whatever per-executor state the device needs
   (a queue, a stream, a handle). The host passes it back to every call. */
typedef struct acme_context {
    int32_t device;
} acme_context;

static hg_status acme_context_create(int32_t device, void **ctx_out) {
    if (device != 0)
        return host->set_error(HG_ERR_INVALID_ARGUMENT, "backend 'acme' has one device, not device %d", (int)device);
    acme_context *c = calloc(1, sizeof *c);
    if (!c) return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend 'acme': out of memory creating a context");
    c->device = device;
    *ctx_out = c;
    return HG_OK;
}

/* The host destroys a context only after it released every allocation made on it. */
static void acme_context_destroy(void *ctx) { free(ctx); }
// --8<-- [end:context]

// --8<-- [start:memory]
/* Memory handles are opaque to the host: here a host pointer, on a GPU a device address or
   a descriptor. A zero-byte allocation still needs a unique non-NULL handle. */
static hg_status acme_alloc(void *ctx, uint64_t nbytes, void **mem_out) {
    (void)ctx;
    void *p = malloc(nbytes ? (size_t)nbytes : 1u);
    if (!p)
        return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend 'acme': out of memory allocating %llu bytes",
                               (unsigned long long)nbytes);
    *mem_out = p;
    return HG_OK;
}

static void acme_free(void *ctx, void *mem) {
    (void)ctx;
    free(mem);
}

/* One bulk copy each way, ordered after the ops queued on ctx. copy_to_host returns once the
   bytes are on the host. Offsets are in bytes; nbytes == 0 may come with NULL pointers. */
static hg_status acme_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src,
                                     uint64_t nbytes) {
    (void)ctx;
    if (nbytes) memcpy((char *)dst_mem + dst_offset, src, (size_t)nbytes);
    return HG_OK;
}

static hg_status acme_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset,
                                   uint64_t nbytes) {
    (void)ctx;
    if (nbytes) memcpy(dst, (const char *)src_mem + src_offset, (size_t)nbytes);
    return HG_OK;
}

/* Kernels here run synchronously, so nothing is ever queued. An asynchronous device waits
   for its queue here. */
static hg_status acme_synchronize(void *ctx) {
    (void)ctx;
    return HG_OK;
}
// --8<-- [end:memory]

// --8<-- [start:kernels]
/* The element pointer of operand i: a memory handle plus a byte offset. */
#define OPERAND(type, args, i) ((type *)((char *)(args)->operand[i] + (args)->offset[i]))

/* Elementwise kernels, one per (op, dtype). The host validated every size, dtype and alias
   before the call; out may be exactly a or b (in place), so read element i before writing it.
   An operand of zero elements may be a NULL handle: return before touching it. */
#define ACME_BINARY(name, type, expr)                                          \
    static hg_status name(void *ctx, const hg_op_args *args) {                 \
        (void)ctx;                                                             \
        const int64_t n = args->dims[0];                                       \
        if (n <= 0) return HG_OK;                                              \
        const type *a = OPERAND(const type, args, 0);                          \
        const type *b = OPERAND(const type, args, 1);                          \
        type *out = OPERAND(type, args, 2);                                    \
        for (int64_t i = 0; i < n; i++) out[i] = (expr);                       \
        return HG_OK;                                                          \
    }
ACME_BINARY(acme_add_f32, float, a[i] + b[i])
ACME_BINARY(acme_add_f64, double, a[i] + b[i])
ACME_BINARY(acme_mul_f32, float, a[i] * b[i])
ACME_BINARY(acme_mul_f64, double, a[i] * b[i])

static hg_status acme_relu_f32(void *ctx, const hg_op_args *args) {
    (void)ctx;
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    const float *in = OPERAND(const float, args, 0);
    float *out = OPERAND(float, args, 1);
    for (int64_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    return HG_OK;
}

static hg_status acme_fill_f32(void *ctx, const hg_op_args *args) {
    (void)ctx;
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    float *out = OPERAND(float, args, 0);
    for (int64_t i = 0; i < n; i++) out[i] = (float)args->scalar[0];
    return HG_OK;
}

static hg_status acme_copy_f32(void *ctx, const hg_op_args *args) {
    (void)ctx;
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    memmove(OPERAND(float, args, 1), OPERAND(const float, args, 0), (size_t)n * sizeof(float));
    return HG_OK;
}

/* A reduction: rows x cols in, one value per row out (never overlapping the input). */
static hg_status acme_sum_f32(void *ctx, const hg_op_args *args) {
    (void)ctx;
    const int64_t rows = args->dims[0], cols = args->dims[1];
    if (rows <= 0) return HG_OK;
    const float *in = OPERAND(const float, args, 0);
    float *out = OPERAND(float, args, 1);
    for (int64_t r = 0; r < rows; r++) {
        double acc = 0.0; /* accumulate in double: float32 sums of long rows lose digits */
        for (int64_t c = 0; c < cols; c++) acc += in[r * cols + c];
        out[r] = (float)acc;
    }
    return HG_OK;
}

/* The host looks each (op, dtype) up once per executor and caches it; NULL means
   unsupported, which the host reports as UnsupportedOperationError naming this backend. */
static hg_kernel_fn acme_get_kernel(void *ctx, uint32_t op, uint32_t dtype) {
    (void)ctx;
    if (dtype == HG_DTYPE_FLOAT32) {
        switch (op) {
        case HG_OP_FILL: return acme_fill_f32;
        case HG_OP_COPY: return acme_copy_f32;
        case HG_OP_ADD: return acme_add_f32;
        case HG_OP_MUL: return acme_mul_f32;
        case HG_OP_RELU: return acme_relu_f32;
        case HG_OP_SUM: return acme_sum_f32;
        default: return NULL;
        }
    }
    if (dtype == HG_DTYPE_FLOAT64) {
        switch (op) {
        case HG_OP_ADD: return acme_add_f64;
        case HG_OP_MUL: return acme_mul_f64;
        default: return NULL;
        }
    }
    return NULL;
}
// --8<-- [end:kernels]

// --8<-- [start:host_memory]
/* Host-addressable backends only (HG_BACKEND_FLAG_HOST_ADDRESSABLE): where a handle's bytes
   are for the CPU (zero-copy NumPy views and DLPack), and adopting a caller's memory in place
   (Executor.wrap). A wrapped handle is released with unwrap, never free. */
static void *acme_host_ptr(void *ctx, void *mem) {
    (void)ctx;
    return mem;
}

static hg_status acme_wrap_host(void *ctx, void *data, uint64_t nbytes, void **mem_out) {
    (void)ctx;
    (void)nbytes;
    *mem_out = data;
    return HG_OK;
}

static void acme_unwrap(void *ctx, void *mem) {
    (void)ctx;
    (void)mem; /* the memory belongs to the caller */
}

static const char *acme_describe(void) { return "ACME reference device (host memory)"; }
// --8<-- [end:host_memory]

// --8<-- [start:vtable]
static const hg_backend_vtable acme_vtable = {
    .abi_version = HG_BACKEND_ABI_VERSION,
    .struct_size = sizeof(hg_backend_vtable),
    .name = ACME_NAME,
    .version = ACME_VERSION,
    .flags = HG_BACKEND_FLAG_HOST_ADDRESSABLE,
    .dlpack_device_type = HG_DLPACK_CPU,
    .probe = acme_probe,
    .device_count = acme_device_count,
    .context_create = acme_context_create,
    .context_destroy = acme_context_destroy,
    .alloc = acme_alloc,
    .free = acme_free,
    .copy_from_host = acme_copy_from_host,
    .copy_to_host = acme_copy_to_host,
    .synchronize = acme_synchronize,
    .get_kernel = acme_get_kernel,
    .host_ptr = acme_host_ptr,
    .wrap_host = acme_wrap_host,
    .unwrap = acme_unwrap,
    .describe = acme_describe,
    /* explicit_only, device_ptr, stream_handle, export_fence, wrap_device: NULL (unused). */
};
// --8<-- [end:vtable]

// --8<-- [start:entry]
/* The one exported symbol. Visible even under -fvisibility=hidden: the host finds it with dlsym. */
__attribute__((visibility("default")))
const hg_backend_vtable *hg_backend_entry(uint32_t host_abi_version, const hg_host_api *host_api) {
    if (!host_api || !host_api->set_error) return NULL;
    if (host_abi_version != HG_BACKEND_ABI_VERSION) {
        host_api->set_error(HG_ERR_ABI_MISMATCH, "backend 'acme' was built for backend ABI v%u, the host speaks v%u",
                            (unsigned)HG_BACKEND_ABI_VERSION, (unsigned)host_abi_version);
        return NULL;
    }
    host = host_api;
    return &acme_vtable;
}
// --8<-- [end:entry]
