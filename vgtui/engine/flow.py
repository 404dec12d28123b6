"""Forward and backward passes of a vanilla RNN, batched, magnitudes in log space.

The model is h_t = f(b + W_hh h_{t-1} + W_xh x_t) with h_0 = 0 and the loss
L = sum(h_T), so dL/dh_T is a vector of ones. The backward recursion

    g_T = 1,    a_t = f'(z_t) * g_t,    g_{t-1} = W_hh^T a_t,    dL/dx_t = W_xh^T a_t

is run on a unit vector that is renormalised at every step, with the log of
each step's stretch added up on the side. ||dL/dh_t|| is exp of that running
sum, so it stays exact when the true value is 1e-3000 or 1e+3000.

Everything is vectorised over a batch of configurations sharing (n, T, m):
one Python loop over time, never a loop over configurations.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import budget, definitions
from .cells import activate_in_place
from .config import RNNConfig
from .device import dtype_name, loop_threads, on_engine_threads, resolve_device, resolve_dtype
from .errors import ConfigError
from .magnitude import (FLOAT_LOG10_MAX, LOG10_E, LogMagnitude, from_log10, json_floats,
                        log10_ratio)
from .recurrence import (RNNWeights, build_weights, check_vanilla_batch, gc_paused,
                         progress_tick, row_norms, safe_norm)
from .sums import exact_cumsum_torch

# A gradient below 1e-6 of its value at T counts as gone; above 1e6 as exploded.
HORIZON_LOG10 = 6.0
# Fitted per-step factors inside this band (and no horizon reached) read as near-stable.
STABLE_BAND = (0.98, 1.02)
# Units whose |f'(z)| is below this count as saturated.
SATURATION_THRESHOLD = 0.1
# Activations with f(c z) = c f(z) for c > 0: their forward pass may be rescaled exactly.
HOMOGENEOUS = ("relu", "leaky_relu", "identity")


@dataclass
class FlowRun:
    """One configuration's measurements. Arrays have length T; index k is step k+1."""

    config: RNNConfig
    source: str
    log10_h_norm: np.ndarray
    log10_h_mean_abs: np.ndarray
    saturation: np.ndarray
    mean_derivative: np.ndarray
    log10_grad_h: np.ndarray
    log10_grad_x: np.ndarray
    spectral_radius: float
    spectral_norm: float
    factor: float
    vanishing_horizon: int | None
    exploding_horizon: int | None
    verdict: str
    forward_overflow_step: int | None
    device: str
    dtype: str
    seconds: float

    @property
    def steps(self) -> int:
        return int(self.log10_grad_h.shape[0])

    @property
    def h_norm(self) -> np.ndarray:
        """||h_t|| as plain floats (inf past float range; log10_h_norm is exact)."""
        return np.array([from_log10(v) for v in self.log10_h_norm])

    @property
    def h_mean_abs(self) -> np.ndarray:
        return np.array([from_log10(v) for v in self.log10_h_mean_abs])

    @property
    def grad_h(self) -> np.ndarray:
        """Plain floats (0 or inf where the true value is outside float range)."""
        return np.array([from_log10(v) for v in self.log10_grad_h])

    @property
    def grad_x(self) -> np.ndarray:
        return np.array([from_log10(v) for v in self.log10_grad_x])

    @property
    def log10_ratio(self) -> np.ndarray:
        """log10 of ||dL/dh_t|| / ||dL/dh_T||."""
        return self.log10_grad_h - self.log10_grad_h[-1]

    def to_dict(self, resolved: bool = True) -> dict:
        """Plain data for JSON and the Python API. Magnitudes that may leave float
        range are LogMagnitude objects, each list with an exact log10 twin."""
        config = self.config.to_dict()
        if resolved:
            config["device"], config["dtype"] = self.device, self.dtype
        return {
            "config": config,
            "source": self.source,
            "steps": self.steps,
            "grad_h": [LogMagnitude(v) for v in self.log10_grad_h],
            "log10_grad_h": json_floats(self.log10_grad_h),
            "grad_x": [LogMagnitude(v) for v in self.log10_grad_x],
            "log10_grad_x": json_floats(self.log10_grad_x),
            "log10_ratio": json_floats(self.log10_ratio),
            "h_norm": [LogMagnitude(v) for v in self.log10_h_norm],
            "log10_h_norm": json_floats(self.log10_h_norm),
            "h_mean_abs": [LogMagnitude(v) for v in self.log10_h_mean_abs],
            "saturation": json_floats(self.saturation),
            "mean_derivative": json_floats(self.mean_derivative),
            "spectral_radius": self.spectral_radius,
            "spectral_norm": self.spectral_norm,
            "factor": self.factor,
            "vanishing_horizon": self.vanishing_horizon,
            "exploding_horizon": self.exploding_horizon,
            "verdict": self.verdict,
            "forward_overflow_step": self.forward_overflow_step,
            "definitions": dict(definitions.FLOW),
        }

    @property
    def log10_step_factor(self) -> np.ndarray:
        """log10 of ||dL/dh_t|| / ||dL/dh_{t+1}||: the stretch of one step back.
        Undefined (nan) at t = T."""
        out = np.full(self.steps, np.nan)
        with np.errstate(invalid="ignore"):
            out[:-1] = self.log10_grad_h[:-1] - self.log10_grad_h[1:]
        return out


@dataclass
class FlowBatch:
    """Measurements for a batch of configurations computed in one vectorised call."""

    runs: list[FlowRun] = field(default_factory=list)
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, i: int) -> FlowRun:
        return self.runs[i]

    def __iter__(self):
        return iter(self.runs)


def fitted_factor(log10_grad: np.ndarray) -> float:
    """Per-step factor gamma from a least-squares fit of log10||g_t|| = a + (T-t) log10 gamma."""
    return float(fitted_factors(np.asarray(log10_grad, dtype=np.float64)[:, None])[0])


def fitted_factors(log10_grad: np.ndarray) -> np.ndarray:
    """``fitted_factor`` for every column of a (T, B) array at once (the closed-form
    least-squares slope over each column's finite entries); nan where fewer than two."""
    steps = log10_grad.shape[0]
    x = np.arange(steps - 1, -1, -1, dtype=np.float64)[:, None]
    ok = np.isfinite(log10_grad)
    count = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = (x * ok).sum(axis=0) / count
        y = np.where(ok, log10_grad, 0.0)
        y_mean = y.sum(axis=0) / count
        dx = np.where(ok, x - x_mean, 0.0)
        slope = (dx * (y - y_mean)).sum(axis=0) / (dx * dx).sum(axis=0)
        factor = np.where(slope < 308, 10.0 ** np.minimum(slope, 308), np.inf)
    return np.where(count >= 2, factor, np.nan)


def horizons(log10_grad: np.ndarray) -> tuple[int | None, int | None]:
    """Steps back from T until the gradient first falls below 1e-6 (or rises above 1e6)
    of its value at T; None where that never happens within the run."""
    rel = log10_ratio(log10_grad, log10_grad[-1])  # n/a throughout when it is 0 at T
    back = rel[::-1]  # back[k] is k steps before T
    vanish = np.nonzero(back < -HORIZON_LOG10)[0]
    explode = np.nonzero(back > HORIZON_LOG10)[0]
    return (int(vanish[0]) if vanish.size else None, int(explode[0]) if explode.size else None)


def horizons_of_columns(log10_grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``horizons`` for every column of a (T, B) array at once: two integer arrays,
    -1 where the horizon is not reached."""
    with np.errstate(invalid="ignore"):
        back = (log10_grad - log10_grad[-1])[::-1]  # back[k]: k steps before T
    out = []
    for hit in (back < -HORIZON_LOG10, back > HORIZON_LOG10):
        first = hit.argmax(axis=0)
        out.append(np.where(hit.any(axis=0), first, -1))
    return out[0], out[1]


def verdict_for(factor: float, vanishing: int | None, exploding: int | None) -> str:
    """vanishing / near-stable / exploding, by a stated rule: a horizon reached inside
    the run decides; otherwise the fitted factor against the band 0.98..1.02."""
    if vanishing is not None and (exploding is None or vanishing <= exploding):
        return "vanishing"
    if exploding is not None:
        return "exploding"
    if math.isnan(factor):
        return "undetermined"
    if factor < STABLE_BAND[0]:
        return "vanishing"
    if factor > STABLE_BAND[1]:
        return "exploding"
    return "near-stable"


@on_engine_threads
def run_flow_batch(
    configs: Sequence[RNNConfig],
    weights: RNNWeights | None = None,
    *,
    source: str = "random init",
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> FlowBatch:
    """Forward and backward passes for every config in one vectorised computation."""
    import torch  # torch: loaded on first use

    configs = list(configs)
    check_vanilla_batch(configs)
    device = resolve_device(configs[0].device)
    dtype = resolve_dtype(configs[0].dtype, device)
    first = configs[0]
    # Rows that differ only in scale share one W_hh base: decomposed once.
    matrices = len({(c.seed, c.init) if c.init_noise == 0 and weights is None else b
                    for b, c in enumerate(configs)})
    budget.check(budget.flow_estimate(len(configs), first.hidden, first.steps, first.input_size,
                                      torch.finfo(dtype).bits // 8, matrices))
    started = time.perf_counter()
    if weights is None:
        weights = build_weights(configs, device, dtype)
    else:
        weights = weights.to(device, dtype)
    if weights.batch != len(configs):
        raise ConfigError("weights and configurations differ in batch size")
    weights = weights.with_sharing()

    # Rows grouped by activation so each activation runs on a contiguous slice.
    order = sorted(range(len(configs)), key=lambda b: configs[b].activation)
    if order != list(range(len(configs))):
        ordered = [configs[b] for b in order]
        weights = weights.select(order)
    else:
        ordered = configs

    with torch.no_grad(), gc_paused():
        raw = _simulate(ordered, weights, device, dtype, progress, cancel)
        rho, sigma = _spectral(weights)
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started

    inverse = [0] * len(order)
    for position, b in enumerate(order):
        inverse[b] = position
    arrays = {k: v.to(torch.float64).cpu().numpy()[..., inverse] for k, v in raw.items()}
    rho, sigma = rho[inverse], sigma[inverse]
    runs = []
    factors = fitted_factors(arrays["log10_grad_h"])
    for b, c in enumerate(configs):
        log10_gh = arrays["log10_grad_h"][:, b]
        factor = float(factors[b])
        vanish, explode = horizons(log10_gh)
        overflow = arrays["overflow_step"][b]
        runs.append(FlowRun(
            config=c,
            source=source,
            log10_h_norm=arrays["log10_h_norm"][:, b],
            log10_h_mean_abs=arrays["log10_h_mean_abs"][:, b],
            saturation=arrays["saturation"][:, b],
            mean_derivative=arrays["mean_derivative"][:, b],
            log10_grad_h=log10_gh,
            log10_grad_x=arrays["log10_grad_x"][:, b],
            spectral_radius=float(rho[b]),
            spectral_norm=float(sigma[b]),
            factor=factor,
            vanishing_horizon=vanish,
            exploding_horizon=explode,
            verdict=verdict_for(factor, vanish, explode),
            forward_overflow_step=int(overflow) if overflow > 0 else None,
            device=str(device),
            dtype=dtype_name(dtype),
            seconds=elapsed,
        ))
    return FlowBatch(runs, elapsed)


def run_flow(config: RNNConfig, weights: RNNWeights | None = None, **kwargs) -> FlowRun:
    """A single configuration (a batch of one)."""
    return run_flow_batch([config], weights, **kwargs)[0]


def _spectral(weights: RNNWeights):
    """Spectral radius and norm per batch row (numpy). A shared base without noise is
    decomposed once: rho(s A) = |s| rho(A) and ||s A||_2 = |s| ||A||_2."""
    import torch  # torch: loaded on first use

    shared = weights.shared
    if shared is not None and shared.noise is None:
        base = shared.base.to(torch.float64)
        scales = shared.scales.to(torch.float64).abs()
        rho = torch.linalg.eigvals(base).abs().amax() * scales
        sigma = torch.linalg.matrix_norm(base, ord=2) * scales
    else:
        w = weights.w_hh.to(torch.float64)
        rho = torch.linalg.eigvals(w).abs().amax(dim=-1)
        sigma = torch.linalg.matrix_norm(w, ord=2)
    return rho.cpu().numpy(), sigma.cpu().numpy()


class _Recurrence:
    """The matrix products of one time step, chosen for the batch's structure.

    ``forward(h, drive, out)`` writes the rows W_hh h + drive; ``backward(a, out)`` writes
    the rows W_hh^T a. With a shared base (every W_hh = s_b A) they are single matrix
    products; in the backward pass the scale is left out of the product and its log
    added to every step's stretch instead (``log_scales``), since only the norm of the
    gradient is kept and s_b A^T a = s_b (A^T a). Otherwise batched matrix-vector
    products.
    """

    def __init__(self, weights: RNNWeights) -> None:
        import torch  # torch: loaded on first use

        self.torch = torch
        shared = weights.shared
        self.mode = "batched"
        self.log_scales = None
        if shared is not None:
            self.base = shared.base
            self.base_t = shared.base.t().contiguous()
            self.scales = shared.scales.view(-1, 1)
            self.noise = shared.noise
            self.noise_t = None if shared.noise is None else shared.noise.t().contiguous()
            unit = bool((shared.scales == 1).all())
            self.mode = "shared" if shared.noise is None and unit else \
                "scaled" if shared.noise is None else "noisy"
            if self.mode == "scaled":
                self.log_scales = torch.log(shared.scales.abs().to(torch.float64))
                self.scaled_h = torch.empty(weights.batch, weights.hidden,
                                            dtype=weights.dtype, device=weights.device)
        else:
            self.w_hh = weights.w_hh
            self.w_hh_t = weights.w_hh.transpose(1, 2).contiguous()

    def forward(self, h, drive, out) -> None:
        torch = self.torch
        if self.mode == "shared":
            torch.addmm(drive, h, self.base_t, out=out)
        elif self.mode == "scaled":
            torch.addmm(drive, torch.mul(h, self.scales, out=self.scaled_h), self.base_t, out=out)
        elif self.mode == "noisy":
            torch.addmm(torch.addmm(drive, h * self.scales, self.base_t), h, self.noise_t, out=out)
        else:
            torch.baddbmm(drive.unsqueeze(1), h.unsqueeze(1), self.w_hh_t, out=out.unsqueeze(1))

    def backward(self, a, out) -> None:
        torch = self.torch
        if self.mode in ("shared", "scaled"):
            torch.mm(a, self.base, out=out)
        elif self.mode == "noisy":
            torch.addmm(a @ self.noise, a * self.scales, self.base, out=out)
        else:
            torch.bmm(a.unsqueeze(1), self.w_hh, out=out.unsqueeze(1))


def forward_states(
    configs: Sequence[RNNConfig],
    weights: RNNWeights,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
):
    """The forward pass alone: (hidden, deriv, log_scales).

    ``deriv[k]`` (T, B, n) is f'(z_(k+1)), the diagonal of the step Jacobian
    dh_(k+1)/dh_k = diag(f'(z_(k+1))) W_hh. ``hidden[k]`` is h_(k+1), except that rows of
    relu, leaky relu and identity may be carried rescaled: the true h_(k+1) is
    hidden[k] * exp(log_scales[k]) (``log_scales`` is None when no row was rescaled;
    f' is unaffected by the rescaling). Computed on the device and in the dtype of
    ``weights``; ``progress`` gets the fraction of steps done. Used by the Gradient Flow
    pass below and by the Jacobian, Lyapunov and clipping engines.
    """
    import torch  # torch: loaded on first use

    with torch.no_grad():
        hidden, deriv, log_scales, _ = _forward(list(configs), weights, progress, cancel)
    return hidden, deriv, log_scales


def _input_drive(weights: RNNWeights):
    """x_t W_xh^T + b for all steps at once, time first: (T, B, n), or (T, 1, n) when
    every row has the same inputs (it then broadcasts over the batch)."""
    import torch  # torch: loaded on first use

    if weights.same_inputs:
        return torch.addmm(weights.bias[0], weights.inputs[0], weights.w_xh[0].t()).unsqueeze(1)
    return torch.baddbmm(weights.bias.unsqueeze(1), weights.inputs,
                         weights.w_xh.transpose(1, 2)).transpose(0, 1).contiguous()


class _Scratch:
    """Work buffers of the time loops, kept for the next call of the same size.

    A fresh buffer of tens of megabytes comes from the kernel a page at a time, and the
    faults cost the 256-configuration sweep about 40% of its time (113 ms against 70 ms);
    buffers handed back are reused instead. At most ``limit`` bytes are kept, the most
    recently returned first. CPU only: CUDA has its own caching allocator.
    """

    def __init__(self, limit: int = 128 * 2**20) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._free: list = []  # newest last

    def take(self, shape, dtype, device):
        import torch  # torch: loaded on first use

        if device.type == "cpu":
            numel = math.prod(shape)
            with self._lock:
                for i in range(len(self._free) - 1, -1, -1):
                    t = self._free[i]
                    if t.numel() == numel and t.dtype == dtype:
                        del self._free[i]
                        return t.view(shape)
        return torch.empty(shape, dtype=dtype, device=device)

    def give(self, *tensors) -> None:
        with self._lock:
            for t in tensors:
                if t.device.type == "cpu" and t.is_contiguous():
                    self._free.append(t.view(-1))
            kept, total = [], 0
            for t in reversed(self._free):
                size = t.numel() * t.element_size()
                if total + size <= self.limit:
                    kept.append(t)
                    total += size
            self._free = kept[::-1]


SCRATCH = _Scratch()


def _forward(configs, weights: RNNWeights, progress, cancel, scratch: _Scratch | None = None):
    """The forward time loop; also returns the step object the backward pass reuses.
    With ``scratch`` the (T, B, n) buffers come from it (the caller gives them back)."""
    import torch  # torch: loaded on first use

    device, dtype = weights.device, weights.dtype
    batch, n = weights.batch, weights.hidden
    steps = weights.inputs.shape[1]
    segments = _segments(configs)
    slopes = torch.tensor([c.leaky_slope for c in configs], dtype=dtype, device=device).view(-1, 1)
    every = max(1, steps // 50)  # how often to report progress and look for a cancel
    drive = _input_drive(weights)

    if scratch is None:
        hidden = torch.empty(steps, batch, n, dtype=dtype, device=device)
        deriv = torch.empty(steps, batch, n, dtype=dtype, device=device)
    else:
        hidden = scratch.take((steps, batch, n), dtype, device)
        deriv = scratch.take((steps, batch, n), dtype, device)
    for kind, lo, hi in segments:
        if kind == "identity":
            deriv[:, lo:hi] = 1.0  # constant: written once, not at every step
    step = _Recurrence(weights)
    # relu, leaky relu and identity satisfy f(c z) = c f(z) and f'(c z) = f'(z) for c > 0,
    # so their rows may be carried as h = exp(log_scale) * hidden with hidden kept in
    # range: the forward pass of an exploding network stays exact instead of reaching
    # inf. Bounded activations never need it (their scale stays 1).
    homogeneous = torch.tensor([c.activation in HOMOGENEOUS for c in configs], device=device)
    rescale = bool(homogeneous.any())
    limit = 1e100 if dtype == torch.float64 else 1e15
    check_every = 1 if dtype != torch.float64 else 4
    # On the CPU a row is rescaled only once one has grown past the limit (reading the
    # check is free there), and until then the loop does no bookkeeping at all; on a GPU
    # that read would stall the device at every check, so the bookkeeping always runs.
    carrying = rescale and not _cheap_host_reads(device)
    log_scale = torch.zeros(batch, dtype=torch.float64, device=device)
    log_scales = torch.zeros(steps, batch, dtype=torch.float64, device=device) if rescale else None
    shrink = torch.ones(batch, 1, dtype=dtype, device=device)  # exp(-log_scale)
    h = torch.zeros(batch, n, dtype=dtype, device=device)
    # Per-step views made up front: indexing inside the loop costs more than the
    # elementwise work on a small batch.
    hidden_at, drive_at = _by_step(hidden), _by_step(drive)
    pieces = [(kind, _by_step(hidden[:, lo:hi]), _by_step(deriv[:, lo:hi]), slopes[lo:hi])
              for kind, lo, hi in segments if kind != "identity"]
    for t in range(steps):
        h_next = hidden_at[t]
        step.forward(h, drive_at[t] * shrink if carrying else drive_at[t], out=h_next)
        for kind, h_piece, d_piece, slope in pieces:
            activate_in_place(kind, h_piece[t], slope, d_piece[t])
        h = h_next
        if rescale and t % check_every == 0:
            norm = torch.linalg.vector_norm(h, dim=1)
            over = homogeneous & (norm > limit)
            if carrying or bool(over.any()):
                carrying = True
                factor = torch.where(over, norm, torch.ones_like(norm))
                h.div_(factor.unsqueeze(1))
                log_scale = log_scale + torch.log(factor.to(torch.float64))
                shrink = torch.exp(-log_scale).to(dtype).unsqueeze(1)
        if carrying:
            log_scales[t] = log_scale
        if t % every == 0:
            progress_tick(progress, cancel, t / steps)
    return hidden, deriv, log_scales, step


def _cheap_host_reads(device) -> bool:
    """Whether reading a device value from Python costs nothing (the CPU) rather than a
    stall of the device (CUDA)."""
    return device.type == "cpu"


# Up to this many steps the loops take every step's view in one call; past it, one view
# at a time (a view is a few hundred bytes, so T = 100,000 would hold 200 MB of them).
VIEWS_AT_ONCE = 4096


def _by_step(tensor):
    """``tensor[t]`` for every step t: the views made up front for a short run, the
    tensor itself (indexed step by step) for a long one."""
    return tensor.unbind(0) if tensor.shape[0] <= VIEWS_AT_ONCE else tensor


def _simulate(configs, weights: RNNWeights, device, dtype, progress, cancel) -> dict:
    """The time loops over a batch whose rows are grouped by activation.
    Returns tensors shaped (T, B) per measured quantity; the (T, B, n) work buffers go
    back to ``SCRATCH`` (nothing returned is a view of them)."""
    forward_progress = None if progress is None else (lambda f: progress(0.5 * f))
    with loop_threads(weights.batch * weights.hidden ** 2):
        hidden, deriv, log_scales, step = _forward(configs, weights, forward_progress, cancel,
                                                   SCRATCH)
        dirs = SCRATCH.take(tuple(deriv.shape), dtype, device)
        try:
            return {**_forward_magnitudes(hidden, deriv, log_scales),
                    **_backward(weights, deriv, dirs, step, progress, cancel)}
        finally:
            SCRATCH.give(hidden, deriv, dirs)


def _forward_magnitudes(hidden, deriv, log_scales) -> dict:
    """log10 ||h_t|| and log10 mean |h_t|, exact also past float range (the rescaled rows'
    log scales are added back), the first step past float range, and f' statistics.
    Overwrites ``hidden`` with its absolute values."""
    import torch  # torch: loaded on first use

    steps, batch, n = hidden.shape
    log10_h_norm = torch.log10(row_norms(hidden).to(torch.float64))
    # |h| in place: the buffer is scratch from here on, and a fresh one of its size
    # would cost more in page faults than the sum itself
    log10_h_mean_abs = torch.log10((hidden.abs_().sum(dim=2) / n).to(torch.float64))
    if log_scales is not None:
        log10_h_norm = log10_h_norm + log_scales * LOG10_E
        log10_h_mean_abs = log10_h_mean_abs + log_scales * LOG10_E
    bad = log10_h_norm >= FLOAT_LOG10_MAX  # (T, B): beyond float range, kept in log space
    overflow_step = torch.where(bad.any(dim=0), bad.to(torch.int64).argmax(dim=0) + 1,
                                torch.zeros(batch, dtype=torch.int64, device=hidden.device))
    return {
        "log10_h_norm": log10_h_norm,
        "log10_h_mean_abs": log10_h_mean_abs,
        "overflow_step": overflow_step,
        # every derivative here is >= 0, so no abs is needed
        "saturation": (deriv < SATURATION_THRESHOLD).sum(dim=2, dtype=torch.int32)
        .to(hidden.dtype) / n,
        "mean_derivative": deriv.mean(dim=2),
    }


def _backward(weights: RNNWeights, deriv, dirs, step: _Recurrence, progress, cancel) -> dict:
    """log10 ||dL/dh_t|| and log10 ||dL/dx_t||.

    Carries the direction u_t of g_t = dL/dh_t, renormalised at every step, with
    stretch[t-1] = ||g_{t-1}|| / ||g_t||; the log-norms come from the stretches after the
    loop in one pass. dirs[t] first holds u_t and is then overwritten, in place, by
    a_t = f'(z_t) * u_t, which the input gradients need after the loop.
    """
    import torch  # torch: loaded on first use

    steps, batch, n = deriv.shape
    dtype = deriv.dtype
    every = max(1, steps // 50)  # how often to report progress and look for a cancel
    stretch = torch.ones(steps, batch, dtype=dtype, device=deriv.device)
    dirs[steps - 1] = 1.0 / math.sqrt(n)
    tiny = torch.finfo(dtype).tiny
    scaled = weights.tiny()
    dirs_at, deriv_at, stretch_at = _by_step(dirs), _by_step(deriv), _by_step(stretch)
    for t in range(steps - 1, 0, -1):
        a = torch.mul(deriv_at[t], dirs_at[t], out=dirs_at[t])
        v = dirs_at[t - 1]
        step.backward(a, out=v)  # W_hh^T a_t, up to the row's scale
        norm = stretch_at[t - 1]
        if scaled:
            norm.copy_(safe_norm(v, 1))
        else:
            torch.linalg.vector_norm(v, dim=1, out=norm)
        # An exactly zero gradient stays zero (its stretch logs as -inf).
        v.mul_(torch.reciprocal(norm.clamp_min(tiny)).unsqueeze(1))
        if t % every == 0:
            progress_tick(progress, cancel, 0.5 + 0.5 * (steps - t) / steps)
    dirs[0].mul_(deriv[0])
    # log ||g_t|| = log ||g_T|| + the log stretches of the steps from T back to t
    # (stretch[T-1] stays 1, so a reversed cumulative sum gives every t at once; the sum
    # is exact to the last digits at any T, where a plain one drifts by ~T roundings).
    log_stretch = torch.log(stretch.to(torch.float64))
    if step.log_scales is not None:
        log_stretch[:-1] += step.log_scales
    log_g = exact_cumsum_torch(log_stretch, 0, reverse=True)
    log_g = log_g + 0.5 * math.log(n)

    # dL/dx_t = W_xh^T a_t * ||g_t|| for every step in one batched product.
    if weights.same_inputs:
        gx = row_norms(dirs @ weights.w_xh[0])
    else:
        gx = row_norms(torch.einsum("tbn,bnm->tbm", dirs, weights.w_xh))
    log_gx = log_g + torch.log(gx.to(torch.float64))
    return {"log10_grad_h": log_g * LOG10_E, "log10_grad_x": log_gx * LOG10_E}


def _segments(configs) -> list[tuple[str, int, int]]:
    """(activation, start, end) runs of consecutive rows sharing an activation."""
    out: list[tuple[str, int, int]] = []
    for b, c in enumerate(configs):
        if out and out[-1][0] == c.activation:
            out[-1] = (c.activation, out[-1][1], b + 1)
        else:
            out.append((c.activation, b, b + 1))
    return out


