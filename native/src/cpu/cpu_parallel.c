/*
 * cpu_parallel.c -- chunked, multi-threaded launches of single-threaded kernels.
 *
 * Grain sizes (elements per chunk) were measured on a 2-core AVX-512 machine:
 * below one grain an op runs serially in the caller, because waking a worker
 * and joining it costs about as much as streaming ~64K floats through an add.
 * Transcendental ops do ~10x more work per element, so they split sooner.
 */
#include "cpu_parallel.h"

#include <stdint.h>
#include <stdlib.h>

#include "cpu_cache.h"
#include "cpu_kernel_impl.h"
#include "cpu_kernels.h"
#include "cpu_stream_store.h"
#include "cpu_threadpool.h"

/* Elementwise ops go parallel from these sizes on (elements). */
#define THRESHOLD_STREAMING (32 * 1024)   /* fill, copy, + - * /, relu, ... */
#define THRESHOLD_TRANSCENDENTAL (16 * 1024) /* exp, log, tanh, sigmoid, gelu */
/* Row ops split into chunks of about this many elements; fixed boundaries
   keep reductions bit-identical whatever the thread count. */
#define GRAIN_STREAMING (64 * 1024)

typedef struct split_job {
    hg_kernel_fn kernel;
    void *ctx;
    const hg_op_args *args;
    uint64_t elem_size;
} split_job;

static uint64_t elem_size(uint32_t dtype) { return dtype == HG_DTYPE_FLOAT64 ? 8u : 4u; }

/* Elementwise: every operand advances by the chunk start. */
static void elementwise_chunk(void *p, int64_t begin, int64_t end) {
    const split_job *job = p;
    hg_op_args a = *job->args;
    a.dims[0] = end - begin;
    for (uint32_t i = 0; i < a.num_operands; i++) a.offset[i] += (uint64_t)begin * job->elem_size;
    job->kernel(job->ctx, &a);
}

/* Row ops: operand 0 holds rows x cols; the output holds one value per row
   (reductions, matvec's y) or rows x cols (softmax). Matvec's x is shared. */
static void rows_chunk(void *p, int64_t begin, int64_t end) {
    const split_job *job = p;
    hg_op_args a = *job->args;
    const uint64_t es = job->elem_size, cols = (uint64_t)a.dims[1];
    a.dims[0] = end - begin;
    a.offset[0] += (uint64_t)begin * cols * es;
    const int per_row_output = a.op >= HG_OP_SUM && a.op <= HG_OP_MEAN;
    if (a.op == HG_OP_MATVEC) a.offset[2] += (uint64_t)begin * es;
    else a.offset[1] += (uint64_t)begin * (per_row_output ? 1 : cols) * es;
    job->kernel(job->ctx, &a);
}

/* An elementwise op whose operands together outgrow the last-level cache
   writes its output with streaming stores (cpu_stream_store.c): that output
   could not stay cached for the next op anyway, and not reading its lines
   first saves a quarter of the traffic of a + b, a third of relu(a). The
   kernel computes each block of STREAM_BLOCK_BYTES into a staging buffer in
   L1, which is then streamed out; head and tail, up to the first aligned
   line and after the last whole block, take the ordinary path. An output
   that is exactly an input (in place) is safe: each block is read whole
   before it is written. */
#define STREAM_BLOCK_BYTES 1024

static void elementwise_chunk_streamed(void *p, int64_t begin, int64_t end) {
    const split_job *job = p;
    const uint64_t es = job->elem_size;
    const unsigned out = job->args->num_operands - 1;
    hg_op_args a = *job->args;
    for (uint32_t i = 0; i < a.num_operands; i++) a.offset[i] += (uint64_t)begin * es;
    const int64_t n = end - begin;
    const uintptr_t at = (uintptr_t)hg_cpu_operand(&a, out);
    if (at % es) { /* never reaches a line boundary in whole elements */
        a.dims[0] = n;
        job->kernel(job->ctx, &a);
        return;
    }
    const int64_t block = STREAM_BLOCK_BYTES / (int64_t)es;
    int64_t head = (int64_t)((HG_CPU_STREAM_ALIGN - at % HG_CPU_STREAM_ALIGN) % HG_CPU_STREAM_ALIGN / es);
    if (head > n) head = n;
    const int64_t blocks = (n - head) / block;
    if (head) {
        a.dims[0] = head;
        job->kernel(job->ctx, &a);
        for (uint32_t i = 0; i < a.num_operands; i++) a.offset[i] += (uint64_t)head * es;
    }
    _Alignas(HG_CPU_STREAM_ALIGN) unsigned char stage[STREAM_BLOCK_BYTES];
    char *dst = hg_cpu_operand(&a, out);
    hg_op_args b = a;
    b.dims[0] = block;
    b.operand[out] = stage;
    b.offset[out] = 0;
    for (int64_t k = 0; k < blocks; k++) {
        for (unsigned i = 0; i < out; i++) b.offset[i] = a.offset[i] + (uint64_t)(k * block) * es;
        job->kernel(job->ctx, &b);
        hg_cpu_stream_copy(dst + (uint64_t)(k * block) * es, stage, STREAM_BLOCK_BYTES);
    }
    const int64_t done = blocks * block;
    if (head + done < n) {
        a.dims[0] = n - head - done;
        for (uint32_t i = 0; i < a.num_operands; i++) a.offset[i] += (uint64_t)done * es;
        job->kernel(job->ctx, &a);
    }
    /* Before the pool publishes this chunk as done. */
    hg_cpu_stream_fence();
}

/* Whether an n-element op with these operands streams its output. */
static int streams_output(const hg_op_args *args, uint64_t es) {
    if (!hg_cpu_stream_supported) return 0;
    long l1, l2, l3;
    hg_cpu_cache_sizes(&l1, &l2, &l3);
    return (double)args->dims[0] * (double)es * (double)args->num_operands > (double)l3;
}

static int is_transcendental(uint32_t op) {
    return (op >= HG_OP_SIGMOID && op <= HG_OP_LOG) || op == HG_OP_GELU || op == HG_OP_GELU_TANH;
}

static hg_status split_elementwise(void *ctx, const hg_op_args *args) {
    const hg_cpu_context *c = ctx;
    split_job job = {hg_cpu_kernel_lookup_isa(c->isa, args->op, args->dtype), ctx, args, elem_size(args->dtype)};
    const int64_t n = args->dims[0];
    const int64_t threshold = is_transcendental(args->op) ? THRESHOLD_TRANSCENDENTAL : THRESHOLD_STREAMING;
    if (n < threshold) return job.kernel(ctx, args);
    /* Elementwise results do not depend on the chunking. Cache-sized ops split
       evenly, one chunk per thread, so each thread finds its part of the data
       in its own core's cache from call to call; larger ones split four ways
       per thread, so a worker that is descheduled mid-op (the process shares
       its cores with other runtimes) holds up only a small chunk. */
    const int threads = hg_cpu_num_threads();
    const int64_t pieces = (int64_t)threads * (n >= 512 * 1024 ? 4 : 1);
    int64_t grain = (n + pieces - 1) / pieces;
    grain = (grain + 15) / 16 * 16;
    hg_cpu_parallel_for(n, grain, streams_output(args, job.elem_size) ? elementwise_chunk_streamed : elementwise_chunk,
                        &job);
    return HG_OK;
}

/* One long softmax row on several threads: the row's three steps (max,
   exponentials and their sum, normalisation) each run as chunks of fixed
   size, so the result is the same for any thread count. */
#define SOFTMAX_CHUNK (64 * 1024)
#define SOFTMAX_SPLIT_MIN (256 * 1024)

typedef struct softmax_job {
    const hg_cpu_softmax_parts *parts;
    const char *x;
    char *y;
    uint64_t elem_size;
    int64_t n;
    int log_form;
    double m;
    double *partial; /* one per chunk */
} softmax_job;

static int64_t chunk_len(const softmax_job *job, int64_t c) {
    const int64_t begin = c * SOFTMAX_CHUNK;
    return job->n - begin < SOFTMAX_CHUNK ? job->n - begin : SOFTMAX_CHUNK;
}

static void softmax_max_chunks(void *p, int64_t begin, int64_t end) {
    softmax_job *job = p;
    for (int64_t c = begin; c < end; c++)
        job->partial[c] = job->parts->max(job->x + (uint64_t)(c * SOFTMAX_CHUNK) * job->elem_size, chunk_len(job, c));
}

static void softmax_sum_chunks(void *p, int64_t begin, int64_t end) {
    softmax_job *job = p;
    for (int64_t c = begin; c < end; c++) {
        const uint64_t at = (uint64_t)(c * SOFTMAX_CHUNK) * job->elem_size;
        job->partial[c] = job->parts->exp_sum(job->x + at, job->log_form ? NULL : job->y + at, chunk_len(job, c), job->m);
    }
}

static void softmax_finish_chunks(void *p, int64_t begin, int64_t end) {
    softmax_job *job = p;
    for (int64_t c = begin; c < end; c++) {
        const uint64_t at = (uint64_t)(c * SOFTMAX_CHUNK) * job->elem_size;
        job->parts->finish(job->x + at, job->y + at, chunk_len(job, c), job->m, job->partial[0], job->log_form);
    }
}

/* Returns 0 when the row should take the ordinary path instead. */
static int split_softmax_row(const hg_cpu_context *c, const hg_op_args *args, const char *x, char *y) {
    softmax_job job = {hg_cpu_softmax_parts_lookup(c->isa, args->dtype), x, y, elem_size(args->dtype),
                       args->dims[1], args->op == HG_OP_LOG_SOFTMAX, 0.0, NULL};
    const int64_t chunks = (job.n + SOFTMAX_CHUNK - 1) / SOFTMAX_CHUNK;
    if (!job.parts || !(job.partial = malloc((size_t)chunks * sizeof(double)))) return 0;
    hg_cpu_parallel_for(chunks, 1, softmax_max_chunks, &job);
    job.m = job.partial[0];
    for (int64_t i = 1; i < chunks; i++) /* NaN wins, as in row_max */
        if (job.m == job.m && (job.partial[i] != job.partial[i] || job.partial[i] > job.m)) job.m = job.partial[i];
    hg_cpu_parallel_for(chunks, 1, softmax_sum_chunks, &job);
    double total = 0.0;
    for (int64_t i = 0; i < chunks; i++) total += job.partial[i];
    job.partial[0] = total;
    hg_cpu_parallel_for(chunks, 1, softmax_finish_chunks, &job);
    free(job.partial);
    return 1;
}

static hg_status split_rows(void *ctx, const hg_op_args *args) {
    const hg_cpu_context *c = ctx;
    split_job job = {hg_cpu_kernel_lookup_isa(c->isa, args->op, args->dtype), ctx, args, elem_size(args->dtype)};
    const int64_t rows = args->dims[0], cols = args->dims[1] > 0 ? args->dims[1] : 1;
    const int64_t per_row = args->op == HG_OP_SOFTMAX || args->op == HG_OP_LOG_SOFTMAX ? 4 * cols : cols;
    if ((args->op == HG_OP_SOFTMAX || args->op == HG_OP_LOG_SOFTMAX) && cols >= SOFTMAX_SPLIT_MIN &&
        rows < hg_cpu_num_threads() && hg_cpu_num_threads() > 1) {
        const char *x = hg_cpu_operand(args, 0);
        char *y = hg_cpu_operand(args, 1);
        const uint64_t row_bytes = (uint64_t)cols * elem_size(args->dtype);
        int64_t r = 0;
        while (r < rows && split_softmax_row(c, args, x + r * row_bytes, y + r * row_bytes)) r++;
        if (r == rows) return HG_OK;
        /* out of memory for the chunk sums: the rest row by row, serially */
        hg_op_args rest = *args;
        rest.dims[0] = rows - r;
        rest.offset[0] += (uint64_t)r * row_bytes;
        rest.offset[1] += (uint64_t)r * row_bytes;
        return job.kernel(ctx, &rest);
    }
    int64_t grain = GRAIN_STREAMING / per_row;
    if (grain < 1) grain = 1;
    if (rows <= grain) return job.kernel(ctx, args);
    hg_cpu_parallel_for(rows, grain, rows_chunk, &job);
    return HG_OK;
}

hg_kernel_fn hg_cpu_dispatch_kernel(const hg_cpu_context *ctx, uint32_t op, uint32_t dtype) {
    hg_kernel_fn kernel = hg_cpu_kernel_lookup_isa(ctx->isa, op, dtype);
    if (!kernel) return NULL;
    if (op <= HG_OP_GELU_TANH) return split_elementwise;
    if ((op >= HG_OP_SUM && op <= HG_OP_LOG_SOFTMAX) || op == HG_OP_MATVEC) return split_rows;
    return kernel;
}
