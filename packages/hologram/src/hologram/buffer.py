"""The :class:`Buffer`: typed memory owned by (or lent to) an executor.

Zero-copy rules, on backends whose memory the CPU addresses (the CPU):

* :meth:`Buffer.to_numpy`, ``np.asarray(buf)``, ``memoryview(buf)`` (Python
  3.12+; :meth:`Buffer.memoryview` everywhere) and ``__dlpack__`` are views of
  the same bytes. A view pins the memory: freeing the buffer or closing its
  executor defers the release until the last view is gone, so a view never
  dangles.
* :meth:`Executor.wrap` uses a caller's array in place.
* :meth:`Buffer.from_numpy` / :meth:`Buffer.to_bytes` are one bulk copy.

On device backends, whose memory the CPU cannot address (``not
Executor.host_addressable``), nothing is ever shared with the host and nothing
is copied behind the caller's back:

* :meth:`Buffer.to_numpy` / :meth:`Buffer.numpy` / :meth:`Buffer.to_bytes`
  and ``np.asarray(buf)`` are one bulk copy each; ``np.asarray(buf,
  copy=False)`` raises ``ValueError`` (a copy is needed).
* :meth:`Buffer.memoryview` and ``memoryview(buf)`` raise
  :class:`NotHostAddressableError`.
* ``__dlpack__`` hands the memory out in place only on a backend that exports
  device addresses (CUDA), to a consumer on its device; otherwise it raises
  :class:`NotHostAddressableError` unless the consumer accepts a copy
  (``np.from_dlpack(buf, copy=True)``), which it then gets.
* :meth:`Executor.wrap` / :meth:`Executor.wrap_address` raise
  :class:`NotHostAddressableError`; :meth:`Executor.from_numpy` copies in once.
"""

from __future__ import annotations

import builtins
import functools
import operator
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from hologram._core import check, fast, ffi, lib, raise_status
from hologram.dtypes import DType
from hologram.errors import DTypeError, InvalidArgumentError, NotHostAddressableError, ShapeError

if TYPE_CHECKING:
    from hologram.executor import Executor

__all__ = ["Buffer", "Shape", "normalize_shape"]

Shape = int | tuple[int, ...]

_DLPACK_CPU = 1  # kDLCPU
# Buffer handles by address (hologram_core._fast_calls): allocation, and the references each Buffer owns.
_allocate, _retain, _release = fast.allocate, fast.retain, fast.release


@functools.cache
def _bytes_from_string_and_size() -> Any:
    """CPython's ``PyBytes_FromStringAndSize``, or None on other interpreters (looked up on first use)."""
    if sys.implementation.name != "cpython":
        return None
    import ctypes  # only device reads need it: keep it off the import path

    fn = ctypes.pythonapi.PyBytes_FromStringAndSize
    fn.restype = ctypes.py_object
    fn.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t)
    return fn


def _new_bytes(nbytes: int) -> bytes | None:
    """A new, uninitialised ``bytes`` of ``nbytes`` for the caller to fill once, or None.

    Python can only build ``bytes`` from data that already exists, which costs
    a second copy after a device read; ``PyBytes_FromStringAndSize(NULL, n)``
    is the C API's way to allocate one and fill it before anyone else sees it.
    """
    make = _bytes_from_string_and_size()
    return None if make is None else make(None, nbytes)  # type: ignore[no-any-return]


def normalize_shape(shape: Any) -> tuple[int, ...]:
    """``int`` or sequence of ints -> a tuple of non-negative ints."""
    if isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape):
        return tuple(shape)  # the common case (also torch.Size), checked without the general path
    if isinstance(shape, bool):
        raise TypeError("a shape must be an int or a tuple of ints, not bool")
    dims: tuple[int, ...]
    try:
        dims = (operator.index(shape),)
    except TypeError:
        try:
            dims = tuple(operator.index(d) for d in shape)
        except TypeError:
            raise TypeError(f"a shape must be an int or a tuple of ints, got {shape!r}") from None
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(f"a buffer size must be >= 0, got {shape!r}")
    return dims


class _HostView:
    """Keeps a pin on a buffer's memory for as long as a NumPy view exists.

    NumPy makes this object the view's ``base``; when the view (and every
    view of it) is collected, the pin's destructor unpins the memory.
    """

    __slots__ = ("__array_interface__", "_keep", "_pin")

    def __init__(self, interface: dict[str, Any], pin: Any, keep: Any) -> None:
        self.__array_interface__ = interface
        self._pin = pin
        self._keep = keep


class Buffer:
    """Memory of ``size`` elements of one dtype, owned by an :class:`Executor`.

    Create buffers with :meth:`Executor.allocate`, :meth:`Executor.wrap` or
    :meth:`Executor.from_numpy`. ``shape`` is metadata for ops that work on
    rows (reductions, softmax, gemm); the memory is always contiguous.
    """

    __slots__ = ("__weakref__", "_buf_addr", "_dtype", "_exec", "_hc", "_keep", "_n", "_shape")

    # Each Buffer object owns one reference to its core handle, at _buf_addr,
    # and gives it back in __del__ (reshaped views take one of their own).
    # The fast op entry points take that address; the cffi calls take _h, a
    # cffi pointer made on first use that holds a reference of its own.
    _buf_addr: int  # the handle's address: nonzero from construction to __del__
    _hc: Any  # the cffi pointer behind _h, or None until something asks for it
    _exec: Executor
    _shape: tuple[int, ...]
    _dtype: DType
    _keep: Any
    _n: int  # element count: fixed for a buffer's life, cached to keep op wrappers cheap

    def __new__(cls, *args: Any, **kwargs: Any) -> Buffer:
        raise TypeError("create buffers with Executor.allocate, Executor.wrap or Executor.from_numpy")

    @classmethod
    def _adopt(cls, executor: Executor, handle: Any, shape: tuple[int, ...], dtype: DType,
               keep: Any = None) -> Buffer:
        """Wraps a handle the caller got from the core (its reference passes to the Buffer)."""
        self = object.__new__(cls)
        self._buf_addr = int(ffi.cast("uintptr_t", handle))
        self._hc = None
        self._exec = executor
        self._shape = tuple(shape)
        self._dtype = dtype
        self._keep = keep
        self._n = int(lib.hg_buffer_count(handle))
        return self

    @classmethod
    def _new(cls, executor: Executor, shape: tuple[int, ...], count: int, dtype: DType) -> Buffer:
        """A new uninitialised buffer of ``count`` elements (the product of ``shape``): the fast path
        of allocating ops and :meth:`Executor.allocate`."""
        addr = _allocate(executor._ex_addr, count, dtype.code)
        if addr <= 0:
            raise_status(-addr, "allocate")
        self = object.__new__(cls)
        self._buf_addr = addr
        self._hc = None
        self._exec = executor
        self._shape = shape
        self._dtype = dtype
        self._keep = None
        self._n = count
        return self

    @classmethod
    def _like(cls, executor: Executor, other: Buffer) -> Buffer:
        """A new uninitialised buffer with ``other``'s shape and dtype (the ops' fast path)."""
        return cls._new(executor, other._shape, other._n, other._dtype)

    def __del__(self, _release: Any = _release) -> None:
        _release(self._buf_addr)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A copy made slot by slot would share this object's handle reference and give it back
        # twice; pickling cannot carry executor memory at all.
        raise TypeError("a hologram.Buffer cannot be copied or pickled (it holds executor memory): copy its "
                        "contents instead, with executor.from_numpy(buf.to_numpy()) or hologram.ops.copy")

    @property
    def _h(self) -> Any:
        """The handle as a cffi pointer (``hg_buffer *``), for the calls made through cffi."""
        h = self._hc
        if h is None:
            h = ffi.cast("hg_buffer *", self._buf_addr)
            lib.hg_buffer_retain(h)
            h = self._hc = ffi.gc(h, lib.hg_buffer_release)
        return h

    # -- metadata ----------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of elements."""
        return self._n

    def __len__(self) -> int:
        return self.size

    @property
    def dtype(self) -> DType:
        """Element type (compares equal to ``"float32"`` and ``np.float32``)."""
        return self._dtype

    @property
    def nbytes(self) -> int:
        """Size in bytes."""
        return self.size * self._dtype.itemsize

    @property
    def shape(self) -> tuple[int, ...]:
        """Logical shape (row-major); its product is :attr:`size`."""
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def executor(self) -> Executor:
        """The executor that owns this buffer."""
        return self._exec

    @property
    def freed(self) -> bool:
        """True once the buffer was freed or its executor closed."""
        return bool(lib.hg_buffer_is_freed(self._h))

    @property
    def read_only(self) -> bool:
        """True when the buffer wraps read-only memory."""
        return bool(lib.hg_buffer_is_read_only(self._h))

    def __repr__(self) -> str:
        state = " freed" if self.freed else ""
        return (f"<hologram.Buffer shape={self._shape} dtype={self._dtype.name} "
                f"backend={self._exec.backend!r}{state}>")

    def reshape(self, *shape: Any) -> Buffer:
        """The same memory under another shape with the same number of elements."""
        dims = normalize_shape(shape[0] if len(shape) == 1 else shape)
        if -1 in dims:
            raise InvalidArgumentError("reshape needs explicit sizes")
        count = 1
        for d in dims:
            count *= d
        if count != self.size:
            raise ShapeError(f"cannot reshape a buffer of {self.size} elements to {dims}")
        view = object.__new__(Buffer)
        _retain(self._buf_addr)
        view._buf_addr, view._hc = self._buf_addr, None
        view._exec, view._shape, view._dtype, view._keep = self._exec, dims, self._dtype, self._keep
        view._n = self._n
        return view

    # -- lifetime ----------------------------------------------------------
    def free(self) -> None:
        """Releases the memory now (views defer it to their end). Idempotent."""
        check(lib.hg_buffer_free(self._h))

    close = free

    def __enter__(self) -> Buffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()

    # -- copies in and out ---------------------------------------------------
    def _check_array(self, array: Any, what: str) -> np.ndarray:
        arr = np.asarray(array)
        if arr.dtype != self._dtype.numpy:
            raise DTypeError(
                f"{what}: the array is {arr.dtype} but the buffer is {self._dtype.name}; "
                f"convert with arr.astype(np.{self._dtype.name})"
            )
        if arr.size != self.size:
            raise ShapeError(f"{what}: the array has {arr.size} elements but the buffer holds {self.size}")
        return arr

    def from_numpy(self, array: Any) -> Buffer:
        """Copies ``array`` (same dtype and number of elements) into the buffer; returns self.

        One bulk copy: a contiguous array goes straight from its memory into the
        buffer; a strided one is gathered once first.
        """
        arr = np.ascontiguousarray(self._check_array(array, "from_numpy"))
        check(lib.hg_buffer_write(self._h, 0, ffi.from_buffer(arr), arr.nbytes), "from_numpy")
        return self

    def from_bytes(self, data: Any) -> Buffer:
        """Copies raw bytes (any buffer-protocol object of exactly :attr:`nbytes`) in; returns self."""
        view = memoryview(data)
        if view.nbytes != self.nbytes:
            raise ShapeError(f"from_bytes: got {view.nbytes} bytes but the buffer holds {self.nbytes}")
        if not view.c_contiguous:
            view = memoryview(view.tobytes())
        check(lib.hg_buffer_write(self._h, 0, ffi.from_buffer(view), view.nbytes), "from_bytes")
        return self

    copy_from_bytes = from_bytes

    def to_bytes(self) -> bytes:
        """A copy of the contents as ``bytes``: one bulk copy, from host memory or the device."""
        if lib.hg_backend_host_addressable(self._exec._info.handle):
            data = ffi.new("void **")
            check(lib.hg_buffer_host_ptr(self._h, data), "to_bytes")
            return ffi.buffer(data[0], self.nbytes)[:]
        out = _new_bytes(self.nbytes)
        if out is None:  # no in-place bytes construction on this interpreter: read, then copy once more
            scratch = bytearray(self.nbytes)
            check(lib.hg_buffer_read(self._h, 0, ffi.from_buffer(scratch), len(scratch)), "to_bytes")
            return bytes(scratch)
        if out:
            check(lib.hg_buffer_read(self._h, 0, ffi.from_buffer(out), len(out)), "to_bytes")
        else:
            check(lib.hg_buffer_read(self._h, 0, ffi.NULL, 0), "to_bytes")  # still reports a freed buffer
        return out

    def to_numpy(self) -> np.ndarray:
        """The contents as a NumPy array of :attr:`shape`.

        Where the CPU addresses the memory: a zero-copy view that pins the
        memory until the view is gone (writes through it change the buffer).
        On device memory: a new array holding a copy (one bulk transfer); later
        writes to either side are not seen by the other.
        """
        if not lib.hg_backend_host_addressable(self._exec._info.handle):
            out = np.empty(self._shape, dtype=self._dtype.numpy)
            check(lib.hg_buffer_read(self._h, 0, ffi.from_buffer(out), out.nbytes), "to_numpy")
            return out
        return np.asarray(self._pinned_view())

    def numpy(self) -> np.ndarray:
        """Alias of :meth:`to_numpy` (a view on host memory, one bulk copy from device memory)."""
        return self.to_numpy()

    def host_pin(self) -> tuple[Any, int]:
        """A pin on this buffer's host memory and the memory's address: ``(token, address)``.

        For frameworks that put the memory under objects of their own (hologram-torch's
        storages) without a NumPy view per object. While ``token`` is alive the memory
        stays valid, even after :meth:`free` or the executor's ``close()``; it is released
        when the last token (or view) goes.

        Raises:
            NotHostAddressableError: the memory is on a device the CPU cannot address.
            ClosedError: the buffer was freed or its executor closed.
        """
        return self._pin("host_pin")

    def _pin(self, what: str) -> tuple[Any, int]:
        data = ffi.new("void **")
        check(lib.hg_buffer_pin(self._h, data), what)
        return ffi.gc(ffi.cast("hg_buffer *", self._h), lib.hg_buffer_unpin), int(ffi.cast("uintptr_t", data[0]))

    def _pinned_view(self) -> _HostView:
        pin, address = self._pin("view")
        interface = {
            "version": 3,
            "shape": self._shape,
            "typestr": self._dtype.numpy.str,
            "data": (address, self.read_only),
        }
        return _HostView(interface, pin, self._keep)

    def _on_device(self, what: str) -> bool:
        """True when the CPU cannot address this buffer's memory.

        Raises :class:`ClosedError` first when the buffer was freed or its
        executor closed, so a dead buffer reports that, whatever was asked.
        """
        if lib.hg_backend_host_addressable(self._exec._info.handle):
            return False
        status = lib.hg_buffer_host_ptr(self._h, ffi.new("void **"))
        if status != lib.HG_ERR_NOT_HOST_ADDRESSABLE:
            check(status, what)
        return True

    def _device_message(self, what: str, remedy: str) -> str:
        return (f"{what}: this buffer lives in {self._exec.backend!r} device memory, which the CPU cannot "
                f"address, so no zero-copy view exists; {remedy}")

    def _require_host(self, what: str) -> None:
        """Raises NotHostAddressableError when the CPU cannot address this buffer's memory."""
        if self._on_device(what):
            raise NotHostAddressableError(self._device_message(what, "copy it out with buf.to_numpy() (one bulk copy)"))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's conversion: ``np.asarray(buf)``, ``np.array(buf)``.

        Host memory: ``copy=None``/``False`` give a zero-copy view, ``copy=True``
        a copy. Device memory: always a copy (one bulk transfer, not two for
        ``copy=True``); ``copy=False`` raises ``ValueError``, as NumPy does when
        a copy would be needed.
        """
        if copy is False and self._on_device("np.asarray(buf, copy=False)"):
            # NumPy's protocol: a refused copy is a ValueError.
            raise ValueError(self._device_message(
                "np.asarray(buf, copy=False)",
                "a copy is needed: use np.asarray(buf) or buf.to_numpy() (one bulk copy)"))
        arr = self.to_numpy()
        fresh = not lib.hg_backend_host_addressable(self._exec._info.handle)  # to_numpy already copied
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError("a dtype conversion needs a copy")
            return arr.astype(dtype)
        return arr.copy() if copy and not fresh else arr

    def memoryview(self) -> builtins.memoryview:
        """A zero-copy ``memoryview`` of host-addressable memory (pins it like a view).

        Device memory has no such view and is never copied behind the caller's
        back: raises :class:`NotHostAddressableError` (a ``BufferError``).
        """
        self._require_host("memoryview")
        view: Any = self.to_numpy()  # ndarray speaks the buffer protocol on every Python
        return builtins.memoryview(view)

    if sys.version_info >= (3, 12):

        def __buffer__(self, flags: int) -> builtins.memoryview:
            self._require_host("memoryview")
            view = self.to_numpy()
            if flags & 0x1 and not view.flags.writeable:  # PyBUF_WRITABLE
                raise BufferError("the buffer is read-only")
            return builtins.memoryview(view)

    # -- DLPack ----------------------------------------------------------------
    def __dlpack_device__(self) -> tuple[int, int]:
        """(DLPack device type of the backend's memory, the executor's device index)."""
        return (int(lib.hg_backend_dlpack_device_type(self._exec._info.handle)), self._exec.device)

    def __dlpack__(self, *, stream: Any = None, max_version: tuple[int, int] | None = None,
                   dl_device: tuple[int, int] | None = None, copy: bool | None = None) -> Any:
        """A DLPack capsule of the same memory (host-addressable backends, and CUDA-like ones).

        A backend that exports device addresses (CUDA) hands out its memory in
        place to a consumer on its device (``torch.from_dlpack(buf)``): the
        consumer's ``stream`` is made to wait for the ops queued so far, and the
        buffer stays pinned until the consumer lets go. Other device memory is
        never handed out in place: ``copy=True``, or
        ``dl_device=(1, 0)`` (the CPU) without ``copy=False``, gives a capsule
        of a new host copy (one bulk transfer, complete on return, so
        ``stream`` is not needed); that is what ``np.from_dlpack(buf,
        copy=True)`` and ``np.from_dlpack(buf, device="cpu")`` ask for. Any
        other request raises :class:`NotHostAddressableError` (a
        ``BufferError``, as the DLPack protocol prescribes) naming the remedy.
        """
        if not lib.hg_backend_host_addressable(self._exec._info.handle):
            in_place = dl_device is None or tuple(dl_device) == self.__dlpack_device__()
            if copy is not True and in_place and self._exec._exports_device_memory:
                from hologram.dlpack_device import export_capsule

                return export_capsule(self, stream)  # in place, on the backend's device (CUDA)
            return self._dlpack_host_copy(max_version, dl_device, copy)
        view = self.to_numpy()
        kwargs: dict[str, Any] = {}
        if stream is not None:
            kwargs["stream"] = stream
        if max_version is not None:
            kwargs["max_version"] = max_version
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        try:
            return view.__dlpack__(**kwargs)
        except TypeError:
            # NumPy < 2.1 predates the versioned protocol's keywords.
            kwargs.pop("max_version", None)
            return view.__dlpack__(**kwargs)

    def _dlpack_host_copy(self, max_version: tuple[int, int] | None, dl_device: tuple[int, int] | None,
                          copy: bool | None) -> Any:
        """``__dlpack__`` of device memory: a capsule of a host copy, when the consumer allows one."""
        what = "__dlpack__"
        self._on_device(what)  # a freed buffer reports ClosedError before anything else
        to_cpu = dl_device is not None and tuple(dl_device) == (_DLPACK_CPU, 0)
        if dl_device is not None and not to_cpu:
            # Only a backend that exports device addresses hands memory to another device's
            # consumer in place (and only on its own device): here a host copy is all there is.
            raise NotHostAddressableError(self._device_message(
                what, f"it can only be exported as a copy on the CPU, not to device {tuple(dl_device)}: "
                "use np.from_dlpack(buf, copy=True) or buf.to_numpy() (one bulk copy)"))
        if copy is False or not (copy is True or to_cpu):
            refused = "copy=False refuses the copy it needs; " if copy is False else ""
            raise NotHostAddressableError(self._device_message(
                what, f"{refused}pass copy=True for a host copy: np.from_dlpack(buf, copy=True), "
                "torch.from_dlpack(buf, copy=True) or buf.to_numpy() (one bulk copy)"))
        host = self.to_numpy()
        # The copy is new host memory nobody else sees, so the capsule is of it in place
        # (copy=True again would copy a second time).
        if max_version is None:
            return host.__dlpack__()
        try:
            return host.__dlpack__(max_version=max_version)
        except TypeError:  # NumPy < 2.1 predates the versioned protocol's keywords
            return host.__dlpack__()

    # -- in-place helpers of the original API --------------------------------------
    def fill(self, value: float, n: int | None = None) -> Buffer:
        """Sets the first ``n`` (default: all) elements to ``value``; returns self."""
        check(lib.hg_fill(self._exec._h, self._h, float(value), self.size if n is None else n), "fill")
        return self

    def copy_from(self, src: Buffer, n: int | None = None) -> Buffer:
        """Copies the first ``n`` (default: all) elements of ``src``; returns self."""
        if not isinstance(src, Buffer):
            raise TypeError(f"copy_from needs a hologram.Buffer, got {type(src).__name__}")
        check(lib.hg_copy(self._exec._h, src._h, self._h, self.size if n is None else n), "copy_from")
        return self
