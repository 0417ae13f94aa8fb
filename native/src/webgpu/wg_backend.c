/*
 * wg_backend.c -- the plugin's vtable and entry: the WebGPU backend, named
 * 'metal' on macOS (where wgpu-native drives Metal) and 'webgpu' elsewhere
 * (Vulkan, Direct3D 12).
 *
 * Memory lives on the GPU, so the vtable does not claim host
 * addressability: the host copies in and out (one bulk copy each way) and
 * refuses views, buffer-protocol exports and zero-copy wraps with a clear
 * error. Only float32 has kernels: WGSL has no float64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_internal.h"

#ifndef WG_BACKEND_VERSION
#define WG_BACKEND_VERSION "0.1.0"
#endif

const hg_host_api *wg_host;

/* Scores: a hardware adapter outranks any other WebGPU choice; a software
   one is usable only when asked for by name (see explicit_only). */
enum { WG_SCORE_HARDWARE = 100, WG_SCORE_SOFTWARE = 1 };

static hg_status wg_probe(int32_t *score_out, char *reason, size_t capacity) {
    wg_device *d = wg_adapter_get(reason, capacity);
    if (!d) {
        *score_out = 0;
        return HG_OK;
    }
    *score_out = d->software ? WG_SCORE_SOFTWARE : WG_SCORE_HARDWARE;
    return HG_OK;
}

static int32_t wg_explicit_only(char *reason, size_t capacity) {
    wg_device *d = wg_adapter_get(NULL, 0);
    if (!d || !d->software) return 0;
    if (reason && capacity)
        snprintf(reason, capacity,
                 "the only adapter is a software rasterizer (%s), slower than the cpu backend: never "
                 "chosen automatically; ask for it with Executor(backend='%s') or HOLOGRAM_BACKEND=%s",
                 d->description, WG_BACKEND_NAME, WG_BACKEND_NAME);
    return 1;
}

static hg_status wg_device_count(int32_t *count_out) {
    *count_out = wg_adapter_get(NULL, 0) ? 1 : 0;
    return HG_OK;
}

static hg_status wg_context_create(int32_t device, void **ctx_out) {
    if (device != 0)
        return wg_host->set_error(HG_ERR_INVALID_ARGUMENT, "%s backend: device %d does not exist (it drives "
                                  "one adapter, device 0)", WG_BACKEND_NAME, (int)device);
    char reason[768];
    wg_device *d = wg_device_get(reason, sizeof reason);
    if (!d) return wg_host->set_error(HG_ERR_BACKEND_UNAVAILABLE, "%s backend: %s", WG_BACKEND_NAME, reason);
    wg_context *c = calloc(1, sizeof *c);
    if (!c) return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "out of memory creating a %s context", WG_BACKEND_NAME);
    c->dev = d;
    c->device_index = device;
    *ctx_out = c;
    return HG_OK;
}

static void wg_context_destroy(void *ctx) {
    /* The device is the process's and outlives every context; the host has
       synchronized and freed this context's buffers already. */
    free(ctx);
}

static const char *wg_describe(void) {
    wg_device *d = wg_adapter_get(NULL, 0);
    return d ? d->description : "";
}

static const hg_backend_vtable vtable = {
    .abi_version = HG_BACKEND_ABI_VERSION,
    .struct_size = sizeof(hg_backend_vtable),
    .name = WG_BACKEND_NAME,
    .version = WG_BACKEND_VERSION,
    .flags = 0, /* device memory: not host-addressable */
    .dlpack_device_type = WG_DLPACK_DEVICE,
    .probe = wg_probe,
    .device_count = wg_device_count,
    .context_create = wg_context_create,
    .context_destroy = wg_context_destroy,
    .alloc = wg_alloc,
    .free = wg_free,
    .copy_from_host = wg_copy_from_host,
    .copy_to_host = wg_copy_to_host,
    .synchronize = wg_synchronize,
    .get_kernel = wg_get_kernel,
    .host_ptr = NULL,
    .wrap_host = NULL,
    .unwrap = NULL,
    .explicit_only = wg_explicit_only,
    .describe = wg_describe,
};

__attribute__((visibility("default"))) const hg_backend_vtable *hg_backend_entry(uint32_t host_abi_version,
                                                                                 const hg_host_api *host) {
    if (!host || host_abi_version != HG_BACKEND_ABI_VERSION) {
        if (host)
            host->set_error(HG_ERR_ABI_MISMATCH, "the %s backend speaks backend ABI v%u, the host v%u: install "
                            "matching releases of hologram-core and hologram-metal", WG_BACKEND_NAME,
                            (unsigned)HG_BACKEND_ABI_VERSION, (unsigned)host_abi_version);
        return NULL;
    }
    wg_host = host;
    return &vtable;
}
