"""Training experiments: can a recurrent network learn a dependency T steps long?

Three tasks put the information the loss needs at (or near) the first step:

* ``first``  regression: x_1 ~ N(0, 1), later inputs N(0, noise^2); predict x_1 at T.
* ``latch``  classification: a one-hot symbol at step 1, noise afterwards; name the
  symbol at T (Bengio et al.'s latch / first-symbol task).
* ``adding`` regression: each step carries a value U(0, 1) and a marker; two steps
  are marked (one in each half); predict the sum of the two marked values.

Each run trains a ``torch.nn.RNN`` (tanh), ``LSTM`` or ``GRU`` with a linear
readout on h_T, with SGD + momentum or Adam, optional norm clipping, an optional
LSTM forget-gate bias and optional truncated BPTT. Every batch is fresh; the
verdict comes from a held-out set the run never trains on.

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
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable, Sequence

import numpy as np

from .errors import ConfigError
from .errors import Cancelled

TASKS = ("first", "latch", "adding")
ARCHS = ("rnn", "lstm", "gru")
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "float64")

TASK_TITLES = {
    "first": "remember the first input (regression)",
    "latch": "latch: name the symbol seen at step 1 (classification)",
    "adding": "adding problem: sum the two marked values (regression)",
}
ARCH_TITLES = {"rnn": "vanilla tanh RNN", "lstm": "LSTM", "gru": "GRU"}

# SGD uses momentum 0.9, as in the 1990s experiments; learning rates when none is given.
MOMENTUM = 0.9
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}
# The verdict rule, on held-out data: learned below half the constant-prediction
# baseline, partly learned below 0.9 of it, otherwise not learned.
LEARNED_RATIO = 0.5
PARTIAL_RATIO = 0.9
VERDICT_MARKS = {"learned": "✓", "partial": "~", "not learned": "✗", "diverged": "!"}
# Work per step grows with the number of gate blocks each cell computes; used to
# weigh runs for the overall progress bar (and so its ETA).
GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}
MAX_RUNS = 2000
# Held-out loss is measured this many times during a run (plus at the start and end).
EVAL_POINTS = 10


# -- settings -------------------------------------------------------------------

@dataclass(frozen=True)
class ExperimentField:
    """How one experiment setting is parsed: a number, a choice, or a list of them."""

    name: str
    kind: type
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    many: bool = False          # a comma-separated list
    none_word: str = ""         # text meaning "not set" (off / auto / default)

    def describe_range(self) -> str:
        if self.choices:
            what = "one or more of " if self.many else "one of "
            text = what + ", ".join(self.choices) + (" (comma-separated)" if self.many else "")
        else:
            what = "an integer" if self.kind is int else "a number"
            if self.many:
                what = "integers" if self.kind is int else "numbers"
            text = f"{what} from {_num(self.low)} to {_num(self.high)}"
            if self.many:
                text += ", comma-separated"
        if self.none_word:
            text += f", or {self.none_word}"
        return text


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else repr(x)


EXPERIMENT_FIELDS: dict[str, ExperimentField] = {f.name: f for f in (
    ExperimentField("task", str, "task", "what the network must remember", choices=TASKS),
    ExperimentField("lengths", int, "lengths T", "sequence lengths to try", 2, 1000, many=True),
    ExperimentField("archs", str, "architectures", "recurrent cells to try", choices=ARCHS,
                    many=True),
    ExperimentField("optimizer", str, "optimizer", "sgd (momentum 0.9) or adam",
                    choices=OPTIMIZERS),
    ExperimentField("seeds", int, "seeds", "runs per length and architecture", 1, 50),
    ExperimentField("first_seed", int, "first seed", "seed of the first run", 0, 2**31 - 1),
    ExperimentField("train_steps", int, "training steps", "optimizer updates per run", 1,
                    100_000),
    ExperimentField("lr", float, "learning rate", "step size (auto: 0.1 sgd, 0.01 adam)",
                    1e-6, 10.0, none_word="auto"),
    ExperimentField("clip", float, "clip norm", "clip the gradient norm at this value",
                    1e-6, 1e6, none_word="off"),
    ExperimentField("forget_bias", float, "forget bias", "LSTM forget-gate bias at init "
                    "(default: torch's own init)", -20.0, 20.0, none_word="default"),
    ExperimentField("truncate", int, "truncate k", "backpropagate only k steps back from T",
                    1, 1000, none_word="off"),
    ExperimentField("hidden", int, "hidden size", "units in the recurrent state", 1, 512),
    ExperimentField("batch", int, "batch size", "fresh examples per update", 1, 4096),
    ExperimentField("noise", float, "noise", "std of the distractor inputs after step 1 "
                    "(first, latch)", 0.0, 100.0),
    ExperimentField("symbols", int, "symbols", "latch: how many symbols", 2, 32),
    ExperimentField("eval_size", int, "held-out size", "held-out examples for the verdict",
                    16, 16_384),
    ExperimentField("device", str, "device", "where torch computes", choices=DEVICES),
    ExperimentField("dtype", str, "dtype", "floating point precision", choices=DTYPES),
)}

_NONE_WORDS = {"", "none", "off", "auto", "default", "no", "-"}


def _short(raw: Any) -> str:
    text = repr(raw) if isinstance(raw, str) else str(raw)
    return text if len(text) <= 24 else text[:21] + "..."


def _parse_one(spec: ExperimentField, raw: Any) -> Any:
    if spec.choices:
        value = str(raw).strip().lower() if raw is not None else ""
        if value not in spec.choices:
            raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {_short(raw)})",
                              spec.name)
        return value
    if isinstance(raw, bool):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {raw})", spec.name)
    try:
        number = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {_short(raw)})",
                          spec.name) from None
    if not math.isfinite(number):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {_short(raw)})",
                          spec.name)
    if spec.kind is int:
        if not number.is_integer():
            raise ConfigError(f"{spec.label} must be {spec.describe_range()}, whole numbers "
                              f"(got {_short(raw)})" if spec.many else
                              f"{spec.label} must be {spec.describe_range()}, a whole number "
                              f"(got {_short(raw)})", spec.name)
        number = int(number)
    if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {_short(raw)})",
                          spec.name)
    return number


def parse_experiment_field(name: str, text: Any) -> Any:
    """User text (or a value) -> a checked value; ConfigError names the setting."""
    spec = EXPERIMENT_FIELDS[name]
    if spec.none_word and (text is None or (isinstance(text, str)
                                            and text.strip().lower() in _NONE_WORDS)):
        return None
    if spec.many:
        if isinstance(text, str):
            parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        elif isinstance(text, (list, tuple)):
            parts = list(text)
        else:
            parts = [text]
        if not parts:
            raise ConfigError(f"{spec.label} is empty: enter {spec.describe_range()}", name)
        values = []
        for part in parts:
            value = _parse_one(spec, part)
            if value not in values:  # a repeated entry would only repeat a run
                values.append(value)
        return tuple(values)
    if text is None or (isinstance(text, str) and not text.strip()):
        raise ConfigError(f"{spec.label} is empty: enter {spec.describe_range()}", name)
    return _parse_one(spec, text)


@dataclass(frozen=True)
class ExperimentConfig:
    """What to train: task x lengths x architectures x seeds, and how."""

    task: str = "latch"
    lengths: tuple[int, ...] = (5, 10, 20, 50, 100)
    archs: tuple[str, ...] = ("rnn", "lstm", "gru")
    optimizer: str = "sgd"
    seeds: int = 3
    first_seed: int = 0
    train_steps: int = 300
    lr: float | None = None
    clip: float | None = None
    forget_bias: float | None = None
    truncate: int | None = None
    hidden: int = 16
    batch: int = 32
    noise: float = 0.2
    symbols: int = 2
    eval_size: int = 256
    device: str = "auto"
    dtype: str = "auto"

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, parse_experiment_field(f.name, getattr(self, f.name)))
        if self.runs > MAX_RUNS:
            raise ConfigError(f"{self.runs} runs is too many (at most {MAX_RUNS}): use fewer "
                              "lengths, architectures or seeds", "seeds")

    @property
    def runs(self) -> int:
        return len(self.lengths) * len(self.archs) * self.seeds

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def replace(self, **changes: Any) -> "ExperimentConfig":
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lengths"] = list(self.lengths)
        d["archs"] = list(self.archs)
        d["learning_rate"] = self.learning_rate
        d["momentum"] = MOMENTUM if self.optimizer == "sgd" else None
        return d

    def plan(self) -> list["RunSpec"]:
        """Every run, seeds outermost: a cancelled experiment has whole sweeps done."""
        out = []
        for seed in self.seed_list:
            for arch in self.archs:
                for length in self.lengths:
                    out.append(RunSpec(len(out), arch, length, seed))
        return out

    def work(self, spec: "RunSpec") -> float:
        return float(self.train_steps * spec.length * GATE_BLOCKS[spec.arch])


@dataclass(frozen=True)
class RunSpec:
    index: int
    arch: str
    length: int
    seed: int

    @property
    def label(self) -> str:
        return f"{self.arch} T={self.length} seed {self.seed}"


@dataclass(frozen=True)
class ExperimentPreset:
    name: str
    title: str
    note: str
    changes: dict[str, Any] = field(default_factory=dict)
    # Figures an article prints for this set-up: {T: final loss}, shown beside the measured.
    claims: dict[int, float] = field(default_factory=dict)
    claim_source: str = ""

    def config(self, base: ExperimentConfig | None = None) -> ExperimentConfig:
        keep = {k: getattr(base, k) for k in ("device", "dtype")} if base else {}
        return ExperimentConfig(**{**keep, **self.changes})


EXPERIMENT_PRESETS: dict[str, ExperimentPreset] = {p.name: p for p in (
    ExperimentPreset(
        "default", "latch, SGD, T = 5..100 (about a minute)",
        "The 1990s set-up: SGD with momentum 0.9, lr 0.1, 300 updates of 32 fresh "
        "examples, 16 units, noise 0.2 after the symbol. Chosen so that a vanilla RNN "
        "learns at T = 5 and stays at chance at T = 100.", {}),
    ExperimentPreset(
        "adam-clip", "latch, Adam + clipping at 1",
        "Same task with Adam (lr 0.01) and the gradient norm clipped at 1. Adam's step "
        "does not shrink with the gradient, which changes what a vanilla RNN can reach.",
        {"optimizer": "adam", "clip": 1.0}),
    ExperimentPreset(
        "forget-bias", "LSTM with forget bias 0 vs 3 (SGD)",
        "torch starts the LSTM forget gate near sigmoid(0) = 0.5. Run this, then set the "
        "forget bias to 0 and compare.",
        {"archs": ("lstm",), "forget_bias": 3.0, "lengths": (5, 10, 20, 50, 100)}),
    ExperimentPreset(
        "truncated", "truncated BPTT, k = 8",
        "Backpropagate only 8 steps back from T: lengths up to 8 can be learned, longer "
        "ones cannot, because the gradient beyond k is exactly zero.",
        {"archs": ("rnn", "gru"), "lengths": (5, 8, 10, 20), "truncate": 8, "seeds": 2}),
    ExperimentPreset(
        "article-first", "remember the first input, Adam, no noise (article 000's test)",
        "Close to article 000's code: a 32-unit tanh RNN, Adam lr 0.01, 500 updates of "
        "100 examples, inputs zero after step 1. The article prints final losses of "
        "0.02, 0.15, 0.85, 1.00 and 1.00 for T = 5, 10, 20, 50, 100; here they are "
        "measured (on fresh and held-out data, not one fixed set of 100).",
        {"task": "first", "archs": ("rnn",), "optimizer": "adam", "hidden": 32, "batch": 100,
         "train_steps": 500, "noise": 0.0, "seeds": 2},
        claims={5: 0.02, 10: 0.15, 20: 0.85, 50: 1.00, 100: 1.00},
        claim_source="article 000"),
    ExperimentPreset(
        "adding", "adding problem, Adam + clipping",
        "Two marked values among T uniform ones; the baseline (always guess 1) has mean "
        "squared error 1/6.",
        {"task": "adding", "optimizer": "adam", "clip": 1.0, "lengths": (5, 10, 20, 50),
         "seeds": 2, "train_steps": 400}),
    ExperimentPreset(
        "quick", "quick check (seconds)",
        "Two lengths, two cells, one seed, 40 updates: enough to see the machinery work, "
        "not enough to learn much.",
        {"lengths": (5, 20), "archs": ("rnn", "lstm"), "seeds": 1, "train_steps": 40,
         "hidden": 8, "batch": 16, "eval_size": 64}),
)}


def matching_preset(config: ExperimentConfig) -> ExperimentPreset | None:
    """The preset this config is (device and dtype aside), if any."""
    for p in EXPERIMENT_PRESETS.values():
        if p.config(config) == config:
            return p
    return None


def quick_config(base: ExperimentConfig | None = None, **given: Any) -> ExperimentConfig:
    """The --quick settings, with anything given explicitly taking precedence."""
    quick = EXPERIMENT_PRESETS["quick"].changes
    start = base.to_dict() if base else {}
    start = {k: v for k, v in start.items() if k in {f.name for f in fields(ExperimentConfig)}}
    return ExperimentConfig(**{**start, **quick, **given})


# -- tasks ------------------------------------------------------------------------

def task_sizes(task: str, symbols: int = 2) -> tuple[int, int]:
    """(input features per step, outputs of the readout)."""
    if task == "first":
        return 1, 1
    if task == "latch":
        return symbols, symbols
    if task == "adding":
        return 2, 1
    raise ConfigError(f"unknown task {task!r}", "task")


def make_batch(task: str, length: int, size: int, generator, *, noise: float = 0.0,
               symbols: int = 2):
    """One batch (inputs (size, length, m) float64, targets) drawn from ``generator``."""
    import torch

    f64 = torch.float64
    if task == "first":
        x = noise * torch.randn(size, length, 1, generator=generator, dtype=f64)
        value = torch.randn(size, generator=generator, dtype=f64)
        x[:, 0, 0] = value
        return x, value
    if task == "latch":
        label = torch.randint(0, symbols, (size,), generator=generator)
        x = noise * torch.randn(size, length, symbols, generator=generator, dtype=f64)
        x[:, 0, :] = 0.0
        x[torch.arange(size), 0, label] = 1.0
        return x, label
    if task == "adding":
        values = torch.rand(size, length, generator=generator, dtype=f64)
        half = max(1, length // 2)
        first = torch.randint(0, half, (size,), generator=generator)
        second = torch.randint(half, length, (size,), generator=generator)
        marks = torch.zeros(size, length, dtype=f64)
        rows = torch.arange(size)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        target = values[rows, first] + values[rows, second]
        return torch.stack([values, marks], dim=2), target
    raise ConfigError(f"unknown task {task!r}", "task")


def is_classification(task: str) -> bool:
    return task == "latch"


def constant_baseline(task: str, targets) -> float:
    """Loss of the best constant prediction on these targets: their variance
    (regression, mean squared error) or the entropy of their class frequencies in
    nats (classification, cross-entropy)."""
    import torch

    if is_classification(task):
        counts = torch.bincount(targets.flatten()).to(torch.float64)
        p = counts[counts > 0] / counts.sum()
        return float(-(p * torch.log(p)).sum())
    y = targets.to(torch.float64)
    return float(((y - y.mean()) ** 2).mean())


def expected_baseline(task: str, symbols: int = 2) -> float:
    """The same baseline in the limit of infinite data, from the task's law:
    Var N(0, 1) = 1; ln K for K equally likely symbols; Var(U1 + U2) = 2/12."""
    if task == "first":
        return 1.0
    if task == "latch":
        return math.log(symbols)
    if task == "adding":
        return 2.0 / 12.0
    raise ConfigError(f"unknown task {task!r}", "task")


def chance_accuracy(task: str, targets) -> float | None:
    """Accuracy of always naming the most frequent class (classification only)."""
    import torch

    if not is_classification(task):
        return None
    counts = torch.bincount(targets.flatten())
    return float(counts.max()) / float(counts.sum())


def _generator(seed: int, length: int, stream: int):
    """Data streams per (seed, length): the same for every architecture, so
    the cells are compared on identical examples. stream 0 trains, 1 is held out."""
    import torch

    g = torch.Generator(device="cpu")
    g.manual_seed(((seed * 1_000_003 + length) * 4 + stream) % (2**63 - 1))
    return g


# -- models -------------------------------------------------------------------------

def build_model(arch: str, input_size: int, hidden: int, outputs: int, seed: int,
                forget_bias: float | None = None):
    """A torch.nn recurrent cell plus a linear readout, initialised from ``seed``
    (float64, CPU). The LSTM forget-gate bias, when given, is set in ``bias_ih``
    with ``bias_hh`` zeroed there, so the gate's total bias is exactly that value."""
    import torch

    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[arch]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cell = cls(input_size, hidden, batch_first=True, dtype=torch.float64)
        readout = torch.nn.Linear(hidden, outputs, dtype=torch.float64)
    if arch == "lstm" and forget_bias is not None:
        with torch.no_grad():  # gate order in torch's LSTM: input, forget, cell, output
            cell.bias_ih_l0[hidden:2 * hidden] = forget_bias
            cell.bias_hh_l0[hidden:2 * hidden] = 0.0
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
    import torch.nn.functional as F

    if is_classification(task):
        return F.cross_entropy(output, targets)
    return F.mse_loss(output[:, 0], targets)


def input_gradient_profile(task: str, model, x, y, truncate: int | None = None):
    """Mean over examples of ||d loss_b / d x_{b,t}|| for every step t, as float64
    numpy, and the mean loss. (The batch loss is a mean, so each example's own
    gradient is the batch gradient times the batch size.)"""
    import torch

    x = x.detach().clone().requires_grad_(True)
    loss = task_loss(task, forward(model, x, truncate), y)
    (grad,) = torch.autograd.grad(loss, x)
    per_example = grad.norm(dim=2) * x.shape[0]
    return per_example.mean(dim=0).detach().to("cpu", torch.float64).numpy(), float(loss.detach())


def evaluate(task: str, model, x, y, truncate: int | None = None) -> tuple[float, float | None]:
    """(held-out loss, accuracy or None)."""
    import torch

    with torch.no_grad():
        out = forward(model, x, truncate)
        loss = float(task_loss(task, out, y))
        acc = float((out.argmax(dim=1) == y).to(torch.float64).mean()) \
            if is_classification(task) else None
    return loss, acc


def spectral_radius(model, arch: str) -> float | None:
    """Largest |eigenvalue| of the vanilla RNN's W_hh (None for gated cells)."""
    import torch

    if arch != "rnn":
        return None
    w = model["cell"].weight_hh_l0.detach().to("cpu", torch.float64)
    return float(torch.linalg.eigvals(w).abs().max())


def keep_gate_at_rest(model, arch: str, hidden: int) -> float | None:
    """Mean over units of the gate that keeps the old state, at zero input and zero
    state: sigmoid(bias). LSTM: the forget gate f; GRU: the update gate z (torch's
    GRU keeps z * h_(t-1)). None for the vanilla RNN, which has no such gate."""
    import torch

    cell = model["cell"]
    if arch == "lstm":
        sl = slice(hidden, 2 * hidden)
    elif arch == "gru":
        sl = slice(hidden, 2 * hidden)  # gate order in torch's GRU: reset, update, new
    else:
        return None
    b = (cell.bias_ih_l0[sl] + cell.bias_hh_l0[sl]).detach().to("cpu", torch.float64)
    return float(torch.sigmoid(b).mean())


# -- results -------------------------------------------------------------------------

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


@dataclass
class ExperimentResult:
    config: ExperimentConfig
    runs: list[RunResult]
    planned: int
    cancelled: bool
    seconds: float
    device: str
    dtype: str

    def to_dict(self, curves: bool = True) -> dict[str, Any]:
        from .experiment_report import reading, summary_groups

        return {
            "config": self.config.to_dict(),
            "rule": "verdict " + verdict_rule_text(),
            "grad_step1_means": GRAD_STEP1_MEANING,
            "runs_planned": self.planned, "runs_done": len(self.runs),
            "cancelled": self.cancelled,
            "device": self.device, "dtype": self.dtype,
            "rows": [r.to_row(curves) for r in self.runs],
            "summary": [g.to_dict() for g in summary_groups(self.runs)],
            "reading": reading(self),
            # Wall-clock times differ from run to run by design: kept apart from the
            # results, so everything else repeats exactly for a seed.
            "timing": {"seconds": self.seconds, "run_seconds": [r.seconds for r in self.runs]},
        }


GRAD_STEP1_MEANING = ("grad_step1 is ||d loss / d x_1||: the gradient of one example's loss "
                      "with respect to its input at step 1, averaged over the held-out "
                      "examples; grad_step1_init is the same before training")


def verdict_rule_text() -> str:
    return (f"on held-out examples, ✓ learned if the loss is below {LEARNED_RATIO:g} x the "
            f"baseline (the loss of the best constant prediction), ~ partial if below "
            f"{PARTIAL_RATIO:g} x, ✗ not learned otherwise")


class ExperimentCancelled(Cancelled):
    """Raised when the cancel callback says stop; ``result`` holds the finished runs."""

    def __init__(self, result: ExperimentResult) -> None:
        super().__init__("cancelled")
        self.result = result


@dataclass(frozen=True)
class ExperimentProgress:
    run_index: int       # 0-based index of the run in progress
    runs: int
    step: int            # updates done in this run
    train_steps: int
    label: str
    work_done: float     # weighted by length and gate blocks, for the overall ETA
    work_total: float
    elapsed: float


# -- running ---------------------------------------------------------------------------

def one_thread():
    """Torch on one CPU thread while inside: the matrices here are small, and one
    thread makes every run repeat bit for bit (shared with the rest of the engine)."""
    from .device import engine_threads

    return engine_threads()


def train_run(config: ExperimentConfig, spec: RunSpec, *, device=None, dtype=None,
              cancel: Callable[[], bool] | None = None,
              on_step: Callable[[int], None] | None = None) -> RunResult:
    """Train one network and measure it. ``on_step(k)`` after update k (1-based)."""
    import torch

    from .device import dtype_name, resolve_device, resolve_dtype

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

    x_eval, y_eval = make_batch(task, T, config.eval_size, _generator(spec.seed, T, 1),
                                noise=config.noise, symbols=config.symbols)
    baseline = constant_baseline(task, y_eval)
    chance = chance_accuracy(task, y_eval)
    x_eval, y_eval = to_device(x_eval, y_eval)
    train_gen = _generator(spec.seed, T, 0)

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
        forget_bias=config.forget_bias if spec.arch == "lstm" else None,
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
    from .budget import FLOPS_PER_S, STEP_OVERHEAD_S, Estimate

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


def experiment_estimate(config: ExperimentConfig, runs: Sequence[RunSpec] | None = None,
                        itemsize: int = 8):
    """The whole experiment: the largest run's memory, the sum of the runs' times."""
    from .budget import Estimate

    plan = list(runs) if runs is not None else config.plan()
    total = Estimate(0, 0.0, "")
    for spec in plan:
        total = total + run_estimate(config, spec.arch, spec.length, itemsize)
    return total.named(f"{len(plan)} training runs of {config.train_steps} updates x "
                       f"{config.batch} (n={config.hidden}, T up to "
                       f"{max((s.length for s in plan), default=0)})", "train_steps",
                       "use fewer lengths, architectures, seeds or training steps, shorter "
                       "sequences, a smaller batch or hidden size")


def run_experiment(config: ExperimentConfig, *,
                   progress: Callable[[ExperimentProgress], None] | None = None,
                   cancel: Callable[[], bool] | None = None,
                   on_run: Callable[[RunResult], None] | None = None,
                   progress_interval: float = 0.1,
                   runs: Sequence[RunSpec] | None = None) -> ExperimentResult:
    """Every run of the plan, one after another; each run is a batched training loop.

    ``progress`` is called at the start and end of each run and at most every
    ``progress_interval`` seconds in between; ``on_run`` with each finished run;
    when ``cancel()`` turns true the run in progress stops within one update and
    ExperimentCancelled is raised carrying the finished runs.

    Torch computes on one CPU thread here: the matrices are small, and one thread
    makes every run repeat bit for bit for a seed.
    """
    from .device import dtype_name, resolve_device, resolve_dtype

    from . import budget

    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    plan = list(runs) if runs is not None else config.plan()
    budget.check(experiment_estimate(config, plan, dtype.itemsize))
    total = sum(config.work(s) for s in plan) or 1.0
    finished: list[RunResult] = []
    start = time.perf_counter()

    def result(cancelled: bool) -> ExperimentResult:
        return ExperimentResult(config, list(finished), len(plan), cancelled,
                                time.perf_counter() - start, str(device), dtype_name(dtype))

    with one_thread():
        done_work = 0.0
        for i, spec in enumerate(plan):
            last = [0.0]

            def report(step: int, spec=spec, i=i, base=done_work, force: bool = False) -> None:
                if progress is None:
                    return
                now = time.perf_counter()
                if not force and now - last[0] < progress_interval and step < config.train_steps:
                    return
                last[0] = now
                work = base + config.work(spec) * step / config.train_steps
                progress(ExperimentProgress(i, len(plan), step, config.train_steps, spec.label,
                                            work, total, now - start))

            report(0, force=True)
            try:
                run = train_run(config, spec, device=device, dtype=dtype, cancel=cancel,
                                on_step=report)
            except Cancelled:
                raise ExperimentCancelled(result(True)) from None
            finished.append(run)
            done_work += config.work(spec)
            if on_run is not None:
                on_run(run)
        return result(False)


def truncation_probe(config: ExperimentConfig, truncate: int | None = None,
                     arch: str | None = None, length: int | None = None,
                     seed: int | None = None) -> "TruncationProbe":
    """Gradient profiles ||dl/dx_t|| at initialisation with full and with truncated
    BPTT (window ``truncate``, else the config's) on one held-out batch, no
    training. Quick, so the screen can show the exact zeros before any training."""
    from .device import dtype_name, resolve_device, resolve_dtype

    arch = arch or config.archs[0]
    length = length or max(config.lengths)
    seed = config.first_seed if seed is None else seed
    k = truncate if truncate is not None else config.truncate
    if k is None:
        raise ConfigError("truncation probe needs a window k", "truncate")
    from . import budget

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
                      _generator(seed, length, 1), noise=config.noise, symbols=config.symbols)
    x = x.to(device=device, dtype=dtype)
    y = y.to(device=device) if is_classification(config.task) else y.to(device=device, dtype=dtype)
    with one_thread():
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


# -- the matching command line ------------------------------------------------------------

# setting -> flag of ``vgtui train`` where they differ from --setting-name
EXPERIMENT_FLAGS = {"archs": "--arch", "train_steps": "--steps"}
FLAG_ORDER = ["task", "lengths", "archs", "optimizer", "seeds", "first_seed", "train_steps",
              "lr", "clip", "forget_bias", "truncate", "hidden", "batch", "noise", "symbols",
              "eval_size", "device", "dtype"]


def flag_for(name: str) -> str:
    return EXPERIMENT_FLAGS.get(name, "--" + name.replace("_", "-"))


def command_line(config: ExperimentConfig) -> str:
    """The ``vgtui train`` command that runs this config: settings that differ from
    the defaults, plus task, lengths, arch, optimizer and seeds always."""
    d = ExperimentConfig()
    always = ("task", "lengths", "archs", "optimizer", "seeds")
    parts = ["vgtui train"]
    for name in FLAG_ORDER:
        value = getattr(config, name)
        if value == getattr(d, name) and name not in always:
            continue
        if isinstance(value, tuple):
            text = ",".join(str(v) for v in value)
        elif value is None:
            text = EXPERIMENT_FIELDS[name].none_word
        else:
            text = str(value)
        parts.append(f"{flag_for(name)} {text}")
    return " ".join(parts)
