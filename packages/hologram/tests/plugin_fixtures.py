"""Builds the toy C backend and installs it as a plugin the way a wheel would, without pip.

A wheel that ships a Hologram backend contributes two things to ``sys.path``:
a ``<dist>-<version>.dist-info/`` directory whose ``entry_points.txt``
registers an entry point in the ``hologram.backends`` group, and the Python
module that entry point names. :class:`PluginSandbox` writes exactly that into
a temporary directory and prepends it to ``sys.path``, so discovery goes
through :mod:`importlib.metadata` like it does for a real installation, and
uninstalling is undoing the ``sys.path`` change.

The shared library comes from ``plugin_src/toy_backend.c``, compiled with the
system C compiler against ``native/include``; without a compiler the tests
that need it are skipped with the reason.
"""

from __future__ import annotations

import importlib
import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import hologram

__all__ = [
    "ENTRY_POINT_GROUP",
    "InstalledPlugin",
    "PluginSandbox",
    "ToyBuilder",
    "find_c_compiler",
    "find_include_dir",
    "plugin_sandbox",
    "toy_builder",
]

ENTRY_POINT_GROUP = "hologram.backends"
TOY_SOURCE = Path(__file__).resolve().parent / "plugin_src" / "toy_backend.c"
# The plugin contract says the library must build warning-free with these.
TOY_CFLAGS = ("-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-O1")
# Backend names become a C string literal and a Python identifier fragment:
# keeping them to this alphabet makes both safe without escaping.
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Module names must never repeat within a process: sys.modules would hand a
# later test the entry module (and so the library path) of an earlier one.
_module_ids = itertools.count()


def _library_suffix() -> str:
    return ".dylib" if sys.platform == "darwin" else ".so"


def find_c_compiler() -> list[str] | None:
    """The C compiler command: ``$CC`` if set, else the first of cc, gcc, clang on PATH."""
    env_cc = os.environ.get("CC", "").strip()
    if env_cc:
        cmd = shlex.split(env_cc)
        if cmd and shutil.which(cmd[0]):
            return cmd
    for candidate in ("cc", "gcc", "clang"):
        path = shutil.which(candidate)
        if path:
            return [path]
    return None


def find_include_dir() -> Path | None:
    """The directory holding ``hologram/backend.h``.

    ``$HOLOGRAM_INCLUDE_DIR`` wins; otherwise the repository's
    ``native/include`` (this file sits in ``packages/hologram/tests``).
    """
    candidates = []
    if os.environ.get("HOLOGRAM_INCLUDE_DIR"):
        candidates.append(Path(os.environ["HOLOGRAM_INCLUDE_DIR"]))
    candidates.append(Path(__file__).resolve().parents[3] / "native" / "include")
    for candidate in candidates:
        if (candidate / "hologram" / "backend.h").is_file():
            return candidate
    return None


class ToyBuilder:
    """Compiles variants of the toy backend once each per test session."""

    def __init__(self, compiler: list[str], include_dir: Path, out_dir: Path) -> None:
        self.compiler = compiler
        self.include_dir = include_dir
        self.out_dir = out_dir
        self._built: dict[tuple[Any, ...], Path] = {}

    def build(self, name: str = "toy", *, abi_version: int | None = None, unavailable: bool = False,
              device_memory: bool = False, device_export: bool = False) -> Path:
        """Path of the toy library named ``name``, built with the given knobs.

        ``device_memory`` builds the variant whose memory the CPU cannot
        address (``TOY_DEVICE_MEMORY`` in the source), a stand-in for a GPU;
        ``device_export`` adds DLPack export/adoption of its device addresses,
        a stand-in for CUDA (``TOY_DEVICE_EXPORT``).
        """
        if not _NAME_RE.match(name):
            raise ValueError(f"toy backend names must match {_NAME_RE.pattern}, got {name!r}")
        key = (name, abi_version, unavailable, device_memory, device_export)
        if key in self._built:
            return self._built[key]
        defines = [f'-DTOY_NAME="{name}"']
        if abi_version is not None:
            defines.append(f"-DTOY_ABI_VERSION={int(abi_version)}")
        if unavailable:
            defines.append("-DTOY_UNAVAILABLE")
        if device_memory or device_export:
            defines.append("-DTOY_DEVICE_MEMORY")
        if device_export:
            defines.append("-DTOY_DEVICE_EXPORT")
        # One file per variant: the core caches loaded libraries by path.
        variant = "_".join([name, *(["abi" + str(abi_version)] if abi_version is not None else []),
                            *(["off"] if unavailable else []), *(["dev"] if device_memory else []),
                            *(["exp"] if device_export else [])])
        output = self.out_dir / f"libhologram_{variant}{_library_suffix()}"
        cmd = [*self.compiler, *TOY_CFLAGS, f"-I{self.include_dir}", *defines, str(TOY_SOURCE), "-o", str(output)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            # Not a skip: a compiler that runs but rejects the file means the
            # toy (or backend.h) no longer builds warning-free, which is a bug.
            pytest.fail(
                f"compiling the toy backend failed (exit {proc.returncode}):\n{shlex.join(cmd)}\n"
                f"{proc.stdout}{proc.stderr}",
                pytrace=False,
            )
        self._built[key] = output
        return output


@dataclass(frozen=True)
class InstalledPlugin:
    """One plugin distribution written by :class:`PluginSandbox`."""

    name: str               # entry point name, which is also the backend name
    distribution: str       # the dist-info's Name
    site: Path              # the directory prepended to sys.path
    module: str             # the module the entry point names
    library: Path | None    # what the entry point says to load (may not exist)


class PluginSandbox:
    """Installs plugins on temporary ``sys.path`` entries; :meth:`uninstall_all` removes them all.

    Every change to ``sys.path`` and the environment goes through one
    :class:`pytest.MonkeyPatch`, so uninstalling is ``undo()`` and nothing
    leaks into other tests even when a test fails half-way. Use it as a
    context manager or through the :func:`plugin_sandbox` fixture.
    """

    def __init__(self, root: Path, builder: ToyBuilder | Callable[[], ToyBuilder] | None = None) -> None:
        self.root = root
        self._builder = builder
        self._mp = pytest.MonkeyPatch()
        self.installed: list[InstalledPlugin] = []
        # A HOLOGRAM_BACKEND from the developer's shell would override every
        # auto-selection these tests check.
        self._mp.delenv("HOLOGRAM_BACKEND", raising=False)

    # -- building ----------------------------------------------------------
    @property
    def builder(self) -> ToyBuilder:
        """The compiler front end, resolved on first use so broken-plugin tests need no compiler."""
        if callable(self._builder) and not isinstance(self._builder, ToyBuilder):
            self._builder = self._builder()
        if self._builder is None:
            pytest.skip("this sandbox was created without a C toolchain for the toy backend")
        return self._builder

    # -- installing --------------------------------------------------------
    def install(
        self,
        name: str,
        *,
        library: Path | str,
        priority: int,
        version: str = "0.1.0",
        symbol: str | None = None,
        as_dict: bool = False,
        module_source: str | None = None,
        unavailable: str | None = None,
    ) -> InstalledPlugin:
        """Writes a dist-info and entry module for backend ``name`` and puts them on ``sys.path``.

        The entry point resolves to a function returning the spec, or with
        ``as_dict`` to the spec dict itself (both forms are allowed).
        ``module_source`` replaces the generated module entirely, for plugins
        that must fail on import; ``unavailable`` is the reason a plugin gives
        for not running here.
        """
        if not _NAME_RE.match(name):
            raise ValueError(f"plugin names must match {_NAME_RE.pattern}, got {name!r}")
        module = f"_hologram_test_plugin_{name}_{next(_module_ids)}"
        distribution = f"hologram-test-plugin-{name.replace('_', '-')}"
        site = self.root / module
        site.mkdir(parents=True)

        spec: dict[str, Any] = {"name": name, "priority": int(priority), "library": str(library), "version": version}
        if symbol is not None:
            spec["symbol"] = symbol
        if unavailable is not None:
            spec["unavailable"] = unavailable
        attribute = "BACKEND" if as_dict else "backend"
        if module_source is None:
            body = (
                f"BACKEND = {spec!r}\n"
                if as_dict
                else f"def backend():\n    return {spec!r}\n"
            )
            module_source = f'"""Entry module of the test plugin {distribution}, written by plugin_fixtures."""\n\n{body}'
        (site / f"{module}.py").write_text(module_source)

        # What a wheel installer leaves behind, minus RECORD/INSTALLER, which
        # importlib.metadata does not need.
        dist_info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
            f"Summary: test plugin providing the {name!r} Hologram backend\n"
        )
        (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {module}:{attribute}\n")
        (dist_info / "top_level.txt").write_text(f"{module}\n")

        # syspath_prepend also invalidates the import caches, so the new
        # directory's module and dist-info are seen at once.
        self._mp.syspath_prepend(str(site))
        plugin = InstalledPlugin(name, distribution, site, module, Path(library))
        self.installed.append(plugin)
        return plugin

    def install_toy(
        self,
        name: str = "toy",
        *,
        priority: int = 100,
        version: str = "0.1.0",
        abi_version: int | None = None,
        unavailable: bool = False,
        symbol: str | None = None,
        as_dict: bool = False,
        device_memory: bool = False,
        device_export: bool = False,
    ) -> InstalledPlugin:
        """Compiles (once) and installs a toy backend called ``name``.

        ``device_memory=True`` installs the variant with device memory the CPU
        cannot address (see :meth:`ToyBuilder.build`).
        """
        library = self.builder.build(name, abi_version=abi_version, unavailable=unavailable,
                                     device_memory=device_memory, device_export=device_export)
        return self.install(name, library=library, priority=priority, version=version, symbol=symbol,
                            as_dict=as_dict)

    def install_import_error(self, name: str, message: str, *, priority: int = 100) -> InstalledPlugin:
        """A plugin whose entry module raises ImportError when imported (a missing dependency)."""
        source = (
            '"""A plugin whose runtime dependency is missing: importing it fails."""\n\n'
            f"raise ImportError({message!r})\n"
        )
        return self.install(name, library=self.root / f"never_built_{name}{_library_suffix()}",
                            priority=priority, module_source=source)

    def install_missing_library(self, name: str, *, priority: int = 100) -> InstalledPlugin:
        """A plugin whose entry point names a shared library that does not exist."""
        library = self.root / "missing" / f"libhologram_{name}{_library_suffix()}"
        assert not library.exists()
        return self.install(name, library=library, priority=priority)

    # -- inspecting --------------------------------------------------------
    def refresh(self) -> dict[str, hologram.BackendInfo]:
        """Re-scans the entry points; the discovered backends by name."""
        return {info.name: info for info in hologram.backends(refresh=True)}

    @property
    def pythonpath(self) -> str:
        """``PYTHONPATH`` that gives a subprocess the same installed plugins."""
        return os.pathsep.join(str(p.site) for p in self.installed)

    # -- uninstalling ------------------------------------------------------
    def uninstall_all(self) -> None:
        """Removes every plugin from ``sys.path`` and ``sys.modules`` and re-scans.

        The shared libraries stay loaded (the core never unloads a backend),
        but nothing can reach them once discovery no longer lists them.
        """
        self._mp.undo()
        for plugin in self.installed:
            sys.modules.pop(plugin.module, None)
        self.installed.clear()
        importlib.invalidate_caches()
        # The discovery cache still holds the plugins until the next scan; scan
        # now so the next test starts from the real installation.
        hologram.backends(refresh=True)

    def __enter__(self) -> PluginSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall_all()


@pytest.fixture(scope="session")
def toy_builder(tmp_path_factory: pytest.TempPathFactory) -> ToyBuilder:
    """Compiles toy backend variants; skips when there is no way to build one here."""
    if sys.platform == "win32":
        pytest.skip("the toy backend plugin is built with a POSIX C toolchain (cc -shared)")
    compiler = find_c_compiler()
    if compiler is None:
        pytest.skip("no C compiler found (set $CC, or install cc, gcc or clang): "
                    "the plugin tests compile a backend from C")
    include_dir = find_include_dir()
    if include_dir is None:
        pytest.skip("hologram/backend.h not found (set $HOLOGRAM_INCLUDE_DIR to native/include): "
                    "the plugin tests compile a backend against it")
    return ToyBuilder(compiler, include_dir, tmp_path_factory.mktemp("toy_backend"))


@pytest.fixture
def plugin_sandbox(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PluginSandbox]:
    """A :class:`PluginSandbox`, uninstalled (and discovery re-scanned) after the test."""
    with PluginSandbox(tmp_path / "site-packages", lambda: request.getfixturevalue("toy_builder")) as sandbox:
        yield sandbox
