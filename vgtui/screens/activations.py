"""Activations: how much of a gradient each nonlinearity lets through per step.

Left: which activation to plot, the spread s of the pre-activations, the points
z for the table, the leaky slope. Right: f and f' over z in [-5, 5], where
z ~ N(0, s^2) tends to fall, the derivative table for all six activations, and
the articles' derivative figures recomputed.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Select, Static

from ..engine import closed_form as cf
from ..engine.articles import ARTICLE_PHRASES as ARTICLES
from ..engine.articles import ARTICLE_SHORT, DERIVATIVE_FIGURES
from ..engine.figure_checks import check_all
from ..engine.lists import format_list, short_number
from ..engine.magnitude import format_signed_log10
from ..present.articles import figure_check_mark, figure_check_words
from ..present.regimes import steps_count_text, steps_text
from ..topics import topic
from ..widgets.charts import ACTIVATION_RANGE, activation_charts
from ..widgets.controls import PanelField
from ..widgets.keys import key_table
from ..widgets.line_plot import LinePlot
from ..widgets.tables import FitTable, rebuild
from .config_page import PRESETS_HERE, ConfigPage, Job, Nudge, Section

SPREAD = cf.SCALAR_SPECS["spread"]
FIELDS = (
    PanelField("spread", "spread s", partial(cf.parse_scalar, "spread"),
               "standard deviation of z ~ N(0, s^2): 0 to 100", low=SPREAD.low, high=SPREAD.high,
               text=short_number),
    PanelField("points", "points z", cf.parse_points, cf.POINTS.describe(), text=format_list),
    PanelField.setting("leaky_slope"),
)


@dataclass(frozen=True)
class ActivationSettings:
    spread: float
    points: tuple[float, ...]
    leaky_slope: float


HELP = """\
**What it shows.** Going back one step through an RNN multiplies the gradient by the
activation's derivative `f'(z_t)` at every unit (and by `W_hh`). This screen shows six
activations: tanh, sigmoid, ReLU, leaky ReLU, identity and SiLU (also called swish,
`f(z) = z sigmoid(z)`), a smooth modern one.

- **Plots**: `f(z)` and `f'(z)` over `z` in [-5, 5] for the chosen activation (`a` cycles),
  with `-s` and `+s` marked on the axis, and below them where `z ~ N(0, s^2)` falls.
- **Table**: `f'(z)` at the chosen points (default 0, 1, 2, 5), the largest derivative
  (found on a dense grid and refined, with where it occurs), the *typical* derivative
  `E|f'(z)|` for `z ~ N(0, s^2)` (by Gauss-Legendre quadrature, no sampling noise), and how
  many steps that typical derivative alone takes to shrink a gradient by `1e-6`.
- **Article figures**: derivative values the source articles print, recomputed.

**How to read it.** sigmoid's derivative is never above 0.25, so every step through a
sigmoid keeps at most a quarter of the gradient. tanh reaches 1 only at `z = 0`; with
spread `s = 1` its typical derivative is well below that, and it drops as `s` grows
(saturation). ReLU's derivative is 0 or 1: half the units pass nothing at `s` of any
size. SiLU goes slightly above 1 and below 0. The *steps* column ignores `W_hh`
(weights of 1): it is the derivative's share of the decay on its own.

At the kink `z = 0` ReLU's derivative is taken as 0 and leaky ReLU's as its slope, as in
torch and in the RNNs of the other screens.

**Things to try.**
- Spread `0.1`: every activation is almost linear near 0, typical derivative close to
  `f'(0)`. Spread `3`: tanh and sigmoid saturate.
- Points `-1,0,1` for SiLU: its derivative is not symmetric.
- Leaky slope `0.2`: the dead half of ReLU comes partly back.

Keys: `a` next activation in the plots · `+`/`-` spread up/down by 0.1 · Esc leaves an input.

The same numbers: `vgtui activations --at 0,1,2,5 --spread 1 --json`.
"""


class ActivationsScreen(ConfigPage):
    SCREEN_ID = "activations"
    TITLE = "Activations"
    HELP = HELP
    DEMO = ("Activations: sigmoid's derivative never passes 0.25, tanh's reaches 1 only at "
            "z = 0. For pre-activations spread like N(0, 1), the typical derivative sets "
            "how many steps it takes to lose a millionth of the gradient.")
    AUTO_FOCUS = "#act-results"
    PREFIX = "act"
    CONTROLS = (PRESETS_HERE, "compose_plot_picker", Section("settings", FIELDS))
    PRESETS = topic("activations").presets
    DEFAULT_PRESET = "spread-1"
    DEBOUNCE = 0.1
    FIRST_MESSAGE = ""
    NUDGES = (
        Nudge("+,=", "spread", step=0.1, label="s+", group="spread",
              tooltip="Widen the spread s by 0.1"),
        Nudge("-,_", "spread", step=-0.1, label="s-", group="spread",
              tooltip="Narrow the spread s by 0.1"),
    )
    BINDINGS = key_table(
        "activations",
        ("a", "next_activation", "next activation", "next", "Plot the next activation"),
    )

    def __init__(self) -> None:
        self.kind = "tanh"
        super().__init__()

    @property
    def table(self) -> cf.ActivationTable | None:
        return self.result

    @property
    def spread(self) -> float:
        return self.result.spread if self.result is not None else self.config.spread

    @property
    def points(self):
        return self.result.points if self.result is not None else self.config.points

    @property
    def leaky_slope(self) -> float:
        return self.result.leaky_slope if self.result is not None else self.config.leaky_slope

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        return {"spread": 1.0, "points": cf.DEFAULT_POINTS, "leaky_slope": 0.01}

    def make_config(self, values) -> ActivationSettings:
        return ActivationSettings(values["spread"], tuple(values["points"]), values["leaky_slope"])

    def working_label(self, c) -> str:
        return "computing"

    def compute(self, c: ActivationSettings, job: Job):
        return cf.activation_table(cf.ACTIVATION_NAMES, c.points, c.spread, c.leaky_slope)

    def result_status(self, result) -> dict:
        return {"device": "closed form (numpy)", "dtype": "float64"}

    # -- layout ----------------------------------------------------------------
    def compose_plot_picker(self) -> ComposeResult:
        yield Label("plot", classes="section")
        yield Select([(cf.ACTIVATION_TITLES[k], k) for k in cf.ACTIVATION_NAMES],
                     value=self.kind, allow_blank=False, compact=True, id="act-kind")

    def compose_controls_extra(self) -> ComposeResult:
        yield Static("a: next activation · +/-: spread", classes="note")

    def compose_results(self) -> ComposeResult:
        yield Static("", id="act-summary")
        yield Label("f(z)", classes="section", id="act-f-label")
        yield LinePlot(id="act-f", style="series1", label_width=7)
        yield Label("f'(z)", classes="section", id="act-df-label")
        yield LinePlot(id="act-df", style="series2", label_width=7)
        yield Label("where z ~ N(0, s²) falls (density over the same z)",
                    classes="section", id="act-density-label")
        yield LinePlot(id="act-density", style="series3", label_width=7)
        yield Label("derivatives of every activation", classes="section")
        yield FitTable(id="act-table")
        yield Label("derivative figures printed in the articles, recomputed",
                    classes="section")
        yield FitTable(id="act-articles")
        yield Static(" · ".join(f"{ARTICLE_SHORT[k]}: {v}" for k, v in ARTICLES.items()
                                if k in ("000", "003", "004")),
                     classes="note", id="act-article-note")

    def setup_tables(self) -> None:
        self._draw_articles()

    def redraw(self) -> None:
        super().redraw()
        self._draw_articles()  # drawn once, at mount: not part of a result

    def draw(self, table) -> None:
        self._draw_table()
        self._draw_plots()
        self._draw_summary()

    @on(Select.Changed, "#act-kind")
    def _kind_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != event.select.value:  # a stale event from a quick run of changes
            return
        if event.value in cf.ACTIVATION_NAMES and event.value != self.kind:
            self.show_activation(str(event.value))

    # -- actions ------------------------------------------------------------------
    def action_next_activation(self) -> None:
        names = list(cf.ACTIVATION_NAMES)
        self.show_activation(names[(names.index(self.kind) + 1) % len(names)])

    def show_activation(self, kind: str) -> None:
        """Plot this activation (the select follows)."""
        self.kind = kind
        select = self.query_one("#act-kind", Select)
        if select.value != kind:
            with self.prevent(Select.Changed):
                select.value = kind
        if self.table is not None:
            self._draw_plots()
            self._draw_summary()

    def command(self, c: ActivationSettings) -> str:
        parts = [f"vgtui activations --at {format_list(c.points)} --spread "
                 f"{short_number(c.spread)}"]
        if c.leaky_slope != 0.01:
            parts.append(f"--leaky-slope {short_number(c.leaky_slope)}")
        return " ".join(parts)

    def demo_prepare(self) -> None:
        self.show_activation("sigmoid")

    def extra_commands(self):
        cmds = [(f"Activations: plot {cf.ACTIVATION_TITLES[k]}", cf.ACTIVATION_FORMULAS[k],
                 lambda k=k: self.show_activation(k)) for k in cf.ACTIVATION_NAMES]
        for s in (0.5, 1.0, 2.0, 3.0):
            cmds.append((f"Activations: spread s = {s:g}", "pre-activations z ~ N(0, s^2)",
                         lambda s=s: self.apply({"spread": s})))
        return cmds

    # -- drawing ------------------------------------------------------------------
    def _draw_summary(self) -> None:
        s = self.table.summary(self.kind)
        title = cf.ACTIVATION_TITLES[self.kind]
        lines = [
            f"[b]{title}[/b]   {cf.ACTIVATION_FORMULAS[self.kind]}",
            f"max f' = {s.max.value:.6g} at {s.max.where} · typical E|f'| for s = "
            f"{short_number(s.spread)}: {s.typical:.4f} · "
            + (f"shrinks a gradient by 1e-6 in {steps_count_text(s.steps_to_shrink)} on its own"
               if s.steps_to_shrink is not None
               else "never shrinks a gradient by 1e-6 on its own"),
        ]
        if self.kind == "leaky_relu":
            lines.append(f"slope {short_number(self.leaky_slope)} for z ≤ 0")
        self.query_one("#act-summary", Static).update("\n".join(lines))

    def _draw_plots(self) -> None:
        s = self.spread
        f, df, density = activation_charts(self.kind, s, self.leaky_slope)
        title = cf.ACTIVATION_TITLES[self.kind]
        self.query_one("#act-f-label", Label).update(f"f(z) = {title}(z)")
        self.query_one("#act-df-label", Label).update(f"f'(z) of {title}")
        self.query_one("#act-f", LinePlot).curve = f.curve
        self.query_one("#act-df", LinePlot).curve = df.curve
        self.query_one("#act-density", LinePlot).curve = density.curve
        inside = "" if s <= ACTIVATION_RANGE[1] else " (s is wider than the plot: most z lie outside)"
        self.query_one("#act-density-label", Label).update(
            f"where z ~ N(0, {short_number(s)}²) falls, over the same z{inside}")

    def _draw_table(self) -> None:
        t = self.table
        headers = (["activation"] + [f"f'({short_number(z)})" for z in t.points]
                   + ["max f'", "where", f"typical (s={short_number(t.spread)})", "steps to 1e-6"])
        rows = []
        for s in t.summaries:
            title = cf.ACTIVATION_TITLES[s.kind]
            if s.kind == "leaky_relu":
                title += f" ({short_number(t.leaky_slope)})"
            rows.append([Text(title, style="bold")]
                        + [Text(format_signed_log10(sign, log, 4), justify="right")
                           for sign, log in s.derivatives]
                        + [Text(f"{s.max.value:.4f}", justify="right"), s.max.where,
                           Text(f"{s.typical:.4f}", justify="right"),
                           Text(steps_text(s.steps_to_shrink), justify="right")])
        rebuild(self.query_one("#act-table", DataTable), headers, rows)

    def _draw_articles(self) -> None:
        rows = []
        for c in check_all(DERIVATIVE_FIGURES):
            style = self.palette.style(c.verdict)  # the check's verdict is its role
            rows.append([Text(figure_check_mark(c), style=style), ARTICLE_SHORT.get(c.figure.article, c.figure.article), c.figure.expression,
                         c.figure.stated,
                         format_signed_log10(c.computed.sign, c.computed.log10, 4),
                         Text(figure_check_words(c), style=style), c.figure.context])
        rebuild(self.query_one("#act-articles", DataTable),
                ["", "article", "figure", "article says", "computed", "verdict", "where"], rows)
