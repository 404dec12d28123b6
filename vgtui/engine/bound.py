"""The bound of Pascanu, Mikolov & Bengio (2013) and the catch-22 it sets up.

The gradient reaching h_t from h_T is bounded by the product of the steps' largest
possible stretches:

    ||dh_T/dh_t||_2 <= (max|f'| * ||W_hh||_2)^(T-t),

max|f'| the activation's largest possible derivative (1 for tanh, 0.25 for sigmoid).
Long-range gradients can survive only where the bound factor max|f'| ||W_hh||_2 is
at least 1 (a sigmoid RNN needs ||W_hh||_2 >= 4; both from Pascanu, Mikolov & Bengio
2013). The catch-22 (Bengio, Simard & Frasconi 1994, who proved that robust latching
implies vanishing gradients): at those scales some input sequences make the gradient explode. The sweep
here measures, per weight scale, how many input sequences through one network
explode, vanish, or keep their gradient.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import budget
from .config import RNNConfig
from .device import on_engine_threads
from .errors import ConfigError
from .flow import run_flow_batch
from .recurrence import RNNWeights, build_weights, random_stream

# Gradients beyond these multiples of their value at T count as exploded / vanished
# (the same 1e6 rule as the Gradient Flow horizons).
EXPLODE_LOG10 = 6.0
VANISH_LOG10 = -6.0


def max_derivative(activation: str, leaky_slope: float = 0.01) -> float:
    """sup |f'(z)| over all z: the sigma_max of the Pascanu et al. (2013) bound."""
    if activation == "sigmoid":
        return 0.25
    if activation == "leaky_relu":
        return max(1.0, abs(leaky_slope))
    if activation in ("tanh", "relu", "identity"):
        return 1.0
    raise ConfigError(f"unknown activation {activation!r}", "activation")


def log10_nonneg(x: float) -> float:
    """log10 of a number >= 0; -inf at 0."""
    return math.log10(x) if x > 0 else -math.inf


def power_log10(factor: float, exponents: np.ndarray) -> np.ndarray:
    """log10(factor ** k) for each k, with 0 ** 0 = 1."""
    lf = log10_nonneg(factor)
    with np.errstate(invalid="ignore"):
        out = exponents * lf
    out[exponents == 0] = 0.0
    return out


def gradient_bound_log10(run) -> np.ndarray:
    """For a FlowRun: log10 of (max|f'| ||W_hh||_2)^(T-t) ||dL/dh_T||, the most that
    ||dL/dh_t|| can be by the Pascanu et al. (2013) bound."""
    sigma = max_derivative(run.config.activation, run.config.leaky_slope)
    steps_back = np.arange(run.steps - 1, -1, -1, dtype=np.float64)
    return power_log10(sigma * run.spectral_norm, steps_back) + run.log10_grad_h[-1]


@dataclass
class Catch22Row:
    scale: float
    bound_factor: float  # sigma_max * ||W_hh||_2
    spectral_norm: float
    sequences: int
    exploded: int  # sequences whose ||dL/dh_t|| rises above 1e6 x its value at T
    vanished: int  # sequences whose ||dL/dh_1|| is below 1e-6 x its value at T
    median_log10_first: float  # median over sequences of log10(||dL/dh_1|| / ||dL/dh_T||)
    max_log10_gain: float  # largest log10(||dL/dh_t|| / ||dL/dh_T||) over t and sequences
    saturation: float  # mean share of units with |f'| < 0.1
    overflowed: int  # sequences whose forward pass left float range

    @property
    def bound_permits(self) -> bool:
        return self.bound_factor >= 1.0

    @property
    def survived(self) -> int:
        return self.sequences - self.exploded - self.vanished

    def to_dict(self) -> dict:
        return {"scale": self.scale, "bound_factor": self.bound_factor,
                "bound_permits": self.bound_permits, "spectral_norm": self.spectral_norm,
                "sequences": self.sequences, "exploded": self.exploded,
                "vanished": self.vanished, "survived": self.survived,
                "exploded_share": self.exploded / self.sequences,
                "median_log10_first": self.median_log10_first,
                "max_log10_gain": self.max_log10_gain, "saturation": self.saturation,
                "forward_overflowed": self.overflowed}


@dataclass
class Catch22Sweep:
    base: RNNConfig
    rows: list[Catch22Row]
    device: str
    dtype: str
    seconds: float

    @property
    def first_permitting(self) -> float | None:
        return next((r.scale for r in sorted(self.rows, key=lambda r: r.scale) if r.bound_permits),
                    None)

    @property
    def first_exploding(self) -> float | None:
        return next((r.scale for r in sorted(self.rows, key=lambda r: r.scale) if r.exploded),
                    None)

    @property
    def permitting_without_explosion(self) -> list[float]:
        return [r.scale for r in self.rows if r.bound_permits and not r.exploded]

    @property
    def survival_scales(self) -> list[float]:
        """Scales where every sequence's gradient neither vanished nor exploded."""
        return [r.scale for r in self.rows if r.survived == r.sequences]

    def to_dict(self) -> dict:
        c = self.base.to_dict()
        c.pop("scale")
        c["device"], c["dtype"] = self.device, self.dtype
        return {"config": c, "rule": ("exploded: ||dL/dh_t|| above 1e6 x ||dL/dh_T|| for some t; "
                                      "vanished: ||dL/dh_1|| below 1e-6 x ||dL/dh_T||"),
                "rows": [r.to_dict() for r in self.rows],
                "first_permitting_scale": self.first_permitting,
                "first_exploding_scale": self.first_exploding,
                "survival_scales": self.survival_scales}


@on_engine_threads
def catch22_sweep(
    base: RNNConfig,
    scales: Sequence[float],
    sequences: int = 16,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Catch22Sweep:
    """For each scale, ``sequences`` input sequences through one network (W_hh, W_xh
    from the base seed; inputs drawn from seeds seed+1 .. seed+K), all in one batch.

    The gradient is the Gradient Flow one (L = sum(h_T)); a sequence counts as
    exploded when ||dL/dh_t|| climbs above 1e6 times its value at T somewhere, and as
    vanished when ||dL/dh_1|| falls below 1e-6 times it.
    """
    import torch  # torch: loaded on first use

    if not scales:
        raise ConfigError("scales is empty", "scales")
    if not 1 <= sequences <= 256:
        raise ConfigError(f"sequences must be a whole number from 1 to 256 (got {sequences})",
                          "sequences")
    # How many rows fit is the budget's to say (no fixed count), checked before any
    # weights are built: every (scale, sequence) row has its own copy.
    budget.check(budget.flow_estimate(len(scales) * sequences, base.hidden, base.steps,
                                      base.input_size, 8).named(
        f"the catch-22 sweep ({len(scales)} scales x {sequences} sequences, T={base.steps}, "
        f"n={base.hidden})", "sequences", "use fewer scales, sequences or steps, or a smaller "
        "hidden size"))
    configs = []
    w_hh, w_xh, bias, inputs = [], [], [], []
    for s in scales:
        c = base.replace(scale=float(s))
        w = build_weights([c], torch.device("cpu"), torch.float64)
        for k in range(sequences):
            configs.append(c)
            w_hh.append(w.w_hh[0])
            w_xh.append(w.w_xh[0])
            bias.append(w.bias[0])
            inputs.append(torch.randn(c.steps, c.input_size, generator=random_stream(c.seed + 1 + k, 2),
                                      dtype=torch.float64) * c.input_scale)
    weights = RNNWeights(torch.stack(w_hh), torch.stack(w_xh), torch.stack(bias),
                         torch.stack(inputs))
    started = time.perf_counter()
    batch = run_flow_batch(configs, weights, source="catch-22 sweep", progress=progress,
                           cancel=cancel)
    sigma = max_derivative(base.activation, base.leaky_slope)
    rows = []
    for i, s in enumerate(scales):
        runs = batch.runs[i * sequences:(i + 1) * sequences]
        firsts = [r.log10_ratio[0] for r in runs]
        gains = [float(np.nanmax(r.log10_ratio)) for r in runs]
        rows.append(Catch22Row(
            scale=float(s), bound_factor=sigma * runs[0].spectral_norm,
            spectral_norm=runs[0].spectral_norm, sequences=sequences,
            exploded=int(sum(g > EXPLODE_LOG10 for g in gains)),
            vanished=int(sum((f < VANISH_LOG10) and (g <= EXPLODE_LOG10)
                             for f, g in zip(firsts, gains))),
            median_log10_first=float(np.median(firsts)), max_log10_gain=max(gains),
            saturation=float(np.mean([r.saturation.mean() for r in runs])),
            overflowed=int(sum(r.forward_overflow_step is not None for r in runs))))
    return Catch22Sweep(base, rows, batch.runs[0].device, batch.runs[0].dtype,
                        time.perf_counter() - started)
