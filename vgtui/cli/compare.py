"""``vgtui compare``: the gradient at every input position under six architectures."""
from __future__ import annotations

from ..engine.architectures import ARCHITECTURES, MARKERS, TITLES, UPDATES, run_compare
from ..engine.config import COMPARE_FIELDS, CompareConfig
from ..engine.magnitude import format_log10
from ..present.regimes import factor_text, horizon_text
from ..present.rows import shown_steps
from .common import UsageError, add_field, positive_int
from .output import PLOT_HELP, add_formats, console, print_charts, print_csv, print_json
from .tables import figure_table

NAME = "compare"
HELP = ("gradient of the final output at every input position: vanilla RNN, LSTM, GRU, "
        "residual RNN, self-attention and a diagonal linear recurrence on one input sequence")


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". L = sum of the final output; "
                       "rows hold ||dL/dx_t|| per architecture and position.")
    for name in COMPARE_FIELDS:
        add_field(p, name)
    p.add_argument("--only", metavar="LIST", default=None,
                   help="comma-separated subset of " + ", ".join(ARCHITECTURES))
    add_formats(p, "print one CSV row per arch and position", plot=PLOT_HELP)
    p.add_argument("--every", type=positive_int, default=None, metavar="K",
                   help="table: show every K-th position (default: about 40 rows)")
    p.set_defaults(run=run)


def parse_only(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ARCHITECTURES
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    if not names:
        raise UsageError(f"--only: give one or more of {', '.join(ARCHITECTURES)}")
    bad = [t for t in names if t not in ARCHITECTURES]
    if bad:
        raise UsageError(f"--only: unknown architecture {bad[0]!r}; choose from "
                         f"{', '.join(ARCHITECTURES)}")
    return tuple(a for a in ARCHITECTURES if a in names)


def build(args) -> CompareConfig:
    given = {name: getattr(args, name) for name in COMPARE_FIELDS if getattr(args, name) is not None}
    return CompareConfig(**given)


def run(args) -> int:
    which = parse_only(args.only)
    result = run_compare(build(args), which=which)
    if args.json:
        print_json(result.to_dict())
    elif args.csv:
        print_csv(["arch", "position", "grad", "log10_grad"],
                  ([r["arch"], r["position"], r["grad"], r["log10_grad"]] for r in result.rows()))
    elif args.plot:
        from ..widgets.charts import compare_chart  # textual: only --plot draws the chart

        print_charts([compare_chart(result)], [f"{MARKERS[t.key]} {TITLES[t.key]}"
                                                for t in result.traces])
    else:
        _print_table(result, args.every)
    return 0


def _print_table(result, every: int | None) -> None:
    out = console()
    c = result.config
    title = (f"||dL/dx_t|| at each input position, T={c.steps}, n={c.hidden}, m={c.input_size}, "
             f"scale {c.scale:g}, forget bias {c.forget_bias:g}, radius {c.radius:g}, "
             f"seed {c.seed}, {result.device}/{result.dtype}")
    table = figure_table(title)
    table.add_column("t", justify="right")
    for t in result.traces:
        table.add_column(f"{MARKERS[t.key]} {TITLES[t.key]}", justify="right", no_wrap=True)
    for k in shown_steps(result.steps, every, target=40):
        table.add_row(str(k + 1), *[format_log10(t.log10_grad[k]) for t in result.traces])
    out.print(table)
    how = figure_table("how each carries the gradient")
    for name in ("arch", "recurrence", "gradient path back", "parallel training", "steps x_1→out"):
        how.add_column(name, no_wrap=True)
    measured = figure_table("measured: the gradient at x_1 against x_T")
    for name in ("arch", "|dL/dx_1|", "|dL/dx_T|", "x_1 / x_T", "per step", "horizon",
                 "exact zeros"):
        measured.add_column(name, no_wrap=True, justify="left" if name == "arch" else "right")
    for t in result.traces:
        s = t.summary()
        name = f"{MARKERS[t.key]} {t.title}"
        how.add_row(name, s["recurrence"], s["gradient_path"], s["parallel_training"],
                    str(t.path_steps))
        measured.add_row(name, format_log10(t.log10_grad[0]), format_log10(t.log10_grad[-1]),
                         format_log10(t.log10_first_over_last), factor_text(t.factor),
                         horizon_text(t.horizon, t.steps), str(t.exact_zeros))
    out.print(how)
    out.print(measured)
    for t in result.traces:
        out.print(f"{MARKERS[t.key]} {t.title}: {UPDATES[t.key]}")
    out.print("per step: factor fitted to log10 ||dL/dx_t|| over t; horizon: positions back from T "
              "until it is below 1e-6 of its value at T")
