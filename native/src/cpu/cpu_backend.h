/*
 * cpu_backend.h -- the entry of the built-in CPU backend.
 *
 * It has the signature of hg_backend_entry under its own name, so the CPU
 * backend can live inside hologram-core's extension next to any plugin that
 * exports the standard symbol.
 */
#ifndef HOLOGRAM_CPU_BACKEND_H
#define HOLOGRAM_CPU_BACKEND_H

#include "hologram/backend.h"

/* Exported even when the rest of the library is built with hidden visibility:
   the loader finds this entry with dlsym, like any plugin's. */
__attribute__((visibility("default")))
const hg_backend_vtable *hg_cpu_backend_entry(uint32_t host_abi_version, const hg_host_api *host_api);

#endif /* HOLOGRAM_CPU_BACKEND_H */
