"""History and remedies: a timeline, the remedies tried against vanishing and
exploding gradients (idea, what each fixes, what it cannot), each linked to the
screen that shows it; and parameter sharing with capacity 2^n against the
gradient gamma^T, computed for the sizes you enter.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Input, Label, Static, TabbedContent, TabPane

from ..engine.capacity import CAP_SPECS, CapacityConfig, compute_capacity, parse_cap_field
from ..engine.config import FIELD_SPECS
from ..engine.errors import ConfigError
from ..engine.magnitude import format_log10
from ..topics import title_and_key
from ..widgets.tables import FitTable
from ..widgets.entry import ParseValidator
from ..widgets.keys import LEAVE_FIELD, key_table
from .base import PageScreen


@dataclass(frozen=True)
class Event:
    year: str
    what: str
    detail: str
    screen: str


@dataclass(frozen=True)
class Remedy:
    name: str
    idea: str
    fixes: str
    cannot: str
    screen: str


TIMELINE = (
    Event("1974", "Werbos: backpropagation", "Paul Werbos describes reverse-mode gradient "
          "computation for networks in his PhD thesis: the method whose reach in time this "
          "app measures.", "flow"),
    Event("1986", "Rumelhart, Hinton & Williams", "Backpropagation becomes widely known and "
          "multi-layer networks practical to train; recurrent nets are trained by "
          "backpropagating through the unrolled sequence (BPTT).", "flow"),
    Event("1990", "Elman: simple recurrent network", "Jeffrey Elman feeds the hidden state "
          "back as context at the next step: the vanilla RNN analysed on these screens.",
          "flow"),
    Event("1991", "Hochreiter's diploma thesis", "Sepp Hochreiter (TU Munich, in German) "
          "analyses why error signals shrink or blow up as they flow back in time: the first "
          "careful account of the vanishing gradient.", "chain"),
    Event("1994", "Bengio, Simard & Frasconi", "A formal result: storing information "
          "robustly (latching, so that small perturbations cannot undo it) implies that the "
          "gradient over a long gap vanishes; robust memory and learning it by gradient "
          "descent pull against each other. Experiments on latching tasks fail past short "
          "gaps.", "bound"),
    Event("1997", "LSTM (Hochreiter & Schmidhuber)", "A memory cell updated by addition, the "
          "constant error carousel, lets error flow back many steps; gates decide what "
          "enters and leaves. The forget gate was added in 2000 (Gers, Schmidhuber & "
          "Cummins).", "forget"),
    Event("2013", "Gradient clipping (Pascanu, Mikolov & Bengio)", "The norm bound "
          "(max|f'| ||W_hh||)^(T-t) and its corollary that a sigmoid RNN needs ||W_hh|| > 4 "
          "for gradients to survive; rescaling the gradient when its norm passes a threshold "
          "tames the cliffs of the loss surface that exploding gradients create; it does "
          "nothing for vanishing.", "exploding"),
    Event("2014", "GRU (Cho et al.)", "A gated unit with an update gate that mixes the old "
          "state and a candidate: the same additive idea as the LSTM, with fewer gates.",
          "architectures"),
    Event("2015", "Residual connections (He et al.)", "h + F(h): the identity path gives "
          "the gradient a route whose Jacobian is the identity plus a correction, which made "
          "very deep feedforward nets trainable.", "architectures"),
    Event("2015", "Attention (Bahdanau, Cho & Bengio)", "The decoder looks back at every "
          "encoder state with learned weights: a direct path to any earlier position.",
          "architectures"),
    Event("2017", "Transformer (Vaswani et al.)", "Recurrence removed: self-attention links "
          "every pair of positions, so the gradient path between tokens no longer grows with "
          "their distance.", "architectures"),
    Event("2023", "Mamba / selective state-space models (Gu & Dao)", "A linear recurrence "
          "whose state transitions are controlled (and input-dependent), trained with a "
          "parallel scan: recurrence back, with its eigenvalues kept in check.",
          "architectures"),
)

REMEDIES = (
    Remedy("Truncated BPTT", "Backpropagate only k steps into the past; the forward state "
           "still runs over the whole sequence.", "The cost of long unrolls: time and memory "
           "per update stop growing with the sequence length.", "Learn any dependency longer "
           "than k: past k steps the gradient is exactly zero, by construction.",
           "experiments"),
    Remedy("Echo-state networks", "Keep a random W_hh fixed, scaled to a spectral radius "
           "just below 1, and train only the read-out.", "Nothing has to be backpropagated "
           "through time, so nothing vanishes during training.", "Shape the recurrent "
           "dynamics for the task: memory is whatever the fixed random reservoir keeps.",
           "spectrum"),
    Remedy("Second-order methods", "Use curvature (Hessian-free, Martens & Sutskever 2011) "
           "to take large steps along flat directions and small ones along steep ones.",
           "Slow progress where the gradient is small but consistent.", "Scale: exact "
           "curvature costs memory quadratic in the number of parameters, and the tiny "
           "long-range signal still comes through the same product of Jacobians.", "bound"),
    Remedy("Careful initialisation", "Start W_hh orthogonal or as a scaled identity (IRNN), "
           "spectral radius near 1: on the edge between vanishing and exploding.",
           "Gradients survive far longer at the start of training.", "Keep it there: "
           "training moves the weights, and saturating activations still shrink every step.",
           "spectrum"),
    Remedy("Momentum", "Accumulate past updates (Nesterov momentum, Sutskever et al. 2013) "
           "so small consistent gradients add up.", "Crawling along gentle, consistent "
           "slopes.", "Create a signal that is not in the gradient; near the cliffs that "
           "exploding gradients make, momentum carries the step over the edge.",
           "exploding"),
    Remedy("Gradient clipping", "If the gradient norm exceeds a threshold, rescale it to "
           "that threshold (direction kept).", "Exploding gradients: one bad batch can no "
           "longer throw the weights away.", "Vanishing: clipping only shrinks, so a tiny "
           "gradient stays tiny.", "exploding"),
    Remedy("Gating (LSTM, GRU)", "An additive memory path whose per-step factor is a learned "
           "gate; a forget gate near 1 passes the gradient almost unchanged.", "Vanishing "
           "along the cell path, over hundreds of steps.", "Help when the gate sits well "
           "below 1: the cell path then fades like any other; the recurrence stays "
           "sequential.", "forget"),
    Remedy("Residual paths", "Add the input of a block to its output, h + F(h), so the "
           "Jacobian is I + J_F.", "Multiplicative shrinking: the identity keeps the "
           "gradient's scale.", "Guarantee stability: J_F can still push the product away "
           "from 1, and the sum can grow.", "architectures"),
    Remedy("Attention", "Let the output draw directly on every earlier position with learned "
           "weights.", "Distance: the gradient path between two tokens has constant length.",
           "Come free: cost grows with the square of the sequence length, and order must be "
           "supplied as position information.", "architectures"),
    Remedy("Normalisation", "Rescale activations at every step to a fixed mean and spread "
           "(layer norm).", "Drifting activation scales and saturation, so f' stays away "
           "from 0.", "Change the repeated multiplication by W_hh: it steadies the scale, "
           "not the product of per-step factors.", "activations"),
)

HELP = """\
**What it shows.**
- *timeline*: from backpropagation (1974) to selective state-space models (2023), each row
  with what it changed for gradients through time.
- *remedies*: ten approaches, each with its idea, what it fixes and what it cannot fix.
- *sharing & capacity*: the parameters a vanilla RNN shares across time (`n² + nm + n`,
  whatever T is) against a stack with one recurrent matrix per step (`T·n²`); and capacity
  `2^n` (sign patterns of the hidden state) against learnability `γ^T` (the gradient left
  after T steps at γ per step). Computed for the sizes you enter.

**How to use it.** `t`, `r` and `s` switch tabs. Move along a table with ↑/↓; the panel
below shows the whole entry. Enter (or `o`) opens the screen that demonstrates the row.

**Things to try.**
- Open *Gradient clipping* and see on the Exploding screen that clipping leaves a small
  gradient small.
- In *sharing & capacity*, double n: capacity squares, the parameter count roughly
  quadruples, and the gradient after T steps does not change at all.
"""


CAP_INPUTS = {"cap-hidden": ("hidden", "hidden n"), "cap-input": ("input_size", "input m"),
              "cap-output": ("output", "output o"), "cap-steps": ("steps", "steps T"),
              "cap-factor": ("factor", "factor γ")}


class HistoryScreen(PageScreen):
    SCREEN_ID = "history"
    TITLE = "History & remedies"
    HELP = HELP
    DEMO = ("History & remedies: from backpropagation to state-space models, and the "
            "remedies people tried, each with what it fixes and what it cannot. Enter on a "
            "row opens the screen that demonstrates it.")
    AUTO_FOCUS = "#hist-timeline"

    BINDINGS = key_table(
        "history",
        ("t", "tab('timeline')", "timeline", "timeline", "Show the timeline"),
        ("r", "tab('remedies')", "remedies", "remedies", "Show the remedies"),
        ("s", "tab('sharing')", "sharing", "sharing", "Show parameter sharing and capacity"),
        ("o", "open_row", "open screen", "open", "Open the screen linked to the highlighted row"),
        LEAVE_FIELD,
    )

    def __init__(self) -> None:
        super().__init__()
        self.cap_config = CapacityConfig()
        self.cap_result = compute_capacity(self.cap_config)

    def compose_page(self) -> ComposeResult:
        with TabbedContent(id="hist-tabs", initial="timeline"):
            with TabPane("timeline", id="timeline"):
                with Vertical(classes="hist-pane"):
                    yield FitTable(id="hist-timeline")
                    yield Static("", id="hist-timeline-detail", classes="hist-detail")
            with TabPane("remedies", id="remedies"):
                with Vertical(classes="hist-pane"):
                    yield FitTable(id="hist-remedies")
                    yield Static("", id="hist-remedies-detail", classes="hist-detail")
            with TabPane("sharing & capacity", id="sharing"):
                with VerticalScroll(id="cap-scroll"):
                    with Horizontal(id="cap-inputs"):
                        for input_id, (name, label) in CAP_INPUTS.items():
                            with Vertical(classes="cap-field"):
                                yield Label(label, classes="cap-label")
                                yield Input(self._value_text(name), id=input_id, compact=True,
                                            validators=[ParseValidator(partial(parse_cap_field, name))],
                                            validate_on=["changed"], select_on_focus=True,
                                            tooltip=self._tip(name))
                    yield Static("", id="cap-error")
                    yield FitTable(id="cap-table", cursor_type="none")
                    yield Static("", id="cap-summary")

    @staticmethod
    def _tip(name: str) -> str:
        spec = CAP_SPECS.get(name) or FIELD_SPECS[name]
        return f"{spec.help}: {spec.describe_range()}"

    def _value_text(self, name: str) -> str:
        value = getattr(self.cap_config, name)
        return f"{value:g}" if isinstance(value, float) else str(value)

    def on_mount(self) -> None:
        timeline = self.query_one("#hist-timeline", DataTable)
        timeline.add_columns("year", "event", "shown on")
        for k, e in enumerate(TIMELINE):
            timeline.add_row(e.year, e.what, title_and_key(e.screen)[0], key=str(k))
        remedies = self.query_one("#hist-remedies", DataTable)
        remedies.add_columns("remedy", "fixes", "shown on")
        for k, r in enumerate(REMEDIES):
            # 30 characters keep the 'shown on' column inside 80 columns (the detail
            # pane below shows the whole text)
            short = r.fixes if len(r.fixes) <= 30 else r.fixes[:29] + "…"
            remedies.add_row(r.name, short, title_and_key(r.screen)[0], key=str(k))
        table = self.query_one("#cap-table", DataTable)
        table.add_columns("parameter", "shape", "count", "shared across time?")
        self._show_timeline(0)
        self._show_remedy(0)
        self._draw_capacity()
        self.status.show(device="closed forms, no torch", message="")

    # -- tables and links ------------------------------------------------------------
    def _show_timeline(self, k: int) -> None:
        e = TIMELINE[k]
        self.query_one("#hist-timeline-detail", Static).update(
            f"[b]{e.year} · {escape(e.what)}[/b]\n{escape(e.detail)}\n"
            f"[dim]Enter or o opens: {escape(title_and_key(e.screen)[0])}[/dim]")

    def _show_remedy(self, k: int) -> None:
        r = REMEDIES[k]
        self.query_one("#hist-remedies-detail", Static).update(
            f"[b]{escape(r.name)}[/b]  {escape(r.idea)}\n"
            f"✓ fixes: {escape(r.fixes)}\n✗ cannot: {escape(r.cannot)}\n"
            f"[dim]Enter or o opens: {escape(title_and_key(r.screen)[0])}[/dim]")

    @on(DataTable.RowHighlighted, "#hist-timeline")
    def _timeline_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show_timeline(int(event.row_key.value))

    @on(DataTable.RowHighlighted, "#hist-remedies")
    def _remedy_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show_remedy(int(event.row_key.value))

    @on(DataTable.RowSelected, "#hist-timeline")
    def _timeline_chosen(self, event: DataTable.RowSelected) -> None:
        self.app.action_goto(TIMELINE[int(event.row_key.value)].screen)

    @on(DataTable.RowSelected, "#hist-remedies")
    def _remedy_chosen(self, event: DataTable.RowSelected) -> None:
        self.app.action_goto(REMEDIES[int(event.row_key.value)].screen)

    def linked_screen(self) -> str | None:
        """The screen id of the highlighted row in the visible table."""
        tab = self.query_one("#hist-tabs", TabbedContent).active
        if tab == "timeline":
            row = self.query_one("#hist-timeline", DataTable).cursor_row
            return TIMELINE[row].screen
        if tab == "remedies":
            row = self.query_one("#hist-remedies", DataTable).cursor_row
            return REMEDIES[row].screen
        return None

    def action_open_row(self) -> None:
        target = self.linked_screen()
        if target:
            self.app.action_goto(target)

    def action_tab(self, tab: str) -> None:
        self.query_one("#hist-tabs", TabbedContent).active = tab
        focus = {"timeline": "#hist-timeline", "remedies": "#hist-remedies",
                 "sharing": "#cap-table"}[tab]
        self.query_one(focus).focus()

    def action_leave_field(self) -> None:
        self.query_one("#cap-table").focus()

    # -- capacity -----------------------------------------------------------------------
    @on(Input.Changed)
    def _cap_changed(self, event: Input.Changed) -> None:
        if event.input.id not in CAP_INPUTS:
            return
        values, errors = {}, []
        for input_id, (name, _) in CAP_INPUTS.items():
            try:
                values[name] = parse_cap_field(name, self.query_one(f"#{input_id}", Input).value)
            except ConfigError as exc:
                errors.append(str(exc))
        error = self.query_one("#cap-error", Static)
        if errors:
            error.update(f"✗ {errors[0]} (last good result kept)")
            error.set_class(True, "-shown")
            return
        error.update("")
        error.set_class(False, "-shown")
        config = self.cap_config.replace(**values)
        if config != self.cap_config:
            self.cap_config = config
            self.cap_result = compute_capacity(config)
            self._draw_capacity()

    def _draw_capacity(self) -> None:
        r = self.cap_result
        c = r.config
        table = self.query_one("#cap-table", DataTable)
        table.clear()
        for row in r.rows:
            table.add_row(row.name, row.shape, f"{row.count:,}", f"yes · {row.role}")
        horizon = (f"below 1e-6 after {r.horizon} steps, whatever n is" if r.horizon is not None
                   else f"γ = {c.factor:g} does not shrink the gradient: it holds or grows")
        self.query_one("#cap-summary", Static).update(
            f"[b]shared:[/b] n² + nm + n = {r.recurrent_params:,} for any T "
            f"(with W_y {r.total_params:,})\n"
            f"[b]unshared:[/b] one W_hh per step, T·n² = {r.unshared_params:,} "
            f"({r.sharing_ratio:,.1f}× more); every weight per step T·(n²+nm+n) = "
            f"{r.unshared_full:,}\n\n"
            f"[b]capacity:[/b] 2^{c.hidden} = {format_log10(r.log10_states)} sign patterns of "
            f"h_t\n"
            f"[b]learnability:[/b] gradient after T = {c.steps} steps at γ = {c.factor:g}: "
            f"{format_log10(r.log10_gradient)}; {horizon}\n"
            "[dim]Capacity grows with n; the signal for learning falls with T. Raising n "
            "does not bring the gradient back.[/dim]")

    def cli_command(self) -> str:
        c = self.cap_config
        return (f"vgtui capacity --hidden {c.hidden} --input-size {c.input_size} "
                f"--output {c.output} --steps {c.steps} --factor {c.factor:g}")

    def demo_prepare(self) -> None:
        self.action_tab("timeline")

    def palette_commands(self):
        cmds = [("History: timeline", "from backpropagation to state-space models",
                 lambda: self.action_tab("timeline")),
                ("History: remedies", "idea, what it fixes, what it cannot",
                 lambda: self.action_tab("remedies")),
                ("History: parameter sharing and capacity", "n² + nm + n vs T·n², 2^n vs γ^T",
                 lambda: self.action_tab("sharing"))]
        cmds += [(f"Remedy: {r.name} → {title_and_key(r.screen)[0]}", r.idea,
                  lambda s=r.screen: self.app.action_goto(s)) for r in REMEDIES]
        return cmds
