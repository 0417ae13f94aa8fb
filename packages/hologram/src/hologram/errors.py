"""The exceptions Hologram raises, rooted at :class:`HologramError`.

Each also derives from the built-in exception a Python user would catch for
the same mistake: a bad value is a ``ValueError``, a wrong dtype a
``TypeError``, exhausted memory a ``MemoryError``.
"""

from __future__ import annotations

__all__ = [
    "ABIMismatchError",
    "BackendError",
    "BackendLoadError",
    "BackendUnavailableError",
    "ClosedError",
    "DTypeError",
    "ExecutorMismatchError",
    "HologramError",
    "InternalError",
    "InvalidArgumentError",
    "NotHostAddressableError",
    "OutOfMemoryError",
    "ReadOnlyError",
    "ShapeError",
    "UnsupportedOperationError",
]


class HologramError(Exception):
    """Base class of every error raised by Hologram."""


class InvalidArgumentError(HologramError, ValueError):
    """An argument has a value the call cannot accept (negative count, NaN bound, ...)."""


class ShapeError(InvalidArgumentError):
    """Sizes do not fit: ``n`` exceeds a buffer, lengths differ, shapes mismatch."""


class ExecutorMismatchError(InvalidArgumentError):
    """Buffers of two different executors were passed to one call."""


class ReadOnlyError(InvalidArgumentError):
    """An op tried to write into a buffer that wraps read-only memory."""


class ClosedError(HologramError, ValueError):
    """The executor was closed or the buffer was freed (like I/O on a closed file)."""


class DTypeError(HologramError, TypeError):
    """A buffer or array has the wrong dtype, or the dtype is not supported."""


class OutOfMemoryError(HologramError, MemoryError):
    """The backend could not allocate the memory asked for."""


class UnsupportedOperationError(HologramError, NotImplementedError):
    """The backend has no kernel for this op and dtype."""


class NotHostAddressableError(HologramError, BufferError):
    """The memory lives on a device the CPU cannot address, so no zero-copy view exists."""


class BackendError(HologramError, RuntimeError):
    """A backend failed."""


class BackendUnavailableError(BackendError):
    """The backend asked for cannot run here; the message says why and what to do."""


class BackendLoadError(BackendError):
    """A backend library could not be loaded."""


class ABIMismatchError(BackendLoadError):
    """A backend plugin was built for another version of the plugin ABI."""


class InternalError(HologramError, RuntimeError):
    """A bug in Hologram: please report it with the message."""
