/*
 * toy_backend.c -- a small third-party backend, built by the test suite to
 * prove that a backend shipped outside hologram-core loads through the
 * plugin ABI of hologram/backend.h and nothing else.
 *
 * It depends only on the installed headers and libc: no symbol of the core
 * is linked, every service comes through the hg_host_api it is handed, as it
 * would for a plugin distributed as its own wheel.
 *
 * Memory is plain malloc, so the backend is host-addressable (the host may
 * read buffers in place) while its copies still go through the vtable; the
 * TOY_DEVICE_MEMORY variant hides that memory from the host instead, the way
 * a GPU backend's memory is hidden.
 * Only a few float32 kernels exist, so that the "unsupported op" path of the
 * host is exercised by every other (op, dtype).
 *
 * Compile-time knobs, so one source yields every variant the tests need:
 *   TOY_NAME         backend name, a string literal (default "toy"); each
 *                    installed copy needs its own, as names select backends
 *   TOY_VERSION      the backend's version string (default "0.1.0")
 *   TOY_ABI_VERSION  abi_version written into the vtable (default: the ABI of
 *                    the header); 99 models a plugin built for a future ABI,
 *                    which the host must refuse
 *   TOY_UNAVAILABLE  probe reports score 0 with a reason, like a GPU backend
 *                    on a machine without the GPU
 *   TOY_DEVICE_MEMORY  device memory, like a GPU backend's: no
 *                    HG_BACKEND_FLAG_HOST_ADDRESSABLE, no host_ptr/wrap_host,
 *                    DLPack device type Vulkan. Memory is still malloc inside,
 *                    but a handle is an opaque descriptor, never the data
 *                    pointer: a host that dereferenced a handle would read the
 *                    descriptor (wrong values), and one that handed a host
 *                    pointer to a kernel fails the descriptor's magic check.
 *   TOY_DEVICE_EXPORT  with TOY_DEVICE_MEMORY: exports and adopts device
 *                    addresses through DLPack like a CUDA backend (device_ptr,
 *                    wrap_device, a fake stream_handle, counted export fences).
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -fPIC -shared -I<include> toy_backend.c
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hologram/backend.h"

#ifndef TOY_NAME
#define TOY_NAME "toy"
#endif
#ifndef TOY_VERSION
#define TOY_VERSION "0.1.0"
#endif
#ifndef TOY_ABI_VERSION
#define TOY_ABI_VERSION HG_BACKEND_ABI_VERSION
#endif

/* Arbitrary tag: a context handle the host passes back is checked against it,
   so a host bug that mixes up contexts is reported instead of corrupting memory. */
#define TOY_CONTEXT_MAGIC 0x746f7963u /* "toyc" */

#ifdef TOY_DEVICE_MEMORY
#define TOY_FLAGS 0u
#define TOY_DLPACK_DEVICE HG_DLPACK_VULKAN
/* "toym": tags a live device allocation; cleared on free. */
#define TOY_MEMORY_MAGIC 0x746f796du

/* What a memory handle points to on the device variant. The data lives in a
   separate allocation, so nothing at the handle's address looks like it. */
typedef struct toy_memory {
    uint32_t magic;
    uint64_t nbytes;
    char *data;
} toy_memory;
#else
#define TOY_FLAGS HG_BACKEND_FLAG_HOST_ADDRESSABLE
#define TOY_DLPACK_DEVICE HG_DLPACK_CPU
#endif

/* The host services, set once by the entry; the host keeps them alive for
   the life of the process (backends are never unloaded). */
static const hg_host_api *host;

/* Process-wide counts, exported below so a test can dlopen this library
   (the same handle the host holds) and check that the host released every
   buffer and context it created. Atomic because the host may call in from
   several threads. */
static atomic_llong live_contexts;
static atomic_llong live_allocations;
/* Bulk copies through the vtable (calls with nbytes > 0), so a test can
   check that a host operation costs exactly the transfers it promises. */
static atomic_llong copies_to_host;
static atomic_llong copies_from_host;

typedef struct toy_context {
    uint32_t magic;
    int32_t device;
    /* This context's allocations, so context_destroy can tell whether the
       host freed every buffer before tearing the context down. */
    atomic_llong live_allocations;
} toy_context;

static toy_context *as_context(void *ctx) {
    toy_context *c = ctx;
    return (c && c->magic == TOY_CONTEXT_MAGIC) ? c : NULL;
}

static hg_status toy_probe(int32_t *score_out, char *reason, size_t reason_capacity) {
#ifdef TOY_UNAVAILABLE
    *score_out = 0;
    /* The host owns the buffer; never write past the capacity it gave. */
    if (reason && reason_capacity) snprintf(reason, reason_capacity, "%s", "toy device not present");
#else
    (void)reason;
    (void)reason_capacity;
    *score_out = 1;
#endif
    return HG_OK;
}

static hg_status toy_device_count(int32_t *count_out) {
#ifdef TOY_UNAVAILABLE
    *count_out = 0;
#else
    *count_out = 1;
#endif
    return HG_OK;
}

static hg_status toy_context_create(int32_t device, void **ctx_out) {
#ifdef TOY_UNAVAILABLE
    (void)device;
    (void)ctx_out;
    /* Reached only if the host ignored the probe: say so rather than pretend. */
    return host->set_error(HG_ERR_BACKEND_UNAVAILABLE, "backend '%s': toy device not present", TOY_NAME);
#else
    if (device != 0)
        return host->set_error(HG_ERR_INVALID_ARGUMENT, "backend '%s' has one device, not device %d",
                               TOY_NAME, (int)device);
    toy_context *c = calloc(1, sizeof *c);
    if (!c) return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend '%s': out of memory creating a context", TOY_NAME);
    c->magic = TOY_CONTEXT_MAGIC;
    c->device = device;
    atomic_init(&c->live_allocations, 0);
    atomic_fetch_add(&live_contexts, 1);
    *ctx_out = c;
    return HG_OK;
#endif
}

static void toy_context_destroy(void *ctx) {
    toy_context *c = as_context(ctx);
    if (!c) return;
    /* The host promises to release every buffer first; a leak here is a host
       bug worth seeing on stderr in a test run, not a reason to abort. */
    long long leaked = atomic_load(&c->live_allocations);
    if (leaked != 0)
        fprintf(stderr, "toy backend '%s': context destroyed with %lld live allocation(s)\n", TOY_NAME, leaked);
    c->magic = 0; /* a later use of this stale handle then fails as_context */
    free(c);
    atomic_fetch_sub(&live_contexts, 1);
}

static hg_status toy_alloc(void *ctx, uint64_t nbytes, void **mem_out) {
    toy_context *c = as_context(ctx);
    if (!c) return host->set_error(HG_ERR_INTERNAL, "backend '%s': alloc on an invalid context", TOY_NAME);
    if (nbytes > (uint64_t)SIZE_MAX)
        return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend '%s': %llu bytes exceed the address space",
                               TOY_NAME, (unsigned long long)nbytes);
    /* malloc(0) may return NULL, but an empty buffer still needs a unique,
       non-NULL handle. */
    void *p = malloc(nbytes ? (size_t)nbytes : 1u);
    if (!p)
        return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend '%s': out of memory allocating %llu bytes",
                               TOY_NAME, (unsigned long long)nbytes);
#ifdef TOY_DEVICE_MEMORY
    toy_memory *m = malloc(sizeof *m);
    if (!m) {
        free(p);
        return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend '%s': out of memory allocating a handle", TOY_NAME);
    }
    m->magic = TOY_MEMORY_MAGIC;
    m->nbytes = nbytes;
    m->data = p;
    p = m;
#endif
    atomic_fetch_add(&c->live_allocations, 1);
    atomic_fetch_add(&live_allocations, 1);
    *mem_out = p;
    return HG_OK;
}

static void toy_free(void *ctx, void *mem) {
    toy_context *c = as_context(ctx);
    if (!mem) return;
    if (c) atomic_fetch_sub(&c->live_allocations, 1);
    atomic_fetch_sub(&live_allocations, 1);
#ifdef TOY_DEVICE_MEMORY
    toy_memory *m = mem;
    m->magic = 0; /* a later use of this stale handle then fails device_bytes */
    free(m->data);
    free(m);
#else
    free(mem);
#endif
}

/* The bytes at `offset` of memory handle `mem`, or NULL (after set_error)
   when the handle is not this backend's live memory or the range does not
   fit: on the device variant a host bug passing a host pointer, a stale
   handle or a bad range is reported, never dereferenced. */
static char *device_bytes(void *mem, uint64_t offset, uint64_t nbytes, const char *what) {
#ifdef TOY_DEVICE_MEMORY
    toy_memory *m = mem;
    if (!m || m->magic != TOY_MEMORY_MAGIC) {
        host->set_error(HG_ERR_INTERNAL, "backend '%s': %s on a handle that is not live device memory",
                        TOY_NAME, what);
        return NULL;
    }
    if (offset > m->nbytes || nbytes > m->nbytes - offset) {
        host->set_error(HG_ERR_INTERNAL, "backend '%s': %s of %llu bytes at %llu outside an allocation of %llu",
                        TOY_NAME, what, (unsigned long long)nbytes, (unsigned long long)offset,
                        (unsigned long long)m->nbytes);
        return NULL;
    }
    return m->data + offset;
#else
    (void)nbytes;
    (void)what;
    return (char *)mem + offset;
#endif
}

static hg_status toy_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src,
                                    uint64_t nbytes) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': copy on an invalid context", TOY_NAME);
    /* Ranges were validated by the host; nbytes == 0 may come with a NULL src. */
    if (!nbytes) return HG_OK;
    char *dst = device_bytes(dst_mem, dst_offset, nbytes, "copy_from_host");
    if (!dst) return HG_ERR_INTERNAL;
    memcpy(dst, src, (size_t)nbytes);
    atomic_fetch_add(&copies_from_host, 1);
    return HG_OK;
}

static hg_status toy_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset,
                                  uint64_t nbytes) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': copy on an invalid context", TOY_NAME);
    if (!nbytes) return HG_OK;
    const char *src = device_bytes((void *)src_mem, src_offset, nbytes, "copy_to_host");
    if (!src) return HG_ERR_INTERNAL;
    memcpy(dst, src, (size_t)nbytes);
    atomic_fetch_add(&copies_to_host, 1);
    return HG_OK;
}

static hg_status toy_synchronize(void *ctx) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': synchronize on an invalid context", TOY_NAME);
    /* Kernels run synchronously, so nothing is ever queued. */
    return HG_OK;
}

/* Element pointer of the first n floats of operand i (offsets are bytes), or
   NULL after set_error. The host hands kernels backend handles: host
   pointers on the host-addressable build, descriptors on the device one.
   Kernels return early when n == 0, as such an operand may be a NULL handle. */
static float *operand_f32(const hg_op_args *args, unsigned i, int64_t n) {
    return (float *)device_bytes(args->operand[i], args->offset[i], (uint64_t)n * sizeof(float), "a kernel");
}

static hg_status toy_fill_f32(void *ctx, const hg_op_args *args) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': fill on an invalid context", TOY_NAME);
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    float *out = operand_f32(args, 0, n);
    if (!out) return HG_ERR_INTERNAL;
    const float value = (float)args->scalar[0];
    for (int64_t i = 0; i < n; i++) out[i] = value;
    return HG_OK;
}

static hg_status toy_copy_f32(void *ctx, const hg_op_args *args) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': copy on an invalid context", TOY_NAME);
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    const float *in = operand_f32(args, 0, n);
    float *out = operand_f32(args, 1, n);
    if (!in || !out) return HG_ERR_INTERNAL;
    /* memmove: the host allows an output that is exactly its input. */
    memmove(out, in, (size_t)n * sizeof(float));
    return HG_OK;
}

/* Element by element, reading both inputs before writing: the host allows
   out to be the same memory as a or b, so no restrict here. */
static hg_status toy_add_f32(void *ctx, const hg_op_args *args) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': add on an invalid context", TOY_NAME);
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    const float *a = operand_f32(args, 0, n), *b = operand_f32(args, 1, n);
    float *out = operand_f32(args, 2, n);
    if (!a || !b || !out) return HG_ERR_INTERNAL;
    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
    return HG_OK;
}

static hg_status toy_mul_f32(void *ctx, const hg_op_args *args) {
    if (!as_context(ctx))
        return host->set_error(HG_ERR_INTERNAL, "backend '%s': mul on an invalid context", TOY_NAME);
    const int64_t n = args->dims[0];
    if (n <= 0) return HG_OK;
    const float *a = operand_f32(args, 0, n), *b = operand_f32(args, 1, n);
    float *out = operand_f32(args, 2, n);
    if (!a || !b || !out) return HG_ERR_INTERNAL;
    for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
    return HG_OK;
}

static hg_kernel_fn toy_get_kernel(void *ctx, uint32_t op, uint32_t dtype) {
    (void)ctx;
    if (dtype != HG_DTYPE_FLOAT32) return NULL;
    switch (op) {
    case HG_OP_FILL: return toy_fill_f32;
    case HG_OP_COPY: return toy_copy_f32;
    case HG_OP_ADD: return toy_add_f32;
    case HG_OP_MUL: return toy_mul_f32;
    default: return NULL; /* the host reports HG_ERR_UNSUPPORTED, naming this backend */
    }
}

#ifdef TOY_DEVICE_MEMORY
/* Device memory: no host pointer to give, and no way to adopt host memory. */
#define TOY_HOST_PTR NULL
#endif

#if defined(TOY_DEVICE_MEMORY) && defined(TOY_DEVICE_EXPORT)
/* The CUDA-like variant: its "device addresses" (the data pointers) are exported
   and adopted through DLPack on its own device type, with a fake stream whose
   fences are counted. */
#define TOY_STREAM 0x5eedu /* the handle of the toy's one "stream" */
static atomic_llong fences;
static atomic_ullong last_fence_consumer;

static void *toy_device_ptr(void *ctx, void *mem) {
    (void)ctx;
    char *data = device_bytes(mem, 0, 0, "device_ptr");
    return data;
}

static uint64_t toy_stream_handle(void *ctx) {
    (void)ctx;
    return TOY_STREAM;
}

static hg_status toy_export_fence(void *ctx, uint64_t consumer) {
    if (!as_context(ctx)) return host->set_error(HG_ERR_INTERNAL, "backend '%s': fence on an invalid context", TOY_NAME);
    atomic_fetch_add(&fences, 1);
    atomic_store(&last_fence_consumer, consumer);
    return HG_OK;
}

static hg_status toy_wrap_device(void *ctx, void *ptr, uint64_t nbytes, void **mem_out) {
    (void)ctx;
    toy_memory *m = malloc(sizeof *m);
    if (!m) return host->set_error(HG_ERR_OUT_OF_MEMORY, "backend '%s': out of memory allocating a handle", TOY_NAME);
    m->magic = TOY_MEMORY_MAGIC;
    m->nbytes = nbytes;
    m->data = ptr;
    *mem_out = m;
    return HG_OK;
}

static void toy_unwrap(void *ctx, void *mem) {
    (void)ctx;
    toy_memory *m = mem;
    m->magic = 0;
    free(m); /* the data belongs to whoever exported it */
}
#define TOY_DEVICE_MEMBERS .device_ptr = toy_device_ptr, .stream_handle = toy_stream_handle, \
    .export_fence = toy_export_fence, .wrap_device = toy_wrap_device,
#define TOY_UNWRAP toy_unwrap
#else
#define TOY_DEVICE_MEMBERS
#define TOY_UNWRAP NULL
#endif

#ifndef TOY_DEVICE_MEMORY
static void *toy_host_ptr(void *ctx, void *mem) {
    (void)ctx;
    return mem;
}
#define TOY_HOST_PTR toy_host_ptr
#endif

/* wrap_host/unwrap stay NULL on purpose: they are optional, and leaving them
   out checks that the host copies data in instead of assuming zero-copy. */
static const hg_backend_vtable toy_vtable = {
    .abi_version = TOY_ABI_VERSION,
    .struct_size = sizeof(hg_backend_vtable),
    .name = TOY_NAME,
    .version = TOY_VERSION,
    .flags = TOY_FLAGS,
    .dlpack_device_type = TOY_DLPACK_DEVICE,
    .probe = toy_probe,
    .device_count = toy_device_count,
    .context_create = toy_context_create,
    .context_destroy = toy_context_destroy,
    .alloc = toy_alloc,
    .free = toy_free,
    .copy_from_host = toy_copy_from_host,
    .copy_to_host = toy_copy_to_host,
    .synchronize = toy_synchronize,
    .get_kernel = toy_get_kernel,
    .host_ptr = TOY_HOST_PTR,
    .wrap_host = NULL,
    .unwrap = TOY_UNWRAP,
    TOY_DEVICE_MEMBERS
};

/* Exported with default visibility even under -fvisibility=hidden, since the
   host finds it with dlsym. */
#if defined(__GNUC__)
#define TOY_EXPORT __attribute__((visibility("default")))
#else
#define TOY_EXPORT
#endif

TOY_EXPORT const hg_backend_vtable *hg_backend_entry(uint32_t host_abi_version, const hg_host_api *host_api);
/* Not part of the ABI: leak and transfer counters for the tests (see live_contexts). */
TOY_EXPORT long long toy_live_contexts(void);
TOY_EXPORT long long toy_live_allocations(void);
TOY_EXPORT long long toy_copies_to_host(void);
TOY_EXPORT long long toy_copies_from_host(void);

long long toy_live_contexts(void) { return atomic_load(&live_contexts); }
long long toy_live_allocations(void) { return atomic_load(&live_allocations); }
long long toy_copies_to_host(void) { return atomic_load(&copies_to_host); }
long long toy_copies_from_host(void) { return atomic_load(&copies_from_host); }
#if defined(TOY_DEVICE_MEMORY) && defined(TOY_DEVICE_EXPORT)
/* DLPack exports fenced so far, and the consumer stream of the last one. */
TOY_EXPORT long long toy_fences(void);
TOY_EXPORT unsigned long long toy_last_fence_consumer(void);
long long toy_fences(void) { return atomic_load(&fences); }
unsigned long long toy_last_fence_consumer(void) { return atomic_load(&last_fence_consumer); }
#endif

const hg_backend_vtable *hg_backend_entry(uint32_t host_abi_version, const hg_host_api *host_api) {
    /* Without host services there is no way to report anything: refuse quietly. */
    if (!host_api || !host_api->set_error) return NULL;
    /* The check is against the header this file was compiled with, not
       TOY_ABI_VERSION: the ABI-99 variant models a plugin that claims another
       ABI in its vtable, and the host -- not the plugin -- must catch that. */
    if (host_abi_version != HG_BACKEND_ABI_VERSION) {
        host_api->set_error(HG_ERR_ABI_MISMATCH,
                            "backend '%s' was built for backend ABI v%u, the host speaks v%u",
                            TOY_NAME, (unsigned)HG_BACKEND_ABI_VERSION, (unsigned)host_abi_version);
        return NULL;
    }
    host = host_api;
    return &toy_vtable;
}
