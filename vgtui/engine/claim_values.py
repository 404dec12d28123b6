"""The engine computations the claims draw on, each done once per list.

The closed forms (the two-unit example, the LSTM toy, capacity) cost nothing; the
article's 4-unit script, torch's default RNN, random-matrix statistics and the
memory dimensions need torch (a second or two); the training claims need a run of
the Experiments preset that follows article 000 (``measure_training``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from . import closed_form as cf
from . import disk_cache
from .articles import ARTICLE_FIRST_LOSSES, ARTICLE_TOY, ARTICLE_TWO_UNIT
from .capacity import CapacityConfig, compute_capacity
from .config import RNNConfig
from .errors import Cancelled
from .experiments import run_experiment
from .flow import run_flow_batch
from .forget_gate import toy_carousel
from .jacobian import jacobian_products, matrix_powers
from .presets import preset_config
from .recurrence import RNNWeights, random_stream
from .seeding import global_seed
from .spectrum import init_matrix, spectrum_report


@dataclass(frozen=True)
class Computed:
    """One computed value; ``log10`` (of |value|) for magnitudes, ``note`` for figures
    computed beside it that the reader should see (also computed now). A statistic over
    random seeds also carries its sample size and a 95% confidence interval of the
    median (``interval``, and ``interval_log10`` for magnitudes)."""

    value: float | None
    log10: float | None = None
    note: str = ""
    samples: int | None = None
    interval: tuple[float, float] | None = None
    interval_log10: tuple[float, float] | None = None


CONFIDENCE = 0.95


def median_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(median, low, high): the sample median and a distribution-free confidence interval
    for the population median, from order statistics. The interval runs from the k-th
    smallest to the k-th largest value, k the largest count with P(Bin(n, 1/2) < k) at
    most (1 - confidence) / 2; its coverage is at least ``confidence`` for any
    continuous distribution."""
    xs = sorted(float(v) for v in values)
    n = len(xs)
    tail = (1.0 - confidence) / 2.0
    k, below = 0, 0.0
    while k < n // 2:
        nxt = below + math.comb(n, k) / 2.0 ** n  # P(Bin(n, 1/2) <= k), i.e. < k + 1
        if nxt > tail:
            break
        below, k = nxt, k + 1
    k = max(k, 1)
    return median_of(xs), xs[k - 1], xs[n - k]


# -- the engine computations the claims share ------------------------------------------
TWO_UNIT_STEPS = 20
RANDOM_SEEDS = 16  # seeds for the claims about the radius of random matrices
# Seeds for the statistical claims whose verdict rests on a median (the torch.nn.RNN
# gradients, the 128-unit multiplier): enough that a disjoint seed set gives the same
# verdict (tested with seeds 0..199 against 200..399).
STAT_SEEDS = 200
TORCH_RNN_SEEDS = STAT_SEEDS
MULTIPLIER_SEEDS = STAT_SEEDS
MEMORY_SEEDS = 8
# A direction of dh_T/dh_t counts as alive when its singular value is at least this share
# of the largest (the Jacobian screen's threshold); the article names no threshold, so
# the claim also shows the count at the other thresholds here.
MEMORY_THRESHOLDS = (1e-3, 1e-2, 1e-1)
# The Jacobian screen's "tanh-64" preset: the article's 64-unit picture.
MEMORY_CONFIG = dict(activation="tanh", init="gaussian", scale=1.0, hidden=64, steps=60)
MEMORY_STEPS_BACK = 50


class ClaimInputs:
    """The engine results the claims draw on, each computed once, when first asked."""

    def __init__(self, cancel: Callable[[], bool] | None = None,
                 experiment=None, first_seed: int = 0) -> None:
        self.cancel = cancel
        self.experiment = experiment
        self.first_seed = first_seed  # where the seeds of the statistical claims start

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled()

    # closed forms ------------------------------------------------------------------
    def power(self, factor: float, steps: int) -> Computed:
        lg = cf.log10_power(factor, steps)
        return Computed(10.0 ** lg, lg)

    @cached_property
    def two_unit(self):
        return matrix_powers(ARTICLE_TWO_UNIT.matrix, ARTICLE_TWO_UNIT.derivative,
                             TWO_UNIT_STEPS)

    @cached_property
    def toy(self):
        return toy_carousel(ARTICLE_TOY["factor"], ARTICLE_TOY["gate"], ARTICLE_TOY["steps"])

    @cached_property
    def capacity(self):
        return compute_capacity(CapacityConfig(hidden=64))

    # torch ---------------------------------------------------------------------------
    @cached_property
    def four_unit(self):
        """Article 003's 4-unit script at 0.5 (as printed) and 1.5 (its suggested change)."""
        self.check_cancel()
        return article_four_unit((0.5, 1.5))

    @cached_property
    def torch_rnn(self):
        self.check_cancel()
        return default_torch_rnn_gradients(TORCH_RNN_SEEDS, self.first_seed)

    @cached_property
    def gaussian64(self):
        self.check_cancel()
        return random_radius_stats(64, 1.0, RANDOM_SEEDS, cancel=self.cancel)

    @cached_property
    def gaussian128(self):
        self.check_cancel()
        return effective_multiplier_stats(128, 0.1, MULTIPLIER_SEEDS, 50, cancel=self.cancel,
                                          first_seed=self.first_seed)

    @cached_property
    def memory(self):
        self.check_cancel()
        return memory_dimensions(MEMORY_SEEDS, MEMORY_STEPS_BACK, cancel=self.cancel)


def median_of(values) -> float:
    """The median as a plain float."""
    return float(np.median(np.asarray(list(values), dtype=np.float64)))


def article_four_unit(scales: Sequence[float] = (0.5, 1.5)):
    """Article 003's script, reproduced: torch.manual_seed(0), then nn.Linear(2, 4) for
    W_xh and nn.Linear(4, 4) for W_hh (both without bias, drawn by torch's own
    initialiser), W_hh overwritten with scale I + 0.05 randn(4, 4), inputs
    0.05 randn(20, 2), all in float32 exactly as the script draws them. The global
    random state is restored afterwards. The gradients then come from the flow
    engine (float64, L = sum(h_T)) as a batch, one row per scale."""
    import torch  # torch: loaded when a claim first needs it
    from torch import nn

    rows = []
    for scale in scales:
        with global_seed(0):
            w_xh = nn.Linear(2, 4, bias=False)
            w_hh = nn.Linear(4, 4, bias=False)
            with torch.no_grad():
                w_hh.weight.copy_(scale * torch.eye(4) + 0.05 * torch.randn(4, 4))
            x = 0.05 * torch.randn(20, 2)
        rows.append((w_hh.weight.detach().clone(), w_xh.weight.detach().clone(), x))
    weights = RNNWeights(torch.stack([r[0] for r in rows]).double(),
                         torch.stack([r[1] for r in rows]).double(),
                         torch.zeros(len(rows), 4, dtype=torch.float64),
                         torch.stack([r[2] for r in rows]).double())
    config = RNNConfig(activation="tanh", hidden=4, input_size=2, steps=20, device="cpu",
                       dtype="float64")
    return run_flow_batch([config] * len(rows), weights,
                          source="Chapter 16's 4-unit script (torch.manual_seed(0))")


def default_torch_rnn_gradients(seeds: int = TORCH_RNN_SEEDS, first_seed: int = 0):
    """Article 000's monitoring example for seeds first_seed .. first_seed+seeds-1: torch.manual_seed(seed),
    nn.RNN(10, 64) with torch's default initialisation, inputs randn(1, 30, 10),
    loss = sum of the last output. ||dL/dx_t|| per step from the flow engine (one
    batch over the seeds). The global random state is restored afterwards."""
    import torch  # torch: loaded when a claim first needs it
    from torch import nn

    w_hh, w_xh, bias, xs = [], [], [], []
    for seed in range(first_seed, first_seed + seeds):
        with global_seed(seed):
            module = nn.RNN(input_size=10, hidden_size=64)  # batch_first changes no draw
            inputs = torch.randn(1, 30, 10)
        w_hh.append(module.weight_hh_l0.detach().clone())
        w_xh.append(module.weight_ih_l0.detach().clone())
        bias.append((module.bias_ih_l0 + module.bias_hh_l0).detach().clone())
        xs.append(inputs[0])
    weights = RNNWeights(*(torch.stack(t).double() for t in (w_hh, w_xh, bias, xs)))
    config = RNNConfig(activation="tanh", hidden=64, input_size=10, steps=30, device="cpu",
                       dtype="float64")
    return run_flow_batch([config] * seeds, weights, source="torch.nn.RNN(10, 64) defaults")


@dataclass(frozen=True)
class RadiusStats:
    hidden: int
    scale: float
    seeds: int
    radius_median: float
    radius_low: float  # the lowest and highest radius over the seeds
    radius_high: float
    norm_median: float
    orthogonal_worst: float  # the eigenvalue magnitude furthest from 1, over all seeds
    radius_interval: tuple[float, float]  # 95% confidence interval of the median radius


def random_radius_stats(hidden: int, scale: float, seeds: int,
                        cancel: Callable[[], bool] | None = None) -> RadiusStats:
    """Spectral radius and norm of gaussian N(0, scale^2/n) matrices, and the eigenvalue
    magnitudes of Haar-orthogonal ones, over seeds 0..seeds-1 (the Spectrum screen's
    matrices for those seeds)."""
    radii, norms, worst = [], [], 1.0
    for seed in range(seeds):
        r = spectrum_report(hidden, scale, seed=seed, power_steps=1,
                            inits=("gaussian", "orthogonal"), cancel=cancel)
        g = r.entry("gaussian")
        radii.append(g.spectral_radius)
        norms.append(g.spectral_norm)
        for m in r.entry("orthogonal").magnitudes:
            if abs(m - 1.0) > abs(worst - 1.0):
                worst = float(m)
    _, low, high = median_interval(radii)
    return RadiusStats(hidden, scale, seeds, median_of(radii), min(radii), max(radii),
                       median_of(norms), worst, (low, high))


@dataclass(frozen=True)
class MultiplierStats:
    hidden: int
    entry_std: float
    seeds: int
    steps: int
    radius_median: float
    derivative_median: float
    log10_power_median: float  # median over seeds of log10 (radius x mean f')^steps
    log10_power_low: float  # 95% confidence interval of that median
    log10_power_high: float


def effective_multiplier_stats(hidden: int, entry_std: float, seeds: int, steps: int,
                               cancel: Callable[[], bool] | None = None,
                               first_seed: int = 0) -> MultiplierStats:
    """Article 000's recipe: W with N(0, entry_std^2) entries, h ~ N(0, 1), mean tanh'(W h)
    times the spectral radius of W, raised to ``steps``; median over seeds. W is the
    Spectrum screen's gaussian matrix for each seed at scale entry_std sqrt(n); the
    eigenvalues of all seeds come from one batched call."""
    import torch  # torch: loaded when a claim first needs it

    ws, hs = [], []
    for seed in range(first_seed, first_seed + seeds):
        if cancel is not None and cancel():
            raise Cancelled()
        ws.append(init_matrix("gaussian", hidden, entry_std * math.sqrt(hidden), seed))
        hs.append(torch.randn(hidden, generator=random_stream(seed, 5), dtype=torch.float64))
    w, h = torch.stack(ws), torch.stack(hs)
    radii = torch.linalg.eigvals(w).abs().amax(dim=1).numpy()
    derivs = cf.derivative("tanh", torch.bmm(w, h.unsqueeze(2))[:, :, 0].numpy()).mean(axis=1)
    logs = steps * np.log10(radii * derivs)
    mid, low, high = median_interval(logs)
    return MultiplierStats(hidden, entry_std, seeds, steps, median_of(radii), median_of(derivs),
                           mid, low, high)


@dataclass(frozen=True)
class MemoryStats:
    seeds: int
    steps_back: int
    dims_median: float
    dims_low: int
    dims_high: int
    near_median: float  # effective dimensions 5 steps back
    hidden: int
    by_threshold: tuple  # (threshold, median dims, lowest, highest) for MEMORY_THRESHOLDS


def memory_dimensions(seeds: int, steps_back: int,
                      cancel: Callable[[], bool] | None = None) -> MemoryStats:
    """Effective memory dimensions of dh_T/dh_t, ``steps_back`` steps back, for the
    Jacobian screen's tanh-64 network over seeds 0..seeds-1 (one batch), at the screen's
    threshold and at each of MEMORY_THRESHOLDS."""
    configs = [RNNConfig(**MEMORY_CONFIG, seed=s, device="cpu", dtype="float64")
               for s in range(seeds)]
    batch = jacobian_products(configs, cancel=cancel)
    far = [int(r.effective_dims[r.steps - 1 - steps_back]) for r in batch.runs]
    near = [int(r.effective_dims[r.steps - 1 - 5]) for r in batch.runs]
    rows = []
    for threshold in MEMORY_THRESHOLDS:
        counts = []
        for r in batch.runs:
            sv = r.log10_singular_values[r.steps - 1 - steps_back]
            with np.errstate(invalid="ignore"):
                counts.append(int(np.sum(sv >= sv[0] + math.log10(threshold))))
        rows.append((threshold, median_of(counts), min(counts), max(counts)))
    # With 8 seeds the 95% interval of the median from order statistics is the whole range.
    _, far_low, far_high = median_interval(far)
    return MemoryStats(seeds, steps_back, median_of(far), int(far_low), int(far_high),
                       median_of(near), MEMORY_CONFIG["hidden"], tuple(rows))


# -- article 000's training test --------------------------------------------------------
TRAINING_PRESET = ARTICLE_FIRST_LOSSES.preset


TRAINING_CACHE = "claims-training"


def measure_training(progress=None, cancel=None, *, use_cache: bool = True):
    """Run the Experiments preset that follows article 000's test (about half a minute on
    a small CPU); pass the result to ``build_claims(experiment=...)``. The result is kept
    on disk (``disk_cache``) and read back by the same engine version instead of
    training again."""
    if use_cache:
        kept = cached_training()
        if kept is not None:
            return kept
    config = preset_config("experiments", TRAINING_PRESET)
    result = run_experiment(config, progress=progress, cancel=cancel)
    if not getattr(result, "cancelled", False):
        disk_cache.save(TRAINING_CACHE, result)
    return result


def cached_training():
    """The training test's result computed earlier by this engine version, or None."""
    return disk_cache.load(TRAINING_CACHE)
