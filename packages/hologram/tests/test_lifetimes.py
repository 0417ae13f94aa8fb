"""Lifetimes: views never dangle, closed things fail loudly, nothing leaks.

The README promises: "A view keeps the memory alive even after ``buf.free()``
or the executor closes." The other half of that promise is that memory is
given back once the last view is gone, and that using a buffer after its
executor closed (or after it was freed) is a :class:`hg.ClosedError` (a
``ValueError``, like I/O on a closed file), never a crash.
"""

from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest

import hologram as hg


def _live(ex: hg.Executor) -> dict[str, int]:
    """The live part of the stats (freed blocks may stay cached for reuse)."""
    stats = ex.stats()
    return {"live_buffers": stats["live_buffers"], "live_bytes": stats["live_bytes"]}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm (Linux)")


def _expected(n: int = 64) -> np.ndarray:
    return np.arange(n, dtype=np.float32) * 1.5


# -- views keep memory alive ---------------------------------------------------------


def test_view_survives_dropping_the_last_buffer_reference(ex: hg.Executor) -> None:
    buf = ex.from_numpy(_expected())
    view = buf.to_numpy()
    ref = weakref.ref(buf)
    del buf
    gc.collect()
    assert ref() is None, "the Buffer object should be gone"
    np.testing.assert_array_equal(view, _expected())
    view[0] = -1.0  # still writable memory that belongs to nobody else
    assert view[0] == -1.0
    assert ex.stats()["live_buffers"] == 1  # pinned by the view
    del view
    gc.collect()
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}


def test_view_survives_free(ex: hg.Executor) -> None:
    buf = ex.from_numpy(_expected())
    view = buf.to_numpy()
    buf.free()
    assert buf.freed
    gc.collect()
    np.testing.assert_array_equal(view, _expected())
    # A view of the view pins too.
    sub = view[10:20]
    del view
    gc.collect()
    np.testing.assert_array_equal(sub, _expected()[10:20])
    assert ex.stats()["live_buffers"] == 1
    del sub
    gc.collect()
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}


def test_view_survives_executor_close() -> None:
    with hg.Executor(backend="cpu") as ex:
        buf = ex.from_numpy(_expected())
        view = buf.to_numpy()
        other = ex.from_numpy(_expected() + 1)  # no view: freed at close
    assert ex.closed
    assert buf.freed and other.freed
    gc.collect()
    np.testing.assert_array_equal(view, _expected())
    assert ex.stats()["live_buffers"] == 1  # only the viewed one
    del view
    gc.collect()
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}


def test_view_survives_close_and_dropping_everything() -> None:
    ex = hg.Executor(backend="cpu")
    buf = ex.from_numpy(_expected())
    view = buf.to_numpy()
    ex.close()
    del buf, ex
    gc.collect()
    np.testing.assert_array_equal(view, _expected())


def test_host_pin_keeps_the_memory_through_free_and_close() -> None:
    """A bare pin (what hologram-torch's storages hold) is a view without the array."""
    import ctypes

    ex = hg.Executor(backend="cpu")
    buf = ex.from_numpy(_expected(16))
    token, address = buf.host_pin()
    assert address == buf.to_numpy().ctypes.data
    buf.free()
    assert ex.stats()["live_buffers"] == 1  # pinned
    ex.close()
    got = np.ctypeslib.as_array(ctypes.cast(address, ctypes.POINTER(ctypes.c_float)), shape=(16,))
    np.testing.assert_array_equal(got, _expected(16))
    del token, got
    gc.collect()
    with pytest.raises(hg.ClosedError):
        buf.host_pin()


def test_host_pin_is_released_with_its_token(ex: hg.Executor) -> None:
    buf = ex.from_numpy(_expected(16))
    tokens = [buf.host_pin()[0] for _ in range(3)]
    buf.free()
    assert _live(ex)["live_buffers"] == 1
    del tokens
    gc.collect()
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}


def test_memoryview_survives_free_and_close() -> None:
    with hg.Executor(backend="cpu") as ex:
        buf = ex.from_numpy(_expected(8))
        mv = buf.memoryview()
        buf.free()
    gc.collect()
    assert mv.tolist() == _expected(8).tolist()


def test_dlpack_views_survive_free_and_close() -> None:
    torch = pytest.importorskip("torch")
    with hg.Executor(backend="cpu") as ex:
        buf = ex.from_numpy(_expected())
        t = torch.from_dlpack(buf)
        arr = np.from_dlpack(buf)
        buf.free()
    del buf
    gc.collect()
    assert t.tolist() == _expected().tolist()
    np.testing.assert_array_equal(arr, _expected())
    assert ex.stats()["live_buffers"] == 1
    del t, arr
    gc.collect()
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}


def test_views_taken_before_free_still_see_each_other(ex: hg.Executor) -> None:
    buf = ex.from_numpy(_expected(4))
    v1, v2 = buf.to_numpy(), buf.to_numpy()
    buf.free()
    v1[0] = 42.0
    assert v2[0] == 42.0


# -- closed and freed are errors ------------------------------------------------------


def test_buffer_after_executor_closed_raises_closed_error() -> None:
    with hg.Executor(backend="cpu") as ex:
        a, b, c = ex.zeros(4), ex.zeros(4), ex.zeros(4)
    for call in (
        lambda: hg.vector_add_f32(ex, a, b, c, 4),
        lambda: hg.ops.add(ex, a, b),
        a.to_numpy,
        a.to_bytes,
        lambda: a.from_numpy(np.zeros(4, np.float32)),
        lambda: a.fill(1.0),
        lambda: np.asarray(a),
        lambda: ex.allocate(4),
    ):
        with pytest.raises(hg.ClosedError, match="closed") as info:
            call()
        assert isinstance(info.value, ValueError)
    assert a.freed


def test_freed_buffer_raises_closed_error_mentioning_freed(ex: hg.Executor) -> None:
    a, c = ex.zeros(4), ex.zeros(4)
    a.free()
    for call in (
        lambda: hg.vector_add_f32(ex, a, a, c, 4),
        lambda: hg.vector_relu_f32(ex, c, a, 4),
        lambda: hg.ops.relu(ex, a),
        a.to_numpy,
        a.to_bytes,
        lambda: a.from_bytes(bytes(16)),
        lambda: a.fill(0.0),
    ):
        with pytest.raises(hg.ClosedError, match="freed") as info:
            call()
        assert isinstance(info.value, ValueError)
    # The executor itself is fine.
    hg.vector_relu_f32(ex, c, c, 4)


def test_free_and_close_are_idempotent() -> None:
    ex = hg.Executor(backend="cpu")
    buf = ex.allocate(8)
    buf.free()
    buf.free()
    buf.close()  # alias of free
    assert buf.freed
    ex.close()
    ex.close()
    with ex:  # entering and leaving a closed executor is harmless too
        pass
    assert ex.closed
    buf.free()  # free after close: still a no-op
    assert "closed" in repr(ex)
    assert "freed" in repr(buf)


def test_buffer_context_manager_frees(ex: hg.Executor) -> None:
    with ex.allocate(8) as buf:
        buf.fill(1.0)
    assert buf.freed
    assert ex.stats()["live_buffers"] == 0


def test_close_frees_every_buffer_without_views() -> None:
    ex = hg.Executor(backend="cpu")
    bufs = [ex.allocate(256) for _ in range(10)]
    assert _live(ex) == {"live_buffers": 10, "live_bytes": 10 * 256 * 4}
    ex.close()
    assert all(b.freed for b in bufs)
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}


# -- no leaks, no caps ---------------------------------------------------------------


@needs_proc
def test_many_allocate_free_cycles_stay_flat(ex: hg.Executor) -> None:
    cycles, n = 100_000, 1024  # 4 KiB each: a leak would be ~400 MB
    for _ in range(1000):  # warm up allocator pools before measuring
        ex.allocate(n).free()
    gc.collect()
    before = _rss_bytes()
    for _ in range(cycles):
        buf = ex.allocate(n)
        buf.free()
    del buf
    gc.collect()
    grown = _rss_bytes() - before
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}
    assert grown < 50 * 1024 * 1024, f"RSS grew {grown / 2**20:.1f} MiB over {cycles} allocate/free cycles"
    # No cap was hit: the executor still allocates.
    assert ex.allocate(n).size == n


@needs_proc
def test_many_dropped_buffers_and_views_stay_flat(ex: hg.Executor) -> None:
    """Buffers released only by garbage collection (no free()) and their views leak nothing either."""
    gc.collect()
    before = _rss_bytes()
    for i in range(20_000):
        buf = ex.allocate(1024)
        if i % 2:
            view = buf.to_numpy()
            view[0] = i
            del view
        del buf
    gc.collect()
    grown = _rss_bytes() - before
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}
    assert grown < 50 * 1024 * 1024, f"RSS grew {grown / 2**20:.1f} MiB"


@needs_proc
def test_many_executors_open_and_close() -> None:
    gc.collect()
    before = _rss_bytes()
    for _ in range(5_000):
        with hg.Executor(backend="cpu") as ex:
            ex.allocate(1024).fill(0.0)
    gc.collect()
    assert _rss_bytes() - before < 50 * 1024 * 1024


# -- wrapped arrays stay alive --------------------------------------------------------


def test_wrapped_array_lives_while_the_buffer_lives(ex: hg.Executor) -> None:
    arr = np.arange(32, dtype=np.float64)
    ref = weakref.ref(arr)
    buf = ex.wrap(arr)
    del arr
    gc.collect()
    assert ref() is not None, "the buffer must keep the wrapped array alive"
    np.testing.assert_array_equal(np.frombuffer(buf.to_bytes(), np.float64), np.arange(32.0))
    out = hg.ops.add_scalar(ex, buf, 1.0)
    np.testing.assert_array_equal(out.to_numpy(), np.arange(32.0) + 1)
    del buf
    gc.collect()
    assert ref() is None, "the wrapped array should be released with its last user"


def test_wrapped_array_lives_while_a_view_lives(ex: hg.Executor) -> None:
    arr = np.arange(32, dtype=np.float32)
    ref = weakref.ref(arr)
    buf = ex.wrap(arr)
    view = buf.to_numpy()
    del arr, buf
    gc.collect()
    assert ref() is not None, "the view must keep the wrapped array alive"
    np.testing.assert_array_equal(view, np.arange(32, dtype=np.float32))
    del view
    gc.collect()
    assert ref() is None


def test_wrapped_array_survives_executor_close_through_a_view() -> None:
    arr = np.arange(16, dtype=np.float32)
    ref = weakref.ref(arr)
    with hg.Executor(backend="cpu") as ex:
        view = ex.wrap(arr).to_numpy()
    del arr
    gc.collect()
    assert ref() is not None
    np.testing.assert_array_equal(view, np.arange(16, dtype=np.float32))


def test_from_dlpack_keeps_the_torch_tensor_alive(ex: hg.Executor) -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(16, dtype=torch.float32)
    buf = hg.from_dlpack(t, ex)
    del t
    gc.collect()
    np.testing.assert_array_equal(buf.to_numpy(), np.arange(16, dtype=np.float32))
    hg.scalar_add_f32(ex, buf, buf, 16, 1.0)
    np.testing.assert_array_equal(buf.to_numpy(), np.arange(1, 17, dtype=np.float32))


# -- every Buffer object owns one reference to its handle ------------------------------


def test_buffers_cannot_be_constructed_directly() -> None:
    with pytest.raises(TypeError, match=r"Executor\.allocate"):
        hg.Buffer()


def test_allocating_ops_give_their_outputs_back(ex: hg.Executor) -> None:
    a = ex.from_numpy(np.linspace(-2, 2, 300, dtype=np.float32).reshape(3, 100))
    b = ex.from_numpy(np.linspace(0, 1, 300, dtype=np.float32).reshape(3, 100))
    before = _live(ex)
    for _ in range(50):
        hg.ops.add(ex, a, b)
        hg.ops.add_scalar(ex, a, 1.0)
        hg.ops.gelu(ex, a)
        hg.ops.softmax(ex, a)
        hg.ops.sum(ex, a, axis=-1)
        hg.ops.gemm(ex, a, b, trans_b=True)
        assert hg.ops.sum(ex, a) == pytest.approx(float(a.to_numpy().astype(np.float64).sum()), abs=1e-3)
        hg.ops.mse_loss(ex, a, b)
    gc.collect()
    assert _live(ex) == before


def test_a_reshaped_view_keeps_the_handle_after_the_original_is_gone(ex: hg.Executor) -> None:
    buf = ex.from_numpy(_expected(64))
    flat = ex.stats()["live_buffers"]
    view = buf.reshape(8, 8)
    del buf
    gc.collect()
    assert ex.stats()["live_buffers"] == flat
    np.testing.assert_array_equal(hg.ops.add(ex, view, view).to_numpy(), 2 * _expected(64).reshape(8, 8))
    del view
    gc.collect()
    assert ex.stats()["live_buffers"] == flat - 1


def test_the_cffi_handle_holds_a_reference_of_its_own(ex: hg.Executor) -> None:
    from hologram._core import lib

    buf = ex.allocate(10)
    handle = buf._h  # what the cffi calls take, made on first use
    assert buf._h is handle
    live = ex.stats()["live_buffers"]
    del buf
    gc.collect()
    assert ex.stats()["live_buffers"] == live and lib.hg_buffer_count(handle) == 10
    del handle
    gc.collect()
    assert ex.stats()["live_buffers"] == live - 1


def test_buffers_refuse_copy_and_pickle_with_the_remedy(ex: hg.Executor) -> None:
    import copy
    import pickle

    buf = ex.from_numpy(_expected(8))
    for attempt in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="cannot be copied or pickled"):
            attempt(buf)
    np.testing.assert_array_equal(buf.to_numpy(), _expected(8))  # still intact


def test_threads_allocating_and_dropping_outputs_leave_nothing_behind(ex: hg.Executor) -> None:
    """8 threads create outputs (allocating ops, reshaped views, cffi handles) and drop them while
    the others do the same; every result is checked and the live counts come back."""
    import threading

    before = _live(ex)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(tid: int) -> None:
        try:
            x = np.linspace(-1, 1, 3000, dtype=np.float32) + np.float32(tid)
            a = ex.from_numpy(x)
            start.wait()
            for i in range(300):
                y = hg.ops.add(ex, a, a)
                view = y.reshape(30, 100)
                if i % 3 == 0:
                    assert view._h is view._h  # materialise the cffi handle now and then
                del y
                got = hg.ops.sum(ex, view)
                assert got == pytest.approx(2 * float(x.astype(np.float64).sum()), rel=1e-5)
                np.testing.assert_array_equal(hg.ops.relu(ex, view).to_numpy().ravel(), np.maximum(2 * x, 0))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a worker hung"
    assert not errors, errors
    gc.collect()
    assert _live(ex) == before
