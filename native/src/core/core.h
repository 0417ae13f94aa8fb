/*
 * core.h -- internal structures of the core (not installed, not part of the ABI).
 */
#ifndef HOLOGRAM_CORE_H
#define HOLOGRAM_CORE_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "hologram/backend.h"

#define HG_ERROR_CAPACITY 1024
#define HG_POOL_CLASSES 256

/* A cached block of the executor's pool (pool.c). */
typedef struct hg_pool_node {
    void *mem;
    int64_t bytes;
    struct hg_pool_node *next;
} hg_pool_node;

/* Sets the thread's error detail (printf-style) and returns `status`. */
hg_status hg__set_error(hg_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The services handed to every backend entry. */
const hg_host_api *hg__host_api(void);
const char *hg__dtype_name(int32_t dtype);
const char *hg__op_name(int32_t op);

struct hg_backend {
    const hg_backend_vtable *vt;
    char *path;
    char *symbol;
    struct hg_backend *next; /* registry list; backends are never unloaded */
};

struct hg_executor {
    atomic_int_fast64_t refs;  /* the caller's handle + one per buffer */
    atomic_int closed;
    atomic_int_fast64_t inflight; /* calls touching buffer memory right now */
    hg_backend *backend;
    const hg_backend_vtable *vt;
    void *ctx;                 /* NULL once destroyed */
    int32_t device;
    int32_t host_addressable;
    pthread_mutex_t lock;      /* guards the fields below and buffer memory state */
    struct hg_buffer *live;    /* buffers that still hold memory */
    int64_t live_buffers;
    int64_t live_bytes;
    int64_t peak_bytes;
    hg_pool_node *cache[HG_POOL_CLASSES]; /* freed blocks by size class */
    int64_t cached_blocks;
    int64_t cached_bytes;
    int64_t cache_limit;
    hg_kernel_fn kernels[HG_OP_COUNT][HG_DTYPE_COUNT];
};

struct hg_buffer {
    atomic_int_fast64_t refs;  /* the caller's handle + one per pin */
    atomic_int freed;          /* the user freed it (or its executor closed) */
    hg_executor *ex;           /* retained */
    void *mem;                 /* backend handle, valid while has_mem */
    void *host;                /* host view of mem, or NULL */
    int64_t count;
    uint64_t nbytes;
    int32_t dtype;
    int32_t read_only;
    int32_t wrapped;           /* mem is caller memory: unwrap, never free */
    int32_t has_mem;
    int32_t pool_class;        /* size class of mem (allocated buffers) */
    uint64_t block_bytes;      /* bytes of the block mem points to */
    int64_t pins;              /* guarded by ex->lock */
    struct hg_buffer *prev, *next;
};

/* Calls that touch buffer memory announce themselves, then re-check the
   closed/freed flags; close, free and unpin set the flags, then wait for the
   calls in flight before releasing memory. With sequentially consistent
   atomics one side always sees the other, so memory never goes away under a
   running kernel, even when another thread frees it. */
static inline void hg__enter(hg_executor *ex) { atomic_fetch_add(&ex->inflight, 1); }
static inline void hg__leave(hg_executor *ex) { atomic_fetch_sub(&ex->inflight, 1); }
static inline void hg__wait_idle(hg_executor *ex) {
    while (atomic_load(&ex->inflight) != 0) sched_yield();
}

/* The pool (pool.c); every *_locked call needs ex->lock held. */
uint64_t hg__pool_class(uint64_t nbytes, int *class_out);
int64_t hg__pool_default_limit(void);
void *hg__pool_take_locked(hg_executor *ex, int cls);
int hg__pool_give_locked(hg_executor *ex, void *mem, int cls, uint64_t bytes);
void hg__pool_drain_locked(hg_executor *ex);

/* Releases the buffer's memory (after in-flight calls); caller holds ex->lock. */
void hg__buffer_drop_memory_locked(hg_buffer *b);
/* Destroys the backend context once closed and empty; caller holds ex->lock. */
void hg__executor_maybe_destroy_locked(hg_executor *ex);

#endif /* HOLOGRAM_CORE_H */
