"""Decay tables: factor^T in closed form, and the same question measured on real RNNs.

Two tabs. *Closed form*: editable lists of factors and lengths give a table of
factor^T, each cell marked ▼ ■ ▲, how many steps each factor needs to lose 90%,
99.9%, 99.9999%, and the articles' own decay figures recomputed. *Measured*: a
grid of weight scales by activations, all run in one batched engine call, with
the measured ratio ||dL/dh_1|| / ||dL/dh_T|| beside what the eigenvalue x mean
derivative shortcut predicts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Label, ProgressBar, Static, TabbedContent, TabPane

from ..engine import closed_form as cf
from ..engine.articles import ARTICLE_PHRASES as ARTICLES
from ..engine.articles import ARTICLE_SHORT, DECAY_FIGURES
from ..engine.config import RNNConfig
from ..engine.figure_checks import check_all
from ..engine.lists import format_list, short_number
from ..engine.magnitude import format_log10
from ..engine.sweep import (
    DEFAULT_ACTIVATIONS,
    DEFAULT_SCALES,
    SweepSpec,
    parse_scales,
    parse_sweep_activations,
    run_sweep,
)
from ..present.articles import figure_check_mark, figure_check_words
from ..present.regimes import factor_text, marked, steps_text
from ..present.styles import REGIME_ROLES
from ..topics import topic
from ..widgets.controls import ControlPanel, PanelField
from ..widgets.status_line import stable_output
from ..widgets.tables import FitTable, rebuild
from ..widgets.keys import HIDDEN, key_table
from .config_page import ConfigPage, Job, Section

PROGRESS_AFTER = 0.2  # seconds before a running sweep shows its progress bar

CLOSED_FIELDS = (
    PanelField("factors", "factors", cf.parse_factors, cf.FACTORS.describe(), text=format_list),
    PanelField("lengths", "lengths T", cf.parse_lengths, cf.LENGTHS.describe(), text=format_list),
)
MEASURED_FIELDS = (
    PanelField.setting("steps", "steps T", low=2),
    PanelField.setting("hidden", "hidden n"),
    PanelField.setting("seed"),
)
GRID_FIELDS = (
    PanelField("scales", "scales", parse_scales, "weight scales, e.g. 0.5,1,1.5",
               text=format_list),
    PanelField("activations", "activations", parse_sweep_activations,
               "any of tanh, sigmoid, relu, leaky_relu, identity", text=",".join),
)
MEASURED_NAMES = ("steps", "hidden", "seed", "scales", "activations")


@dataclass(frozen=True)
class DecaySettings:
    factors: tuple[float, ...]
    lengths: tuple[int, ...]
    sweep: SweepSpec


@dataclass
class DecayView:
    table: Any  # closed_form.DecayTable
    sweep: Any  # sweep.SweepResult

HELP = """\
**What it shows.** Two tabs (`a` and `m`).

*Closed form* (`a`): every factor (rows) raised to every length T (columns). A gradient
that is multiplied by the same factor at every step back through time is left with
`factor^T` after T steps. Each cell is marked so it reads without colour:
▼ *vanishing* (0.1 or less: over 90% of the signal lost), ■ *within 10×* (between 0.1
and 10: after T steps the signal is less than ten times smaller or larger; a factor of 1.1
still grows and 0.7 still shrinks, only not yet by 10×), ▲ *exploding* (10 or more). Below: the steps each factor needs to lose 90%, 99.9% and
99.9999% (or, above one, to grow 10, 1000 and a million times), and the decay figures
the source articles print, recomputed, with a note wherever an article's figure is off.

*Measured* (`m`): real vanilla RNNs, `h_t = f(W_hh h_(t-1) + W_xh x_t)`, one per cell:
rows of weight scales (W_hh is N(0, 1/n) times the scale), columns of activations, all
sharing T, hidden size n and seed, computed in **one batched engine call**.
- *(b) measured*: `||dL/dh_1|| / ||dL/dh_T||` for the loss `L = sum(h_T)` and the fitted
  per-step factor (a straight line through `log ||dL/dh_t||`).
- *(c) the shortcut*: the spectral radius of `W_hh` (largest |eigenvalue|) times the mean
  activation derivative over units and steps 2..T (the steps a gradient from `h_T` to
  `h_1` passes through), and the ratio that multiplier alone predicts,
  `multiplier^(T-1)`. The side-by-side table says how many decades the shortcut is off.

**How to read it.** A factor of 0.9 looks harmless for 10 steps and is ruinous for 100.
In the measured tab, look down the sigmoid column first (its derivative is at most 0.25),
then compare (b) with (c) cell by cell: for identity, a linear network, the shortcut
has only the eigenvalue to get right; for tanh and ReLU the derivatives and the
direction of the gradient change from step to step, and the shortcut can miss by many
decades, sometimes with the opposite verdict.

**Things to try.**
- Factors `0.5,0.9` and lengths `20`: the two differ by five orders of magnitude.
- A product: `0.9*0.5` is an eigenvalue of 0.9 times a derivative of 0.5 (the RNN lesson).
- Lengths `5000`: `2^5000` and `0.5^5000` are shown exactly, far beyond float range.
- Measured: scales `1,2,4,6,8` with activations `sigmoid,tanh`: sigmoid needs a much
  larger weight before it stops vanishing.
- Raise T to 200 and watch the ▼ cells sink by many more decades.

Keys: `a` closed form · `m` measured · `f` edit factors · `l` edit lengths · `d` restore
defaults · `p` next preset · Esc leaves an input.

The same numbers: `vgtui decay --factors 0.5,0.9 --steps 10,20,50` and
`vgtui decay --measured --activations tanh,sigmoid --scales 0.5,1,1.5 --steps 50 --hidden 64`.
"""


class DecayScreen(ConfigPage):
    SCREEN_ID = "decay"
    TITLE = "Decay tables"
    HELP = HELP
    DEMO = ("Decay tables: every factor raised to every length. 0.9 keeps a third of the "
            "signal after 10 steps and almost nothing after 100; the measured tab (m) runs real "
            "RNNs and sets the shortcut 'eigenvalue times derivative' beside them.")
    AUTO_FOCUS = "#decay-table"
    PREFIX = "decay"
    CONTROLS = (Section("closed form", CLOSED_FIELDS, "closed-panel"),
                Section("measured", MEASURED_FIELDS, "measured-panel"),
                Section("grid", GRID_FIELDS, "grid-panel"))
    PRESETS = topic("decay").presets
    DEFAULT_PRESET = "default"
    DEMO_PRESET = "default"
    KEEP_ON_PRESET = MEASURED_NAMES  # the presets are about the closed-form lists
    DEBOUNCE = 0.3
    FIRST_MESSAGE = "computing the first measured table (torch is loading)..."
    BINDINGS = key_table(
        "decay",
        ("a", "show_tab('tab-closed')", "closed form", "closed", "Show the closed-form table"),
        ("m", "show_tab('tab-measured')", "measured", "measured",
         "Show the measured table of real RNNs"),
        ("f", "edit('factors')", "factors", "factors", "Edit the list of factors", HIDDEN),
        ("l", "edit('lengths')", "lengths", "lengths", "Edit the list of lengths", HIDDEN),
    )

    def __init__(self) -> None:
        self._progress_timer: Timer | None = None
        super().__init__()

    @property
    def table(self):
        return self.result.table if self.result is not None else None

    @property
    def sweep(self):
        return self.result.sweep if self.result is not None else None

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        base = RNNConfig()
        return {"factors": cf.DEFAULT_FACTORS, "lengths": cf.DEFAULT_LENGTHS,
                "steps": base.steps, "hidden": base.hidden, "seed": base.seed,
                "scales": DEFAULT_SCALES, "activations": DEFAULT_ACTIVATIONS}

    def make_config(self, values) -> DecaySettings:
        base = RNNConfig().replace(steps=values["steps"], hidden=values["hidden"],
                                   seed=values["seed"])
        spec = SweepSpec(tuple(values["scales"]), tuple(values["activations"]), base)
        return DecaySettings(tuple(float(f) for f in values["factors"]),
                             tuple(values["lengths"]), spec)

    def working_label(self, c: DecaySettings) -> str:
        spec = c.sweep
        if self.sweep is not None and self.sweep.spec == spec:
            return "computing the closed-form table"
        cells = len(spec.scales) * len(spec.activations)
        return (f"measuring {cells} RNNs in one batch (T={spec.base.steps}, "
                f"n={spec.base.hidden})")

    def compute(self, c: DecaySettings, job: Job) -> DecayView:
        table = cf.decay_table(c.factors, c.lengths)
        previous = self.result  # the sweep is only run again when its settings change
        if previous is not None and previous.sweep.spec == c.sweep:
            return DecayView(table, previous.sweep)
        last = [-1.0]

        def progress(fraction: float) -> None:
            if fraction - last[0] >= 0.02:
                last[0] = fraction
                job.progress(fraction)

        return DecayView(table, run_sweep(c.sweep, progress=progress, cancel=job.cancelled))

    def result_status(self, view: DecayView) -> dict:
        r = view.sweep
        return {"device": r.device, "dtype": r.dtype, "seconds": r.seconds}

    # -- layout ------------------------------------------------------------------------
    def compose_page(self) -> ComposeResult:
        v = self._initial
        with TabbedContent(id="decay-tabs", initial="tab-closed"):
            with TabPane("closed form  factor^T", id="tab-closed"):
                with VerticalScroll(id="decay-closed"):
                    with Horizontal(classes="field-line preset-line"):
                        yield Label("preset", classes="field-label")
                        yield self.preset_select()
                    yield ControlPanel(CLOSED_FIELDS, v, id="decay-closed-panel",
                                       classes="inline")
                    yield self.preset_note()
                    yield Static("", id="decay-legend")
                    yield FitTable(id="decay-table")
                    yield Label("steps to lose (or gain) a share of the signal", classes="section")
                    yield FitTable(id="decay-steps")
                    yield Label("decay figures printed in the articles, recomputed",
                                classes="section")
                    yield FitTable(id="decay-articles")
                    yield Static(" · ".join(f"{ARTICLE_SHORT[k]}: {v}" for k, v in ARTICLES.items()),
                                 classes="note")
            with TabPane("measured on real RNNs", id="tab-measured"):
                with VerticalScroll(id="decay-measured-pane"):
                    yield ControlPanel(MEASURED_FIELDS, v, id="decay-measured-panel",
                                       classes="inline")
                    yield ControlPanel(GRID_FIELDS, v, id="decay-grid-panel", classes="inline")
                    yield ProgressBar(total=1.0, show_eta=False, id="decay-progress")
                    yield Static(self.FIRST_MESSAGE, id="decay-measured-note")
                    yield Label("(b) measured ||dL/dh_1|| / ||dL/dh_T||  ×fitted factor per step",
                                classes="section")
                    yield FitTable(id="decay-measured")
                    yield Label("(c) the shortcut alone: ρ(W_hh) × mean f'  →  its ratio "
                                "multiplier^(T−1)", classes="section")
                    yield FitTable(id="decay-multiplier")
                    yield Label("side by side: measured against the shortcut", classes="section")
                    yield FitTable(id="decay-compare")

    def setup_tables(self) -> None:
        self.query_one("#decay-progress", ProgressBar).display = False
        self.query_one("#decay-legend", Static).update(
            "▼ vanishing: 0.1 or less (over 90% lost) · ■ within 10×: between 0.1 and 10 "
            "(not yet 10× down or up after T steps) · ▲ exploding: 10 or more")
        steps = self.query_one("#decay-steps", DataTable)
        steps.add_column("factor", key="factor")
        steps.add_column("per step", key="per")
        for d in cf.LOSS_DECADES:
            steps.add_column(f"{cf.lost_label(d)} lost", key=f"lose{d}")
        for d in cf.LOSS_DECADES:
            steps.add_column(f"×1e{d}", key=f"grow{d}")
        steps.add_column("steps per ×10", key="decade")
        self.query_one("#decay-articles", FitTable).add_keyed_columns(
            "", "article", "figure", "article says", "computed", "verdict", "where")
        self.query_one("#decay-compare", FitTable).add_keyed_columns(
            "activation", "scale", "ρ(W_hh)", "mean f'", "ρ × f'", "shortcut ratio",
            "measured ratio", "fitted factor", "shortcut off by")
        self._draw_articles()
        # focusing the table on mount may scroll the input line out of view; undo that
        self.call_after_refresh(self.query_one("#decay-closed").scroll_home, animate=False)

    # -- drawing and progress ---------------------------------------------------------
    def draw(self, view: DecayView) -> None:
        self._hide_progress()
        self._draw_closed(view.table)
        self._draw_measured(view.sweep)

    def redraw(self) -> None:
        # not draw(): that also hides the progress bar of a sweep still computing
        if self.result is not None:
            self._draw_closed(self.result.table)
            self._draw_measured(self.result.sweep)
        self._draw_articles()

    def _launch(self, key) -> None:
        super()._launch(key)
        if self.sweep is None or self.sweep.spec != key[0].sweep:
            self.query_one("#decay-progress", ProgressBar).update(progress=0.0)
            if self._progress_timer is not None:
                self._progress_timer.stop()
            self._progress_timer = self.set_timer(PROGRESS_AFTER, self._show_progress)

    def _show_progress(self) -> None:
        if self._serial_settled < self._serial:
            self.query_one("#decay-progress", ProgressBar).display = True

    def _hide_progress(self) -> None:
        if self._progress_timer is not None:
            self._progress_timer.stop()
            self._progress_timer = None
        self.query_one("#decay-progress", ProgressBar).display = False

    def show_progress(self, fraction: float, text: str) -> None:
        self.query_one("#decay-progress", ProgressBar).update(progress=fraction)

    def show_compute_error(self, message: str) -> None:
        self._hide_progress()
        super().show_compute_error(message)

    def _draw_closed(self, table: cf.DecayTable) -> None:
        palette = self.palette
        rebuild(self.query_one("#decay-table", DataTable),
                ["factor"] + [f"T={t:,}" for t in table.lengths],
                [[Text(short_number(f), style="bold")]
                 + [Text(marked(c.regime, format_log10(c.log10_value)),
                         style=palette.style(REGIME_ROLES[c.regime]), justify="right")
                    for c in row]
                 for f, row in zip(table.factors, table.cells)])
        steps = self.query_one("#decay-steps", DataTable)
        steps.clear()
        for s in table.summaries:
            per = (f"-{100 * (1 - s.gamma):.4g}%" if s.gamma < 1 else
                   f"+{100 * (s.gamma - 1):.4g}%" if s.gamma > 1 else "±0%")
            steps.add_row(short_number(s.gamma), per,
                          *[Text(steps_text(k), justify="right") for _, k in s.steps_to_lose],
                          *[Text(steps_text(k), justify="right") for _, k in s.steps_to_grow],
                          "—" if s.exact_steps_per_decade is None else
                          f"{s.exact_steps_per_decade:.4g}")

    def _draw_articles(self) -> None:
        table = self.query_one("#decay-articles", DataTable)
        table.clear()
        for c in check_all(DECAY_FIGURES):
            style = self.palette.style(c.verdict)  # the check's verdict is its role
            table.add_row(Text(figure_check_mark(c), style=style), ARTICLE_SHORT.get(c.figure.article, c.figure.article), c.figure.expression,
                          c.figure.stated, format_log10(c.computed.log10, 4),
                          Text(figure_check_words(c), style=style), c.figure.context)

    def _draw_measured(self, result) -> None:
        spec = result.spec
        c = spec.base
        self.query_one("#decay-measured-note", Static).update(
            f"{len(result.cells)} RNNs in one batch: {c.init} W_hh × scale, n={c.hidden}, "
            f"T={c.steps}, inputs N(0, 1) of size {c.input_size}, seed {c.seed}, loss sum(h_T); "
            f"{result.device}/{result.dtype}"
            + ("." if stable_output() else f", {result.seconds * 1000:.0f} ms.") + "\n"
            "▼ vanishing · ■ near-stable · ▲ exploding (factor against 0.98..1.02; a 1e-6 or "
            "1e6 horizon inside the run decides first for measured cells)")
        grids = {"#decay-measured": "measured", "#decay-multiplier": "shortcut"}
        palette = self.palette
        for selector, which in grids.items():
            rows = []
            for s in spec.scales:
                row = [Text(f"{s:g}", style="bold")]
                for a in spec.activations:
                    cell = result.cell(a, s)
                    if which == "measured":
                        text = f"{format_log10(cell.log10_ratio, 1)} ×{factor_text(cell.factor, 3)}"
                        regime = cell.verdict
                    else:
                        text = f"{cell.multiplier:.3f}→{format_log10(cell.log10_implied_ratio, 1)}"
                        regime = cell.multiplier_verdict
                    row.append(Text(marked(regime, text), style=palette.style(REGIME_ROLES[regime]),
                                    justify="right"))
                rows.append(row)
            rebuild(self.query_one(selector, DataTable), ["scale", *spec.activations], rows)
        compare = self.query_one("#decay-compare", DataTable)
        compare.clear()
        for cell in result.cells:
            off = cell.decades_off
            compare.add_row(cell.activation, f"{cell.scale:g}", f"{cell.spectral_radius:.4f}",
                            f"{cell.mean_derivative:.4f}", f"{cell.multiplier:.4f}",
                            format_log10(cell.log10_implied_ratio),
                            format_log10(cell.log10_ratio), factor_text(cell.factor),
                            "—" if not math.isfinite(off) else f"{off:+.1f} decades")

    # -- actions ---------------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        try:
            self.query_one("#decay-tabs", TabbedContent).active = tab
        except ValueError:  # its tabs are still being mounted (a demo step just after opening)
            self.call_after_refresh(self.action_show_tab, tab)
            return
        target = "#decay-table" if tab == "tab-closed" else "#decay-measured"
        # no scrolling to the table: on a pane that has just appeared that could scroll
        # the fields and the legend out of view at 80x24 (the table is near the top)
        self.query_one(target).focus(scroll_visible=False)

    def action_edit(self, name: str) -> None:
        self.action_show_tab("tab-closed")
        self.query_one(f"#field-{name}").focus()

    def load_preset(self, name: str) -> None:
        self.action_show_tab("tab-closed")
        super().load_preset(name)

    def load_measured(self, scales: str, activations: str) -> None:
        self.action_show_tab("tab-measured")
        self.apply({"scales": scales, "activations": activations})

    def rest_focus(self) -> None:
        active = self.query_one("#decay-tabs", TabbedContent).active
        self.query_one("#decay-table" if active == "tab-closed" else "#decay-measured").focus()

    def command(self, c: DecaySettings) -> str:
        active = self.query_one("#decay-tabs", TabbedContent).active
        if active == "tab-measured":
            spec = c.sweep
            b = spec.base
            return (f"vgtui decay --measured --activations {','.join(spec.activations)} "
                    f"--scales {format_list(spec.scales)} --steps {b.steps} --hidden {b.hidden} "
                    f"--seed {b.seed}")
        factors = ",".join(short_number(f) for f in c.factors)
        return f"vgtui decay --factors {factors} --steps {format_list(c.lengths)}"

    def demo_prepare(self) -> None:
        self.load_preset("default")

    def extra_commands(self):
        return [
            ("Decay tables: closed form", "factor^T for the lists", lambda: self.action_show_tab("tab-closed")),
            ("Decay tables: measured on real RNNs", "scales x activations in one batch",
             lambda: self.action_show_tab("tab-measured")),
            ("Decay tables: sigmoid against tanh at large scales",
             "sigmoid's derivative is at most 0.25: how large must the weights be?",
             lambda: self.load_measured("1,2,4,6,8", "sigmoid,tanh")),
        ]
