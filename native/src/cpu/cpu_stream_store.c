/*
 * cpu_stream_store.c -- non-temporal copies for large elementwise outputs.
 *
 * An ordinary store first reads the line it writes (read for ownership), so
 * c = a + b over arrays bigger than the caches moves four streams through
 * memory, not three. Non-temporal stores gather full lines in write-combining
 * buffers and send them straight to memory. Measured on the 2-core AVX-512
 * host of docs/benchmarks.md, 16M-float add on two threads: 10.1-10.7 ms
 * with ordinary stores, 8.0 ms streamed (via a 1 KiB staging block, see
 * cpu_parallel.c; 4 KiB blocks gave 9.5 ms: bursts of 64 lines overrun the
 * write-combining buffers).
 *
 * SSE2 stores suffice: the write-combining buffers merge them into whole
 * lines, so wider ones move no more bytes per second; and SSE2 is the
 * x86-64 baseline, so this file needs no per-ISA build.
 */
#include "cpu_stream_store.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>

const int hg_cpu_stream_supported = 1;

void hg_cpu_stream_copy(void *dst, const void *src, size_t bytes)
{
    __m128i *d = dst;
    const __m128i *s = src;
    for (size_t i = 0; i < bytes / 16; i += 4) {
        /* src is the kernel's staging block: in L1, and aligned like dst. */
        const __m128i v0 = _mm_loadu_si128(s + i), v1 = _mm_loadu_si128(s + i + 1);
        const __m128i v2 = _mm_loadu_si128(s + i + 2), v3 = _mm_loadu_si128(s + i + 3);
        _mm_stream_si128(d + i, v0);
        _mm_stream_si128(d + i + 1, v1);
        _mm_stream_si128(d + i + 2, v2);
        _mm_stream_si128(d + i + 3, v3);
    }
}

void hg_cpu_stream_fence(void)
{
    _mm_sfence();
}

#else

const int hg_cpu_stream_supported = 0;

void hg_cpu_stream_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
}

void hg_cpu_stream_fence(void)
{
}

#endif
