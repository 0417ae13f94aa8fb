/*
 * test_core.c -- the core's contract: lifetimes, validation and errors,
 * through the public API and the CPU backend loaded like any plugin.
 *
 * HOLOGRAM_LIB names the shared library holding the core and the CPU backend.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hologram/hologram.h"

static int passed, failed;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (cond) passed++;                                                   \
        else {                                                                \
            failed++;                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n",      \
                    __FILE__, __LINE__, #cond, hg_last_error());              \
        }                                                                     \
    } while (0)

/* The call fails with `status` and its message mentions `needle`. */
#define CHECK_ERR(call, status, needle)                                       \
    do {                                                                      \
        hg_status st_ = (call);                                               \
        CHECK(st_ == (status));                                               \
        CHECK(strstr(hg_last_error(), (needle)) != NULL);                     \
    } while (0)

static hg_backend *cpu;

/* Live buffers and bytes of an executor. */
static hg_status live_stats(hg_executor *ex, int64_t *live, int64_t *bytes) {
    hg_memory_stats st;
    hg_status status = hg_executor_memory_stats(ex, &st);
    *live = st.live_buffers;
    *bytes = st.live_bytes;
    return status;
}

static hg_executor *new_executor(void) {
    hg_executor *ex = NULL;
    CHECK(hg_executor_create(cpu, 0, &ex) == HG_OK);
    return ex;
}

static hg_buffer *new_buffer(hg_executor *ex, int64_t n, int32_t dtype) {
    hg_buffer *b = NULL;
    CHECK(hg_buffer_allocate(ex, n, dtype, &b) == HG_OK);
    return b;
}

static void test_loading(const char *lib) {
    hg_backend *again = NULL;
    CHECK(hg_backend_load(lib, "hg_cpu_backend_entry", &again) == HG_OK);
    CHECK(again == cpu);
    CHECK(strcmp(hg_backend_name(cpu), "cpu") == 0);
    CHECK(hg_backend_host_addressable(cpu) == 1);
    int32_t score = 0;
    char reason[128];
    CHECK(hg_backend_probe(cpu, &score, reason, sizeof reason) == HG_OK && score > 0);
    hg_backend *none = NULL;
    CHECK_ERR(hg_backend_load("/nonexistent/libnothing.so", NULL, &none), HG_ERR_LOAD_FAILED, "cannot load");
    CHECK_ERR(hg_backend_load(lib, "no_such_entry", &none), HG_ERR_LOAD_FAILED, "does not export");
    hg_executor *ex = NULL;
    CHECK_ERR(hg_executor_create(cpu, 3, &ex), HG_ERR_INVALID_ARGUMENT, "device 3");
}

static void test_roundtrip_and_ops(void) {
    hg_executor *ex = new_executor();
    hg_buffer *a = new_buffer(ex, 5, HG_DTYPE_FLOAT32), *b = new_buffer(ex, 5, HG_DTYPE_FLOAT32),
              *c = new_buffer(ex, 5, HG_DTYPE_FLOAT32);
    float av[5] = {1, 2, 3, 4, 5}, bv[5] = {10, 20, 30, 40, 50}, cv[5] = {0};
    CHECK(hg_buffer_write(a, 0, av, sizeof av) == HG_OK);
    CHECK(hg_buffer_write(b, 0, bv, sizeof bv) == HG_OK);
    CHECK(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, a, b, c, 5) == HG_OK);
    CHECK(hg_buffer_read(c, 0, cv, sizeof cv) == HG_OK);
    CHECK(cv[0] == 11 && cv[4] == 55);
    /* in place: c = c + a */
    CHECK(hg_binary(ex, HG_OP_ADD, HG_DTYPE_ANY, c, a, c, 5) == HG_OK);
    CHECK(hg_buffer_read(c, 0, cv, sizeof cv) == HG_OK && cv[4] == 60);
    double total = 0;
    hg_buffer *out = new_buffer(ex, 1, HG_DTYPE_FLOAT32);
    CHECK(hg_reduce(ex, HG_OP_SUM, HG_DTYPE_FLOAT32, a, out, 1, 5, &total) == HG_OK && total == 15.0);
    CHECK_ERR(hg_reduce(ex, HG_OP_MAX, HG_DTYPE_FLOAT32, a, out, 1, 0, &total), HG_ERR_SHAPE, "no identity");
    CHECK(hg_reduce(ex, HG_OP_MEAN, HG_DTYPE_FLOAT32, a, out, 1, 0, &total) == HG_OK && isnan(total));
    hg_buffer_release(a);
    hg_buffer_release(b);
    hg_buffer_release(c);
    hg_buffer_release(out);
    int64_t live = -1, bytes = -1;
    CHECK(live_stats(ex, &live, &bytes) == HG_OK && live == 0 && bytes == 0);
    hg_executor_release(ex);
}

static void test_validation(void) {
    hg_executor *ex = new_executor(), *other = new_executor();
    hg_buffer *a = new_buffer(ex, 8, HG_DTYPE_FLOAT32), *d = new_buffer(ex, 8, HG_DTYPE_FLOAT64),
              *o = new_buffer(other, 8, HG_DTYPE_FLOAT32);
    CHECK_ERR(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, a, a, a, 9), HG_ERR_SHAPE, "holds 8");
    CHECK_ERR(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, a, a, a, -1), HG_ERR_INVALID_ARGUMENT, ">= 0");
    CHECK_ERR(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, a, d, a, 8), HG_ERR_DTYPE, "float64");
    CHECK_ERR(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT64, a, a, a, 8), HG_ERR_DTYPE, "needs float64");
    CHECK_ERR(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, a, o, a, 8), HG_ERR_EXECUTOR_MISMATCH, "another executor");
    CHECK_ERR(hg_binary(ex, HG_OP_RELU, HG_DTYPE_FLOAT32, a, a, a, 8), HG_ERR_INVALID_ARGUMENT, "not a binary");
    CHECK_ERR(hg_binary(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, a, NULL, a, 8), HG_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_ERR(hg_scalar(ex, HG_OP_CLIP, HG_DTYPE_FLOAT32, a, a, 8, NAN, 1.0), HG_ERR_INVALID_ARGUMENT, "NaN");
    CHECK_ERR(hg_gemm(ex, HG_DTYPE_FLOAT32, a, a, a, 2, 2, 2, 0, 0, 1, 0), HG_ERR_INVALID_ARGUMENT, "overlaps");
    CHECK_ERR(hg_gemm(ex, HG_DTYPE_FLOAT32, a, a, a, INT64_MAX, 2, 2, 0, 0, 1, 0), HG_ERR_SHAPE, "overflow");
    hg_buffer *huge = NULL;
    CHECK_ERR(hg_buffer_allocate(ex, INT64_MAX, HG_DTYPE_FLOAT64, &huge), HG_ERR_OUT_OF_MEMORY, "address space");
    CHECK_ERR(hg_buffer_allocate(ex, -4, HG_DTYPE_FLOAT32, &huge), HG_ERR_INVALID_ARGUMENT, ">= 0");
    CHECK_ERR(hg_buffer_allocate(ex, 4, 99, &huge), HG_ERR_DTYPE, "unknown dtype");
    float big[16] = {0};
    CHECK_ERR(hg_buffer_write(a, 0, big, sizeof big), HG_ERR_SHAPE, "does not fit");
    CHECK_ERR(hg_buffer_read(a, 4, big, 32), HG_ERR_SHAPE, "does not fit");
    /* read-only wraps refuse writes, by copy or by op */
    const float ro[4] = {1, 2, 3, 4};
    hg_buffer *w = NULL;
    CHECK(hg_buffer_wrap_host(ex, (void *)ro, 4, HG_DTYPE_FLOAT32, 1, &w) == HG_OK);
    CHECK_ERR(hg_unary(ex, HG_OP_NEG, HG_DTYPE_FLOAT32, a, w, 4), HG_ERR_READ_ONLY, "read-only");
    CHECK_ERR(hg_buffer_write(w, 0, big, 4), HG_ERR_READ_ONLY, "read-only");
    /* partially overlapping wraps are refused; the identical range is fine */
    float mem[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    hg_buffer *lo = NULL, *hi = NULL;
    CHECK(hg_buffer_wrap_host(ex, mem, 6, HG_DTYPE_FLOAT32, 0, &lo) == HG_OK);
    CHECK(hg_buffer_wrap_host(ex, mem + 2, 6, HG_DTYPE_FLOAT32, 0, &hi) == HG_OK);
    CHECK_ERR(hg_unary(ex, HG_OP_NEG, HG_DTYPE_FLOAT32, lo, hi, 6), HG_ERR_INVALID_ARGUMENT, "overlaps");
    CHECK(hg_unary(ex, HG_OP_NEG, HG_DTYPE_FLOAT32, lo, lo, 6) == HG_OK && mem[0] == -1.0f);
    hg_buffer_release(w);
    hg_buffer_release(lo);
    hg_buffer_release(hi);
    hg_buffer_release(a);
    hg_buffer_release(d);
    hg_buffer_release(o);
    hg_executor_release(ex);
    hg_executor_release(other);
}

static void test_lifetimes(void) {
    hg_executor *ex = new_executor();
    hg_buffer *a = new_buffer(ex, 4, HG_DTYPE_FLOAT32), *b = new_buffer(ex, 4, HG_DTYPE_FLOAT32);
    CHECK(hg_buffer_free(a) == HG_OK);
    CHECK(hg_buffer_free(a) == HG_OK); /* idempotent */
    CHECK(hg_buffer_is_freed(a));
    CHECK_ERR(hg_unary(ex, HG_OP_NEG, HG_DTYPE_FLOAT32, a, b, 4), HG_ERR_CLOSED, "freed");
    void *p = NULL;
    CHECK_ERR(hg_buffer_pin(a, &p), HG_ERR_CLOSED, "freed");
    /* a pinned view survives free and close; the memory goes at the last unpin */
    float *view = NULL;
    CHECK(hg_fill(ex, b, 7.0, 4) == HG_OK);
    CHECK(hg_buffer_pin(b, (void **)&view) == HG_OK);
    CHECK(hg_executor_close(ex) == HG_OK);
    CHECK(hg_executor_close(ex) == HG_OK);
    CHECK(hg_executor_is_closed(ex));
    CHECK(view[3] == 7.0f); /* still readable: ASan would flag a use after free */
    CHECK_ERR(hg_fill(ex, b, 1.0, 4), HG_ERR_CLOSED, "closed");
    CHECK_ERR(hg_buffer_allocate(ex, 4, HG_DTYPE_FLOAT32, &a), HG_ERR_CLOSED, "closed");
    CHECK_ERR(hg_executor_synchronize(ex), HG_ERR_CLOSED, "closed");
    int64_t live = 0, bytes = 0;
    CHECK(live_stats(ex, &live, &bytes) == HG_OK && live == 1);
    hg_buffer_unpin(b);
    CHECK(live_stats(ex, &live, &bytes) == HG_OK && live == 0 && bytes == 0);
    hg_buffer_release(a);
    hg_buffer_release(b);
    hg_executor_release(ex);
}

static void test_many_allocations(void) {
    hg_executor *ex = new_executor();
    int ok = 1;
    for (int i = 0; i < 100000 && ok; i++) {
        hg_buffer *b = NULL;
        ok = hg_buffer_allocate(ex, 1024, HG_DTYPE_FLOAT32, &b) == HG_OK;
        if (ok) hg_buffer_release(b);
    }
    CHECK(ok);
    int64_t live = -1, bytes = -1;
    CHECK(live_stats(ex, &live, &bytes) == HG_OK && live == 0 && bytes == 0);
    hg_executor_release(ex);
}

static void test_cache(void) {
    hg_executor *ex = new_executor();
    hg_memory_stats st;
    hg_buffer *a = new_buffer(ex, 1000, HG_DTYPE_FLOAT32);
    void *pa = NULL, *pb = NULL;
    CHECK(hg_buffer_host_ptr(a, &pa) == HG_OK);
    hg_buffer_release(a);
    CHECK(hg_executor_memory_stats(ex, &st) == HG_OK);
    CHECK(st.live_buffers == 0 && st.cached_blocks == 1 && st.cached_bytes >= 4000 && st.cached_bytes <= 5000);
    /* same size class (990 floats round to the same block): the block comes back */
    hg_buffer *b = new_buffer(ex, 990, HG_DTYPE_FLOAT32);
    CHECK(hg_buffer_host_ptr(b, &pb) == HG_OK && pb == pa);
    CHECK(hg_executor_memory_stats(ex, &st) == HG_OK && st.cached_blocks == 0 && st.peak_bytes == 4000);
    hg_buffer_release(b);
    CHECK(hg_executor_empty_cache(ex) == HG_OK);
    CHECK(hg_executor_memory_stats(ex, &st) == HG_OK && st.cached_blocks == 0 && st.cached_bytes == 0);
    /* the limit bounds the cache: with 0 nothing is kept */
    CHECK(hg_executor_set_cache_limit(ex, 0) == HG_OK);
    b = new_buffer(ex, 1000, HG_DTYPE_FLOAT32);
    hg_buffer_release(b);
    CHECK(hg_executor_memory_stats(ex, &st) == HG_OK && st.cached_blocks == 0 && st.cache_limit == 0);
    CHECK_ERR(hg_executor_set_cache_limit(ex, -1), HG_ERR_INVALID_ARGUMENT, ">= 0");
    /* a limit below the cached bytes shrinks the cache at once */
    CHECK(hg_executor_set_cache_limit(ex, 1 << 20) == HG_OK);
    hg_buffer *many[8];
    for (int i = 0; i < 8; i++) many[i] = new_buffer(ex, 4096 * (i + 1), HG_DTYPE_FLOAT32);
    for (int i = 0; i < 8; i++) hg_buffer_release(many[i]);
    CHECK(hg_executor_memory_stats(ex, &st) == HG_OK && st.cached_bytes > 0 && st.cached_bytes <= (1 << 20));
    CHECK(hg_executor_set_cache_limit(ex, 20000) == HG_OK);
    CHECK(hg_executor_memory_stats(ex, &st) == HG_OK && st.cached_bytes <= 20000);
    hg_executor_release(ex); /* the cached blocks go with the context: ASan reports leaks */
}

/* One thread keeps running ops while another frees the buffer: the runner
   must get HG_ERR_CLOSED at some point and never touch freed memory (ASan
   checks the second part). */
struct race {
    hg_executor *ex;
    hg_buffer *buf;
    int saw_closed;
};

static void *run_until_closed(void *arg) {
    struct race *r = arg;
    for (int i = 0; i < 1000000; i++) {
        hg_status st = hg_unary(r->ex, HG_OP_EXP, HG_DTYPE_FLOAT32, r->buf, r->buf, 1 << 16);
        if (st == HG_ERR_CLOSED) {
            r->saw_closed = 1;
            break;
        }
    }
    return NULL;
}

static void test_free_while_running(void) {
    for (int round = 0; round < 2; round++) {
        struct race r = {new_executor(), NULL, 0};
        r.buf = new_buffer(r.ex, 1 << 16, HG_DTYPE_FLOAT32);
        CHECK(hg_fill(r.ex, r.buf, 0.0, 1 << 16) == HG_OK);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, run_until_closed, &r) == 0);
        for (volatile int spin = 0; spin < 200000; spin++) {}
        if (round == 0) CHECK(hg_buffer_free(r.buf) == HG_OK);
        else CHECK(hg_executor_close(r.ex) == HG_OK);
        pthread_join(t, NULL);
        CHECK(r.saw_closed);
        hg_buffer_release(r.buf);
        hg_executor_release(r.ex);
    }
}

/* Elementwise ops whose operands outgrow the last-level cache (at most
   64 MiB) stream their output from a staging block (cpu_parallel.c): every
   element lands, the bytes around the output stay untouched, for outputs
   starting off a cache line and lengths that leave a tail; in place too. */
static void test_streamed_outputs(void) {
    hg_executor *ex = new_executor();
    const int64_t n = 6000013; /* 3 operands of 24 MB */
    float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
    float *backing = malloc((size_t)(n + 32) * sizeof(float));
    CHECK(a && b && backing);
    if (!a || !b || !backing) {
        free(a), free(b), free(backing);
        hg_executor_release(ex);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        a[i] = (float)(i % 1000) - 500.0f;
        b[i] = (float)(i % 77) * 0.5f;
    }
    for (int skew = 0; skew < 17; skew += 8) {
        for (int64_t i = 0; i < n + 32; i++) backing[i] = -1.0f;
        float *out = backing + skew;
        CHECK(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, (uintptr_t)a, (uintptr_t)b, (uintptr_t)out, n) == HG_OK);
        int64_t wrong = 0;
        for (int64_t i = 0; i < n; i++) wrong += out[i] != a[i] + b[i];
        for (int64_t i = 0; i < skew; i++) wrong += backing[i] != -1.0f;
        for (int64_t i = skew + n; i < n + 32; i++) wrong += backing[i] != -1.0f;
        CHECK(wrong == 0);
    }
    CHECK(hg_binary_host(ex, HG_OP_MUL, HG_DTYPE_FLOAT32, (uintptr_t)a, (uintptr_t)a, (uintptr_t)a, n) == HG_OK);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; i++) {
        const float v = (float)(i % 1000) - 500.0f;
        wrong += a[i] != v * v;
    }
    CHECK(wrong == 0);
    free(a);
    free(b);
    free(backing);
    hg_executor_release(ex);
}

/* The *_host calls: the same ops on caller memory, with the buffer calls' checks. */
static void test_host_calls(void) {
    hg_executor *ex = new_executor();
    float a[6] = {1, -2, 3, -4, 5, -6}, b[6] = {10, 20, 30, 40, 50, 60}, out[6] = {0};
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b, po = (uintptr_t)out;
    CHECK(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, pa, pb, po, 6) == HG_OK);
    CHECK(out[0] == 11 && out[5] == 54);
    CHECK(hg_unary_host(ex, HG_OP_RELU, HG_DTYPE_FLOAT32, pa, po, 6) == HG_OK);
    CHECK(out[0] == 1 && out[1] == 0 && out[4] == 5 && out[5] == 0);
    CHECK(hg_scalar_host(ex, HG_OP_MUL_SCALAR, HG_DTYPE_FLOAT32, pa, po, 6, 2.0, 0.0) == HG_OK);
    CHECK(out[2] == 6 && out[3] == -8);
    CHECK(hg_rowwise_host(ex, HG_OP_SOFTMAX, HG_DTYPE_FLOAT32, pb, po, 2, 3) == HG_OK);
    CHECK(fabsf(out[0] + out[1] + out[2] - 1.0f) < 1e-6f && out[2] > out[1]);
    CHECK(hg_reduce_host(ex, HG_OP_SUM, HG_DTYPE_FLOAT32, pb, po, 2, 3) == HG_OK);
    CHECK(out[0] == 60 && out[1] == 150);
    CHECK(hg_loss_host(ex, HG_OP_MSE, HG_DTYPE_FLOAT32, pa, pa, po, 1, 6) == HG_OK && out[0] == 0);
    /* (2x3) @ (3x2), then the same with b transposed in place */
    double x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {1, 0, 0, 1, 1, 1}, z[4] = {0};
    CHECK(hg_gemm_host(ex, HG_DTYPE_FLOAT64, (uintptr_t)x, (uintptr_t)y, (uintptr_t)z, 2, 2, 3, 0, 0, 1.0, 0.0)
          == HG_OK);
    CHECK(z[0] == 4 && z[1] == 5 && z[2] == 10 && z[3] == 11);
    CHECK(hg_gemm_host(ex, HG_DTYPE_FLOAT64, (uintptr_t)x, (uintptr_t)x, (uintptr_t)z, 2, 2, 3, 0, 1, 1.0, 0.0)
          == HG_OK);
    CHECK(z[0] == 14 && z[1] == 32 && z[3] == 77);
    /* in place is fine, as with buffers; a partial overlap is not */
    CHECK(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, po, po, po, 6) == HG_OK);
    CHECK_ERR(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, pa, pb, pa + 4, 5), HG_ERR_INVALID_ARGUMENT,
              "overlaps");
    CHECK_ERR(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, 0, pb, po, 6), HG_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, 0, 0, 0, 0) == HG_OK); /* n = 0 touches nothing */
    CHECK_ERR(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, pa + 1, pb, po, 4), HG_ERR_INVALID_ARGUMENT,
              "aligned");
    CHECK_ERR(hg_binary_host(ex, HG_OP_ADD, HG_DTYPE_FLOAT32, pa, pb, po, -1), HG_ERR_INVALID_ARGUMENT, ">= 0");
    CHECK_ERR(hg_binary_host(ex, HG_OP_ADD, 99, pa, pb, po, 6), HG_ERR_DTYPE, "dtype");
    CHECK_ERR(hg_binary_host(ex, HG_OP_RELU, HG_DTYPE_FLOAT32, pa, pb, po, 6), HG_ERR_INVALID_ARGUMENT,
              "not a binary op");
    CHECK_ERR(hg_gemm_host(ex, HG_DTYPE_FLOAT64, (uintptr_t)x, (uintptr_t)y, (uintptr_t)z, INT64_MAX, 2, 3, 0, 0,
                           1.0, 0.0), HG_ERR_INVALID_ARGUMENT, ">= 0");
    CHECK_ERR(hg_binary_host(NULL, HG_OP_ADD, HG_DTYPE_FLOAT32, pa, pb, po, 6), HG_ERR_INVALID_ARGUMENT, "NULL");
    int64_t live = -1, bytes = -1;
    CHECK(live_stats(ex, &live, &bytes) == HG_OK && live == 0 && bytes == 0); /* no handle was left behind */
    CHECK(hg_executor_close(ex) == HG_OK);
    CHECK_ERR(hg_unary_host(ex, HG_OP_RELU, HG_DTYPE_FLOAT32, pa, po, 6), HG_ERR_CLOSED, "closed");
    hg_executor_release(ex);
}

/* A host call racing a close either finishes before the context goes or sees the close. */
struct host_race {
    hg_executor *ex;
    float *data;
    int saw_closed;
};

static void *host_calls_until_closed(void *arg) {
    struct host_race *r = arg;
    for (;;) {
        hg_status st = hg_unary_host(r->ex, HG_OP_EXP, HG_DTYPE_FLOAT32, (uintptr_t)r->data,
                                     (uintptr_t)r->data, 1 << 16);
        if (st == HG_ERR_CLOSED) {
            r->saw_closed = 1;
            return NULL;
        }
        if (st != HG_OK) return NULL;
    }
}

static void test_close_during_host_calls(void) {
    struct host_race r = {new_executor(), calloc(1 << 16, sizeof(float)), 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, host_calls_until_closed, &r) == 0);
    for (volatile int spin = 0; spin < 200000; spin++) {}
    CHECK(hg_executor_close(r.ex) == HG_OK);
    pthread_join(t, NULL);
    CHECK(r.saw_closed);
    free(r.data);
    hg_executor_release(r.ex);
}

int main(void) {
    const char *lib = getenv("HOLOGRAM_LIB");
    if (!lib) {
        fprintf(stderr, "set HOLOGRAM_LIB to the library holding the core and CPU backend\n");
        return 2;
    }
    if (hg_backend_load(lib, "hg_cpu_backend_entry", &cpu) != HG_OK) {
        fprintf(stderr, "cannot load the CPU backend: %s\n", hg_last_error());
        return 1;
    }
    test_loading(lib);
    test_roundtrip_and_ops();
    test_validation();
    test_lifetimes();
    test_many_allocations();
    test_free_while_running();
    test_cache();
    test_host_calls();
    test_streamed_outputs();
    test_close_during_host_calls();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
