"""``vgtui train``: train RNN / LSTM / GRU on a long-range task and report honestly."""
from __future__ import annotations

import argparse
import math

from ..engine import budget
from ..engine.device import bytes_per_number
from ..engine.errors import ConfigError
from ..engine.experiment_config import (EXPERIMENT_FIELDS, ExperimentConfig, FLAG_ORDER, flag_for,
                                        parse_experiment_field)
from ..engine.experiments import (ExperimentCancelled, ExperimentResult, experiment_estimate,
                                  run_experiment)
from ..engine.magnitude import format_value
from ..engine.presets import preset_changes, preset_names
from ..engine.tasks import TASK_TITLES
from ..present.experiments import (CURVE_TOP, experiment_json, loss_curve_text, reading,
                                   training_verdict_text)
from .common import UsageError
from .output import add_formats, console, print_charts, print_data
from .tables import figure_table

NAME = "train"
HELP = "train RNN / LSTM / GRU on a long-range task across lengths and seeds"

ORDER = FLAG_ORDER
flag = flag_for


def _converter(name: str):
    def convert(text: str):
        try:
            return parse_experiment_field(name, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = EXPERIMENT_FIELDS[name].label
    return convert


def add_parser(sub) -> None:
    d = ExperimentConfig()
    p = sub.add_parser(
        NAME, help=HELP,
        description=HELP + ". Every batch is fresh; verdicts come from held-out examples. "
        "The default experiment (latch, Adam clipped at 1, keep gates biased to 3, T = 5, 20, 50, "
        "rnn/lstm/gru, 1 seed, 400 updates) takes under a minute on two cores; --preset full "
        "repeats it over 3 seeds, --preset sgd-torch-init is the 1990s set-up.")
    p.add_argument("--preset", choices=preset_names("experiments"), default=argparse.SUPPRESS,
                   help="start from a named preset")
    for name in ORDER:
        spec = EXPERIMENT_FIELDS[name]
        default = getattr(d, name)
        if isinstance(default, tuple):
            default = ",".join(str(v) for v in default)
        default = spec.none_word if default is None else default
        p.add_argument(flag(name), dest=name, type=_converter(name), default=argparse.SUPPRESS,
                       metavar="LIST" if spec.many else ("NAME" if spec.choices else
                                                         ("N" if spec.kind is int else "X")),
                       help=f"{spec.help}: {spec.describe_range()} (default {default})")
    p.add_argument("--quick", action="store_true",
                   help="a check that finishes in seconds: lengths 5,20, rnn and lstm, one seed, "
                   "40 updates, 8 units (flags given explicitly still apply)")
    add_formats(p, csv_help="print one CSV row per run (the same numbers as --json)",
                plot="print each run's ||dl/dx_t|| per input step before and after training "
                     "(the Experiments screen's run chart)")
    p.add_argument("--curves", action="store_true",
                   help="with --json: include per-update loss and gradient curves in each row")
    p.set_defaults(run=run, field_flags={name: flag(name) for name in EXPERIMENT_FIELDS})


def build(args) -> ExperimentConfig:
    given = {name: getattr(args, name) for name in ORDER if hasattr(args, name)}
    base = preset_changes("experiments", args.preset) if hasattr(args, "preset") else {}
    if args.quick:
        base = {**base, **preset_changes("experiments", "quick")}
    try:
        return ExperimentConfig(**{**base, **given})
    except ConfigError as exc:
        raise UsageError(f"{flag(exc.field) if exc.field else ''}: {exc}".lstrip(": ")) from None


def run(args) -> int:
    config = build(args)
    # Refused before the progress bars appear, so the refusal is the only line on stderr.
    itemsize = bytes_per_number(config.device, config.dtype)
    budget.check(experiment_estimate(config, itemsize=itemsize))
    finished = []
    with _Progress(config) as bar:
        try:
            result = run_experiment(config, progress=bar.update, on_run=finished.append)
        except KeyboardInterrupt:
            result = None
        except ExperimentCancelled as exc:  # pragma: no cover - no cancel callback here
            result = exc.result
    if result is None:
        result = ExperimentResult(config, finished, config.runs, True, math.nan,
                                  finished[0].device if finished else "?",
                                  finished[0].dtype if finished else "?")
    if args.plot:
        from ..widgets.charts import training_profile_chart  # textual: only --plot draws

        print_charts([training_profile_chart(r) for r in result.runs])
    elif not print_data(args, experiment_json(result, curves=args.curves)):
        print_table(result)
    return 130 if result.cancelled else 0


class _Progress:
    """Two rich progress bars on stderr: the whole experiment and the run in hand."""

    def __init__(self, config: ExperimentConfig) -> None:
        self.config = config

    def __enter__(self):
        # rich: only the progress bars need it (JSON output never loads it)
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        console = Console(stderr=True)  # bars only on a terminal: a pipe gets no stray lines
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=console, transient=True,
                                 disable=not console.is_terminal)
        self.progress.__enter__()
        self.overall = self.progress.add_task(f"{self.config.runs} runs", total=1.0)
        self.current = self.progress.add_task("run", total=self.config.train_steps)
        self._index = -1
        return self

    def update(self, p) -> None:
        self.progress.update(self.overall, completed=p.work_done / p.work_total,
                             description=f"run {p.run_index + 1}/{p.runs}")
        if p.run_index != self._index:
            self._index = p.run_index
            self.progress.reset(self.current, total=p.train_steps, description=p.label)
        self.progress.update(self.current, completed=p.step)

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)


def grad_cell(value: float, run=None) -> str:
    if value == 0.0 and run is not None and run.underflow:
        return "<min (underflow)"
    return format_value(value, 2)


def print_table(result) -> None:
    out = console()
    c = result.config
    bits = [f"{c.optimizer} lr {c.learning_rate:g}", f"{c.train_steps} updates x {c.batch}",
            f"{c.hidden} units", f"noise {c.noise:g}" if c.task != "adding" else ""]
    if c.clip is not None:
        bits.append(f"clip {c.clip:g}")
    if c.forget_bias is not None:
        bits.append(f"forget bias {c.forget_bias:g}")
    if c.truncate is not None:
        bits.append(f"truncate k={c.truncate}")
    title = f"{TASK_TITLES[c.task]}; " + ", ".join(b for b in bits if b) + \
        f"; {result.device}/{result.dtype}"
    table = figure_table(title)
    acc = c.task == "latch"
    cols = ["arch", "T", "seed", "final loss", "baseline", "ratio"] + (["acc"] if acc else []) + \
        ["verdict", "|dl/dx1| init", "|dl/dx1| end", "loss curve"]
    for name in cols:
        table.add_column(name, justify="left" if name in ("arch", "verdict", "loss curve")
                         else "right", no_wrap=True)
    for r in result.runs:
        row = [r.arch, str(r.length), str(r.seed), f"{r.final_loss:.4f}", f"{r.baseline:.4f}",
               f"{r.ratio:.2f}"]
        if acc:
            row.append(f"{100 * r.accuracy:.0f}%" if r.accuracy is not None else "")
        row += [training_verdict_text(r.verdict), grad_cell(r.grad_step1_init, r), grad_cell(r.grad_step1, r),
                loss_curve_text(r)]
        table.add_row(*row)
    out.print(table)
    took = f" in {result.seconds:.1f} s" if math.isfinite(result.seconds) else ""
    out.print(f"{len(result.runs)} of {result.planned} runs{took}. |dl/dx1| is the gradient of an "
              "example's loss with respect to its input at step 1 (mean over held-out examples); "
              f"the loss curve is training loss / baseline over the updates, 0 to {CURVE_TOP:g}.")
    for line in reading(result):
        out.print("· " + line)
