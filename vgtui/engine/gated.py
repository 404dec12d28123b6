"""LSTM, GRU and stacked recurrent layers: forward, hand-derived backward, log space.

The cells follow torch.nn exactly, so a state_dict from torch.nn.LSTM / GRU / RNN
drops straight in:

    LSTM  a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, split into blocks i, f, g, o
          i, f, o = sigmoid(.), g = tanh(.), c_t = f*c_{t-1} + i*g, h_t = o*tanh(c_t)
    GRU   blocks r, z, n of the input part (xr, xz, xn) and hidden part (hr, hz, hn)
          r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r*hn)
          h_t = (1 - z)*n + z*h_{t-1}
    RNN   h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Layer l > 1 reads the hidden states of layer l - 1 as its inputs. The loss is
L = sum(h_T) of the top layer, h_0 = c_0 = 0, exactly as for the vanilla engine.

Backward pass (derived by hand, per layer, from the top layer down). With dh the
total dL/dh_t of a layer (what comes back from step t+1 plus what the layer above
sends down at step t), for the LSTM:

    dc  = dc_carry + dh * o * (1 - tanh(c_t)^2)          (the total dL/dc_t)
    da  = [dc*g*i(1-i), dc*c_{t-1}*f(1-f), dc*i*(1-g^2), dh*tanh(c_t)*o(1-o)]
    dh_{t-1} (from this step) = W_hh^T da,  dc_carry for t-1 = dc * f,
    dL/d(input_t) = W_ih^T da

and for the GRU, with d_n = dh*(1-z)*(1-n^2):

    input side  [d_n*hn*r(1-r), dh*(h_{t-1}-n)*z(1-z), d_n]          -> W_ih^T
    hidden side [same r and z parts, d_n*r] -> W_hh^T, plus dh*z directly.

Every carried vector (dh and, for the LSTM, dc, renormalised together) is kept
relative to a running log scale, renormalised once per block of up to 16 steps (a
block that would leave the safe range of the float type is redone step by step),
so magnitudes of 1e-3000 stay exact. Each layer keeps its own log scale; where two
contributions meet, the smaller is rescaled to the larger. The gate factors of a
block's steps are formed together, so a step costs one product and a few in-place
multiply-adds: a 2-layer LSTM over 10,000 steps takes about 2 s (it took 13 s when
every step renormalised and formed its own factors).

Batched over configurations sharing (arch, layers, n, T, m, device, dtype): one
Python loop over time per layer, batch dimensions in the tensors.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import budget, definitions
from .budget import Estimate, FLOPS_PER_S, STEP_OVERHEAD_S, spectral_seconds
from .cells import ActivationPlan
from .config import RNNConfig, same_shape_key
from .device import dtype_name, on_engine_threads, resolve_device, resolve_dtype
from .errors import ConfigError
from .flow import SATURATION_THRESHOLD, fitted_factor, horizons, run_flow, verdict_for
from .gated_loops import backward_layer, forward_layer
from .magnitude import LOG10_E, LogMagnitude, from_log10, json_floats
from .recurrence import RNNWeights, progress_tick
from .stack_weights import (BLOCK_NAMES, CANDIDATE_BLOCK, GATE_COUNT, StackWeights,
                            build_stack_weights)
from .sums import exact_cumsum_torch

GATE_MEANS = {"rnn": {}, "lstm": {"input": 0, "forget": 1, "output": 3},
              "gru": {"reset": 0, "update": 1}}


# The total dL/dc_t and the cell-only path "part" where they are this many decades apart.
PARTING_LOG10 = 0.1
def _largest_gap(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]))) if ok.any() else math.nan


# -- results ------------------------------------------------------------------------
@dataclass
class LayerTrace:
    """One layer's measurements. Arrays have length T; index k is step k+1."""

    index: int  # 1-based, 1 is the layer that reads the inputs
    arch: str
    log10_grad_h: np.ndarray
    log10_grad_c: np.ndarray | None
    h_norm: np.ndarray
    h_mean_abs: np.ndarray
    saturation: np.ndarray
    mean_derivative: np.ndarray
    gates: dict
    log10_cell_path: np.ndarray | None
    log10_forget_product: np.ndarray | None
    spectral_radius: dict
    spectral_norm: dict
    factor: float
    vanishing_horizon: int | None
    exploding_horizon: int | None
    verdict: str

    @property
    def log10_h_norm(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(self.h_norm)

    @property
    def log10_h_mean_abs(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(self.h_mean_abs)

    @property
    def cell_path_factor(self) -> float:
        """Per-step factor fitted to the cell path (the geometric-mean forget gate)."""
        if self.log10_cell_path is None:
            return math.nan
        return fitted_factor(self.log10_cell_path)

    @property
    def h_route_gap(self) -> float:
        """Largest |log10| difference between the total dL/dc_t and the cell-only path
        (dL/dc_T carried back with h held fixed): what the route through h adds or
        cancels. 0 only when no gradient reaches c_t through h."""
        if self.log10_cell_path is None:
            return math.nan
        return _largest_gap(self.log10_grad_c, self.log10_cell_path)

    @property
    def forget_product_gap(self) -> float:
        """Largest |log10| difference between the total dL/dc_t relative to dL/dc_T and
        the product of forget gates from t+1 to T (RMS over units): how far the
        articles' "the cell gradient is the product of forget gates" is off here."""
        if self.log10_cell_path is None:
            return math.nan
        return _largest_gap(self.log10_grad_c - self.log10_grad_c[-1], self.log10_forget_product)

    @property
    def parting_step(self) -> int | None:
        """The latest step t (from 1) where the total dL/dc_t and the cell-only path are
        more than PARTING_LOG10 decades apart: going back from T, where they part."""
        if self.log10_cell_path is None:
            return None
        with np.errstate(invalid="ignore"):
            apart = np.abs(self.log10_grad_c - self.log10_cell_path) > PARTING_LOG10
        hits = np.nonzero(apart)[0]
        return int(hits[-1]) + 1 if hits.size else None

    def to_dict(self) -> dict:
        out = {
            "layer": self.index,
            "grad_h": [LogMagnitude(v) for v in self.log10_grad_h],
            "log10_grad_h": json_floats(self.log10_grad_h),
        }
        if self.log10_grad_c is not None:
            out["grad_c"] = [LogMagnitude(v) for v in self.log10_grad_c]
            out["log10_grad_c"] = json_floats(self.log10_grad_c)
            out["cell_path"] = [LogMagnitude(v) for v in self.log10_cell_path]
            out["log10_cell_path"] = json_floats(self.log10_cell_path)
            out["forget_product"] = [LogMagnitude(v) for v in self.log10_forget_product]
            out["log10_forget_product"] = json_floats(self.log10_forget_product)
            out["cell_path_factor"] = self.cell_path_factor
            out["total_vs_cell_path_gap_log10"] = self.h_route_gap
            out["total_vs_forget_product_gap_log10"] = self.forget_product_gap
            out["parting_step"] = self.parting_step
        out.update({
            "gates": {k: json_floats(v) for k, v in self.gates.items()},
            "h_norm": [LogMagnitude(v) for v in self.log10_h_norm],
            "log10_h_norm": json_floats(self.log10_h_norm),
            "saturation": json_floats(self.saturation),
            "mean_derivative": json_floats(self.mean_derivative),
            "spectral_radius": dict(self.spectral_radius),
            "spectral_norm": dict(self.spectral_norm),
            "factor": self.factor,
            "vanishing_horizon": self.vanishing_horizon,
            "exploding_horizon": self.exploding_horizon,
            "verdict": self.verdict,
        })
        return out


@dataclass
class StackRun:
    """A stack's measurements. Whole-run figures (grad_h, factor, horizons, verdict,
    h_norm, saturation) are those of the top layer, the one the loss reads;
    ``layers`` holds every layer. Spectral figures are of the top layer's candidate
    block of W_hh (the whole W_hh for a vanilla cell)."""

    config: RNNConfig
    source: str
    arch: str
    layers: list
    log10_grad_x: np.ndarray
    forward_overflow_step: int | None
    device: str
    dtype: str
    seconds: float

    @property
    def top(self) -> LayerTrace:
        return self.layers[-1]

    @property
    def steps(self) -> int:
        return int(self.log10_grad_x.shape[0])

    def __getattr__(self, name):  # top-layer figures under the vanilla run's names
        if name in ("log10_grad_h", "log10_grad_c", "h_norm", "h_mean_abs", "log10_h_norm",
                    "log10_h_mean_abs", "saturation",
                    "mean_derivative", "factor", "vanishing_horizon", "exploding_horizon",
                    "verdict", "gates", "log10_cell_path", "log10_forget_product"):
            return getattr(self.layers[-1], name)
        raise AttributeError(name)

    @property
    def spectral_block(self) -> str:
        return BLOCK_NAMES[self.arch][CANDIDATE_BLOCK[self.arch]]

    @property
    def spectral_radius(self) -> float:
        return self.top.spectral_radius[self.spectral_block]

    @property
    def spectral_norm(self) -> float:
        return self.top.spectral_norm[self.spectral_block]

    @property
    def grad_h(self) -> np.ndarray:
        return np.array([from_log10(v) for v in self.log10_grad_h])

    @property
    def grad_x(self) -> np.ndarray:
        return np.array([from_log10(v) for v in self.log10_grad_x])

    @property
    def log10_ratio(self) -> np.ndarray:
        return self.log10_grad_h - self.log10_grad_h[-1]

    @property
    def log10_step_factor(self) -> np.ndarray:
        out = np.full(self.steps, np.nan)
        with np.errstate(invalid="ignore"):
            out[:-1] = self.log10_grad_h[:-1] - self.log10_grad_h[1:]
        return out

    def to_dict(self, resolved: bool = True) -> dict:
        config = self.config.to_dict()
        if resolved:
            config["device"], config["dtype"] = self.device, self.dtype
        top = self.top
        out = {
            "config": config,
            "source": self.source,
            "arch": self.arch,
            "steps": self.steps,
            "grad_h": [LogMagnitude(v) for v in top.log10_grad_h],
            "log10_grad_h": json_floats(top.log10_grad_h),
            "grad_x": [LogMagnitude(v) for v in self.log10_grad_x],
            "log10_grad_x": json_floats(self.log10_grad_x),
            "log10_ratio": json_floats(self.log10_ratio),
        }
        if top.log10_grad_c is not None:
            out["grad_c"] = [LogMagnitude(v) for v in top.log10_grad_c]
            out["log10_grad_c"] = json_floats(top.log10_grad_c)
        out.update({
            "h_norm": [LogMagnitude(v) for v in top.log10_h_norm],
            "log10_h_norm": json_floats(top.log10_h_norm),
            "h_mean_abs": [LogMagnitude(v) for v in top.log10_h_mean_abs],
            "log10_h_mean_abs": json_floats(top.log10_h_mean_abs),
            "saturation": json_floats(top.saturation),
            "mean_derivative": json_floats(top.mean_derivative),
            "gates": {k: json_floats(v) for k, v in top.gates.items()},
            "spectral_radius": self.spectral_radius,
            "spectral_norm": self.spectral_norm,
            "spectral_of": f"W_hh block {self.spectral_block} of layer {top.index}",
            "factor": top.factor,
            "vanishing_horizon": top.vanishing_horizon,
            "exploding_horizon": top.exploding_horizon,
            "verdict": top.verdict,
            "forward_overflow_step": self.forward_overflow_step,
            "layers": [layer.to_dict() for layer in self.layers],
            "definitions": {**definitions.FLOW,
                            **(definitions.CELL if top.log10_grad_c is not None else {})},
        })
        return out


@dataclass
class StackBatch:
    runs: list = field(default_factory=list)
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, i: int) -> StackRun:
        return self.runs[i]

    def __iter__(self):
        return iter(self.runs)


# -- running ------------------------------------------------------------------------
def _check_stack_batch(configs: Sequence[RNNConfig], weights: StackWeights | None) -> None:
    if not configs:
        raise ConfigError("a batch needs at least one configuration")
    if len({same_shape_key(c) for c in configs}) > 1:
        raise ConfigError("configurations in one batch must share cell, layers, hidden, steps, "
                          "input size, device and dtype")
    if weights is not None:
        c = configs[0]
        if weights.arch != c.arch or weights.layers != c.layers or weights.batch != len(configs):
            raise ConfigError("weights and configurations differ in cell, layers or batch size")


def stack_estimate(config: RNNConfig, batch: int = 1):
    """Memory and time of one stack run (forward + backward), for the resource guard.

    Per step, row and layer it keeps h_t, the gate activations (G n), f'(z), the
    pre-activation gradient (G n) and for the LSTM c_t and log f_t (2 n more)."""
    gates = GATE_COUNT[config.arch]
    n, m, steps, layers = config.hidden, config.input_size, config.steps, config.layers
    itemsize = 4 if config.dtype == "float32" else 8
    per_layer = (2 * gates + 3) * n + (2 * n if config.arch == "lstm" else 0) + 4
    total = steps * batch * (layers * per_layer + 2 * m) * itemsize
    total += batch * layers * gates * n * (2 * n + m) * itemsize
    flops = 2 * steps * batch * layers * 2 * gates * n * (n + m)
    # STEP_OVERHEAD_S units per step, layer and pass, as the loops run since 2026-12-01
    # (a 2-layer LSTM over 10,000 steps: about 2 s; the old figures, 5, still said 6 s).
    ops_per_step = {"rnn": 1, "lstm": 2, "gru": 2}[config.arch]
    seconds = (2 * steps * layers * ops_per_step * STEP_OVERHEAD_S + flops / FLOPS_PER_S
               + spectral_seconds(n, batch * layers * gates))
    what = (f"{config.arch.upper()} x {layers}, T={steps}, n={n}"
            + (f", batch={batch}" if batch > 1 else ""))
    return Estimate(int(total), seconds, what)


@on_engine_threads
def run_stack_batch(configs: Sequence[RNNConfig], weights: StackWeights | None = None, *,
                    source: str = "random init",
                    progress: Callable[[float], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> StackBatch:
    """Forward and backward passes for every config of one shape in one computation."""
    import torch  # torch: loaded on first use

    configs = list(configs)
    _check_stack_batch(configs, weights)
    budget.check(stack_estimate(configs[0], len(configs)))
    device = resolve_device(configs[0].device)
    dtype = resolve_dtype(configs[0].dtype, device)
    started = time.perf_counter()
    if weights is None:
        weights = build_stack_weights(configs, device, dtype)
    else:
        weights = weights.to(device, dtype)
    with torch.no_grad():
        raw = _simulate_stack(configs, weights, device, dtype, progress, cancel)
        spectral = [_spectral(w, weights.arch) for w in weights.w_hh]
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started

    def np_(t):
        return t.to(torch.float64).cpu().numpy()

    arch = weights.arch
    runs = []
    for b, c in enumerate(configs):
        traces = []
        for layer, rec in enumerate(raw["layers"]):
            log10_gh = np_(rec["log_gh"][:, b]) * LOG10_E
            factor = fitted_factor(log10_gh)
            vanish, explode = horizons(log10_gh)
            is_lstm = arch == "lstm"
            rho, sigma = spectral[layer]
            traces.append(LayerTrace(
                index=layer + 1, arch=arch, log10_grad_h=log10_gh,
                log10_grad_c=np_(rec["log_gc"][:, b]) * LOG10_E if is_lstm else None,
                h_norm=np_(rec["h_norm"][:, b]), h_mean_abs=np_(rec["h_mean_abs"][:, b]),
                saturation=np_(rec["saturation"][:, b]),
                mean_derivative=np_(rec["mean_derivative"][:, b]),
                gates={k: np_(v[:, b]) for k, v in rec["gates"].items()},
                log10_cell_path=np_(rec["log_cell_path"][:, b]) * LOG10_E if is_lstm else None,
                log10_forget_product=(np_(rec["log_forget_product"][:, b]) * LOG10_E
                                      if is_lstm else None),
                spectral_radius={k: float(v[b]) for k, v in rho.items()},
                spectral_norm={k: float(v[b]) for k, v in sigma.items()},
                factor=factor, vanishing_horizon=vanish, exploding_horizon=explode,
                verdict=verdict_for(factor, vanish, explode)))
        overflow = int(raw["overflow_step"][b])
        runs.append(StackRun(config=c, source=source, arch=arch, layers=traces,
                             log10_grad_x=np_(raw["log_gx"][:, b]) * LOG10_E,
                             forward_overflow_step=overflow if overflow > 0 else None,
                             device=str(device), dtype=dtype_name(dtype), seconds=elapsed))
    return StackBatch(runs, elapsed)


def run_stack(config: RNNConfig, weights: StackWeights | None = None, **kwargs) -> StackRun:
    """A single configuration (a batch of one)."""
    return run_stack_batch([config], weights, **kwargs)[0]


def run_recurrent(config: RNNConfig, weights=None, **kwargs):
    """The right engine for a config: the vanilla one for a single vanilla layer
    (a FlowRun), the stack engine otherwise (a StackRun)."""
    if isinstance(weights, RNNWeights) or (
            weights is None and config.arch == "rnn" and config.layers == 1):
        return run_flow(config, weights, **kwargs)
    return run_stack(config, weights, **kwargs)


def _spectral(w_hh, arch: str):
    """Spectral radius and norm of each n x n block of W_hh, per batch row."""
    import torch  # torch: loaded on first use

    batch, rows, n = w_hh.shape
    blocks = w_hh.reshape(batch, rows // n, n, n).to(torch.float64)
    rho = torch.linalg.eigvals(blocks).abs().amax(dim=-1).cpu().numpy()
    sigma = torch.linalg.matrix_norm(blocks, ord=2).cpu().numpy()
    names = BLOCK_NAMES[arch]
    return ({k: rho[:, i] for i, k in enumerate(names)},
            {k: sigma[:, i] for i, k in enumerate(names)})


def _simulate_stack(configs, weights: StackWeights, device, dtype, progress, cancel) -> dict:
    """Every layer forward (bottom up), then every layer backward (top down)."""
    import torch  # torch: loaded on first use

    arch = weights.arch
    layers = weights.layers
    batch, steps, _ = weights.inputs.shape
    n = weights.hidden
    plan = None
    if arch == "rnn":
        plan = ActivationPlan([c.activation for c in configs], [c.leaky_slope for c in configs],
                              device, dtype)
    total = 2 * layers
    stored = []
    x = weights.inputs  # (B, T, m)
    overflow = torch.zeros(batch, dtype=torch.int64, device=device)
    for layer in range(layers):
        def tick(f, _l=layer):
            progress_tick(progress, cancel, (_l + f) / total)

        rec = forward_layer(arch, weights, layer, x, plan, tick)
        stored.append(rec)
        x = rec["hidden"].transpose(0, 1)  # (B, T, n): the next layer's inputs
        bad = ~torch.isfinite(rec["hidden"]).all(dim=2)  # (T, B)
        first = torch.where(bad.any(dim=0), bad.to(torch.int64).argmax(dim=0) + 1,
                            torch.zeros(batch, dtype=torch.int64, device=device))
        overflow = torch.where((overflow == 0) | ((first > 0) & (first < overflow)), first, overflow)

    # The loss sends ones into the top layer's h_T.
    above_dir = torch.zeros(steps, batch, n, dtype=dtype, device=device)
    above_dir[steps - 1] = 1.0 / math.sqrt(n)
    above_log = torch.full((steps, batch), -math.inf, dtype=torch.float64, device=device)
    above_log[steps - 1] = 0.5 * math.log(n)
    results = [None] * layers
    for layer in range(layers - 1, -1, -1):
        def tick(f, _l=layer):
            progress_tick(progress, cancel, (layers + (layers - 1 - _l) + f) / total)

        out = backward_layer(arch, weights, layer, stored[layer], above_dir, above_log, tick)
        above_dir, above_log = out.pop("dx_dir"), out.pop("dx_log")
        rec = stored[layer]
        hidden = rec["hidden"]
        deriv = rec["deriv"]
        out.update({
            "h_norm": torch.linalg.vector_norm(hidden, dim=2),
            "h_mean_abs": hidden.abs().mean(dim=2),
            "saturation": (deriv.abs() < SATURATION_THRESHOLD).to(dtype).mean(dim=2),
            "mean_derivative": deriv.mean(dim=2),
            "gates": {name: rec["acts"][:, :, k * n:(k + 1) * n].mean(dim=2)
                      for name, k in GATE_MEANS[arch].items()},
        })
        if arch == "lstm":
            after = forget_logs_after(rec["log_f"])
            out["log_forget_product"] = _forget_product(after)
            out["log_cell_path"] = cell_only_path(after, out.pop("dc_end_dir"),
                                                  out.pop("dc_end_log"))
        results[layer] = out
    return {"layers": results, "log_gx": above_log, "overflow_step": overflow}


def forget_logs_after(log_f):
    """after[t] = the sum of log f over steps t+1 .. T (0 at T), per unit: the log of the
    forget gates' product from each step to the end, by an exact reversed cumulative sum.
    Both the cell-only path and the forget-gate product are read from it."""
    import torch  # torch: loaded on first use

    after = torch.zeros_like(log_f)
    if log_f.shape[0] > 1:
        after[:-1] = exact_cumsum_torch(log_f[1:], 0, reverse=True)
    return after


def cell_only_path(after, end_dir, end_log):
    """log ||d(g_T . c_T)/dc_t|| per step for a cell stepped with h held fixed.

    With h_(t-1) and x_t held at the run's values every gate is a constant, so the cell
    is c_t = f_t * c_(t-1) + (a constant), and g_T = dL/dc_T (``end_dir`` times
    exp(``end_log``)) goes back one step by multiplying by f_t unit by unit: at step t
    it is g_T times the product of f over steps t+1 .. T (``after``, from
    ``forget_logs_after``), in log space, so products far below the float range stay
    exact. (The tests check it against torch autograd through such a cell.) It is the
    gradient the cell path alone would deliver; the total dL/dc_t adds what goes through
    h_t into the next step's gates and candidate.
    """
    import torch  # torch: loaded on first use

    weight = torch.log(end_dir.abs().to(torch.float64))  # (B, n); -inf for a zero entry
    return end_log.to(torch.float64) + 0.5 * torch.logsumexp(2.0 * (after + weight), dim=2)


def _forget_product(after):
    """log of the root-mean-square (over units) of prod_{k=t+1..T} f_k, per step, from
    ``forget_logs_after`` (the forget gates' logs are log-sigmoids, so never -inf)."""
    import torch  # torch: loaded on first use

    n = after.shape[2]
    return 0.5 * (torch.logsumexp(2.0 * after, dim=2) - math.log(n))
