"""One network trained on one task, and measured.

A ``torch.nn.RNN`` (tanh), ``LSTM`` or ``GRU`` with a linear readout on h_T, trained
with SGD + momentum or Adam, optional norm clipping, an optional LSTM forget-gate
bias and optional truncated BPTT, on fresh batches; the verdict comes from a
held-out set the run never trains on.

The gradient "reaching step 1" is ``||dl/dx_1||``: the norm of the gradient of an
example's loss with respect to its input at step 1, averaged over held-out
examples. It is the same quantity for every architecture, it is what must be
non-zero for the weights reading step 1 to learn, and under truncation it is
exactly zero once step 1 lies outside the window.

Nothing here imports torch at module level.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import budget
from .budget import Estimate, FLOPS_PER_S, STEP_OVERHEAD_S
from .device import dtype_name, engine_threads, resolve_device, resolve_dtype
from .errors import Cancelled, ConfigError
from .experiment_config import (ExperimentConfig, GATE_BLOCKS, LEARNED_RATIO, MOMENTUM,
                                PARTIAL_RATIO, RunSpec)
from .seeding import global_seed
from .stack_weights import KEEP_BLOCK
from .tasks import (chance_accuracy, constant_baseline, expected_baseline, is_classification,
                    make_batch, task_sizes, task_stream)

# Held-out loss is measured this many times during a run (plus at the start and end).
EVAL_POINTS = 10


def build_model(arch: str, input_size: int, hidden: int, outputs: int, seed: int,
                forget_bias: float | None = None):
    """A torch.nn recurrent cell plus a linear readout, initialised from ``seed``
    (float64, CPU). ``forget_bias``, when given, is the bias of the gate that keeps the
    old state (the LSTM forget gate, the GRU update gate z, as everywhere in vgtui): set
    in ``bias_ih`` with ``bias_hh`` zeroed there, so the gate's total bias is exactly
    that value."""
    import torch  # torch: loaded on first use

    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[arch]
    with global_seed(seed):
        cell = cls(input_size, hidden, batch_first=True, dtype=torch.float64)
        readout = torch.nn.Linear(hidden, outputs, dtype=torch.float64)
    if arch in KEEP_BLOCK and forget_bias is not None:
        keep = slice(KEEP_BLOCK[arch] * hidden, (KEEP_BLOCK[arch] + 1) * hidden)
        with torch.no_grad():  # torch's gate order: LSTM i, f, g, o; GRU r, z, n
            cell.bias_ih_l0[keep] = forget_bias
            cell.bias_hh_l0[keep] = 0.0
    return torch.nn.ModuleDict({"cell": cell, "readout": readout})


def _detach(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def chunk_bounds(length: int, truncate: int | None) -> list[int]:
    """Where the hidden state is cut: chunks of ``truncate`` steps counted back
    from T, so the loss at T reaches exactly the last ``truncate`` inputs."""
    if truncate is None or truncate >= length:
        return [0, length]
    starts = list(range(length - truncate, 0, -truncate))[::-1]
    return [0, *starts, length]


def forward(model, x, truncate: int | None = None):
    """Readout at step T. With ``truncate`` the hidden state is detached at every
    chunk boundary (truncated BPTT)."""
    cell, readout = model["cell"], model["readout"]
    bounds = chunk_bounds(x.shape[1], truncate)
    state = None
    out = None
    for a, b in zip(bounds[:-1], bounds[1:]):
        if state is not None:
            state = _detach(state)
        out, state = cell(x[:, a:b], state)
    return readout(out[:, -1])


def task_loss(task: str, output, targets):
    import torch.nn.functional as F  # torch: loaded on first use

    if is_classification(task):
        return F.cross_entropy(output, targets)
    return F.mse_loss(output[:, 0], targets)


def input_gradient_profile(task: str, model, x, y, truncate: int | None = None):
    """Mean over examples of ||d loss_b / d x_{b,t}|| for every step t, as float64
    numpy, and the mean loss. (The batch loss is a mean, so each example's own
    gradient is the batch gradient times the batch size.)"""
    import torch  # torch: loaded on first use

    x = x.detach().clone().requires_grad_(True)
    loss = task_loss(task, forward(model, x, truncate), y)
    (grad,) = torch.autograd.grad(loss, x)
    per_example = grad.norm(dim=2) * x.shape[0]
    return per_example.mean(dim=0).detach().to("cpu", torch.float64).numpy(), float(loss.detach())


def evaluate(task: str, model, x, y, truncate: int | None = None) -> tuple[float, float | None]:
    """(held-out loss, accuracy or None)."""
    import torch  # torch: loaded on first use

    with torch.no_grad():
        out = forward(model, x, truncate)
        loss = float(task_loss(task, out, y))
        acc = float((out.argmax(dim=1) == y).to(torch.float64).mean()) \
            if is_classification(task) else None
    return loss, acc


def spectral_radius(model, arch: str) -> float | None:
    """Largest |eigenvalue| of the vanilla RNN's W_hh (None for gated cells)."""
    import torch  # torch: loaded on first use

    if arch != "rnn":
        return None
    w = model["cell"].weight_hh_l0.detach().to("cpu", torch.float64)
    return float(torch.linalg.eigvals(w).abs().max())


def keep_gate_at_rest(model, arch: str, hidden: int) -> float | None:
    """Mean over units of the gate that keeps the old state, at zero input and zero
    state: sigmoid(bias). LSTM: the forget gate f; GRU: the update gate z (torch's
    GRU keeps z * h_(t-1)). None for the vanilla RNN, which has no such gate."""
    import torch  # torch: loaded on first use

    cell = model["cell"]
    if arch == "lstm":
        sl = slice(hidden, 2 * hidden)
    elif arch == "gru":
        sl = slice(hidden, 2 * hidden)  # gate order in torch's GRU: reset, update, new
    else:
        return None
    b = (cell.bias_ih_l0[sl] + cell.bias_hh_l0[sl]).detach().to("cpu", torch.float64)
    return float(torch.sigmoid(b).mean())


@dataclass
class RunResult:
    """One trained network. Gradients are ||d loss / d x_t|| per held-out example."""

    task: str
    arch: str
    length: int
    seed: int
    index: int
    optimizer: str
    learning_rate: float
    clip: float | None
    forget_bias: float | None
    truncate: int | None
    train_steps: int
    final_loss: float
    initial_loss: float
    baseline: float
    baseline_expected: float
    accuracy: float | None
    chance: float | None
    verdict: str
    grad_profile_init: np.ndarray   # (T,) index k is step k+1, before training
    grad_profile: np.ndarray        # (T,) after training
    train_loss: np.ndarray          # (train_steps,) batch loss before each update
    train_grad_step1: np.ndarray    # (train_steps,) ||dl/dx_1|| on the training batch
    train_grad_stepT: np.ndarray
    param_grad_norm: np.ndarray     # (train_steps,) ||grad of all weights|| before clipping
    eval_steps: list[int]
    eval_loss: list[float]
    clipped_steps: int
    spectral_radius_init: float | None
    spectral_radius_final: float | None
    keep_gate_init: float | None
    keep_gate_final: float | None
    seconds: float
    device: str
    dtype: str

    @property
    def learned(self) -> bool:
        return self.verdict == "learned"

    @property
    def ratio(self) -> float:
        """Final held-out loss over the baseline (1 = no better than a constant)."""
        return self.final_loss / self.baseline if self.baseline > 0 else math.nan

    @property
    def grad_step1_init(self) -> float:
        return float(self.grad_profile_init[0])

    @property
    def grad_step1(self) -> float:
        return float(self.grad_profile[0])

    @property
    def grad_stepT_init(self) -> float:
        return float(self.grad_profile_init[-1])

    @property
    def grad_stepT(self) -> float:
        return float(self.grad_profile[-1])

    @property
    def log10_reach_init(self) -> float:
        """log10 of ||dl/dx_1|| / ||dl/dx_T|| before training: how much of the
        gradient at the last step reaches the first (scale-free)."""
        return _log10_ratio(self.grad_step1_init, self.grad_stepT_init)

    @property
    def log10_reach(self) -> float:
        return _log10_ratio(self.grad_step1, self.grad_stepT)

    @property
    def cut_steps(self) -> int:
        """Steps whose gradient truncation cuts off (0 without truncation)."""
        return 0 if self.truncate is None else max(0, self.length - self.truncate)

    @property
    def grad_beyond_window(self) -> float | None:
        """Largest ||dl/dx_t|| over steps outside the truncation window (None
        without truncation); exactly 0.0 when truncation works."""
        if self.cut_steps == 0:
            return None
        k = self.cut_steps
        return float(max(np.max(self.grad_profile_init[:k]), np.max(self.grad_profile[:k])))

    @property
    def underflow(self) -> bool:
        """Step 1 inside the BPTT window, yet its gradient is exactly 0 in float:
        the true value is below the dtype's range, not zero."""
        return self.cut_steps == 0 and (self.grad_step1 == 0.0 or self.grad_step1_init == 0.0)

    def label(self) -> str:
        return f"{self.arch} T={self.length} seed {self.seed}"

    def to_row(self, curves: bool = True) -> dict[str, Any]:
        row: dict[str, Any] = {
            "task": self.task, "arch": self.arch, "steps": self.length, "length": self.length,
            "seed": self.seed, "optimizer": self.optimizer,
            "learning_rate": self.learning_rate, "clip": self.clip,
            "forget_bias": self.forget_bias, "truncate": self.truncate,
            "train_steps": self.train_steps,
            "final_loss": self.final_loss, "baseline": self.baseline,
            "baseline_expected": self.baseline_expected, "loss_ratio": self.ratio,
            "initial_loss": self.initial_loss,
            "accuracy": self.accuracy, "chance": self.chance,
            "learned": self.learned, "verdict": self.verdict,
            "grad_step1": self.grad_step1, "grad_step1_init": self.grad_step1_init,
            "grad_stepT": self.grad_stepT, "grad_stepT_init": self.grad_stepT_init,
            "log10_reach": self.log10_reach, "log10_reach_init": self.log10_reach_init,
            "grad_beyond_window": self.grad_beyond_window,
            "underflow": self.underflow,
            "clipped_steps": self.clipped_steps,
            "spectral_radius_init": self.spectral_radius_init,
            "spectral_radius_final": self.spectral_radius_final,
            "keep_gate_init": self.keep_gate_init, "keep_gate_final": self.keep_gate_final,
            "device": self.device, "dtype": self.dtype,
        }
        if curves:
            row.update({
                "eval_steps": list(self.eval_steps), "eval_loss": list(self.eval_loss),
                "train_loss": self.train_loss.tolist(),
                "train_grad_step1": self.train_grad_step1.tolist(),
                "param_grad_norm": self.param_grad_norm.tolist(),
                "grad_profile_init": self.grad_profile_init.tolist(),
                "grad_profile": self.grad_profile.tolist(),
            })
        return row


def _log10_ratio(a: float, b: float) -> float:
    if b == 0.0 or not math.isfinite(a) or not math.isfinite(b):
        return math.nan
    if a == 0.0:
        return -math.inf
    return math.log10(a) - math.log10(b)


def verdict_for(final_loss: float, baseline: float) -> str:
    """The stated rule, on held-out data."""
    if not math.isfinite(final_loss):
        return "diverged"
    if final_loss < LEARNED_RATIO * baseline:
        return "learned"
    if final_loss < PARTIAL_RATIO * baseline:
        return "partial"
    return "not learned"


def train_run(config: ExperimentConfig, spec: RunSpec, *, device=None, dtype=None,
              cancel: Callable[[], bool] | None = None,
              on_step: Callable[[int], None] | None = None) -> RunResult:
    """Train one network and measure it. ``on_step(k)`` after update k (1-based)."""
    import torch  # torch: loaded on first use

    start = time.perf_counter()
    device = device if device is not None else resolve_device(config.device)
    dtype = dtype if dtype is not None else resolve_dtype(config.dtype, device)
    task, T = config.task, spec.length
    m, outputs = task_sizes(task, config.symbols)
    model = build_model(spec.arch, m, config.hidden, outputs, spec.seed,
                        config.forget_bias).to(device=device, dtype=dtype)
    params = list(model.parameters())
    if config.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=config.learning_rate, momentum=MOMENTUM)
    else:
        opt = torch.optim.Adam(params, lr=config.learning_rate)

    def to_device(x, y):
        x = x.to(device=device, dtype=dtype)
        y = y.to(device=device) if is_classification(task) else y.to(device=device, dtype=dtype)
        return x, y

    x_eval, y_eval = make_batch(task, T, config.eval_size, task_stream(spec.seed, T, 1),
                                noise=config.noise, symbols=config.symbols)
    baseline = constant_baseline(task, y_eval)
    chance = chance_accuracy(task, y_eval)
    x_eval, y_eval = to_device(x_eval, y_eval)
    train_gen = task_stream(spec.seed, T, 0)

    rho_init = spectral_radius(model, spec.arch)
    gate_init = keep_gate_at_rest(model, spec.arch, config.hidden)
    profile_init, initial_loss = input_gradient_profile(task, model, x_eval, y_eval, config.truncate)

    n = config.train_steps
    losses = torch.empty(n, dtype=torch.float64, device=device)
    g1 = torch.empty(n, dtype=torch.float64, device=device)
    gT = torch.empty(n, dtype=torch.float64, device=device)
    gnorm = torch.empty(n, dtype=torch.float64, device=device)
    eval_at = sorted({round(n * i / EVAL_POINTS) for i in range(1, EVAL_POINTS)} - {0, n})
    eval_steps, eval_loss = [0], [initial_loss]
    max_norm = config.clip if config.clip is not None else math.inf
    done = 0
    for step in range(n):
        if cancel is not None and cancel():
            raise Cancelled()
        x, y = make_batch(task, T, config.batch, train_gen, noise=config.noise,
                          symbols=config.symbols)
        x, y = to_device(x, y)
        x.requires_grad_(True)
        loss = task_loss(task, forward(model, x, config.truncate), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        opt.step()
        per_example = x.grad.norm(dim=2) * config.batch
        losses[step] = loss.detach()
        g1[step] = per_example[:, 0].mean()
        gT[step] = per_example[:, -1].mean()
        gnorm[step] = total.detach()
        done = step + 1
        if done in eval_at:
            eval_steps.append(done)
            eval_loss.append(evaluate(task, model, x_eval, y_eval, config.truncate)[0])
            if not math.isfinite(eval_loss[-1]):
                break  # diverged: further updates only compute nan
        if on_step is not None:
            on_step(done)

    final_loss, accuracy = evaluate(task, model, x_eval, y_eval, config.truncate)
    if eval_steps[-1] != done:
        eval_steps.append(done)
        eval_loss.append(final_loss)
    profile, _ = input_gradient_profile(task, model, x_eval, y_eval, config.truncate)
    gnorm_np = gnorm[:done].cpu().numpy()
    clipped = int(np.sum(gnorm_np > config.clip)) if config.clip is not None else 0
    return RunResult(
        task=task, arch=spec.arch, length=T, seed=spec.seed, index=spec.index,
        optimizer=config.optimizer, learning_rate=config.learning_rate, clip=config.clip,
        forget_bias=config.forget_bias if spec.arch in KEEP_BLOCK else None,
        truncate=config.truncate, train_steps=done, final_loss=final_loss,
        initial_loss=initial_loss, baseline=baseline,
        baseline_expected=expected_baseline(task, config.symbols), accuracy=accuracy,
        chance=chance, verdict=verdict_for(final_loss, baseline),
        grad_profile_init=profile_init, grad_profile=profile,
        train_loss=losses[:done].cpu().numpy(), train_grad_step1=g1[:done].cpu().numpy(),
        train_grad_stepT=gT[:done].cpu().numpy(), param_grad_norm=gnorm_np,
        eval_steps=eval_steps, eval_loss=eval_loss, clipped_steps=clipped,
        spectral_radius_init=rho_init, spectral_radius_final=spectral_radius(model, spec.arch),
        keep_gate_init=gate_init, keep_gate_final=keep_gate_at_rest(model, spec.arch, config.hidden),
        seconds=time.perf_counter() - start, device=str(device), dtype=dtype_name(dtype),
    )


# Fixed costs (optimistic) of one optimizer update (zero_grad, clipping, the step and the
# bookkeeping around them) and of one run (building the model, the held-out batch).
UPDATE_OVERHEAD_S = 1e-3
RUN_OVERHEAD_S = 10e-3


def run_estimate(config: ExperimentConfig, arch: str, length: int, itemsize: int = 8, *,
                 train_steps: int | None = None, eval_size: int | None = None,
                 profiles: int = 2):
    """Memory and time of one training run (the resource guard's estimate): every
    update runs the cell forward and back over ``length`` steps of ``batch`` examples
    (autograd keeps each step's gates), plus the held-out evaluations and the two
    input-gradient profiles on ``eval_size`` examples."""
    updates = config.train_steps if train_steps is None else train_steps
    held = config.eval_size if eval_size is None else eval_size
    g, n = GATE_BLOCKS[arch], config.hidden
    m, _ = task_sizes(config.task, config.symbols)
    cell = 2 * g * n * (n + m)  # flops per example and step, forward
    per_step = STEP_OVERHEAD_S * (0.5 if arch == "rnn" else 1.0)
    evals = (EVAL_POINTS + 1) if updates else 0
    seconds = (RUN_OVERHEAD_S + updates * (3 * length * config.batch * cell / FLOPS_PER_S
                                           + length * per_step + UPDATE_OVERHEAD_S)
               + evals * (length * held * cell / FLOPS_PER_S + length * per_step)
               + profiles * 3 * (length * held * cell / FLOPS_PER_S + length * per_step))
    kept = ((g + 3) * n + 2 * m) * itemsize * 2
    memory = length * max(config.batch if updates else 0, held) * kept
    return Estimate(int(memory), seconds, f"{arch.upper()} T={length}")


def truncation_probe(config: ExperimentConfig, truncate: int | None = None,
                     arch: str | None = None, length: int | None = None,
                     seed: int | None = None) -> "TruncationProbe":
    """Gradient profiles ||dl/dx_t|| at initialisation with full and with truncated
    BPTT (window ``truncate``, else the config's) on one held-out batch, no
    training. Quick, so the screen can show the exact zeros before any training."""
    arch = arch or config.archs[0]
    length = length or max(config.lengths)
    seed = config.first_seed if seed is None else seed
    k = truncate if truncate is not None else config.truncate
    if k is None:
        raise ConfigError("truncation probe needs a window k", "truncate")
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    budget.check(run_estimate(config, arch, length, dtype.itemsize, train_steps=0,
                              eval_size=min(config.eval_size, 256)).named(
        f"the truncation probe ({arch.upper()}, T={length}, n={config.hidden})", "hidden",
        "use shorter sequences or a smaller hidden size"))
    m, outputs = task_sizes(config.task, config.symbols)
    model = build_model(arch, m, config.hidden, outputs, seed, config.forget_bias)
    model = model.to(device=device, dtype=dtype)
    x, y = make_batch(config.task, length, min(config.eval_size, 256),
                      task_stream(seed, length, 1), noise=config.noise, symbols=config.symbols)
    x = x.to(device=device, dtype=dtype)
    y = y.to(device=device) if is_classification(config.task) else y.to(device=device, dtype=dtype)
    with engine_threads():
        full, _ = input_gradient_profile(config.task, model, x, y, None)
        cut, _ = input_gradient_profile(config.task, model, x, y, k)
    return TruncationProbe(arch, length, seed, k, full, cut, str(device), dtype_name(dtype))


@dataclass
class TruncationProbe:
    arch: str
    length: int
    seed: int
    truncate: int | None
    full: np.ndarray
    truncated: np.ndarray
    device: str = "cpu"
    dtype: str = "float64"

    @property
    def cut_steps(self) -> int:
        return 0 if self.truncate is None else max(0, self.length - self.truncate)

    @property
    def max_beyond(self) -> float | None:
        """Largest truncated gradient outside the window (exactly 0.0 expected)."""
        k = self.cut_steps
        return float(np.max(self.truncated[:k])) if k else None

    @property
    def inside_equal(self) -> bool:
        """Inside the window truncation changes nothing: the profiles agree."""
        k = self.cut_steps
        return bool(np.allclose(self.full[k:], self.truncated[k:], rtol=1e-9, atol=0.0))

    def to_dict(self) -> dict[str, Any]:
        return {"arch": self.arch, "length": self.length, "seed": self.seed,
                "truncate": self.truncate, "cut_steps": self.cut_steps,
                "max_beyond_window": self.max_beyond, "inside_window_equal": self.inside_equal,
                "full": self.full.tolist(), "truncated": self.truncated.tolist()}
