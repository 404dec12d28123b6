"""Scalar chain: h_t = tanh(w h_(t-1)) stepped through one step at a time.

On the left the chain's settings (w, T, h0), the presets, and a companion
panel for any per-step factor gamma. On the right the step now shown, spelled
out; both derivatives (true and linear) on a log chart; the table of every step
revealed so far; and the article's printed trace checked against the engine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Static

from ..engine import closed_form as cf
from ..engine.articles import ARTICLE_PHRASES as ARTICLES
from ..engine.articles import TRACE_FIGURES
from ..engine.figure_checks import check_all
from ..engine.lists import short_number
from ..engine.magnitude import format_log10, format_signed_log10
from ..present.articles import figure_check_mark, figure_check_words
from ..present.regimes import marked, steps_count_text
from ..present.rows import shown_steps
from ..present.styles import REGIME_ROLES
from ..topics import topic
from ..widgets.charts import chain_chart
from ..widgets.controls import PanelField
from ..widgets.keys import HIDDEN, key_table
from ..widgets.log_chart import LogChart
from ..widgets.tables import FitTable
from .config_page import PRESETS_HERE, ConfigPage, Job, Nudge, Section

TABLE_ROWS = 120  # beyond this many revealed steps the table is thinned


def scalar_field(name: str, label: str, tip: str) -> PanelField:
    spec = cf.SCALAR_SPECS[name]
    return PanelField(name, label, partial(cf.parse_scalar, name), tip, low=spec.low,
                      high=spec.high, whole=spec.kind is int, text=short_number)


CHAIN_FIELDS = (
    scalar_field("weight", "weight w", "the recurrent weight: -100 to 100"),
    scalar_field("trace_steps", "steps T", "length of the chain: 1 to 100000"),
    scalar_field("h0", "start h0", "the starting state: -100 to 100"),
)
GAMMA_FIELDS = (
    PanelField("gamma", "γ", cf.parse_gamma, "a factor from 0 to 1e6; 0.9*0.5 means the product",
               text=short_number),
    scalar_field("gamma_steps", "length T", "how many steps the factor is applied: 1 to 1e9"),
)
GAMMA_NAMES = ("gamma", "gamma_steps")


@dataclass(frozen=True)
class ChainSettings:
    weight: float
    steps: int
    h0: float

HELP = """\
**What it shows.** The smallest recurrent network there is: one unit, one weight,
`h_t = tanh(w h_(t-1))` from a starting state `h_0`, no input. Going back through one
step multiplies a gradient by the *local derivative* `dh_t/dh_(t-1) = w (1 - h_t^2)`;
going back from `t` to `0` multiplies by all of them, `dh_t/dh_0`. Beside it the
*linear guess* `w^t`, what you would get if tanh were a straight line.

**Step through it.** `n` takes the next step, `b` goes back one, `e` runs to the end,
`r` returns to `t = 0`. The panel above the table spells out the step just taken
with the numbers in it; the chart shows `|dh_t/dh_0|` (●) and `|w^t|` (○) on a log scale
for the steps revealed so far.

**How to read it.**
- While `|w h|` is small, tanh is nearly a straight line, `1 - h_t^2` is nearly 1, and
  `dh_t/dh_0` follows `w^t`: it shrinks for `|w| < 1`.
- When `h_t` grows, tanh bends (saturates), `1 - h_t^2` drops, and the true derivative
  falls below the linear guess. For `w > 1`, `w^t` explodes while `dh_t/dh_0` can still
  vanish: the ratio of the two is printed as *saturation took away*.
- Values far below float range (1e-30000) are exact: the engine keeps every column as a
  sign and a base-10 logarithm.

**Any factor gamma.** The lower-left panel takes any per-step factor (`0.9*0.5` is read as
the product, an eigenvalue times an average derivative) and a length T and shows
`gamma^T` and the number of steps it takes to lose 90%, 99.9% and 99.9999% of the signal,
or, for `gamma > 1`, to grow it tenfold, a thousandfold and a millionfold.

**Things to try.**
- The article's trace (preset, or `w = 0.5, T = 10, h0 = 0.1`): step to `t = 10` and
  compare with the article check at the bottom.
- `w = 1.1` or `w = 1.5`: the linear guess explodes, the true derivative vanishes.
- `w = 1.0` (the edge): `w^t = 1` for ever, yet the derivative still drifts down.
- Type `0.5` into gamma and 20 into T: the same `0.5^20` as the decay table. Then `0.9`:
  the two differ by five orders of magnitude.
- `h0 = 3` with `w = 1`: the first step lands deep in saturation.

Keys: `n` next step · `b` back · `e` run to the end · `r` reset · `+`/`-` change w by 0.05 ·
`p` next preset · Esc leaves an input.

The same numbers: `vgtui trace --weight 0.5 --steps 10 --h0 0.1` and
`vgtui decay --factors 0.7 --steps 20`.
"""


def _fmt(sign, log10, digits: int = 3) -> str:
    return format_signed_log10(float(sign), float(log10), digits)


class ChainScreen(ConfigPage):
    SCREEN_ID = "chain"
    TITLE = "Scalar chain"
    HELP = HELP
    DEMO = ("The scalar chain: one unit, h_t = tanh(0.5 h_(t-1)). Every step back "
            "multiplies the gradient by about 0.5, so after ten steps a thousandth is left; "
            "press n to watch it happen one step at a time.")
    AUTO_FOCUS = "#chain-results"
    PREFIX = "chain"
    CONTROLS = (PRESETS_HERE, Section("h_t = tanh(w h_(t-1))", CHAIN_FIELDS),
                Section("any factor γ per step", GAMMA_FIELDS, "gamma-panel"))
    PRESETS = topic("chain").presets
    DEFAULT_PRESET = "article"
    KEEP_ON_PRESET = GAMMA_NAMES  # a preset is about the chain, not the γ panel
    DEBOUNCE = 0.1
    FIRST_MESSAGE = "computing..."
    NUDGES = (
        Nudge("+,=", "weight", step=0.05, label="w+", group="w", tooltip="Raise w by 0.05"),
        Nudge("-,_", "weight", step=-0.05, label="w-", group="w", tooltip="Lower w by 0.05"),
    )
    BINDINGS = key_table(
        "chain",
        ("n", "step(1)", "next step", "next", "Take the next step"),
        ("b", "step(-1)", "back", "back", "Go back one step"),
        ("e", "to_end", "run to end", "end", "Reveal every step"),
        ("r", "reset", "reset", "reset", "Go back to t = 0", HIDDEN),
    )

    def __init__(self) -> None:
        self.position = 0  # steps revealed: 0 shows only h_0
        self._table_rows: list[int] = []  # the step index (0 = h_0) of every table row
        super().__init__()

    @property
    def trace(self) -> cf.ScalarTrace | None:
        return self.result

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        return {"weight": 0.5, "trace_steps": 10, "h0": 0.1, "gamma": 0.7, "gamma_steps": 20}

    def make_config(self, values) -> ChainSettings:
        # γ is drawn at once from its own fields; only the chain is traced in a worker.
        return ChainSettings(values["weight"], values["trace_steps"], values["h0"])

    def working_label(self, c: ChainSettings) -> str:
        return f"tracing w={short_number(c.weight)}, T={c.steps}"

    def compute(self, c: ChainSettings, job: Job):
        return cf.scalar_trace(c.weight, c.steps, c.h0, cancel=job.cancelled)

    def result_status(self, result) -> dict:
        return {"device": "closed form (numpy)", "dtype": "float64 + log10"}

    # -- layout ----------------------------------------------------------------
    def compose_controls_extra(self) -> ComposeResult:
        yield Static("", id="chain-gamma-result")
        yield Static("n next · b back · e end · r reset", classes="note")

    def compose_results(self) -> ComposeResult:
        yield Static(self.FIRST_MESSAGE, id="chain-now")
        yield Label("|dh_t/dh_0| (●) and |w^t| (○), log scale", classes="section")
        yield LogChart(id="chain-chart", empty_text="press n to take the first step")
        yield FitTable(id="chain-table")
        yield Label("the article's printed trace, recomputed", classes="section")
        yield Static("", id="chain-article")

    def setup_tables(self) -> None:
        self.query_one("#chain-table", FitTable).add_keyed_columns(
            "t", "h_t", "local", "dh_t/dh_0", "w^t")
        self._draw_gamma()
        self._draw_article()

    def on_fields_edited(self, field: str) -> None:
        if field in GAMMA_NAMES:
            self._draw_gamma()

    def before_preset(self, preset) -> None:
        self.position = 0  # a new chain starts at t = 0

    # -- actions ----------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        if self.trace is None:
            return
        self.position = min(self.trace.steps, max(0, self.position + int(delta)))
        self._draw_position()

    def action_to_end(self) -> None:
        if self.trace is not None:
            self.position = self.trace.steps
            self._draw_position()

    def action_reset(self) -> None:
        self.position = 0
        self._draw_position()

    _gamma_shown = (0.7, 20)  # the γ and length whose figures are on screen

    def command(self, c: ChainSettings) -> str:
        gamma, gamma_steps = self._gamma_shown
        return (f"vgtui trace --weight {short_number(c.weight)} --steps {c.steps} "
                f"--h0 {short_number(c.h0)} && vgtui decay --factors "
                f"{short_number(gamma)} --steps {gamma_steps}")

    def demo_prepare(self) -> None:
        self.load_preset("article")
        self.position = 3
        if self.trace is not None:
            self._draw_position()

    def extra_commands(self):
        return [
            ("Scalar chain: next step", "reveal one more step", lambda: self.action_step(1)),
            ("Scalar chain: previous step", "hide the last step", lambda: self.action_step(-1)),
            ("Scalar chain: run to the end", "reveal every step", self.action_to_end),
            ("Scalar chain: reset to t = 0", "start the step-through again", self.action_reset),
        ]

    def redraw(self) -> None:
        super().redraw()
        self._draw_gamma()  # drawn from the fields, not from the result

    def draw(self, trace: cf.ScalarTrace) -> None:
        self.position = min(self.position, trace.steps)
        self._table_rows = []
        self._draw_position()

    # -- drawing ------------------------------------------------------------------------
    def _row_cells(self, k: int) -> list[str]:
        """Table cells for step index k (0 = h_0)."""
        tr = self.trace
        if k == 0:
            return ["0", format_signed_log10(1 if tr.h0 > 0 else -1 if tr.h0 < 0 else 0,
                                             math.log10(abs(tr.h0)) if tr.h0 else -math.inf, 3),
                    "—", "1", "1"]
        i = k - 1
        return [str(k), _fmt(tr.h_sign[i], tr.h_log10[i]), _fmt(tr.local_sign[i], tr.local_log10[i]),
                _fmt(tr.cum_sign[i], tr.cum_log10[i]), _fmt(tr.lin_sign[i], tr.lin_log10[i])]

    def _wanted_rows(self) -> list[int]:
        p = self.position
        if p <= TABLE_ROWS:
            return list(range(p + 1))
        return [0] + [k + 1 for k in shown_steps(p, target=TABLE_ROWS // 2)]

    def _draw_position(self) -> None:
        if self.trace is None:
            return
        table = self.query_one("#chain-table", DataTable)
        wanted = self._wanted_rows()
        have = self._table_rows
        if have and wanted[:len(have)] == have and len(wanted) >= len(have):
            for k in wanted[len(have):]:
                table.add_row(*self._row_cells(k))
        elif have and have[:len(wanted)] == wanted:
            for k in have[len(wanted):]:
                table.remove_row(table.coordinate_to_cell_key((len(wanted), 0)).row_key)
        else:
            table.clear()
            for k in wanted:
                table.add_row(*self._row_cells(k))
        self._table_rows = wanted
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)
        self._draw_now()
        self._draw_chart()

    def _draw_now(self) -> None:
        tr, p = self.trace, self.position
        w = short_number(tr.weight)
        if p == 0:
            text = (f"t = 0 of {tr.steps}: h_0 = {short_number(tr.h0)}; nothing multiplied yet "
                    f"(dh_0/dh_0 = 1).\nPress n for the next step, e to run to the end.")
        else:
            i = p - 1
            prev_h = (_fmt(tr.h_sign[i - 1], tr.h_log10[i - 1]) if i > 0 else short_number(tr.h0))
            h = _fmt(tr.h_sign[i], tr.h_log10[i])
            w_log = math.log10(abs(tr.weight)) if tr.weight else -math.inf
            if tr.h_sign[i] == 0:
                one_minus = "1"
            elif tr.h_log10[i] < math.log10(0.7):  # h_t^2 < 1/2: show what is taken off 1
                one_minus = f"(1 − {format_log10(2.0 * float(tr.h_log10[i]), 4)})"
            else:  # near saturation: the exact 1 - h_t^2 from the local derivative
                one_minus = format_log10(float(tr.local_log10[i] - w_log), 4)
            prev_cum = _fmt(tr.cum_sign[i - 1], tr.cum_log10[i - 1]) if i > 0 else "1"
            cum = _fmt(tr.cum_sign[i], tr.cum_log10[i])
            local = _fmt(tr.local_sign[i], tr.local_log10[i])
            lin = _fmt(tr.lin_sign[i], tr.lin_log10[i])
            took = tr.saturation_log10(i)
            lines = [
                f"[b]t = {p} of {tr.steps}[/b]",
                f"h_{p} = tanh({w} × {prev_h}) = {h}",
                f"local = w (1 − h_{p}²) = {w} × {one_minus} = {local}",
                f"dh_{p}/dh_0 = {prev_cum} × {local} = [b]{cum}[/b]",
                f"linear guess w^{p} = {lin}; true ÷ linear = "
                f"{format_log10(took, 4) if math.isfinite(took) else 'undefined'}"
                + ("  (saturation took that away)" if math.isfinite(took) and took < -0.01 else ""),
            ]
            if p == tr.steps:
                lines.append("end of the chain: r starts again, b steps back")
            text = "\n".join(lines)
        self.query_one("#chain-now", Static).update(text)

    def _draw_chart(self) -> None:
        tr, p = self.trace, self.position
        chart = self.query_one("#chain-chart", LogChart)
        if p == 0:
            chart.set_series()
            return
        chart.set_series(*chain_chart(tr, p).series)

    def _draw_gamma(self) -> None:
        values, errors = self.values()
        if any(name in errors for name in GAMMA_NAMES):
            return  # the inline error says why; the last figures stay
        s = cf.gamma_summary(values["gamma"], values["gamma_steps"])
        self._gamma_shown = (values["gamma"], values["gamma_steps"])
        g = short_number(s.gamma)
        text = Text()
        text.append(f"γ^T = {g}^{s.steps:,} = ")
        text.append(marked(s.power.regime, format_log10(s.power.log10_value, 4)),
                    style=self.palette.style(REGIME_ROLES[s.power.regime]))
        text.append("\n")
        if s.gamma < 1:
            for d, k in s.steps_to_lose:
                text.append(f"lose {cf.lost_label(d):>9}: {steps_count_text(k)}\n")
        elif s.gamma > 1:
            for d, k in s.steps_to_grow:
                text.append(f"grow ×1e{d}: {steps_count_text(k)}\n")
        else:
            text.append("γ = 1: the signal neither shrinks nor grows\n")
        if s.exact_steps_per_decade is not None:
            text.append(f"one factor of 10 every {s.exact_steps_per_decade:.4g} steps", style="dim")
        self.query_one("#chain-gamma-result", Static).update(text)

    def _draw_article(self) -> None:
        lines = [f"{ARTICLES['003']}: w = 0.5, T = 10, h0 = 0.1"]
        for c in check_all(TRACE_FIGURES):
            lines.append(f"{figure_check_mark(c)} {c.figure.expression}: computed "
                         f"{format_signed_log10(c.computed.sign, c.computed.log10, 4)}, "
                         f"article {c.figure.stated} ({figure_check_words(c)})")
        self.query_one("#chain-article", Static).update("\n".join(lines))
