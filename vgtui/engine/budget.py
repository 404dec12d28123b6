"""Resource guards: every computation estimates its memory and time before it starts.

A run whose estimate passes the budget is refused with both numbers, so nothing a
user types can make the machine swap or the process be killed. The budget can be
raised (or lowered) with VGTUI_MEMORY_MB and VGTUI_SECONDS.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import ConfigError

DEFAULT_MEMORY_MB = 2048
DEFAULT_SECONDS = 600.0
# Rough speeds of this kind of work on a small CPU, used only to refuse runs that
# would take far too long (the estimate errs on the fast side).
STEP_OVERHEAD_S = 30e-6
FLOPS_PER_S = 20e9


class ResourceError(ConfigError):
    """A computation would exceed the memory or time budget."""


@dataclass(frozen=True)
class Estimate:
    bytes: int
    seconds: float
    what: str

    @property
    def megabytes(self) -> float:
        return self.bytes / 2**20


def memory_limit_mb() -> float:
    return _env_float("VGTUI_MEMORY_MB", DEFAULT_MEMORY_MB)


def time_limit_s() -> float:
    return _env_float("VGTUI_SECONDS", DEFAULT_SECONDS)


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def flow_estimate(batch: int, hidden: int, steps: int, input_size: int, dtype_bytes: int) -> Estimate:
    """Memory and time of one vanilla-RNN flow computation (forward + backward).

    Per step and row it keeps h_t, f'(z_t), the gradient direction and the input drive
    (4 n numbers), plus the inputs and a few (T, B) series; the weights take
    about two n x n matrices per distinct W_hh.
    """
    per_step = batch * (4 * hidden + 2 * input_size + 12) * dtype_bytes
    weights = batch * (2 * hidden * hidden + hidden * input_size + hidden) * dtype_bytes
    total = steps * per_step + weights
    flops = 2 * steps * batch * 2 * hidden * hidden
    seconds = 2 * steps * STEP_OVERHEAD_S + flops / FLOPS_PER_S
    return Estimate(int(total), seconds, f"T={steps}, n={hidden}, batch={batch}")


def check(estimate: Estimate) -> None:
    """Raise ResourceError when the estimate passes the budget."""
    limit_mb = memory_limit_mb()
    if estimate.megabytes > limit_mb:
        raise ResourceError(
            f"{estimate.what} needs about {_mb(estimate.megabytes)} of memory, over the limit "
            f"of {_mb(limit_mb)}; use fewer steps, a smaller hidden size or a smaller batch "
            "(or raise VGTUI_MEMORY_MB)", "steps")
    limit_s = time_limit_s()
    if estimate.seconds > limit_s:
        raise ResourceError(
            f"{estimate.what} would take about {estimate.seconds:.0f} s, over the limit of "
            f"{limit_s:.0f} s; use fewer steps or a smaller hidden size (or raise VGTUI_SECONDS)",
            "steps")


def _mb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"
