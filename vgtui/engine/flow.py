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
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .config import RNNConfig, same_shape_key
from .errors import ConfigError
from .magnitude import LogMagnitude, from_log10

LOG10_E = math.log10(math.e)
# A gradient below 1e-6 of its value at T counts as gone; above 1e6 as exploded.
HORIZON_LOG10 = 6.0
# Fitted per-step factors inside this band (and no horizon reached) read as near-stable.
STABLE_BAND = (0.98, 1.02)
# Units whose |f'(z)| is below this count as saturated.
SATURATION_THRESHOLD = 0.1


class Cancelled(Exception):
    """Raised inside a computation when its cancel callback says stop."""


@dataclass
class RNNWeights:
    """Explicit weights for a batch: W_hh (B,n,n), W_xh (B,n,m), b (B,n), x (B,T,m)."""

    w_hh: object
    w_xh: object
    bias: object
    inputs: object

    @property
    def batch(self) -> int:
        return int(self.w_hh.shape[0])


def _stream(seed: int, stream: int):
    """An independent CPU generator per (seed, stream), so every draw is reproducible
    and a change of init for W_hh never shifts the draws for W_xh or the inputs."""
    import torch

    g = torch.Generator(device="cpu")
    g.manual_seed(seed * 8 + stream)
    return g


def recurrent_matrix(config: RNNConfig):
    """W_hh for a config, in float64 on the CPU (cast and moved by the caller)."""
    import torch

    n = config.hidden
    if config.init == "gaussian":
        w = torch.randn(n, n, generator=_stream(config.seed, 0), dtype=torch.float64) / math.sqrt(n)
    elif config.init == "orthogonal":
        a = torch.randn(n, n, generator=_stream(config.seed, 0), dtype=torch.float64)
        q, r = torch.linalg.qr(a)
        # Fix the signs so the result is Haar-distributed and reproducible.
        signs = torch.sign(torch.diagonal(r))
        signs[signs == 0] = 1.0
        w = q * signs
    elif config.init == "identity":
        w = torch.eye(n, dtype=torch.float64)
    else:  # config validation makes this unreachable
        raise ConfigError(f"unknown init {config.init!r}", "init")
    w = w * config.scale
    if config.init_noise > 0:
        w = w + config.init_noise * torch.randn(n, n, generator=_stream(config.seed, 3), dtype=torch.float64)
    return w


def build_weights(configs: Sequence[RNNConfig], device, dtype) -> RNNWeights:
    """Seeded weights and inputs for each config, stacked into one batch."""
    import torch

    w_hh, w_xh, bias, inputs = [], [], [], []
    for c in configs:
        w_hh.append(recurrent_matrix(c))
        w_xh.append(torch.randn(c.hidden, c.input_size, generator=_stream(c.seed, 1),
                                dtype=torch.float64) / math.sqrt(c.input_size))
        bias.append(torch.zeros(c.hidden, dtype=torch.float64))
        inputs.append(torch.randn(c.steps, c.input_size, generator=_stream(c.seed, 2),
                                  dtype=torch.float64) * c.input_scale)

    def stack(ts):
        return torch.stack(ts).to(device=device, dtype=dtype)

    return RNNWeights(stack(w_hh), stack(w_xh), stack(bias), stack(inputs))


@dataclass
class FlowRun:
    """One configuration's measurements. Arrays have length T; index k is step k+1."""

    config: RNNConfig
    source: str
    h_norm: np.ndarray
    h_mean_abs: np.ndarray
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
            "log10_grad_h": _floats(self.log10_grad_h),
            "grad_x": [LogMagnitude(v) for v in self.log10_grad_x],
            "log10_grad_x": _floats(self.log10_grad_x),
            "log10_ratio": _floats(self.log10_ratio),
            "h_norm": _floats(self.h_norm),
            "h_mean_abs": _floats(self.h_mean_abs),
            "saturation": _floats(self.saturation),
            "mean_derivative": _floats(self.mean_derivative),
            "spectral_radius": self.spectral_radius,
            "spectral_norm": self.spectral_norm,
            "factor": self.factor,
            "vanishing_horizon": self.vanishing_horizon,
            "exploding_horizon": self.exploding_horizon,
            "verdict": self.verdict,
            "forward_overflow_step": self.forward_overflow_step,
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


def _floats(arr: np.ndarray) -> list:
    """A list of floats with nan as None (JSON has no nan) and +-inf kept."""
    return [None if math.isnan(v) else float(v) for v in arr.tolist()]


def fitted_factor(log10_grad: np.ndarray) -> float:
    """Per-step factor gamma from a least-squares fit of log10||g_t|| = a + (T-t) log10 gamma."""
    steps_back = np.arange(log10_grad.shape[0] - 1, -1, -1, dtype=np.float64)
    ok = np.isfinite(log10_grad)
    if ok.sum() < 2:
        return math.nan
    x, y = steps_back[ok], log10_grad[ok]
    slope = np.polyfit(x, y, 1)[0]
    return float(10.0 ** slope) if slope < 308 else math.inf


def horizons(log10_grad: np.ndarray) -> tuple[int | None, int | None]:
    """Steps back from T until the gradient first falls below 1e-6 (or rises above 1e6)
    of its value at T; None where that never happens within the run."""
    rel = log10_grad - log10_grad[-1]
    back = rel[::-1]  # back[k] is k steps before T
    vanish = np.nonzero(back < -HORIZON_LOG10)[0]
    explode = np.nonzero(back > HORIZON_LOG10)[0]
    return (int(vanish[0]) if vanish.size else None, int(explode[0]) if explode.size else None)


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


def _check_batch(configs: Sequence[RNNConfig]) -> None:
    if not configs:
        raise ConfigError("a batch needs at least one configuration")
    keys = {same_shape_key(c) for c in configs}
    if len(keys) > 1:
        raise ConfigError("configurations in one batch must share hidden, steps, input size, "
                          "device and dtype")


def run_flow_batch(
    configs: Sequence[RNNConfig],
    weights: RNNWeights | None = None,
    *,
    source: str = "random init",
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> FlowBatch:
    """Forward and backward passes for every config in one vectorised computation."""
    import torch

    from .device import dtype_name, resolve_device, resolve_dtype

    configs = list(configs)
    _check_batch(configs)
    device = resolve_device(configs[0].device)
    dtype = resolve_dtype(configs[0].dtype, device)
    started = time.perf_counter()
    if weights is None:
        weights = build_weights(configs, device, dtype)
    else:
        weights = RNNWeights(*(t.to(device=device, dtype=dtype) for t in
                               (weights.w_hh, weights.w_xh, weights.bias, weights.inputs)))
    if weights.batch != len(configs):
        raise ConfigError("weights and configurations differ in batch size")

    with torch.no_grad():
        raw = _simulate(configs, weights, device, dtype, progress, cancel)
        spectral_radius = torch.linalg.eigvals(weights.w_hh).abs().amax(dim=-1)
        spectral_norm = torch.linalg.matrix_norm(weights.w_hh, ord=2)
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started

    arrays = {k: v.to(torch.float64).cpu().numpy() for k, v in raw.items()}
    rho = spectral_radius.to(torch.float64).cpu().numpy()
    sigma = spectral_norm.to(torch.float64).cpu().numpy()
    runs = []
    for b, c in enumerate(configs):
        log10_gh = arrays["log10_grad_h"][:, b]
        factor = fitted_factor(log10_gh)
        vanish, explode = horizons(log10_gh)
        overflow = arrays["overflow_step"][b]
        runs.append(FlowRun(
            config=c,
            source=source,
            h_norm=arrays["h_norm"][:, b],
            h_mean_abs=arrays["h_mean_abs"][:, b],
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


def forward_states(
    configs: Sequence[RNNConfig],
    weights: RNNWeights,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
):
    """The forward pass alone: (hidden, deriv), each shaped (T, B, n).

    ``hidden[k]`` is h_(k+1) and ``deriv[k]`` is f'(z_(k+1)), the diagonal of the
    step Jacobian dh_(k+1)/dh_k = diag(f'(z_(k+1))) W_hh. Computed on the device and
    in the dtype of ``weights``; ``progress`` gets the fraction of steps done.
    """
    import torch

    from .cells import ActivationPlan

    w_hh, w_xh = weights.w_hh, weights.w_xh
    device, dtype = w_hh.device, w_hh.dtype
    batch, n, _ = w_hh.shape
    steps = weights.inputs.shape[1]
    plan = ActivationPlan([c.activation for c in configs], [c.leaky_slope for c in configs],
                          device, dtype)
    every = max(1, steps // 50)  # how often to report progress and look for a cancel

    # Input drive for all steps at once: (B, T, n) = x W_xh^T + b.
    drive = torch.baddbmm(weights.bias.unsqueeze(1), weights.inputs, w_xh.transpose(1, 2))
    w_hh_t = w_hh.transpose(1, 2).contiguous()

    hidden = torch.empty(steps, batch, n, dtype=dtype, device=device)
    deriv = torch.empty(steps, batch, n, dtype=dtype, device=device)
    h = torch.zeros(batch, 1, n, dtype=dtype, device=device)
    for t in range(steps):
        z = torch.baddbmm(drive[:, t:t + 1, :], h, w_hh_t)
        h, d = plan(z)
        hidden[t] = h[:, 0]
        deriv[t] = d[:, 0]
        if t % every == 0:
            _tick(progress, cancel, t / steps)
    return hidden, deriv


def _simulate(configs, weights: RNNWeights, device, dtype, progress, cancel) -> dict:
    """The time loops. Returns tensors shaped (T, B) per measured quantity."""
    import torch

    w_hh, w_xh = weights.w_hh, weights.w_xh
    batch, n, _ = w_hh.shape
    steps = weights.inputs.shape[1]
    every = max(1, steps // 50)  # how often to report progress and look for a cancel
    forward_progress = None if progress is None else (lambda f: progress(0.5 * f))
    hidden, deriv = forward_states(configs, weights, progress=forward_progress, cancel=cancel)

    finite = torch.isfinite(hidden).all(dim=2)  # (T, B)
    bad = ~finite
    overflow_step = torch.where(bad.any(dim=0), bad.to(torch.int64).argmax(dim=0) + 1,
                                torch.zeros(batch, dtype=torch.int64, device=device))

    # Backward: unit direction u_t and log-norm of g_t, renormalised every step.
    log_g = torch.empty(steps, batch, dtype=torch.float64, device=device)
    direction = torch.empty(steps, batch, n, dtype=dtype, device=device)
    u = torch.full((batch, 1, n), 1.0 / math.sqrt(n), dtype=dtype, device=device)
    log_norm = torch.full((batch,), 0.5 * math.log(n), dtype=torch.float64, device=device)
    one = torch.ones((), dtype=dtype, device=device)
    for t in range(steps - 1, -1, -1):
        log_g[t] = log_norm
        a = deriv[t].unsqueeze(1) * u  # dL/dz_t, up to the factor exp(log_norm)
        direction[t] = a[:, 0]
        if t > 0:
            v = torch.bmm(a, w_hh)  # row vector a W_hh = (W_hh^T a)^T
            norm = torch.linalg.vector_norm(v, dim=2)  # (B, 1)
            u = v / torch.where(norm > 0, norm, one).unsqueeze(2)
            log_norm = log_norm + torch.log(norm[:, 0].to(torch.float64))
        if t % every == 0:
            _tick(progress, cancel, 0.5 + 0.5 * (steps - t) / steps)

    # dL/dx_t = W_xh^T a_t for every step in one batched product.
    gx = torch.linalg.vector_norm(torch.einsum("tbn,bnm->tbm", direction, w_xh), dim=2)
    log_gx = log_g + torch.log(gx.to(torch.float64))

    abs_h = hidden.abs()
    return {
        "h_norm": torch.linalg.vector_norm(hidden, dim=2),
        "h_mean_abs": abs_h.mean(dim=2),
        "saturation": (deriv.abs() < SATURATION_THRESHOLD).to(dtype).mean(dim=2),
        "mean_derivative": deriv.mean(dim=2),
        "log10_grad_h": log_g * LOG10_E,
        "log10_grad_x": log_gx * LOG10_E,
        "overflow_step": overflow_step,
    }


def _tick(progress, cancel, fraction: float) -> None:
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)))
