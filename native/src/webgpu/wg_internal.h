/*
 * wg_internal.h -- what the parts of the WebGPU backend share.
 *
 * One WebGPU device per process serves every executor (like CUDA's primary
 * context): creating a device costs tens of milliseconds and its pipelines
 * are worth compiling once. All executors therefore queue on the device's
 * single queue, which keeps every op, copy and synchronize in one order.
 */
#ifndef HOLOGRAM_WG_INTERNAL_H
#define HOLOGRAM_WG_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "hologram/backend.h"
#include "wg_api.h"

extern const hg_host_api *wg_host; /* set once by the entry */

/* Name, DLPack type and scores: Metal on macOS (first in auto-selection),
   plain WebGPU elsewhere (below CUDA, above the CPU). */
#ifdef __APPLE__
#define WG_BACKEND_NAME "metal"
#define WG_DLPACK_DEVICE HG_DLPACK_METAL
#else
#define WG_BACKEND_NAME "webgpu"
#define WG_DLPACK_DEVICE HG_DLPACK_VULKAN
#endif

enum { WG_NUM_PIPELINES = HG_OP_COUNT };

typedef struct wg_device {
    const wg_api *api;
    WGPUInstance instance;
    WGPUAdapter adapter;
    WGPUDevice device;
    WGPUQueue queue;
    WGPULimits limits;
    int software;            /* a CPU adapter: lavapipe, llvmpipe, SwiftShader, WARP */
    char description[320];   /* "lavapipe (LLVM 15.0.6, 256 bits) on Vulkan" */
    WGPUBuffer dummy;        /* bound where an operand has zero elements */

    pthread_mutex_t lock;    /* guards the shader and pipeline caches */
    pthread_mutex_t error_lock;
    WGPUShaderModule modules[8];
    WGPUComputePipeline pipelines[WG_NUM_PIPELINES];
    WGPUBindGroupLayout layouts[WG_NUM_PIPELINES];
    char error[512];         /* first uncaptured error since the last check (error_lock) */
} wg_device;

/* The process's adapter (enough to probe) and device (for executors), each
   opened on first use; NULL with the reason written. */
wg_device *wg_adapter_get(char *reason, size_t reason_capacity);
wg_device *wg_device_get(char *reason, size_t reason_capacity);

/* Runs the event loop until *flag becomes nonzero (callbacks set it). */
void wg_device_wait(wg_device *dev, volatile int *flag);

/* Reports (and clears) an error the device raised asynchronously. */
hg_status wg_device_take_error(wg_device *dev, const char *during);

typedef struct wg_context {
    wg_device *dev;
    int32_t device_index;
} wg_context;

/* A buffer handle: what alloc returns to the host. */
typedef struct wg_memory {
    WGPUBuffer buffer;
    uint64_t size; /* bytes, a multiple of 4 */
} wg_memory;

/* Memory (wg_memory.c). */
hg_status wg_alloc(void *ctx, uint64_t nbytes, void **mem_out);
void wg_free(void *ctx, void *mem);
hg_status wg_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src, uint64_t nbytes);
hg_status wg_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset, uint64_t nbytes);
hg_status wg_synchronize(void *ctx);

/* Kernels (wg_kernels.c). */
hg_kernel_fn wg_get_kernel(void *ctx, uint32_t op, uint32_t dtype);

/* WGSL sources (generated from shaders/ at build time). */
typedef struct wg_shader_source {
    const char *name;   /* "elementwise", ... */
    const char *source; /* WGSL text */
} wg_shader_source;
extern const wg_shader_source wg_shader_sources[];
extern const unsigned wg_shader_source_count;

#endif /* HOLOGRAM_WG_INTERNAL_H */
