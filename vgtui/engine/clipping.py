"""Gradient clipping by norm, measured on the parameter gradient of an RNN.

Clipping multiplies the whole gradient by min(1, tau / ||g||): it caps an exploding
gradient, and it moves every step's share of the gradient by the same factor, so it
can never enlarge a vanished one.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import budget, definitions
from .config import RNNConfig
from .device import bytes_per_number, dtype_name, on_engine_threads
from .errors import ConfigError
from .flow import forward_states
from .magnitude import LOG10_E, LogMagnitude, json_floats, log10_ratio
from .recurrence import prepare_vanilla_batch, progress_tick, safe_norm, tiny_weights
from .sums import RunningSum

TAU_RANGE = (1e-12, 1e12)


def check_tau(value) -> float:
    try:
        tau = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"clipping threshold tau must be a number from {TAU_RANGE[0]:g} to "
                          f"{TAU_RANGE[1]:g} (got {str(value)[:20]!r})", "tau") from None
    if not math.isfinite(tau) or not TAU_RANGE[0] <= tau <= TAU_RANGE[1]:
        raise ConfigError(f"clipping threshold tau must be a number from {TAU_RANGE[0]:g} to "
                          f"{TAU_RANGE[1]:g} (got {value!r})", "tau")
    return tau


@dataclass
class ClipRun:
    """The parameter gradient of L = sum(h_T) before and after clipping by norm.

    Per step t, ``log10_contribution`` is the size of step t's share of the gradient
    with respect to (W_hh, W_xh, b): ||dL/dz_t|| * sqrt(||h_(t-1)||^2 + ||x_t||^2 + 1).
    Clipping multiplies the whole gradient by min(1, tau / ||g||), so every step's
    share moves by the same factor and the ratio between early and late steps is
    what it was.
    """

    config: RNNConfig
    tau: float
    log10_grad_h: np.ndarray
    log10_contribution: np.ndarray
    log10_grad_norm: float  # ||g|| over all of W_hh, W_xh, b
    log10_grad_w_hh: float
    log10_grad_w_xh: float
    log10_grad_b: float
    spectral_radius: float
    device: str
    dtype: str
    seconds: float

    @property
    def steps(self) -> int:
        return int(self.log10_contribution.shape[0])

    @property
    def log10_clip_factor(self) -> float:
        """log10 of min(1, tau / ||g||): 0 when the gradient is already small enough."""
        if math.isnan(self.log10_grad_norm):
            return math.nan
        return min(0.0, math.log10(self.tau) - self.log10_grad_norm)

    @property
    def clipped(self) -> bool:
        return self.log10_clip_factor < 0

    @property
    def log10_grad_norm_after(self) -> float:
        return self.log10_grad_norm + self.log10_clip_factor

    @property
    def log10_contribution_after(self) -> np.ndarray:
        return self.log10_contribution + self.log10_clip_factor

    @property
    def log10_first_to_last(self) -> float:
        """log10 of (step 1's share) / (step T's share), before clipping."""
        return log10_ratio(self.log10_contribution[0], self.log10_contribution[-1])

    @property
    def log10_first_to_last_after(self) -> float:
        after = self.log10_contribution_after
        return log10_ratio(after[0], after[-1])

    def to_dict(self) -> dict:
        c = self.config.to_dict()
        c["device"], c["dtype"] = self.device, self.dtype
        return {
            "config": c, "tau": self.tau, "steps": self.steps,
            "grad_norm": LogMagnitude(self.log10_grad_norm),
            "log10_grad_norm": self.log10_grad_norm,
            "grad_norm_after": LogMagnitude(self.log10_grad_norm_after),
            "log10_grad_norm_after": self.log10_grad_norm_after,
            "clip_factor": LogMagnitude(self.log10_clip_factor),
            "log10_clip_factor": self.log10_clip_factor,
            "clipped": self.clipped,
            "log10_grad_w_hh": self.log10_grad_w_hh,
            "log10_grad_w_xh": self.log10_grad_w_xh,
            "log10_grad_b": self.log10_grad_b,
            "log10_grad_h": json_floats(self.log10_grad_h),
            "log10_contribution": json_floats(self.log10_contribution),
            "log10_contribution_after": json_floats(self.log10_contribution_after),
            "log10_first_to_last": self.log10_first_to_last,
            "log10_first_to_last_after": self.log10_first_to_last_after,
            "spectral_radius": self.spectral_radius,
            "definitions": dict(definitions.CLIP),
        }


@on_engine_threads
def clip_gradients(
    configs: Sequence[RNNConfig],
    tau: float,
    weights=None,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[ClipRun]:
    """Gradient of L = sum(h_T) with respect to W_hh, W_xh and b, in log space, and
    what clipping its norm at tau does to it. One batch, one loop over time."""
    import torch  # torch: loaded on first use

    tau = check_tau(tau)
    if configs:
        c = configs[0]
        budget.check(budget.clip_estimate(len(configs), c.hidden, c.steps, c.input_size,
                                          bytes_per_number(c.device, c.dtype)))
    configs, device, dtype, weights = prepare_vanilla_batch(configs, weights)
    started = time.perf_counter()
    w = weights.w_hh
    scaled_norms = tiny_weights(w)
    batch, n, _ = w.shape
    steps = weights.inputs.shape[1]
    with torch.no_grad():
        hidden, deriv, log_scales = forward_states(configs, weights, cancel=cancel,
                                                   progress=None if progress is None else
                                                   (lambda f: progress(0.5 * f)))
        if log_scales is None:
            log_scales = torch.zeros(steps, batch, dtype=torch.float64, device=device)
        # a_t = dL/dz_t = exp(log_g[t]) * dirs[t]; g_T = 1 (a vector of ones).
        dirs = torch.empty(steps, batch, n, dtype=dtype, device=device)
        log_g = torch.empty(steps, batch, dtype=torch.float64, device=device)
        u = torch.full((batch, 1, n), 1.0 / math.sqrt(n), dtype=dtype, device=device)
        log_norm = RunningSum(torch.full((batch,), 0.5 * math.log(n), dtype=torch.float64,
                                         device=device))
        one = torch.ones((), dtype=dtype, device=device)
        every = max(1, steps // 50)
        for k in range(steps - 1, -1, -1):
            log_g[k] = log_norm.value()
            a = deriv[k].unsqueeze(1) * u
            dirs[k] = a[:, 0]
            if k > 0:
                v = torch.bmm(a, w)
                size = safe_norm(v, 2) if scaled_norms else torch.linalg.vector_norm(v, dim=2)
                u = v / torch.where(size > 0, size, one).unsqueeze(2)
                log_norm.add(torch.log(size[:, 0].to(torch.float64)))
            if k % every == 0:
                progress_tick(progress, cancel, 0.5 + 0.4 * (steps - k) / steps)
        a_size = torch.linalg.vector_norm(dirs, dim=2).to(torch.float64)
        log_a = log_g + torch.log(a_size)  # ln ||dL/dz_t||, (T, B)
        # h_(t-1) = prev * exp(prev_scale): relu-like rows may be carried rescaled.
        prev = torch.cat([torch.zeros_like(hidden[:1]), hidden[:-1]], dim=0)
        prev_scale = torch.cat([torch.zeros_like(log_scales[:1]), log_scales[:-1]], dim=0)
        x = weights.inputs.transpose(0, 1)  # (T, B, m)
        log_prev = torch.log(torch.linalg.vector_norm(prev, dim=2).to(torch.float64)) + prev_scale
        log_rest = 0.5 * torch.log((torch.linalg.vector_norm(x, dim=2) ** 2 + 1.0).to(torch.float64))
        log_contrib = log_a + 0.5 * torch.logaddexp(2 * log_prev, 2 * log_rest)
        # Sum the per-step outer products, every term scaled by exp(-top) so the largest
        # is of size one; W_hh's terms carry the h scale, W_xh's and b's do not.
        ceiling = math.log(torch.finfo(dtype).max) - 1.0

        def scaled_sum(log_term, log_weight, right):
            finite = torch.where(torch.isfinite(log_term), log_term, torch.full_like(log_term, -math.inf))
            top = finite.amax(dim=0)
            top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
            # Clamped below the dtype's overflow: a term that large has ||a_t|| ~ 0 anyway.
            weight = torch.exp((log_weight - top.unsqueeze(0)).clamp(max=ceiling)).to(dtype)
            scaled = dirs * weight.unsqueeze(2)
            if right is None:
                g = scaled.sum(dim=0)
            else:
                g = torch.einsum("tbi,tbj->bij", scaled, right)
            size = torch.linalg.vector_norm(g.reshape(batch, -1), dim=1).to(torch.float64)
            return top + torch.log(size)  # ln ||g_part||

        log_whh = scaled_sum(log_a + log_prev, log_g + prev_scale, prev)
        log_wxh = scaled_sum(log_a, log_g, x)
        log_b = scaled_sum(log_a, log_g, None)
        log_total = 0.5 * torch.logsumexp(torch.stack([2 * log_whh, 2 * log_wxh, 2 * log_b]), dim=0)
        radius = torch.linalg.eigvals(w).abs().amax(dim=-1)
    elapsed = time.perf_counter() - started
    to10 = LOG10_E

    def host(t):
        return t.to(torch.float64).cpu().numpy()

    lg, lc = host(log_g) * to10, host(log_contrib) * to10
    lgh = lg  # ||dL/dh_t|| = exp(log_g)
    parts_np = [host(p) * to10 for p in (log_whh, log_wxh, log_b)]
    total_np = host(log_total) * to10
    rho = host(radius)
    runs = []
    for b, c in enumerate(configs):
        runs.append(ClipRun(
            config=c, tau=tau, log10_grad_h=lgh[:, b], log10_contribution=lc[:, b],
            log10_grad_norm=float(total_np[b]),
            log10_grad_w_hh=float(parts_np[0][b]),
            log10_grad_w_xh=float(parts_np[1][b]),
            log10_grad_b=float(parts_np[2][b]),
            spectral_radius=float(rho[b]), device=str(device), dtype=dtype_name(dtype),
            seconds=elapsed))
    return runs
