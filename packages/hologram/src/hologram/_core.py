"""The one place that touches the compiled binding: ``ffi``, ``lib`` and status checks.

Every wrapper has the same shape: validate what only Python can know, make one
call into the core, and hand a non-zero status to :func:`raise_status`.
``fast`` holds the op entry points as METH_FASTCALL functions taking
``Executor._ex_addr`` / ``Buffer._buf_addr`` (the low-level API's hot path);
``lib`` is the cffi binding for everything else.
"""

from __future__ import annotations

from typing import NoReturn

from hologram import errors
from hologram_core import _fast_calls as fast  # type: ignore[attr-defined]  # created by hologram_core
from hologram_core import ffi, lib

__all__ = ["check", "fast", "ffi", "last_error", "lib", "raise_status"]

_STATUS_ERRORS: dict[int, type[errors.HologramError]] = {
    lib.HG_ERR_INVALID_ARGUMENT: errors.InvalidArgumentError,
    lib.HG_ERR_DTYPE: errors.DTypeError,
    lib.HG_ERR_SHAPE: errors.ShapeError,
    lib.HG_ERR_OUT_OF_MEMORY: errors.OutOfMemoryError,
    lib.HG_ERR_CLOSED: errors.ClosedError,
    lib.HG_ERR_EXECUTOR_MISMATCH: errors.ExecutorMismatchError,
    lib.HG_ERR_READ_ONLY: errors.ReadOnlyError,
    lib.HG_ERR_UNSUPPORTED: errors.UnsupportedOperationError,
    lib.HG_ERR_NOT_HOST_ADDRESSABLE: errors.NotHostAddressableError,
    lib.HG_ERR_BACKEND_UNAVAILABLE: errors.BackendUnavailableError,
    lib.HG_ERR_ABI_MISMATCH: errors.ABIMismatchError,
    lib.HG_ERR_LOAD_FAILED: errors.BackendLoadError,
    lib.HG_ERR_BACKEND: errors.BackendError,
    lib.HG_ERR_INTERNAL: errors.InternalError,
}


def last_error() -> str:
    """The calling thread's error detail from the core."""
    return ffi.string(lib.hg_last_error()).decode("utf-8", "replace")


def raise_status(status: int, context: str = "", output_name: str = "") -> NoReturn:
    """Raises the exception for a non-zero ``hg_status`` with the core's detail.

    ``output_name`` renames the core's output operand ``'out'`` to the caller's
    parameter name (the low-level functions call it ``c``).
    """
    cls = _STATUS_ERRORS.get(status, errors.InternalError)
    message = last_error() or ffi.string(lib.hg_status_name(status)).decode()
    if output_name:
        message = message.replace("'out'", f"'{output_name}'")
    # The core's messages already start with the op name; do not say it twice.
    raise cls(f"{context}: {message}" if context and not message.startswith(f"{context}:") else message)


def check(status: int, context: str = "") -> None:
    """Raises unless ``status`` is ``HG_OK``."""
    if status:
        raise_status(status, context)
