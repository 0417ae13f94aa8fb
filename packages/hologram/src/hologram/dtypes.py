"""Element types of Hologram buffers and their mapping to NumPy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hologram._core import lib
from hologram.errors import DTypeError

__all__ = ["DType", "DTypeLike", "as_dtype", "float32", "float64"]


@dataclass(frozen=True, eq=False)
class DType:
    """A buffer element type. Compares equal to its name and to the NumPy dtype."""

    name: str
    code: int
    itemsize: int

    @property
    def numpy(self) -> np.dtype[Any]:
        """The equivalent NumPy dtype."""
        return np.dtype(self.name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.code == other.code
        try:
            return as_dtype(other) is self  # type: ignore[arg-type]
        except (DTypeError, TypeError):
            return False

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"hologram.{self.name}"

    def __str__(self) -> str:
        return self.name


float32 = DType("float32", lib.HG_DTYPE_FLOAT32, 4)
float64 = DType("float64", lib.HG_DTYPE_FLOAT64, 8)

_SUPPORTED = {d.name: d for d in (float32, float64)}
_BY_CODE = {d.code: d for d in (float32, float64)}
_ALIASES = {"f32": float32, "f64": float64, "float": float32, "double": float64}

_FAST: dict[Any, DType] = {**_SUPPORTED, **_ALIASES, np.dtype(np.float32): float32, np.dtype(np.float64): float64,
                           np.float32: float32, np.float64: float64}

DTypeLike = Any  # a DType, a name ('float32'), a NumPy dtype or scalar type


def as_dtype(dtype: DTypeLike) -> DType:
    """Normalises a dtype-like to a supported :class:`DType`, or raises :class:`DTypeError`."""
    if isinstance(dtype, DType):
        return dtype
    try:
        found = _FAST.get(dtype)  # the common names and NumPy dtypes, without asking NumPy
    except TypeError:  # unhashable: not a dtype-like we know; the slow path explains
        found = None
    if found is not None:
        return found
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(getattr(dtype, "name", dtype)).removeprefix("torch.")
    found = _SUPPORTED.get(name)
    if found is None:
        raise DTypeError(
            f"unsupported dtype {dtype!r}: Hologram buffers hold float32 or float64 "
            "(convert with arr.astype(np.float32))"
        )
    return found


def from_code(code: int) -> DType:
    """The :class:`DType` of a core dtype code."""
    return _BY_CODE[code]
