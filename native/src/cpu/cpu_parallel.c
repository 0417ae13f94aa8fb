/*
 * cpu_parallel.c -- chunked, multi-threaded launches of single-threaded kernels.
 *
 * Grain sizes (elements per chunk) were measured on a 2-core AVX-512 machine:
 * below one grain an op runs serially in the caller, because waking a worker
 * and joining it costs about as much as streaming ~64K floats through an add.
 * Transcendental ops do ~10x more work per element, so they split sooner.
 */
#include "cpu_parallel.h"

#include "cpu_kernels.h"
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
    hg_cpu_parallel_for(n, grain, elementwise_chunk, &job);
    return HG_OK;
}

static hg_status split_rows(void *ctx, const hg_op_args *args) {
    const hg_cpu_context *c = ctx;
    split_job job = {hg_cpu_kernel_lookup_isa(c->isa, args->op, args->dtype), ctx, args, elem_size(args->dtype)};
    const int64_t rows = args->dims[0], cols = args->dims[1] > 0 ? args->dims[1] : 1;
    const int64_t per_row = args->op == HG_OP_SOFTMAX || args->op == HG_OP_LOG_SOFTMAX ? 4 * cols : cols;
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
