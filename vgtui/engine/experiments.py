"""Training experiments: can a recurrent network learn a dependency T steps long?

An experiment runs every (seed, architecture, length) of its plan, one trained
network each (``training``), and sums them up per architecture and length. What the
settings are is ``experiment_config``; the tasks are ``tasks``; what the runs say in
words is ``vgtui.present.experiments``.

Nothing here imports torch at module level.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from statistics import median
from typing import Any, Callable, Iterable, Sequence

from . import budget
from .budget import Estimate
from .device import dtype_name, engine_threads, resolve_device, resolve_dtype
from .errors import Cancelled
from .experiment_config import ExperimentConfig, RunSpec
from .training import RunResult, run_estimate, train_run


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
        """The numbers; ``vgtui.present.experiments.experiment_json`` adds the verdict
        rule and the reading in words (what ``vgtui train --json`` prints)."""
        return {
            "config": self.config.to_dict(),
            "runs_planned": self.planned, "runs_done": len(self.runs),
            "cancelled": self.cancelled,
            "device": self.device, "dtype": self.dtype,
            "rows": [r.to_row(curves) for r in self.runs],
            "summary": [g.to_dict() for g in summary_groups(self.runs)],
            # Wall-clock times differ from run to run by design: kept apart from the
            # results, so everything else repeats exactly for a seed.
            "timing": {"seconds": self.seconds, "run_seconds": [r.seconds for r in self.runs]},
        }


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


# -- the summary per architecture and length -----------------------------------------------
@dataclass
class Group:
    """All seeds of one (architecture, length)."""

    arch: str
    length: int
    runs: list[RunResult]

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def learned(self) -> int:
        return sum(r.learned for r in self.runs)

    @property
    def beat(self) -> int:
        """Runs below 0.9 x baseline (learned or partly)."""
        return sum(r.verdict in ("learned", "partial") for r in self.runs)

    @property
    def median_ratio(self) -> float:
        vals = [r.ratio for r in self.runs if math.isfinite(r.ratio)]
        return median(vals) if vals else math.nan

    @property
    def log10_grad1_init(self) -> float:
        """Median log10 ||dl/dx_1|| at initialisation (-inf for exact zeros)."""
        return median_log10([r.grad_step1_init for r in self.runs])

    @property
    def log10_grad1_final(self) -> float:
        return median_log10([r.grad_step1 for r in self.runs])

    def to_dict(self) -> dict[str, Any]:
        return {"arch": self.arch, "steps": self.length, "runs": self.n,
                "learned": self.learned, "beat_baseline": self.beat,
                "median_loss_ratio": self.median_ratio,
                "median_log10_grad_step1_init": self.log10_grad1_init,
                "median_log10_grad_step1": self.log10_grad1_final}


def summary_groups(runs: list[RunResult]) -> list[Group]:
    groups: dict[tuple[str, int], list[RunResult]] = {}
    for r in runs:
        groups.setdefault((r.arch, r.length), []).append(r)
    order = {"rnn": 0, "lstm": 1, "gru": 2}
    return [Group(a, t, rs) for (a, t), rs in sorted(groups.items(),
                                                      key=lambda kv: (order.get(kv[0][0], 9),
                                                                      kv[0][1]))]


def decay_per_step(runs: list[RunResult]) -> float | None:
    """Per-step factor of ||dl/dx_1|| at initialisation against T: 10^slope of a
    least-squares line through (T, log10 grad) over the runs given (None if the
    runs span fewer than two lengths or a gradient is exactly zero)."""
    pts = [(r.length, math.log10(r.grad_step1_init)) for r in runs
           if r.grad_step1_init > 0 and r.cut_steps == 0]
    if len({t for t, _ in pts}) < 2:
        return None
    mt = sum(t for t, _ in pts) / len(pts)
    mg = sum(g for _, g in pts) / len(pts)
    sxx = sum((t - mt) ** 2 for t, _ in pts)
    sxy = sum((t - mt) * (g - mg) for t, g in pts)
    return 10.0 ** (sxy / sxx)


def median_log10(values: Iterable[float]) -> float:
    """The median of log10 of the values (-inf for exact zeros; nan when none)."""
    logs = [math.log10(v) if v > 0 else -math.inf for v in values if not math.isnan(v)]
    if not logs:
        return math.nan
    logs.sort()
    mid = len(logs) // 2
    if len(logs) % 2:
        return logs[mid]
    a, b = logs[mid - 1], logs[mid]
    return (a + b) / 2 if math.isfinite(a) and math.isfinite(b) else a


# -- running ---------------------------------------------------------------------------

def experiment_estimate(config: ExperimentConfig, runs: Sequence[RunSpec] | None = None,
                        itemsize: int = 8):
    """The whole experiment: the largest run's memory, the sum of the runs' times."""
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

    with engine_threads():
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
