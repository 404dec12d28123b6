"""Six ways to carry a gradient back to the inputs, on one shared input sequence.

For each architecture the engine measures ||dL/dx_t|| for every input position t,
where L is the sum of the final output (the last hidden state for the
recurrences, the attention output at the last position, Re(c . h_T) for the
linear recurrence). Magnitudes are log10 throughout:

- vanilla RNN, LSTM, GRU: the stack engine (hand-derived backward, log space);
- residual RNN h_t = h_{t-1} + tanh(W h_{t-1} + U x_t): a hand-derived backward,
  g_{t-1} = g_t + W^T (f'_t * g_t), renormalised every step;
- one self-attention layer (torch.nn.MultiheadAttention, one head): torch
  autograd; only the last position's output is needed, so its query is the last
  input and the keys and values are all inputs;
- a diagonal complex linear recurrence h_t = lambda * h_{t-1} + B x_t with
  |lambda| = radius: the gradient is Re(sum_k c_k lambda_k^(T-t) B_k), and the
  common factor radius^(T-t) is kept as a logarithm.

Every architecture shares the inputs, W_hh-style weights (the candidate blocks of
LSTM and GRU and the residual branch use the vanilla W_hh) and W_xh.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import budget
from .budget import Estimate, FLOPS_PER_S, STEP_OVERHEAD_S
from .config import CompareConfig
from .device import dtype_name, on_engine_threads, resolve_device, resolve_dtype
from .errors import ConfigError
from .flow import fitted_factor, horizons, run_flow
from .gated import run_stack, stack_estimate
from .magnitude import LOG10_E, LogMagnitude, log10_ratio
from .recurrence import progress_tick, random_stream, recurrent_matrix
from .stack_weights import seeded_inputs
from .sums import exact_cumsum_torch

ARCHITECTURES = ("rnn", "lstm", "gru", "residual", "attention", "ssm")
TITLES = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU", "residual": "residual RNN",
          "attention": "self-attention", "ssm": "diagonal linear (SSM)"}
SHORT = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "residual": "residual",
         "attention": "attention", "ssm": "SSM"}
MARKERS = {"rnn": "R", "lstm": "L", "gru": "G", "residual": "+", "attention": "A", "ssm": "S"}

# The update each one computes, and how each carries the gradient, in short words
# (recurrence, the path back per step, parallel training). Path lengths come per run.
UPDATES = {
    "rnn": "h_t = tanh(W h_{t-1} + U x_t)",
    "lstm": "c_t = f*c_{t-1} + i*g,  h_t = o*tanh(c_t)",
    "gru": "h_t = (1-z)*n + z*h_{t-1}",
    "residual": "h_t = h_{t-1} + tanh(W h_{t-1} + U x_t)",
    "attention": "y = softmax(q_T k^T / sqrt(d)) v over all positions",
    "ssm": "h_t = λ*h_{t-1} + B x_t,  y = Re(c·h_T)",
}
TRAITS = {
    "rnn": ("nonlinear, full W", "× W^T diag(tanh') each step", "no"),
    "lstm": ("gated, additive cell", "× f per unit along the cell", "no"),
    "gru": ("gated blend", "× z per unit on the direct path", "no"),
    "residual": ("skip + branch", "× (I + W^T diag(tanh')) each step", "no"),
    "attention": ("none", "one hop from any position", "yes"),
    "ssm": ("linear, diagonal λ", "× λ per channel, |λ| = radius", "yes (scan)"),
}

@dataclass
class ArchTrace:
    key: str
    log10_grad: np.ndarray  # ||dL/dx_t||, index k is position k+1

    @property
    def title(self) -> str:
        return TITLES[self.key]

    @property
    def steps(self) -> int:
        return int(self.log10_grad.shape[0])

    @property
    def path_steps(self) -> int:
        """Recurrent steps between x_1 and the output (0 for attention)."""
        return 0 if self.key == "attention" else self.steps - 1

    @property
    def factor(self) -> float:
        return fitted_factor(self.log10_grad)

    @property
    def horizon(self) -> int | None:
        return horizons(self.log10_grad)[0]

    @property
    def exact_zeros(self) -> int:
        return int(np.sum(self.log10_grad == -math.inf))

    @property
    def log10_first_over_last(self) -> float:
        a, b = self.log10_grad[0], self.log10_grad[-1]
        if a == b and math.isfinite(a):
            return 0.0
        return log10_ratio(a, b)  # n/a when both are exactly 0

    def summary(self) -> dict:
        recurrence, path, parallel = TRAITS[self.key]
        return {
            "arch": self.key, "title": self.title, "update": UPDATES[self.key],
            "recurrence": recurrence, "gradient_path": path, "parallel_training": parallel,
            "path_steps": self.path_steps,
            "grad_first": LogMagnitude(self.log10_grad[0]),
            "log10_grad_first": float(self.log10_grad[0]),
            "grad_last": LogMagnitude(self.log10_grad[-1]),
            "log10_grad_last": float(self.log10_grad[-1]),
            "log10_first_over_last": self.log10_first_over_last,
            "factor": self.factor, "vanishing_horizon": self.horizon,
            "exact_zeros": self.exact_zeros,
        }


@dataclass
class CompareResult:
    config: CompareConfig
    traces: list = field(default_factory=list)
    device: str = "cpu"
    dtype: str = "float64"
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return self.config.steps

    def trace(self, key: str) -> ArchTrace:
        return next(t for t in self.traces if t.key == key)

    def rows(self) -> list[dict]:
        return [{"arch": t.key, "position": k + 1, "grad": LogMagnitude(v),
                 "log10_grad": None if math.isnan(v) else float(v)}
                for t in self.traces for k, v in enumerate(t.log10_grad)]

    def to_dict(self, resolved: bool = True) -> dict:
        config = self.config.to_dict()
        if resolved:
            config["device"], config["dtype"] = self.device, self.dtype
        return {
            "config": config,
            "loss": "sum of the final output; grad is ||dL/dx_t|| at input position t",
            "summary": [t.summary() for t in self.traces],
            "rows": self.rows(),
        }


@on_engine_threads
def run_compare(config: CompareConfig, *, progress: Callable[[float], None] | None = None,
                cancel: Callable[[], bool] | None = None,
                which: tuple[str, ...] = ARCHITECTURES) -> CompareResult:
    """||dL/dx_t|| for every position under each architecture, on one input sequence."""
    import torch  # torch: loaded on first use

    unknown = [w for w in which if w not in ARCHITECTURES]
    if unknown:
        raise ConfigError(f"unknown architecture {unknown[0]!r}; choose from "
                          f"{', '.join(ARCHITECTURES)}", "arch")
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    budget.check(compare_estimate(config, tuple(which)))
    started = time.perf_counter()
    traces = []
    parts = len(which)
    for done, key in enumerate(which):
        def part_progress(f, _d=done):
            if progress is not None:
                progress((_d + f) / parts)

        if key == "rnn":
            # The vanilla kernel gives the same ||dL/dx_t|| as the general stack loop (a
            # test compares) at a fraction of its per-step cost.
            log10 = run_flow(config.rnn_config(key), progress=part_progress,
                             cancel=cancel).log10_grad_x
        elif key in ("lstm", "gru"):
            # The stack loop, now quicker than torch's own cell with autograd in pieces
            # (which this used until 2026-12-01; the tests keep it as a reference).
            log10 = run_stack(config.rnn_config(key), progress=part_progress,
                              cancel=cancel).log10_grad_x
        elif key == "residual":
            log10 = _residual(config, device, dtype, part_progress, cancel)
        elif key == "attention":
            log10 = _attention(config, device, dtype)
        else:
            log10 = _linear_diagonal(config, device, dtype)
        traces.append(ArchTrace(key, np.asarray(log10, dtype=np.float64)))
        progress_tick(progress, cancel, (done + 1) / parts)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return CompareResult(config, traces, str(device), dtype_name(dtype),
                         time.perf_counter() - started)


def _shared(config: CompareConfig, device, dtype):
    """W (n, n), U (n, m) and x (T, m): the vanilla engine's draws for this seed."""
    import torch  # torch: loaded on first use

    rc = config.rnn_config("rnn")
    w = recurrent_matrix(rc)
    u = torch.randn(rc.hidden, rc.input_size, generator=random_stream(rc.seed, 1),
                    dtype=torch.float64) / math.sqrt(rc.input_size)
    x = seeded_inputs(rc)
    return (w.to(device=device, dtype=dtype), u.to(device=device, dtype=dtype),
            x.to(device=device, dtype=dtype))


def architecture_stream(seed: int, kind: int):
    """The random stream of the attention projections (kinds 0, 1) and of the linear
    recurrence's parameters (2 to 6), apart from the recurrent engines' streams."""
    import torch  # torch: loaded on first use

    g = torch.Generator(device="cpu")
    g.manual_seed(2 ** 44 + seed * 16 + kind)
    return g


def _residual(config: CompareConfig, device, dtype, progress, cancel) -> np.ndarray:
    """h_t = h_{t-1} + tanh(W h_{t-1} + U x_t), L = sum(h_T); log10 ||dL/dx_t||."""
    import torch  # torch: loaded on first use

    w, u, x = _shared(config, device, dtype)
    steps, n = config.steps, config.hidden
    f64 = torch.float64
    drive = x @ u.T  # (T, n)
    deriv = torch.empty(steps, n, dtype=dtype, device=device)
    h = torch.zeros(n, dtype=dtype, device=device)
    every = max(1, steps // 50)
    for t in range(steps):
        branch = torch.tanh(w @ h + drive[t])
        deriv[t] = 1.0 - branch * branch
        h = h + branch
        if t % every == 0:
            progress_tick(progress, cancel, 0.5 * t / steps)
    # Backward with g = dL/dh_t kept as a unit direction times exp(log_norm).
    g = torch.full((n,), 1.0 / math.sqrt(n), dtype=dtype, device=device)
    one = torch.ones((), dtype=dtype, device=device)
    pre = torch.empty(steps, n, dtype=dtype, device=device)
    # step_logs[t-1]: the log stretch of the step from t back to t-1; summed after the loop
    step_logs = torch.zeros(steps, dtype=f64, device=device)
    for t in range(steps - 1, -1, -1):
        a = deriv[t] * g
        pre[t] = a
        if t > 0:
            v = g + w.T @ a
            norm = torch.linalg.vector_norm(v)
            g = v / torch.where(norm > 0, norm, one)
            step_logs[t - 1] = torch.log(norm.to(f64))
        if t % every == 0:
            progress_tick(progress, cancel, 0.5 + 0.5 * (steps - t) / steps)
    # logs[t] = log ||g_t||: the start plus the stretches from T back to t, summed exactly
    logs = 0.5 * math.log(n) + torch.cat([exact_cumsum_torch(step_logs[:-1], 0, reverse=True),
                                          torch.zeros(1, dtype=f64, device=device)])
    gx = torch.linalg.vector_norm(pre @ u, dim=1).to(f64)
    return ((logs + torch.log(gx)) * LOG10_E).cpu().numpy()


def _attention(config: CompareConfig, device, dtype) -> np.ndarray:
    """One head of torch.nn.MultiheadAttention; the last position's output attends to
    all inputs (projected to d = hidden by the shared U). L = sum of that output."""
    import torch  # torch: loaded on first use

    _, u, x = _shared(config, device, dtype)
    d = config.hidden
    mha = torch.nn.MultiheadAttention(d, 1, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.randn(3 * d, d, generator=architecture_stream(config.seed, 0),
                                             dtype=torch.float64) / math.sqrt(d))
        mha.in_proj_bias.zero_()
        mha.out_proj.weight.copy_(torch.randn(d, d, generator=architecture_stream(config.seed, 1),
                                              dtype=torch.float64) / math.sqrt(d))
        mha.out_proj.bias.zero_()
    mha = mha.to(device=device, dtype=dtype)
    with torch.enable_grad():
        xs = x.clone().requires_grad_(True)
        e = (xs @ u.T).unsqueeze(0)  # (1, T, d)
        out, _ = mha(e[:, -1:, :], e, e, need_weights=False)
        out.sum().backward()
    norms = torch.linalg.vector_norm(xs.grad, dim=1).to(torch.float64)
    return (torch.log10(norms)).cpu().numpy()


def ssm_parameters(config: CompareConfig):
    """lambda (K,), B (K, m), c (K,) of the diagonal complex recurrence, float64/complex128
    on the CPU: |lambda_k| = radius, angles spread over (0, pi)."""
    import torch  # torch: loaded on first use

    k, m = config.hidden, config.input_size
    theta = math.pi * torch.rand(k, generator=architecture_stream(config.seed, 2), dtype=torch.float64)
    lam = torch.polar(torch.full((k,), config.radius, dtype=torch.float64), theta)
    b = torch.complex(torch.randn(k, m, generator=architecture_stream(config.seed, 3), dtype=torch.float64),
                      torch.randn(k, m, generator=architecture_stream(config.seed, 4), dtype=torch.float64))
    b = b / math.sqrt(2 * m)
    c = torch.complex(torch.randn(k, generator=architecture_stream(config.seed, 5), dtype=torch.float64),
                      torch.randn(k, generator=architecture_stream(config.seed, 6), dtype=torch.float64))
    c = c / math.sqrt(2 * k)
    return lam, b, c, theta


def _linear_diagonal(config: CompareConfig, device, dtype) -> np.ndarray:
    """dL/dx_t = Re(sum_k c_k lambda_k^(T-t) B_k) with L = Re(c . h_T): the common
    |lambda|^(T-t) = radius^(T-t) is added as a log, the rotation computed directly."""
    import torch  # torch: loaded on first use

    lam, b, c, theta = ssm_parameters(config)
    cdtype = torch.complex64 if dtype == torch.float32 else torch.complex128
    steps = config.steps
    back = torch.arange(steps - 1, -1, -1, dtype=torch.float64)  # T - t for t = 1..T
    phase = torch.polar(torch.ones(steps, lam.shape[0], dtype=torch.float64),
                        back[:, None] * theta[None, :])
    phase = phase.to(device=device, dtype=cdtype)
    cb = (c[:, None] * b).to(device=device, dtype=cdtype)
    v = torch.real(phase @ cb)  # (T, m)
    norms = torch.linalg.vector_norm(v, dim=1).to(torch.float64).cpu()
    if config.radius == 0:
        log_r = torch.where(back == 0, 0.0, -math.inf)
    else:
        log_r = back * math.log10(config.radius)
    return (log_r + torch.log10(norms)).numpy()


def compare_estimate(config: CompareConfig, which: tuple[str, ...] = ARCHITECTURES):
    """Memory and time of a comparison, for the resource guard (the largest part
    decides the memory; the times add up)."""
    n, m, steps = config.hidden, config.input_size, config.steps
    itemsize = 4 if config.dtype == "float32" else 8
    parts = []
    for key in which:
        if key in ("rnn", "lstm", "gru"):
            parts.append(stack_estimate(config.rnn_config(key)))
        elif key == "residual":
            parts.append(Estimate(steps * (4 * n + m) * itemsize,
                                  2 * steps * 4 * STEP_OVERHEAD_S + 4 * steps * n * n / FLOPS_PER_S,
                                  "residual"))
        elif key == "attention":
            parts.append(Estimate(steps * (8 * n + 2 * m) * itemsize * 3,
                                  0.01 + 12 * steps * n * n / FLOPS_PER_S, "attention"))
        else:
            parts.append(Estimate(steps * n * 16 * 3 + steps * m * 8,
                                  0.01 + 8 * steps * n * m / FLOPS_PER_S, "ssm"))
    return Estimate(max(p.bytes for p in parts), sum(p.seconds for p in parts),
                    f"the comparison at T={steps}, n={n}")
