/*
 * cu_internal.h -- what the host-side parts of the CUDA backend share.
 *
 * A context (one per executor) owns a non-blocking stream on its device, a
 * cuBLAS handle bound to that stream, a pinned staging buffer for the bulk
 * copies and a growable device scratch area for two-stage reductions. Every
 * op is queued on the stream and returns at once; copy_to_host and
 * synchronize are the only calls that wait. Memory handles are the device
 * pointers themselves.
 */
#ifndef HOLOGRAM_CU_INTERNAL_H
#define HOLOGRAM_CU_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "hologram/backend.h"

#ifndef HG_CUDA_VERSION_STRING
#define HG_CUDA_VERSION_STRING "0.1.0"
#endif

#define CU_EXPORT extern "C" __attribute__((visibility("default")))

/* Compute capability the kernels are built for at the lowest (sm_75, Turing). */
enum { CU_MIN_CC_MAJOR = 7, CU_MIN_CC_MINOR = 5 };

/* Threads per block of every kernel. */
enum { CU_BLOCK = 256 };

/* The pinned staging buffer: two slots, so a host memcpy into (or out of)
   one overlaps the DMA of the other. */
enum { CU_STAGING_SLOTS = 2 };
#define CU_STAGING_SLOT_BYTES ((size_t)4 << 20)

extern const hg_host_api *cu_host; /* set once by the entry */

typedef struct cu_context {
    int device;
    cudaStream_t stream;       /* cudaStreamNonBlocking: no implicit sync with stream 0 */
    cublasHandle_t blas;       /* bound to `stream` */
    int tf32;                  /* cuBLAS float32 GEMMs may use TF32 tensor cores */
    int sm_count;
    int pools;                 /* stream-ordered allocator (cudaMallocAsync) available */
    int max_blocks;            /* grid size cap of the grid-stride kernels */

    pthread_mutex_t copy_lock; /* guards the staging slots */
    unsigned char *staging;    /* CU_STAGING_SLOTS * CU_STAGING_SLOT_BYTES, pinned */
    cudaEvent_t slot_done[CU_STAGING_SLOTS]; /* the last DMA through each slot */
    cudaEvent_t fence;         /* export_fence */

    pthread_mutex_t scratch_lock; /* held from taking the scratch to the last launch using it */
    void *scratch;
    size_t scratch_bytes;
} cu_context;

/* Makes ctx's device current on the calling thread for one scope and puts
   the previous one back after (a framework sharing the thread keeps its own). */
struct cu_device_guard {
    int previous;
    int changed;
    explicit cu_device_guard(int device) : previous(-1), changed(0) {
        if (cudaGetDevice(&previous) != cudaSuccess) {
            (void)cudaGetLastError();
            previous = -1;
        }
        if (previous != device) {
            changed = cudaSetDevice(device) == cudaSuccess;
            if (!changed) (void)cudaGetLastError();
        }
    }
    ~cu_device_guard() {
        if (changed && previous >= 0) cudaSetDevice(previous);
    }
    cu_device_guard(const cu_device_guard &) = delete;
    cu_device_guard &operator=(const cu_device_guard &) = delete;
};

/* ---- errors (cu_device.cu) ---- */

/* set_error for a failed CUDA call: "cuda backend: <what> failed: <name>: <text>";
   clears the (non-sticky) error state. Returns the mapped status. */
hg_status cu_fail(cudaError_t err, const char *what);
/* HG_OK when `err` is cudaSuccess, else cu_fail. */
static inline hg_status cu_check(cudaError_t err, const char *what) {
    return err == cudaSuccess ? HG_OK : cu_fail(err, what);
}
/* After kernel launches: cudaGetLastError, reported as "<op> launch". */
hg_status cu_launch_check(const char *op);
hg_status cu_blas_fail(cublasStatus_t st, const char *what);

/* ---- devices and contexts (cu_device.cu) ---- */

/* The probe, done once per process: score 100 or 0 with the reason. */
int cu_probe_cached(char *reason, size_t capacity);
const char *cu_describe_device0(void);
hg_status cu_context_create(int32_t device, void **ctx_out);
void cu_context_destroy(void *ctx);
hg_status cu_set_tf32(cu_context *c, int enabled);
/* Device scratch of at least `bytes`, valid for work queued on c->stream
   until the next call (callers hold scratch_lock). NULL after set_error. */
void *cu_scratch(cu_context *c, size_t bytes);
/* Grid size for `work` independent items of a grid-stride kernel. */
static inline unsigned cu_grid(const cu_context *c, int64_t work) {
    int64_t blocks = (work + CU_BLOCK - 1) / CU_BLOCK;
    if (blocks > c->max_blocks) blocks = c->max_blocks;
    return blocks < 1 ? 1u : (unsigned)blocks;
}

/* ---- memory (cu_memory.cu) ---- */

hg_status cu_alloc(void *ctx, uint64_t nbytes, void **mem_out);
void cu_free(void *ctx, void *mem);
hg_status cu_copy_from_host(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src, uint64_t nbytes);
hg_status cu_copy_to_host(void *ctx, void *dst, const void *src_mem, uint64_t src_offset, uint64_t nbytes);
hg_status cu_synchronize(void *ctx);
void *cu_device_ptr(void *ctx, void *mem);
uint64_t cu_stream_handle(void *ctx);
hg_status cu_export_fence(void *ctx, uint64_t consumer);
hg_status cu_wrap_device(void *ctx, void *ptr, uint64_t nbytes, void **mem_out);
void cu_unwrap(void *ctx, void *mem);

/* ---- kernels ---- */

/* Operand i of an op: handle + byte offset; a NULL handle (zero elements) stays NULL. */
template <typename T>
static inline T *cu_operand(const hg_op_args *args, unsigned i) {
    char *base = (char *)args->operand[i];
    return base ? (T *)(base + args->offset[i]) : (T *)0;
}

static inline int cu_aligned16(const void *p) { return ((uintptr_t)p & 15u) == 0; }

/* Every (op, kernel name) pair; each name has a float32 and a float64 kernel,
   cu_<name>_f32 and cu_<name>_f64 (cu_kernels.cu builds the table from it). */
#define CU_KERNELS(X) HG_OP_LIST(X)

#define CU_DECLARE_KERNEL(op, name)                               \
    hg_status cu_##name##_f32(void *ctx, const hg_op_args *args); \
    hg_status cu_##name##_f64(void *ctx, const hg_op_args *args);
CU_KERNELS(CU_DECLARE_KERNEL)
#undef CU_DECLARE_KERNEL

/* Defines cu_<name>_f32/_f64 as calls of the template IMPL<float/double>. */
#define CU_INSTANTIATE(name, IMPL)                                                                      \
    hg_status cu_##name##_f32(void *ctx, const hg_op_args *args) { return IMPL<float>(ctx, args); }   \
    hg_status cu_##name##_f64(void *ctx, const hg_op_args *args) { return IMPL<double>(ctx, args); }

hg_kernel_fn cu_get_kernel(void *ctx, uint32_t op, uint32_t dtype);

#endif /* HOLOGRAM_CU_INTERNAL_H */
