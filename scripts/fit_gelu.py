"""Fit the rational correction of the float32 erf-GELU kernel (``hg_vgeluf``).

The kernel computes ``c = t * Phi(-t)`` for ``t = |x|`` as

    c = exp(-t^2 / 2) * t / D(t),    D(t) = 2 + t * (sqrt(2 pi) + s(t)),

and this script fits ``s`` (bounded, in [-0.92, -0.12] on [0, 14.6]) as a rational
``P(t) / Q(t)`` of degree 4/5 that minimises the relative error of ``t / D(t)``
(linearised least squares with Lawson reweighting). Only ``t |s| / D`` of the relative
error of ``s`` reaches the result, at most about a fifth, which is why ``s`` can be
evaluated in float. ``sqrt(2 pi)`` is the float constant the kernel uses, so its rounding is
absorbed by the fit.

Run with mpmath available (``uv run python scripts/fit_gelu.py``); it prints the
coefficients as C float literals and the fit's maximum relative error, before and after
rounding the coefficients to float.
"""

from __future__ import annotations

import re

import mpmath as mp
import numpy as np

mp.mp.dps = 30
T_MAX = 14.6  # HG_VM_GELU_TMAX: the kernel clamps |x| there, where c rounds to 0
DEG_P, DEG_Q = 4, 5
SQRT_2PI = float(np.float32(np.sqrt(2 * np.pi)))


def scaled_tail(t: float) -> mp.mpf:
    """t Phi(-t) exp(t^2 / 2), to 30 digits."""
    tm = mp.mpf(t)
    return tm * mp.erfc(tm / mp.sqrt(2)) * mp.exp(tm * tm / 2) / 2


def main() -> None:
    n = 3000
    k = np.arange(n)
    t = np.concatenate([T_MAX / 2 * (1 - np.cos(np.pi * (k + 0.5) / n)), [T_MAX]])
    exact = [scaled_tail(x) for x in t]
    target = np.array([float(e) for e in exact])
    s = np.array([float((mp.mpf(x) / e - 2) / mp.mpf(x) - mp.mpf(SQRT_2PI)) for x, e in zip(t, exact, strict=True)])
    # P(t) - s Q(t) = 0 with Q(0) = 1, each row scaled so that its residual is the relative
    # error of t / D (t / D per unit of s, over |Q|).
    design = np.hstack([np.vander(t, DEG_P + 1, increasing=True),
                        -s[:, None] * np.vander(t, DEG_Q + 1, increasing=True)[:, 1:]])
    weight = np.full(t.shape, 1.0 / len(t))
    q_val = np.ones_like(t)
    best: tuple[float, np.ndarray, np.ndarray] | None = None

    def rel_error(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        ratio = np.polyval(p[::-1], t) / np.polyval(q[::-1], t)
        return np.abs(t / (2 + t * (SQRT_2PI + ratio)) / target - 1)

    for _ in range(300):
        scale = np.sqrt(weight) * t / (2 + t * (SQRT_2PI + s)) / np.abs(q_val)
        sol, *_ = np.linalg.lstsq(design * scale[:, None], s * scale, rcond=None)
        p, q = sol[:DEG_P + 1], np.concatenate([[1.0], sol[DEG_P + 1:]])
        q_val = np.polyval(q[::-1], t)
        err = rel_error(p, q)
        if best is None or err.max() < best[0]:
            best = (float(err.max()), p, q)
        weight = weight * err
        weight /= weight.sum()
    assert best is not None
    max_err, p, q = best
    pf, qf = (c.astype(np.float32).astype(np.float64) for c in (p, q))
    print(f"max relative error {max_err / 2**-24:.4f} * 2^-24, "
          f"{rel_error(pf, qf).max() / 2**-24:.4f} * 2^-24 with float coefficients")
    for name, coefs in (("P", pf), ("Q", qf)):
        for i, c in enumerate(coefs):
            if name == "Q" and i == 0:
                continue
            print(f"#define HG_VM_GELU_{name}{i} {re.sub(r'0+p', 'p', c.hex())}f")


if __name__ == "__main__":
    main()
