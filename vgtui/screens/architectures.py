"""Architectures: the gradient at every input position under six ways of building a
sequence model, on one shared input sequence, and how each carries it back."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, SelectionList, Static

from ..engine.architectures import (
    ARCHITECTURES,
    MARKERS,
    SHORT,
    TITLES,
    TRAITS,
    UPDATES,
    CompareConfig,
    run_compare,
)
from ..engine.config import COMPARE_FIELDS
from ..engine.magnitude import format_log10
from ..present.regimes import factor_text, horizon_text
from ..present.rows import shown_steps
from ..topics import topic
from ..widgets.charts import compare_chart
from ..widgets.log_chart import LogChart
from ..widgets.tables import FitTable
from .config_page import PRESETS_HERE, ConfigPage, Job, Nudge, Section

TABLE_ROWS = 60

HELP = """\
**What it shows.** One input sequence `x_1 ... x_T`, six models, and for each the size of
`dL/dx_t`: how much the final output still feels input position `t`. `L` is the sum of
the final output. All six share the inputs; the recurrences share `W` (scaled by
*weight scale*) and the input weights `U`.

- **R vanilla RNN** `h_t = tanh(W h_(t-1) + U x_t)`: every step back multiplies by
  `W^T diag(tanh')`, so the gradient shrinks (or grows) geometrically with distance.
- **L LSTM** and **G GRU**: the same `W` as the candidate block, gates from their own
  weights; *forget bias* starts the LSTM's forget gate and the GRU's update gate open.
  Along the cell (or the GRU's direct path) a step back only scales each unit by its
  gate: slower decay, still geometric unless the gates sit at 1.
- **+ residual RNN** `h_t = h_(t-1) + tanh(W h_(t-1) + U x_t)`: each step back
  multiplies by `I + W^T diag(tanh')`. The identity keeps a floor under the gradient;
  the branch can push it up, so this one may grow with distance.
- **A self-attention** (one head of `torch.nn.MultiheadAttention`, no positional
  encoding): the output at T reads every position directly, so distance plays no part:
  the gradient varies with content, not with how far back a position is.
- **S diagonal linear recurrence** `h_t = λ*h_(t-1) + B x_t` with complex `λ` of modulus
  *eigen radius* (the state-space-model idea): the gradient from position t carries
  `|λ|^(T-t)` exactly. At radius 1 nothing decays; at 0.99 it decays like 0.99 per
  step; above 1 it explodes. Being linear, it can be trained with a parallel scan.

**How to read it.** The chart is log scale, one marker per architecture (◆ where two
meet); the tables give the gradient at x_1 and x_T, their ratio, a fitted per-step
factor, the horizon (positions back from T until below 1e-6 of the value at T) and
the number of exact zeros (a 0 is shown as 0, never hidden). *steps x_1→out* counts the
recurrent steps between the first input and the output: T-1 for the recurrences, 0
for attention. Untick an architecture in the list to leave it out (Space toggles).

**Things to try.**
- Preset *T = 1000*: the vanilla RNN falls hundreds of decades; attention and the
  linear recurrence at radius 1 stay flat.
- Radius 0.99 and then 1.01 (`<` and `>` nudge it by 0.005).
- Forget bias 3: the gated cells keep far more of the early inputs.
- Weight scale 0.5 and 1.5 (`-` / `+`): which ones care?

The same numbers: `vgtui compare --steps 100 --json` (rows of arch, position, grad,
log10_grad).
"""


class ArchitecturesScreen(ConfigPage):
    SCREEN_ID = "architectures"
    TITLE = "Architectures"
    HELP = HELP
    DEMO = ("Architectures: one input sequence, six models. The vanilla RNN's gradient falls "
            "away with distance; gated cells fall more slowly; self-attention and a linear "
            "recurrence with eigenvalues on the unit circle do not fall at all.")
    AUTO_FOCUS = "#arch-results"
    PREFIX = "arch"
    CONTROLS = (PRESETS_HERE, Section("settings", COMPARE_FIELDS))
    PRESETS = topic("architectures").presets
    DEFAULT_PRESET = "default"
    DEMO_PRESET = "long"
    NUDGES = (
        Nudge("+,=", "scale", step=0.05, label="scale+", group="scale",
              tooltip="Raise the recurrent weight scale by 0.05"),
        Nudge("-,_", "scale", step=-0.05, label="scale-", group="scale",
              tooltip="Lower the recurrent weight scale by 0.05"),
        Nudge("]", "steps", factor=1.1, label="T+10%", group="T",
              tooltip="Lengthen the sequence by 10%"),
        Nudge("[", "steps", factor=1 / 1.1, label="T-10%", group="T",
              tooltip="Shorten the sequence by 10%"),
        Nudge(">", "radius", step=0.005, label="radius+", group="radius", show=False,
              tooltip="Raise the linear recurrence's eigenvalue radius by 0.005"),
        Nudge("<", "radius", step=-0.005, label="radius-", group="radius", show=False,
              tooltip="Lower the linear recurrence's eigenvalue radius by 0.005"),
    )

    def __init__(self) -> None:
        self.which = ARCHITECTURES
        super().__init__()

    def default_values(self) -> dict:
        return CompareConfig().to_dict()

    def make_config(self, values) -> CompareConfig:
        return CompareConfig(**{**CompareConfig().to_dict(), **values})

    def request_context(self):
        return self.which

    def working_label(self, config: CompareConfig) -> str:
        return f"computing {len(self.which)} architectures, T={config.steps}"

    def compute(self, config: CompareConfig, job: Job):
        return run_compare(config, which=job.context, cancel=job.cancelled)

    def compose_controls_extra(self) -> ComposeResult:
        yield Label("shown (Space toggles)", classes="section")
        yield SelectionList(*[(f"{MARKERS[a]} {TITLES[a]}", a, True) for a in ARCHITECTURES],
                            compact=True, id="arch-show")

    def compose_results(self) -> ComposeResult:
        yield Static(self.FIRST_MESSAGE, id="arch-summary")
        yield Label("||dL/dx_t|| at every input position (log scale)", classes="section")
        yield LogChart(id="arch-chart", x_label="t")
        yield Label("how each carries the gradient", classes="section")
        yield FitTable(id="arch-how")
        yield Label("measured: the first input against the last", classes="section")
        yield FitTable(id="arch-measured")
        yield Static("", id="arch-note", classes="note")
        yield Label("per position", classes="section")
        yield FitTable(id="arch-table")

    def setup_tables(self) -> None:
        self.query_one("#arch-how", FitTable).add_keyed_columns(
            "arch", "recurrence", "gradient path back", "parallel training", "steps x_1→out")
        self.query_one("#arch-measured", FitTable).add_keyed_columns(
            "arch", "|dL/dx_1|", "|dL/dx_T|", "x_1 / x_T", "per step", "horizon", "exact 0s")

    @on(SelectionList.SelectedChanged, "#arch-show")
    def _shown_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        chosen = tuple(a for a in ARCHITECTURES if a in event.selection_list.selected)
        if not chosen:
            self.status.show(message="✗ tick at least one architecture (last good result kept)",
                             error=True)
            return
        self.which = chosen
        self.request(immediate=True)

    # -- drawing ---------------------------------------------------------------------
    def draw(self, r) -> None:
        c = r.config
        lines = [f"T={c.steps} · n={c.hidden} · m={c.input_size} · weight scale {c.scale:g} · "
                 f"forget bias {c.forget_bias:g} · eigen radius {c.radius:g} · seed {c.seed}",
                 "L = sum of the final output; each row is ||dL/dx_t|| for input position t"]
        ranked = sorted(r.traces, key=lambda t: t.log10_grad[0], reverse=True)
        lines.append("reaching x_1, most to least: " + " > ".join(
            f"{MARKERS[t.key]} {format_log10(t.log10_grad[0])}" for t in ranked))
        self.query_one("#arch-summary", Static).update("\n".join(lines))
        self.query_one("#arch-chart", LogChart).set_series(*compare_chart(r).series)

        how = self.query_one("#arch-how", DataTable)
        how.clear()
        measured = self.query_one("#arch-measured", DataTable)
        measured.clear()
        for t in r.traces:
            recurrence, path, parallel = TRAITS[t.key]
            name = f"{MARKERS[t.key]} {t.title}"
            how.add_row(name, recurrence, path, parallel, str(t.path_steps))
            measured.add_row(name, format_log10(t.log10_grad[0]), format_log10(t.log10_grad[-1]),
                             format_log10(t.log10_first_over_last), factor_text(t.factor),
                             horizon_text(t.horizon, t.steps), str(t.exact_zeros))
        self.query_one("#arch-note", Static).update("\n".join(
            f"{MARKERS[t.key]} {UPDATES[t.key]}" for t in r.traces))

        table = self.query_one("#arch-table", DataTable)
        table.clear(columns=True)
        table.add_column("t", key="t")
        for t in r.traces:
            table.add_column(f"{MARKERS[t.key]} {SHORT[t.key]}", key=t.key)
        for k in shown_steps(r.steps, target=TABLE_ROWS):
            table.add_row(str(k + 1), *[format_log10(t.log10_grad[k]) for t in r.traces])

    # -- commands ----------------------------------------------------------------------
    def command(self, c: CompareConfig) -> str:
        d = CompareConfig()
        parts = ["vgtui compare", f"--steps {c.steps}"]
        for name in COMPARE_FIELDS:
            value = getattr(c, name)
            if name != "steps" and value != getattr(d, name):
                parts.append(f"--{name.replace('_', '-')} {value}")
        if self.which != ARCHITECTURES:
            parts.append("--only " + ",".join(self.which))
        return " ".join(parts)
