"""Spectra of recurrent weight matrices: the initialisations, and how training moves them.

For each initialisation (gaussian, orthogonal, identity, Xavier uniform, torch's
default and a non-normal shear matrix): the eigenvalues, the spectral radius
rho(W) (largest |eigenvalue|) against the spectral norm ||W||_2 (largest singular
value), which differ for non-normal matrices, and ||W^k v|| on a log scale.
``training_drift`` trains one tanh RNN per initialisation for a few Adam steps and
reports how its spectrum moved.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import budget
from .config import RNNConfig, parse_field
from .device import on_engine_threads
from .errors import Cancelled, ConfigError
from .magnitude import LogMagnitude, json_floats
from .recurrence import random_stream, recurrent_matrix

SPECTRUM_INITS = ("gaussian", "orthogonal", "identity", "xavier", "torch-default")
NON_NORMAL = "shear"
SPECTRUM_MAX_HIDDEN = 512
POWER_MAX_STEPS = 1000
INIT_TITLES = {
    "gaussian": "gaussian N(0, 1/n)",
    "orthogonal": "orthogonal (Haar)",
    "identity": "identity",
    "xavier": "Xavier uniform U(±sqrt(3/n))",
    "torch-default": "torch.nn.RNN default U(±1/sqrt(n))",
    NON_NORMAL: "shear I + b N (non-normal)",
}


def init_matrix(init: str, n: int, scale: float, seed: int, shear: float = 0.5):
    """W_hh (float64, CPU) for one of SPECTRUM_INITS or the shear example, times scale.

    gaussian, orthogonal and identity are exactly the matrices the RNN screens use for
    the same seed; xavier is Glorot's uniform rule for a square matrix (variance 1/n);
    torch-default is what torch.nn.RNN draws (variance 1/(3n)); shear is
    scale x (I + b N), N the ones just above the diagonal: every eigenvalue equals
    scale, but the norm is larger.
    """
    import torch  # torch: loaded on first use

    if init in ("gaussian", "orthogonal", "identity"):
        return recurrent_matrix(RNNConfig(init=init, hidden=n, scale=scale, seed=seed, steps=1))
    if init in ("xavier", "torch-default"):
        bound = math.sqrt(3.0 / n) if init == "xavier" else 1.0 / math.sqrt(n)
        u = torch.rand(n, n, generator=random_stream(seed, 0), dtype=torch.float64)
        return (2.0 * u - 1.0) * bound * scale
    if init == NON_NORMAL:
        return scale * (torch.eye(n, dtype=torch.float64) + shear * torch.diag(
            torch.ones(max(0, n - 1), dtype=torch.float64), 1))
    raise ConfigError(f"init must be one of {', '.join(SPECTRUM_INITS + (NON_NORMAL,))} "
                      f"(got {init!r})", "init")


def henrici_relative(w: np.ndarray, eigenvalues: np.ndarray, triangular: bool = False) -> float:
    """Henrici's departure from normality, sqrt(||W||_F^2 - sum |lambda_i|^2), divided by
    ||W||_F: 0 for a normal matrix, up to 1 for a nilpotent one. It is the Frobenius norm
    of the strictly upper part of W's Schur form. For a triangular W that part is W's own
    strictly upper part, taken directly; otherwise the difference of squares is computed
    and anything within its rounding (about sqrt(n * eps) relative) reads as 0."""
    fro2 = float(np.sum(w * w))
    if fro2 == 0:
        return 0.0
    if triangular:
        return float(np.linalg.norm(np.triu(w, 1)) / math.sqrt(fro2))
    gap = fro2 - float(np.sum(np.abs(eigenvalues) ** 2))
    resolution = 8.0 * w.shape[0] * np.finfo(np.float64).eps * fro2
    return math.sqrt(gap / fro2) if gap > resolution else 0.0


# Two eigenvalues (or two power norms) closer than this, relative to the largest, count as
# equal: the rest is rounding, which differs from one CPU's vector unit to another's.
TIE_RTOL = 1e-9


def by_magnitude(vals: np.ndarray) -> np.ndarray:
    """Eigenvalues largest |lambda| first. Magnitudes within TIE_RTOL of each other are a
    tie (an orthogonal matrix's are all equal), broken by the real part, then the sign of
    the imaginary part, each rounded the same way, so the order does not depend on
    rounding."""
    if vals.size == 0:
        return vals
    unit = float(np.max(np.abs(vals))) or 1.0
    step = TIE_RTOL * unit
    mag, real = np.round(np.abs(vals) / step), np.round(vals.real / step)
    imag = np.round(vals.imag / step)
    return vals[np.lexsort((-imag, -real, -mag))]


@dataclass
class SpectrumEntry:
    init: str
    eigenvalues: np.ndarray  # complex, sorted by magnitude, largest first
    spectral_radius: float
    spectral_norm: float
    departure: float  # Henrici's departure from normality over ||W||_F (0 when normal)
    log10_power: np.ndarray  # log10 ||W^k v|| for k = 0..K, v a seeded unit vector
    frobenius_norm: float = 0.0  # ||W||_F

    @property
    def title(self) -> str:
        return INIT_TITLES[self.init]

    @property
    def magnitudes(self) -> np.ndarray:
        return np.abs(self.eigenvalues)

    @property
    def power_peak(self) -> tuple[int, float]:
        """(k, log10 ||W^k v||) at the largest value over k = 0..K; the first k whose
        value is within rounding (TIE_RTOL relative) of the largest, so an orthogonal W,
        whose norms are all 1, peaks at k = 0 and not wherever rounding put the top."""
        finite = np.where(np.isfinite(self.log10_power), self.log10_power, -np.inf)
        top = float(np.max(finite))
        k = int(np.argmax(finite >= top - TIE_RTOL / math.log(10)))
        return k, float(self.log10_power[k])

    def to_dict(self) -> dict:
        k, peak = self.power_peak
        return {"init": self.init, "title": self.title,
                "eigenvalues": [[float(v.real), float(v.imag)] for v in self.eigenvalues],
                "magnitudes": json_floats(self.magnitudes),
                "spectral_radius": self.spectral_radius, "spectral_norm": self.spectral_norm,
                "norm_over_radius": (self.spectral_norm / self.spectral_radius
                                     if self.spectral_radius > 0 else None),
                "henrici_departure": self.departure * self.frobenius_norm,
                "henrici_departure_relative": self.departure,
                "power_norm": [LogMagnitude(v) for v in self.log10_power],
                "log10_power_norm": json_floats(self.log10_power),
                "power_peak_k": k, "log10_power_peak": peak}


@dataclass
class SpectrumReport:
    hidden: int
    scale: float
    seed: int
    power_steps: int
    shear: float
    entries: list[SpectrumEntry]
    seconds: float
    drift: list | None = None  # TrainingDrift per init, when training was asked for
    drift_key: tuple | None = None

    def entry(self, init: str) -> SpectrumEntry:
        for e in self.entries:
            if e.init == init:
                return e
        raise KeyError(init)

    def to_dict(self) -> dict:
        out = {"hidden": self.hidden, "scale": self.scale, "seed": self.seed,
               "power_steps": self.power_steps, "shear": self.shear,
               "inits": {e.init: e.to_dict() for e in self.entries}}
        if self.drift:
            out["training"] = {"steps": self.drift_key[3] if self.drift_key else None,
                               "rows": [d.to_dict() for d in self.drift]}
        return out


@on_engine_threads
def spectrum_report(hidden: int, scale: float, seed: int = 0, power_steps: int = 50,
                    shear: float = 0.5, inits: Sequence[str] = SPECTRUM_INITS + (NON_NORMAL,),
                    cancel: Callable[[], bool] | None = None) -> SpectrumReport:
    """Eigenvalues, spectral radius and norm, and ||W^k v|| for each initialisation.
    Computed in float64 on the CPU (one eigendecomposition per matrix)."""
    import torch  # torch: loaded on first use

    hidden = parse_field("hidden", hidden)
    scale = parse_field("scale", scale)
    seed = parse_field("seed", seed)
    if hidden > SPECTRUM_MAX_HIDDEN:
        raise ConfigError(f"hidden size n must be at most {SPECTRUM_MAX_HIDDEN} for the spectrum "
                          f"(one eigendecomposition each; got {hidden})", "hidden")
    if not isinstance(power_steps, int) or not 1 <= power_steps <= POWER_MAX_STEPS:
        raise ConfigError(f"power steps K must be a whole number from 1 to {POWER_MAX_STEPS} "
                          f"(got {power_steps!r})", "power_steps")
    if not math.isfinite(shear) or not 0 <= shear <= 10:
        raise ConfigError(f"shear b must be a number from 0 to 10 (got {shear!r})", "shear")
    budget.check(budget.spectrum_estimate(hidden, len(inits), power_steps))
    started = time.perf_counter()
    v0 = torch.randn(hidden, generator=random_stream(seed, 5), dtype=torch.float64).numpy()
    v0 = v0 / np.linalg.norm(v0)
    entries = []
    for init in inits:
        if cancel is not None and cancel():
            raise Cancelled()
        w = init_matrix(init, hidden, scale, seed, shear).numpy()
        if init in ("identity", NON_NORMAL):
            vals = np.diag(w).astype(complex)  # triangular: the diagonal, exactly
        else:
            vals = np.linalg.eigvals(w)
        vals = by_magnitude(vals)
        norm2 = float(np.linalg.norm(w, 2))
        departure = henrici_relative(w, vals, triangular=init in ("identity", NON_NORMAL))
        powers = np.empty(power_steps + 1)
        powers[0] = 0.0
        v, log_scale = v0.copy(), 0.0
        for k in range(1, power_steps + 1):
            v = w @ v
            size = float(np.linalg.norm(v))
            if size == 0:
                powers[k:] = -math.inf
                break
            log_scale += math.log10(size)
            powers[k] = log_scale
            v = v / size
        entries.append(SpectrumEntry(init, vals, float(np.max(np.abs(vals))), norm2, departure,
                                     powers, math.sqrt(float(np.sum(w * w)))))
    return SpectrumReport(hidden, scale, seed, power_steps, shear, entries,
                          time.perf_counter() - started)


TRAIN_MAX_STEPS = 500
TRAIN_MAX_HIDDEN = 128
TRAIN_SEQUENCE = 20
TRAIN_BATCH = 64
TRAIN_LR = 1e-2


@dataclass
class TrainingDrift:
    """Spectral radius and norm of W_hh before and after ``steps`` Adam steps."""

    init: str
    radius_before: float
    radius_after: float
    norm_before: float
    norm_after: float
    loss_before: float
    loss_after: float
    change: float  # ||W_after - W_before||_F / ||W_before||_F

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@on_engine_threads
def training_drift(hidden: int, scale: float, seed: int = 0, steps: int = 50,
                   inits: Sequence[str] = SPECTRUM_INITS,
                   cancel: Callable[[], bool] | None = None) -> list[TrainingDrift]:
    """Train one tanh RNN per init, all in one batch, on the long-range task of the
    articles (the output at the last of 20 steps should equal the first input, all
    other inputs zero), with Adam (lr 0.01, batch 64, squared error) for ``steps``
    steps; report how W_hh's spectrum moved. float64 on the CPU; seeded."""
    import torch  # torch: loaded on first use

    if not isinstance(steps, int) or not 1 <= steps <= TRAIN_MAX_STEPS:
        raise ConfigError(f"training steps must be a whole number from 1 to {TRAIN_MAX_STEPS} "
                          f"(got {steps!r})", "train_steps")
    if hidden > TRAIN_MAX_HIDDEN:
        raise ConfigError(f"hidden size n must be at most {TRAIN_MAX_HIDDEN} for training "
                          f"(got {hidden})", "hidden")
    inits = list(inits)
    b = len(inits)
    budget.check(budget.drift_estimate(hidden, b, steps, TRAIN_SEQUENCE, TRAIN_BATCH))
    w0 = torch.stack([init_matrix(i, hidden, scale, seed) for i in inits])
    w_hh = w0.clone().requires_grad_(True)
    # The same input weights for every init, so only W_hh differs between them.
    w_in = (torch.randn(hidden, 1, generator=random_stream(seed, 1), dtype=torch.float64)
            .expand(b, hidden, 1).clone().requires_grad_(True))
    w_out = torch.zeros(b, 1, hidden, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w_hh, w_in, w_out], lr=TRAIN_LR)
    data = random_stream(seed, 7)

    def loss_of(signal):
        h = torch.zeros(b, hidden, TRAIN_BATCH, dtype=torch.float64)
        for t in range(TRAIN_SEQUENCE):
            drive = w_in * signal.view(1, 1, -1) if t == 0 else 0.0
            h = torch.tanh(torch.bmm(w_hh, h) + drive)
        out = torch.bmm(w_out, h)[:, 0, :]  # (B, batch)
        return ((out - signal.view(1, -1)) ** 2).mean(dim=1)  # per init

    with torch.no_grad():
        probe = torch.randn(TRAIN_BATCH, generator=random_stream(seed, 4), dtype=torch.float64)
        before = loss_of(probe)
    for _ in range(steps):
        if cancel is not None and cancel():
            raise Cancelled()
        signal = torch.randn(TRAIN_BATCH, generator=data, dtype=torch.float64)
        opt.zero_grad()
        loss_of(signal).sum().backward()  # the inits do not interact: one sum, one backward
        opt.step()
    with torch.no_grad():
        after = loss_of(probe)
        w1 = w_hh.detach()
        out = []
        for k, init in enumerate(inits):
            a, z = w0[k].numpy(), w1[k].numpy()
            base = float(np.linalg.norm(a))
            out.append(TrainingDrift(
                init, float(np.max(np.abs(np.linalg.eigvals(a)))),
                float(np.max(np.abs(np.linalg.eigvals(z)))), float(np.linalg.norm(a, 2)),
                float(np.linalg.norm(z, 2)), float(before[k]), float(after[k]),
                float(np.linalg.norm(z - a) / base) if base > 0 else math.inf))
    return out
