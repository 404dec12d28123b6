"""Cumulative sums of per-step logarithms that keep every digit at any length.

A gradient's log-norm after T steps is the sum of T per-step logs. A plain running
sum in float64 loses about one rounding per step, so at T = 100,000 the seventh or
eighth digit of a value near 3e4 is already wrong. The sums here split every term
into pieces on fixed binary grids (each split exact), add the pieces whose partial
sums are exact on their grid, and join them at the end: each result is within a
couple of units in the last place of the exact sum of the float terms, whatever T.

numpy only at import; ``exact_cumsum_torch`` takes torch tensors (and imports torch
when called), so the same arithmetic runs on the device the tensors live on.
"""
from __future__ import annotations

import math

import numpy as np

# A float64 holds every integer up to 2^53; partial sums on a grid of 2^e stay exact
# while they are below 2^(e + 52) (one bit of margin for the rounded terms).
_MANTISSA = 52
_LOWEST_EXPONENT = -1000  # grids finer than this would be subnormal


def _grids(largest: float, steps: int) -> tuple[float, float | None]:
    """The two grid spacings for terms up to ``largest`` in magnitude, ``steps`` of them."""
    top = math.frexp(largest * steps)[1] if largest * steps > 0 else 0
    first = top - _MANTISSA + 1
    second = first + math.frexp(float(steps))[1] - _MANTISSA + 1
    if first < _LOWEST_EXPONENT:
        return math.ldexp(1.0, max(first, _LOWEST_EXPONENT)), None
    return math.ldexp(1.0, first), (math.ldexp(1.0, second) if second >= _LOWEST_EXPONENT
                                    else None)


def exact_cumsum(values, axis: int = 0, reverse: bool = False) -> np.ndarray:
    """Running sums of float64 ``values`` along ``axis`` (from the far end when
    ``reverse``), each within about 2 ulp of the exact sum of the terms.

    Infinite and nan terms propagate as in a plain cumulative sum (an exact zero's
    log, -inf, makes every later sum -inf).
    """
    x = np.asarray(values, dtype=np.float64)
    if reverse:
        x = np.flip(x, axis)
    finite = np.isfinite(x)
    clean = np.where(finite, x, 0.0)
    special = np.cumsum(np.where(finite, 0.0, x), axis=axis)
    largest = float(np.max(np.abs(clean))) if clean.size else 0.0
    if largest == 0.0:
        out = special + 0.0
    else:
        q1, q2 = _grids(largest, x.shape[axis])
        high = np.round(clean / q1) * q1  # a multiple of q1: its running sum is exact
        low = clean - high                # exact: |low| <= q1 / 2, on the terms' own grid
        total = np.cumsum(high, axis=axis)
        if q2 is not None:
            mid = np.round(low / q2) * q2
            rest = low - mid
            total = total + np.cumsum(mid, axis=axis)  # both exact; one rounding here
            total = total + np.cumsum(rest, axis=axis)  # terms below q2 / 2: negligible error
        else:
            total = total + np.cumsum(low, axis=axis)
        with np.errstate(invalid="ignore"):
            out = total + special
    return np.flip(out, axis) if reverse else out


def exact_cumsum_torch(values, dim: int = 0, reverse: bool = False):
    """``exact_cumsum`` for a float64 torch tensor, on its own device."""
    import torch  # torch: loaded on first use (this module is on numpy-only paths too)

    x = values.to(torch.float64)
    if reverse:
        x = torch.flip(x, [dim])
    finite = torch.isfinite(x)
    zero = torch.zeros((), dtype=torch.float64, device=x.device)
    clean = torch.where(finite, x, zero)
    special = torch.cumsum(torch.where(finite, zero, x), dim=dim)
    largest = float(clean.abs().max()) if clean.numel() else 0.0
    if largest == 0.0:
        out = special + 0.0
    else:
        q1, q2 = _grids(largest, x.shape[dim])
        high = torch.round(clean / q1) * q1
        low = clean - high
        total = torch.cumsum(high, dim=dim)
        if q2 is not None:
            mid = torch.round(low / q2) * q2
            total = total + torch.cumsum(mid, dim=dim)
            total = total + torch.cumsum(low - mid, dim=dim)
        else:
            total = total + torch.cumsum(low, dim=dim)
        out = total + special
    return torch.flip(out, [dim]) if reverse else out


class RunningSum:
    """A running sum carried step by step (Neumaier's compensated summation): the
    total plus a correction holding what each addition rounded away. For loops that
    add one step's log at a time; works on floats, numpy arrays and torch tensors.
    Once the total is infinite (the log of an exact zero) the correction is 0."""

    __slots__ = ("total", "carry")

    def __init__(self, start) -> None:
        self.total = start
        self.carry = start * 0.0

    def add(self, term) -> None:
        total = self.total + term
        big_first = abs(self.total) >= abs(term)
        lost = _where(big_first, (self.total - total) + term, (term - total) + self.total)
        self.carry = _finite_or_zero(self.carry + lost)
        self.total = total

    def value(self):
        return self.total + self.carry


def _where(mask, a, b):
    if isinstance(mask, (bool, np.bool_)):
        return a if mask else b
    if isinstance(mask, np.ndarray):
        return np.where(mask, a, b)
    import torch  # torch: only when torch tensors were passed in

    return torch.where(mask, a, b)


def _finite_or_zero(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else 0.0
    if isinstance(x, np.ndarray):
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    return x.nan_to_num(nan=0.0, posinf=0.0, neginf=0.0)
