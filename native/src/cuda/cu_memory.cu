/*
 * cu_memory.cu -- device memory, the two bulk copies, synchronize, and the
 * zero-copy hooks (device pointers, the stream, fences, wrapped memory).
 *
 * A memory handle is the device pointer itself. Allocation is stream-ordered
 * (cudaMallocAsync / cudaFreeAsync on the context's stream) where the device
 * supports memory pools, else cudaMalloc / cudaFree.
 *
 * Copies go through the context's pinned staging buffer, two slots of
 * CU_STAGING_SLOT_BYTES used in turn, each guarded by an event recorded
 * after the DMA that last used it:
 *   host -> device: wait for the slot's last DMA, memcpy the chunk into it,
 *     queue cudaMemcpyAsync on the stream; the call returns once the bytes
 *     are in pinned memory (the caller's array may go away), the DMA runs
 *     in stream order after the ops queued before;
 *   device -> host: queue the DMA of chunk i + 1 before copying chunk i out
 *     of its slot, so transfers and host copies overlap; returns when every
 *     byte is in the caller's memory.
 */
#include <string.h>

#include "cu_internal.h"

hg_status cu_alloc(void *ctx, uint64_t nbytes, void **mem_out) {
    cu_context *c = (cu_context *)ctx;
    cu_device_guard guard(c->device);
    void *p = NULL;
    const size_t size = nbytes ? (size_t)nbytes : 1; /* a valid, distinct handle for empty buffers */
    const cudaError_t err = c->pools ? cudaMallocAsync(&p, size, c->stream) : cudaMalloc(&p, size);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
        const hg_status st = err == cudaErrorMemoryAllocation ? HG_ERR_OUT_OF_MEMORY : HG_ERR_BACKEND;
        return cu_host->set_error(st,
                                  "cuda backend: cannot allocate %llu bytes on device %d (%.1f of %.1f GiB free): "
                                  "%s: %s",
                                  (unsigned long long)nbytes, c->device, (double)free_b / 1073741824.0,
                                  (double)total_b / 1073741824.0, cudaGetErrorName(err), cudaGetErrorString(err));
    }
    *mem_out = p;
    return HG_OK;
}

void cu_free(void *ctx, void *mem) {
    cu_context *c = (cu_context *)ctx;
    if (!mem) return;
    cu_device_guard guard(c->device);
    /* Stream-ordered: ops already queued on the memory still run first. */
    if (c->pools)
        cudaFreeAsync(mem, c->stream);
    else
        cudaFree(mem);
    (void)cudaGetLastError();
}

static unsigned char *slot_ptr(cu_context *c, int slot) { return c->staging + (size_t)slot * CU_STAGING_SLOT_BYTES; }

hg_status cu_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src, uint64_t nbytes) {
    cu_context *c = (cu_context *)ctx;
    if (nbytes == 0) return HG_OK;
    cu_device_guard guard(c->device);
    unsigned char *dst = (unsigned char *)dst_mem + dst_offset;
    const unsigned char *from = (const unsigned char *)src;
    hg_status st = HG_OK;
    pthread_mutex_lock(&c->copy_lock);
    int slot = 0;
    for (uint64_t off = 0; off < nbytes && !st; off += CU_STAGING_SLOT_BYTES, slot = (slot + 1) % CU_STAGING_SLOTS) {
        const size_t len = (size_t)(nbytes - off < CU_STAGING_SLOT_BYTES ? nbytes - off : CU_STAGING_SLOT_BYTES);
        st = cu_check(cudaEventSynchronize(c->slot_done[slot]), "copy to the device (waiting for the staging buffer)");
        if (st) break;
        memcpy(slot_ptr(c, slot), from + off, len);
        st = cu_check(cudaMemcpyAsync(dst + off, slot_ptr(c, slot), len, cudaMemcpyHostToDevice, c->stream),
                      "copy to the device (cudaMemcpyAsync)");
        if (!st) st = cu_check(cudaEventRecord(c->slot_done[slot], c->stream), "copy to the device (cudaEventRecord)");
    }
    pthread_mutex_unlock(&c->copy_lock);
    return st;
}

hg_status cu_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset, uint64_t nbytes) {
    cu_context *c = (cu_context *)ctx;
    if (nbytes == 0) return HG_OK;
    cu_device_guard guard(c->device);
    const unsigned char *src = (const unsigned char *)src_mem + src_offset;
    unsigned char *to = (unsigned char *)dst;
    const uint64_t chunk = CU_STAGING_SLOT_BYTES;
    const uint64_t chunks = (nbytes + chunk - 1) / chunk;
    hg_status st = HG_OK;
    pthread_mutex_lock(&c->copy_lock);
    /* Queues the DMA of chunk i into slot i % SLOTS. The stream orders it
       after the slot's previous DMA; the host has finished reading the slot
       (chunk i - SLOTS) before this is called. */
    auto issue = [&](uint64_t i) -> hg_status {
        const int slot = (int)(i % CU_STAGING_SLOTS);
        const uint64_t off = i * chunk;
        const size_t len = (size_t)(nbytes - off < chunk ? nbytes - off : chunk);
        hg_status s = cu_check(cudaMemcpyAsync(slot_ptr(c, slot), src + off, len, cudaMemcpyDeviceToHost, c->stream),
                               "copy to the host (cudaMemcpyAsync)");
        if (!s) s = cu_check(cudaEventRecord(c->slot_done[slot], c->stream), "copy to the host (cudaEventRecord)");
        return s;
    };
    st = issue(0);
    for (uint64_t i = 0; i < chunks && !st; ++i) {
        if (i + 1 < chunks) st = issue(i + 1);
        if (st) break;
        const int slot = (int)(i % CU_STAGING_SLOTS);
        /* An asynchronous failure of an earlier op surfaces here. */
        st = cu_check(cudaEventSynchronize(c->slot_done[slot]), "copy to the host (an earlier op or the copy)");
        if (st) break;
        const uint64_t off = i * chunk;
        memcpy(to + off, slot_ptr(c, slot), (size_t)(nbytes - off < chunk ? nbytes - off : chunk));
    }
    pthread_mutex_unlock(&c->copy_lock);
    return st;
}

hg_status cu_synchronize(void *ctx) {
    cu_context *c = (cu_context *)ctx;
    cu_device_guard guard(c->device);
    return cu_check(cudaStreamSynchronize(c->stream), "synchronize (an op queued earlier)");
}

void *cu_device_ptr(void *ctx, void *mem) {
    (void)ctx;
    return mem;
}

uint64_t cu_stream_handle(void *ctx) { return (uint64_t)(uintptr_t)((cu_context *)ctx)->stream; }

/* DLPack's consumer stream: 1 = the legacy default stream, 2 = the
   per-thread default stream, else a cudaStream_t (0, ambiguous in DLPack,
   is taken as the legacy default stream, which it is to the runtime). */
hg_status cu_export_fence(void *ctx, uint64_t consumer) {
    cu_context *c = (cu_context *)ctx;
    cudaStream_t target = consumer == 0 || consumer == 1 ? cudaStreamLegacy
                          : consumer == 2                ? cudaStreamPerThread
                                                         : (cudaStream_t)(uintptr_t)consumer;
    if (target == c->stream) return HG_OK;
    cu_device_guard guard(c->device);
    hg_status st = cu_check(cudaEventRecord(c->fence, c->stream), "export fence (cudaEventRecord)");
    if (!st) st = cu_check(cudaStreamWaitEvent(target, c->fence, 0), "export fence (cudaStreamWaitEvent)");
    return st;
}

hg_status cu_wrap_device(void *ctx, void *ptr, uint64_t nbytes, void **mem_out) {
    (void)ctx;
    (void)nbytes;
    *mem_out = ptr;
    return HG_OK;
}

void cu_unwrap(void *ctx, void *mem) {
    (void)ctx;
    (void)mem;
}
