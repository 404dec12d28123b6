"""Resource guards: every computation estimates its memory and time before it starts.

A run whose estimate passes the budget is refused with both numbers, so nothing a
user types can make the machine swap or the process be killed. The budget can be
raised (or lowered) with VGTUI_MEMORY_MB and VGTUI_SECONDS.

The estimates are deliberately optimistic (fast machine, no contention): a refusal
means the run would certainly pass the limit, and nothing that fits is refused.
Every engine entry point that a screen or a lookup calls checks one of them (or the
sum of its parts) before it allocates anything large:

- flow / sweep / catch-22: ``flow_estimate``; LSTM / GRU / stacks: ``gated.stack_estimate``;
  the six architectures: ``architectures.compare_estimate``
- Jacobian products: ``jacobian_estimate``; Lyapunov sweeps: ``lyapunov_estimate``;
  clipping: ``clip_estimate``; spectra: ``spectrum_estimate``; the spectrum screen's
  training: ``drift_estimate``
- training experiments: ``experiment_estimate``; long-range sentences: ``longrange_estimate``
- closed forms: ``trace_estimate`` (the scalar chain, one Python step per T) and
  ``matrix_estimate`` (powers of a small matrix); factor^T itself costs the same for any T.
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
# Work of an SVD of an n x n matrix (about 12 n^3 flops with both singular bases) and of
# a general eigendecomposition (about 25 n^3).
SVD_FLOPS = 12
EIG_FLOPS = 25


class ResourceError(ConfigError):
    """A computation would exceed the memory or time budget."""


@dataclass(frozen=True)
class Estimate:
    bytes: int
    seconds: float
    what: str
    field: str = "steps"  # the setting a refusal names (its flag / input)
    advice: str = "use fewer steps, a smaller hidden size or a smaller batch"

    def __add__(self, other: "Estimate") -> "Estimate":
        """Parts that run one after another: the larger memory, the sum of the times."""
        return Estimate(max(self.bytes, other.bytes), self.seconds + other.seconds, self.what,
                        self.field, self.advice)

    def named(self, what: str, field: str | None = None, advice: str | None = None) -> "Estimate":
        return Estimate(self.bytes, self.seconds, what, field or self.field,
                        advice or self.advice)

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


def spectral_seconds(hidden: int, matrices: int) -> float:
    """Spectral radius (eigenvalues) and spectral norm (singular values) of ``matrices``
    n x n matrices: what every run reports beside its gradients."""
    return matrices * (EIG_FLOPS + SVD_FLOPS) * hidden ** 3 / FLOPS_PER_S


def flow_estimate(batch: int, hidden: int, steps: int, input_size: int, dtype_bytes: int,
                  matrices: int | None = None) -> Estimate:
    """Memory and time of one vanilla-RNN flow computation (forward + backward).

    Per step and row it keeps h_t, f'(z_t), the gradient direction and the input drive
    (4 n numbers), plus the inputs and a few (T, B) series; the weights take
    about two n x n matrices per distinct W_hh. ``matrices`` distinct W_hh (default:
    one per row) are decomposed for their spectral radius and norm.
    """
    per_step = batch * (4 * hidden + 2 * input_size + 12) * dtype_bytes
    weights = batch * (2 * hidden * hidden + hidden * input_size + hidden) * dtype_bytes
    total = steps * per_step + weights
    flops = 2 * steps * batch * 2 * hidden * hidden
    seconds = (2 * steps * STEP_OVERHEAD_S + flops / FLOPS_PER_S
               + spectral_seconds(hidden, batch if matrices is None else matrices))
    return Estimate(int(total), seconds, f"T={steps}, n={hidden}, batch={batch}")


def check(estimate: Estimate) -> Estimate:
    """Raise ResourceError when the estimate passes the budget; else return it."""
    limit_mb = memory_limit_mb()
    if estimate.megabytes > limit_mb:
        raise ResourceError(
            f"{estimate.what} needs about {_mb(estimate.megabytes)} of memory, over the limit "
            f"of {_mb(limit_mb)}; {estimate.advice} (or raise VGTUI_MEMORY_MB)", estimate.field)
    limit_s = time_limit_s()
    if estimate.seconds > limit_s:
        raise ResourceError(
            f"{estimate.what} would take about {_seconds(estimate.seconds)}, over the limit of "
            f"{_seconds(limit_s)}; {estimate.advice} (or raise VGTUI_SECONDS)", estimate.field)
    return estimate


def _mb(mb: float) -> str:
    if mb >= 1024:
        return f"{mb / 1024:.1f} GB"
    return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.2g} MB"


def _seconds(s: float) -> str:
    if s >= 86400 * 2:
        return f"{s / 86400:,.0f} days"
    if s >= 7200:
        return f"{s / 3600:.0f} hours"
    return f"{s:.0f} s" if s >= 10 else f"{s:.2g} s"


# -- estimates for the other computations ------------------------------------------------


def _rows(batch: int) -> str:
    return f", batch={batch}" if batch > 1 else ""


def forward_bytes(batch: int, hidden: int, steps: int, input_size: int, itemsize: int) -> int:
    """The kept forward pass (h_t, f'(z_t), the input drive) and the inputs."""
    return steps * batch * (3 * hidden + input_size + 4) * itemsize


def jacobian_estimate(batch: int, hidden: int, steps: int, input_size: int,
                      itemsize: int) -> Estimate:
    """dh_T/dh_t for every t: one SVD and one n x n product per step, and the
    singular values of every step kept (T x n float64)."""
    n = hidden
    total = (forward_bytes(batch, n, steps, input_size, itemsize)
             + steps * batch * (n * 8 + 48) + 10 * batch * n * n * itemsize)
    flops = steps * batch * (SVD_FLOPS + 2) * n ** 3
    seconds = steps * 12 * STEP_OVERHEAD_S + flops / FLOPS_PER_S + 2 * spectral_seconds(n, batch)
    return Estimate(int(total), seconds, f"Jacobian products at T={steps}, n={n}{_rows(batch)}",
                    "steps", "use fewer steps or a smaller hidden size")


def lyapunov_estimate(scales: int, hidden: int, steps: int, input_size: int,
                      itemsize: int) -> Estimate:
    """One forward pass per scale and a tangent vector pushed through every step."""
    n = hidden
    total = forward_bytes(scales, n, steps, input_size, itemsize) + 4 * scales * n * n * itemsize
    flops = 2 * steps * scales * 2 * n * n
    seconds = steps * 8 * STEP_OVERHEAD_S + flops / FLOPS_PER_S + spectral_seconds(n, scales)
    return Estimate(int(total), seconds, f"a Lyapunov sweep of {scales} scales at T={steps}, n={n}",
                    "steps", "use fewer steps, scales or units")


def clip_estimate(batch: int, hidden: int, steps: int, input_size: int,
                  itemsize: int) -> Estimate:
    """The forward pass, a backward pass keeping every step's direction, and the
    parameter gradient summed over steps."""
    n = hidden
    total = (forward_bytes(batch, n, steps, input_size, itemsize)
             + steps * batch * (3 * n + input_size + 16) * itemsize
             + 6 * batch * n * (n + input_size) * itemsize)
    flops = steps * batch * (4 * n * n + 2 * n * (n + input_size + 1))
    seconds = steps * 8 * STEP_OVERHEAD_S + flops / FLOPS_PER_S + spectral_seconds(n, batch)
    return Estimate(int(total), seconds, f"clipping at T={steps}, n={n}{_rows(batch)}",
                    "steps", "use fewer steps or a smaller hidden size")


def spectrum_estimate(hidden: int, inits: int, power_steps: int) -> Estimate:
    """An eigendecomposition, a 2-norm and the power iteration per initialisation."""
    n = hidden
    total = 12 * n * n * 8
    flops = inits * ((EIG_FLOPS + SVD_FLOPS + 4) * n ** 3 + 2 * power_steps * n * n)
    seconds = inits * (power_steps * STEP_OVERHEAD_S) + flops / FLOPS_PER_S
    return Estimate(int(total), seconds, f"the spectra of {inits} initialisations at n={n}",
                    "hidden", "use a smaller hidden size")


def drift_estimate(hidden: int, inits: int, steps: int, sequence: int, batch: int) -> Estimate:
    """Adam steps on one batched tanh RNN per init (autograd keeps every step)."""
    n = hidden
    total = inits * (sequence * n * batch * 4 + 8 * n * n) * 8
    flops = steps * 3 * sequence * inits * 2 * n * n * batch
    seconds = steps * sequence * 6 * STEP_OVERHEAD_S + flops / FLOPS_PER_S
    return Estimate(int(total), seconds, f"{steps} training steps of {inits} RNNs at n={n}",
                    "train_steps", "use fewer training steps or a smaller hidden size")


def trace_estimate(steps: int) -> Estimate:
    """The scalar chain: one Python step (about 2 us) and ten numbers per step."""
    return Estimate(steps * 10 * 8, steps * 2e-6, f"the scalar chain at T={steps}", "trace_steps",
                    "use fewer steps")


def matrix_estimate(size: int, steps: int) -> Estimate:
    """Powers of a small matrix: an SVD per power."""
    flops = steps * (SVD_FLOPS + 2) * size ** 3
    return Estimate(steps * (size + 8) * 8 + 8 * size * size * 8,
                    steps * 4 * STEP_OVERHEAD_S / 10 + flops / FLOPS_PER_S,
                    f"{steps} powers of a {size} x {size} matrix", "steps", "use fewer steps")


def table_estimate(cells: int, what: str, field: str) -> Estimate:
    """A closed-form table (factor^T, f'(z)): a few Python steps and a few hundred bytes
    per cell; the count of entries a list may hold follows from this, not a fixed cap."""
    return Estimate(cells * 400, cells * 20e-6, what, field, "use fewer entries")


def check_table(estimate: Estimate) -> Estimate:
    """check() for work that is negligible below a few milliseconds: a table of a few
    hundred closed-form cells answers at once under any budget."""
    if estimate.seconds < 0.01 and estimate.megabytes < 1:
        return estimate
    return check(estimate)
