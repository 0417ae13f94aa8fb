/*
 * wg_device.c -- the process's WebGPU instance, adapter and device.
 *
 * Two stages, each done once: the adapter (enough for probe, so that
 * discovering backends never pays for a device) and the device (on the first
 * executor). Callbacks run in AllowProcessEvents mode: they fire only inside
 * wg_device_wait, on the thread that waits, so no callback races the code
 * that reads its result.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wgpu.h>

#include "wg_internal.h"

static pthread_mutex_t stage_lock = PTHREAD_MUTEX_INITIALIZER;
static wg_device dev;
static int adapter_state;  /* 0 not tried, 1 ok, -1 failed (reason kept) */
static int device_state;
static char stage_error[768];

static WGPUStringView view(const char *s) {
    WGPUStringView v = {s, s ? strlen(s) : 0};
    return v;
}

static void copy_view(char *out, size_t capacity, WGPUStringView v) {
    size_t n = v.data ? (v.length == WGPU_STRLEN ? strlen(v.data) : v.length) : 0;
    if (n >= capacity) n = capacity - 1;
    if (n) memcpy(out, v.data, n);
    out[n] = '\0';
}

/* wgpu-native's messages span lines ("Validation Error\n\nCaused by:\n  ...");
   a probe reason is one line in `hologram info`'s table: join the lines. */
static void flatten(char *text) {
    char *out = text;
    int space = 0;
    for (const char *in = text; *in; in++) {
        if (*in == '\n' || *in == '\r' || *in == '\t' || *in == ' ') {
            space = out != text;
            continue;
        }
        if (space) *out++ = ' ';
        space = 0;
        *out++ = *in;
    }
    *out = '\0';
}

typedef struct request_result {
    volatile int done;
    int ok;
    void *object;
    char message[384];
} request_result;

/* What both request callbacks record (their signatures differ only in types). */
static void finish_request(request_result *r, int ok, void *object, WGPUStringView message) {
    r->ok = ok && object;
    r->object = object;
    copy_view(r->message, sizeof r->message, message);
    flatten(r->message);
    r->done = 1;
}

static void on_adapter(WGPURequestAdapterStatus status, WGPUAdapter adapter, WGPUStringView message,
                       void *userdata1, void *userdata2) {
    (void)userdata2;
    finish_request(userdata1, status == WGPURequestAdapterStatus_Success, adapter, message);
}

static void on_device(WGPURequestDeviceStatus status, WGPUDevice device, WGPUStringView message,
                      void *userdata1, void *userdata2) {
    (void)userdata2;
    finish_request(userdata1, status == WGPURequestDeviceStatus_Success, device, message);
}

/* Validation and out-of-memory errors of queued work arrive here, possibly
   on another thread; the next synchronize or copy reports the first one. */
static void on_uncaptured_error(WGPUDevice const *device, WGPUErrorType type, WGPUStringView message,
                                void *userdata1, void *userdata2) {
    (void)device;
    (void)userdata2;
    wg_device *d = userdata1;
    pthread_mutex_lock(&d->error_lock);
    if (!d->error[0]) {
        char text[400];
        copy_view(text, sizeof text, message);
        snprintf(d->error, sizeof d->error, "%s error: %s",
                 type == WGPUErrorType_OutOfMemory ? "out-of-memory" : "validation", text);
    }
    pthread_mutex_unlock(&d->error_lock);
}

static const char *backend_type_name(WGPUBackendType t) {
    switch (t) {
    case WGPUBackendType_Vulkan: return "Vulkan";
    case WGPUBackendType_Metal: return "Metal";
    case WGPUBackendType_D3D12: return "Direct3D 12";
    case WGPUBackendType_D3D11: return "Direct3D 11";
    case WGPUBackendType_OpenGL: return "OpenGL";
    case WGPUBackendType_OpenGLES: return "OpenGL ES";
    default: return "an unknown API";
    }
}

/* Software rasterizers report themselves as CPU adapters; the names are a
   second line of defence for drivers that report "unknown". */
static int is_software(const WGPUAdapterInfo *info, const char *device_name) {
    if (info->adapterType == WGPUAdapterType_CPU) return 1;
    static const char *const names[] = {"llvmpipe", "lavapipe", "SwiftShader", "Microsoft Basic Render"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(device_name, names[i])) return 1;
    return 0;
}

static int open_adapter(void) {
    char reason[512];
    dev.api = wg_api_load(reason, sizeof reason);
    if (!dev.api) {
        snprintf(stage_error, sizeof stage_error, "%s", reason);
        return -1;
    }
    const wg_api *api = dev.api;
    /* Vulkan, Metal and Direct3D 12 only: the GL backend has no compute worth
       using, and probing it (EGL) makes Mesa print warnings on headless boxes. */
    WGPUInstanceExtras extras;
    memset(&extras, 0, sizeof extras);
    extras.chain.sType = (WGPUSType)WGPUSType_InstanceExtras;
    extras.backends = WGPUInstanceBackend_Primary;
    WGPUInstanceDescriptor idesc = WGPU_INSTANCE_DESCRIPTOR_INIT;
    idesc.nextInChain = &extras.chain;
    dev.instance = api->create_instance(&idesc);
    if (!dev.instance) {
        snprintf(stage_error, sizeof stage_error, "wgpu-native could not create a WebGPU instance");
        return -1;
    }
    WGPURequestAdapterOptions options = WGPU_REQUEST_ADAPTER_OPTIONS_INIT;
    options.powerPreference = WGPUPowerPreference_HighPerformance;
    request_result r = {0};
    WGPURequestAdapterCallbackInfo cb = WGPU_REQUEST_ADAPTER_CALLBACK_INFO_INIT;
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = on_adapter;
    cb.userdata1 = &r;
    api->instance_request_adapter(dev.instance, &options, cb);
    while (!r.done) api->instance_process_events(dev.instance);
    if (!r.ok) {
        snprintf(stage_error, sizeof stage_error,
                 "no GPU adapter found (%s): install the GPU's Vulkan, Metal or Direct3D 12 driver "
                 "(on Debian/Ubuntu without a GPU, mesa-vulkan-drivers gives a software adapter)",
                 r.message[0] ? r.message : "wgpu-native found none");
        return -1;
    }
    dev.adapter = r.object;
    WGPUAdapterInfo info = WGPU_ADAPTER_INFO_INIT;
    if (api->adapter_get_info(dev.adapter, &info) != WGPUStatus_Success) {
        snprintf(stage_error, sizeof stage_error, "the WebGPU adapter did not describe itself");
        return -1;
    }
    char name[160], driver[96];
    copy_view(name, sizeof name, info.device);
    copy_view(driver, sizeof driver, info.description);
    dev.software = is_software(&info, name);
    snprintf(dev.description, sizeof dev.description, "%s%s%s%s on %s", name[0] ? name : "unnamed adapter",
             driver[0] ? " (" : "", driver, driver[0] ? ")" : "", backend_type_name(info.backendType));
    api->adapter_info_free_members(info);
    WGPULimits limits = WGPU_LIMITS_INIT;
    if (api->adapter_get_limits(dev.adapter, &limits) != WGPUStatus_Success) {
        snprintf(stage_error, sizeof stage_error, "the WebGPU adapter did not report its limits");
        return -1;
    }
    dev.limits = limits;
    return 1;
}

static int open_device(void) {
    const wg_api *api = dev.api;
    pthread_mutex_init(&dev.lock, NULL);
    pthread_mutex_init(&dev.error_lock, NULL);
    /* The adapter's own limits: the defaults cap storage bindings at 128 MiB. */
    WGPULimits required = dev.limits;
    required.nextInChain = NULL;
    WGPUDeviceDescriptor ddesc = WGPU_DEVICE_DESCRIPTOR_INIT;
    ddesc.label = view("hologram");
    ddesc.requiredLimits = &required;
    ddesc.uncapturedErrorCallbackInfo.callback = on_uncaptured_error;
    ddesc.uncapturedErrorCallbackInfo.userdata1 = &dev;
    request_result r = {0};
    WGPURequestDeviceCallbackInfo cb = WGPU_REQUEST_DEVICE_CALLBACK_INFO_INIT;
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = on_device;
    cb.userdata1 = &r;
    api->adapter_request_device(dev.adapter, &ddesc, cb);
    while (!r.done) api->instance_process_events(dev.instance);
    if (!r.ok) {
        snprintf(stage_error, sizeof stage_error, "the WebGPU adapter %s refused to open a device: %s",
                 dev.description, r.message);
        return -1;
    }
    dev.device = r.object;
    dev.queue = api->device_get_queue(dev.device);
    WGPUBufferDescriptor bdesc = WGPU_BUFFER_DESCRIPTOR_INIT;
    bdesc.label = view("hologram-empty-operand");
    bdesc.usage = WGPUBufferUsage_Storage;
    bdesc.size = 16;
    dev.dummy = api->device_create_buffer(dev.device, &bdesc);
    return dev.dummy ? 1 : -1;
}

/* Without XDG_RUNTIME_DIR, libwayland-client (which the Vulkan loader's
   window-system layers pull in) prints "error: XDG_RUNTIME_DIR is invalid"
   on every instance and device it sees created -- noise on every headless
   machine, for a compute-only user that never opens a window. Only then,
   and only while the instance, adapter and device open, stderr goes to
   /dev/null; our own failures are reported through the reason strings. */
static int quiet_stderr_begin(void) {
    if (getenv("XDG_RUNTIME_DIR")) return -1;
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    if (saved < 0 || null < 0) {
        if (saved >= 0) close(saved);
        if (null >= 0) close(null);
        return -1;
    }
    dup2(null, 2);
    close(null);
    return saved;
}

static void quiet_stderr_end(int saved) {
    if (saved < 0) return;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

static wg_device *stage(int want_device, char *reason, size_t capacity) {
    pthread_mutex_lock(&stage_lock);
    int quiet = (!adapter_state || (want_device && !device_state)) ? quiet_stderr_begin() : -1;
    if (!adapter_state) adapter_state = open_adapter();
    if (adapter_state > 0 && want_device && !device_state) device_state = open_device();
    quiet_stderr_end(quiet);
    int ok = adapter_state > 0 && (!want_device || device_state > 0);
    if (!ok && reason && capacity) snprintf(reason, capacity, "%s", stage_error);
    pthread_mutex_unlock(&stage_lock);
    return ok ? &dev : NULL;
}

wg_device *wg_adapter_get(char *reason, size_t reason_capacity) {
    return stage(0, reason, reason_capacity);
}

wg_device *wg_device_get(char *reason, size_t reason_capacity) {
    return stage(1, reason, reason_capacity);
}

void wg_device_wait(wg_device *d, volatile int *flag) {
    while (!*flag) {
        d->api->device_poll(d->device, 1, NULL);
        d->api->instance_process_events(d->instance);
    }
}

hg_status wg_device_take_error(wg_device *d, const char *during) {
    char message[512];
    pthread_mutex_lock(&d->error_lock);
    snprintf(message, sizeof message, "%s", d->error);
    d->error[0] = '\0';
    pthread_mutex_unlock(&d->error_lock);
    if (!message[0]) return HG_OK;
    return wg_host->set_error(HG_ERR_BACKEND, "%s backend: %s (reported during %s)", WG_BACKEND_NAME,
                              message, during);
}
