/*
 * wg_api.c -- resolves the webgpu.h functions from wgpu-native with dlopen.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_api.h"

/* The wgpu-native release whose webgpu.h this backend was compiled against
   (the build passes it); webgpu.h changes between releases, so any other
   major version is refused instead of being called with the wrong structs. */
#ifndef WG_EXPECTED_MAJOR
#define WG_EXPECTED_MAJOR 29u
#endif

#ifdef __APPLE__
#define WG_DEFAULT_LIBRARY "libwgpu_native.dylib"
#else
#define WG_DEFAULT_LIBRARY "libwgpu_native.so"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static wg_api api;
static int api_ok;
static char load_error[768];

static void load(void) {
    const char *path = getenv("HOLOGRAM_WGPU_LIBRARY");
    if (!path || !path[0]) path = WG_DEFAULT_LIBRARY;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(load_error, sizeof load_error,
                 "cannot load wgpu-native (%s): reinstall hologram-metal, whose 'wgpu' dependency "
                 "ships the library, or point HOLOGRAM_WGPU_LIBRARY at a libwgpu_native", dlerror());
        return;
    }
    /* POSIX guarantees that dlsym's object pointer converts to a function pointer. */
#define WG_API_RESOLVE(member, type, symbol)                                                   \
    *(void **)(&api.member) = dlsym(handle, symbol);                                           \
    if (!api.member) {                                                                         \
        snprintf(load_error, sizeof load_error,                                                \
                 "'%s' lacks %s: it is not a wgpu-native release this backend supports "       \
                 "(built for v%u)", path, symbol, WG_EXPECTED_MAJOR);                          \
        return;                                                                                \
    }
    WG_API_FUNCTIONS(WG_API_RESOLVE)
#undef WG_API_RESOLVE
    uint32_t version = api.get_version();
    if ((version >> 24) != WG_EXPECTED_MAJOR) {
        char found[32];
        wg_api_version_string(&api, found, sizeof found);
        snprintf(load_error, sizeof load_error,
                 "'%s' is wgpu-native %s, but this backend was built for v%u: install the 'wgpu' "
                 "release hologram-metal declares (pip install --force-reinstall hologram-metal)",
                 path, found, WG_EXPECTED_MAJOR);
        return;
    }
    api_ok = 1;
}

const wg_api *wg_api_load(char *reason, size_t reason_capacity) {
    pthread_once(&load_once, load);
    if (api_ok) return &api;
    if (reason && reason_capacity) snprintf(reason, reason_capacity, "%s", load_error);
    return NULL;
}

void wg_api_version_string(const wg_api *a, char *out, size_t capacity) {
    uint32_t v = a->get_version();
    snprintf(out, capacity, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xffu, (v >> 8) & 0xffu, v & 0xffu);
}
