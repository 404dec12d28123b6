"""``vgtui decay``: factor^T for every factor and length, or the measured table."""
from __future__ import annotations

from ..engine import closed_form as cf
from ..engine.config import RNNConfig
from ..engine.lists import short_number
from ..engine.magnitude import format_log10
from ..engine.sweep import (DEFAULT_ACTIVATIONS, DEFAULT_SCALES, SweepSpec, parse_scales,
                            parse_sweep_activations, run_sweep)
from ..present.regimes import factor_text, marked, steps_text
from ..present.styles import CLI_PALETTE, REGIME_ROLES
from .common import UsageError, add_field, list_type
from .output import add_formats, console, print_data
from .tables import figure_table

PRESET_FLAGS = {"lengths": "steps"}  # preset field -> this lookup's flag
NAME = "decay"
HELP = "factor^T for lists of factors and lengths (closed form), or --measured on real RNNs"
MEASURED_FIELDS = ["hidden", "seed", "init", "input_size", "input_scale", "leaky_slope",
                   "device", "dtype"]


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Without --measured nothing "
                       "loads torch, so it answers at once.")
    p.add_argument("--factors", type=list_type(cf.parse_factors, "factors"), metavar="LIST",
                   help=f"per-step factors, e.g. 0.5,0.9 or 0.9*0.5 ({cf.FACTORS.describe()}); "
                        "default " + ",".join(f"{f:g}" for f in cf.DEFAULT_FACTORS))
    p.add_argument("--steps", type=list_type(cf.parse_lengths, "steps"), metavar="LIST",
                   help="lengths T, e.g. 10,20,50 (whole numbers from 1 to 1_000_000_000); "
                        "default " + ",".join(map(str, cf.DEFAULT_LENGTHS)) +
                        "; with --measured one T (default 50)")
    p.add_argument("--measured", action="store_true",
                   help="measure ||dL/dh_1|| / ||dL/dh_T|| on real RNNs: rows of --scales, "
                        "columns of --activations, all in one batched run; beside it the "
                        "shortcut spectral radius x mean f', the mean taken over units and "
                        "steps 2..T (the steps the gradient passes through), to the power T-1")

    p.add_argument("--activations", type=list_type(parse_sweep_activations, "activations"),
                   metavar="LIST", help="with --measured: e.g. tanh,sigmoid (default "
                   + ",".join(DEFAULT_ACTIVATIONS) + ")")
    p.add_argument("--scales", type=list_type(parse_scales, "scales"), metavar="LIST",
                   help="with --measured: weight scales, e.g. 0.5,1,1.5 (default "
                   + ",".join(f"{s:g}" for s in DEFAULT_SCALES) + ")")
    for name in MEASURED_FIELDS:
        add_field(p, name)
    add_formats(p, plot=None)
    p.set_defaults(run=run)


def run(args) -> int:
    if args.measured and getattr(args, "preset", None):
        raise UsageError("--preset: the decay presets set the closed-form table's factors and "
                         "lengths; they are not used with --measured")
    if args.measured:
        return _run_measured(args)
    for flag in ["activations", "scales"] + MEASURED_FIELDS:
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')}: only used with --measured")
    table = cf.decay_table(args.factors or cf.DEFAULT_FACTORS, args.steps or cf.DEFAULT_LENGTHS)
    if not print_data(args, table.to_dict()):
        print_decay_table(table)
    return 0


def print_decay_table(table) -> None:
    from rich.text import Text  # rich: only the table output needs it

    out = console()
    grid = figure_table("factor^T  (▼ vanishing: at most 0.1 · ■ between 0.1 and 10 · ▲ exploding: "
                        "at least 10)", "factor")
    for t in table.lengths:
        grid.add_column(f"T={t:,}", justify="right", no_wrap=True)
    for f, row in zip(table.factors, table.cells):
        grid.add_row(short_number(f), *[Text(marked(c.regime, format_log10(c.log10_value)),
                                              style=_regime(c.regime)) for c in row])
    out.print(grid)
    steps = figure_table("steps until the signal is cut (or multiplied) by a given amount")
    steps.add_column("factor", justify="right")
    for d in cf.LOSS_DECADES:
        steps.add_column(f"{cf.lost_label(d)} lost", justify="right")
    for d in cf.LOSS_DECADES:
        steps.add_column(f"x1e{d}", justify="right")
    for s in table.summaries:
        steps.add_row(short_number(s.gamma), *[steps_text(k) for _, k in s.steps_to_lose],
                      *[steps_text(k) for _, k in s.steps_to_grow])
    out.print(steps)


def _run_measured(args) -> int:
    if args.factors is not None:
        raise UsageError("--factors: not used with --measured (the measured table takes --scales)")
    lengths = args.steps or (RNNConfig().steps,)
    if len(lengths) != 1:
        raise UsageError(f"--steps: the measured table takes one length T (got {len(lengths)})")
    base = {name: getattr(args, name) for name in MEASURED_FIELDS if getattr(args, name) is not None}
    base["steps"] = lengths[0]
    spec = SweepSpec(args.scales or DEFAULT_SCALES, args.activations or DEFAULT_ACTIVATIONS,
                     RNNConfig(**base))
    result = run_sweep(spec)
    if not print_data(args, result.to_dict()):
        print_measured(result)
    return 0


def print_measured(result) -> None:
    from rich.text import Text  # rich: only the table output needs it

    out = console()
    spec = result.spec
    c = spec.base
    head = (f"{c.init} W_hh x scale, n={c.hidden}, T={c.steps}, seed {c.seed}, "
            f"{result.device}/{result.dtype}")
    grid = figure_table(f"measured ||dL/dh_1|| / ||dL/dh_T|| and fitted factor per step ({head})")
    grid.add_column("scale", justify="right")
    for a in spec.activations:
        grid.add_column(a, justify="right", no_wrap=True)
    short = figure_table("the shortcut alone: spectral radius x mean f' -> multiplier^(T-1)")
    short.add_column("scale", justify="right")
    for a in spec.activations:
        short.add_column(a, justify="right", no_wrap=True)
    for s in spec.scales:
        cells, multipliers = [], []
        for a in spec.activations:
            cell = result.cell(a, s)
            cells.append(Text(marked(cell.verdict, f"{format_log10(cell.log10_ratio)} "
                                     f"x{factor_text(cell.factor, 3)}"), style=_regime(cell.verdict)))
            multipliers.append(Text(marked(cell.multiplier_verdict,
                                           f"{cell.multiplier:.3f} -> "
                                           f"{format_log10(cell.log10_implied_ratio)}"),
                                    style=_regime(cell.multiplier_verdict)))
        grid.add_row(f"{s:g}", *cells)
        short.add_row(f"{s:g}", *multipliers)
    out.print(grid)
    out.print(short)
    out.print("▼ vanishing · ■ near-stable · ▲ exploding (per-step factor against 0.98..1.02; "
              "for the measured cells a 1e-6 / 1e6 horizon inside the run decides first)")


def _regime(regime: str) -> str:
    """The terminal's style of a regime (its marker already says it)."""
    return CLI_PALETTE.style(REGIME_ROLES.get(regime, ""))
