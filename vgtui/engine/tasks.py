"""The three training tasks; each puts what the loss needs at (or near) the first step.

* ``first``  regression: x_1 ~ N(0, 1), later inputs N(0, noise^2); predict x_1 at T.
* ``latch``  classification: a one-hot symbol at step 1, noise afterwards; name the
  symbol at T (Bengio et al.'s latch / first-symbol task).
* ``adding`` regression: each step carries a value U(0, 1) and a marker; two steps
  are marked (one in each half); predict the sum of the two marked values.

Also the baseline every verdict is measured against: the loss of the best constant
prediction. torch is imported inside the functions.
"""
from __future__ import annotations

import math

from .errors import ConfigError

TASK_TITLES = {
    "first": "remember the first input (regression)",
    "latch": "latch: name the symbol seen at step 1 (classification)",
    "adding": "adding problem: sum the two marked values (regression)",
}


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
    import torch  # torch: loaded on first use

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
    import torch  # torch: loaded on first use

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
    import torch  # torch: loaded on first use

    if not is_classification(task):
        return None
    counts = torch.bincount(targets.flatten())
    return float(counts.max()) / float(counts.sum())


def task_stream(seed: int, length: int, stream: int):
    """Data streams per (seed, length): the same for every architecture, so
    the cells are compared on identical examples. stream 0 trains, 1 is held out."""
    import torch  # torch: loaded on first use

    g = torch.Generator(device="cpu")
    g.manual_seed(((seed * 1_000_003 + length) * 4 + stream) % (2**63 - 1))
    return g
