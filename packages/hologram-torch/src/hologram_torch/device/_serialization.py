"""Storages arriving on the device: ``torch.load`` and ``storage.hologram()``.

torch moves a storage to a PrivateUse1 device by allocating it with the
device's C++ allocator, which a backend written in Python cannot provide.
These two entry points allocate a hologram buffer instead:

* a ``torch.serialization`` package (ahead of torch's generic PrivateUse1
  one) restores storages saved from 'hologram' tensors, and any storage
  loaded with ``map_location='hologram'``;
* ``UntypedStorage.hologram()`` (the method torch generated for this
  backend) is replaced by one that copies into a hologram storage.

``storage.to('hologram')`` still takes torch's allocator route; the
backend module refuses it with an error (:mod:`._module`).
``torch.UntypedStorage(n, device='hologram')`` crashes inside torch and is
not supported; use ``torch.empty(n, dtype=torch.uint8,
device='hologram').untyped_storage()``.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from hologram_torch.device import _storage

__all__ = ["install"]

_LOCATION = re.compile(r"hologram(:(\d+))?$")
_PRIORITY = 19  # before torch's generic PrivateUse1 package (23), after cpu/cuda/mps/meta


def _to_device(storage: Any) -> torch.UntypedStorage:
    out = _storage.new_storage(storage.nbytes())
    out.copy_(storage)
    return out


def _tag(obj: Any) -> None:
    return None  # saving: torch's PrivateUse1 package already tags 'hologram:0'


def _restore(obj: Any, location: str) -> Any:
    match = _LOCATION.match(location)
    if match is None:
        return None
    if match.group(2) not in (None, "0"):
        raise RuntimeError(f"hologram: cannot load onto {location}; there is one 'hologram' device, 'hologram:0' "
                           "(pass map_location='hologram' or 'cpu')")
    if isinstance(obj, torch.UntypedStorage) and obj.device.type == "hologram":
        return obj
    return _to_device(obj)


def _storage_hologram(self: Any, device: Any = None, non_blocking: bool = False) -> Any:
    """A copy of this storage on the 'hologram' device (itself when it is there already)."""
    if device is not None and torch.device(device).index not in (None, 0):
        raise RuntimeError(f"hologram: there is one 'hologram' device, 'hologram:0'; got {device!r}")
    if self.device.type == "hologram":
        return self
    return _to_device(self)


def install() -> None:
    """Registers the serialization package and the storage method (once, from ``register()``)."""
    torch.serialization.register_package(_PRIORITY, _tag, _restore)
    # The attribute torch generated for this backend's name; ours to define.
    torch.storage._StorageBase.hologram = _storage_hologram  # type: ignore[attr-defined]
