"""Experiments: train RNN / LSTM / GRU on a long-range task and see what is learned.

Settings on the first tab; `r` starts the runs in a thread worker, `x` stops them
(finished rows stay). Rows arrive in the results table as runs finish, with a
loss sparkline each, and a reading computed from the rows beneath. The run tab
shows one run's curves and its gradient per step; the truncation tab shows that
truncated BPTT leaves the gradient beyond k exactly zero.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    DataTable,
    Input,
    Label,
    ProgressBar,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import get_current_worker

from ..engine.experiment_config import EXPERIMENT_FIELDS, command_line, parse_experiment_field
from ..engine.experiments import (
    ExperimentCancelled,
    ExperimentConfig,
    ExperimentResult,
    run_experiment,
)
from ..engine.magnitude import format_value
from ..engine.training import truncation_probe
from ..present.experiments import ARCH_TITLES, loss_curve_text, reading, training_verdict_text
from ..topics import topic
from ..widgets.tables import FitTable
from ..widgets.controls import ControlPanel, PanelField
from ..widgets.charts import log10_or_marks, training_profile_chart
from ..widgets.log_chart import LogChart, Series
from ..widgets.keys import HIDDEN, footer_pair, key_table
from .base import refusal_text
from .config_page import ConfigPage, Job, Section

SETTINGS = ["task", "lengths", "archs", "optimizer", "seeds", "train_steps", "lr", "clip",
            "forget_bias", "truncate", "hidden", "batch", "noise", "symbols", "first_seed",
            "eval_size", "device", "dtype"]
# The verdict in few columns, marker first so it reads without colour.
SHORT_VERDICTS = {"learned": "✓ yes", "partial": "~ partly", "not learned": "✗ no",
                  "diverged": "! diverged"}
# The truncation tab shows a window even when training runs without one.
PROBE_WINDOW = 10

HELP = """\
**What it shows.** Real training runs. A `torch.nn.RNN` (tanh), `LSTM` or `GRU` with a
linear readout on `h_T` learns a task whose answer sits at step 1:

- *first*: predict `x_1` (a N(0,1) number) at step T; later inputs are noise.
- *latch*: a symbol (one-hot) at step 1, noise after it; name the symbol at step T.
- *adding*: every step has a value U(0,1) and a marker; two steps are marked; predict
  their sum.

Each run trains on fresh batches; the verdict comes from held-out examples.

**How to read it.**
- *baseline*: the loss of the best constant prediction on the held-out set: the variance of
  the targets (first: about 1; adding: about 1/6) or the entropy of the labels (latch: about
  ln 2 = 0.693 nats). *ratio* = final loss / baseline; 1 means nothing was learned.
- *verdict*: ✓ learned (ratio below 0.5), ~ partial (below 0.9), ✗ not learned, ! diverged.
- *|dl/dx1|*: the gradient of one example's loss with respect to its input at step 1,
  averaged over held-out examples, before (*init*) and after training. It is what must be
  non-zero for the network to learn to use step 1. A learned run can show a tiny value:
  once the answer is stored in a stable state, small changes to `x_1` no longer matter.
- *loss curve*: the training loss over the updates as loss / baseline, on one fixed scale
  for every row (lowest bar 0, highest bar 1.25 or more): a line that stays high never
  left the baseline; one that drops learned.
- The **reading** below the table is computed from the rows: where each cell beat the
  baseline, how fast the step-1 gradient falls with T, and what that says.
- **Run** tab: the highlighted row's loss, its step-1 gradient during training (log10),
  the norm of the weight gradient (what clipping acts on), and `||dl/dx_t||` for every t
  before and after training.
- **Truncation** tab: with truncated BPTT the hidden state is detached every k steps
  (counted back from T), so the gradient at steps more than k before T is exactly zero,
  and a dependency longer than k cannot be learned. The state itself still flows forward
  from chunk to chunk (the "stateful" form); only the gradient is cut. `t` runs a
  truncated experiment.

**Things to try.**
- The default (latch, Adam, keep gates biased to 3): the RNN learns T = 5 and 20 and is at
  chance at T = 50, where the LSTM and GRU still learn.
- Preset *sgd-torch-init*: SGD and torch's own gate init (keep gates near 0.5): the gated
  cells fail already at T = 10, the RNN at T = 20. A gate helps once it is set to keep.
- Preset *Adam + clipping* (torch's gate init): Adam's step does not shrink with the
  gradient, which changes what a vanilla RNN can reach.
- Preset *forget bias*: LSTM with the forget gate biased open (3) against torch's default.
- Preset *truncated* (key `t`): k = 8, lengths 5..20.
- Set noise to 0: how much of the difficulty is the noise?
- Preset *remember the first input (the Bengio walkthrough's test)* and compare with the figures the article prints.

Defaults: latch, Adam lr 0.01 clipped at 1, LSTM forget / GRU update gate bias 3, 400
updates of 32 examples, 16 units, noise 0.2, 1 seed, T = 5, 20, 50: under a minute on two
cores. `f` loads and runs the full study (the same over 3 seeds, about two minutes). The
same runs: `vgtui train --task latch --lengths 5,20,50 --arch rnn,lstm,gru --optimizer adam
--clip 1 --forget-bias 3 --json` (`--preset full` for three seeds).
"""


def _text(value: Any, name: str) -> str:
    if value is None:
        return EXPERIMENT_FIELDS[name].none_word
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def experiment_field(name: str) -> PanelField:
    spec = EXPERIMENT_FIELDS[name]
    return PanelField(name, spec.label, partial(parse_experiment_field, name),
                      f"{spec.help}: {spec.describe_range()}",
                      spec.choices if spec.choices and not spec.many else (),
                      text=partial(_text, name=name))


FIELDS = tuple(experiment_field(name) for name in SETTINGS)


# -- typed messages from the training worker ---------------------------------------------
class TrainingProgress(Message):
    def __init__(self, config: ExperimentConfig, progress) -> None:
        super().__init__()
        self.config, self.progress = config, progress


class RunFinished(Message):
    def __init__(self, config: ExperimentConfig, run) -> None:
        super().__init__()
        self.config, self.run = config, run


class TrainingEnded(Message):
    """The plan finished or was cancelled (``result``), or failed (``error``)."""

    def __init__(self, config: ExperimentConfig, result=None, error: str | None = None) -> None:
        super().__init__()
        self.config, self.result, self.error = config, result, error


def _grad(value: float, run=None) -> str:
    if value == 0.0 and run is not None and run.underflow:
        return "<min"
    return format_value(value, 2)


_TABS = footer_pair("tab")  # ] and [ step through the tabs


class ExperimentsScreen(ConfigPage):
    SCREEN_ID = "experiments"
    TITLE = "Experiments"
    HELP = HELP
    DEMO = ("Experiments: real training runs. A vanilla RNN, an LSTM and a GRU learn to "
            "recall a symbol from step 1. Watch the table fill in: short sequences are "
            "learned, long ones stay at the baseline, and the step-1 gradient says why.")
    AUTO_FOCUS = "#exp-tabs ContentTabs"
    PREFIX = "exp"
    CONTROLS = (Section("settings (Enter or r runs; Esc leaves a field)", FIELDS),)
    PRESETS = topic("experiments").presets
    DEFAULT_PRESET = "default"
    DEBOUNCE = 0.3
    BINDINGS = key_table(
        "experiments",
        ("r", "run", "run", "run", "Start the experiment with the current settings"),
        ("x", "cancel", "cancel", "cancel", "Stop the runs; finished rows stay"),
        ("f", "full_study", "full study", "full",
         "Load the full study (the default over three seeds) and run it", HIDDEN),
        ("t", "truncation_demo", "truncation demo", "truncation_demo",
         "Load the truncated-BPTT preset (k = 8) and run it", HIDDEN),
        ("right_square_bracket", "next_tab(1)", "next tab", "next_tab", "Show the next tab",
         {"key_display": "]", "group": _TABS}),
        ("left_square_bracket", "next_tab(-1)", "prev tab", "prev_tab", "Show the previous tab",
         {"key_display": "[", "group": _TABS}),
    )

    def __init__(self) -> None:
        self.running_config: ExperimentConfig | None = None
        self.shown_config: ExperimentConfig | None = None  # config of the rows in the table
        self.runs: list = []
        self.outcome: ExperimentResult | None = None
        self.running = False
        self._cancel_event = threading.Event()
        self._run_index = -1
        super().__init__()

    @property
    def probe(self):
        """The truncation view's measurement: what this page computes from its settings."""
        return self.result

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        default = ExperimentConfig()
        return {name: getattr(default, name) for name in SETTINGS}

    def make_config(self, values) -> ExperimentConfig:
        return ExperimentConfig(**{name: values[name] for name in SETTINGS if name in values})

    def working_label(self, config) -> str:
        return "gradient with and without truncation"

    def probe_window(self) -> int:
        return self.config.truncate if self.config.truncate is not None else PROBE_WINDOW

    def compute(self, config: ExperimentConfig, job: Job):
        k = config.truncate if config.truncate is not None else PROBE_WINDOW
        length = min(max(max(config.lengths), k + 5), 1000)
        return truncation_probe(config, k, length=length)

    def settings_current(self) -> None:
        super().settings_current()
        self._show_plan()

    def on_fields_edited(self, field: str) -> None:
        values, errors = self.values()
        if not errors and not self.running:
            self.status.show(message="settings changed: press r to run", error=False)

    def request(self, immediate: bool = False) -> None:
        super().request(immediate)
        if self.is_mounted:
            self._show_plan()

    # -- layout ------------------------------------------------------------------------
    def compose_page(self) -> ComposeResult:
        with Vertical(id="exp-progress"):
            yield Static("", id="exp-state")
            with Horizontal(classes="exp-bar-row"):
                yield Label("run ", classes="exp-bar-label")
                yield ProgressBar(total=1.0, show_eta=True, id="exp-run-bar")
            with Horizontal(classes="exp-bar-row"):
                yield Label("all ", classes="exp-bar-label")
                yield ProgressBar(total=1.0, show_eta=True, id="exp-all-bar")
        with TabbedContent(id="exp-tabs", initial="tab-settings"):
            with TabPane("Settings", id="tab-settings"):
                with VerticalScroll(id="exp-settings"):
                    yield from self._compose_presets()
                    yield Label(self.CONTROLS[0].title, classes="section")
                    yield ControlPanel(FIELDS, self._initial, id="exp-panel")
                    yield Static("", id="exp-plan", classes="note")
            with TabPane("Results", id="tab-results"):
                with VerticalScroll(id="exp-results"):
                    yield FitTable(id="exp-table")
                    yield Static("No runs yet: press r to train with the current settings "
                                 "(Settings tab).", id="exp-reading")
            with TabPane("Run", id="tab-run"):
                with VerticalScroll(id="exp-run"):
                    yield Static("No run yet: press r to start.", id="exp-run-title")
                    yield Static("training loss per update", classes="section", id="exp-loss-label")
                    yield Sparkline([], id="exp-loss", summary_function=_mean)
                    yield Static("log10 ||dl/dx_1|| per update (training batch)",
                                 classes="section", id="exp-g1-label")
                    yield Sparkline([], id="exp-g1", summary_function=_mean)
                    yield Static("||gradient of all weights|| per update, before clipping",
                                 classes="section", id="exp-gnorm-label")
                    yield Sparkline([], id="exp-gnorm", summary_function=_mean)
                    yield Label("||dl/dx_t|| for every step t, held-out examples",
                                classes="section")
                    yield LogChart(id="exp-profile", empty_text="no run yet")
            with TabPane("Truncation", id="tab-trunc"):
                with VerticalScroll(id="exp-trunc"):
                    yield Static("computing...", id="exp-trunc-summary")
                    yield LogChart(id="exp-trunc-chart", empty_text="computing...")
                    yield Static("", id="exp-trunc-runs")
                    yield FitTable(id="exp-trunc-table")

    def setup_tables(self) -> None:
        table = self.query_one("#exp-table", DataTable)
        for label, key in (("arch", "arch"), ("T", "T"), ("seed", "seed"),
                           ("learned", "verdict"), ("ratio", "ratio"), ("|dl/dx1| init", "g1i"),
                           ("|dl/dx1| end", "g1"), ("loss curve", "curve"), ("loss", "loss"),
                           ("baseline", "base"), ("acc", "acc")):
            table.add_column(label, key=key)
        self.query_one("#exp-trunc-table", FitTable).add_keyed_columns(
            "t", "steps before T", "full BPTT", "truncated", "window")
        self._show_plan()
        self._show_state("idle: press r to run the experiment (Settings tab to change it)")

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    def _show_plan(self) -> None:
        c = self.config
        lr = f"{c.learning_rate:g}" + (" (auto)" if c.lr is None else "")
        text = (f"{c.runs} runs: {len(c.lengths)} lengths x {len(c.archs)} cells x {c.seeds} "
                f"seed{'s' if c.seeds != 1 else ''}, {c.train_steps} updates each, {c.optimizer} lr {lr}"
                + (", momentum 0.9" if c.optimizer == "sgd" else "") + ".")
        if c.forget_bias is not None and "lstm" not in c.archs:
            text += " The forget bias applies to the LSTM only."
        if c.task == "adding":
            text += " The adding task ignores noise (its values are the distractors)."
        if c.task != "latch" and c.symbols != 2:
            text += " Symbols apply to the latch task only."
        self.query_one("#exp-plan", Static).update(text)

    def rest_focus(self) -> None:
        self.query_one("#exp-tabs ContentTabs").focus()

    def action_next_tab(self, step: int) -> None:
        tabs = self.query_one("#exp-tabs", TabbedContent)
        ids = ["tab-settings", "tab-results", "tab-run", "tab-trunc"]
        current = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(current + int(step)) % len(ids)]

    def load_preset(self, name: str) -> None:
        super().load_preset(name)
        preset = self.preset(name)
        if preset is not None and not self.running:
            self.status.show(message=f"preset {preset.label} (press r to run)", error=False)

    def action_full_study(self) -> None:
        self.load_preset("full")
        self.action_run()

    def action_truncation_demo(self) -> None:
        self.load_preset("truncated")
        self.action_run(tab="tab-trunc")

    # -- running -------------------------------------------------------------------------
    def action_run(self, tab: str = "tab-results") -> None:
        values, errors = self.values()
        if errors:
            first = next(iter(errors.values()))
            self.status.show(message=f"✗ {first} (fix it, then press r)", error=True)
            return
        try:
            config = self.make_config(values)
        except Exception as exc:  # a cross-field refusal (VgtuiError) says why
            self.status.show(message=f"✗ {exc} (fix it, then press r)", error=True)
            return
        self.config = config
        self._cancel_event = threading.Event()
        self.running_config = config
        self.shown_config = config
        self.runs = []
        self.outcome = None
        self.running = True
        self._run_index = -1
        self.query_one("#exp-table", DataTable).clear()
        self.query_one("#exp-reading", Static).update("")
        for bar_id in ("#exp-all-bar", "#exp-run-bar"):
            bar = self.query_one(bar_id, ProgressBar)
            bar.update(total=None)
            bar.update(total=1.0, progress=0.0)
        self._show_state(f"starting {config.runs} runs...")
        self.status.clear_timing()  # an earlier plan's time is not this one's
        self.status.show(message=f"training {config.runs} runs (x cancels)", error=False)
        self.query_one("#exp-tabs", TabbedContent).active = tab
        self.query_one("#exp-table" if tab == "tab-results" else "#exp-trunc-table",
                       DataTable).focus()
        self._train(config, self._cancel_event)

    def action_cancel(self) -> None:
        if not self.running:
            self.status.show(message="nothing is running", error=False)
            return
        self._cancel_event.set()
        self._show_state("cancelling...")
        self.status.clear_timing()
        self.status.show(message="cancelling: finished runs are kept", error=False)

    @work(thread=True, exclusive=True, group="experiment", exit_on_error=False)
    def _train(self, config: ExperimentConfig, cancel_event: threading.Event) -> None:
        worker = get_current_worker()

        def stop() -> bool:
            return cancel_event.is_set() or worker.is_cancelled

        def post(message: Message) -> None:
            if not worker.is_cancelled:
                self.post_message(message)

        try:
            result = run_experiment(config, cancel=stop,
                                    progress=lambda p: post(TrainingProgress(config, p)),
                                    on_run=lambda r: post(RunFinished(config, r)))
        except ExperimentCancelled as exc:
            post(TrainingEnded(config, exc.result))
            return
        except Exception as exc:  # noqa: BLE001 - one line on screen, the app lives on
            post(TrainingEnded(config, error=refusal_text(exc)))
            return
        post(TrainingEnded(config, result))

    def _from_this_run(self, message: TrainingProgress | RunFinished | TrainingEnded) -> bool:
        """Whether a worker's message is about the runs under way (one from runs since
        replaced is dropped); either way it goes no further up."""
        message.stop()
        return message.config is self.running_config

    @on(TrainingProgress)
    def _on_progress(self, message: TrainingProgress) -> None:
        if not self._from_this_run(message):
            return
        p = message.progress
        run_bar = self.query_one("#exp-run-bar", ProgressBar)
        if p.run_index != self._run_index:
            self._run_index = p.run_index
            run_bar.update(total=None)
            run_bar.update(total=p.train_steps, progress=0)
        run_bar.update(progress=p.step)
        self.query_one("#exp-all-bar", ProgressBar).update(progress=p.work_done / p.work_total)
        if not self._cancel_event.is_set():
            self._show_state(f"run {p.run_index + 1}/{p.runs}: {p.label}, update "
                             f"{p.step}/{p.train_steps} · {p.elapsed:.0f} s so far · x cancels")

    @on(RunFinished)
    def _on_run(self, message: RunFinished) -> None:
        if not self._from_this_run(message):
            return
        config, run = message.config, message.run
        self.runs.append(run)
        self._add_row(run)
        self._update_reading(ExperimentResult(config, list(self.runs), config.runs, False,
                                              math.nan, run.device, run.dtype))
        if len(self.runs) == 1:
            self._show_run(run)
        self._draw_truncation_runs()

    @on(TrainingEnded)
    def _on_ended(self, message: TrainingEnded) -> None:
        if not self._from_this_run(message):
            return
        result = message.result
        self.running = False
        if message.error is not None:
            self._show_state(f"stopped: {message.error} · finished rows kept")
            self.show_compute_error(message.error)
            return
        self.outcome = result
        self.runs = list(result.runs)
        self._update_reading(result)
        self._draw_truncation_runs()
        if result.cancelled:
            done = len(result.runs)
            # The bars say what was done; no timing from an earlier run stays on screen.
            self.query_one("#exp-all-bar", ProgressBar).update(
                progress=done / max(1, result.planned))
            run_bar = self.query_one("#exp-run-bar", ProgressBar)  # no run is under way
            run_bar.update(total=None)
            run_bar.update(total=1.0, progress=0.0)
            self._show_state(f"cancelled: {done} of {result.planned} runs finished and kept · "
                             "r runs again")
            self.status.clear_timing()
            self.status.show(message=f"cancelled: {done} of {result.planned} runs kept",
                             error=False)
        else:
            self.query_one("#exp-all-bar", ProgressBar).update(progress=1.0)
            self._show_state(f"done: {len(result.runs)} runs in {result.seconds:.1f} s · "
                             "r runs again")
            self.status.show(device=result.device, dtype=result.dtype, seconds=result.seconds,
                             message="up to date", error=False)

    def _show_state(self, text: str) -> None:
        self.query_one("#exp-state", Static).update(text)

    def draw(self, probe) -> None:
        self._show_probe(probe)

    def result_status(self, probe) -> dict:
        return {"device": probe.device, "dtype": probe.dtype}

    # -- drawing -------------------------------------------------------------------------
    def _add_row(self, r) -> None:
        table = self.query_one("#exp-table", DataTable)
        curve = loss_curve_text(r, 12)
        acc = f"{100 * r.accuracy:.0f}%" if r.accuracy is not None else "-"
        table.add_row(r.arch, str(r.length), str(r.seed), SHORT_VERDICTS.get(r.verdict, r.verdict),
                      f"{r.ratio:.2f}", _grad(r.grad_step1_init, r), _grad(r.grad_step1, r),
                      curve, f"{r.final_loss:.4f}", f"{r.baseline:.4f}", acc,
                      key=str(r.index))

    def _update_reading(self, result: ExperimentResult) -> None:
        self.query_one("#exp-reading", Static).update(
            "[b]Reading[/b] (computed from the rows above)\n"
            + "\n".join("· " + _escape(line) for line in reading(result)))

    @on(DataTable.RowHighlighted, "#exp-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        run = self._run_for_key(event.row_key.value if event.row_key else None)
        if run is not None:
            self._show_run(run)

    @on(DataTable.RowSelected, "#exp-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        run = self._run_for_key(event.row_key.value if event.row_key else None)
        if run is not None:
            self._show_run(run)
            self.query_one("#exp-tabs", TabbedContent).active = "tab-run"

    def _run_for_key(self, key: str | None):
        for r in self.runs:
            if str(r.index) == key:
                return r
        return None

    def _show_run(self, r) -> None:
        c = self.shown_config or self.config
        lines = [f"[b]{ARCH_TITLES[r.arch]}, T = {r.length}, seed {r.seed}[/b]: "
                 f"{training_verdict_text(r.verdict)}",
                 f"held-out loss {r.initial_loss:.4f} at start → {r.final_loss:.4f} after "
                 f"{r.train_steps} updates; baseline {r.baseline:.4f} (ratio {r.ratio:.2f})"]
        if r.accuracy is not None:
            lines.append(f"accuracy {100 * r.accuracy:.1f}% (chance {100 * r.chance:.1f}%)")
        lines.append(f"|dl/dx_1|: {_grad(r.grad_step1_init, r)} at init → "
                     f"{_grad(r.grad_step1, r)} after; |dl/dx_T|: {format_value(r.grad_stepT_init, 2)}"
                     f" → {format_value(r.grad_stepT, 2)}")
        if r.spectral_radius_init is not None:
            lines.append(f"spectral radius of W_hh: {r.spectral_radius_init:.3f} → "
                         f"{r.spectral_radius_final:.3f}")
        if r.keep_gate_init is not None:
            gate = "forget gate" if r.arch == "lstm" else "update (keep) gate"
            lines.append(f"{gate} at rest: {r.keep_gate_init:.3f} → {r.keep_gate_final:.3f}")
        if c.clip is not None:
            lines.append(f"clipping at {c.clip:g} acted on {r.clipped_steps} of "
                         f"{r.train_steps} updates")
        self.query_one("#exp-run-title", Static).update("\n".join(lines))
        loss = [float(v) for v in r.train_loss if math.isfinite(v)]
        self._plot_trend("loss", loss, lambda: (
            f"training loss per update: {loss[0]:.3f} → {loss[-1]:.3f} "
            f"(min {min(loss):.3f}, max {max(loss):.3f})"))
        g1 = [math.log10(v) for v in r.train_grad_step1 if v > 0 and math.isfinite(v)]
        shown = self._plot_trend("g1", g1, lambda: (
            f"log10 ||dl/dx_1|| per update (training batch): {g1[0]:.1f} → {g1[-1]:.1f} "
            f"(range {min(g1):.1f} to {max(g1):.1f})"))
        if not shown and len(r.train_grad_step1):
            self.query_one("#exp-g1-label", Static).update(
                "||dl/dx_1|| per update: exactly 0 at every update (step 1 is outside the "
                "truncation window)" if r.cut_steps else "||dl/dx_1|| per update: 0 (underflow)")
        gn = [float(v) for v in r.param_grad_norm if math.isfinite(v)]
        self._plot_trend("gnorm", gn, lambda: (
            f"||gradient of all weights|| per update, before clipping: median "
            f"{format_value(sorted(gn)[len(gn) // 2], 2)}, max {format_value(max(gn), 2)}"))
        self.query_one("#exp-profile", LogChart).set_series(*training_profile_chart(r).series)

    def _plot_trend(self, name: str, values: list[float], caption: Callable[[], str]) -> bool:
        """A per-update sparkline and, when it has values, its caption; whether it has."""
        self.query_one(f"#exp-{name}", Sparkline).data = values
        if values:
            self.query_one(f"#exp-{name}-label", Static).update(caption())
        return bool(values)

    # -- truncation view --------------------------------------------------------------------
    def _show_probe(self, probe) -> None:
        k, T = probe.truncate, probe.length
        cut = probe.cut_steps
        mode = (f"k = {k} (the truncate setting)" if probe.truncate == self.config.truncate else
                f"k = {k} (truncation is off in the settings; this view uses k = {k})")
        beyond = probe.max_beyond
        lines = [
            f"[b]Truncated BPTT[/b], {mode}: the hidden state is detached every {k} steps "
            f"counted back from T, so the loss at T reaches only the last {k} inputs.",
            f"{ARCH_TITLES[probe.arch]}, T = {T}, seed {probe.seed}, at initialisation: "
            f"largest ||dl/dx_t|| more than {k} steps before T is "
            + ("[b]exactly 0[/b]" if beyond == 0.0 else format_value(beyond))
            + f" over {cut} steps; inside the window the truncated gradient "
            + ("equals full BPTT." if probe.inside_equal else "differs from full BPTT."),
            f"Full BPTT at step 1: {format_value(float(probe.full[0]), 2)}; truncated: "
            f"{format_value(float(probe.truncated[0]), 2)}.",
        ]
        self.query_one("#exp-trunc-summary", Static).update("\n".join(lines))
        self.query_one("#exp-trunc-chart", LogChart).set_series(
            Series("full BPTT", log10_or_marks(probe.full), "○", "series6"),
            Series(f"truncated k={k}", log10_or_marks(probe.truncated), "●", "series1"))
        table = self.query_one("#exp-trunc-table", DataTable)
        table.clear()
        for i in _probe_rows(T, k):
            inside = T - (i + 1) < k
            table.add_row(str(i + 1), str(T - (i + 1)), format_value(float(probe.full[i]), 3),
                          format_value(float(probe.truncated[i]), 3),
                          "inside" if inside else "■ cut (exact 0)")
        self._draw_truncation_runs()

    def _draw_truncation_runs(self) -> None:
        c = self.shown_config
        widget = self.query_one("#exp-trunc-runs", Static)
        if c is None or c.truncate is None or not self.runs:
            widget.update("Trained runs: press t to train with k = 8 on T = 5, 8, 10, 20 "
                          "(preset 'truncated') and see which lengths are learned.")
            return
        k = c.truncate
        cut = [r for r in self.runs if r.cut_steps > 0]
        inside = [r for r in self.runs if r.cut_steps == 0]
        lines = [f"[b]Trained runs with k = {k}[/b]"]
        if inside:
            lines.append(f"T <= k: {sum(r.learned for r in inside)} of {len(inside)} learned "
                         f"(T = {', '.join(str(t) for t in sorted({r.length for r in inside}))})")
        if cut:
            worst = max(r.grad_beyond_window for r in cut)
            lines.append(f"T > k: {sum(r.learned for r in cut)} of {len(cut)} learned "
                         f"(T = {', '.join(str(t) for t in sorted({r.length for r in cut}))}); "
                         f"largest gradient beyond the window in any of them, before or after "
                         f"training: " + ("exactly 0" if worst == 0.0 else format_value(worst)))
        widget.update("\n".join(lines))

    # -- app hooks -----------------------------------------------------------------------
    def command(self, config) -> str:
        return command_line(self.shown_config or config)

    def demo_prepare(self) -> None:
        self.load_preset("quick")
        self.call_after_refresh(self.action_run)

    def extra_commands(self):
        return [
            ("Experiments: run", "train with the current settings", self.action_run),
            ("Experiments: cancel", "stop the runs, keep finished rows", self.action_cancel),
            ("Experiments: truncation view", "gradient beyond k is exactly zero",
             lambda: setattr(self.query_one("#exp-tabs", TabbedContent), "active", "tab-trunc")),
        ]


def _mean(values) -> float:
    return sum(values) / len(values)


def _probe_rows(T: int, k: int) -> list[int]:
    """Rows for the truncation table: the first steps, both sides of the cut, the last."""
    cut = max(0, T - k)
    idx = set(range(min(3, T))) | set(range(max(0, cut - 3), min(T, cut + 3))) | {T - 1}
    return sorted(i for i in idx if 0 <= i < T)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
