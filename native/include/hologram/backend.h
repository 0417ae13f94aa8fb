/*
 * backend.h -- the plugin ABI every Hologram backend implements, the built-in
 * CPU backend included.
 *
 * A backend is a shared library exporting one function:
 *
 *     const hg_backend_vtable *hg_backend_entry(uint32_t host_abi_version,
 *                                               const hg_host_api *host);
 *
 * The host passes the ABI version it speaks and a table of services (error
 * reporting). The backend returns a pointer to a static vtable, or NULL if it
 * cannot serve that host version (after host->set_error explaining why).
 * The host refuses a vtable whose abi_version differs from its own or whose
 * struct_size is smaller than the members it needs.
 *
 * Compatibility rules: members are only ever appended; a new member is read
 * only when struct_size shows the backend has it. Kernels are looked up by
 * (op, dtype) through get_kernel, so adding an op never changes this layout.
 * Members marked (optional) may be NULL.
 */
#ifndef HOLOGRAM_BACKEND_H
#define HOLOGRAM_BACKEND_H

#include "hologram.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HG_BACKEND_ABI_VERSION 1u
#define HG_MAX_OPERANDS 4

/* Flags of hg_backend_vtable.flags. */
#define HG_BACKEND_FLAG_HOST_ADDRESSABLE 0x1u /* memory handles are host pointers */

/* DLPack device types a backend may report (subset of dlpack.h's DLDeviceType). */
#define HG_DLPACK_CPU 1
#define HG_DLPACK_CUDA 2
#define HG_DLPACK_VULKAN 7
#define HG_DLPACK_METAL 8
#define HG_DLPACK_WEBGPU 15

/* Every op of the ABI with a short name (an X-macro: X(HG_OP_ADD, add) ...), so that a
   backend can declare and table its kernels without listing the ops again. */
#define HG_OP_LIST(X)                                   \
    X(HG_OP_FILL, fill)                                 \
    X(HG_OP_COPY, copy)                                 \
    X(HG_OP_ADD, add)                                   \
    X(HG_OP_SUB, sub)                                   \
    X(HG_OP_MUL, mul)                                   \
    X(HG_OP_DIV, div)                                   \
    X(HG_OP_MAXIMUM, maximum)                           \
    X(HG_OP_MINIMUM, minimum)                           \
    X(HG_OP_ADD_SCALAR, add_scalar)                     \
    X(HG_OP_MUL_SCALAR, mul_scalar)                     \
    X(HG_OP_CLIP, clip)                                 \
    X(HG_OP_NEG, neg)                                   \
    X(HG_OP_ABS, abs)                                   \
    X(HG_OP_RELU, relu)                                 \
    X(HG_OP_SIGMOID, sigmoid)                           \
    X(HG_OP_TANH, tanh)                                 \
    X(HG_OP_EXP, exp)                                   \
    X(HG_OP_LOG, log)                                   \
    X(HG_OP_SQRT, sqrt)                                 \
    X(HG_OP_GELU, gelu)                                 \
    X(HG_OP_GELU_TANH, gelu_tanh)                       \
    X(HG_OP_SUM, sum)                                   \
    X(HG_OP_MAX, max)                                   \
    X(HG_OP_MIN, min)                                   \
    X(HG_OP_MEAN, mean)                                 \
    X(HG_OP_SOFTMAX, softmax)                           \
    X(HG_OP_LOG_SOFTMAX, log_softmax)                   \
    X(HG_OP_MSE, mse)                                   \
    X(HG_OP_CROSS_ENTROPY, cross_entropy)               \
    X(HG_OP_BINARY_CROSS_ENTROPY, binary_cross_entropy) \
    X(HG_OP_GEMM, gemm)                                 \
    X(HG_OP_MATVEC, matvec)

/* One kernel launch. Operands are backend memory handles (what alloc
   returned) plus a byte offset; the host has validated every size, dtype,
   alias and count before a kernel sees the arguments.

   Meaning of dims/scalars/operands per op family (see hologram.h):
     FILL                 out=operand[0], dims[0]=n, scalar[0]=value
     COPY, unary          in=operand[0], out=operand[1], dims[0]=n
     binary               a=operand[0], b=operand[1], out=operand[2], dims[0]=n
     ADD/MUL_SCALAR, CLIP in=operand[0], out=operand[1], dims[0]=n, scalar[0..1]
     reductions, row-wise in=operand[0], out=operand[1], dims[0]=rows, dims[1]=cols
     losses               pred=operand[0], target=operand[1], out=operand[2],
                          dims[0]=rows, dims[1]=cols
     GEMM                 A=operand[0], B=operand[1], C=operand[2],
                          dims = m, n, k; flags HG_ARG_TRANS_A / HG_ARG_TRANS_B;
                          scalar[0]=alpha, scalar[1]=beta (beta == 0: C is not read)
     MATVEC               A=operand[0], x=operand[1], y=operand[2], dims = m, n
   rows/cols/n are >= 0; rows*cols can be 0. Reductions MAX/MIN never see cols == 0.
   An operand of zero elements may have a NULL handle: kernels must not touch it.

   Aliasing the host allows (it refuses every other overlap before a kernel runs):
     FILL/COPY, binary, scalar, unary and row-wise ops: the output may be exactly
     the same memory as an input (in place), so kernels must read element i before
     writing it; reductions, losses, GEMM and MATVEC: the output never overlaps an
     input (inputs may overlap each other, e.g. GEMM(A, A)). */
#define HG_ARG_TRANS_A 0x1u
#define HG_ARG_TRANS_B 0x2u

typedef struct hg_op_args {
    uint32_t op;      /* hg_op    */
    uint32_t dtype;   /* hg_dtype */
    uint32_t flags;   /* HG_ARG_* */
    uint32_t num_operands;
    int64_t dims[4];
    double scalar[4];
    void *operand[HG_MAX_OPERANDS];
    uint64_t offset[HG_MAX_OPERANDS]; /* bytes */
} hg_op_args;

/* A kernel: runs (or enqueues) one op on `ctx`. */
typedef hg_status (*hg_kernel_fn)(void *ctx, const hg_op_args *args);

/* Services the host offers a backend. */
typedef struct hg_host_api {
    uint32_t abi_version;
    uint32_t struct_size;
    /* Sets the calling thread's error detail; returns `status` for tail calls. */
    hg_status (*set_error)(hg_status status, const char *fmt, ...);
} hg_host_api;

typedef struct hg_backend_vtable {
    uint32_t abi_version;   /* HG_BACKEND_ABI_VERSION the backend was built for */
    uint32_t struct_size;   /* sizeof(hg_backend_vtable) as the backend saw it  */
    const char *name;       /* "cpu", "cuda", ...: lowercase, no spaces          */
    const char *version;    /* the backend's own version string                  */
    uint32_t flags;         /* HG_BACKEND_FLAG_*                                 */
    int32_t dlpack_device_type;

    /* Can this machine run the backend? score > 0 if so (higher preferred);
       otherwise write a reason a user can act on into `reason`. */
    hg_status (*probe)(int32_t *score_out, char *reason, size_t reason_capacity);
    hg_status (*device_count)(int32_t *count_out);

    hg_status (*context_create)(int32_t device, void **ctx_out);
    void (*context_destroy)(void *ctx);

    hg_status (*alloc)(void *ctx, uint64_t nbytes, void **mem_out);
    void (*free)(void *ctx, void *mem);
    /* host -> backend and backend -> host, one bulk copy each, ordered after
       the ops queued on ctx; copy_to_host returns once the bytes are on the host. */
    hg_status (*copy_from_host)(void *ctx, void *dst_mem, uint64_t dst_offset, const void *src, uint64_t nbytes);
    hg_status (*copy_to_host)(void *ctx, void *dst, const void *src_mem, uint64_t src_offset, uint64_t nbytes);
    /* Waits for every op queued on ctx. */
    hg_status (*synchronize)(void *ctx);

    /* (optional) The kernel for (op, dtype), or NULL if unsupported. Looked up
       once per executor and cached. */
    hg_kernel_fn (*get_kernel)(void *ctx, uint32_t op, uint32_t dtype);
    /* (optional) Host pointer of memory the CPU can address, else NULL. */
    void *(*host_ptr)(void *ctx, void *mem);
    /* (optional) Wrap caller host memory without copying (host-addressable
       backends). The returned handle is released with `unwrap`, never `free`. */
    hg_status (*wrap_host)(void *ctx, void *data, uint64_t nbytes, void **mem_out);
    void (*unwrap)(void *ctx, void *mem);

    /* ---- appended members: read only when struct_size covers them ---- */

    /* (optional) After a probe with score > 0: nonzero when the backend should
       run only when asked for by name, never be auto-selected (a software
       rasterizer is slower than the CPU backend); writes why into `reason`. */
    int32_t (*explicit_only)(char *reason, size_t reason_capacity);
    /* (optional) One line naming the device the backend drives
       ("NVIDIA H100 80GB HBM3 on Vulkan"), for `hologram info`; "" if unknown. */
    const char *(*describe)(void);

    /* ---- appended: memory on a device the CPU cannot address (CUDA) ---- */

    /* (optional) The address of `mem` as the backend's own device sees it (CUDA:
       the device pointer), exported zero-copy through DLPack; NULL if none. */
    void *(*device_ptr)(void *ctx, void *mem);
    /* (optional) The native queue the ops of ctx run on (CUDA: the cudaStream_t),
       as an integer, passed to DLPack producers as their `stream` argument. */
    uint64_t (*stream_handle)(void *ctx);
    /* (optional) Makes work submitted later to `consumer` (a DLPack consumer's
       `stream`: 1 = legacy default stream, 2 = per-thread default stream, any
       other value a native stream handle) wait for every op queued on ctx so far,
       without blocking the host (CUDA: an event recorded on ctx's stream). */
    hg_status (*export_fence)(void *ctx, uint64_t consumer);
    /* (optional) Wraps `nbytes` of the device's memory at `ptr` (a device
       address of this backend's device) without copying; released with
       `unwrap`, never `free`. */
    hg_status (*wrap_device)(void *ctx, void *ptr, uint64_t nbytes, void **mem_out);
} hg_backend_vtable;

/* The size of the first vtable layout of ABI v1 (up to `unwrap`): the host
   accepts any struct_size from here on, reading later members only when the
   size shows the backend has them. */
#define HG_BACKEND_VTABLE_MIN_SIZE (offsetof(hg_backend_vtable, unwrap) + sizeof(void (*)(void *, void *)))
/* True when vtable `vt` has member `member`. */
#define HG_BACKEND_HAS(vt, member) \
    ((vt)->struct_size >= offsetof(hg_backend_vtable, member) + sizeof((vt)->member) && (vt)->member)

typedef const hg_backend_vtable *(*hg_backend_entry_fn)(uint32_t host_abi_version, const hg_host_api *host);

#ifdef __cplusplus
}
#endif

#endif /* HOLOGRAM_BACKEND_H */
