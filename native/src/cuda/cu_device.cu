/*
 * cu_device.cu -- the probe, the device description, contexts (stream,
 * cuBLAS handle, pinned staging, scratch) and CUDA error reporting.
 *
 * The probe runs once per process and never crashes without a driver or a
 * GPU: the CUDA runtime loads libcuda.so.1 lazily and reports its absence
 * as an error code, which becomes a reason with a remedy.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_internal.h"

/* snprintf for messages: truncation of an over-long message is acceptable. */
static void cu_format(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cu_format(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* ---- errors ---------------------------------------------------------------- */

hg_status cu_fail(cudaError_t err, const char *what) {
    (void)cudaGetLastError(); /* clears a non-sticky error so the next op does not see it */
    const hg_status st = err == cudaErrorMemoryAllocation ? HG_ERR_OUT_OF_MEMORY : HG_ERR_BACKEND;
    return cu_host->set_error(st, "cuda backend: %s failed: %s: %s", what, cudaGetErrorName(err),
                              cudaGetErrorString(err));
}

hg_status cu_launch_check(const char *op) {
    const cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess) return HG_OK;
    char what[96];
    cu_format(what, sizeof what, "%s (kernel launch)", op);
    return cu_fail(err, what);
}

hg_status cu_blas_fail(cublasStatus_t st, const char *what) {
    (void)cudaGetLastError();
    const hg_status status = st == CUBLAS_STATUS_ALLOC_FAILED ? HG_ERR_OUT_OF_MEMORY : HG_ERR_BACKEND;
    return cu_host->set_error(status, "cuda backend: %s failed: %s", what, cublasGetStatusString(st));
}

/* ---- probe ----------------------------------------------------------------- */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_score;
static char probe_reason[512];
static char device0_description[320];

static void version_text(int v, char *buf, size_t cap) { cu_format(buf, cap, "%d.%d", v / 1000, (v % 1000) / 10); }

/* The driver version this build needs: the runtime's major release (CUDA's
   minor-version compatibility covers the rest), and at least the toolkit
   the kernels were compiled with, whose PTX newer GPUs JIT-compile. */
static int needed_driver_version(int runtime) {
    int need = runtime / 1000 * 1000;
    if (need < CUDART_VERSION) need = CUDART_VERSION;
    return need;
}

static void driver_too_old(int driver, int runtime) {
    char have[16], need[16];
    version_text(driver, have, sizeof have);
    version_text(needed_driver_version(runtime), need, sizeof need);
    cu_format(probe_reason, sizeof probe_reason,
             "the NVIDIA driver supports CUDA %s but hologram-cuda needs CUDA %s: update the driver", have, need);
}

static void no_gpu_reason(void) {
    const char *visible = getenv("CUDA_VISIBLE_DEVICES");
    if (visible)
        cu_format(probe_reason, sizeof probe_reason,
                 "no CUDA-capable GPU is visible (CUDA_VISIBLE_DEVICES=%s hides every GPU?): unset it or list a "
                 "GPU that nvidia-smi shows",
                 visible);
    else
        cu_format(probe_reason, sizeof probe_reason,
                 "no CUDA-capable GPU is visible: check that nvidia-smi lists one (in a container, run it with "
                 "--gpus all)");
}

static void probe_run(void) {
    probe_score = 0;
    /* The runtime would dlopen libcuda.so.1 itself; doing it first gives the
       precise reason when it is missing. */
    void *libcuda = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!libcuda) {
        const char *why = dlerror();
        const char prefix[] = "libcuda.so.1: ";
        if (why && strncmp(why, prefix, sizeof prefix - 1) == 0) why += sizeof prefix - 1;
        cu_format(probe_reason, sizeof probe_reason,
                 "no NVIDIA driver found (libcuda.so.1 could not be loaded%s%s): install the NVIDIA driver",
                 why ? ": " : "", why ? why : "");
        return;
    }
    dlclose(libcuda);

    int driver = 0, runtime = 0;
    if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = CUDART_VERSION;
    if (cudaDriverGetVersion(&driver) != cudaSuccess || driver == 0) {
        (void)cudaGetLastError();
        cu_format(probe_reason, sizeof probe_reason,
                 "no usable NVIDIA driver (libcuda.so.1 loads but reports no CUDA version): reinstall the NVIDIA "
                 "driver");
        return;
    }
    if (driver < needed_driver_version(runtime)) {
        driver_too_old(driver, runtime);
        return;
    }

    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        switch (err) {
        case cudaErrorNoDevice:
            no_gpu_reason();
            break;
        case cudaErrorInsufficientDriver:
        case cudaErrorCallRequiresNewerDriver:
            driver_too_old(driver, runtime);
            break;
        case cudaErrorStubLibrary:
            cu_format(probe_reason, sizeof probe_reason,
                     "libcuda.so.1 is the CUDA toolkit's stub library, not a driver: install the NVIDIA driver, "
                     "or remove the toolkit's lib64/stubs directory from LD_LIBRARY_PATH");
            break;
        case cudaErrorSystemDriverMismatch:
            cu_format(probe_reason, sizeof probe_reason,
                     "the NVIDIA kernel module and libcuda.so.1 are different driver versions: reboot, or "
                     "reinstall the driver so both match");
            break;
        case cudaErrorCompatNotSupportedOnDevice:
            cu_format(probe_reason, sizeof probe_reason,
                     "the CUDA forward-compatibility driver in use does not support this GPU: remove the "
                     "cuda-compat package from LD_LIBRARY_PATH or update the NVIDIA driver");
            break;
        case cudaErrorDevicesUnavailable:
            cu_format(probe_reason, sizeof probe_reason,
                     "every GPU is busy or in exclusive-process compute mode (cudaErrorDevicesUnavailable): free "
                     "one, or change the mode with nvidia-smi -c DEFAULT");
            break;
        default:
            cu_format(probe_reason, sizeof probe_reason,
                     "the CUDA driver failed to initialise (%s: %s): check nvidia-smi and the kernel log (dmesg)",
                     cudaGetErrorName(err), cudaGetErrorString(err));
            break;
        }
        return;
    }
    if (count <= 0) {
        no_gpu_reason();
        return;
    }

    int usable = 0;
    char old[256] = "";
    for (int d = 0; d < count; ++d) {
        cudaDeviceProp prop;
        if (cudaGetDeviceProperties(&prop, d) != cudaSuccess) {
            (void)cudaGetLastError();
            continue;
        }
        if (d == 0) {
            const double gib = (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
            cu_format(device0_description, sizeof device0_description, "%s (sm_%d%d, %.*f GiB)", prop.name,
                     prop.major, prop.minor, gib < 10.0 ? 1 : 0, gib);
        }
        if (prop.major > CU_MIN_CC_MAJOR || (prop.major == CU_MIN_CC_MAJOR && prop.minor >= CU_MIN_CC_MINOR))
            usable++;
        else if (!old[0])
            cu_format(old, sizeof old, "%s (device %d) has compute capability %d.%d", prop.name, d, prop.major,
                     prop.minor);
    }
    if (!usable) {
        cu_format(probe_reason, sizeof probe_reason,
                 "%s%s, but hologram-cuda needs compute capability %d.%d (Turing) or newer: use a newer GPU or "
                 "the cpu backend",
                 old[0] ? old : "no GPU could be queried", count > 1 ? " (as every GPU here)" : "",
                 CU_MIN_CC_MAJOR, CU_MIN_CC_MINOR);
        return;
    }
    probe_score = 100;
    probe_reason[0] = '\0';
}

int cu_probe_cached(char *reason, size_t capacity) {
    pthread_once(&probe_once, probe_run);
    if (reason && capacity) cu_format(reason, capacity, "%s", probe_reason);
    return probe_score;
}

const char *cu_describe_device0(void) {
    pthread_once(&probe_once, probe_run);
    return device0_description;
}

/* ---- contexts -------------------------------------------------------------- */

static void context_release(cu_context *c) {
    if (c->stream) cudaStreamSynchronize(c->stream);
    if (c->blas) cublasDestroy(c->blas);
    if (c->scratch) cudaFree(c->scratch);
    if (c->staging) cudaFreeHost(c->staging);
    for (int i = 0; i < CU_STAGING_SLOTS; ++i)
        if (c->slot_done[i]) cudaEventDestroy(c->slot_done[i]);
    if (c->fence) cudaEventDestroy(c->fence);
    if (c->stream) cudaStreamDestroy(c->stream);
    pthread_mutex_destroy(&c->copy_lock);
    pthread_mutex_destroy(&c->scratch_lock);
    (void)cudaGetLastError();
    free(c);
}

hg_status cu_set_tf32(cu_context *c, int enabled) {
    const cublasStatus_t st =
        cublasSetMathMode(c->blas, enabled ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    if (st != CUBLAS_STATUS_SUCCESS) return cu_blas_fail(st, "cublasSetMathMode");
    c->tf32 = enabled != 0;
    return HG_OK;
}

hg_status cu_context_create(int32_t device, void **ctx_out) {
    char reason[512];
    if (cu_probe_cached(reason, sizeof reason) <= 0)
        return cu_host->set_error(HG_ERR_BACKEND_UNAVAILABLE, "cuda backend: %s", reason);
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) count = 0;
    if (device < 0 || device >= count)
        return cu_host->set_error(HG_ERR_INVALID_ARGUMENT, "cuda backend: device %d does not exist (%d visible: 0..%d)",
                                  (int)device, count, count - 1);
    cudaDeviceProp prop;
    hg_status st = cu_check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    if (st) return st;
    if (prop.major < CU_MIN_CC_MAJOR || (prop.major == CU_MIN_CC_MAJOR && prop.minor < CU_MIN_CC_MINOR))
        return cu_host->set_error(HG_ERR_BACKEND_UNAVAILABLE,
                                  "cuda backend: device %d (%s) has compute capability %d.%d; hologram-cuda needs "
                                  "%d.%d or newer",
                                  (int)device, prop.name, prop.major, prop.minor, CU_MIN_CC_MAJOR, CU_MIN_CC_MINOR);

    cu_context *c = (cu_context *)calloc(1, sizeof *c);
    if (!c) return cu_host->set_error(HG_ERR_OUT_OF_MEMORY, "out of host memory creating a cuda context");
    pthread_mutex_init(&c->copy_lock, NULL);
    pthread_mutex_init(&c->scratch_lock, NULL);
    c->device = device;
    c->sm_count = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
    c->max_blocks = c->sm_count * 8;

    cu_device_guard guard(device);
    int pools = 0;
    if (cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device) != cudaSuccess) pools = 0;
    c->pools = pools;
    st = cu_check(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    if (!st) {
        for (int i = 0; i < CU_STAGING_SLOTS && !st; ++i)
            st = cu_check(cudaEventCreateWithFlags(&c->slot_done[i], cudaEventDisableTiming), "cudaEventCreate");
    }
    if (!st) st = cu_check(cudaEventCreateWithFlags(&c->fence, cudaEventDisableTiming), "cudaEventCreate");
    if (!st)
        st = cu_check(cudaHostAlloc((void **)&c->staging, CU_STAGING_SLOTS * CU_STAGING_SLOT_BYTES,
                                    cudaHostAllocDefault),
                      "cudaHostAlloc (pinned staging buffer)");
    if (!st) {
        const cublasStatus_t bs = cublasCreate(&c->blas);
        if (bs != CUBLAS_STATUS_SUCCESS) {
            c->blas = NULL;
            st = cu_blas_fail(bs, "cublasCreate");
        }
    }
    if (!st) {
        const cublasStatus_t bs = cublasSetStream(c->blas, c->stream);
        if (bs != CUBLAS_STATUS_SUCCESS) st = cu_blas_fail(bs, "cublasSetStream");
    }
    if (!st) {
        const char *env = getenv("HOLOGRAM_CUDA_TF32");
        st = cu_set_tf32(c, env && strcmp(env, "1") == 0);
    }
    if (st) {
        context_release(c);
        return st;
    }
    *ctx_out = c;
    return HG_OK;
}

void cu_context_destroy(void *ctx) {
    cu_context *c = (cu_context *)ctx;
    if (!c) return;
    cu_device_guard guard(c->device);
    context_release(c);
}

/* ---- scratch --------------------------------------------------------------- */

void *cu_scratch(cu_context *c, size_t bytes) {
    if (bytes <= c->scratch_bytes && c->scratch) return c->scratch;
    size_t want = c->scratch_bytes ? c->scratch_bytes : (size_t)64 << 10;
    while (want < bytes) want *= 2;
    /* Work already queued may still use the old area: free it in stream order. */
    if (c->scratch) {
        if (c->pools)
            cudaFreeAsync(c->scratch, c->stream);
        else {
            cudaStreamSynchronize(c->stream);
            cudaFree(c->scratch);
        }
        (void)cudaGetLastError();
        c->scratch = NULL;
        c->scratch_bytes = 0;
    }
    void *p = NULL;
    const cudaError_t err = c->pools ? cudaMallocAsync(&p, want, c->stream) : cudaMalloc(&p, want);
    if (err != cudaSuccess) {
        cu_fail(err, "allocating scratch memory");
        return NULL;
    }
    c->scratch = p;
    c->scratch_bytes = want;
    return p;
}

/* ---- exported extras ------------------------------------------------------- */

/* Lets float32 GEMMs of the context use TF32 tensor cores (enabled != 0) or
   not (the default: exact float32). `ctx` is the backend context of a cuda
   executor. */
CU_EXPORT hg_status hg_cuda_set_tf32(void *ctx, int enabled) {
    if (!ctx) return cu_host ? cu_host->set_error(HG_ERR_INVALID_ARGUMENT, "hg_cuda_set_tf32: NULL context")
                             : HG_ERR_INVALID_ARGUMENT;
    cu_context *c = (cu_context *)ctx;
    cu_device_guard guard(c->device);
    return cu_set_tf32(c, enabled);
}
