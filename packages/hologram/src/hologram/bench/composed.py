"""NumPy has no fused GELU, softmax or sigmoid: these are the composed expressions the bench times.

They are what a NumPy user would write (several whole-array passes), with
optional preallocated outputs and scratch so the "preallocated" variants do
not allocate. The same formulas in float64 are the bench's reference results
(:mod:`hologram.bench.cases`), which every library's output is checked against,
except for GELU, whose reference uses libm's double ``erfc``.

GELU is the exact (erf) form, ``x * Phi(x) = 0.5 * x * erfc(-x / sqrt(2))``.
NumPy has no ``erf``; :func:`erfc` evaluates the classic Chebyshev-fitted
rational approximation of ``erfc`` (fractional error below 1.2e-7 everywhere,
i.e. float32 precision), so this is the same op as ``torch.nn.functional.gelu``
and ``hologram.ops.gelu`` -- unlike the tanh approximation, which differs by
up to ~1e-3 and would be a different op.
"""

from __future__ import annotations

import numpy as np

__all__ = ["erfc", "gelu", "sigmoid", "softmax"]

_INV_SQRT2 = 0.7071067811865476
# erfc(z) = t * exp(-z*z + P(t)), t = 1 / (1 + z/2), z >= 0; P's coefficients, constant term first.
_ERFC_P = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
           0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erfc_nonneg(z: np.ndarray, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``p = erfc(z)`` for ``z >= 0``, using ``t`` as scratch; ``z`` is clobbered."""
    np.multiply(z, 0.5, out=t)
    t += 1.0
    np.reciprocal(t, out=t)
    np.multiply(t, _ERFC_P[-1], out=p)
    for coef in _ERFC_P[-2:0:-1]:  # Horner, down to the linear coefficient
        p += coef
        p *= t
    p += _ERFC_P[0]
    np.square(z, out=z)
    p -= z
    np.exp(p, out=p)
    p *= t
    return p


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function of a float array (relative error < 1.2e-7)."""
    x = np.asarray(x)
    z = np.abs(x)
    p = _erfc_nonneg(z, np.empty_like(z), np.empty_like(z))
    return np.where(x < 0, 2.0 - p, p)


def gelu(x: np.ndarray, out: np.ndarray | None = None,
         work: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Exact GELU ``0.5 * x * erfc(-x / sqrt(2))``, composed from NumPy ufuncs.

    ``out`` and the two ``work`` arrays (same shape and dtype as ``x``) make it
    allocation-free apart from one boolean mask.
    """
    out = np.empty_like(x) if out is None else out
    t, p = (np.empty_like(x), np.empty_like(x)) if work is None else work
    np.abs(x, out=out)
    out *= _INV_SQRT2
    p = _erfc_nonneg(out, t, p)  # p = erfc(|x| / sqrt 2)
    p *= 0.5
    # Phi(x) = p for x < 0 and 1 - p otherwise (erfc(-z) = 2 - erfc(z)).
    np.subtract(1.0, p, out=out)
    np.copyto(out, p, where=x < 0)
    out *= x
    return out


def softmax(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``exp(x - max(x)) / sum(...)`` over the whole (1-D) array."""
    out = np.subtract(x, x.max(), out=out)
    np.exp(out, out=out)
    out /= out.sum()
    return out


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-x))``."""
    out = np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out
