"""Widgets of the Watch screen: a heatmap of training step x timestep, and one panel per
followed log. Each draws from an engine ``RunView`` (engine/watchlog.py) and a
``Selection``; nothing here reads files or holds the run's state.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from ..engine.watchlog import ALERT_MARKS, QUANTITY_AXIS, QUANTITY_TITLES, RunView, heat_rows
from ..present.regimes import gradient_verdict_text as verdict_text
from ..present.styles import app_palette
from ..present.watch import Ramp, bucket_max, change, expand_bins, factor_short, spark
from .charts import watch_chart
from .log_chart import LogChart


@dataclass(frozen=True)
class Selection:
    """What every panel shows: a layer (0-based), a quantity ("h", "x", "c", "lag") and a
    training step (None: the latest record, following new ones)."""

    layer: int = 0
    quantity: str = "h"
    step: int | None = None


def selected_index(view: RunView, sel: Selection) -> int | None:
    """Index in ``view.rows`` of the record a selection points at."""
    if not view.rows:
        return None
    if sel.step is None:
        return len(view.rows) - 1
    return view.nearest(sel.step)


class WatchHeatmap(Widget):
    """Rows: records (training steps, oldest at the top); columns: timesteps t = 1..T (or
    lags k = 0..T-1), one glyph per cell from the shared ramp."""

    DEFAULT_CSS = """
    WatchHeatmap { height: 1fr; min-height: 5; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.sel = Selection()
        self.ramp = Ramp(top=1, band=1)

    def show(self, view: RunView, sel: Selection, ramp: Ramp) -> None:
        self.view, self.sel, self.ramp = view, sel, ramp
        self.refresh()

    def render(self) -> Text:
        view, sel = self.view, self.sel
        width, height = self.size.width, self.size.height
        if view is None or not view.rows:
            if view is not None and view.state in STUCK:
                return Text(plain_message(view), style="bold")
            return Text("no records yet", style="dim")
        if not view.has_quantity(sel.quantity):
            return Text(f"this log has no {QUANTITY_TITLES[sel.quantity]}", style="dim")
        layer = min(sel.layer, view.layers - 1)
        rows = heat_rows(view, layer, sel.quantity, max(1, height - 1))
        chosen = selected_index(view, sel)
        chosen_step = view.rows[chosen].step if chosen is not None else None
        if chosen_step is not None and rows and chosen_step not in [s for s, _ in rows]:
            # the selected record always has its row: it replaces the nearest one shown
            near = min(range(len(rows)), key=lambda i: abs(rows[i][0] - chosen_step))
            record = view.rows[chosen]
            rows[near] = (record.step, record.values(layer, sel.quantity))
        by_step = {r.step: r for r in view.rows}
        label_w = max(len(f"{s}") for s, _ in rows)
        cols = max(4, width - label_w - 2)
        palette = app_palette(self)
        text = Text(no_wrap=True, overflow="crop")
        for step, values in rows:
            record = by_step.get(step)
            full = expand_bins(values, record.bins if record is not None else None)
            mark = "▶" if step == chosen_step else " "
            text.append(f"{step:>{label_w}}{mark}", style="bold" if mark != " " else "dim")
            for v in bucket_max(full, cols):
                glyph, role = self.ramp.glyph(v)
                text.append(glyph, style=palette.style(role) or None)
            text.append("\n")
        latest = view.rows[-1]
        axis = QUANTITY_AXIS[sel.quantity]
        first, last = (f"{axis}=1", f"{axis}={latest.steps}") if axis == "t" else \
            (f"{axis}=0", f"{axis}={latest.steps - 1}")
        gap = max(1, cols - len(first) - len(last))
        text.append(" " * (label_w + 1) + first + " " * gap + last, style="dim")
        return text


def fitting(width: int, *variants: str) -> str:
    """The first (longest) variant that fits in ``width``, else the last: texts are cut
    at a separator, never inside a number."""
    for text in variants:
        if len(text) <= width:
            return text
    return variants[-1]


def title_text(view: RunView, width: int = 80) -> str:
    """'rnn.jsonl · LSTM x2 n=128 m=32 · 51 records, step 1,000', shorter when narrow."""
    name = os.path.basename(view.path) or view.path
    h = view.header
    if h is None:
        return name
    layers = f" x{h.get('layers')}" if h.get("layers", 1) != 1 else ""
    cell = f"{h.get('module_type', '?')}{layers}"
    sizes = f"n={h.get('hidden')} m={h.get('input_size')}"
    latest = view.latest
    where = f", step {latest.step:,}" if latest is not None else ""
    count = f"{view.records:,} records"
    return fitting(width, f"{name} · {cell} {sizes} · {count}{where}",
                   f"{name} · {cell} · {count}{where}", f"{name} · {cell} · {count}",
                   f"{name} · {cell}", name)


def layers_text(view: RunView, width: int = 80) -> str:
    """One line per layer: verdict, the per-step factor and the horizon at the first
    record → now, the horizon over training as a sparkline, spectral radius and mean
    gate; as much of it as fits in ``width``."""
    first, latest = view.first, view.latest
    if first is None or latest is None:
        return ""
    gate_name = {"lstm": "forget", "gru": "update"}.get(view.arch, "")
    lines = []
    for k, (a, b) in enumerate(zip(first.layers, latest.layers)):
        lag = b.lag is not None and latest.lag_steps > 1
        fa = a.lag_factor if lag else a.factor
        fb = b.lag_factor if lag else b.factor
        head = f"L{k + 1} {verdict_text(b.verdict).split()[0]}"
        factor = f"factor {change(fa, fb, factor_short)}/step"
        horizon = change(_reach(a, first.steps), _reach(b, latest.steps), str)
        tail = ""
        if math.isfinite(b.radius):
            tail += f" · ρ {b.radius:.2f}"
        if gate_name and math.isfinite(b.gate):
            tail += f" · {gate_name} {b.gate:.2f}"
        base = f"{head} {factor} · horizon {horizon}"
        room = width - len(base) - len(tail) - 1
        trend = spark(list(view.points.get(f"reach{k}", ())), min(24, room)) if room >= 4 else ""
        full = f"{base}{' ' + trend if trend else ''}{tail}"
        lines.append(fitting(width, full, base + tail, base,
                             f"{head} h {horizon} γ {change(fa, fb, factor_short)}",
                             f"{head} h {horizon} γ {factor_short(fb)}", f"{head} h {horizon}",
                             head))
    return "\n".join(lines)


def _reach(layer, steps: int) -> str:
    """The horizon as steps back, '>T-1' when the gradient never falls that far."""
    reach = layer.reach(steps)
    return f">{steps - 1}" if reach >= steps else f"{reach:.0f}"


def loss_text(view: RunView, width: int = 80) -> str:
    losses = list(view.points.get("loss", ()))
    if not losses or view.first is None:
        return ""
    head = f"loss {change(view.first.loss, view.latest.loss, lambda v: f'{v:.4g}')}"
    room = width - len(head) - 1
    trend = spark(losses, room) if room >= 4 else ""
    return fitting(width, f"{head} {trend}" if trend else head, head,
                   f"loss {view.latest.loss:.3g}")


def notes_lines(view: RunView, width: int = 80) -> list[str]:
    """Alerts first, then what the reader skipped or noticed; one line each, fitted to
    ``width`` (a short form in narrow panels)."""
    lines = [fitting(width, f"{ALERT_MARKS.get(a.kind, '!')} {a.text}",
                     f"{ALERT_MARKS.get(a.kind, '!')} {a.short or a.kind}") for a in view.alerts]
    if view.restarts:
        lines.append(fitting(width, f"↻ {view.restart_note} (restarts: {view.restarts})",
                             f"↻ restarted: starting over ({view.restarts})", "↻ restarted"))
    trouble = view.state in STUCK
    if view.garbage and view.state != "not-a-log":
        many = "s" if view.garbage != 1 else ""
        lines.append(fitting(width, f"✗ {view.garbage} line{many} skipped (not a record): "
                                    f"{view.garbage_sample!r}",
                             f"✗ {view.garbage} line{many} skipped", f"✗ {view.garbage} skipped"))
    if trouble and view.rows and (view.header is None or view.state == "unknown-schema"):
        # (with no records the heatmap says it in full)
        lines.append(fitting(width, plain_message(view), STATE_WORDS[view.state]))
    return lines


def notes_text(view: RunView, width: int = 80) -> str:
    return "\n".join(notes_lines(view, width))


STUCK = ("waiting", "empty", "not-a-log", "unknown-schema")
STATE_WORDS = {"waiting": "waiting for the file", "empty": "empty: waiting",
               "not-a-log": "not a vgtui log", "unknown-schema": "unknown schema version"}


def plain_message(view: RunView) -> str:
    """The reader's state in words; the panel's title names the file, so the message
    does not repeat its path."""
    return view.message.replace(view.path, "the file")


class RunPanel(Vertical):
    """One followed log: title, heatmap, the selected record's curve against the first
    record's, per-layer factor and horizon over training, loss, alerts."""

    DEFAULT_CSS = """
    RunPanel { width: 1fr; height: 1fr; padding: 0 1 0 0; }
    RunPanel > .watch-title { height: auto; max-height: 2; text-style: bold; }
    RunPanel > WatchHeatmap { height: 1fr; min-height: 4; }
    RunPanel > LogChart { height: 6; min-height: 5; }
    RunPanel > .watch-text { height: auto; }
    RunPanel > .watch-notes { height: 0; color: $text-warning; }
    """

    def __init__(self, path: str, generation: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.generation = generation  # which set of files (the screen's) this panel shows
        self.view: RunView | None = None
        self.sel = Selection()
        self.ramp = Ramp(top=1, band=1)

    def compose(self) -> ComposeResult:
        yield Static(os.path.basename(self.path), classes="watch-title")
        yield WatchHeatmap()
        yield LogChart(x_label="t", empty_text="waiting for the first record...")
        yield Static("", classes="watch-text watch-layers")
        yield Static("", classes="watch-text watch-loss")
        yield Static("", classes="watch-notes")

    def text_width(self) -> int:
        return max(12, (self.content_region.width or self.app.size.width) - 1)

    def show(self, view: RunView, sel: Selection, ramp: Ramp) -> None:
        self.view, self.sel, self.ramp = view, sel, ramp
        width = self.text_width()
        self.query_one(".watch-title", Static).update(Text(title_text(view, width)))
        self.query_one(WatchHeatmap).show(view, sel, ramp)
        self.query_one(LogChart).x_label = QUANTITY_AXIS[sel.quantity]
        self._curve(view, sel, width)
        self.query_one(".watch-layers", Static).update(Text(layers_text(view, width)))
        self.query_one(".watch-loss", Static).update(Text(loss_text(view, width)))
        self.query_one(".watch-notes", Static).update(Text(notes_text(view, width)))

    def on_resize(self) -> None:
        # texts are fitted to the width, which is known only once laid out: draw again
        redraw = getattr(self.screen, "draw", None)
        if self.view is not None and redraw is not None:
            self.call_after_refresh(redraw)

    def set_notes_height(self, lines: int) -> None:
        """The same height in every panel side by side, so their charts line up."""
        self.query_one(".watch-notes", Static).styles.height = max(0, lines)


    def _curve(self, view: RunView, sel: Selection, width: int = 80) -> None:
        widget = self.query_one(LogChart)
        index = selected_index(view, sel)
        word = "step " if width >= 40 else ""  # narrow: the bare steps, as on the rows
        chart = None if index is None else watch_chart(view, sel.layer, sel.quantity, index,
                                                       word)
        if chart is None:
            # an empty chart says why: nothing read yet, or a quantity this cell lacks
            lacks = bool(view.rows) and not view.has_quantity(sel.quantity)
            widget.empty_text = (f"this log has no {QUANTITY_TITLES[sel.quantity]}" if lacks
                                 else "waiting for the first record...")
            widget.set_series()
            widget.refresh()  # the series may have been empty already
            return
        widget.set_series(*chart.series, x_start=chart.x_start)

