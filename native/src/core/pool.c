/*
 * pool.c -- each executor's cache of freed blocks, bucketed by size class.
 *
 * Ops that allocate their output (hg.ops.add(ex, a, b)) would otherwise pay
 * fresh page faults on every call: 16M floats take 4x longer to write into a
 * new allocation than into a reused one. Freed blocks are kept per class up
 * to a byte limit (HOLOGRAM_CACHE_LIMIT, default 1 GiB) and handed back to
 * the next allocation of the same class. Size classes are powers of two
 * split into four steps, so a block wastes at most 25% of its request.
 * On a device backend reuse is safe because an executor's ops run in order.
 */
#include <stdlib.h>

#include "core.h"

#define MIN_CLASS_BYTES 64u

/* The class of nbytes and the bytes a block of that class holds. */
uint64_t hg__pool_class(uint64_t nbytes, int *class_out) {
    if (nbytes <= MIN_CLASS_BYTES) {
        *class_out = 0;
        return MIN_CLASS_BYTES;
    }
    const int top = 63 - __builtin_clzll(nbytes - 1); /* 2^top < nbytes <= 2^(top+1) */
    const uint64_t base = UINT64_C(1) << top, step = base / 4;
    uint64_t quarter = (nbytes - base + step - 1) / step; /* 1..4 */
    if (quarter < 1) quarter = 1;
    int cls = (top - 6) * 4 + (int)quarter; /* top >= 6 since nbytes > 64 */
    if (cls >= HG_POOL_CLASSES) cls = HG_POOL_CLASSES - 1;
    *class_out = cls;
    const uint64_t bytes = base + quarter * step;
    return bytes < nbytes ? nbytes : bytes;
}

int64_t hg__pool_default_limit(void) {
    const char *env = getenv("HOLOGRAM_CACHE_LIMIT");
    if (env && env[0]) {
        char *end = NULL;
        long long v = strtoll(env, &end, 10);
        if (end && *end == '\0' && v >= 0) return (int64_t)v;
    }
    return INT64_C(1) << 30;
}

void *hg__pool_take_locked(hg_executor *ex, int cls) {
    hg_pool_node *node = ex->cache[cls];
    if (!node) return NULL;
    ex->cache[cls] = node->next;
    void *mem = node->mem;
    ex->cached_blocks--;
    ex->cached_bytes -= node->bytes;
    free(node);
    return mem;
}

int hg__pool_give_locked(hg_executor *ex, void *mem, int cls, uint64_t bytes) {
    if (atomic_load(&ex->closed) || ex->cached_bytes + (int64_t)bytes > ex->cache_limit) return 0;
    hg_pool_node *node = malloc(sizeof *node);
    if (!node) return 0;
    node->mem = mem;
    node->bytes = (int64_t)bytes;
    node->next = ex->cache[cls];
    ex->cache[cls] = node;
    ex->cached_blocks++;
    ex->cached_bytes += (int64_t)bytes;
    return 1;
}

void hg__pool_drain_locked(hg_executor *ex) {
    for (int cls = 0; cls < HG_POOL_CLASSES; cls++) {
        void *mem;
        while ((mem = hg__pool_take_locked(ex, cls))) ex->vt->free(ex->ctx, mem);
    }
}

hg_status hg_executor_empty_cache(hg_executor *ex) {
    if (!ex) return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_executor_empty_cache: executor is NULL");
    pthread_mutex_lock(&ex->lock);
    if (ex->ctx) hg__pool_drain_locked(ex);
    pthread_mutex_unlock(&ex->lock);
    return HG_OK;
}
