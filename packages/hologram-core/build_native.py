"""Compiles ``native/`` into ``hologram_core._native`` with cffi (out-of-line API mode).

The cdef is generated from ``native/include/hologram/hologram.h``: that header
is written macro-free between its guards so that it can serve as both the C
API and the binding's declarations, and the two can never drift apart.

Run directly (``python build_native.py``) to build the extension in place
for development; the hatch build hook imports :func:`make_ffibuilder`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent


def find_native_dir(root: Path = HERE) -> Path:
    """The ``native/`` tree: beside this file in an sdist, two levels up in the repo."""
    for candidate in (root / "native", root.parent.parent / "native"):
        if (candidate / "include" / "hologram" / "hologram.h").is_file():
            return candidate
    raise FileNotFoundError(
        f"cannot find native/include/hologram/hologram.h near {root}: "
        "build hologram-core from the repository or from its sdist"
    )


def read_cdef(header: Path) -> str:
    """The header without preprocessor lines and C++ guards, for ``ffi.cdef``."""
    lines: list[str] = []
    in_cplusplus = False
    for line in header.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#ifdef __cplusplus"):
            in_cplusplus = True
            continue
        if in_cplusplus:
            if stripped.startswith("#endif"):
                in_cplusplus = False
            continue
        if stripped.startswith("#"):
            continue
        lines.append(line)
    text = "\n".join(lines)
    # cffi's parser does not need the comments; removing them keeps errors readable.
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def native_sources(native: Path) -> list[str]:
    """Every C source of the core and the built-in CPU backend."""
    files = sorted((native / "src" / "core").glob("*.c")) + sorted((native / "src" / "cpu").glob("*.c"))
    return [str(p) for p in files]


# The binding's own cdef, beside hologram.h: the CPU backend entry, so Python
# can name the library and symbol to load it like any plugin, and the entry
# points of binding/.
EXTRA_CDEF = """
typedef struct hg_backend_vtable hg_backend_vtable;
typedef struct hg_host_api hg_host_api;
const hg_backend_vtable *hg_cpu_backend_entry(uint32_t host_abi_version, const hg_host_api *host_api);
void hg_py_dlpack_capsule_destructor(void *capsule);
int hg_py_install_fast_calls(void);
"""


def binding_sources(root: Path = HERE) -> str:
    """The C files of ``binding/``, as one text: C that needs the Python C API
    (the DLPack capsule destructor, the METH_FASTCALL op entry points), compiled
    into the extension module beside the cffi binding."""
    return "\n".join(p.read_text() for p in sorted((root / "binding").glob("*.c")))


def make_ffibuilder(native: Path | None = None) -> cffi.FFI:
    """The cffi builder of ``hologram_core._native``, built for the limited API."""
    native = native or find_native_dir()
    ffibuilder = cffi.FFI()
    ffibuilder.cdef(read_cdef(native / "include" / "hologram" / "hologram.h") + EXTRA_CDEF)
    # Hidden visibility: kernels and internals never clash with other libraries'
    # symbols; only PyInit and the CPU backend entry (marked in cpu_backend.h) are exported.
    compile_args = ["-std=c11", "-O3", "-Wall", "-Wextra", "-fno-strict-aliasing", "-fvisibility=hidden"]
    libraries = [] if sys.platform == "win32" else ["m"]
    if sys.platform.startswith("linux"):
        libraries += ["dl", "pthread"]
    ffibuilder.set_source(
        "hologram_core._native",
        '#include <string.h>\n#include "hologram/hologram.h"\n#include "cpu_backend.h"\n'
        + binding_sources(),
        sources=native_sources(native),
        include_dirs=[str(native / "include"), str(native / "src" / "core"), str(native / "src" / "cpu")],
        define_macros=[("_GNU_SOURCE", None)],
        extra_compile_args=compile_args,
        libraries=libraries,
        py_limited_api=True,
    )
    return ffibuilder


ffibuilder = make_ffibuilder()

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(HERE / "build"), verbose=True)
