"""Architectures: the gradient at every input position under six ways of building a
sequence model, on one shared input sequence, and how each carries it back."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Select, SelectionList, Static

from ..engine.architectures import (ARCHITECTURES, MARKERS, SHORT, TITLES, TRAITS, UPDATES,
                                    run_compare)
from ..engine.config import COMPARE_FIELDS, CompareConfig
from ..engine.magnitude import format_log10
from ..engine.presets import preset_config, presets_by_name
from ..present.regimes import factor_text, horizon_text
from ..present.rows import shown_steps
from ..widgets.controls import ControlPanel
from ..widgets.log_chart import LogChart, Series
from .base import PageScreen, Requests, next_name, sync_select

COMPARE_PRESETS = presets_by_name("architectures")
TABLE_ROWS = 60
STYLES = {"rnn": "bold red", "lstm": "bold cyan", "gru": "bold green", "residual": "bold yellow",
          "attention": "bold magenta", "ssm": "bold blue"}

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


class ArchitecturesScreen(PageScreen):
    SCREEN_ID = "architectures"
    TITLE = "Architectures"
    HELP = HELP
    DEMO = ("Architectures: one input sequence, six models. The vanilla RNN's gradient falls "
            "away with distance; gated cells fall more slowly; self-attention and a linear "
            "recurrence with eigenvalues on the unit circle do not fall at all.")
    AUTO_FOCUS = "#arch-results"

    BINDINGS = [
        Binding("plus,equals_sign", "nudge_scale(0.05)", "scale+", id="arch.scale_up",
                tooltip="Raise the recurrent weight scale by 0.05"),
        Binding("minus,underscore", "nudge_scale(-0.05)", "scale-", id="arch.scale_down",
                tooltip="Lower the recurrent weight scale by 0.05"),
        Binding("right_square_bracket", "nudge_steps(1)", "T+10%", id="arch.steps_up",
                tooltip="Lengthen the sequence by 10%"),
        Binding("left_square_bracket", "nudge_steps(-1)", "T-10%", id="arch.steps_down",
                tooltip="Shorten the sequence by 10%"),
        Binding("greater_than_sign", "nudge_radius(0.005)", "radius+", id="arch.radius_up",
                tooltip="Raise the linear recurrence's eigenvalue radius by 0.005"),
        Binding("less_than_sign", "nudge_radius(-0.005)", "radius-", id="arch.radius_down",
                tooltip="Lower the linear recurrence's eigenvalue radius by 0.005"),
        Binding("p", "next_preset", "preset", id="arch.next_preset",
                tooltip="Load the next preset"),
        Binding("escape", "leave_field", "leave field", show=False, id="arch.leave_field"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.config = CompareConfig()
        self.which = ARCHITECTURES
        self.result = None
        self._shown = None
        self.requests = Requests(self, self._launch)

    def compose_page(self) -> ComposeResult:
        with Horizontal(id="arch-body"):
            with VerticalScroll(id="arch-controls", classes="controls"):
                yield Label("preset", classes="section")
                yield Select([(p.title, p.name) for p in COMPARE_PRESETS.values()],
                             value="default", allow_blank=True, prompt="(custom)", compact=True,
                             id="arch-preset")
                yield Label("shown (Space toggles)", classes="section")
                yield SelectionList(*[(f"{MARKERS[a]} {TITLES[a]}", a, True) for a in ARCHITECTURES],
                                    compact=True, id="arch-show")
                yield Label("settings", classes="section")
                yield ControlPanel(COMPARE_FIELDS, self.config.to_dict(), id="arch-panel")
            with VerticalScroll(id="arch-results", classes="results"):
                yield Static("computing the first result (torch is loading)...", id="arch-summary")
                yield Label("||dL/dx_t|| at every input position (log scale)", classes="section")
                yield LogChart(id="arch-chart", x_label="t")
                yield Label("how each carries the gradient", classes="section")
                yield DataTable(id="arch-how", zebra_stripes=True, cursor_type="row")
                yield Label("measured: the first input against the last", classes="section")
                yield DataTable(id="arch-measured", zebra_stripes=True, cursor_type="row")
                yield Static("", id="arch-note", classes="note")
                yield Label("per position", classes="section")
                yield DataTable(id="arch-table", zebra_stripes=True, cursor_type="row")

    def has_result(self) -> bool:
        return self.result is not None

    def on_mount(self) -> None:
        how = self.query_one("#arch-how", DataTable)
        for label in ("arch", "recurrence", "gradient path back", "parallel training",
                      "steps x_1→out"):
            how.add_column(label, key=label)
        measured = self.query_one("#arch-measured", DataTable)
        for label in ("arch", "|dL/dx_1|", "|dL/dx_T|", "x_1 / x_T", "per step", "horizon",
                      "exact 0s"):
            measured.add_column(label, key=label)
        self.call_after_refresh(self.request, self.config, True)

    # -- controls --------------------------------------------------------------------
    @on(ControlPanel.Changed, "#arch-panel")
    def _settings_changed(self, event: ControlPanel.Changed) -> None:
        config = self.config_from_panel(event, self.config)
        if config is None:
            return
        self._sync_preset(config)
        self.request(config)

    @on(SelectionList.SelectedChanged, "#arch-show")
    def _shown_changed(self, event: SelectionList.SelectedChanged) -> None:
        chosen = tuple(a for a in ARCHITECTURES if a in event.selection_list.selected)
        if not chosen:
            self.status.show(message="✗ tick at least one architecture (last good result kept)",
                             error=True)
            return
        self.which = chosen
        self.request(self.config, immediate=True)

    @on(Select.Changed, "#arch-preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value not in COMPARE_PRESETS:
            return
        config = preset_config("architectures", event.value, self.config)
        self.query_one("#arch-panel", ControlPanel).set_values(config.to_dict())
        self.request(config)

    def _sync_preset(self, config: CompareConfig) -> None:
        sync_select(self.query_one("#arch-preset", Select), COMPARE_PRESETS,
                    lambda name: preset_config("architectures", name, config) == config)

    def load_preset(self, name: str) -> None:
        self.query_one("#arch-preset", Select).value = name

    def action_next_preset(self) -> None:
        self.load_preset(next_name(COMPARE_PRESETS, self.query_one("#arch-preset", Select).value))

    def _nudge(self, name: str, value) -> None:
        self.query_one("#arch-panel", ControlPanel).set_values({name: value})
        self.request(self.config.replace(**{name: value}), immediate=True)

    def action_nudge_scale(self, delta: float) -> None:
        self._nudge("scale", min(100.0, max(0.0, round(self.config.scale + float(delta), 6))))

    def action_nudge_radius(self, delta: float) -> None:
        self._nudge("radius", min(1.5, max(0.0, round(self.config.radius + float(delta), 6))))

    def action_nudge_steps(self, direction: int) -> None:
        t = self.config.steps
        t = max(t + 1, round(t * 1.1)) if int(direction) > 0 else max(1, min(t - 1, round(t / 1.1)))
        self._nudge("steps", min(t, 200_000))

    def action_leave_field(self) -> None:
        self.query_one("#arch-results").focus()

    # -- computing -------------------------------------------------------------------
    def request(self, config: CompareConfig, immediate: bool = False) -> None:
        self.config = config
        self.requests.ask((config, self.which), immediate)

    def _launch(self, key) -> None:
        config, which = key

        def job(cancelled):
            return run_compare(config, which=which, cancel=cancelled)

        self.compute(job, self.show_result,
                     label=f"computing {len(which)} architectures, T={config.steps}")

    def show_compute_error(self, message: str) -> None:
        self.requests.launched_was(self._shown)
        super().show_compute_error(message)

    def show_result(self, result) -> None:
        self.result = result
        self._shown = (result.config, tuple(t.key for t in result.traces))
        self._draw(result)
        self.status.show(device=result.device, dtype=result.dtype, seconds=result.seconds,
                         message="up to date", error=False)

    # -- drawing ---------------------------------------------------------------------
    def _draw(self, r) -> None:
        c = r.config
        lines = [f"T={c.steps} · n={c.hidden} · m={c.input_size} · weight scale {c.scale:g} · "
                 f"forget bias {c.forget_bias:g} · eigen radius {c.radius:g} · seed {c.seed}",
                 "L = sum of the final output; each row is ||dL/dx_t|| for input position t"]
        ranked = sorted(r.traces, key=lambda t: t.log10_grad[0], reverse=True)
        lines.append("reaching x_1, most to least: " + " > ".join(
            f"{MARKERS[t.key]} {format_log10(t.log10_grad[0])}" for t in ranked))
        self.query_one("#arch-summary", Static).update("\n".join(lines))
        self.query_one("#arch-chart", LogChart).set_series(
            *[Series(SHORT[t.key], tuple(t.log10_grad), MARKERS[t.key], STYLES[t.key])
              for t in r.traces])

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
    def cli_command(self) -> str:
        parts = ["vgtui compare"] + self.config.to_flags()
        if self.which != ARCHITECTURES:
            parts.append("--only " + ",".join(self.which))
        return " ".join(parts)

    def demo_prepare(self) -> None:
        self.load_preset("long")

    def palette_commands(self):
        cmds = [(f"Architectures preset: {p.title}", "load this starting point",
                 lambda n=p.name: self.load_preset(n)) for p in COMPARE_PRESETS.values()]
        cmds += [
            ("Architectures: weight scale +0.05", "nudge the scale up", lambda: self.action_nudge_scale(0.05)),
            ("Architectures: weight scale -0.05", "nudge the scale down", lambda: self.action_nudge_scale(-0.05)),
            ("Architectures: radius +0.005", "the linear recurrence's |λ|", lambda: self.action_nudge_radius(0.005)),
            ("Architectures: radius -0.005", "the linear recurrence's |λ|", lambda: self.action_nudge_radius(-0.005)),
            ("Architectures: T +10%", "lengthen the sequence", lambda: self.action_nudge_steps(1)),
            ("Architectures: T -10%", "shorten the sequence", lambda: self.action_nudge_steps(-1)),
        ]
        return cmds
