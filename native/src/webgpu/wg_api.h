/*
 * wg_api.h -- the webgpu.h entry points this backend calls, resolved at run
 * time from the wgpu-native shared library.
 *
 * Why not link against it: the library comes from a Python wheel whose
 * location is only known at run time, and a plugin that fails to dlopen it
 * must still load, so that `hologram info` can say what is missing.
 */
#ifndef HOLOGRAM_WG_API_H
#define HOLOGRAM_WG_API_H

#include <stddef.h>
#include <stdint.h>

#include <webgpu.h>

/* wgpu-native extensions (wgpu.h) have no proc typedefs of their own. */
typedef WGPUBool (*wg_proc_device_poll)(WGPUDevice device, WGPUBool wait, const void *submission_index);
typedef uint32_t (*wg_proc_get_version)(void);

/* X(member, proc type, symbol): every function the backend uses. */
#define WG_API_FUNCTIONS(X)                                                                   \
    X(create_instance, WGPUProcCreateInstance, "wgpuCreateInstance")                          \
    X(instance_request_adapter, WGPUProcInstanceRequestAdapter, "wgpuInstanceRequestAdapter") \
    X(instance_process_events, WGPUProcInstanceProcessEvents, "wgpuInstanceProcessEvents")    \
    X(instance_release, WGPUProcInstanceRelease, "wgpuInstanceRelease")                       \
    X(adapter_get_info, WGPUProcAdapterGetInfo, "wgpuAdapterGetInfo")                         \
    X(adapter_info_free_members, WGPUProcAdapterInfoFreeMembers, "wgpuAdapterInfoFreeMembers") \
    X(adapter_get_limits, WGPUProcAdapterGetLimits, "wgpuAdapterGetLimits")                   \
    X(adapter_request_device, WGPUProcAdapterRequestDevice, "wgpuAdapterRequestDevice")       \
    X(adapter_release, WGPUProcAdapterRelease, "wgpuAdapterRelease")                          \
    X(device_get_queue, WGPUProcDeviceGetQueue, "wgpuDeviceGetQueue")                         \
    X(device_create_buffer, WGPUProcDeviceCreateBuffer, "wgpuDeviceCreateBuffer")             \
    X(device_create_shader_module, WGPUProcDeviceCreateShaderModule, "wgpuDeviceCreateShaderModule") \
    X(device_create_compute_pipeline, WGPUProcDeviceCreateComputePipeline, "wgpuDeviceCreateComputePipeline") \
    X(device_create_bind_group, WGPUProcDeviceCreateBindGroup, "wgpuDeviceCreateBindGroup")   \
    X(device_create_command_encoder, WGPUProcDeviceCreateCommandEncoder, "wgpuDeviceCreateCommandEncoder") \
    X(device_push_error_scope, WGPUProcDevicePushErrorScope, "wgpuDevicePushErrorScope")      \
    X(device_pop_error_scope, WGPUProcDevicePopErrorScope, "wgpuDevicePopErrorScope")         \
    X(device_poll, wg_proc_device_poll, "wgpuDevicePoll")                                     \
    X(buffer_map_async, WGPUProcBufferMapAsync, "wgpuBufferMapAsync")                         \
    X(buffer_get_mapped_range, WGPUProcBufferGetMappedRange, "wgpuBufferGetMappedRange")      \
    X(buffer_get_const_mapped_range, WGPUProcBufferGetConstMappedRange, "wgpuBufferGetConstMappedRange") \
    X(buffer_unmap, WGPUProcBufferUnmap, "wgpuBufferUnmap")                                   \
    X(buffer_destroy, WGPUProcBufferDestroy, "wgpuBufferDestroy")                             \
    X(buffer_release, WGPUProcBufferRelease, "wgpuBufferRelease")                             \
    X(queue_write_buffer, WGPUProcQueueWriteBuffer, "wgpuQueueWriteBuffer")                   \
    X(queue_submit, WGPUProcQueueSubmit, "wgpuQueueSubmit")                                   \
    X(queue_on_submitted_work_done, WGPUProcQueueOnSubmittedWorkDone, "wgpuQueueOnSubmittedWorkDone") \
    X(command_encoder_begin_compute_pass, WGPUProcCommandEncoderBeginComputePass, "wgpuCommandEncoderBeginComputePass") \
    X(command_encoder_copy_buffer_to_buffer, WGPUProcCommandEncoderCopyBufferToBuffer, "wgpuCommandEncoderCopyBufferToBuffer") \
    X(command_encoder_finish, WGPUProcCommandEncoderFinish, "wgpuCommandEncoderFinish")       \
    X(command_encoder_release, WGPUProcCommandEncoderRelease, "wgpuCommandEncoderRelease")    \
    X(command_buffer_release, WGPUProcCommandBufferRelease, "wgpuCommandBufferRelease")       \
    X(compute_pass_set_pipeline, WGPUProcComputePassEncoderSetPipeline, "wgpuComputePassEncoderSetPipeline") \
    X(compute_pass_set_bind_group, WGPUProcComputePassEncoderSetBindGroup, "wgpuComputePassEncoderSetBindGroup") \
    X(compute_pass_dispatch, WGPUProcComputePassEncoderDispatchWorkgroups, "wgpuComputePassEncoderDispatchWorkgroups") \
    X(compute_pass_end, WGPUProcComputePassEncoderEnd, "wgpuComputePassEncoderEnd")           \
    X(compute_pass_release, WGPUProcComputePassEncoderRelease, "wgpuComputePassEncoderRelease") \
    X(pipeline_get_bind_group_layout, WGPUProcComputePipelineGetBindGroupLayout, "wgpuComputePipelineGetBindGroupLayout") \
    X(pipeline_release, WGPUProcComputePipelineRelease, "wgpuComputePipelineRelease")         \
    X(bind_group_layout_release, WGPUProcBindGroupLayoutRelease, "wgpuBindGroupLayoutRelease") \
    X(bind_group_release, WGPUProcBindGroupRelease, "wgpuBindGroupRelease")                   \
    X(shader_module_release, WGPUProcShaderModuleRelease, "wgpuShaderModuleRelease")          \
    X(get_version, wg_proc_get_version, "wgpuGetVersion")

typedef struct wg_api {
#define WG_API_MEMBER(member, type, symbol) type member;
    WG_API_FUNCTIONS(WG_API_MEMBER)
#undef WG_API_MEMBER
} wg_api;

/* Loads wgpu-native once per process: the library named by the
   HOLOGRAM_WGPU_LIBRARY environment variable (the plugin's Python entry
   point sets it to the copy its `wgpu` dependency ships), else the system's
   libwgpu_native. Returns NULL and writes why into `reason` on failure. */
const wg_api *wg_api_load(char *reason, size_t reason_capacity);

/* The wgpu-native version as "major.minor.patch.build". */
void wg_api_version_string(const wg_api *api, char *out, size_t capacity);

#endif /* HOLOGRAM_WG_API_H */
