/*
 * cpu_backend.c -- the built-in CPU backend, served through the same plugin
 * ABI as any third-party backend (its entry is hg_cpu_backend_entry).
 *
 * Memory handles are host pointers, so copies are memcpy and wrapping caller
 * memory is free. Kernels run synchronously on the calling thread.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_backend.h"
#include "cpu_isa.h"
#include "cpu_kernels.h"
#include "cpu_parallel.h"

/* Cache-line alignment: vector loads never straddle lines and two buffers
   never share one. */
#define CPU_ALIGNMENT 64u

static const hg_host_api *host;

static hg_status cpu_probe(int32_t *score_out, char *reason, size_t reason_capacity) {
    (void)reason;
    (void)reason_capacity;
    *score_out = 1;
    return HG_OK;
}

static hg_status cpu_device_count(int32_t *count_out) {
    *count_out = 1;
    return HG_OK;
}

static hg_status cpu_context_create(int32_t device, void **ctx_out) {
    (void)device;
    const int isa = hg_cpu_isa_select(); /* reads HOLOGRAM_ISA, so tests can switch per executor */
    if (isa < 0) return HG_ERR_BACKEND_UNAVAILABLE; /* the detail is already set */
    hg_cpu_context *ctx = malloc(sizeof *ctx);
    if (!ctx) return host->set_error(HG_ERR_OUT_OF_MEMORY, "out of memory creating a CPU context");
    ctx->isa = isa;
    *ctx_out = ctx;
    return HG_OK;
}

static void cpu_context_destroy(void *ctx) { free(ctx); }

static hg_status cpu_alloc(void *ctx, uint64_t nbytes, void **mem_out) {
    (void)ctx;
    uint64_t rounded = (nbytes + CPU_ALIGNMENT - 1) / CPU_ALIGNMENT * CPU_ALIGNMENT;
    if (rounded == 0) rounded = CPU_ALIGNMENT; /* a valid, unique pointer for empty buffers */
    if (rounded < nbytes || rounded > (uint64_t)SIZE_MAX)
        return host->set_error(HG_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes", (unsigned long long)nbytes);
    void *p = NULL;
    if (posix_memalign(&p, CPU_ALIGNMENT, (size_t)rounded) != 0 || !p)
        return host->set_error(HG_ERR_OUT_OF_MEMORY, "out of memory allocating %llu bytes",
                               (unsigned long long)nbytes);
    *mem_out = p;
    return HG_OK;
}

static void cpu_free(void *ctx, void *mem) {
    (void)ctx;
    free(mem);
}

static hg_status cpu_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src,
                                    uint64_t nbytes) {
    (void)ctx;
    memcpy((char *)dst_mem + dst_offset, src, (size_t)nbytes);
    return HG_OK;
}

static hg_status cpu_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset,
                                  uint64_t nbytes) {
    (void)ctx;
    memcpy(dst, (const char *)src_mem + src_offset, (size_t)nbytes);
    return HG_OK;
}

static hg_status cpu_synchronize(void *ctx) {
    (void)ctx;
    return HG_OK;
}

static hg_kernel_fn cpu_get_kernel(void *ctx, uint32_t op, uint32_t dtype) {
    return hg_cpu_dispatch_kernel(ctx, op, dtype);
}

static void *cpu_host_ptr(void *ctx, void *mem) {
    (void)ctx;
    return mem;
}

/* An empty wrap still needs a distinct non-NULL handle. */
static char empty_wrap;

static hg_status cpu_wrap_host(void *ctx, void *data, uint64_t nbytes, void **mem_out) {
    (void)ctx;
    *mem_out = (nbytes == 0 || !data) ? (void *)&empty_wrap : data;
    return HG_OK;
}

static void cpu_unwrap(void *ctx, void *mem) {
    (void)ctx;
    (void)mem;
}

static const hg_backend_vtable cpu_vtable = {
    .abi_version = HG_BACKEND_ABI_VERSION,
    .struct_size = sizeof(hg_backend_vtable),
    .name = "cpu",
    .version = "0.1.0",
    .flags = HG_BACKEND_FLAG_HOST_ADDRESSABLE,
    .dlpack_device_type = HG_DLPACK_CPU,
    .probe = cpu_probe,
    .device_count = cpu_device_count,
    .context_create = cpu_context_create,
    .context_destroy = cpu_context_destroy,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .copy_from_host = cpu_copy_from_host,
    .copy_to_host = cpu_copy_to_host,
    .synchronize = cpu_synchronize,
    .get_kernel = cpu_get_kernel,
    .host_ptr = cpu_host_ptr,
    .wrap_host = cpu_wrap_host,
    .unwrap = cpu_unwrap,
};

const hg_backend_vtable *hg_cpu_backend_entry(uint32_t host_abi_version, const hg_host_api *host_api) {
    if (host_abi_version != HG_BACKEND_ABI_VERSION || !host_api) return NULL;
    host = host_api;
    return &cpu_vtable;
}
