/*
 * buffer.c -- memory owned by (or lent to) an executor.
 *
 * Two counts keep use-after-free impossible from the API:
 *   refs  keeps the struct alive (the caller's handle + one per pin), so a
 *         freed buffer is still a valid pointer that answers HG_ERR_CLOSED;
 *   pins  keeps the memory alive for exports (NumPy views, DLPack), so
 *         hg_buffer_free and hg_executor_close never pull memory out from
 *         under a view: they mark the buffer freed and the last unpin frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

static hg_status check_new(hg_executor *ex, int64_t count, int32_t dtype, hg_buffer **out,
                           uint64_t *nbytes_out) {
    if (!ex || !out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "executor and buffer_out are required");
    if (atomic_load(&ex->closed))
        return hg__set_error(HG_ERR_CLOSED, "the executor is closed: create a new hg.Executor()");
    if (dtype < 0 || dtype >= HG_DTYPE_COUNT)
        return hg__set_error(HG_ERR_DTYPE, "unknown dtype code %d", dtype);
    if (count < 0)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "buffer size must be >= 0, got %lld", (long long)count);
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow((uint64_t)count, (uint64_t)hg_dtype_size(dtype), &nbytes) ||
        nbytes > (uint64_t)INT64_MAX)
        return hg__set_error(HG_ERR_OUT_OF_MEMORY, "a buffer of %lld %s elements exceeds the address space",
                             (long long)count, hg__dtype_name(dtype));
    *nbytes_out = nbytes;
    return HG_OK;
}

/* Links a buffer that now holds memory into its executor. */
static hg_buffer *make_buffer(hg_executor *ex, void *mem, int64_t count, int32_t dtype,
                              uint64_t nbytes, int32_t wrapped, int32_t read_only) {
    hg_buffer *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    atomic_init(&b->refs, 1);
    atomic_init(&b->freed, 0);
    b->ex = ex;
    b->mem = mem;
    b->host = (ex->host_addressable && ex->vt->host_ptr) ? ex->vt->host_ptr(ex->ctx, mem)
              : (ex->host_addressable ? mem : NULL);
    b->count = count;
    b->nbytes = nbytes;
    b->dtype = dtype;
    b->wrapped = wrapped;
    b->read_only = read_only;
    b->has_mem = 1;
    hg_executor_retain(ex);
    pthread_mutex_lock(&ex->lock);
    b->next = ex->live;
    if (ex->live) ex->live->prev = b;
    ex->live = b;
    ex->live_buffers++;
    ex->live_bytes += (int64_t)nbytes;
    if (ex->live_bytes > ex->peak_bytes) ex->peak_bytes = ex->live_bytes;
    pthread_mutex_unlock(&ex->lock);
    return b;
}

hg_status hg_buffer_allocate(hg_executor *ex, int64_t count, int32_t dtype, hg_buffer **out) {
    uint64_t nbytes = 0;
    hg_status st = check_new(ex, count, dtype, out, &nbytes);
    if (st) return st;
    int cls = 0;
    const uint64_t block = hg__pool_class(nbytes, &cls);
    pthread_mutex_lock(&ex->lock);
    void *mem = hg__pool_take_locked(ex, cls);
    pthread_mutex_unlock(&ex->lock);
    if (!mem) {
        st = ex->vt->alloc(ex->ctx, block, &mem);
        if (st == HG_ERR_OUT_OF_MEMORY) {
            /* Cached blocks of other sizes may be what stands in the way. */
            hg_executor_empty_cache(ex);
            st = ex->vt->alloc(ex->ctx, block, &mem);
        }
        if (st) return st;
    }
    hg_buffer *b = make_buffer(ex, mem, count, dtype, nbytes, 0, 0);
    if (!b) {
        ex->vt->free(ex->ctx, mem);
        return hg__set_error(HG_ERR_OUT_OF_MEMORY, "out of memory allocating a buffer handle");
    }
    b->pool_class = cls;
    b->block_bytes = block;
    *out = b;
    return HG_OK;
}

/* A buffer over caller memory (host or device) that `wrap` turns into a handle. */
static hg_status adopt(hg_executor *ex, hg_status (*wrap)(void *, void *, uint64_t, void **), void *data,
                       int64_t count, int32_t dtype, uint64_t nbytes, int32_t read_only, hg_buffer **out) {
    if (!data && nbytes)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "cannot wrap a NULL pointer");
    void *mem = NULL;
    hg_status st = wrap(ex->ctx, data, nbytes, &mem);
    if (st) return st;
    hg_buffer *b = make_buffer(ex, mem, count, dtype, nbytes, 1, read_only != 0);
    if (!b) {
        if (ex->vt->unwrap) ex->vt->unwrap(ex->ctx, mem);
        return hg__set_error(HG_ERR_OUT_OF_MEMORY, "out of memory allocating a buffer handle");
    }
    *out = b;
    return HG_OK;
}

hg_status hg_buffer_wrap_host(hg_executor *ex, void *data, int64_t count, int32_t dtype,
                              int32_t read_only, hg_buffer **out) {
    uint64_t nbytes = 0;
    hg_status st = check_new(ex, count, dtype, out, &nbytes);
    if (st) return st;
    if (!ex->host_addressable || !ex->vt->wrap_host)
        return hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "backend '%s' cannot use host memory in place: copy the data in with "
            "Buffer.from_numpy instead", ex->vt->name);
    return adopt(ex, ex->vt->wrap_host, data, count, dtype, nbytes, read_only, out);
}

void hg__buffer_drop_memory_locked(hg_buffer *b) {
    hg_executor *ex = b->ex;
    if (!b->has_mem) return;
    hg__wait_idle(ex);
    if (b->wrapped) {
        if (ex->vt->unwrap) ex->vt->unwrap(ex->ctx, b->mem);
    } else if (!hg__pool_give_locked(ex, b->mem, b->pool_class, b->block_bytes)) {
        ex->vt->free(ex->ctx, b->mem);
    }
    b->has_mem = 0;
    b->mem = NULL;
    b->host = NULL;
    if (b->prev) b->prev->next = b->next;
    else ex->live = b->next;
    if (b->next) b->next->prev = b->prev;
    b->prev = b->next = NULL;
    ex->live_buffers--;
    ex->live_bytes -= (int64_t)b->nbytes;
}

hg_status hg_buffer_free(hg_buffer *b) {
    if (!b) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_buffer_free: buffer is NULL");
    hg_executor *ex = b->ex;
    pthread_mutex_lock(&ex->lock);
    atomic_store(&b->freed, 1);
    if (b->pins == 0) {
        hg__buffer_drop_memory_locked(b);
        hg__executor_maybe_destroy_locked(ex);
    }
    pthread_mutex_unlock(&ex->lock);
    return HG_OK;
}

void hg_buffer_retain(hg_buffer *b) { atomic_fetch_add(&b->refs, 1); }

void hg_buffer_release(hg_buffer *b) {
    if (!b || atomic_fetch_sub(&b->refs, 1) != 1) return;
    hg_executor *ex = b->ex;
    hg_buffer_free(b);
    free(b);
    hg_executor_release(ex);
}

/* Pins b's memory for an export and gives its address: the host view, or with
   `device` the address the backend's own device uses (NULL for 0 bytes). */
static hg_status pin(hg_buffer *b, int device, void **address_out) {
    hg_executor *ex = b->ex;
    hg_status st = HG_OK;
    void *address = NULL;
    pthread_mutex_lock(&ex->lock);
    if (atomic_load(&b->freed) || !b->has_mem) {
        st = hg__set_error(HG_ERR_CLOSED, atomic_load(&ex->closed)
            ? "the buffer's executor is closed: its memory is gone"
            : "the buffer was freed: allocate a new one");
    } else if (!device && !b->host) {
        st = hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "this buffer lives in '%s' device memory, which the CPU cannot address: "
            "copy it out with Buffer.to_bytes() or read it with a copy", ex->vt->name);
    } else if (device && b->nbytes && !(address = ex->vt->device_ptr(ex->ctx, b->mem))) {
        st = hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "backend '%s' has no device address for this buffer", ex->vt->name);
    } else {
        b->pins++;
        atomic_fetch_add(&b->refs, 1);
        *address_out = device ? address : b->host;
    }
    pthread_mutex_unlock(&ex->lock);
    return st;
}

hg_status hg_buffer_pin(hg_buffer *b, void **host_data_out) {
    if (!b || !host_data_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_buffer_pin: arguments are required");
    return pin(b, 0, host_data_out);
}

hg_status hg_buffer_pin_device(hg_buffer *b, void **device_ptr_out) {
    if (!b || !device_ptr_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_buffer_pin_device: arguments are required");
    if (!HG_BACKEND_HAS(b->ex->vt, device_ptr))
        return hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "backend '%s' does not export its memory in place: copy it out with Buffer.to_numpy()",
            b->ex->vt->name);
    return pin(b, 1, device_ptr_out);
}

hg_status hg_buffer_wrap_device(hg_executor *ex, void *ptr, int64_t count, int32_t dtype,
                                int32_t read_only, hg_buffer **out) {
    uint64_t nbytes = 0;
    hg_status st = check_new(ex, count, dtype, out, &nbytes);
    if (st) return st;
    if (!HG_BACKEND_HAS(ex->vt, wrap_device))
        return hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "backend '%s' cannot adopt device memory in place: copy the data in instead", ex->vt->name);
    return adopt(ex, ex->vt->wrap_device, ptr, count, dtype, nbytes, read_only, out);
}

void hg_buffer_unpin(hg_buffer *b) {
    if (!b) return;
    hg_executor *ex = b->ex;
    pthread_mutex_lock(&ex->lock);
    if (b->pins > 0 && --b->pins == 0 && atomic_load(&b->freed)) {
        hg__buffer_drop_memory_locked(b);
        hg__executor_maybe_destroy_locked(ex);
    }
    pthread_mutex_unlock(&ex->lock);
    hg_buffer_release(b);
}

int64_t hg_buffer_count(const hg_buffer *b) { return b->count; }
int32_t hg_buffer_dtype(const hg_buffer *b) { return b->dtype; }
int32_t hg_buffer_is_freed(const hg_buffer *b) { return atomic_load(&b->freed); }
int32_t hg_buffer_is_read_only(const hg_buffer *b) { return b->read_only; }
hg_executor *hg_buffer_executor(const hg_buffer *b) { return b->ex; }

/* Shared by the host-pointer and copy calls: is the memory usable now? */
static hg_status check_usable(const hg_buffer *b) {
    if (!b) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "buffer is NULL");
    if (atomic_load(&b->ex->closed))
        return hg__set_error(HG_ERR_CLOSED, "the buffer's executor is closed: create a new hg.Executor()");
    if (atomic_load(&b->freed) || !b->has_mem)
        return hg__set_error(HG_ERR_CLOSED, "the buffer was freed: allocate a new one");
    return HG_OK;
}

hg_status hg_buffer_host_ptr(hg_buffer *b, void **data_out) {
    hg_status st = check_usable(b);
    if (st) return st;
    if (!b->host)
        return hg__set_error(HG_ERR_NOT_HOST_ADDRESSABLE,
            "this buffer lives in '%s' device memory, which the CPU cannot address",
            b->ex->vt->name);
    *data_out = b->host;
    return HG_OK;
}

static hg_status check_range(const hg_buffer *b, uint64_t offset, uint64_t nbytes, const char *what) {
    uint64_t end;
    if (__builtin_add_overflow(offset, nbytes, &end) || end > b->nbytes)
        return hg__set_error(HG_ERR_SHAPE,
            "%s of %llu bytes at offset %llu does not fit a buffer of %llu bytes (%lld %s elements)",
            what, (unsigned long long)nbytes, (unsigned long long)offset,
            (unsigned long long)b->nbytes, (long long)b->count, hg__dtype_name(b->dtype));
    return HG_OK;
}

hg_status hg_buffer_write(hg_buffer *b, uint64_t offset, const void *src, uint64_t nbytes) {
    hg_status st = check_usable(b);
    if (st) return st;
    if (b->read_only)
        return hg__set_error(HG_ERR_READ_ONLY, "the buffer wraps read-only memory and cannot be written");
    if ((st = check_range(b, offset, nbytes, "a write"))) return st;
    if (nbytes == 0) return HG_OK;
    if (!src) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "source pointer is NULL");
    hg__enter(b->ex);
    st = check_usable(b);
    if (!st) st = b->ex->vt->copy_from_host(b->ex->ctx, b->mem, offset, src, nbytes);
    hg__leave(b->ex);
    return st;
}

hg_status hg_buffer_read(hg_buffer *b, uint64_t offset, void *dst, uint64_t nbytes) {
    hg_status st = check_usable(b);
    if (st) return st;
    if ((st = check_range(b, offset, nbytes, "a read"))) return st;
    if (nbytes == 0) return HG_OK;
    if (!dst) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "destination pointer is NULL");
    hg__enter(b->ex);
    st = check_usable(b);
    if (!st) st = b->ex->vt->copy_to_host(b->ex->ctx, dst, b->mem, offset, nbytes);
    hg__leave(b->ex);
    return st;
}
