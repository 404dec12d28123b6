"""Lyapunov exponents: the long-run stretch per step of a recurrent network.

The largest exponent is the mean of ln ||J_k q|| over the steps of a run, q a unit
tangent vector carried along (renormalised, or re-orthonormalised by QR for several
exponents, every step), after a burn-in of T // 5 steps; in nats per step.
exp(exponent) is the long-run stretch per step: below 0 the network contracts
(gradients vanish), above 0 it is chaotic (gradients explode). Sweeping the weight
scale finds the edge of chaos, where the exponent crosses 0.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from . import budget
from .config import RNNConfig
from .device import bytes_per_number, dtype_name, on_engine_threads
from .errors import ConfigError
from .flow import forward_states
from .recurrence import prepare_vanilla_batch, progress_tick, safe_norm
from .sums import RunningSum

# scales x n^2 x T for one Lyapunov sweep: about a minute of CPU at most.
LYAPUNOV_MAX_WORK = 5e10


def tangent_exponents(w_hh, deriv, count: int, burn_in: int, seed: int, cancel=None,
                       progress=None, span=(0.0, 1.0)):
    """Leading ``count`` Lyapunov exponents (nats per step) of dh_k = J_k dh_(k-1).

    QR re-orthonormalisation every step; the log of |diag R| is summed after
    ``burn_in`` steps. Returns a (B, count) float64 tensor on the CPU.
    """
    import torch  # torch: loaded on first use

    steps, batch, n = deriv.shape
    device, dtype = deriv.device, deriv.dtype
    g = torch.Generator(device="cpu")
    g.manual_seed(seed * 8 + 6)
    start = torch.randn(n, count, generator=g, dtype=torch.float64)
    q = torch.linalg.qr(start)[0].to(device=device, dtype=dtype).expand(batch, n, count).contiguous()
    total = RunningSum(torch.zeros(batch, count, dtype=torch.float64, device=device))
    every = max(1, steps // 50)
    for k in range(steps):
        moved = deriv[k].unsqueeze(2) * torch.bmm(w_hh, q)
        if count == 1:
            norm = safe_norm(moved, 1)  # (B, 1), exact also for tiny weights
            q = moved / torch.where(norm > 0, norm, torch.ones_like(norm)).unsqueeze(1)
            stretch = norm
        else:
            q, r = torch.linalg.qr(moved)
            stretch = torch.diagonal(r, dim1=1, dim2=2).abs()
        if k >= burn_in:
            total.add(torch.log(stretch.to(torch.float64)))
        if k % every == 0:
            progress_tick(progress, cancel, span[0] + (span[1] - span[0]) * k / steps)
    exps = total.value() / max(1, steps - burn_in)
    return exps.cpu()


def burn_in_for(steps: int) -> int:
    """Steps left out of the Lyapunov average while the trajectory settles: T // 5."""
    return steps // 5


@dataclass
class LyapunovRow:
    scale: float
    exponent: float  # nats per step
    spectral_radius: float
    spectral_norm: float
    saturation: float  # share of (step, unit) pairs with |f'| < 0.1

    @property
    def factor(self) -> float:
        """exp(exponent): the long-run stretch per step."""
        return math.exp(self.exponent) if self.exponent < 700 else math.inf

    def to_dict(self) -> dict:
        return {"scale": self.scale, "exponent": self.exponent, "factor": self.factor,
                "spectral_radius": self.spectral_radius, "spectral_norm": self.spectral_norm,
                "log_spectral_radius": _ln(self.spectral_radius), "saturation": self.saturation}


def _ln(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


@dataclass
class LyapunovSweep:
    base: RNNConfig
    rows: list[LyapunovRow]
    burn_in: int
    device: str
    dtype: str
    seconds: float

    @property
    def crossings(self) -> list[float]:
        """Scales where the exponent changes sign, interpolated between neighbouring
        sweep points linearly in log(scale) (sorted by scale).

        For a linear network W_hh = s A gives J_k = s A at every step, so the tangent
        vector's directions do not depend on s and the exponent is exactly
        ln s + lambda(A): a straight line in ln s. Interpolating in ln s therefore puts
        the crossing at exp(-lambda(A)), which is 1/rho(A) as the run grows long, whatever
        the grid; interpolating in s itself would be off by the curvature of ln.
        """
        pts = sorted((r.scale, r.exponent) for r in self.rows
                     if math.isfinite(r.exponent) and r.scale > 0)
        out = []
        for (s0, e0), (s1, e1) in zip(pts, pts[1:]):
            if e0 == 0:
                out.append(s0)
            elif e0 * e1 < 0:
                l0, l1 = math.log(s0), math.log(s1)
                out.append(math.exp(l0 + (l1 - l0) * (-e0) / (e1 - e0)))
        if pts and pts[-1][1] == 0:
            out.append(pts[-1][0])
        return sorted(set(out))

    def to_dict(self) -> dict:
        c = self.base.to_dict()
        c.pop("scale")
        c["device"], c["dtype"] = self.device, self.dtype
        return {"config": c, "burn_in": self.burn_in, "unit": "nats per step",
                "rows": [r.to_dict() for r in self.rows], "edge_of_chaos": self.crossings}


@on_engine_threads
def lyapunov_sweep(
    base: RNNConfig,
    scales: Sequence[float],
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LyapunovSweep:
    """The largest Lyapunov exponent for W_hh = scale x (the base config's matrix), one
    batched forward pass and one batched tangent iteration for every scale."""
    import torch  # torch: loaded on first use

    if not scales:
        raise ConfigError("scales is empty", "scales")
    work = len(scales) * base.hidden ** 2 * base.steps
    if work > LYAPUNOV_MAX_WORK:
        raise ConfigError(f"Lyapunov sweep too large: scales x n^2 x T must be at most "
                          f"{LYAPUNOV_MAX_WORK:.0e} (got {work:.1e}); use fewer steps, scales or "
                          "units", "steps")
    budget.check(budget.lyapunov_estimate(len(scales), base.hidden, base.steps, base.input_size,
                                          bytes_per_number(base.device, base.dtype)))
    configs = [base.replace(scale=float(s)) for s in scales]
    configs, device, dtype, weights = prepare_vanilla_batch(configs)
    started = time.perf_counter()
    burn = burn_in_for(base.steps)
    with torch.no_grad():
        _, deriv, _ = forward_states(configs, weights, cancel=cancel,
                                     progress=None if progress is None else
                                     (lambda f: progress(0.5 * f)))
        exps = tangent_exponents(weights.w_hh, deriv, 1, burn, base.seed, cancel, progress,
                                  (0.5, 1.0))
        sat = (deriv.abs() < 0.1).to(torch.float64).mean(dim=(0, 2)).cpu().numpy()
        rho = torch.linalg.eigvals(weights.w_hh).abs().amax(dim=-1).to(torch.float64).cpu().numpy()
        sig = torch.linalg.matrix_norm(weights.w_hh, ord=2).to(torch.float64).cpu().numpy()
    elapsed = time.perf_counter() - started
    rows = [LyapunovRow(c.scale, float(exps[b, 0]), float(rho[b]), float(sig[b]), float(sat[b]))
            for b, c in enumerate(configs)]
    return LyapunovSweep(base, rows, burn, str(device), dtype_name(dtype), elapsed)
