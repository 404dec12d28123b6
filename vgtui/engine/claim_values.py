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
    computed beside it that the reader should see (also computed now)."""

    value: float | None
    log10: float | None = None
    note: str = ""


# -- the engine computations the claims share ------------------------------------------
TWO_UNIT_STEPS = 20
RANDOM_SEEDS = 16  # seeds for the claims about typical random matrices
TORCH_RNN_SEEDS = 32  # seeds for the default torch.nn.RNN gradient claims
MEMORY_SEEDS = 8
# The Jacobian screen's "tanh-64" preset: the article's 64-unit picture.
MEMORY_CONFIG = dict(activation="tanh", init="gaussian", scale=1.0, hidden=64, steps=60)
MEMORY_STEPS_BACK = 50


class ClaimInputs:
    """The engine results the claims draw on, each computed once, when first asked."""

    def __init__(self, cancel: Callable[[], bool] | None = None,
                 experiment=None) -> None:
        self.cancel = cancel
        self.experiment = experiment

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
        return default_torch_rnn_gradients(TORCH_RNN_SEEDS)

    @cached_property
    def gaussian64(self):
        self.check_cancel()
        return random_radius_stats(64, 1.0, RANDOM_SEEDS, cancel=self.cancel)

    @cached_property
    def gaussian128(self):
        self.check_cancel()
        return effective_multiplier_stats(128, 0.1, RANDOM_SEEDS, 50, cancel=self.cancel)

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
                          source="article 003's 4-unit script (torch.manual_seed(0))")


def default_torch_rnn_gradients(seeds: int = TORCH_RNN_SEEDS):
    """Article 000's monitoring example for seeds 0..seeds-1: torch.manual_seed(seed),
    nn.RNN(10, 64) with torch's default initialisation, inputs randn(1, 30, 10),
    loss = sum of the last output. ||dL/dx_t|| per step from the flow engine (one
    batch over the seeds). The global random state is restored afterwards."""
    import torch  # torch: loaded when a claim first needs it
    from torch import nn

    w_hh, w_xh, bias, xs = [], [], [], []
    for seed in range(seeds):
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
    radius_low: float
    radius_high: float
    norm_median: float
    orthogonal_worst: float  # the eigenvalue magnitude furthest from 1, over all seeds


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
    return RadiusStats(hidden, scale, seeds, median_of(radii), min(radii), max(radii),
                       median_of(norms), worst)


@dataclass(frozen=True)
class MultiplierStats:
    hidden: int
    entry_std: float
    seeds: int
    steps: int
    radius_median: float
    derivative_median: float
    log10_power_median: float  # median over seeds of log10 (radius x mean f')^steps


def effective_multiplier_stats(hidden: int, entry_std: float, seeds: int, steps: int,
                               cancel: Callable[[], bool] | None = None) -> MultiplierStats:
    """Article 000's recipe: W with N(0, entry_std^2) entries, h ~ N(0, 1), mean tanh'(W h)
    times the spectral radius of W, raised to ``steps``; median over seeds. W is the
    Spectrum screen's gaussian matrix for each seed at scale entry_std sqrt(n)."""
    import torch  # torch: loaded when a claim first needs it

    radii, derivs, logs = [], [], []
    for seed in range(seeds):
        if cancel is not None and cancel():
            raise Cancelled()
        w = init_matrix("gaussian", hidden, entry_std * math.sqrt(hidden), seed)
        h = torch.randn(hidden, generator=random_stream(seed, 5), dtype=torch.float64)
        rho = float(torch.linalg.eigvals(w).abs().max())
        mean_d = float(np.mean(cf.derivative("tanh", (w @ h).numpy())))
        radii.append(rho)
        derivs.append(mean_d)
        logs.append(steps * math.log10(rho * mean_d))
    return MultiplierStats(hidden, entry_std, seeds, steps, median_of(radii), median_of(derivs),
                           median_of(logs))


@dataclass(frozen=True)
class MemoryStats:
    seeds: int
    steps_back: int
    dims_median: float
    dims_low: int
    dims_high: int
    near_median: float  # effective dimensions 5 steps back
    hidden: int


def memory_dimensions(seeds: int, steps_back: int,
                      cancel: Callable[[], bool] | None = None) -> MemoryStats:
    """Effective memory dimensions of dh_T/dh_t, ``steps_back`` steps back, for the
    Jacobian screen's tanh-64 network over seeds 0..seeds-1 (one batch)."""
    configs = [RNNConfig(**MEMORY_CONFIG, seed=s, device="cpu", dtype="float64")
               for s in range(seeds)]
    batch = jacobian_products(configs, cancel=cancel)
    far = [int(r.effective_dims[r.steps - 1 - steps_back]) for r in batch.runs]
    near = [int(r.effective_dims[r.steps - 1 - 5]) for r in batch.runs]
    return MemoryStats(seeds, steps_back, median_of(far), min(far), max(far), median_of(near),
                       MEMORY_CONFIG["hidden"])


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
