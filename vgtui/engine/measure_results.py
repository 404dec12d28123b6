"""What ``vgtui.measure`` returns: per-layer gradients per step, their fitted factor,
horizon and verdict, the input gradients and the lag profile, in log space where they
can leave float range."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .magnitude import LogMagnitude
from .unrolled import NORMS, float_list, optional_float, where_text


# -- results -------------------------------------------------------------------------------
@dataclass
class LayerMeasure:
    """One layer's measurements; arrays have length T and index k is step k + 1."""

    index: int  # 1-based, 1 reads the inputs
    log10_grad_h: np.ndarray
    log10_grad_c: np.ndarray | None
    factor: float
    vanishing_horizon: int | None
    exploding_horizon: int | None
    verdict: str
    spectral_radius: float  # of W_hh's candidate block (see candidate_spectrum)
    spectral_norm: float
    gate_means: dict  # LSTM input/forget/output, GRU reset/update; over steps, batch, units
    log10_lag: np.ndarray | None = None  # index k: lag k (RMS over pairs (t, t + k))
    log10_lag_matrix: np.ndarray | None = None  # (T, S): column j is loss step lag_steps[j]
    lag_factor: float = math.nan
    lag_horizon: int | None = None

    @property
    def grad_h(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.power(10.0, self.log10_grad_h)

    @property
    def grad_c(self) -> np.ndarray | None:
        if self.log10_grad_c is None:
            return None
        with np.errstate(over="ignore"):
            return np.power(10.0, self.log10_grad_c)

    def to_dict(self) -> dict:
        out = {
            "layer": self.index,
            "grad_h": [LogMagnitude(v) for v in self.log10_grad_h],
            "log10_grad_h": float_list(self.log10_grad_h),
        }
        if self.log10_grad_c is not None:
            out["grad_c"] = [LogMagnitude(v) for v in self.log10_grad_c]
            out["log10_grad_c"] = float_list(self.log10_grad_c)
        out.update({
            "factor": optional_float(self.factor),
            "vanishing_horizon": self.vanishing_horizon,
            "exploding_horizon": self.exploding_horizon,
            "verdict": self.verdict,
            "spectral_radius": optional_float(self.spectral_radius),
            "spectral_norm": optional_float(self.spectral_norm),
            "gates": {k: optional_float(v) for k, v in self.gate_means.items()},
        })
        if self.log10_lag is not None:
            out["lag"] = [LogMagnitude(v) for v in self.log10_lag]
            out["log10_lag"] = float_list(self.log10_lag)
            out["lag_factor"] = optional_float(self.lag_factor)
            out["lag_horizon"] = self.lag_horizon
        return out


@dataclass
class Measurement:
    """What ``measure_model`` found. ``layers`` runs bottom to top; arrays have length T
    and index k is step k + 1; magnitudes are held as log10 (exact past float range)."""

    arch: str
    module: str  # dotted name of the recurrent submodule ("" for the model itself)
    module_type: str  # "LSTM"
    nonlinearity: str
    steps: int
    batch: int | None  # None for an unbatched (T, m) input
    hidden: int
    proj_size: int
    input_size: int
    batch_first: bool
    loss: float
    loss_name: str
    layers: list
    log10_grad_x: np.ndarray
    lag_steps: list  # the steps (1-based) the loss reads, whose parts the lag profile splits
    lag_note: str
    params: dict  # parameter name -> log10 of its gradient's norm
    device: str
    dtype: str
    seconds: float
    lag_batch: int | None = None  # sequences the lag profile covers (None: all)

    @property
    def grad_x(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.power(10.0, self.log10_grad_x)

    @property
    def top(self) -> LayerMeasure:
        return self.layers[-1]

    def where(self) -> str:
        return f"{self.module_type} {where_text(self.module)}"

    def describe(self) -> str:
        """'LSTM at 'encoder.lstm', 2 layers, n=32, m=8, T=50, batch 16'"""
        layers = f"{len(self.layers)} layer" + ("s" if len(self.layers) > 1 else "")
        batch = "unbatched" if self.batch is None else f"batch {self.batch}"
        proj = f", projected to {self.proj_size}" if self.proj_size else ""
        return (f"{self.where()}, {layers}, n={self.hidden}{proj}, m={self.input_size}, "
                f"T={self.steps}, {batch}")

    def to_dict(self) -> dict:
        return {
            "arch": self.arch,
            "module": self.module,
            "module_type": self.module_type,
            "nonlinearity": self.nonlinearity or None,
            "steps": self.steps,
            "batch": self.batch,
            "hidden": self.hidden,
            "proj_size": self.proj_size,
            "input_size": self.input_size,
            "batch_first": self.batch_first,
            "loss": self.loss,
            "loss_fn": self.loss_name,
            "norms": NORMS,
            "layers": [layer.to_dict() for layer in self.layers],
            "grad_x": [LogMagnitude(v) for v in self.log10_grad_x],
            "log10_grad_x": float_list(self.log10_grad_x),
            "lag_steps": list(self.lag_steps),
            "lag_batch": self.lag_batch,
            "lag_note": self.lag_note,
            "params": {k: optional_float(v) for k, v in self.params.items()},
            "device": self.device,
            "dtype": self.dtype,
        }



def row_weights(log_scales: np.ndarray, top: np.ndarray) -> np.ndarray:
    """10^(scale - top): 0 where the scale is -inf (a zero term). Never above 1, since top
    is the largest scale (numpy's errstate is left out of this hot path on purpose: it
    costs more than the arithmetic)."""
    return 10.0 ** (log_scales - top)


def log10_host(values: np.ndarray) -> np.ndarray:
    """log10, with -inf for exact zeros and no warning."""
    return np.log10(values, out=np.full(values.shape, -np.inf), where=values > 0)


def log10_norms(norms) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(norms.double().cpu().numpy())


def log10_float(value: float) -> float:
    return math.log10(value) if value > 0 else -math.inf


def dtype_has_64(device) -> bool:
    return getattr(device, "type", "cpu") != "mps"


def lag_profile(matrix: np.ndarray, lag_steps: list) -> np.ndarray:
    """The lag profile from a (T, S) table of log10 norms (column j is 0-based loss step
    lag_steps[j]): entry k is log10 of the root mean square, over the pairs (t, t + k)
    with t + k a step the loss reads, of ||part of dL/dh_t injected at t + k||. nan where
    no pair has that lag."""
    steps = matrix.shape[0]
    ks, vals = [], []
    for j, s in enumerate(sorted(lag_steps)):
        col = matrix[: s + 1, j]  # t = 0..s
        ks.append(s - np.arange(s + 1))
        vals.append(col)
    if not ks:
        return np.full(steps, np.nan)
    ks = np.concatenate(ks)
    vals = 2.0 * np.concatenate(vals)  # squares, as log10
    count = np.bincount(ks, minlength=steps).astype(float)
    top = np.full(steps, -np.inf)
    np.maximum.at(top, ks, vals)
    safe = np.where(np.isfinite(top), top, 0.0)
    acc = np.zeros(steps)
    with np.errstate(invalid="ignore", over="ignore"):
        np.add.at(acc, ks, np.where(np.isfinite(vals), 10.0 ** (vals - safe[ks]), 0.0))
        out = 0.5 * (np.log10(acc) + safe - np.log10(np.maximum(count, 1)))
    out[~np.isfinite(top)] = -np.inf
    out[count == 0] = np.nan
    return out


