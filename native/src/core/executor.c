/*
 * executor.c -- an executor is one backend context on one device, plus the
 * buffers allocated from it.
 *
 * Lifetime: the handle is reference counted (the caller's reference plus one
 * per buffer), so a closed executor is still a valid pointer that answers
 * HG_ERR_CLOSED. Closing frees every buffer's memory except memory pinned by
 * an export (a NumPy view, a DLPack capsule); the backend context goes once
 * the last of that memory is gone.
 */
#include <stdlib.h>

#include "core.h"

hg_status hg_executor_create(hg_backend *backend, int32_t device, hg_executor **executor_out) {
    if (!backend || !executor_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_create: backend and executor_out are required");
    const hg_backend_vtable *vt = backend->vt;
    int32_t count = 0;
    hg_status st = vt->device_count(&count);
    if (st) return st;
    if (device < 0 || device >= count)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT,
            "device %d does not exist: backend '%s' has %d device(s)", device, vt->name, count);
    hg_executor *ex = calloc(1, sizeof *ex);
    if (!ex) return hg__set_error(HG_ERR_OUT_OF_MEMORY, "out of memory creating an executor");
    st = vt->context_create(device, &ex->ctx);
    if (st) {
        free(ex);
        return st;
    }
    atomic_init(&ex->refs, 1);
    atomic_init(&ex->closed, 0);
    atomic_init(&ex->inflight, 0);
    ex->backend = backend;
    ex->vt = vt;
    ex->device = device;
    ex->host_addressable = (vt->flags & HG_BACKEND_FLAG_HOST_ADDRESSABLE) != 0;
    ex->cache_limit = hg__pool_default_limit();
    pthread_mutex_init(&ex->lock, NULL);
    /* Kernels are resolved once, so an op call is one table load. */
    if (vt->get_kernel)
        for (uint32_t op = 0; op < HG_OP_COUNT; op++)
            for (uint32_t dt = 0; dt < HG_DTYPE_COUNT; dt++)
                ex->kernels[op][dt] = vt->get_kernel(ex->ctx, op, dt);
    *executor_out = ex;
    return HG_OK;
}

void hg__executor_maybe_destroy_locked(hg_executor *ex) {
    if (atomic_load(&ex->closed) && ex->live_buffers == 0 && ex->ctx) {
        hg__wait_idle(ex);
        hg__pool_drain_locked(ex);
        ex->vt->context_destroy(ex->ctx);
        ex->ctx = NULL;
    }
}

hg_status hg_executor_close(hg_executor *ex) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_close: executor is NULL");
    pthread_mutex_lock(&ex->lock);
    if (!atomic_exchange(&ex->closed, 1)) {
        /* Queued work must finish before its memory goes. */
        if (ex->ctx) ex->vt->synchronize(ex->ctx);
        hg_buffer *b = ex->live;
        while (b) {
            hg_buffer *next = b->next;
            atomic_store(&b->freed, 1);
            if (b->pins == 0) hg__buffer_drop_memory_locked(b);
            b = next;
        }
        hg__executor_maybe_destroy_locked(ex);
    }
    pthread_mutex_unlock(&ex->lock);
    return HG_OK;
}

int32_t hg_executor_is_closed(const hg_executor *ex) { return atomic_load(&ex->closed); }

hg_status hg_executor_synchronize(hg_executor *ex) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_synchronize: executor is NULL");
    hg__enter(ex);
    hg_status st = atomic_load(&ex->closed)
        ? hg__set_error(HG_ERR_CLOSED, "the executor is closed: create a new hg.Executor()")
        : ex->vt->synchronize(ex->ctx);
    hg__leave(ex);
    return st;
}

hg_backend *hg_executor_backend(const hg_executor *ex) { return ex->backend; }

int32_t hg_executor_device(const hg_executor *ex) { return ex->device; }

hg_status hg_executor_stream_handle(hg_executor *ex, uint64_t *handle_out) {
    if (!ex || !handle_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_stream_handle: arguments are required");
    *handle_out = 0;
    hg__enter(ex); /* the context stays alive while it is read (see core.h) */
    hg_status st = HG_OK;
    if (atomic_load(&ex->closed)) st = hg__set_error(HG_ERR_CLOSED, "the executor is closed");
    else if (HG_BACKEND_HAS(ex->vt, stream_handle)) *handle_out = ex->vt->stream_handle(ex->ctx);
    hg__leave(ex);
    return st;
}

hg_status hg_executor_export_fence(hg_executor *ex, uint64_t consumer) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_export_fence: executor is required");
    hg__enter(ex);
    hg_status st = HG_OK;
    if (atomic_load(&ex->closed)) st = hg__set_error(HG_ERR_CLOSED, "the executor is closed");
    else if (HG_BACKEND_HAS(ex->vt, export_fence)) st = ex->vt->export_fence(ex->ctx, consumer);
    else st = ex->vt->synchronize(ex->ctx); /* no fence: the consumer may read once this returns */
    hg__leave(ex);
    return st;
}

void *hg_executor_backend_context(const hg_executor *ex) {
    return ex && !atomic_load(&ex->closed) ? ex->ctx : NULL;
}

hg_status hg_executor_memory_stats(const hg_executor *ex, hg_memory_stats *stats_out) {
    if (!ex || !stats_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_memory_stats: arguments are required");
    pthread_mutex_lock((pthread_mutex_t *)&ex->lock);
    stats_out->live_buffers = ex->live_buffers;
    stats_out->live_bytes = ex->live_bytes;
    stats_out->peak_bytes = ex->peak_bytes;
    stats_out->cached_blocks = ex->cached_blocks;
    stats_out->cached_bytes = ex->cached_bytes;
    stats_out->cache_limit = ex->cache_limit;
    pthread_mutex_unlock((pthread_mutex_t *)&ex->lock);
    return HG_OK;
}

hg_status hg_executor_set_cache_limit(hg_executor *ex, int64_t limit_bytes) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_set_cache_limit: executor is NULL");
    if (limit_bytes < 0)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "cache limit must be >= 0 bytes, got %lld", (long long)limit_bytes);
    pthread_mutex_lock(&ex->lock);
    ex->cache_limit = limit_bytes;
    if (ex->ctx) {
        /* Shrink to the new limit: largest classes first, they free the most. */
        for (int cls = HG_POOL_CLASSES - 1; cls >= 0 && ex->cached_bytes > limit_bytes; cls--) {
            void *mem;
            while (ex->cached_bytes > limit_bytes && (mem = hg__pool_take_locked(ex, cls)))
                ex->vt->free(ex->ctx, mem);
        }
    }
    pthread_mutex_unlock(&ex->lock);
    return HG_OK;
}

void hg_executor_retain(hg_executor *ex) { atomic_fetch_add(&ex->refs, 1); }

void hg_executor_release(hg_executor *ex) {
    if (!ex || atomic_fetch_sub(&ex->refs, 1) != 1) return;
    /* Last reference: every buffer is gone, so closing destroys the context. */
    hg_executor_close(ex);
    pthread_mutex_destroy(&ex->lock);
    free(ex);
}
