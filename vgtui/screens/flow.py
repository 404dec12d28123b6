"""Gradient Flow: how big dL/dh_t is at every step back from T.

Controls for every engine setting on the left; on the right the verdict line,
the forward pass (||h_t|| and saturation per step), the backward pass as a
log-scale chart with decade labels, and the per-step table.
"""
from __future__ import annotations

import math
import shlex

from rich.markup import escape
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Sparkline, Static

from ..engine.config import RNNConfig
from ..engine.magnitude import format_log10
from ..present.flow import overflow_text, stack_title, zero_note
from ..present.regimes import gradient_verdict_text as verdict_text
from ..present.regimes import horizon_text, per_step
from ..present.rows import shown_steps
from ..topics import topic
from ..widgets.charts import flow_chart
from ..widgets.keys import HIDDEN, key_table
from ..widgets.log_chart import LogChart
from ..widgets.model_dialog import OpenModelDialog
from ..widgets.tables import FitTable
from ..widgets.text import show_text
from .config_page import PRESETS_HERE, ConfigPage, Job, Nudge, Section

FIELDS = ("activation", "init", "scale", "init_noise", "hidden", "steps", "input_size",
          "input_scale", "seed", "leaky_slope", "device", "dtype")
# Settings that shape random weights: they do not apply while a model file is loaded.
RANDOM_WEIGHT_FIELDS = ("scale", "init", "init_noise")
TABLE_ROWS = 100

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
- Steps count from 1: row t is `||dL/dh_t||`, JSON `grad_h[k]` is `||dL/dh_(k+1)||`
  (the torch code of the Bengio et al. (1994) walkthrough counts from 0: its step t0 is
  t0+1 here).
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


class FlowScreen(ConfigPage):
    SCREEN_ID = "flow"
    TITLE = "Gradient Flow"
    HELP = HELP
    DEMO = ("Gradient Flow: a sigmoid RNN over 20 steps. Each step back multiplies the "
            "gradient by W_hh^T diag(f'), and sigmoid' never exceeds 0.25, so the bars "
            "fall away to the left: the first steps get almost no learning signal.")
    DEMO_SHOWS = "#flow-chart"
    AUTO_FOCUS = "#flow-results"
    PREFIX = "flow"
    CONTROLS = (PRESETS_HERE, Section("settings", FIELDS))
    PRESETS = topic("flow").presets
    DEFAULT_PRESET = "default"
    DEMO_PRESET = "sigmoid-20"
    NUDGES = (
        Nudge("+,=", "scale", step=0.05, label="scale+", group="scale",
              tooltip="Raise the weight scale by 0.05"),
        Nudge("-,_", "scale", step=-0.05, label="scale-", group="scale",
              tooltip="Lower the weight scale by 0.05"),
        Nudge("]", "steps", factor=1.1, label="T+10%", group="T",
              tooltip="Lengthen the sequence by 10%"),
        Nudge("[", "steps", factor=1 / 1.1, label="T-10%", group="T",
              tooltip="Shorten the sequence by 10%"),
    )
    BINDINGS = key_table(
        "flow",
        ("o", "open_model", "open model", "open_model",
         "Load your own torch.nn RNN / LSTM / GRU state_dict"),
        ("x", "clear_model", "clear model", "clear_model", "Back to random weights", HIDDEN),
    )

    def __init__(self) -> None:
        self.model = None  # a widgets.model_dialog.ModelChoice while a model is loaded
        super().__init__()

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        return RNNConfig().to_dict()

    def make_config(self, values) -> RNNConfig:
        return RNNConfig(**{**RNNConfig().to_dict(), **values})

    def request_context(self):
        return self.model

    def working_label(self, config: RNNConfig) -> str:
        return f"computing T={config.steps}, n={config.hidden}"

    def compute(self, config: RNNConfig, job: Job):
        choice = job.context
        if choice is None:
            from ..engine.flow import run_flow  # numpy and torch load in the worker

            return run_flow(config, cancel=job.cancelled)
        from ..engine.models import (  # numpy: loaded when first needed
            model_config,
            run_model,
        )

        given = {"hidden": config.hidden, "input_size": config.input_size}
        if choice.inputs is None:
            given["steps"] = config.steps
        run_config = model_config(choice.model, config, given, choice.inputs)
        return run_model(choice.model, run_config, choice.inputs, choice.inputs_path,
                         cancel=job.cancelled)

    # -- layout ------------------------------------------------------------------------
    def compose_results(self) -> ComposeResult:
        yield Static(self.FIRST_MESSAGE, id="flow-summary")
        yield Label("forward  ||h_t|| per step", classes="section", id="flow-hnorm-label")
        yield Sparkline([], id="flow-hnorm")
        yield Label("forward  saturated share (|f'| < 0.1)", classes="section",
                    id="flow-sat-label")
        yield Sparkline([], id="flow-sat")
        yield Label("backward ||dL/dh_t||, log scale", classes="section")
        yield LogChart(id="flow-chart")
        yield FitTable(id="flow-table")

    def setup_tables(self) -> None:
        self.query_one("#flow-table", FitTable).add_keyed_columns(
            "t", "|dL/dh_t|", "ratio to T", "factor", "|dL/dx_t|", "|h_t|", "sat")

    # -- your own model ------------------------------------------------------------------
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
        self.set_values(changes)
        self._show_model_state()
        self.request(immediate=True)

    def action_clear_model(self) -> None:
        if self.model is None:
            self.status.show(message="no model loaded (o opens one)", error=False)
            return
        self.model = None
        self._show_model_state()
        self.request(immediate=True)

    def before_preset(self, preset) -> None:
        if self.model is not None:  # a preset means random weights again
            self.model = None
            self._show_model_state()

    def _show_model_state(self) -> None:
        loaded = self.model is not None
        self.query_one("#flow-panel").set_enabled(
            RANDOM_WEIGHT_FIELDS, not loaded,
            "does not apply: the weights come from the loaded model (x clears it)")
        if loaded:
            show_text(self.query_one("#flow-preset-note", Static),
                      f"weights from {self.model.model_path}; scale, init and noise do not "
                      "apply; x goes back to random weights")

    def command(self, c: RNNConfig) -> str:
        d = RNNConfig()
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
        parts = ["vgtui flow"]
        for name in FIELDS:
            value = getattr(c, name)
            if value != getattr(d, name) or name in ("activation", "scale", "steps"):
                parts.append(f"--{name.replace('_', '-')} {value}")
        return " ".join(parts)

    def extra_commands(self):
        return [
            ("Gradient Flow: open model", "your own torch.nn RNN / LSTM / GRU state_dict",
             self.action_open_model),
            ("Gradient Flow: clear model", "back to random weights", self.action_clear_model),
        ]

    # -- drawing --------------------------------------------------------------------
    def draw(self, r) -> None:
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
            f"[b]{verdict_text(r.verdict)}[/b] · fitted factor {per_step(r.factor)}",
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
        self.query_one("#flow-chart", LogChart).set_series(*flow_chart(r).series)

        table = self.query_one("#flow-table", DataTable)
        table.clear()
        ratio, step = r.log10_ratio, r.log10_step_factor
        for k in shown_steps(r.steps, target=TABLE_ROWS):
            table.add_row(str(k + 1), format_log10(r.log10_grad_h[k]), format_log10(ratio[k]),
                          "-" if math.isnan(step[k]) else f"{10 ** step[k]:.4f}",
                          format_log10(r.log10_grad_x[k]), format_log10(r.log10_h_norm[k]),
                          f"{100 * r.saturation[k]:.0f}%")
