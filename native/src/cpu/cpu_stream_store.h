/*
 * cpu_stream_store.h -- copies that bypass the caches, for outputs too big
 * to stay in them (see cpu_stream_store.c).
 */
#ifndef HOLOGRAM_CPU_STREAM_STORE_H
#define HOLOGRAM_CPU_STREAM_STORE_H

#include <stddef.h>

/* 1 where hg_cpu_stream_copy uses non-temporal stores (x86-64), else 0:
   callers then keep their ordinary path. */
extern const int hg_cpu_stream_supported;

/* Alignment of dst and granule of bytes that hg_cpu_stream_copy requires. */
#define HG_CPU_STREAM_ALIGN 64

/* dst[0..bytes) = src[0..bytes) with non-temporal stores: written to memory
   without first reading dst's lines into the caches, which saves a quarter
   to a third of the memory traffic of a large elementwise op. dst must be
   HG_CPU_STREAM_ALIGN-aligned and bytes a multiple of it. The stores are
   weakly ordered: call hg_cpu_stream_fence before another thread may read
   dst. */
void hg_cpu_stream_copy(void *dst, const void *src, size_t bytes);

/* Orders the calling thread's earlier streaming stores before its later
   stores (an sfence): after it, publishing "done" publishes the data. */
void hg_cpu_stream_fence(void);

#endif /* HOLOGRAM_CPU_STREAM_STORE_H */
