/*
 * cu_backend.cu -- the plugin's vtable and entry: the CUDA backend.
 *
 * Memory lives on the GPU, so the vtable does not claim host
 * addressability: the host copies in and out (one bulk copy each way),
 * exports device pointers zero-copy through DLPack (device_ptr,
 * stream_handle, export_fence) and wraps foreign device memory
 * (wrap_device). float32 and float64 have kernels for every op.
 */
#include <stdio.h>

#include "cu_internal.h"

const hg_host_api *cu_host;

static hg_status cu_probe(int32_t *score_out, char *reason, size_t capacity) {
    *score_out = cu_probe_cached(reason, capacity);
    return HG_OK;
}

static hg_status cu_device_count(int32_t *count_out) {
    int count = 0;
    if (cu_probe_cached(NULL, 0) <= 0 || cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError();
        count = 0;
    }
    *count_out = count;
    return HG_OK;
}

static const char *cu_describe(void) { return cu_describe_device0(); }

static const hg_backend_vtable vtable = {
    /* .abi_version = */ HG_BACKEND_ABI_VERSION,
    /* .struct_size = */ (uint32_t)sizeof(hg_backend_vtable),
    /* .name = */ "cuda",
    /* .version = */ HG_CUDA_VERSION_STRING,
    /* .flags = */ 0u, /* device memory: not host-addressable */
    /* .dlpack_device_type = */ HG_DLPACK_CUDA,
    /* .probe = */ cu_probe,
    /* .device_count = */ cu_device_count,
    /* .context_create = */ cu_context_create,
    /* .context_destroy = */ cu_context_destroy,
    /* .alloc = */ cu_alloc,
    /* .free = */ cu_free,
    /* .copy_from_host = */ cu_copy_from_host,
    /* .copy_to_host = */ cu_copy_to_host,
    /* .synchronize = */ cu_synchronize,
    /* .get_kernel = */ cu_get_kernel,
    /* .host_ptr = */ NULL,
    /* .wrap_host = */ NULL,
    /* .unwrap = */ cu_unwrap,
    /* .explicit_only = */ NULL,
    /* .describe = */ cu_describe,
    /* .device_ptr = */ cu_device_ptr,
    /* .stream_handle = */ cu_stream_handle,
    /* .export_fence = */ cu_export_fence,
    /* .wrap_device = */ cu_wrap_device,
};

CU_EXPORT const hg_backend_vtable *hg_backend_entry(uint32_t host_abi_version, const hg_host_api *host) {
    if (!host || host_abi_version != HG_BACKEND_ABI_VERSION) {
        if (host)
            host->set_error(HG_ERR_ABI_MISMATCH,
                            "the cuda backend speaks backend ABI v%u, the host v%u: install matching releases of "
                            "hologram-core and hologram-cuda",
                            (unsigned)HG_BACKEND_ABI_VERSION, (unsigned)host_abi_version);
        return NULL;
    }
    cu_host = host;
    return &vtable;
}
