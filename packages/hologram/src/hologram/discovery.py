"""Backend discovery through the ``hologram.backends`` entry-point group.

Like JAX's PJRT plugins: each installed distribution may register an entry
point that resolves to a mapping (or a callable returning one) with the keys
``name``, ``priority``, ``library`` and optionally ``symbol``,
``version`` and ``unavailable`` (a reason: the plugin knows it cannot run
here, e.g. its runtime libraries are missing, and its library is not
loaded). Discovery is lazy (first :class:`~hologram.Executor` or
:func:`backends` call) and never raises: a plugin that fails to import, load
or probe is listed as unavailable with the reason, and only asking for it by
name raises.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from hologram._core import ffi, last_error, lib
from hologram.errors import BackendUnavailableError

__all__ = ["ENTRY_POINT_GROUP", "BackendInfo", "backends", "get_default_backend", "select_backend"]

ENTRY_POINT_GROUP = "hologram.backends"
_log = logging.getLogger("hologram")

# What to install when a well-known backend is missing.
_REMEDIES = {
    "cuda": "pip install 'hologram[cuda]' on a machine with an NVIDIA GPU and driver",
    "metal": "pip install 'hologram[metal]' on an Apple Silicon Mac",
    "webgpu": "pip install 'hologram[metal]' (the WebGPU backend)",
}


@dataclass(frozen=True)
class BackendInfo:
    """One discovered backend, usable or not."""

    name: str
    version: str
    priority: int
    available: bool
    reason: str = ""
    library: str | None = None
    source: str = ""
    score: int = 0
    handle: Any = field(default=None, repr=False, compare=False)
    #: Usable only when asked for by name (a software GPU rasterizer): ``reason`` says why.
    explicit_only: bool = False
    #: The device the backend drives, as it describes it ("" when it does not say).
    device: str = ""

    @property
    def auto_selectable(self) -> bool:
        """True when ``Executor()`` without a backend name may pick this backend."""
        return self.available and not self.explicit_only

    @property
    def status(self) -> str:
        """``"available"``, ``"available on request: <why>"`` or ``"unavailable: <reason>"``."""
        if not self.available:
            return f"unavailable: {self.reason}"
        return f"available on request: {self.reason}" if self.explicit_only else "available"


def _spec_of(ep: EntryPoint) -> Mapping[str, Any]:
    obj = ep.load()
    spec = obj() if callable(obj) else obj
    if not isinstance(spec, Mapping):
        spec = {k: getattr(spec, k) for k in ("name", "priority", "library", "symbol", "version", "unavailable")
                if hasattr(spec, k)}
    for key in ("name", "library"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise TypeError(f"entry point {ep.value!r} gave no {key!r} string")
    return spec


def _source(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" ({dist.name} {dist.version})" if dist is not None else ""
    return f"{ep.name} = {ep.value}{where}"


def _probe(ep: EntryPoint) -> BackendInfo:
    """Loads and probes one entry point; every failure becomes a reason."""
    source = _source(ep)
    try:
        spec = _spec_of(ep)
    except Exception as exc:
        _log.warning("hologram: backend plugin %s failed to load: %s", source, exc)
        return BackendInfo(ep.name, "?", 0, False, f"plugin failed to load: {exc!r}", None, source)
    name, library = str(spec["name"]).lower(), str(spec["library"])
    version, priority = str(spec.get("version", "?")), int(spec.get("priority", 0))
    if spec.get("unavailable"):
        # The plugin knows it cannot run here (its runtime libraries are missing, ...): no load attempt.
        return BackendInfo(name, version, priority, False, str(spec["unavailable"]), library, source)
    symbol = spec.get("symbol") or "hg_backend_entry"
    out = ffi.new("hg_backend **")
    if lib.hg_backend_load(library.encode(), str(symbol).encode(), out):
        reason = last_error()
        _log.warning("hologram: backend %r cannot be loaded: %s", name, reason)
        return BackendInfo(name, version, priority, False, reason, library, source)
    handle = out[0]
    reported = ffi.string(lib.hg_backend_name(handle)).decode("utf-8", "replace")
    if reported.lower() != name:
        reason = (f"the entry point names the backend {name!r} but its library reports {reported!r}: "
                  "the plugin's packaging is inconsistent")
        _log.warning("hologram: %s", reason)
        return BackendInfo(name, version, priority, False, reason, library, source)
    score = ffi.new("int32_t *")
    reason_buf = ffi.new("char[]", 512)
    if lib.hg_backend_probe(handle, score, reason_buf, 512):
        return BackendInfo(name, version, priority, False, f"probe failed: {last_error()}", library, source)
    reason = ffi.string(reason_buf).decode("utf-8", "replace")
    device = ffi.string(lib.hg_backend_describe(handle)).decode("utf-8", "replace")
    if score[0] <= 0:
        return BackendInfo(name, version, priority, False, reason or "the backend reports no usable device",
                           library, source, score[0], handle, device=device)
    explicit = bool(lib.hg_backend_explicit_only(handle, reason_buf, 512))
    note = ffi.string(reason_buf).decode("utf-8", "replace") if explicit else ""
    return BackendInfo(name, version, priority, True, note, library, source, score[0], handle,
                       explicit_only=explicit, device=device)


_lock = threading.Lock()
_cache: list[BackendInfo] | None = None


def backends(refresh: bool = False) -> list[BackendInfo]:
    """Every discovered backend, highest priority first, with its availability.

    Pass ``refresh=True`` to scan the entry points again (after installing a
    plugin in a running process).
    """
    global _cache
    with _lock:
        if _cache is None or refresh:
            found = [_probe(ep) for ep in entry_points(group=ENTRY_POINT_GROUP)]
            found.sort(key=lambda b: (-b.priority, b.name))
            seen: set[str] = set()
            unique = []
            for info in found:
                if info.name in seen:
                    _log.warning("hologram: backend %r from %s is shadowed by a higher-priority one",
                                 info.name, info.source)
                    info = BackendInfo(info.name, info.version, info.priority, False,
                                       "shadowed by another backend of the same name", info.library, info.source,
                                       device=info.device)
                seen.add(info.name)
                unique.append(info)
            _cache = unique
        return list(_cache)


def select_backend(name: str | None = None) -> BackendInfo:
    """The backend an executor should use.

    ``None`` or ``"auto"`` honours ``HOLOGRAM_BACKEND`` and otherwise picks the
    highest-priority available backend that is not explicit-only (a software
    GPU rasterizer never is picked this way); a name picks that backend or raises
    :class:`BackendUnavailableError` with the reason and the remedy.
    """
    forced = os.environ.get("HOLOGRAM_BACKEND", "").strip()
    if name in (None, "auto") and forced:
        return _by_name(forced.lower(), via_env=True)
    if name in (None, "auto"):
        for info in backends():
            if info.auto_selectable:
                return info
        listing = "; ".join(f"{b.name}: {b.reason}" for b in backends()) or "none installed"
        raise BackendUnavailableError(
            f"no usable Hologram backend ({listing}): reinstall hologram-core, which provides the CPU backend"
        )
    if not isinstance(name, str):
        raise TypeError(f"backend must be a name such as 'cpu' or None, got {type(name).__name__}")
    return _by_name(name.lower(), via_env=False)


def _by_name(name: str, via_env: bool) -> BackendInfo:
    origin = " (from HOLOGRAM_BACKEND)" if via_env else ""
    for info in backends():
        if info.name == name:
            if info.available:
                return info
            raise BackendUnavailableError(f"backend {name!r}{origin} is unavailable: {info.reason}")
    known = ", ".join(b.name for b in backends()) or "none"
    remedy = _REMEDIES.get(name, f"install the plugin that provides the {name!r} backend")
    raise BackendUnavailableError(
        f"no backend named {name!r}{origin} is installed (installed: {known}); to get it: {remedy}"
    )


def get_default_backend() -> str:
    """Name of the backend ``hologram.Executor()`` would use now."""
    return select_backend(None).name


def is_available(name: str) -> bool:
    """True when a backend of that name is installed and usable here."""
    return any(b.name == name and b.available for b in backends())
