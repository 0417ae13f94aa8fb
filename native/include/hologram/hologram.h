/*
 * hologram.h -- the public C API of Hologram.
 *
 * Conventions (XNNPACK-style):
 *   - every fallible call returns hg_status; HG_OK is 0;
 *   - the detail of the last failure on the calling thread is hg_last_error();
 *   - results come back through trailing *_out pointers;
 *   - handles are opaque and reference counted: a handle stays a valid pointer
 *     until its last reference is released, so using a closed executor or a
 *     freed buffer is reported as an error, never a crash.
 *
 * This header is also the cffi cdef (the build strips the preprocessor lines),
 * so it must stay macro-free between the include guard: plain typedefs, enums
 * with explicit values and prototypes only.
 */
#ifndef HOLOGRAM_HOLOGRAM_H
#define HOLOGRAM_HOLOGRAM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------ */

typedef enum hg_status {
    HG_OK = 0,
    HG_ERR_INVALID_ARGUMENT = 1,    /* a value is out of range (Python: ValueError)      */
    HG_ERR_DTYPE = 2,               /* wrong or unsupported dtype (TypeError)            */
    HG_ERR_SHAPE = 3,               /* sizes do not fit the buffers (ValueError)         */
    HG_ERR_OUT_OF_MEMORY = 4,       /* allocation failed (MemoryError)                   */
    HG_ERR_CLOSED = 5,              /* executor closed or buffer freed                   */
    HG_ERR_EXECUTOR_MISMATCH = 6,   /* buffers of two executors in one call (ValueError) */
    HG_ERR_READ_ONLY = 7,           /* writing into a read-only buffer (ValueError)      */
    HG_ERR_UNSUPPORTED = 8,         /* op/dtype not implemented by the backend           */
    HG_ERR_NOT_HOST_ADDRESSABLE = 9,/* the CPU cannot address this memory                */
    HG_ERR_BACKEND_UNAVAILABLE = 10,/* backend cannot start on this machine              */
    HG_ERR_ABI_MISMATCH = 11,       /* plugin built for another backend ABI              */
    HG_ERR_LOAD_FAILED = 12,        /* dlopen/dlsym of a plugin failed                   */
    HG_ERR_BACKEND = 13,            /* the backend reported a failure                    */
    HG_ERR_INTERNAL = 14            /* a bug in hologram                                 */
} hg_status;

/* Thread-local, human-readable detail of the last failure on this thread. */
const char *hg_last_error(void);
const char *hg_status_name(hg_status status);
const char *hg_version(void);
uint32_t hg_backend_abi_version(void);

/* ---- dtypes ------------------------------------------------------------ */

typedef enum hg_dtype {
    HG_DTYPE_FLOAT32 = 0,
    HG_DTYPE_FLOAT64 = 1,
    HG_DTYPE_FLOAT16 = 2,   /* reserved: no kernels yet */
    HG_DTYPE_BFLOAT16 = 3,  /* reserved: no kernels yet */
    HG_DTYPE_INT32 = 4,     /* reserved: no kernels yet */
    HG_DTYPE_COUNT = 5
} hg_dtype;

/* Passed as `expect` to the op calls: accept the dtype of the first operand. */
enum { HG_DTYPE_ANY = -1 };

size_t hg_dtype_size(int32_t dtype);

/* ---- ops --------------------------------------------------------------- */

typedef enum hg_op {
    HG_OP_FILL = 0,          /* out[i] = scalar0                                  */
    HG_OP_COPY = 1,          /* out[i] = in0[i]                                   */
    /* binary elementwise: out = in0 (op) in1 */
    HG_OP_ADD = 2,
    HG_OP_SUB = 3,
    HG_OP_MUL = 4,
    HG_OP_DIV = 5,
    HG_OP_MAXIMUM = 6,       /* NaN propagates, as np.maximum                     */
    HG_OP_MINIMUM = 7,
    /* with scalars: out = f(in0, scalar0[, scalar1]) */
    HG_OP_ADD_SCALAR = 8,
    HG_OP_MUL_SCALAR = 9,
    HG_OP_CLIP = 10,         /* min(max(x, scalar0), scalar1), NaN propagates     */
    /* unary elementwise */
    HG_OP_NEG = 11,
    HG_OP_ABS = 12,
    HG_OP_RELU = 13,
    HG_OP_SIGMOID = 14,
    HG_OP_TANH = 15,
    HG_OP_EXP = 16,
    HG_OP_LOG = 17,
    HG_OP_SQRT = 18,
    HG_OP_GELU = 19,         /* 0.5 x (1 + erf(x / sqrt 2))                        */
    HG_OP_GELU_TANH = 20,    /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   */
    /* reductions over the last axis of a rows x cols view: out[r] */
    HG_OP_SUM = 21,
    HG_OP_MAX = 22,          /* NaN propagates                                    */
    HG_OP_MIN = 23,
    HG_OP_MEAN = 24,
    /* row-wise over the last axis of a rows x cols view: out has rows x cols */
    HG_OP_SOFTMAX = 25,
    HG_OP_LOG_SOFTMAX = 26,
    /* losses over rows x cols (pred=in0, target=in1), one value into out[0]:
       MSE  = mean((p - t)^2) over all rows*cols elements
       CE   = -(1/rows) sum t * max(log p, -100)      (p: probabilities)
       BCE  = -mean(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100))
       the -100 clamp is PyTorch's, so p = 0 or 1 gives a finite loss. */
    HG_OP_MSE = 27,
    HG_OP_CROSS_ENTROPY = 28,
    HG_OP_BINARY_CROSS_ENTROPY = 29,
    /* linear algebra, row-major, contiguous */
    HG_OP_GEMM = 30,         /* C = alpha op(A) op(B) + beta C; beta == 0: C not read */
    HG_OP_MATVEC = 31,       /* y = A x, A is m x n                               */
    HG_OP_COUNT = 32
} hg_op;

/* ---- handles ----------------------------------------------------------- */

typedef struct hg_backend hg_backend;    /* a loaded backend library (never unloaded) */
typedef struct hg_executor hg_executor;  /* a backend context on one device           */
typedef struct hg_buffer hg_buffer;      /* memory owned by (or lent to) an executor  */

/* ---- backends ---------------------------------------------------------- */

/* Loads a backend from a shared library and calls its entry `symbol`
   (NULL means "hg_backend_entry"). The same (path, symbol) pair returns the
   same handle. Rejects ABI mismatches with HG_ERR_ABI_MISMATCH. */
hg_status hg_backend_load(const char *path, const char *symbol, hg_backend **backend_out);
const char *hg_backend_name(const hg_backend *backend);
const char *hg_backend_version(const hg_backend *backend);
/* 1 when the backend's memory can be read and written by the CPU. */
int32_t hg_backend_host_addressable(const hg_backend *backend);
/* Nonzero when the backend's memory is exported in place on its own device
   (DLPack with device addresses, CUDA) and foreign device memory adopted. */
int32_t hg_backend_exports_device_memory(const hg_backend *backend);
/* DLPack device type of the backend's memory (1 = kDLCPU, 2 = kDLCUDA, ...). */
int32_t hg_backend_dlpack_device_type(const hg_backend *backend);
/* score > 0: usable (higher is better); score <= 0: unusable, reason says why. */
hg_status hg_backend_probe(hg_backend *backend, int32_t *score_out, char *reason, size_t reason_capacity);
/* After a probe with score > 0: 1 when the backend runs only when asked for
   by name and is never auto-selected (a software rasterizer); reason says why. */
int32_t hg_backend_explicit_only(const hg_backend *backend, char *reason, size_t reason_capacity);
/* One line naming the device the backend drives, "" when it does not say. */
const char *hg_backend_describe(const hg_backend *backend);
hg_status hg_backend_device_count(hg_backend *backend, int32_t *count_out);
/* Space-separated names of the CPU features detected on this machine
   (cpuid and the OS's XCR0 on x86). */
const char *hg_cpu_features(void);
/* Space-separated kernel ISAs this machine can run, lowest first ("scalar avx2 avx512"). */
const char *hg_cpu_isa_list(void);
/* The ISA new CPU executors use: HOLOGRAM_ISA when set, else the best one.
   NULL (with hg_last_error) when HOLOGRAM_ISA names an ISA this machine lacks. */
const char *hg_cpu_isa(void);
/* Threads the CPU backend uses for one op, the caller included
   (HOLOGRAM_NUM_THREADS, else the CPUs this process may run on). */
int32_t hg_cpu_threads(void);

/* ---- executors --------------------------------------------------------- */

hg_status hg_executor_create(hg_backend *backend, int32_t device, hg_executor **executor_out);
/* Frees the memory of every buffer that is not exported (views keep theirs),
   then the backend context once nothing uses it. Idempotent. */
hg_status hg_executor_close(hg_executor *executor);
int32_t hg_executor_is_closed(const hg_executor *executor);
hg_status hg_executor_synchronize(hg_executor *executor);
hg_backend *hg_executor_backend(const hg_executor *executor);
int32_t hg_executor_device(const hg_executor *executor);
/* The backend's own context of the executor (what its context_create made), for a
   backend package's extension calls (hologram-cuda's TF32 switch); NULL once the
   executor is closed. The caller keeps the executor open while it uses it. */
void *hg_executor_backend_context(const hg_executor *executor);
/* The native queue the executor's ops run on (CUDA: its cudaStream_t), 0 if the
   backend has none; DLPack producers are given it as their `stream`. */
hg_status hg_executor_stream_handle(hg_executor *executor, uint64_t *handle_out);
/* Makes work submitted later to a DLPack consumer's `stream` (1: legacy default
   stream, 2: per-thread default stream, else a native handle) wait for the ops
   queued so far, without blocking the host where the backend can; a backend
   without fences synchronizes instead. */
hg_status hg_executor_export_fence(hg_executor *executor, uint64_t consumer);
/* Memory of an executor: live buffers, and freed blocks kept for reuse (the
   cache). Allocations reuse cached blocks of their size class, so allocating
   ops do not pay fresh page faults; the cache never exceeds cache_limit
   (HOLOGRAM_CACHE_LIMIT bytes, default 1 GiB). */
typedef struct hg_memory_stats {
    int64_t live_buffers;
    int64_t live_bytes;
    int64_t peak_bytes;
    int64_t cached_blocks;
    int64_t cached_bytes;
    int64_t cache_limit;
} hg_memory_stats;

hg_status hg_executor_memory_stats(const hg_executor *executor, hg_memory_stats *stats_out);
/* Returns every cached block to the backend. */
hg_status hg_executor_empty_cache(hg_executor *executor);
/* Changes the cache's byte limit (0 disables caching), shrinking it now. */
hg_status hg_executor_set_cache_limit(hg_executor *executor, int64_t limit_bytes);
void hg_executor_retain(hg_executor *executor);
void hg_executor_release(hg_executor *executor);

/* ---- buffers ----------------------------------------------------------- */

hg_status hg_buffer_allocate(hg_executor *executor, int64_t count, int32_t dtype, hg_buffer **buffer_out);
/* Zero-copy: the buffer uses the caller's host memory, which must outlive it.
   Only for backends whose memory is host-addressable. */
hg_status hg_buffer_wrap_host(hg_executor *executor, void *data, int64_t count, int32_t dtype,
                              int32_t read_only, hg_buffer **buffer_out);
/* Releases the memory now (or when the last export is unpinned); later use is
   HG_ERR_CLOSED. Idempotent. */
hg_status hg_buffer_free(hg_buffer *buffer);
void hg_buffer_retain(hg_buffer *buffer);
void hg_buffer_release(hg_buffer *buffer);
/* Exports (NumPy views, DLPack) pin the memory: free/close defer to the last unpin. */
hg_status hg_buffer_pin(hg_buffer *buffer, void **host_data_out);
void hg_buffer_unpin(hg_buffer *buffer);
/* Device-memory exports (DLPack on the backend's own device): pins like
   hg_buffer_pin and gives the address the device uses (NULL for 0 bytes);
   HG_ERR_NOT_HOST_ADDRESSABLE when the backend exports no device addresses. */
hg_status hg_buffer_pin_device(hg_buffer *buffer, void **device_ptr_out);
/* Zero-copy adoption of the backend device's memory at `device_ptr` (another
   library's, through DLPack), which must outlive the buffer. */
hg_status hg_buffer_wrap_device(hg_executor *executor, void *device_ptr, int64_t count, int32_t dtype,
                                int32_t read_only, hg_buffer **buffer_out);

int64_t hg_buffer_count(const hg_buffer *buffer);
int32_t hg_buffer_dtype(const hg_buffer *buffer);
int32_t hg_buffer_is_freed(const hg_buffer *buffer);
int32_t hg_buffer_is_read_only(const hg_buffer *buffer);
hg_executor *hg_buffer_executor(const hg_buffer *buffer);
/* Host pointer of host-addressable memory (HG_ERR_NOT_HOST_ADDRESSABLE otherwise). */
hg_status hg_buffer_host_ptr(hg_buffer *buffer, void **data_out);
/* One bulk copy each way; offset and nbytes in bytes. */
hg_status hg_buffer_write(hg_buffer *buffer, uint64_t offset, const void *src, uint64_t nbytes);
hg_status hg_buffer_read(hg_buffer *buffer, uint64_t offset, void *dst, uint64_t nbytes);

/* ---- op calls -----------------------------------------------------------
   `expect` is the dtype the caller requires (HG_DTYPE_ANY: the first
   operand's); every operand must have that dtype and belong to `executor`.
   Counts are signed so that negative values are reported, not wrapped. */

hg_status hg_fill(hg_executor *executor, hg_buffer *out, double value, int64_t n);
hg_status hg_copy(hg_executor *executor, hg_buffer *src, hg_buffer *dst, int64_t n);
hg_status hg_binary(hg_executor *executor, int32_t op, int32_t expect,
                    hg_buffer *a, hg_buffer *b, hg_buffer *out, int64_t n);
hg_status hg_unary(hg_executor *executor, int32_t op, int32_t expect,
                   hg_buffer *a, hg_buffer *out, int64_t n);
hg_status hg_scalar(hg_executor *executor, int32_t op, int32_t expect,
                    hg_buffer *a, hg_buffer *out, int64_t n, double scalar0, double scalar1);
/* rows x cols -> out[rows]; result_out (may be NULL) receives out[0]. */
hg_status hg_reduce(hg_executor *executor, int32_t op, int32_t expect,
                    hg_buffer *a, hg_buffer *out, int64_t rows, int64_t cols, double *result_out);
hg_status hg_rowwise(hg_executor *executor, int32_t op, int32_t expect,
                     hg_buffer *a, hg_buffer *out, int64_t rows, int64_t cols);
hg_status hg_loss(hg_executor *executor, int32_t op, int32_t expect,
                  hg_buffer *pred, hg_buffer *target, hg_buffer *out,
                  int64_t rows, int64_t cols, double *result_out);
hg_status hg_gemm(hg_executor *executor, int32_t expect, hg_buffer *a, hg_buffer *b, hg_buffer *c,
                  int64_t m, int64_t n, int64_t k, int32_t trans_a, int32_t trans_b,
                  double alpha, double beta);
hg_status hg_matvec(hg_executor *executor, int32_t expect, hg_buffer *a, hg_buffer *x, hg_buffer *y,
                    int64_t m, int64_t n);

/* ---- op calls on caller-owned host memory --------------------------------
   The same ops on raw addresses (integers, as frameworks hand them out:
   torch's data_ptr()) instead of buffers, for host-addressable backends:
   each operand is a C-contiguous array of `dtype` that must stay valid for
   the call. No handle is created; validation, aliasing rules and kernels are
   those of the buffer calls above. Reductions and losses write out[0..]
   only (read it back from your own memory). */

hg_status hg_binary_host(hg_executor *executor, int32_t op, int32_t dtype,
                         uintptr_t a, uintptr_t b, uintptr_t out, int64_t n);
hg_status hg_unary_host(hg_executor *executor, int32_t op, int32_t dtype,
                        uintptr_t a, uintptr_t out, int64_t n);
hg_status hg_scalar_host(hg_executor *executor, int32_t op, int32_t dtype,
                         uintptr_t a, uintptr_t out, int64_t n, double scalar0, double scalar1);
hg_status hg_rowwise_host(hg_executor *executor, int32_t op, int32_t dtype,
                          uintptr_t a, uintptr_t out, int64_t rows, int64_t cols);
hg_status hg_reduce_host(hg_executor *executor, int32_t op, int32_t dtype,
                         uintptr_t a, uintptr_t out, int64_t rows, int64_t cols);
hg_status hg_loss_host(hg_executor *executor, int32_t op, int32_t dtype,
                       uintptr_t pred, uintptr_t target, uintptr_t out, int64_t rows, int64_t cols);
hg_status hg_gemm_host(hg_executor *executor, int32_t dtype, uintptr_t a, uintptr_t b, uintptr_t c,
                       int64_t m, int64_t n, int64_t k, int32_t trans_a, int32_t trans_b,
                       double alpha, double beta);

#ifdef __cplusplus
}
#endif

#endif /* HOLOGRAM_HOLOGRAM_H */
