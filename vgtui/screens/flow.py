"""Gradient Flow: how big dL/dh_t is at every step back from T.

Controls for every engine setting on the left; on the right the verdict line,
the forward pass (||h_t|| and saturation per step), the backward pass as a
log-scale chart with decade labels, and the per-step table.
"""
from __future__ import annotations

import math
import shlex
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Select, Sparkline, Static

from ..engine.config import RNNConfig
from ..engine.magnitude import format_log10, format_value
from ..engine.presets import preset_config, presets_by_name
from rich.markup import escape

from ..present.flow import overflow_text, stack_title, zero_note
from ..present.regimes import gradient_verdict_text, horizon_text, per_step
from ..present.rows import shown_steps
from ..widgets.controls import ControlPanel
from ..widgets.log_chart import LogChart, Series
from ..widgets.model_dialog import OpenModelDialog
from .base import PageScreen, Requests, next_name, sync_select

FLOW_PRESETS = presets_by_name("flow")
FIELDS = ["activation", "init", "scale", "init_noise", "hidden", "steps", "input_size",
          "input_scale", "seed", "leaky_slope", "device", "dtype"]
TABLE_ROWS = 100
LAYER_STYLES = ("bold cyan", "bold green", "bold magenta", "bold blue", "bold red")

HELP = """\
**What it shows.** A vanilla RNN `h_t = f(b + W_hh h_(t-1) + W_xh x_t)` runs forward for
T steps from `h_0 = 0`; the loss is `L = sum(h_T)`. Going back, the gradient
`dL/dh_t` is multiplied at every step by `W_hh^T diag(f'(z_t))`. The chart shows
`||dL/dh_t||` on a log scale (decade labels on the left), step 1 at the left edge and
step T at the right.

**How to read it.**
- *forward*: `||h_t||` per step, and the share of units whose `|f'(z)|` is below 0.1
  (saturated units pass almost no gradient back).
- *backward*: bars that fall away to the left mean the gradient vanishes going back in
  time; bars that rise to the left mean it explodes.
- *spectral radius* is the largest `|eigenvalue|` of `W_hh`, *spectral norm* its largest
  singular value: they differ when `W_hh` is not normal.
- *fitted factor*: the per-step multiplier of a straight-line fit to `log ||dL/dh_t||`.
- *vanishing horizon*: steps back until the gradient is below 1e-6 of its value at T
  (an exploding horizon: above 1e6).
- *verdict*: a horizon reached decides; otherwise the fitted factor against 0.98..1.02.
  Markers ▼ ■ ▲ carry the verdict without colour.
- Numbers far outside float range (1e-3009) are exact: the engine keeps magnitudes
  as logarithms.

**Things to try.**
- Preset *sigmoid at scale 1.0 over 20 steps*: sigmoid' is at most 0.25.
- Preset *tanh at scale 1.2*, then *tanh at 1.0*: nudge the scale with `+` / `-`.
- Preset *4 units*: a spectral radius near 0.5 gives a factor near 0.5.
- Init *orthogonal* with activation *identity*: the factor equals the scale exactly.
- Raise T with `]` and watch the horizon stay put while the left edge sinks.

**Your own model.** `o` opens a state_dict of a `torch.nn.RNN`, `LSTM` or `GRU`
(saved with `torch.save(module.state_dict(), path)`; any number of layers, the cell
read from the parameter shapes) and optionally a `.npy` input sequence of shape
`(T, input_size)`; without one, inputs are drawn from *seed* and *input scale*. The
summary names the file. An RNN's nonlinearity comes from *activation*; scale, init
and noise do not apply to a loaded model. For an LSTM the chart adds `||dL/dc_t||`
(marker c); for a stack it draws every layer's `||dL/dh_t||` (markers 1, 2, ...).
A missing, malformed or mismatched file is refused in the dialog and the last result
stays. `x` goes back to random weights.

The same numbers: `vgtui flow --activation tanh --scale 1.0 --steps 50 --json`
(with a model: `vgtui flow --model FILE [--inputs FILE.npy] --json`).
"""


class FlowScreen(PageScreen):
    SCREEN_ID = "flow"
    TITLE = "Gradient Flow"
    HELP = HELP
    DEMO = ("Gradient Flow: a sigmoid RNN over 20 steps. Each step back multiplies the "
            "gradient by W_hh^T diag(f'), and sigmoid' never exceeds 0.25, so the bars "
            "fall away to the left: the first steps get almost no learning signal.")
    AUTO_FOCUS = "#flow-results"

    BINDINGS = [
        Binding("plus,equals_sign", "nudge_scale(0.05)", "scale+", id="flow.scale_up",
                tooltip="Raise the weight scale by 0.05"),
        Binding("minus,underscore", "nudge_scale(-0.05)", "scale-", id="flow.scale_down",
                tooltip="Lower the weight scale by 0.05"),
        Binding("right_square_bracket", "nudge_steps(1)", "T+10%", id="flow.steps_up",
                tooltip="Lengthen the sequence by 10%"),
        Binding("left_square_bracket", "nudge_steps(-1)", "T-10%", id="flow.steps_down",
                tooltip="Shorten the sequence by 10%"),
        Binding("p", "next_preset", "preset", id="flow.next_preset",
                tooltip="Load the next preset"),
        Binding("o", "open_model", "open model", id="flow.open_model",
                tooltip="Load your own torch.nn RNN / LSTM / GRU state_dict"),
        Binding("x", "clear_model", "clear model", id="flow.clear_model",
                tooltip="Back to random weights"),
        Binding("escape", "leave_field", "leave field", show=False, id="flow.leave_field"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.config = RNNConfig()
        self.result = None
        self._shown_config: RNNConfig | None = None
        # keyed by (config, model id): a loaded model changes what a config means
        self.requests = Requests(self, self._launch)
        self._shown_key: tuple | None = None
        self.model = None  # a widgets.model_dialog.ModelChoice while a model is loaded

    # -- layout ----------------------------------------------------------------
    def compose_page(self) -> ComposeResult:
        with Horizontal(id="flow-body"):
            with VerticalScroll(id="flow-controls", classes="controls"):
                yield Label("preset", classes="section")
                yield Select([(p.title, p.name) for p in FLOW_PRESETS.values()],
                             value="default", allow_blank=True, prompt="(custom)",
                             compact=True, id="flow-preset")
                yield Static(FLOW_PRESETS["default"].note, id="flow-preset-note", classes="note")
                yield Label("settings", classes="section")
                yield ControlPanel(FIELDS, self.config.to_dict(), id="flow-panel")
            with VerticalScroll(id="flow-results", classes="results"):
                yield Static("computing the first result (torch is loading)...", id="flow-summary")
                yield Label("forward  ||h_t|| per step", classes="section", id="flow-hnorm-label")
                yield Sparkline([], id="flow-hnorm")
                yield Label("forward  saturated share (|f'| < 0.1)", classes="section",
                            id="flow-sat-label")
                yield Sparkline([], id="flow-sat")
                yield Label("backward ||dL/dh_t||, log scale", classes="section")
                yield LogChart(id="flow-chart")
                yield DataTable(id="flow-table", zebra_stripes=True, cursor_type="row")

    def has_result(self) -> bool:
        return self.result is not None

    def on_mount(self) -> None:
        table = self.query_one("#flow-table", DataTable)
        for label in ("t", "|dL/dh_t|", "ratio to T", "factor", "|dL/dx_t|", "|h_t|", "sat"):
            table.add_column(label, key=label)
        # After the first paint: the first result needs torch, whose import would
        # otherwise hold the GIL while the screen is being drawn.
        self.call_after_refresh(self.request, self.config, True)

    # -- controls ---------------------------------------------------------------
    @on(ControlPanel.Changed, "#flow-panel")
    def _settings_changed(self, event: ControlPanel.Changed) -> None:
        config = self.config_from_panel(event, self.config)
        if config is None:
            return
        self._sync_preset_select(config)
        self.request(config)

    @on(Select.Changed, "#flow-preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value not in FLOW_PRESETS:
            return
        preset = FLOW_PRESETS[event.value]
        self.query_one("#flow-preset-note", Static).update(preset.note)
        config = preset_config("flow", preset, self.config)
        if self.model is not None:  # a preset means random weights again
            self.model = None
            self.requests.launched_was(None)
            self.query_one(ControlPanel).set_values(config.to_dict())
            self.request(config, immediate=True)
            return
        if config != self.config:
            self.query_one(ControlPanel).set_values(config.to_dict())
            self.request(config)

    def _sync_preset_select(self, config: RNNConfig) -> None:
        if self.model is not None:  # weights from a file: no preset applies
            return
        select = self.query_one("#flow-preset", Select)
        before = select.value
        sync_select(select, FLOW_PRESETS, lambda name: preset_config("flow", name, config) == config)
        if select.value is Select.NULL and before is not Select.NULL:
            self.query_one("#flow-preset-note", Static).update("custom settings")

    def load_preset(self, name: str) -> None:
        self.query_one("#flow-preset", Select).value = name

    def action_next_preset(self) -> None:
        self.load_preset(next_name(FLOW_PRESETS, self.query_one("#flow-preset", Select).value))

    def action_nudge_scale(self, delta: float) -> None:
        scale = min(100.0, max(0.0, round(self.config.scale + float(delta), 6)))
        self.query_one(ControlPanel).set_values({"scale": scale})
        self.request(self.config.replace(scale=scale), immediate=True)

    def action_nudge_steps(self, direction: int) -> None:
        t = self.config.steps
        t = max(t + 1, round(t * 1.1)) if int(direction) > 0 else max(1, min(t - 1, round(t / 1.1)))
        t = min(t, 200_000)
        self.query_one(ControlPanel).set_values({"steps": t})
        self.request(self.config.replace(steps=t), immediate=True)

    def action_leave_field(self) -> None:
        self.query_one("#flow-results").focus()

    # -- your own model -----------------------------------------------------------
    def action_open_model(self) -> None:
        m = self.model
        self.app.push_screen(OpenModelDialog("Open model (Gradient Flow)",
                                             m.model_path if m else "",
                                             (m.inputs_path or "") if m else ""), self.use_model)

    def use_model(self, choice) -> None:
        """Show a loaded model's gradients; the panel takes its sizes (and steps)."""
        if choice is None:
            return
        self.model = choice
        changes = {"hidden": choice.model.hidden, "input_size": choice.model.input_size}
        if choice.inputs is not None:
            changes["steps"] = int(choice.inputs.shape[0])
        select = self.query_one("#flow-preset", Select)
        if select.value is not Select.NULL:
            select.clear()
        self.query_one("#flow-preset-note", Static).update(Content(
            f"weights from {choice.model_path}; x goes back to random weights"))
        self.query_one(ControlPanel).set_values(changes)
        self.requests.launched_was(None)
        self.request(self.config.replace(**changes), immediate=True)

    def action_clear_model(self) -> None:
        if self.model is None:
            self.status.show(message="no model loaded (o opens one)", error=False)
            return
        self.model = None
        self.query_one("#flow-preset-note", Static).update("custom settings")
        self.requests.launched_was(None)
        self._sync_preset_select(self.config)
        self.request(self.config, immediate=True)

    def cli_command(self) -> str:
        c = self.config
        if self.model is not None:
            parts = ["vgtui flow", "--model", shlex.quote(self.model.model_path)]
            if self.model.inputs_path:
                parts += ["--inputs", shlex.quote(self.model.inputs_path)]
            else:
                parts += [f"--steps {c.steps}", f"--seed {c.seed}", f"--input-scale {c.input_scale}"]
            if self.model.model.arch == "rnn":
                parts.append(f"--activation {c.activation}")
                if c.activation == "leaky_relu":
                    parts.append(f"--leaky-slope {c.leaky_slope}")
            for name in ("device", "dtype"):
                if getattr(c, name) != "auto":
                    parts.append(f"--{name} {getattr(c, name)}")
            return " ".join(parts)
        return " ".join(["vgtui flow"] + c.to_flags())

    def demo_prepare(self) -> None:
        self.load_preset("sigmoid-20")

    def palette_commands(self):
        cmds = [(f"Gradient Flow preset: {p.title}", p.note, lambda n=p.name: self.load_preset(n))
                for p in FLOW_PRESETS.values()]
        cmds += [
            ("Gradient Flow: weight scale +0.05", "nudge the scale up", lambda: self.action_nudge_scale(0.05)),
            ("Gradient Flow: weight scale -0.05", "nudge the scale down", lambda: self.action_nudge_scale(-0.05)),
            ("Gradient Flow: T +10%", "lengthen the sequence", lambda: self.action_nudge_steps(1)),
            ("Gradient Flow: T -10%", "shorten the sequence", lambda: self.action_nudge_steps(-1)),
            ("Gradient Flow: open model", "your own torch.nn RNN / LSTM / GRU state_dict",
             self.action_open_model),
            ("Gradient Flow: clear model", "back to random weights", self.action_clear_model),
        ]
        return cmds

    # -- computing ----------------------------------------------------------------
    def request(self, config: RNNConfig, immediate: bool = False) -> None:
        """Ask for a recompute; rapid edits are coalesced by a short debounce."""
        self.config = config
        self.requests.ask((config, id(self.model)), immediate)

    def _launch(self, key: tuple) -> None:
        config, choice = key[0], self.model

        def job(cancelled):
            if choice is None:
                from ..engine.flow import run_flow  # numpy and torch load in the worker

                return run_flow(config, cancel=cancelled)
            # numpy and torch load only when a model is opened
            from ..engine.models import model_config, run_model

            given = {"hidden": config.hidden, "input_size": config.input_size}
            if choice.inputs is not None:
                given["steps"] = config.steps
            run_config = model_config(choice.model, config, given, choice.inputs)
            return run_model(choice.model, run_config, choice.inputs, choice.inputs_path,
                             cancel=cancelled)

        self.compute(job, lambda result: self.show_result(result, key),
                     label=f"computing T={config.steps}, n={config.hidden}")

    def show_compute_error(self, message: str) -> None:
        self.requests.launched_was(self._shown_key)  # a refused config may be asked for again
        super().show_compute_error(message)

    def show_result(self, result, key: tuple | None = None) -> None:
        self.result = result
        self._shown_config = result.config
        self._shown_key = key if key is not None else (result.config, id(None))
        self._draw(result)
        self.status.show(device=result.device, dtype=result.dtype, seconds=result.seconds,
                         message="up to date", error=False)

    # -- drawing --------------------------------------------------------------------
    def _draw(self, r) -> None:
        c = r.config
        horizon = horizon_text(r.vanishing_horizon, r.steps)
        stacked = isinstance(getattr(r, "layers", None), list)
        if r.source == "random init":
            what = f"{c.activation}, {c.init} W_hh × {c.scale:g}"
        elif stacked:
            what = stack_title(r)
        else:
            what = f"{c.activation} RNN"
        matrix = f" (W_hh block {r.spectral_block}, top layer)" if stacked else ""
        sizes = f"T={c.steps}" if stacked else f"n={c.hidden}, T={c.steps}"
        lines = [
            f"[b]{gradient_verdict_text(r.verdict)}[/b] · fitted factor {per_step(r.factor)}",
            f"vanishing horizon (1e-6): {horizon}",
            f"spectral radius {r.spectral_radius:.4f} · norm {r.spectral_norm:.4f}{matrix}",
            f"{what}, {sizes}",
        ]
        if r.source != "random init":
            lines.append(f"source: {escape(r.source)}")
        if r.exploding_horizon is not None:
            lines.append(f"exploding horizon (1e6) {r.exploding_horizon} steps")
        if r.forward_overflow_step is not None:
            lines.append("⚠ " + overflow_text(r.forward_overflow_step))
        note = zero_note(r.log10_grad_h)
        if note:
            lines.append("⚠ " + note)
        self.query_one("#flow-summary", Static).update("\n".join(lines))
        self.query_one("#flow-summary").set_classes(f"verdict-{r.verdict}")

        # The sparkline draws log10 ||h_t||, which stays finite past float range.
        log_h = [v if math.isfinite(v) else -400.0 for v in r.log10_h_norm]
        self.query_one("#flow-hnorm", Sparkline).data = log_h
        self.query_one("#flow-hnorm-label", Label).update(
            f"forward ||h_t|| (log): {format_log10(min(r.log10_h_norm), 1)}"
            f" to {format_log10(max(r.log10_h_norm), 1)}")
        sat = list(r.saturation)
        self.query_one("#flow-sat", Sparkline).data = sat
        self.query_one("#flow-sat-label", Label).update(
            f"forward saturated (|f'|<0.1): mean {100 * sum(sat) / len(sat):.0f}%, "
            f"max {100 * max(sat):.0f}%")
        chart = self.query_one("#flow-chart", LogChart)
        if stacked and (len(r.layers) > 1 or r.log10_grad_c is not None):
            series = [Series(f"layer {layer.index}", tuple(layer.log10_grad_h),
                             str(layer.index % 10), LAYER_STYLES[(layer.index - 1) % len(LAYER_STYLES)])
                      for layer in r.layers] if len(r.layers) > 1 else [
                Series("||dL/dh_t||", tuple(r.log10_grad_h), "h", "bold cyan")]
            if r.log10_grad_c is not None:
                series.append(Series("dL/dc top", tuple(r.log10_grad_c), "c", "bold yellow"))
            chart.set_series(*series)
        else:
            chart.set_series(Series("||dL/dh_t||", tuple(r.log10_grad_h), "█", "bold cyan"))

        table = self.query_one("#flow-table", DataTable)
        table.clear()
        ratio, step = r.log10_ratio, r.log10_step_factor
        for k in shown_steps(r.steps, target=TABLE_ROWS):
            table.add_row(str(k + 1), format_log10(r.log10_grad_h[k]), format_log10(ratio[k]),
                          "-" if math.isnan(step[k]) else f"{10 ** step[k]:.4f}",
                          format_log10(r.log10_grad_x[k]), format_log10(r.log10_h_norm[k]),
                          f"{100 * r.saturation[k]:.0f}%")
