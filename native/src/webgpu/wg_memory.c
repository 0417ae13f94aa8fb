/*
 * wg_memory.c -- device buffers and the two bulk copies.
 *
 * Host -> device goes through wgpuQueueWriteBuffer (wgpu-native copies the
 * bytes into its own staging memory before returning, so the caller's array
 * may go away at once). Device -> host copies into one MapRead staging
 * buffer and maps it: one transfer each way, ordered after every op queued
 * before it because everything shares the device's queue.
 */
#include <stdlib.h>
#include <string.h>

#include "wg_internal.h"

static WGPUStringView no_label(void) {
    WGPUStringView v = {NULL, 0};
    return v;
}

static uint64_t round_up4(uint64_t n) { return (n + 3u) & ~(uint64_t)3u; }

hg_status wg_alloc(void *ctx, uint64_t nbytes, void **mem_out) {
    wg_device *d = ((wg_context *)ctx)->dev;
    uint64_t size = nbytes ? round_up4(nbytes) : 4u;
    uint64_t cap = d->limits.maxStorageBufferBindingSize < d->limits.maxBufferSize
                       ? d->limits.maxStorageBufferBindingSize : d->limits.maxBufferSize;
    if (size > cap)
        return wg_host->set_error(HG_ERR_OUT_OF_MEMORY,
            "%s backend: %llu bytes exceed the largest buffer %s can bind (%llu bytes); split the "
            "data or use the cpu backend", WG_BACKEND_NAME, (unsigned long long)nbytes, d->description,
            (unsigned long long)cap);
    wg_memory *m = calloc(1, sizeof *m);
    if (!m) return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "out of host memory for a buffer handle");
    WGPUBufferDescriptor desc = WGPU_BUFFER_DESCRIPTOR_INIT;
    desc.label = no_label();
    desc.usage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;
    desc.size = size;
    m->buffer = d->api->device_create_buffer(d->device, &desc);
    m->size = size;
    /* wgpu-native reports a failed creation through the uncaptured-error
       callback before returning; an out-of-memory there is a MemoryError. */
    hg_status st = m->buffer ? wg_device_take_error(d, "a buffer allocation") : HG_ERR_OUT_OF_MEMORY;
    if (st) {
        if (m->buffer) d->api->buffer_release(m->buffer);
        free(m);
        return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "%s backend: cannot allocate %llu bytes on %s",
                                  WG_BACKEND_NAME, (unsigned long long)nbytes, d->description);
    }
    *mem_out = m;
    return HG_OK;
}

void wg_free(void *ctx, void *mem) {
    wg_device *d = ((wg_context *)ctx)->dev;
    wg_memory *m = mem;
    if (!m) return;
    /* Release, not destroy: work already queued on the buffer still runs,
       and wgpu-native frees the memory when that work is done. */
    d->api->buffer_release(m->buffer);
    free(m);
}

typedef struct map_result {
    volatile int done;
    WGPUMapAsyncStatus status;
} map_result;

static void on_mapped(WGPUMapAsyncStatus status, WGPUStringView message, void *userdata1, void *userdata2) {
    (void)message;
    (void)userdata2;
    map_result *r = userdata1;
    r->status = status;
    r->done = 1;
}

/* Reads the 4-byte aligned range [begin, end) of `m` into `dst`. */
static hg_status read_aligned(wg_device *d, void *dst, const wg_memory *m, uint64_t begin, uint64_t end) {
    const wg_api *api = d->api;
    uint64_t size = end - begin;
    WGPUBufferDescriptor desc = WGPU_BUFFER_DESCRIPTOR_INIT;
    desc.label = no_label();
    desc.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
    desc.size = size;
    WGPUBuffer staging = api->device_create_buffer(d->device, &desc);
    hg_status st = staging ? wg_device_take_error(d, "a staging allocation") : HG_ERR_OUT_OF_MEMORY;
    if (st) {
        if (staging) api->buffer_release(staging);
        return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "%s backend: no memory for a %llu-byte read-back",
                                  WG_BACKEND_NAME, (unsigned long long)size);
    }
    WGPUCommandEncoderDescriptor edesc = WGPU_COMMAND_ENCODER_DESCRIPTOR_INIT;
    WGPUCommandEncoder enc = api->device_create_command_encoder(d->device, &edesc);
    api->command_encoder_copy_buffer_to_buffer(enc, m->buffer, begin, staging, 0, size);
    WGPUCommandBufferDescriptor cdesc = WGPU_COMMAND_BUFFER_DESCRIPTOR_INIT;
    WGPUCommandBuffer cmd = api->command_encoder_finish(enc, &cdesc);
    api->queue_submit(d->queue, 1, &cmd);
    api->command_buffer_release(cmd);
    api->command_encoder_release(enc);

    map_result r = {0, WGPUMapAsyncStatus_Error};
    WGPUBufferMapCallbackInfo cb = WGPU_BUFFER_MAP_CALLBACK_INFO_INIT;
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = on_mapped;
    cb.userdata1 = &r;
    api->buffer_map_async(staging, WGPUMapMode_Read, 0, (size_t)size, cb);
    wg_device_wait(d, &r.done);
    st = wg_device_take_error(d, "a device-to-host copy");
    if (!st && r.status != WGPUMapAsyncStatus_Success)
        st = wg_host->set_error(HG_ERR_BACKEND, "%s backend: mapping the read-back buffer failed (status %d)",
                                WG_BACKEND_NAME, (int)r.status);
    if (!st) {
        const void *src = api->buffer_get_const_mapped_range(staging, 0, (size_t)size);
        if (src) memcpy(dst, src, (size_t)size);
        else st = wg_host->set_error(HG_ERR_BACKEND, "%s backend: the read-back buffer has no mapping",
                                     WG_BACKEND_NAME);
        api->buffer_unmap(staging);
    }
    api->buffer_release(staging);
    return st;
}

hg_status wg_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset, uint64_t nbytes) {
    wg_device *d = ((wg_context *)ctx)->dev;
    const wg_memory *m = src_mem;
    if (!nbytes) return HG_OK;
    uint64_t begin = src_offset & ~(uint64_t)3u, end = round_up4(src_offset + nbytes);
    if (begin == src_offset && end == src_offset + nbytes) return read_aligned(d, dst, m, begin, end);
    /* Copies are 4-byte granular in WebGPU: read the covering words. */
    unsigned char *tmp = malloc((size_t)(end - begin));
    if (!tmp) return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "out of host memory for a read-back");
    hg_status st = read_aligned(d, tmp, m, begin, end);
    if (!st) memcpy(dst, tmp + (src_offset - begin), (size_t)nbytes);
    free(tmp);
    return st;
}

hg_status wg_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src, uint64_t nbytes) {
    wg_device *d = ((wg_context *)ctx)->dev;
    wg_memory *m = dst_mem;
    if (!nbytes) return HG_OK;
    uint64_t begin = dst_offset & ~(uint64_t)3u, end = round_up4(dst_offset + nbytes);
    if (begin == dst_offset && end == dst_offset + nbytes) {
        d->api->queue_write_buffer(d->queue, m->buffer, dst_offset, src, (size_t)nbytes);
        return wg_device_take_error(d, "a host-to-device copy");
    }
    /* An unaligned write keeps the neighbouring bytes of its edge words. */
    unsigned char *tmp = malloc((size_t)(end - begin));
    if (!tmp) return wg_host->set_error(HG_ERR_OUT_OF_MEMORY, "out of host memory for a copy");
    hg_status st = read_aligned(d, tmp, m, begin, end);
    if (!st) {
        memcpy(tmp + (dst_offset - begin), src, (size_t)nbytes);
        d->api->queue_write_buffer(d->queue, m->buffer, begin, tmp, (size_t)(end - begin));
        st = wg_device_take_error(d, "a host-to-device copy");
    }
    free(tmp);
    return st;
}

typedef struct done_flag {
    volatile int done;
} done_flag;

static void on_work_done(WGPUQueueWorkDoneStatus status, WGPUStringView message, void *userdata1,
                         void *userdata2) {
    (void)status;
    (void)message;
    (void)userdata2;
    ((done_flag *)userdata1)->done = 1;
}

hg_status wg_synchronize(void *ctx) {
    wg_device *d = ((wg_context *)ctx)->dev;
    done_flag f = {0};
    WGPUQueueWorkDoneCallbackInfo cb = WGPU_QUEUE_WORK_DONE_CALLBACK_INFO_INIT;
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = on_work_done;
    cb.userdata1 = &f;
    d->api->queue_on_submitted_work_done(d->queue, cb);
    wg_device_wait(d, &f.done);
    return wg_device_take_error(d, "synchronize");
}
