"""Forget gate: why the LSTM's cell keeps a gradient alive, measured.

First the toy: a per-step factor against a constant forget gate over the same
number of steps (closed form, computed as logs). Then the real thing: a vanilla
RNN, an LSTM and a GRU with the same sizes, weights scale, seed and input
sequence, their per-step gradients on one log chart, and the LSTM's cell path
measured on its own against the product of its forget gates.
"""
from __future__ import annotations

import math
import shlex

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Label, Static

from ..engine.articles import ARTICLE_TOY
from ..engine.cell_comparison import CELL_ORDER, compare_cells
from ..engine.config import RNNConfig
from ..engine.flow import fitted_factor, horizons, verdict_for
from ..engine.forget_gate import check_article_toy, toy_carousel
from ..engine.magnitude import format_log10
from ..engine.presets import FORGET_BASE
from ..present.flow import gap_text
from ..present.regimes import factor_text, horizon_text, per_step
from ..present.regimes import gradient_verdict_text as verdict_text
from ..present.rows import shown_steps
from ..topics import topic
from ..widgets.tables import FitTable
from ..widgets.log_chart import LogChart, Series
from ..widgets.model_dialog import OpenModelDialog
from ..widgets.keys import HIDDEN, key_table
from .config_page import PRESETS_HERE, ConfigPage, Job, Nudge, Section

FIELDS = ("forget_bias", "steps", "hidden", "input_size", "layers", "scale", "input_scale",
          "seed", "device", "dtype")
TOY_FIELDS = ("toy_factor", "toy_gate", "toy_steps")
ARTICLE_TOY_VALUES = {"toy_factor": ARTICLE_TOY["factor"], "toy_gate": ARTICLE_TOY["gate"],
                      "toy_steps": ARTICLE_TOY["steps"]}
TABLE_ROWS = 60
CELL_STYLE = {"rnn": ("R", "series5"), "lstm": ("L", "series1"), "gru": ("G", "series3"),
              "model": ("M", "series2")}  # marker and role (vgtui.present.styles)
CELL_TITLE = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
SHORT_TITLE = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}

HELP = """\
**What it shows.** Why gating helps, measured rather than asserted.

*The toy.* A plain RNN that keeps a fraction `γ` of the gradient per step keeps `γ^k`
after `k` steps; an LSTM cell whose forget gate sits at `f` keeps `f^k` along its cell.
The article's pair is 0.7 against 0.98 over 100 steps; change all three numbers. Where
the article states a figure, the screen checks it against the computed one.

*The real cells.* A vanilla tanh RNN, an LSTM (gates i, f, g, o as in torch.nn.LSTM)
and a GRU (r, z, n as in torch.nn.GRU), with the same hidden size, weight scale, seed
and input sequence; the loss is `L = sum(h_T)` of the top layer. The chart shows
`||dL/dh_t||` per step for each (`v` switches to `||dL/dx_t||`, the gradient that
reaches the input at step t). Markers R, L, G (and M for your model) carry the
series without colour; ◆ marks points where two series meet.

The draws are shared where the cells line up: the LSTM's candidate g, the GRU's new
state n and the vanilla RNN use the same `W_hh` and `W_xh`; the LSTM's forget gate and
the GRU's update gate start from the same weights too (which is why their mean gates
track each other). What differs is the wiring, not the luck of the draw.

*The forget bias* starts the LSTM's forget gate (the GRU's update gate z, whose
`z ≈ 1` keeps the old state) at that bias: `f = sigmoid(... + b_f)`. At 0 the gate
sits near 0.5 and the cell forgets half per step; the usual advice is 1 (gate near 0.73,
still ▼ vanishing over 100 steps: preset *bias 1*); at 3 the gate is near 0.95; the
screen opens at 4, where the gate is near 0.98 like the toy's and the LSTM carries the
gradient. Lower it with `-` and watch the LSTM's horizon come in.

*The cell path.* `c_t = f_t * c_(t-1) + i_t * g_t`. Three figures, each named for what
it is. *c*, the total `||dL/dc_t||`: everything that reaches the cell state, through the
cell itself and through `h_t = o_t tanh(c_t)`, which the next step's gates and candidate
read. *p*, the cell-only path: `dL/dc_T` sent back through a copy of the cell stepped
with `h` (and so every gate) held at the run's values, where each step back multiplies
it by `f_t` unit by unit (the tests check it against torch autograd): what the cell path
alone delivers. *f*, the product of forget gates from t+1 to T (RMS
over units): the articles' prediction, relative to step T. Where *c* and *p* part, the
gradient through `h` has become a visible share; with a large forget bias and small
weights they stay together, with large weights they part within a few steps.

**How to read it.**
- *horizon*: steps back until the gradient is below 1e-6 of its value at T.
- *per step*: the factor of a straight-line fit to `log10` of the gradient.
- Numbers past float range (1e-400) are exact: the engine keeps logs.
- With more than one layer, `l` picks the layer whose `||dL/dh_t||` is drawn.

**Your own model.** `o` opens a torch.nn.RNN / LSTM / GRU state_dict (any depth) and an
optional `.npy` input sequence. The random cells take the model's sizes and inputs, so
the comparison is like for like; the model is drawn as series M, and an LSTM model's
own cell path replaces the random LSTM's. `x` returns to random cells only.

**Things to try.**
- Forget bias 0, 1, 2, 3: compare the LSTM's horizon and per-step factor each time.
  At 0 the untrained LSTM can lose its gradient even faster than the vanilla RNN:
  gating helps when the gates sit near 1, not by being there.
- Preset *T = 1000*: the vanilla RNN falls past 1e-300; where do the gated cells end?
- Set the toy's gate to 0.9 or 0.999 and its length to 1000.
- Scale 0.5 against 1.5: the vanilla RNN swings; the LSTM's cell path hardly moves.

The same numbers: `vgtui flow --arch lstm --forget-bias 4 --steps 100 --json`
(and `--arch rnn` / `--arch gru` for the other two).
"""


class ForgetScreen(ConfigPage):
    SCREEN_ID = "forget"
    TITLE = "Forget gate"
    HELP = HELP
    DEMO = ("Forget gate: the article's toy, 0.7 against 0.98 over 100 steps; further down "
            "(PageDown), a real RNN, LSTM and GRU on the same inputs. Raising the forget bias "
            "from 0 to 3 pushes the LSTM's horizon out; its total cell gradient is measured "
            "against the cell-only path and the product of its forget gates.")
    AUTO_FOCUS = "#forget-results"
    PREFIX = "forget"
    CONTROLS = (Section("toy: factor vs gate", TOY_FIELDS, "toy-panel"), PRESETS_HERE,
                Section("cells (shared settings)", FIELDS))
    PRESETS = topic("forget").presets
    DEFAULT_PRESET = "bias-4"
    DEMO_PRESET = "bias-0"
    NUDGES = (
        Nudge("+,=", "forget_bias", step=0.5, label="bias+", group="bias",
              tooltip="Raise the forget-gate bias by 0.5"),
        Nudge("-,_", "forget_bias", step=-0.5, label="bias-", group="bias",
              tooltip="Lower the forget-gate bias by 0.5"),
        Nudge("]", "steps", factor=1.1, label="T+10%", group="T",
              tooltip="Lengthen the sequence by 10%"),
        Nudge("[", "steps", factor=1 / 1.1, label="T-10%", group="T",
              tooltip="Shorten the sequence by 10%"),
    )
    KEEP_ON_PRESET = ("device", "dtype", *TOY_FIELDS)  # a preset is about the cells, not the toy
    BINDINGS = key_table(
        "forget",
        ("v", "toggle_quantity", "dh/dx", "quantity",
         "Switch the chart between ||dL/dh_t|| and ||dL/dx_t||"),
        ("l", "next_layer", "layer", "layer", "Show the next layer's ||dL/dh_t|| (stacks)", HIDDEN),
        ("o", "open_model", "open model", "open_model",
         "Load your own torch.nn RNN / LSTM / GRU state_dict", HIDDEN),
        ("x", "clear_model", "clear model", "clear_model", "Back to random cells only", HIDDEN),
        ("a", "article_toy", "article toy", "article_toy",
         "Put the toy back at the article's 0.7 vs 0.98 over 100 steps", HIDDEN),
    )

    def __init__(self) -> None:
        self.toy_result = None
        self.model = None  # a widgets.model_dialog.ModelChoice
        self.quantity = "h"
        self.layer_view = None  # None: the top layer
        super().__init__()

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        return {**RNNConfig().to_dict(), **FORGET_BASE, **ARTICLE_TOY_VALUES}

    def make_config(self, values) -> RNNConfig:
        # The toy is drawn at once from its own fields; only the cells need the engine.
        cells = {k: v for k, v in values.items() if k not in TOY_FIELDS}
        return RNNConfig(**{**RNNConfig().to_dict(), **FORGET_BASE, **cells})

    def request_context(self):
        return self.model

    def working_label(self, config: RNNConfig) -> str:
        return f"computing RNN, LSTM and GRU, T={config.steps}, n={config.hidden}"

    def compute(self, config: RNNConfig, job: Job):
        model = job.context
        if model is None:
            return compare_cells(config, cancel=job.cancelled)
        return compare_cells(config, model.model, model.inputs, model.inputs_path,
                             cancel=job.cancelled)

    # -- layout ----------------------------------------------------------------
    def compose_controls_extra(self) -> ComposeResult:
        yield Label("model", classes="section")
        yield Static("none: o opens one", id="forget-model", classes="note")

    def compose_results(self) -> ComposeResult:
        yield Label("toy: gradient kept after k steps back (log scale)", classes="section")
        yield Static("", id="forget-toy")
        yield LogChart(id="forget-toy-chart", x_label="k")
        yield Label("RNN, LSTM and GRU on the same inputs", classes="section",
                    id="forget-chart-label")
        yield Static(self.FIRST_MESSAGE, id="forget-summary")
        yield LogChart(id="forget-chart")
        yield Label("LSTM cell gradient: total, cell-only path, product of forget gates",
                    classes="section",
                    id="forget-cell-label")
        yield Static("", id="forget-cell")
        yield LogChart(id="forget-cell-chart")
        yield FitTable(id="forget-table")

    def on_mount(self) -> None:
        super().on_mount()
        self._draw_toy()

    # -- toy ---------------------------------------------------------------------
    @property
    def toy(self) -> dict:
        values, errors = self.values()
        if any(name in errors for name in TOY_FIELDS):
            return dict(self._toy_shown)
        return {name: values[name] for name in TOY_FIELDS}

    _toy_shown = ARTICLE_TOY_VALUES

    def on_fields_edited(self, field: str) -> None:
        if field in TOY_FIELDS:
            self._draw_toy()

    def _draw_toy(self) -> None:
        values, errors = self.values()
        if any(name in errors for name in TOY_FIELDS):
            return  # the inline error says why; the last toy stays
        toy = toy_carousel(values["toy_factor"], values["toy_gate"], values["toy_steps"])
        self._toy_shown = {name: values[name] for name in TOY_FIELDS}
        self.toy_result = toy
        h_rnn, h_gate = toy.steps_to(-6.0)
        k = toy.steps
        lines = [
            f"R {toy.factor:g}^{k} = {format_log10(toy.log10_final_rnn)}",
            f"f {toy.gate:g}^{k} = {format_log10(toy.log10_final_gate)}",
            f"the gate keeps {format_log10(toy.log10_advantage)} times more "
            f"(10^{toy.log10_advantage:.2f})" if math.isfinite(toy.log10_advantage)
            else "one of the two is exactly 0 (a factor of 0)",
            f"below 1e-6: R after {_steps(h_rnn, k)}, f after {_steps(h_gate, k)}",
        ]
        checks = check_article_toy(toy)
        if checks:
            lines.append("the article's figures, checked:")
            for c in checks:
                mark = "✓" if c.verdict == "agrees" else "✗"
                lines.append(f" {mark} {c.what}: article {c.claimed:.2g}, computed "
                             f"{format_log10(c.log10_computed)}, {c.verdict}")
        else:
            lines.append("(a: back to the article's 0.7 vs 0.98 over 100 steps)")
        self.query_one("#forget-toy", Static).update("\n".join(lines))
        self.query_one("#forget-toy-chart", LogChart).set_series(
            Series(f"{toy.factor:g}^k", tuple(toy.log10_rnn), "R", "series5"),
            Series(f"{toy.gate:g}^k", tuple(toy.log10_gate), "f", "series1"), x_start=0)

    def action_article_toy(self) -> None:
        self.set_values(ARTICLE_TOY_VALUES)
        self._draw_toy()
        self.request()

    # -- cells ---------------------------------------------------------------------
    def before_preset(self, preset) -> None:
        if self.model is None or preset is None:
            return
        values, _ = self.values()
        wanted = self.preset_values(preset, values)
        if any(wanted.get(k) != values.get(k) for k in ("hidden", "input_size", "layers")):
            self.clear_model(quiet=True, recompute=False)

    def action_toggle_quantity(self) -> None:
        self.quantity = "x" if self.quantity == "h" else "h"
        if self.result is not None:
            self.draw(self.result)

    def action_next_layer(self) -> None:
        layers = self.config.layers if self.result is None else self.result.config.layers
        if layers <= 1:
            self.status.show(message="one layer only: set layers above 1 to pick a layer",
                             error=False)
            return
        current = layers - 1 if self.layer_view is None else self.layer_view
        self.layer_view = (current + 1) % layers
        if self.result is not None:
            self.draw(self.result)

    # -- your model ------------------------------------------------------------------
    def action_open_model(self) -> None:
        previous = self.model
        dialog = OpenModelDialog("Open model (Forget gate)",
                                 previous.model_path if previous else "",
                                 previous.inputs_path or "" if previous else "")
        self.app.push_screen(dialog, self.use_model)

    def use_model(self, choice) -> None:
        """Take a loaded model: the cells adopt its sizes (and inputs) and it is added."""
        if choice is None:
            return
        self.model = choice
        m = choice.model
        changes = {"hidden": m.hidden, "input_size": m.input_size, "layers": m.layers}
        if choice.inputs is not None:
            changes["steps"] = int(choice.inputs.shape[0])
        self.query_one("#forget-model", Static).update(Content(f"{choice.label()}\nx clears it"))
        self.layer_view = None
        self.set_values(changes)
        self.request(immediate=True)

    def action_clear_model(self) -> None:
        self.clear_model()

    def clear_model(self, quiet: bool = False, recompute: bool = True) -> None:
        if self.model is None:
            if not quiet:
                self.status.show(message="no model loaded", error=False)
            return
        self.model = None
        self.query_one("#forget-model", Static).update("none: o opens one")
        if recompute:
            self.request(immediate=True)

    # -- drawing ---------------------------------------------------------------------
    def _series_values(self, run, layer_index: int):
        if self.quantity == "x":
            return run.log10_grad_x
        layers = getattr(run, "layers", None)
        if isinstance(layers, list) and layer_index < len(layers):
            return layers[layer_index].log10_grad_h
        return run.log10_grad_h

    def draw(self, r) -> None:
        c = r.config
        if self.layer_view is not None and self.layer_view >= c.layers:
            self.layer_view = None  # a layer the new result does not have
        top = c.layers - 1
        layer_index = top if self.layer_view is None else self.layer_view
        what = "||dL/dx_t||" if self.quantity == "x" else "||dL/dh_t||"
        where = "" if self.quantity == "x" or c.layers == 1 else f", layer {layer_index + 1} of {c.layers}"
        self.query_one("#forget-chart-label", Label).update(
            f"RNN, LSTM, GRU, same inputs: {what}{where}")
        lines = [f"forget bias {c.forget_bias:g} (LSTM f, GRU z) · T={c.steps} · n={c.hidden}"
                 + (f" · {c.layers} layers" if c.layers > 1 else "")]
        series = []
        entries = [(arch, r.runs[arch]) for arch in CELL_ORDER]
        if r.model_run is not None:
            entries.append(("model", r.model_run))
        for key, run in entries:
            marker, style = CELL_STYLE[key]
            values = self._series_values(run, layer_index)
            if key == "model":
                title = f"your {getattr(run, 'arch', 'rnn').upper()}"
            else:
                title = CELL_TITLE[key]
            series.append(Series("model" if key == "model" else SHORT_TITLE[key], tuple(values),
                                 marker, style))
            vanish, explode = horizons(values)
            factor = fitted_factor(values)
            gates = getattr(run, "gates", {}) or {}
            gate_text = ""
            for name, short in (("forget", "f"), ("update", "z")):
                if name in gates:
                    gate_text = f" · mean {short} {sum(gates[name]) / len(gates[name]):.3f}"
            lines.append(f"{marker} {title}: t=1 {format_log10(values[0])} · {per_step(factor, 3)} · "
                         f"horizon {horizon_text(vanish, len(values))} · "
                         f"{verdict_text(verdict_for(factor, vanish, explode))}{gate_text}")
        if r.model_run is not None:
            lines.append(f"M = {r.model_run.source}")
        self.query_one("#forget-summary", Static).update("\n".join(lines))
        self.query_one("#forget-chart", LogChart).set_series(*series)
        self._draw_cell(r, layer_index)
        self._draw_table(r, layer_index)

    def _cell_run(self, r):
        model = r.model_run
        if model is not None and getattr(model, "arch", "rnn") == "lstm":
            return model, "your LSTM"
        return r.runs["lstm"], f"LSTM, forget bias {r.config.forget_bias:g}"

    def _draw_cell(self, r, layer_index: int) -> None:
        run, title = self._cell_run(r)
        layer = run.layers[min(layer_index, len(run.layers) - 1)]
        where = f", layer {layer.index}" if len(run.layers) > 1 else ""
        self.query_one("#forget-cell-label", Label).update(f"{title}{where}: cell path")
        toy_gate = self._toy_shown["toy_gate"]
        mean_f = layer.gates["forget"]
        parting = layer.parting_step
        lines = [
            f"c total ||dL/dc_1|| (cell and h routes, measured): {format_log10(layer.log10_grad_c[0])}",
            f"p cell-only path (h held fixed): {format_log10(layer.log10_cell_path[0])}"
            f" · gap to c {gap_text(layer.h_route_gap)}",
            f"f product of forget gates (RMS, relative to T): "
            f"{format_log10(layer.log10_forget_product[0])} · gap to c/c_T "
            f"{gap_text(layer.forget_product_gap)}",
            ("c and p part at step " + str(parting) + ": from there the route through h counts"
             if parting is not None else "c and p stay within 0.1 decade: little goes through h"),
            f"per step (p) {factor_text(layer.cell_path_factor)} · mean f "
            f"{sum(mean_f) / len(mean_f):.3f} · toy gate {toy_gate:g}",
        ]
        self.query_one("#forget-cell", Static).update("\n".join(lines))
        self.query_one("#forget-cell-chart", LogChart).set_series(
            Series("dL/dc", tuple(layer.log10_grad_c), "c", "series6"),
            Series("cell only", tuple(layer.log10_cell_path), "p", "series1"),
            Series("Π f", tuple(layer.log10_forget_product), "f", "series4"))

    def _draw_table(self, r, layer_index: int) -> None:
        table = self.query_one("#forget-table", FitTable)
        table.clear(columns=True)
        cell_run, _ = self._cell_run(r)
        layer = cell_run.layers[min(layer_index, len(cell_run.layers) - 1)]
        grad = "dx" if self.quantity == "x" else "dh"
        columns = ["t", f"R |{grad}|", f"L |{grad}|", f"G |{grad}|"]
        entries = [r.runs[a] for a in CELL_ORDER]
        if r.model_run is not None:
            columns.append(f"M |{grad}|")
            entries.append(r.model_run)
        columns += ["|dL/dc_t|", "cell only", "Π f", "mean f", "mean z"]
        table.add_keyed_columns(*columns)
        values = [self._series_values(run, layer_index) for run in entries]
        gru_z = r.runs["gru"].layers[min(layer_index, r.config.layers - 1)].gates["update"]
        for k in shown_steps(r.steps, target=TABLE_ROWS):
            table.add_row(str(k + 1), *[format_log10(v[k]) for v in values],
                          format_log10(layer.log10_grad_c[k]), format_log10(layer.log10_cell_path[k]),
                          format_log10(layer.log10_forget_product[k]),
                          f"{layer.gates['forget'][k]:.3f}", f"{gru_z[k]:.3f}")

    # -- commands ----------------------------------------------------------------------
    def command(self, c: RNNConfig) -> str:
        parts = ["vgtui flow"]
        if self.model is not None:
            parts += ["--model", shlex.quote(self.model.model_path)]
            if self.model.inputs_path:
                parts += ["--inputs", shlex.quote(self.model.inputs_path)]
            else:
                parts += ["--steps", str(c.steps), "--seed", str(c.seed),
                          "--input-scale", str(c.input_scale)]
        else:
            parts += ["--arch lstm", f"--forget-bias {c.forget_bias}", f"--steps {c.steps}",
                      f"--hidden {c.hidden}", f"--input-size {c.input_size}",
                      f"--layers {c.layers}", f"--scale {c.scale}",
                      f"--input-scale {c.input_scale}", f"--seed {c.seed}"]
        if c.device != "auto":
            parts.append(f"--device {c.device}")
        if c.dtype != "auto":
            parts.append(f"--dtype {c.dtype}")
        return " ".join(parts)

    def extra_commands(self):
        return [
            ("Forget gate: open model", "load your own torch.nn RNN / LSTM / GRU state_dict",
             self.action_open_model),
            ("Forget gate: clear model", "back to random cells only", self.action_clear_model),
            ("Forget gate: switch dL/dh and dL/dx", "what the chart shows", self.action_toggle_quantity),
            ("Forget gate: next layer", "which layer's gradient the chart shows", self.action_next_layer),
            ("Forget gate: article's toy pair", "0.7 against 0.98 over 100 steps", self.action_article_toy),
        ]


def _steps(horizon: int | None, steps: int) -> str:
    return f"{horizon} steps" if horizon is not None else f"more than {steps} steps"
