"""Zero-copy on the CPU: hologram ops read torch tensors in place and write the tensor they return.

A spy on :mod:`hologram.hostcall` records the addresses every core call is
given; the tests compare them with the tensors' ``data_ptr()``. The last
address of a call is its output.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

import hologram_torch as hgt
from hologram import hostcall
from hologram_torch import _lean, _ops

F = hgt.functional

# Positions of the address arguments in each hostcall function: (inputs, output).
_ADDRESSES = {"binary": ((3, 4), 5), "unary": ((3,), 4), "scalar": ((3,), 4), "rowwise": ((3,), 4),
              "reduce": ((3,), 4), "loss": ((3, 4), 5), "gemm": ((2, 3), 4)}


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[int]]]:
    seen: dict[str, list[int]] = {"inputs": [], "outputs": []}

    def recording(name: str, real: Callable[..., None]) -> Callable[..., None]:
        inputs, output = _ADDRESSES[name]

        def call(*args: Any, **kwargs: Any) -> None:
            seen["inputs"].extend(args[i] for i in inputs)
            seen["outputs"].append(args[output])
            real(*args, **kwargs)

        return call

    fake = types.SimpleNamespace(**{name: recording(name, getattr(hostcall, name)) for name in _ADDRESSES})
    monkeypatch.setattr(_ops, "hostcall", fake)
    monkeypatch.setattr(_lean, "hostcall", fake)  # the functional API's lean path calls it directly
    yield seen


def test_contiguous_inputs_are_read_in_place(spy: dict[str, list[int]]) -> None:
    a, b = torch.randn(1000), torch.randn(1000)
    c = F.add(a, b)
    assert spy["inputs"] == [a.data_ptr(), b.data_ptr()]
    assert spy["outputs"] == [c.data_ptr()]
    torch.testing.assert_close(c, a + b)


def test_the_returned_tensor_is_the_one_hologram_wrote(spy: dict[str, list[int]]) -> None:
    x = torch.randn(64, 32)
    w = torch.randn(16, 32)
    y = F.linear(x, w)
    assert spy["outputs"] == [y.data_ptr()]
    # The weight enters gemm with the transpose flag, without a copy: w.T's transpose is w itself.
    assert spy["inputs"] == [x.data_ptr(), w.data_ptr()]


def test_views_with_an_offset_are_read_in_place(spy: dict[str, list[int]]) -> None:
    base = torch.randn(10, 100)
    row = base[3]  # contiguous, storage offset 300
    F.relu(row)
    assert spy["inputs"] == [row.data_ptr()] and row.data_ptr() != base.data_ptr()


def test_non_contiguous_inputs_are_copied_once(spy: dict[str, list[int]]) -> None:
    base = torch.randn(40, 30)
    t = base.T
    out = F.sigmoid(t)
    assert len(spy["inputs"]) == 1 and spy["inputs"][0] != base.data_ptr()
    torch.testing.assert_close(out, torch.sigmoid(t))


def test_autograd_path_is_zero_copy_too(spy: dict[str, list[int]]) -> None:
    a = torch.randn(500, requires_grad=True)
    out = F.tanh(a)
    assert spy["inputs"] == [a.data_ptr()] and spy["outputs"] == [out.data_ptr()]


def test_read_only_numpy_memory_is_not_written() -> None:
    import numpy as np

    arr = np.arange(6, dtype=np.float32)
    arr.flags.writeable = False
    with pytest.warns(UserWarning):  # torch warns that the array is not writable
        t = torch.from_numpy(arr)
    out = F.mul(t, 2.0)
    assert arr.tolist() == [0, 1, 2, 3, 4, 5] and out.tolist() == [0, 2, 4, 6, 8, 10]
