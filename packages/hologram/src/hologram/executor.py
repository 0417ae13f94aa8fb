"""The :class:`Executor`: one backend context on one device, and the buffers it owns."""

from __future__ import annotations

import operator
from types import TracebackType
from typing import Any

import numpy as np

from hologram._core import check, ffi, lib, raise_status
from hologram.buffer import Buffer, Shape, normalize_shape
from hologram.discovery import BackendInfo, select_backend
from hologram.dtypes import DTypeLike, as_dtype
from hologram.errors import InvalidArgumentError, NotHostAddressableError

__all__ = ["Executor"]


class Executor:
    """Runs ops on one backend; owns the buffers allocated from it.

    Args:
        backend: ``None`` or ``"auto"`` picks the highest-priority available
            backend (``HOLOGRAM_BACKEND`` overrides); otherwise a backend name
            such as ``"cpu"``, ``"cuda"``, ``"metal"`` or any plugin's name.
        device: device index on that backend.

    Use it as a context manager: leaving the block closes it and frees every
    buffer's memory, except memory still viewed by a NumPy array or a DLPack
    consumer, which lives until that view is gone.
    """

    __slots__ = ("__weakref__", "_ex_addr", "_h", "_info")

    def __init__(self, backend: str | None = None, device: int = 0) -> None:
        info = select_backend(backend)
        out = ffi.new("hg_executor **")
        device = operator.index(device)
        if not 0 <= device < 2**31:
            raise InvalidArgumentError(
                f"Executor({info.name!r}): device {device} does not exist (devices are numbered from 0)"
            )
        check(lib.hg_executor_create(info.handle, device, out), f"Executor({info.name!r})")
        self._h = ffi.gc(out[0], lib.hg_executor_release)
        # The address behind _h for the fast op entry points, valid while _h lives. Its name
        # differs from Buffer._buf_addr, so a buffer passed as the executor fails the lookup.
        self._ex_addr = int(ffi.cast("uintptr_t", out[0]))
        self._info: BackendInfo = info

    # -- identity ----------------------------------------------------------
    @property
    def backend(self) -> str:
        """Name of the backend this executor runs on (``"cpu"``, ``"cuda"``, ...)."""
        return self._info.name

    @property
    def backend_info(self) -> BackendInfo:
        """The discovered backend: version, priority, library."""
        return self._info

    @property
    def device(self) -> int:
        """Device index on the backend."""
        return int(lib.hg_executor_device(self._h))

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return bool(lib.hg_executor_is_closed(self._h))

    @property
    def host_addressable(self) -> bool:
        """True when the CPU can address this backend's memory (the CPU backend).

        Then :meth:`Buffer.to_numpy`, ``np.asarray(buf)``, ``memoryview(buf)``
        and DLPack are zero-copy views, and :meth:`wrap` uses an array in
        place. When False (device memory, as on a GPU) nothing is shared with
        the host: :meth:`Buffer.to_numpy` / :meth:`Buffer.to_bytes` and
        :meth:`from_numpy` are one bulk copy each, while the zero-copy calls
        (:meth:`wrap`, :meth:`wrap_address`, :meth:`Buffer.memoryview`) raise
        :class:`~hologram.NotHostAddressableError`, and so does ``__dlpack__``
        without ``copy=True`` unless the backend exports its device memory in
        place (CUDA: to consumers on its device). Ops run the same either way.
        """
        return bool(lib.hg_backend_host_addressable(self._info.handle))

    @property
    def _exports_device_memory(self) -> bool:
        """True when the backend hands out device addresses and adopts foreign ones (DLPack in
        place on its own device: CUDA)."""
        return bool(lib.hg_backend_exports_device_memory(self._info.handle))

    def _cannot_wrap(self, what: str) -> NotHostAddressableError:
        """The error of a zero-copy call this executor cannot serve, with the copying remedy."""
        if self.host_addressable:  # host memory, but the backend cannot adopt a caller's memory
            why = f"backend {self.backend!r} cannot use a caller's memory in place"
        else:
            why = (f"backend {self.backend!r} keeps its buffers in device memory, which the CPU cannot "
                   "address, so it cannot use a caller's memory in place")
        return NotHostAddressableError(f"{what}: {why}; copy the data in with executor.from_numpy(arr) "
                                       "(one bulk copy)")

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<hologram.Executor backend={self.backend!r} device={self.device} {state}>"

    # -- lifetime ----------------------------------------------------------
    def close(self) -> None:
        """Frees every buffer (views keep theirs alive) and the backend context. Idempotent."""
        check(lib.hg_executor_close(self._h))

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def synchronize(self) -> None:
        """Waits until every op queued on this executor has finished."""
        check(lib.hg_executor_synchronize(self._h))

    def stats(self) -> dict[str, int]:
        """Memory of this executor, in buffers and bytes.

        ``live_buffers``/``live_bytes``: buffers holding memory now;
        ``peak_bytes``: the most ever live at once; ``cached_blocks``/
        ``cached_bytes``: freed blocks kept for reuse (allocations of the same
        size class take them instead of fresh memory); ``cache_limit``: the
        most the cache may hold.
        """
        st = ffi.new("hg_memory_stats *")
        check(lib.hg_executor_memory_stats(self._h, st))
        return {name: int(getattr(st, name)) for name in
                ("live_buffers", "live_bytes", "peak_bytes", "cached_blocks", "cached_bytes", "cache_limit")}

    def empty_cache(self) -> None:
        """Returns every cached (freed, kept for reuse) block to the backend."""
        check(lib.hg_executor_empty_cache(self._h))

    def set_cache_limit(self, limit_bytes: int) -> None:
        """Bounds the cache of freed blocks (0 disables it); shrinks it now if needed.

        The default is ``HOLOGRAM_CACHE_LIMIT`` bytes, or 1 GiB.
        """
        check(lib.hg_executor_set_cache_limit(self._h, operator.index(limit_bytes)), "set_cache_limit")

    # -- buffers -----------------------------------------------------------
    def allocate(self, shape: Shape, dtype: DTypeLike = "float32") -> Buffer:
        """A new, uninitialised buffer of ``shape`` elements (an int or a tuple)."""
        dims = normalize_shape(shape)
        dt = as_dtype(dtype)
        count = 1
        for d in dims:
            count *= d
        try:
            return Buffer._new(self, dims, count, dt)
        except OverflowError:
            raise InvalidArgumentError(f"allocate: {count} elements is out of range") from None

    def empty(self, shape: Shape, dtype: DTypeLike = "float32") -> Buffer:
        """Alias of :meth:`allocate`."""
        return self.allocate(shape, dtype)

    def zeros(self, shape: Shape, dtype: DTypeLike = "float32") -> Buffer:
        """A new buffer filled with zeros."""
        buf = self.allocate(shape, dtype)
        buf.fill(0.0)
        return buf

    def wrap(self, array: Any) -> Buffer:
        """A buffer that uses ``array``'s memory in place (zero-copy).

        ``array`` must be a C-contiguous, aligned float32/float64 NumPy array
        (or an object exposing the buffer protocol); writes through the buffer
        show in the array and vice versa. Read-only arrays give read-only
        buffers. Only for backends whose memory the CPU addresses: on others
        (``not host_addressable``) this raises
        :class:`~hologram.NotHostAddressableError`; use :meth:`from_numpy`
        (one bulk copy) there.
        """
        if not lib.hg_backend_host_addressable(self._info.handle):
            raise self._cannot_wrap("wrap")  # before the array checks: no array would do
        if not isinstance(array, np.ndarray):
            if isinstance(array, (list, tuple, int, float)):
                raise TypeError(
                    "wrap needs an array to share memory with; to copy a list use Executor.from_numpy"
                )
            array = np.asarray(memoryview(array))
        dt = as_dtype(array.dtype)
        if not array.flags.c_contiguous:
            raise InvalidArgumentError(
                "wrap needs a C-contiguous array to share its memory; pass np.ascontiguousarray(arr) "
                "(a copy) or use Executor.from_numpy"
            )
        if not array.flags.aligned:
            raise InvalidArgumentError("wrap needs an aligned array; pass arr.copy()")
        read_only = not array.flags.writeable
        ptr = ffi.cast("void *", array.ctypes.data)
        out = ffi.new("hg_buffer **")
        status = lib.hg_buffer_wrap_host(self._h, ptr, array.size, dt.code, int(read_only), out)
        if status:
            if status == lib.HG_ERR_NOT_HOST_ADDRESSABLE:
                raise self._cannot_wrap("wrap")
            raise_status(status, "wrap")
        return Buffer._adopt(self, out[0], array.shape, dt, keep=array)

    def wrap_address(self, address: int, shape: Shape, dtype: DTypeLike, *, read_only: bool = False,
                     owner: Any = None) -> Buffer:
        """A buffer over raw host memory at ``address`` (zero-copy), for frameworks that own memory.

        This is the cheap route for a tensor library: ``wrap_address(t.data_ptr(),
        t.shape, "float32", owner=t)`` costs one core call and no NumPy. The memory
        must be C-contiguous, hold ``prod(shape)`` elements of ``dtype`` and stay
        valid while the buffer lives; the buffer keeps ``owner`` alive for that.
        Only for backends whose memory the CPU addresses: on others this raises
        :class:`~hologram.NotHostAddressableError` (copy in with :meth:`from_numpy`).
        """
        dims = normalize_shape(shape)
        dt = as_dtype(dtype)
        count = 1
        for d in dims:
            count *= d
        address = operator.index(address)
        if address < 0 or (address == 0 and count):
            raise InvalidArgumentError(f"wrap_address: {address:#x} is not a valid host address")
        if address % dt.itemsize:
            raise InvalidArgumentError(f"wrap_address: {address:#x} is not aligned for {dt.name}")
        out = ffi.new("hg_buffer **")
        status = lib.hg_buffer_wrap_host(self._h, ffi.cast("void *", address), count, dt.code, int(read_only), out)
        if status:
            # Checked only on failure: this is a framework's per-call path.
            if status == lib.HG_ERR_NOT_HOST_ADDRESSABLE:
                raise self._cannot_wrap("wrap_address")
            raise_status(status, "wrap_address")
        return Buffer._adopt(self, out[0], dims, dt, keep=owner)

    def from_numpy(self, array: Any, dtype: DTypeLike | None = None) -> Buffer:
        """A new buffer holding a copy of ``array`` (one bulk copy, on every backend).

        A strided array is gathered once on the host first; ``dtype`` converts
        (another copy) before the transfer.
        """
        array = np.asarray(array, dtype=None if dtype is None else as_dtype(dtype).numpy)
        buf = self.allocate(array.shape, array.dtype)
        return buf.from_numpy(array)
