/*
 * registry.c -- loads backend libraries through the plugin ABI and keeps them.
 *
 * Backends are loaded once per (path, symbol) and never unloaded: kernels and
 * contexts may outlive any Python object that asked for them, and dlclose of
 * a GPU runtime at exit is a classic source of crashes.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static hg_backend *registry;

/* The members the host calls unconditionally; optional ones may be NULL. */
static hg_status check_vtable(const hg_backend_vtable *vt, const char *path) {
    if (vt->abi_version != HG_BACKEND_ABI_VERSION)
        return hg__set_error(HG_ERR_ABI_MISMATCH,
            "backend library '%s' was built for backend ABI v%u, but this hologram-core "
            "speaks v%u: install a release of the plugin built for this hologram-core",
            path, (unsigned)vt->abi_version, (unsigned)HG_BACKEND_ABI_VERSION);
    if (vt->struct_size < HG_BACKEND_VTABLE_MIN_SIZE)
        return hg__set_error(HG_ERR_ABI_MISMATCH,
            "backend library '%s' has a vtable of %u bytes, ABI v%u needs at least %zu: it was "
            "built against an incompatible backend.h", path, (unsigned)vt->struct_size,
            (unsigned)HG_BACKEND_ABI_VERSION, (size_t)HG_BACKEND_VTABLE_MIN_SIZE);
    if (!vt->name || !vt->name[0] || !vt->probe || !vt->device_count ||
        !vt->context_create || !vt->context_destroy || !vt->alloc || !vt->free ||
        !vt->copy_from_host || !vt->copy_to_host || !vt->synchronize)
        return hg__set_error(HG_ERR_LOAD_FAILED,
            "backend library '%s' returned a vtable with a required member missing "
            "(name, probe, device_count, context_create/destroy, alloc, free, copies, "
            "synchronize)", path);
    return HG_OK;
}

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

static hg_status load_locked(const char *path, const char *symbol, hg_backend **out) {
    for (hg_backend *b = registry; b; b = b->next) {
        if (strcmp(b->path, path) == 0 && strcmp(b->symbol, symbol) == 0) {
            *out = b;
            return HG_OK;
        }
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return hg__set_error(HG_ERR_LOAD_FAILED, "cannot load backend library: %s", dlerror());
    hg_backend_entry_fn entry;
    /* ISO C forbids object->function pointer casts; POSIX guarantees this one. */
    *(void **)(&entry) = dlsym(handle, symbol);
    if (!entry)
        return hg__set_error(HG_ERR_LOAD_FAILED,
            "backend library '%s' does not export '%s': is it a hologram backend?", path, symbol);
    hg__set_error(HG_OK, "backend entry '%s' in '%s' returned no vtable", symbol, path);
    const hg_backend_vtable *vt = entry(HG_BACKEND_ABI_VERSION, hg__host_api());
    if (!vt) return HG_ERR_LOAD_FAILED; /* the entry explained why, or the default above */
    hg_status st = check_vtable(vt, path);
    if (st) return st;
    hg_backend *b = calloc(1, sizeof *b);
    if (!b) return hg__set_error(HG_ERR_OUT_OF_MEMORY, "out of memory loading a backend");
    b->vt = vt;
    b->path = dup_string(path);
    b->symbol = dup_string(symbol);
    if (!b->path || !b->symbol) {
        free(b->path);
        free(b->symbol);
        free(b);
        return hg__set_error(HG_ERR_OUT_OF_MEMORY, "out of memory loading a backend");
    }
    b->next = registry;
    registry = b;
    *out = b;
    return HG_OK;
}

hg_status hg_backend_load(const char *path, const char *symbol, hg_backend **backend_out) {
    if (!path || !backend_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_backend_load: path and backend_out are required");
    if (!symbol) symbol = "hg_backend_entry";
    pthread_mutex_lock(&registry_lock);
    hg_status st = load_locked(path, symbol, backend_out);
    pthread_mutex_unlock(&registry_lock);
    return st;
}

const char *hg_backend_name(const hg_backend *backend) { return backend->vt->name; }

const char *hg_backend_version(const hg_backend *backend) {
    return backend->vt->version ? backend->vt->version : "unknown";
}

int32_t hg_backend_host_addressable(const hg_backend *backend) {
    return (backend->vt->flags & HG_BACKEND_FLAG_HOST_ADDRESSABLE) != 0;
}

int32_t hg_backend_exports_device_memory(const hg_backend *backend) {
    return backend && HG_BACKEND_HAS(backend->vt, device_ptr) && HG_BACKEND_HAS(backend->vt, wrap_device);
}

int32_t hg_backend_dlpack_device_type(const hg_backend *backend) {
    return backend->vt->dlpack_device_type;
}

hg_status hg_backend_probe(hg_backend *backend, int32_t *score_out, char *reason, size_t reason_capacity) {
    if (!backend || !score_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_backend_probe: backend and score_out are required");
    if (reason && reason_capacity) reason[0] = '\0';
    *score_out = 0;
    return backend->vt->probe(score_out, reason, reason_capacity);
}

int32_t hg_backend_explicit_only(const hg_backend *backend, char *reason, size_t reason_capacity) {
    if (reason && reason_capacity) reason[0] = '\0';
    if (!backend || !HG_BACKEND_HAS(backend->vt, explicit_only)) return 0;
    return backend->vt->explicit_only(reason, reason_capacity) != 0;
}

const char *hg_backend_describe(const hg_backend *backend) {
    const char *text = backend && HG_BACKEND_HAS(backend->vt, describe) ? backend->vt->describe() : NULL;
    return text ? text : "";
}

hg_status hg_backend_device_count(hg_backend *backend, int32_t *count_out) {
    if (!backend || !count_out)
        return hg__set_error(HG_ERR_INVALID_ARGUMENT, "hg_backend_device_count: arguments are required");
    return backend->vt->device_count(count_out);
}
