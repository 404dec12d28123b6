"""Watch: follow the logs ``vgtui.Probe`` writes while your own model trains.

The screen is thin on purpose: reading, following and judging the logs is the engine's
(engine/watchlog.py, one ``WatchRun`` per file); a timer asks a thread worker to poll
them twice a second, and the views it hands back are drawn by the panels in
widgets/watch.py. The screen keeps only what to show: layer, quantity and record.
"""
from __future__ import annotations

import glob
import os
import shlex
import threading
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from ..engine.watchlog import QUANTITIES, QUANTITY_TITLES, WatchRun
from ..present.watch import ramp_for_arrays
from ..widgets.keys import HIDDEN, LEAVE_FIELD, key_table
from ..widgets.watch import RunPanel, Selection, notes_lines, selected_index
from .base import PageScreen

POLL_SECONDS = 0.5  # new records appear within this (plus the read itself)
READ_BUDGET_S = 0.25  # one poll reads at most about this long before drawing
SAMPLES = ("rnn", "lstm", "gru")

HELP = """\
**What it shows.** The logs that `vgtui.Probe` writes while your own RNN, LSTM or GRU
trains: every few training steps the probe measures the gradient of your loss at every
timestep of every layer, and appends one JSON line. This screen follows those files as
they grow (start it before, during or after training; over SSH it is the second pane of
a tmux window). Several files sit side by side, to compare runs (RNN against LSTM).

**How to read the heatmap.** One row per record, that is per measured training step
(the oldest at the top, the latest at the bottom; `▶` marks the record on show). One
column per timestep `t` of the measured sequence: `t = 1`, the earliest input, on the
left, `t = T` on the right (long sequences share columns; each column shows its
largest value). A cell is the gradient's norm at that step, drawn with one glyph per
band of decades, from `▁` (small) to `█` (large); the legend above names the lowest
decade of each band. `·` is below the legend, a blank cell is exactly 0, `?` undefined.
Colour repeats the glyph's height, so the map reads the same without it.

- A **vanishing** gradient is a row high on the right that falls away to the left: the
  early inputs get almost nothing of the loss's gradient.
- A row whose **left side rises** as training goes on: the network is learning to carry
  information (and gradient) across the sequence.
- `█` spreading to the left, with ▲ alerts: **exploding**.

**Quantities** (`v` cycles; `h`, `x`, `k` pick one): `‖dL/dh_t‖` of the chosen layer
(`l` cycles layers; the total gradient, including what the loss adds at every step);
`‖dL/dc_t‖`, the LSTM's cell state; `‖dL/dx_t‖`, each input position; and the **lag
profile**, whose column `k` is how much of a step's gradient comes from loss terms `k`
steps later (for a loss at the last step only, it is the gradient read backwards from
T). Norms over a batch are Frobenius norms over the batch and the units.

**Below the heatmap**: the record on show (●) against the first record (·) on a decade
axis; per layer the verdict, the fitted per-step factor and the horizon (steps back
until the gradient is under 1e-6 of its value at T; for a loss over many steps, of the
lag profile) at the first record → now, with the horizon over training as a sparkline,
the spectral radius of W_hh's candidate block and the mean forget (LSTM) or update
(GRU) gate; the loss over training.

**Alerts**: ▼ *horizon shrinking* (under 80% of the first record's), ▲ *exploding* (an
exploding verdict or horizon, an infinite gradient or loss), · *early steps gone* (the
earliest steps get under 1e-8 of the last step's gradient). Lines that are not records
are skipped and counted; a run restarted into the same file (truncated, replaced, or a
new header) is noticed and read from its start.

**Keys.** `←`/`→` previous/next record, `Home`/`End` first/latest (`End` follows new
records again), `l` layer, `v` quantity, `o` type log paths (globs work), `s` opens the
sample logs that come with vgtui.

**In your training loop:**

```python
probe = vgtui.Probe(model, "runs/lstm.jsonl", every=50)
for step, (x, y) in enumerate(batches):
    ...                       # forward, backward, optimizer step as usual
    probe.observe(step, x, lambda out: loss_fn(out, y))
```

Then `vgtui watch runs/*.jsonl`, or `vgtui watch runs/lstm.jsonl --json` for a summary.
"""


class WatchBody(Vertical):
    """The page body; focusable, so keys reach the screen once the path field is left."""

    can_focus = True


def sample_paths() -> list[str]:
    """The logs shipped with vgtui: examples/train_adding.py at T = 50, short."""
    here = os.path.join(os.path.dirname(os.path.dirname(__file__)), "samples")
    return [os.path.join(here, f"adding-{name}.jsonl") for name in SAMPLES]


def expand_paths(text: str) -> list[str]:
    """Paths typed in the field: shell-like words, ~ and globs expanded (a glob that
    matches nothing stays as typed: the screen waits for that file)."""
    out = []
    for word in shlex.split(text):
        word = os.path.expanduser(word)
        if "\x00" in word:
            raise ValueError("a path cannot hold a NUL character")
        matches = sorted(glob.glob(word)) if any(c in word for c in "*?[") else []
        out.extend(matches or [word])
    return out


class WatchScreen(PageScreen):
    SCREEN_ID = "watch"
    TITLE = "Watch training"
    HELP = HELP
    DEMO = ("Watch training: the logs vgtui.Probe wrote while an RNN, an LSTM and a GRU "
            "learned the adding problem (T = 50). Each heatmap row is a training step, each "
            "column a timestep; the RNN's left side stays low, the gated cells' rises.")
    AUTO_FOCUS = "#watch-body"

    BINDINGS = key_table(
        "watch",
        ("left", "move(-1)", "◀ record", "previous", "Show the previous record"),
        ("right", "move(1)", "record ▶", "next", "Show the next record"),
        ("home", "first", "first", "first", "Show the first record", HIDDEN),
        ("end", "latest", "latest", "latest", "Show the latest record and follow new ones"),
        ("l", "next_layer", "layer", "layer", "Show the next layer"),
        ("v", "next_quantity", "quantity", "quantity",
         "Cycle dL/dh, dL/dc, dL/dx and the lag profile"),
        ("h", "quantity('h')", "dL/dh", "h", "Show ||dL/dh_t||", HIDDEN),
        ("x", "quantity('x')", "dL/dx", "x", "Show ||dL/dx_t||", HIDDEN),
        ("k", "quantity('lag')", "lag", "lag", "Show the lag profile", HIDDEN),
        ("o", "open", "open", "open", "Type the paths of logs to follow"),
        ("s", "samples", "samples", "samples", "Open the sample logs that come with vgtui", HIDDEN),
        LEAVE_FIELD,
    )

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[WatchRun] = []
        self.views: list = []
        self.sel = Selection()
        self._generation = 0  # bumped when the set of files changes: late polls are dropped
        self._poll_lock = threading.Lock()
        self._polled = True
        self._timer = None

    def compose_page(self) -> ComposeResult:
        with WatchBody(id="watch-body"):
            yield Input(placeholder="log files to follow (paths or globs, e.g. runs/*.jsonl), "
                                    "Enter opens them", id="watch-open")
            yield Static("", id="watch-legend")
            yield Horizontal(id="watch-runs")
            yield Static("", id="watch-empty", classes="note")

    def on_mount(self) -> None:
        files = list(getattr(self.app, "watch_files", None) or [])
        self.call_after_refresh(self.open_files, files)

    def has_result(self) -> bool:
        return self._polled

    # -- files --------------------------------------------------------------------------
    def open_files(self, paths: list[str]) -> None:
        self._generation += 1
        runs_box = self.query_one("#watch-runs", Horizontal)
        runs_box.remove_children()
        self.runs = [WatchRun(p) for p in paths]
        self.views = []
        self.sel = Selection()
        empty = self.query_one("#watch-empty", Static)
        self.query_one("#watch-open", Input).display = not paths
        if not paths:
            self._polled = True
            empty.update("No log to follow. Start one from your training loop with "
                         "vgtui.Probe(model, \"runs/run.jsonl\") and run `vgtui watch "
                         "runs/*.jsonl`, or type paths above (o), or press s for the sample "
                         "logs (an RNN, an LSTM and a GRU learning the adding problem). F1 "
                         "explains the screen.")
            empty.display = True
            self.query_one("#watch-legend", Static).update("")
            self.status.show(message="no log open", error=False)
            return
        empty.display = False
        # panels of the files before are still being removed: each knows its generation
        runs_box.mount_all([RunPanel(p, generation=self._generation) for p in paths])
        self._polled = False
        self.status.show(message=f"reading {len(paths)} log{'s' if len(paths) > 1 else ''}...",
                         error=False)
        if self._timer is None:
            self._timer = self.set_interval(POLL_SECONDS, self._tick)
        self._tick()

    @on(Input.Submitted, "#watch-open")
    def _paths_typed(self, event: Input.Submitted) -> None:
        try:
            paths = expand_paths(event.value)
        except ValueError as exc:
            self.status.show(message=f"✗ {exc}", error=True)
            return
        if not paths:
            self.status.show(message="✗ type at least one path", error=True)
            return
        self.open_files(paths)
        self.query_one("#watch-body").focus()

    # -- following ----------------------------------------------------------------------
    def _tick(self) -> None:
        if self.runs:
            self._poll(self.runs, self._generation)

    @work(thread=True, group="watch-poll", exit_on_error=False)
    def _poll(self, runs: list[WatchRun], generation: int) -> None:
        # one poller at a time: a WatchRun is only ever touched by the thread holding this
        if not self._poll_lock.acquire(blocking=False):
            return
        try:
            changed = False
            deadline = time.monotonic() + READ_BUDGET_S
            for run in runs:
                while True:
                    changed |= run.poll()
                    if run.fully_read() or time.monotonic() > deadline:
                        break
            views = [run.view() for run in runs]
        finally:
            self._poll_lock.release()
        if changed or not self._polled:
            self.app.call_from_thread(self._deliver_views, views, generation)

    def _deliver_views(self, views, generation: int) -> None:
        if generation != self._generation:
            return  # the files changed since this poll began
        self.views = views
        try:
            self.draw()
        finally:
            self._polled = True

    # -- drawing ------------------------------------------------------------------------
    def draw(self) -> None:
        views = self.views
        if not views:
            return
        layer = self.sel.layer
        rows = [r.values(min(layer, v.layers - 1), self.sel.quantity)
                for v in views for r in v.rows if v.has_quantity(self.sel.quantity)]
        ramp = ramp_for_arrays(rows)
        panels = [p for p in self.query(RunPanel) if p.generation == self._generation]
        height = 0
        for panel, view in zip(panels, views):
            panel.show(view, self.sel, ramp)
            height = max(height, len(notes_lines(view, panel.text_width())))
        for panel in panels:
            panel.set_notes_height(height)
        layers = max(v.layers for v in views)
        where = "latest record (following)" if self.sel.step is None else \
            f"record at step {self.sel.step:,}"
        legend = " ".join(f"{g}{label}" for g, _, label in ramp.legend())
        self.query_one("#watch-legend", Static).update(Text(
            f"{QUANTITY_TITLES[self.sel.quantity]} · layer {min(layer, layers - 1) + 1} of "
            f"{layers} · {where}\n{legend} · blank = 0"))
        counts = " / ".join(f"{v.records:,}" for v in views)
        first = next((v.header for v in views if v.header), None) or {}
        self.status.show(device=first.get("device", "device ?"),
                         dtype=f"torch {first['torch']}" if first.get("torch") else "",
                         message=f"following {len(views)} log{'s' if len(views) > 1 else ''}: "
                                 f"{counts} records", error=False)

    def on_resize(self, event) -> None:
        super().on_resize(event)
        self.call_after_refresh(self.draw)  # texts are fitted to the panels' new widths

    # -- keys ---------------------------------------------------------------------------
    def _primary(self):
        return next((v for v in self.views if v.rows), None)

    def action_move(self, delta: int) -> None:
        view = self._primary()
        if view is None:
            return
        index = selected_index(view, self.sel)
        index = max(0, min(len(view.rows) - 1, index + int(delta)))
        step = None if index == len(view.rows) - 1 and int(delta) > 0 else view.rows[index].step
        self.sel = Selection(self.sel.layer, self.sel.quantity, step)
        self.draw()

    def action_first(self) -> None:
        view = self._primary()
        if view is not None:
            self.sel = Selection(self.sel.layer, self.sel.quantity, view.rows[0].step)
            self.draw()

    def action_latest(self) -> None:
        self.sel = Selection(self.sel.layer, self.sel.quantity, None)
        self.draw()

    def action_next_layer(self) -> None:
        layers = max((v.layers for v in self.views), default=1)
        self.sel = Selection((self.sel.layer + 1) % layers, self.sel.quantity, self.sel.step)
        self.draw()

    def _available(self) -> list[str]:
        return [q for q in QUANTITIES if any(v.has_quantity(q) for v in self.views)]

    def action_next_quantity(self) -> None:
        available = self._available() or ["h"]
        order = [q for q in ("h", "c", "x", "lag") if q in available]
        now = self.sel.quantity
        nxt = order[(order.index(now) + 1) % len(order)] if now in order else order[0]
        self.action_quantity(nxt)

    def action_quantity(self, quantity: str) -> None:
        if self.views and quantity not in self._available():
            why = "no LSTM among these logs" if quantity == "c" else "not in these logs"
            self.status.show(message=f"✗ {QUANTITY_TITLES[quantity]}: {why}", error=True)
            return
        self.sel = Selection(self.sel.layer, quantity, self.sel.step)
        self.draw()

    def action_open(self) -> None:
        field = self.query_one("#watch-open", Input)
        field.display = True
        field.focus()

    def action_samples(self) -> None:
        self.open_files(sample_paths())

    def action_leave_field(self) -> None:
        self.query_one("#watch-body").focus()

    # -- commands -------------------------------------------------------------------------
    def cli_command(self) -> str | None:
        if not self.runs:
            return None
        return "vgtui watch " + " ".join(shlex.quote(r.path) for r in self.runs) + " --json"

    def demo_prepare(self) -> None:
        self.open_files(sample_paths())

    def palette_commands(self):
        return [
            ("Watch: open the sample logs", "an RNN, an LSTM and a GRU on the adding problem",
             self.action_samples),
            ("Watch: type log paths", "follow other files", self.action_open),
            ("Watch: next layer", "show the next layer", self.action_next_layer),
            ("Watch: next quantity", "dL/dh, dL/dc, dL/dx, lag profile",
             self.action_next_quantity),
            ("Watch: latest record", "and follow new ones", self.action_latest),
        ]
