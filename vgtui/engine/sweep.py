"""The measured decay table: weight scales x activations in one batched engine call.

Every cell is a real vanilla RNN (the same one ``vgtui flow`` runs), all cells
sharing hidden size, length, input size and seed, so the whole grid is a single
``run_flow_batch`` call: one Python loop over time, the configurations stacked
in the batch dimension.

Per cell it reports the measured ratio ||dL/dh_1|| / ||dL/dh_T|| (log10,
exact), the fitted per-step factor, and the articles' shortcut: the spectral
radius of W_hh times the mean activation derivative over the run, with the
ratio that multiplier alone would predict, (rho * mean f')^(T-1).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import budget
from . import definitions
from .config import ACTIVATIONS, RNNConfig, parse_field
from .errors import ConfigError
from .device import bytes_per_number
from .flow import STABLE_BAND, fitted_factors, horizons_of_columns, run_flow_batch, verdict_for
from .sweep_kernel import run_sweep_kernel
from .lists import ListSpec, parse_choice_list, parse_number_list
from .magnitude import LogMagnitude

# No fixed count: the batch's memory and time (engine/budget.py) decide how many fit.
SCALES = ListSpec("scales", "weight scales", float, 0.0, 100.0, None)
DEFAULT_SCALES = (0.5, 0.9, 1.0, 1.2, 1.5, 2.0)
DEFAULT_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")


def parse_scales(text) -> tuple[float, ...]:
    return parse_number_list(SCALES, text)


def parse_sweep_activations(text) -> tuple[str, ...]:
    return parse_choice_list("activations", "activations", text, ACTIVATIONS,
                             {"leakyrelu": "leaky_relu", "leaky": "leaky_relu",
                              "linear": "identity"})


@dataclass(frozen=True)
class SweepSpec:
    """A grid of scales (rows) by activations (columns) around one base config."""

    scales: tuple[float, ...] = DEFAULT_SCALES
    activations: tuple[str, ...] = DEFAULT_ACTIVATIONS
    base: RNNConfig = RNNConfig()

    def __post_init__(self) -> None:
        if not self.scales:
            raise ConfigError("the sweep needs at least one weight scale", "scales")
        if not self.activations:
            raise ConfigError("the sweep needs at least one activation", "activations")
        if self.base.steps < 2:
            raise ConfigError("the measured table needs T of at least 2 (a ratio between "
                              "step 1 and step T)", "steps")
        # How many scales fit is the batch's memory and time (engine/budget.py), not a
        # count. Its memory is refused here already, at the smallest dtype; time (and the
        # memory at the dtype it resolves) is checked by run_flow_batch when it runs.
        rows = len(self.scales) * len(self.activations)
        b = self.base
        need = budget.flow_estimate(rows, b.hidden, b.steps, b.input_size, 4, 1)
        budget.check(budget.Estimate(need.bytes, 0.0,
            f"{len(self.scales)} scales x {len(self.activations)} activations at T={b.steps}, "
            f"n={b.hidden}", "scales", "use fewer scales or activations, fewer steps or a "
            "smaller hidden size"))

    def configs(self) -> list[RNNConfig]:
        """Row-major: every activation for the first scale, then the next scale."""
        scales = [parse_field("scale", s) for s in self.scales]
        activations = [parse_field("activation", a) for a in self.activations]
        return [self.base.replace_checked(scale=s, activation=a)
                for s in scales for a in activations]


def _verdict_of_factor(factor: float) -> str:
    if math.isnan(factor):
        return "undetermined"
    if factor < STABLE_BAND[0]:
        return "vanishing"
    if factor > STABLE_BAND[1]:
        return "exploding"
    return "near-stable"


@dataclass(frozen=True)
class SweepCell:
    activation: str
    scale: float
    config: RNNConfig
    log10_ratio: float  # log10 ||dL/dh_1|| / ||dL/dh_T||, measured
    factor: float  # fitted per-step factor of the measured gradient
    verdict: str  # the flow engine's verdict for this run
    spectral_radius: float
    mean_derivative: float  # mean f'(z_t) over units and steps 2..T
    steps: int

    @property
    def multiplier(self) -> float:
        """spectral radius x mean derivative: the articles' per-step shortcut."""
        return self.spectral_radius * self.mean_derivative

    @property
    def log10_implied_ratio(self) -> float:
        """log10 of multiplier^(T-1), the ratio the shortcut predicts."""
        m = self.multiplier
        if m == 0:
            return -math.inf
        return (self.steps - 1) * math.log10(abs(m))

    @property
    def multiplier_verdict(self) -> str:
        return _verdict_of_factor(self.multiplier)

    @property
    def decades_off(self) -> float:
        """How far the shortcut's ratio is from the measured one, in decades (+: too high)."""
        return self.log10_implied_ratio - self.log10_ratio

    def to_dict(self) -> dict:
        return {
            "activation": self.activation,
            "scale": self.scale,
            "ratio": LogMagnitude(self.log10_ratio),
            "log10_ratio": self.log10_ratio,
            "factor": self.factor,
            "verdict": self.verdict,
            "spectral_radius": self.spectral_radius,
            "mean_derivative": self.mean_derivative,
            "multiplier": self.multiplier,
            "implied_ratio": LogMagnitude(self.log10_implied_ratio),
            "log10_implied_ratio": self.log10_implied_ratio,
            "multiplier_verdict": self.multiplier_verdict,
        }


@dataclass(frozen=True)
class SweepResult:
    spec: SweepSpec
    cells: tuple[SweepCell, ...]
    device: str
    dtype: str
    seconds: float
    threads: int = 0  # torch threads of the time loop (0: the general loop's own choice)

    def cell(self, activation: str, scale: float) -> SweepCell:
        for c in self.cells:
            if c.activation == activation and c.scale == scale:
                return c
        raise KeyError((activation, scale))

    def to_dict(self) -> dict:
        config = self.spec.base.to_dict()
        config.pop("activation")
        config.pop("scale")
        config["device"], config["dtype"] = self.device, self.dtype
        return {
            "kind": "measured ||dL/dh_1|| / ||dL/dh_T||",
            "config": config,
            "scales": list(self.spec.scales),
            "activations": list(self.spec.activations),
            "ratio_definition": "||dL/dh_1|| / ||dL/dh_T||, loss L = sum(h_T)",
            "factor_definition": "fitted per-step factor of log10 ||dL/dh_t|| against T - t",
            "multiplier_definition": "spectral radius of W_hh x mean f'(z_t) over units and "
                                     "steps 2..T; implied ratio = multiplier^(T-1)",
            "rows": [c.to_dict() for c in self.cells],
            "definitions": dict(definitions.SWEEP),
            # Wall-clock time differs between runs by design: kept apart from the results.
            "timing": {"seconds": self.seconds},
        }


def run_sweep(spec: SweepSpec, *, progress: Callable[[float], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> SweepResult:
    """The whole grid in one batched computation: the sweep kernel
    (``sweep_kernel.run_sweep_kernel``) where it applies, else one ``run_flow_batch``
    call. Both give the same quantities per cell."""
    configs = spec.configs()
    budget.check(budget.flow_estimate(len(configs), spec.base.hidden, spec.base.steps,
                                      spec.base.input_size,
                                      bytes_per_number(spec.base.device, spec.base.dtype), 1))
    started = time.perf_counter()
    fast = run_sweep_kernel(configs, progress=progress, cancel=cancel)
    if fast is not None:
        seconds = time.perf_counter() - started
        log10_g = fast.log10_grad_h
        factors = fitted_factors(log10_g)
        vanishing, exploding = horizons_of_columns(log10_g)
        ratios = log10_g[0] - log10_g[-1]
        # the mean over steps 2..T, every column at once (steps >= 2 is checked)
        means = fast.mean_derivative[1:].mean(axis=0)
        cells = []
        for b, config in enumerate(configs):
            vanish = int(vanishing[b]) if vanishing[b] >= 0 else None
            explode = int(exploding[b]) if exploding[b] >= 0 else None
            factor = float(factors[b])
            cells.append(SweepCell(
                activation=config.activation,
                scale=config.scale,
                config=config,
                log10_ratio=float(ratios[b]),
                factor=factor,
                verdict=verdict_for(factor, vanish, explode),
                spectral_radius=float(fast.spectral_radius[b]),
                mean_derivative=float(means[b]),
                steps=config.steps,
            ))
        return SweepResult(spec, tuple(cells), fast.device, fast.dtype, seconds, fast.threads)
    batch = run_flow_batch(configs, progress=progress, cancel=cancel)
    cells = []
    for config, run in zip(configs, batch.runs):
        deriv = np.asarray(run.mean_derivative[1:], dtype=np.float64)  # steps 2..T
        cells.append(SweepCell(
            activation=config.activation,
            scale=config.scale,
            config=config,
            log10_ratio=float(run.log10_grad_h[0] - run.log10_grad_h[-1]),
            factor=float(run.factor),
            verdict=run.verdict,
            spectral_radius=float(run.spectral_radius),
            mean_derivative=float(deriv.mean()) if deriv.size else math.nan,
            steps=run.steps,
        ))
    first = batch.runs[0]
    return SweepResult(spec, tuple(cells), first.device, first.dtype, batch.seconds)


def sweep_spec(scales: Sequence[float] = DEFAULT_SCALES,
               activations: Sequence[str] = DEFAULT_ACTIVATIONS, **base) -> SweepSpec:
    """A SweepSpec from plain values (base settings as RNNConfig fields)."""
    return SweepSpec(tuple(scales), tuple(activations), RNNConfig(**base))
