"""Compiles ``native/src/cuda`` into the plugin's shared library with nvcc.

The library implements Hologram's plugin ABI (``native/include/hologram/backend.h``)
over the CUDA runtime and cuBLAS. Both are linked dynamically and, at run time,
come from NVIDIA's PyPI wheels (``nvidia-cuda-runtime``, ``nvidia-cublas``),
never from a system toolkit: the library's rpath points at the wheels'
``lib`` directories next to it in site-packages. nvcc comes from a CUDA
toolkit (``NVCC`` or ``nvcc`` on the PATH); cuBLAS's headers come from the
installed ``nvidia-cublas`` wheel, since a toolkit may lack them.

Run directly (``python build_cuda.py OUT_DIR``) to build for development;
the hatch build hook imports :func:`build`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARY_NAME = "libhologram_cuda.so"
#: The cuBLAS major release the plugin links (``libcublas.so.<major>``).
CUBLAS_MAJOR = 13
#: Real SASS for these GPUs, plus PTX of the newest for the JIT on later ones.
SASS_ARCHS = ("75", "80", "86", "89", "90")
PTX_ARCH = "90"
#: Where the installed plugin (site-packages/hologram_cuda/) finds the wheels' libraries.
RPATH = "$ORIGIN/../nvidia/cu13/lib:$ORIGIN/../nvidia/cublas/lib:$ORIGIN/../nvidia/cuda_runtime/lib"


def find_native_dir(root: Path = HERE) -> Path:
    """The ``native/`` tree: beside this file in an sdist, two levels up in the repo."""
    for candidate in (root / "native", root.parent.parent / "native"):
        if (candidate / "src" / "cuda" / "cu_backend.cu").is_file():
            return candidate
    raise FileNotFoundError(f"cannot find native/src/cuda near {root}: build from the repository or the sdist")


def find_cublas() -> tuple[Path, Path]:
    """``(include_dir, lib_dir)`` of the installed ``nvidia-cublas`` wheel.

    The CUDA 13 wheels share ``nvidia/cu13/{include,lib}``; older ones had
    ``nvidia/cublas/{include,lib}``. Both layouts are searched in every
    location of the ``nvidia`` namespace package.
    """
    spec = importlib.util.find_spec("nvidia")  # the namespace package, not imported
    locations = list(spec.submodule_search_locations or []) if spec else []
    library = f"libcublas.so.{CUBLAS_MAJOR}"
    for location in locations:
        for sub in ("cu13", "cublas"):
            base = Path(location) / sub
            include, lib = base / "include", base / "lib"
            if (include / "cublas_v2.h").is_file() and (lib / library).is_file():
                return include, lib
    raise RuntimeError(
        f"building hologram-cuda needs cuBLAS {CUBLAS_MAJOR} from NVIDIA's wheel (its headers and {library}), "
        f"which is not installed in {sys.executable}'s environment: pip install 'nvidia-cublas>={CUBLAS_MAJOR},<{CUBLAS_MAJOR + 1}'"
    )


def nvcc() -> list[str]:
    """The nvcc command: ``$NVCC``, else ``nvcc`` on the PATH, else the usual toolkit location."""
    env = os.environ.get("NVCC")
    if env:
        cmd = shlex.split(env)
        if not cmd or not shutil.which(cmd[0]):
            raise RuntimeError(f"NVCC={env!r} is not an executable nvcc: point NVCC at a CUDA 13 toolkit's bin/nvcc")
        return cmd
    found = shutil.which("nvcc")
    if not found:
        home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
        candidate = Path(home) / "bin" / "nvcc"
        if candidate.is_file():
            found = str(candidate)
    if not found:
        raise RuntimeError(
            "building hologram-cuda needs nvcc from a CUDA toolkit (13.x): install the toolkit and put its bin/ "
            "on the PATH, or set NVCC=/path/to/nvcc (CUDA_HOME is searched too)"
        )
    return [found]


def sass_archs() -> tuple[str, ...]:
    """The real architectures to build: all of SASS_ARCHS, or ``HOLOGRAM_CUDA_ARCHS`` ("90" or
    "80,90") for a quicker build on a machine whose GPU is known (the GPU check uses it)."""
    wanted = os.environ.get("HOLOGRAM_CUDA_ARCHS", "").replace(",", " ").split()
    return tuple(wanted) if wanted else SASS_ARCHS


def gencode_flags() -> list[str]:
    flags = []
    for arch in sass_archs():
        flags += ["-gencode", f"arch=compute_{arch},code=sm_{arch}"]
    flags += ["-gencode", f"arch=compute_{PTX_ARCH},code=compute_{PTX_ARCH}"]
    return flags


def has_kernels(source: Path, seen: set[Path] | None = None) -> bool:
    """Whether a .cu file, or a local header it includes, defines or launches
    kernels (else its device passes are empty and one architecture will do)."""
    seen = set() if seen is None else seen
    if source in seen or not source.is_file():
        return False
    seen.add(source)
    text = source.read_text()
    if "__global__" in text or "<<<" in text:
        return True
    included = re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, flags=re.MULTILINE)
    return any(has_kernels(source.parent / name, seen) for name in included)


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{shlex.join(cmd)}\n{result.stdout}{result.stderr}")
    # Warnings are errors, but some nvcc notes go to stderr without failing.
    noise = (result.stdout + result.stderr).strip()
    if "warning" in noise.lower():
        raise RuntimeError(f"{what} printed warnings:\n{shlex.join(cmd)}\n{noise}")


def _jobs() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus)


def build(out_dir: Path, version: str = "0.1.0") -> Path:
    """Compiles the plugin library into ``out_dir``; returns its path. Any compiler error or warning raises."""
    native = find_native_dir()
    cuda_src = native / "src" / "cuda"
    cublas_include, cublas_lib = find_cublas()
    compiler = nvcc()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / LIBRARY_NAME
    sources = sorted([*cuda_src.glob("*.cu"), *cuda_src.glob("*.c")])
    if not sources:
        raise RuntimeError(f"no CUDA sources in {cuda_src}")
    with tempfile.TemporaryDirectory(prefix="hologram-cuda-build-") as work:
        work_dir = Path(work)
        # Only cuBLAS's own headers from the wheel: its include/ also holds a
        # CUDA runtime of another release than nvcc's, which must not shadow it.
        blas_headers = work_dir / "cublas-include"
        blas_headers.mkdir()
        for header in cublas_include.glob("cublas*.h"):
            (blas_headers / header.name).symlink_to(header)
        common = [
            "-O3", "-Xcompiler", "-fPIC,-fvisibility=hidden,-Wall,-Wextra,-Werror",
            "-Werror", "all-warnings", "-Wno-deprecated-gpu-targets", f"-DHG_CUDA_VERSION_STRING=\"{version}\"",
            f"-I{native / 'include'}", f"-I{cuda_src}", f"-I{blas_headers}",
        ]
        jobs = _jobs()
        # Files compile in parallel; each nvcc also splits its architectures
        # over threads when there are more cores than files left.
        threads = ["--threads", "0"] if jobs > 1 else []

        def compile_one(source: Path) -> Path:
            obj = work_dir / (source.name + ".o")
            if source.suffix != ".cu":
                lang = ["-Xcompiler", "-std=c11"]
            elif has_kernels(source):
                lang = ["-std=c++17", *gencode_flags()]
            else:  # host code only: one (empty) device pass is enough
                first = sass_archs()[0]
                lang = ["-std=c++17", "-gencode", f"arch=compute_{first},code=sm_{first}"]
            _run([*compiler, *common, *lang, *threads, "-c", str(source), "-o", str(obj)], f"compiling {source.name}")
            return obj

        # The biggest files first, so that no long compile starts last.
        order = sorted(sources, key=lambda p: p.stat().st_size, reverse=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            objects = list(pool.map(compile_one, order))
        link = [
            *compiler, "--shared", *gencode_flags(), "-Wno-deprecated-gpu-targets", "--cudart", "shared",
            "-o", str(target), *map(str, objects),
            f"-L{cublas_lib}", f"-l:libcublas.so.{CUBLAS_MAJOR}", "-ldl", "-lpthread",
            "-Xlinker", "-rpath", "-Xlinker", RPATH, "-Xlinker", "-z", "-Xlinker", "defs",
        ]
        _run(link, "linking libhologram_cuda.so")
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "src" / "hologram_cuda"))
