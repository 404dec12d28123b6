"""``vgtui.Probe``: measure a model every so many training steps and append one JSON line
per measurement to a log that ``vgtui watch`` follows.

The log (schema ``vgtui_watch`` = 1) is JSON Lines. The first line is a header: the
schema version, the recurrent module (architecture, layers, sizes, its name in the
model), the parameter count, torch's version, the device, the start time and how the
records are made. Every later line is one record::

    {"step": 1200, "time": 81.5, "loss": 0.031, "steps": 50, "batch": 32,
     "layers": [{"log10_grad_h": [...], "factor": 0.93, "horizon": 12, "verdict": ...,
                 "spectral_radius": ..., "spectral_norm": ..., "forget_gate": 0.71,
                 "log10_lag": [...], ...}, ...],
     "log10_grad_x": [...], "params": {"lstm.weight_hh_l0": -1.83, ...}, "bins": null}

Magnitudes are log10 (a gradient of 1e-412 is written -412.0; an exact zero -1e999,
which JSON readers parse as -inf), rounded to 4 decimals. Sequences longer than
MAX_STEPS timesteps are binned into MAX_STEPS bins of consecutive steps: ``bins``
then holds the bin edges (bin i covers steps edges[i] + 1 .. edges[i + 1]) and each
binned value is the root mean square of the bin's values (computed in log space, so it
is exact past float range and near the bin's largest value). Factors, horizons and
verdicts are computed before binning, from every step.

Each record is written with one write call and flushed, so a reader sees at most the
last line half written. A failure inside the probe never stops training: it prints one
warning on stderr and switches itself off.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import Callable

import numpy as np

from .. import __version__
from .errors import ConfigError
from .measure import check_options, measure_model
from .unrolled import ARCH_OF_MODE, MODULE_NAMES, chosen_dtype, compute_dtype, find_recurrent

SCHEMA = 1
MAX_STEPS = 512
DIGITS = 4
BIN_RULE = "root mean square of the bin's values, computed in log space"


def bin_edges(steps: int, bins: int = MAX_STEPS) -> np.ndarray | None:
    """Edges of ``bins`` runs of consecutive steps covering 0..steps; None when no
    binning is needed."""
    if steps <= bins:
        return None
    return np.round(np.linspace(0, steps, bins + 1)).astype(int)


def binned(log10_values, edges: np.ndarray | None) -> np.ndarray:
    """Each bin's root mean square as log10 (exact zeros count as zeros; nan as nan)."""
    values = np.asarray(log10_values, dtype=float)
    if edges is None:
        return values
    out = np.empty(len(edges) - 1)
    for i in range(len(edges) - 1):
        chunk = values[edges[i]:edges[i + 1]]
        if np.isnan(chunk).any():
            out[i] = np.nan
            continue
        top = chunk.max()
        if not np.isfinite(top):
            out[i] = top
            continue
        out[i] = top + 0.5 * math.log10(np.mean(np.power(10.0, 2 * (chunk - top))))
    return out


def _number(value) -> str:
    if value is None:
        return "null"
    value = float(value)
    if math.isnan(value):
        return "null"
    if math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    text = repr(round(value, DIGITS))
    return text[:-2] if text.endswith(".0") else text


def to_line(obj) -> str:
    """One compact JSON line; floats rounded, +-inf as +-1e999, nan as null."""
    if obj is None or isinstance(obj, bool):
        return json.dumps(obj)
    if isinstance(obj, (int, np.integer)):
        return str(int(obj))
    if isinstance(obj, (float, np.floating)):
        return _number(obj)
    if isinstance(obj, str):
        return json.dumps(obj)
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_line(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple, np.ndarray)):
        return "[" + ",".join(to_line(v) for v in obj) + "]"
    raise TypeError(f"cannot write {type(obj).__name__} to the log")


def header_for(model, name: str, module, every: int, loss_fn, lag_batch, started: float) -> dict:
    """The log's first line."""
    import torch  # torch: loaded when first needed


    arch = ARCH_OF_MODE[module.mode]
    device = module.weight_hh_l0.device
    proj = int(getattr(module, "proj_size", 0) or 0)
    return {
        "vgtui_watch": SCHEMA,
        "vgtui": __version__,
        "arch": arch,
        "module": name,
        "module_type": MODULE_NAMES[arch],
        "model": type(model).__name__,
        "nonlinearity": module.nonlinearity if arch == "rnn" else None,
        "layers": int(module.num_layers),
        "hidden": int(module.hidden_size),
        "proj_size": proj,
        "input_size": int(module.input_size),
        "batch_first": bool(module.batch_first),
        "bias": bool(module.bias),
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "recurrent_parameters": int(sum(p.numel() for p in module.parameters())),
        "torch": torch.__version__,
        "device": str(device),
        "dtype": str(module.weight_hh_l0.dtype).replace("torch.", ""),
        "measure_dtype": str(compute_dtype(device)).replace("torch.", ""),
        "every": every,
        "loss_fn": None if loss_fn is None else _name(loss_fn),
        "lag_batch": lag_batch,
        "max_steps": MAX_STEPS,
        "bins": BIN_RULE,
        "norms": "Frobenius over batch and units",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "started_unix": round(started, 3),
        "pid": os.getpid(),
    }


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def record_for(step: int, elapsed: float, result) -> dict:
    """One measurement as a log record (binned past MAX_STEPS timesteps)."""
    edges = bin_edges(result.steps)
    layers = []
    for layer in result.layers:
        entry = {"log10_grad_h": binned(layer.log10_grad_h, edges)}
        if layer.log10_grad_c is not None:
            entry["log10_grad_c"] = binned(layer.log10_grad_c, edges)
        entry.update({
            "factor": layer.factor,
            "horizon": layer.vanishing_horizon,
            "exploding_horizon": layer.exploding_horizon,
            "verdict": layer.verdict,
            "spectral_radius": layer.spectral_radius,
            "spectral_norm": layer.spectral_norm,
        })
        if "forget" in layer.gate_means:
            entry["forget_gate"] = layer.gate_means["forget"]
        if "update" in layer.gate_means:
            entry["update_gate"] = layer.gate_means["update"]
        if layer.log10_lag is not None:
            entry["log10_lag"] = binned(layer.log10_lag, edges)
            entry["lag_factor"] = layer.lag_factor
            entry["lag_horizon"] = layer.lag_horizon
        layers.append(entry)
    return {
        "step": int(step),
        "time": round(elapsed, 3),
        "loss": result.loss,
        "loss_fn": result.loss_name,
        "steps": result.steps,
        "batch": result.batch,
        "bins": None if edges is None else [int(e) for e in edges],
        "layers": layers,
        "log10_grad_x": binned(result.log10_grad_x, edges),
        "lag_steps": len(result.lag_steps),
        "params": result.params,
        "seconds": round(result.seconds, 4),
    }


class Probe:
    """Measure ``model`` every ``every`` training steps into the JSON Lines log ``path``.

    ``probe.observe(step, inputs)`` (or ``observe(step, inputs, loss_fn)``) measures when
    ``step`` is a multiple of ``every`` and appends one record; other steps cost nothing.
    ``loss_fn`` and ``rnn`` are as for ``vgtui.measure``. ``append=True`` adds to an
    existing log (a new header marks the new run) instead of starting it afresh.
    ``lag_batch``: the lag profile covers the first that many sequences of the batch
    (None: all), since for a loss over every step it costs about T / 2 times the rest.
    ``dtype="model"`` measures in the model's own dtype rather than float64 (about 1.6x
    cheaper for a float32 model; see ``measure_model``).

    Training with and without a probe gives bit-for-bit the same parameters: the probe
    writes no ``.grad``, restores torch's random states and leaves modes and buffers as
    they were. Any failure inside ``observe`` prints one warning on stderr and switches
    the probe off; training goes on.
    """

    def __init__(self, model, path, every: int = 50, loss_fn: Callable | None = None,
                 rnn: str | None = None, *, append: bool = False, lag: bool | None = None,
                 lag_batch: int | None = 4, dtype: str | None = None) -> None:

        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ConfigError(f"every must be a whole number of steps, 1 or more (got "
                              f"{every!r})", "every")
        check_options(loss_fn, lag_batch)
        self.name, self.module = find_recurrent(model, rnn)

        self.dtype = dtype
        measured_in = chosen_dtype(dtype, self.module.weight_hh_l0.device,
                                    self.module.weight_hh_l0.dtype)
        self.model = model
        self.path = os.fspath(path)
        self.every = int(every)
        self.loss_fn = loss_fn
        self.rnn = self.name
        self.lag = lag
        self.lag_batch = lag_batch
        self.active = True
        self.records = 0
        self.error: str | None = None
        self.started = time.time()
        self._clock = time.perf_counter()
        # Always O_APPEND: every record lands at the end even if something else appends
        # to the file too; a new run (append=False) first empties it.
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        try:
            self._fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise ConfigError(f"cannot write the log {self.path}: {exc.strerror or exc}",
                              "path") from None
        try:
            header = header_for(model, self.name, self.module, self.every, loss_fn, lag_batch,
                                self.started)
            header["measure_dtype"] = str(measured_in).replace("torch.", "")
            self._write(header)
        except OSError as exc:
            self.close()
            raise ConfigError(f"cannot write the log {self.path}: {exc.strerror or exc}",
                              "path") from None

    # -- training-loop side ---------------------------------------------------------------
    def observe(self, step: int, inputs, loss_fn: Callable | None = None):
        """Measure at every ``every``-th step and append a record; returns the
        measurement, or None on other steps (and once switched off)."""
        if not self.active:
            return None
        try:
            if int(step) % self.every != 0:
                return None

            result = measure_model(self.model, inputs, loss_fn or self.loss_fn, self.rnn,
                                   lag=self.lag, lag_batch=self.lag_batch, dtype=self.dtype)
            self._write(record_for(int(step), time.perf_counter() - self._clock, result))
            self.records += 1
            return result
        except Exception as exc:  # never stop the training loop
            self._switch_off(step, exc)
            return None

    def close(self) -> None:
        if getattr(self, "_fd", None) is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = None
        self.active = False

    def __enter__(self) -> "Probe":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "on" if self.active else ("off: " + self.error if self.error else "closed")
        return f"Probe({self.path!r}, every={self.every}, {self.records} records, {state})"

    # -- internals ------------------------------------------------------------------------
    def _write(self, obj: dict) -> None:
        if self._fd is None:
            raise ConfigError("the probe is closed", "path")
        data = (to_line(obj) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:  # one write call for a regular file; loop only if the OS splits it
            done = os.write(self._fd, view)
            view = view[done:]

    def _switch_off(self, step, exc: Exception) -> None:
        text = " ".join(str(exc).split())[:300]
        self.error = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        self.active = False
        sys.stderr.write(f"vgtui.Probe: switched off at step {step} ({self.error}); "
                         f"training goes on, {self.path} keeps its {self.records} records\n")
        sys.stderr.flush()
