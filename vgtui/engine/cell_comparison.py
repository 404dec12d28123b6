"""A vanilla RNN, an LSTM and a GRU side by side: the same sizes, seed, weight scale and
input sequence (and, when given, the user's own model on those inputs), so the one
thing that differs is the cell."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import budget
from .config import RNNConfig
from .device import on_engine_threads, resolve_device, resolve_dtype
from .gated import run_stack, stack_estimate
from .models import model_config, run_model
from .stack_weights import build_stack_weights

CELL_ORDER = ("rnn", "lstm", "gru")


@dataclass
class CellComparison:
    """A vanilla RNN, an LSTM and a GRU with the same sizes, seed, weight scale and
    input sequence (and, when given, the user's model on those same inputs)."""

    config: RNNConfig
    runs: dict  # arch -> StackRun
    model_run: object | None = None
    seconds: float = 0.0

    @property
    def device(self) -> str:
        return self.runs["lstm"].device

    @property
    def dtype(self) -> str:
        return self.runs["lstm"].dtype

    @property
    def steps(self) -> int:
        return self.config.steps


@on_engine_threads
def compare_cells(config: RNNConfig, model=None, inputs=None, inputs_path: str | None = None, *,
                  progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> CellComparison:
    """Run the three cells from ``config`` (its arch is ignored; the vanilla cell uses
    its activation). With a loaded ``model`` its sizes and depth must match the
    config's and its own measurement is added; ``inputs`` (a (T, m) array) replaces
    the seeded input sequence for all of them."""
    import torch  # torch: loaded on first use

    started = time.perf_counter()
    model_run = None
    if model is not None:
        given = {"hidden": config.hidden, "input_size": config.input_size,
                 "layers": config.layers}
        if inputs is not None:
            given["steps"] = config.steps
        mc = model_config(model, config, given, inputs)
        config = config.replace(steps=mc.steps)
    parts = len(CELL_ORDER) + (model is not None)
    # The three cells (and the model) run one after another: their times add up.
    total = stack_estimate(config.replace(arch=CELL_ORDER[0]))
    for arch in CELL_ORDER[1:]:
        total = total + stack_estimate(config.replace(arch=arch))
    if model is not None:
        total = total + stack_estimate(mc)
    budget.check(total.named(f"RNN, LSTM and GRU x {config.layers}, T={config.steps}, "
                             f"n={config.hidden}"))
    runs = {}
    for done, arch in enumerate(CELL_ORDER):
        def part(f, _d=done):
            if progress is not None:
                progress((_d + f) / parts)

        c = config.replace(arch=arch)
        weights = None
        if inputs is not None:
            device = resolve_device(c.device)
            weights = build_stack_weights([c], device, resolve_dtype(c.dtype, device))
            weights.inputs = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float64))[None] \
                .to(device=device, dtype=weights.inputs.dtype)
        runs[arch] = run_stack(c, weights, progress=part, cancel=cancel)
    if model is not None:
        model_run = run_model(model, mc, inputs, inputs_path, cancel=cancel)
    return CellComparison(config, runs, model_run, time.perf_counter() - started)
