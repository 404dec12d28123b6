"""Reading, following and summarising the logs ``vgtui.Probe`` writes (engine/probe.py).

``WatchRun(path).poll()`` reads whatever was appended since the last call, without ever
waiting: only complete lines are parsed (a half-written last line waits for its end),
lines that are not JSON records are skipped and counted, a file that disappears is
waited for, and a run restarted into the same file (truncated, replaced, or a new header
appended) is noticed and read from its start. Memory stays bounded whatever the length
of the run: every record updates the first/latest records and a decimated history
(at most MAX_ROWS records for the heatmap, MAX_POINTS for the curves over training; when
full, every other one is dropped and only every 2^k-th record kept from then on).

``view()`` hands out an immutable snapshot for a screen to draw; ``summary()`` the
figures ``vgtui watch --json`` prints. No UI library is imported here.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import VgtuiError
from .probe import SCHEMA

QUANTITIES = ("h", "x", "c", "lag")
QUANTITY_TITLES = {"h": "‖dL/dh_t‖", "x": "‖dL/dx_t‖", "c": "‖dL/dc_t‖", "lag": "lag profile"}
QUANTITY_AXIS = {"h": "t", "x": "t", "c": "t", "lag": "k"}
MAX_ROWS = 512
MAX_POINTS = 4096
READ_CHUNK = 2 << 20  # bytes read per poll at most (a huge log loads over several polls)
MAX_LINE = 64 << 20  # a "line" longer than this without a newline is garbage
# Alert thresholds: the reach of the gradient fell below this share of its first value;
# the earliest steps get less than 10^-GONE_DECADES of the last step's gradient.
SHRINK_SHARE = 0.8
GONE_DECADES = 8.0


class LogError(VgtuiError):
    """The file is not a vgtui watch log, has an unknown schema, or cannot be read."""


@dataclass(frozen=True)
class LayerPoint:
    """One layer of one record. Arrays are log10 values (float32 to keep history small)."""

    grad_h: np.ndarray
    grad_c: np.ndarray | None
    lag: np.ndarray | None
    factor: float
    horizon: int | None
    exploding_horizon: int | None
    verdict: str
    lag_factor: float
    lag_horizon: int | None
    radius: float
    norm: float
    gate: float  # LSTM forget / GRU update gate mean, nan for a vanilla RNN

    def reach(self, steps: int) -> float:
        """How many steps back a loss term's gradient stays above 1e-6 of itself: the lag
        profile's horizon where the loss reads several steps, else dL/dh_t's horizon;
        ``steps`` (the whole sequence) when it never falls that far."""
        h = self.lag_horizon if self.lag is not None else self.horizon
        return float(steps if h is None else h)


@dataclass(frozen=True)
class Record:
    step: int
    time: float
    loss: float
    steps: int  # T of the measured sequence
    bins: tuple | None  # bin edges when T > MAX_STEPS of the probe
    layers: tuple
    grad_x: np.ndarray
    lag_steps: int
    params: dict | None = None  # kept for the latest record only

    def values(self, layer: int, quantity: str) -> np.ndarray | None:
        """log10 values of a quantity ("h", "x", "c", "lag"); None when the record has none."""
        if quantity == "x":
            return self.grad_x
        lay = self.layers[min(layer, len(self.layers) - 1)]
        return {"h": lay.grad_h, "c": lay.grad_c, "lag": lay.lag}[quantity]

    def step_of_column(self, index: int) -> tuple[int, int]:
        """The timesteps (1-based, first and last) behind column ``index``."""
        if self.bins is None:
            return index + 1, index + 1
        return self.bins[index] + 1, self.bins[index + 1]


def _num(value) -> float:
    if value is None:
        return math.nan
    return float(value)


def _opt_int(value) -> int | None:
    return None if value is None else int(value)


def _array(values, length: int | None = None) -> np.ndarray:
    arr = np.array([math.nan if v is None else v for v in values], dtype=np.float32)
    if arr.ndim != 1 or (length is not None and arr.shape[0] != length):
        raise ValueError("wrong length")
    return arr


def parse_record(obj: dict, layers: int, keep_params: bool = False) -> Record:
    """A record line as a Record; ValueError/KeyError/TypeError when it does not fit."""
    lays = obj["layers"]
    if not isinstance(lays, list) or len(lays) != layers:
        raise ValueError("layer count differs from the header")
    width = len(obj["log10_grad_x"])
    out = []
    for lay in lays:
        out.append(LayerPoint(
            grad_h=_array(lay["log10_grad_h"], width),
            grad_c=_array(lay["log10_grad_c"], width) if lay.get("log10_grad_c") is not None else None,
            lag=_array(lay["log10_lag"], width) if lay.get("log10_lag") is not None else None,
            factor=_num(lay.get("factor")), horizon=_opt_int(lay.get("horizon")),
            exploding_horizon=_opt_int(lay.get("exploding_horizon")),
            verdict=str(lay.get("verdict", "undetermined")),
            lag_factor=_num(lay.get("lag_factor")), lag_horizon=_opt_int(lay.get("lag_horizon")),
            radius=_num(lay.get("spectral_radius")), norm=_num(lay.get("spectral_norm")),
            gate=_num(lay.get("forget_gate", lay.get("update_gate")))))
    bins = obj.get("bins")
    return Record(step=int(obj["step"]), time=_num(obj.get("time")), loss=_num(obj.get("loss")),
                  steps=int(obj.get("steps", width)), bins=tuple(bins) if bins else None,
                  layers=tuple(out), grad_x=_array(obj["log10_grad_x"]),
                  lag_steps=int(obj.get("lag_steps", 0) or 0),
                  params=dict(obj.get("params") or {}) if keep_params else None)


@dataclass(frozen=True)
class Alert:
    kind: str  # "horizon-shrinking", "exploding", "early-steps-gone"
    layer: int | None  # 1-based, None for the whole model
    text: str
    short: str = ""  # the same in about 25 characters, for narrow panels

    def to_dict(self) -> dict:
        return {"kind": self.kind, "layer": self.layer, "text": self.text}


ALERT_MARKS = {"horizon-shrinking": "▼", "exploding": "▲", "early-steps-gone": "·"}


@dataclass(frozen=True)
class RunView:
    """Everything a screen needs to draw one run, frozen at one moment."""

    path: str
    state: str  # "waiting", "empty", "reading", "ok", "not-a-log", "unknown-schema"
    message: str
    header: dict | None
    records: int
    garbage: int
    garbage_sample: str
    restarts: int
    restart_note: str
    first: Record | None
    latest: Record | None
    rows: tuple  # decimated records in order, the latest last (the heatmap's rows)
    points: dict  # "step", "loss", per layer "factor{k}", "reach{k}", "radius{k}", "gate{k}"
    alerts: tuple
    stride: int  # the history keeps every stride-th record

    @property
    def layers(self) -> int:
        return int(self.header.get("layers", 1)) if self.header else 1

    @property
    def arch(self) -> str:
        return str(self.header.get("arch", "")) if self.header else ""

    def describe(self) -> str:
        """'LSTM x2, n=128, m=32 · 199,041 parameters · cpu · torch 2.13.0'"""
        h = self.header
        if not h:
            return ""
        layers = f" x{h.get('layers')}" if h.get("layers", 1) != 1 else ""
        proj = f", proj {h['proj_size']}" if h.get("proj_size") else ""
        return (f"{h.get('module_type', '?')}{layers}, n={h.get('hidden')}{proj}, "
                f"m={h.get('input_size')} · {h.get('parameters', 0):,} parameters · "
                f"{h.get('device', '?')} · torch {h.get('torch', '?')}")

    def has_quantity(self, quantity: str) -> bool:
        r = self.latest
        return r is not None and r.values(0, quantity) is not None

    def nearest(self, step: int) -> int:
        """Index in ``rows`` of the record nearest to training step ``step``."""
        if not self.rows:
            return 0
        steps = [r.step for r in self.rows]
        return int(np.argmin([abs(s - step) for s in steps]))


@dataclass
class _Points:
    """Scalars per kept record, decimated like the rows."""

    data: dict = field(default_factory=dict)

    def add(self, values: dict) -> None:
        for k, v in values.items():
            self.data.setdefault(k, []).append(v)

    def halve(self) -> None:
        for k in self.data:
            self.data[k] = self.data[k][::2]

    def __len__(self) -> int:
        return len(self.data.get("step", ()))


class WatchRun:
    """One log file followed over time (see the module docstring)."""

    def __init__(self, path: str, max_rows: int = MAX_ROWS, max_points: int = MAX_POINTS) -> None:
        self.path = os.fspath(path)
        self.max_rows = max_rows
        self.max_points = max_points
        self.restarts = 0
        self.restart_note = ""
        self._reset()

    def _reset(self) -> None:
        self.state = "waiting"
        self.message = ""
        self.header: dict | None = None
        self.first_line = b""  # the file's first line, to notice a run written over it
        self.offset = 0
        self.inode = None
        self.buffer = b""
        self.records = 0
        self.garbage = 0
        self.garbage_sample = ""
        self.first: Record | None = None
        self.latest: Record | None = None
        self.rows: list[Record] = []
        self.row_stride = 1
        self.points = _Points()
        self.point_stride = 1
        self.unknown_schema = None

    # -- reading ----------------------------------------------------------------------------
    def poll(self) -> bool:
        """Read what was appended since the last call (at most READ_CHUNK bytes); True when
        anything changed. Never blocks for long and never raises for the file's content."""
        before = (self.records, self.garbage, self.state, self.restarts, self.message)
        try:
            self._poll()
        except OSError as exc:
            self.state = "waiting"
            self.message = f"cannot read {self.path}: {exc.strerror or exc}; trying again"
        return before != (self.records, self.garbage, self.state, self.restarts, self.message)

    def fully_read(self) -> bool:
        try:
            return self.offset >= os.path.getsize(self.path)
        except OSError:
            return True

    def _poll(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self.state != "waiting" or self.records:
                self._restart("the file disappeared; waiting for it to come back")
            self.state = "waiting"
            self.message = f"waiting for {self.path} to appear"
            return
        if os.path.isdir(self.path):
            self.state = "not-a-log"
            self.message = f"{self.path} is a directory, not a log file"
            return
        if self.inode is not None and (st.st_ino, st.st_dev) != self.inode:
            self._restart("the file was replaced: a new run; starting over")
        elif st.st_size < self.offset:
            self._restart("the file was truncated: a new run; starting over")
        elif self.first_line and not self._same_first_line():
            self._restart("a new run was written over the file; starting over")
        self.inode = (st.st_ino, st.st_dev)
        if st.st_size == 0:
            self.state = "empty"
            self.message = f"{self.path} is empty: waiting for the first line"
            return
        if st.st_size <= self.offset:
            return
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read(min(READ_CHUNK, st.st_size - self.offset))
        at_start = self.offset == 0
        self.offset += len(data)
        data = self.buffer + data
        lines = data.split(b"\n")
        if at_start or (not self.first_line and len(lines) > 1):
            self.first_line = lines[0] if len(lines) > 1 else b""
        self.buffer = lines.pop()  # the part after the last newline: wait for its end
        if len(self.buffer) > MAX_LINE:
            self._garbage(self.buffer[:60])
            self.buffer = b""
        for line in lines:
            self._line(line)
        if self.state in ("waiting", "empty"):
            self.state = "reading"
        if self.state == "reading" and self.header is not None:
            self.state = "ok"
        if self.state == "ok":
            more = "" if self.fully_read() else " (reading...)"
            self.message = f"{self.records:,} records{more}"

    def _same_first_line(self) -> bool:
        with open(self.path, "rb") as fh:
            start = fh.read(len(self.first_line) + 1)
        return start == self.first_line + b"\n"

    def _restart(self, why: str) -> None:
        had = self.records or self.header is not None
        restarts = self.restarts + (1 if had else 0)
        self._reset()
        self.restarts = restarts
        if had:
            self.restart_note = why

    def _garbage(self, line: bytes) -> None:
        self.garbage += 1
        self.garbage_sample = line[:60].decode("utf-8", "replace")

    def _line(self, line: bytes) -> None:
        text = line.strip()
        if not text:
            return
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            obj = None
        if not isinstance(obj, dict):
            if self.header is None and self.records == 0 and self.unknown_schema is None \
                    and self.garbage == 0:
                self.state = "not-a-log"
                self.message = (f"{self.path} is not a vgtui watch log: its first line is not "
                                "a vgtui header")
            self._garbage(line)
            return
        if "vgtui_watch" in obj:
            self._header(obj, line)
            return
        if self.state == "unknown-schema":
            return  # records of a run this vgtui cannot read
        if self.header is None:
            if self.state != "not-a-log":
                self.state = "not-a-log"
                self.message = (f"{self.path} is not a vgtui watch log: its first line is not "
                                "a vgtui header")
            self._garbage(line)
            return
        try:
            record = parse_record(obj, int(self.header.get("layers", 1)), keep_params=True)
        except (KeyError, ValueError, TypeError):
            self._garbage(line)
            return
        self._add(record)

    def _header(self, obj: dict, line: bytes) -> None:
        if self.header is not None or self.records:
            # a second header: a new run appended to the same file
            restarts = self.restarts + 1
            kept = (self.offset, self.inode, self.buffer, self.first_line)
            self._reset()
            self.offset, self.inode, self.buffer, self.first_line = kept
            self.restarts = restarts
            self.restart_note = "a new run was appended to the file (new header); starting over"
        version = obj.get("vgtui_watch")
        if version != SCHEMA:
            self.state = "unknown-schema"
            self.unknown_schema = version
            self.message = (f"{self.path}: unknown log schema version {version!r} (this vgtui "
                            f"reads version {SCHEMA}); update vgtui to read it")
            return
        if not isinstance(obj.get("layers", 1), int) or obj.get("layers", 1) < 1:
            self._garbage(line)
            return
        self.header = obj
        self.state = "ok"

    def _add(self, record: Record) -> None:
        self.records += 1
        if self.first is None:
            self.first = record
        self.latest = record
        index = self.records - 1
        if index % self.row_stride == 0:
            self.rows.append(record)
            if len(self.rows) > self.max_rows:
                self.rows = self.rows[::2]
                self.row_stride *= 2
        if index % self.point_stride == 0:
            values = {"step": record.step, "loss": record.loss, "time": record.time}
            for k, lay in enumerate(record.layers):
                values[f"factor{k}"] = lay.lag_factor if lay.lag is not None and \
                    record.lag_steps > 1 else lay.factor
                values[f"reach{k}"] = lay.reach(record.steps)
                values[f"radius{k}"] = lay.radius
                values[f"gate{k}"] = lay.gate
            self.points.add(values)
            if len(self.points) > self.max_points:
                self.points.halve()
                self.point_stride *= 2
        # only the latest record keeps its per-parameter norms
        if len(self.rows) >= 2 and self.rows[-2].params is not None:
            prev = self.rows[-2]
            self.rows[-2] = Record(prev.step, prev.time, prev.loss, prev.steps, prev.bins,
                                   prev.layers, prev.grad_x, prev.lag_steps, None)

    # -- reading it --------------------------------------------------------------------------
    def view(self) -> RunView:
        rows = list(self.rows)
        if self.latest is not None and (not rows or rows[-1] is not self.latest):
            rows.append(self.latest)
        return RunView(
            path=self.path, state=self.state, message=self.message, header=self.header,
            records=self.records, garbage=self.garbage, garbage_sample=self.garbage_sample,
            restarts=self.restarts, restart_note=self.restart_note, first=self.first,
            latest=self.latest, rows=tuple(rows),
            points={k: tuple(v) for k, v in self.points.data.items()},
            alerts=tuple(alerts_for(self.header, self.first, self.latest)),
            stride=self.row_stride)

    def summary(self) -> dict:
        """What ``vgtui watch FILE --json`` prints for this file."""
        return summary_of(self.view())


def alerts_for(header, first: Record | None, latest: Record | None) -> list[Alert]:
    """The latest record judged against the first: the gradient's reach shrinking,
    exploding, and the earliest steps receiving under 1e-8 of the last step's gradient."""
    if latest is None:
        return []
    out = []
    for k, lay in enumerate(latest.layers):
        name = k + 1
        if first is not None and first is not latest:
            was, now = first.layers[k].reach(first.steps), lay.reach(latest.steps)
            if now < SHRINK_SHARE * was:
                out.append(Alert("horizon-shrinking", name,
                                 f"layer {name}: horizon shrinking, {now:.0f} steps at step "
                                 f"{latest.step} against {was:.0f} at step {first.step}",
                                 f"L{name} horizon {was:.0f}→{now:.0f}"))
        if lay.verdict == "exploding" or lay.exploding_horizon is not None \
                or bool(np.isposinf(lay.grad_h).any()):
            out.append(Alert("exploding", name,
                             f"layer {name}: exploding, the gradient grows going back "
                             f"(factor {lay.factor:.3g}/step)", f"L{name} exploding"))
    top_layer = latest.layers[-1]
    if top_layer.lag is not None and latest.lag_steps > 1:
        # a loss over many steps: how far back a loss term still reaches
        own = float(top_layer.lag[0])
        far = next((k for k, v in enumerate(top_layer.lag)
                    if math.isfinite(own) and not math.isnan(v) and v < own - GONE_DECADES), None)
        if far is not None:
            k, _ = latest.step_of_column(far)
            out.append(Alert("early-steps-gone", len(latest.layers),
                             f"loss terms {k - 1}+ steps later reach a step with under 1e-8 "
                             f"of their own step's gradient (top layer)",
                             f"lag {k - 1}+: <1e-8 of lag 0"))
    else:
        last = float(top_layer.grad_h[-1])
        gone = 0
        for v in top_layer.grad_h:
            if not math.isfinite(last) or math.isnan(v) or not (v < last - GONE_DECADES):
                break
            gone += 1
        if gone:
            _, upto = latest.step_of_column(gone - 1)
            span = "step 1" if upto == 1 else f"steps 1-{upto}"
            out.append(Alert("early-steps-gone", len(latest.layers),
                             f"{span} of {latest.steps} get under 1e-8 of step "
                             f"{latest.steps}'s gradient (top layer)",
                             f"t=1..{upto}: <1e-8 of t={latest.steps}"))
    if not math.isfinite(latest.loss):
        out.append(Alert("exploding", None, f"the loss is {latest.loss} at step {latest.step}",
                         f"loss {latest.loss}"))
    return out


def summary_of(view: RunView) -> dict:
    out = {"file": view.path, "state": view.state, "message": view.message,
           "records": view.records, "garbage_lines": view.garbage, "restarts": view.restarts}
    if view.header:
        h = view.header
        out.update({"arch": h.get("arch"), "module": h.get("module"), "layers": h.get("layers"),
                    "hidden": h.get("hidden"), "input_size": h.get("input_size"),
                    "parameters": h.get("parameters"), "device": h.get("device"),
                    "started": h.get("started")})
    first, last = view.first, view.latest
    if first is None or last is None:
        out["alerts"] = []
        return out
    out.update({"first_step": first.step, "last_step": last.step, "steps": last.steps,
                "loss": {"first": _json_float(first.loss), "last": _json_float(last.loss)}})
    layers = []
    for k, (a, b) in enumerate(zip(first.layers, last.layers)):
        entry = {"layer": k + 1,
                 "factor": {"first": _json_float(a.factor), "last": _json_float(b.factor)},
                 "horizon": {"first": a.horizon, "last": b.horizon},
                 "verdict": {"first": a.verdict, "last": b.verdict},
                 "log10_grad_h_first_step": {"first": _json_float(a.grad_h[0]),
                                             "last": _json_float(b.grad_h[0])}}
        if a.lag is not None and b.lag is not None:
            entry["lag_factor"] = {"first": _json_float(a.lag_factor),
                                   "last": _json_float(b.lag_factor)}
            entry["lag_horizon"] = {"first": a.lag_horizon, "last": b.lag_horizon}
        layers.append(entry)
    out["per_layer"] = layers
    out["alerts"] = [a.to_dict() for a in view.alerts]
    return out


def _json_float(value) -> float | None:
    """A float for the summary: None for nan, and the log's own 4 decimals (the history
    holds float32, whose extra digits would only be noise)."""
    value = float(value)
    return None if math.isnan(value) else (value if math.isinf(value) else round(value, 4))


def read_log(path: str) -> WatchRun:
    """Read a whole log once (for ``vgtui watch --json``); LogError when it is missing,
    not a vgtui log, or of an unknown schema."""
    if not os.path.exists(path):
        raise LogError(f"{path}: no such file")
    if os.path.isdir(path):
        raise LogError(f"{path} is a directory, not a log file")
    run = WatchRun(path)
    while True:
        run.poll()
        if run.state in ("not-a-log", "unknown-schema") and run.records == 0:
            raise LogError(run.message)
        if run.fully_read():
            break
    if run.header is None:
        if run.state == "empty":
            raise LogError(f"{path} is empty, not a vgtui watch log")
        raise LogError(run.message or f"{path} is not a vgtui watch log")
    return run


def heat_rows(view: RunView, layer: int, quantity: str, max_rows: int) -> list[tuple[int, np.ndarray]]:
    """(training step, log10 values) for at most ``max_rows`` records spread evenly over
    the history, the first and the latest always among them."""
    rows = [r for r in view.rows if r.values(layer, quantity) is not None]
    if not rows or max_rows <= 0:
        return []
    if len(rows) > max_rows:
        picks = np.unique(np.round(np.linspace(0, len(rows) - 1, max_rows)).astype(int))
        rows = [rows[i] for i in picks]
    return [(r.step, r.values(layer, quantity)) for r in rows]
