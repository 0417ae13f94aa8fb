"""Training loop: one MLP trained three ways from identical initial weights.

A 3-class spiral data set is made in the script (seeded), and a 2-hidden-layer MLP
(Linear -> ReLU -> Linear -> ReLU -> Linear, cross-entropy loss) is trained with
``torch.optim`` for a fixed number of epochs, three times from the same initial weights
and on the same mini-batches:

* ``pytorch-cpu``: pure PyTorch (``torch.nn``) on CPU tensors, the reference;
* ``hologram-cpu``: the same layers from ``hologram_torch.nn`` on CPU tensors;
* ``hologram-device``: ``hologram_torch.nn`` with the model and data on the
  ``'hologram'`` torch device (skipped, with the reason, where it is unavailable).

It prints the loss per epoch, each run's final loss and accuracy, and the largest
difference of the final losses from PyTorch's; it exits non-zero when that exceeds the
tolerance (``LOSS_RTOL``). Run it from the repository root:

    uv run python examples/training_loop.py              # 20 epochs
    uv run python examples/training_loop.py --epochs 50
    uv run python examples/training_loop.py --quick      # 3 epochs, for tests
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from dataclasses import dataclass
from types import ModuleType

import torch

import hologram_torch as hg

# The three runs do the same float32 arithmetic, but Hologram's GEMM and reductions may sum in
# another order than PyTorch's, so results may differ by rounding: ~1e-7 relative per op,
# which training compounds a little every step. 1e-3 relative on the final
# loss is far above that drift yet far below any real bug (a wrong gradient moves the loss
# by whole percent within an epoch).
LOSS_RTOL = 1e-3
LOSS_ATOL = 1e-5  # for a final loss near zero, where a relative bound means nothing

SEED = 0
SAMPLES_PER_CLASS = 500
CLASSES = 3
HIDDEN = 64
BATCH = 100
LEARNING_RATE = 0.1
MOMENTUM = 0.9


def make_spirals(samples_per_class: int, classes: int, generator: torch.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Interleaved noisy spirals in 2-D: features (N, 2) float32 and class labels (N,) int64."""
    xs, ys = [], []
    for c in range(classes):
        r = torch.linspace(0.05, 1.0, samples_per_class)
        theta = c * 2 * math.pi / classes + 4.0 * r + 0.2 * torch.randn(samples_per_class, generator=generator)
        xs.append(torch.stack([r * torch.sin(theta), r * torch.cos(theta)], dim=1))
        ys.append(torch.full((samples_per_class,), c, dtype=torch.int64))
    return torch.cat(xs), torch.cat(ys)


def make_mlp(layers: ModuleType, in_features: int, hidden: int, classes: int) -> torch.nn.Sequential:
    """The MLP built from ``layers``: ``torch.nn`` or ``hologram_torch.nn`` (same constructors)."""
    return torch.nn.Sequential(
        layers.Linear(in_features, hidden), layers.ReLU(),
        layers.Linear(hidden, hidden), layers.ReLU(),
        layers.Linear(hidden, classes),
    )


@dataclass
class RunResult:
    name: str
    initial_loss: float
    final_loss: float
    accuracy: float
    seconds: float


def evaluate(model: torch.nn.Module, loss_fn: torch.nn.Module, x: torch.Tensor, target: torch.Tensor,
             labels: torch.Tensor, device: str) -> tuple[float, float]:
    """Loss and accuracy on the whole training set (no gradients)."""
    with torch.no_grad():
        logits = model(x.to(device))
        loss = float(loss_fn(logits, target.to(device)).cpu())
        accuracy = float((logits.cpu().argmax(dim=1) == labels).double().mean())
    return loss, accuracy


def warm_up(model: torch.nn.Module, loss_fn: torch.nn.Module, x: torch.Tensor, target: torch.Tensor) -> None:
    """One step on a throwaway copy, so the timed run does not pay one-time costs.

    The first backward pass and optimizer step of a process import parts of torch
    (seconds on a small machine); without this the first run's time would include them.
    """
    scratch = copy.deepcopy(model)
    optimizer = torch.optim.SGD(scratch.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_fn(scratch(x), target).backward()
    optimizer.step()


def train(name: str, model: torch.nn.Module, loss_fn: torch.nn.Module, x: torch.Tensor, target: torch.Tensor,
          labels: torch.Tensor, schedule: list[list[torch.Tensor]], device: str = "cpu") -> RunResult:
    """SGD with momentum; ``schedule`` holds each epoch's mini-batches (indices; the same in every run).

    The data stays on the CPU and each mini-batch is moved to ``device``, as a
    ``DataLoader`` loop does; the model must already be on ``device``.
    """
    warm_up(model, loss_fn, x[schedule[0][0]].to(device), target[schedule[0][0]].to(device))
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    initial_loss, _ = evaluate(model, loss_fn, x, target, labels, device)
    epochs = len(schedule)
    print(f"[{name}] epoch 0/{epochs}: loss {initial_loss:.6f}")
    start = time.perf_counter()
    for epoch, batches in enumerate(schedule, start=1):
        total = 0.0
        for idx in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx].to(device)), target[idx].to(device))
            loss.backward()
            optimizer.step()
            total += float(loss.detach().cpu())
        print(f"[{name}] epoch {epoch}/{epochs}: mean batch loss {total / len(batches):.6f}")
    seconds = time.perf_counter() - start
    final_loss, accuracy = evaluate(model, loss_fn, x, target, labels, device)
    print(f"[{name}] final loss {final_loss:.6f}, accuracy {100 * accuracy:.2f}% "
          f"(initial loss {initial_loss:.6f}, {seconds:.2f} s)")
    return RunResult(name, initial_loss, final_loss, accuracy, seconds)


def device_unavailable_reason() -> str | None:
    """None when the 'hologram' torch device works here (torch >= 2.10), otherwise why it does not."""
    return None if hg.device.is_available() else hg.device.unavailable_reason()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run (default 20)")
    parser.add_argument("--quick", action="store_true", help="3 epochs (overrides --epochs), for tests")
    args = parser.parse_args(argv)
    epochs = 3 if args.quick else args.epochs
    if epochs < 1:
        parser.error("--epochs must be at least 1")

    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    x, labels = make_spirals(SAMPLES_PER_CLASS, CLASSES, generator)
    # Every run sees the same shuffled mini-batches, drawn once here.
    schedule = [list(torch.randperm(len(x), generator=generator).split(BATCH)) for _ in range(epochs)]
    print(f"data: {len(x)} points on {CLASSES} spirals, {len(schedule[0])} batches of {BATCH} per epoch; "
          f"MLP 2-{HIDDEN}-{HIDDEN}-{CLASSES}, SGD lr {LEARNING_RATE} momentum {MOMENTUM}, {epochs} epochs")

    reference = make_mlp(torch.nn, 2, HIDDEN, CLASSES)  # initialised from the seed above
    initial_state = copy.deepcopy(reference.state_dict())
    results = [train("pytorch-cpu", reference, torch.nn.CrossEntropyLoss(), x, labels, labels, schedule)]

    model = make_mlp(hg.nn, 2, HIDDEN, CLASSES)
    model.load_state_dict(initial_state)  # identical starting point
    results.append(train("hologram-cpu", model, hg.nn.CrossEntropyLoss(), x, labels, labels, schedule))

    reason = device_unavailable_reason()
    if reason is None:
        model = make_mlp(hg.nn, 2, HIDDEN, CLASSES)
        model.load_state_dict(initial_state)
        model.to("hologram")
        # Hologram's kernels compute on float tensors (integer ops on the device fall back to
        # the CPU), so the labels travel as one-hot class probabilities: the cross-entropy of
        # a one-hot target equals that of the class index.
        one_hot = torch.nn.functional.one_hot(labels, CLASSES).float()
        results.append(train("hologram-device", model, hg.nn.CrossEntropyLoss(), x, one_hot, labels, schedule,
                             device="hologram"))
    else:
        print(f"[hologram-device] skipped: {reason}")

    print()
    print(f"{'run':<16} {'initial loss':>12} {'final loss':>12} {'accuracy':>9} {'time':>8}")
    for r in results:
        print(f"{r.name:<16} {r.initial_loss:>12.6f} {r.final_loss:>12.6f} {100 * r.accuracy:>8.2f}% "
              f"{r.seconds:>7.2f}s")
    print("(time: wall-clock seconds of each run's training loop, for orientation only; "
          "examples/benchmark_comparison.py times ops properly)")
    base = results[0].final_loss
    worst = max(abs(r.final_loss - base) for r in results[1:])
    bound = LOSS_ATOL + LOSS_RTOL * abs(base)
    print(f"max |final loss - pytorch-cpu| = {worst:.3e} "
          f"(tolerance: rtol={LOSS_RTOL:g}, atol={LOSS_ATOL:g}, i.e. {bound:.3e})")
    if worst > bound:
        print("FAIL: the Hologram runs disagree with PyTorch beyond the tolerance", file=sys.stderr)
        return 1
    for r in results:
        if r.final_loss >= r.initial_loss:
            print(f"FAIL: {r.name}: the loss did not decrease", file=sys.stderr)
            return 1
    print("OK: all runs agree with PyTorch within the tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
