"""``vgtui jacobian``: the product dh_T/dh_t for every t, or powers of a given matrix."""
from __future__ import annotations

import math
from dataclasses import replace

from ..engine.config import FIELD_SPECS, parse_value
from ..engine.jacobian import (JACOBIAN_MAX_HIDDEN, JACOBIAN_MAX_STEPS, MATRIX_MAX_STEPS,
                               jacobian_run, matrix_powers, parse_matrix)
from ..engine.magnitude import LogMagnitude, format_log10
from ..present.jacobian import (article_comparison_lines, jacobian_summary_lines,
                                matrix_summary_lines)
from ..present.rows import shown_steps
from .common import UsageError
from .output import PLOT_HELP, add_formats, console, print_charts, print_csv, print_json
from .tables import figure_table, print_steps_shown
from .rnn_args import add_rnn_fields, config_from, given_fields, number, positive_int

# The screen's presets also set its two-unit example; this lookup runs one or the other.
PRESET_FLAGS = {"matrix": None, "derivative": None, "powers": None}
NAME = "jacobian"
HELP = "norm, singular values and effective dimensions of dh_T/dh_t; or ||(d W)^n|| for a matrix"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, allow_abbrev=False, description=(
        HELP + ". The product is built backwards from T and renormalised every step, so "
        "its norm stays exact in log space. With --matrix, J = derivative x matrix is "
        "raised to the powers n = 1..steps (numpy, float64): its main figures "
        "(product_norm) are spectral norms ||J^n||_2, while the article block compares the "
        "article's figures with the Frobenius norm ||J^n||_F, the norm the article uses."))

    add_rnn_fields(p, skip=("steps",), limits={"hidden": JACOBIAN_MAX_HIDDEN})
    p.add_argument("--steps", dest="steps", default=None, metavar="N",
                   help=f"sequence length T (a whole number from 1 to {JACOBIAN_MAX_STEPS}; with "
                        f"--matrix the powers n = 1..T, 1 to {MATRIX_MAX_STEPS}, default 20)")
    p.add_argument("--matrix", metavar="ROWS", help="a square matrix, rows split by ';' and "
                   "entries by ',' (e.g. \"0.5,0.1;0.2,0.4\"); powers of derivative x matrix")
    p.add_argument("--derivative", type=number(0.0, 10.0), default=None, metavar="X",
                   help="constant activation derivative for --matrix (a number from 0 to 10; "
                        "default 1)")
    p.add_argument("--singular-values", type=positive_int(0, 2048), default=8, metavar="K",
                   dest="singular_values",
                   help="JSON: the K largest singular values per t (0 = all; default 8)")
    add_formats(p, "print one CSV row per step", plot=PLOT_HELP + " (not with --matrix)")
    p.add_argument("--every", type=positive_int(1, 10**9), default=None, metavar="K",
                   help="table: show every K-th step")
    p.set_defaults(run=run)


def _steps(args, high: int) -> None:
    """--steps is read here: its range depends on --matrix."""

    if args.steps is not None:
        args.steps = parse_value(replace(FIELD_SPECS["steps"], high=high), args.steps)


def run(args) -> int:
    _steps(args, MATRIX_MAX_STEPS if args.matrix is not None else JACOBIAN_MAX_STEPS)
    if args.matrix is not None:
        if args.plot:
            raise UsageError("--plot: draws the RNN's product dh_T/dh_t; --matrix has a table only")
        return _run_matrix(args)
    if args.derivative is not None:
        raise UsageError("--derivative: only used with --matrix")

    config = config_from(args)
    r = jacobian_run(config)
    if args.json:
        print_json(r.to_dict(singular_values=args.singular_values or None))
    elif args.csv:
        print_csv(["t", "product_norm", "log10_product_norm", "log10_frobenius_norm",
                   "effective_dims", "alignment", "alignment_gradient"],
                  ([k + 1, _lm(r.log10_product_norm[k]), repr(float(r.log10_product_norm[k])),
                    repr(float(r.log10_frobenius[k])), int(r.effective_dims[k]),
                    _num(r.alignment[k]), _num(r.alignment_gradient[k])]
                   for k in range(r.steps)))
    elif args.plot:
        from ..widgets.charts import jacobian_charts  # textual: only --plot draws the charts

        print_charts(jacobian_charts(r), jacobian_summary_lines(r))
    else:
        _print_rnn_table(r, args.every)
    return 0


def _lm(v):
    return LogMagnitude(v)


def _num(v: float) -> str:
    return "" if math.isnan(v) else repr(float(v))


def _print_rnn_table(r, every) -> None:
    out = console()
    c = r.config
    table = figure_table(f"dh_T/dh_t: {c.activation} RNN, {c.init} W_hh x {c.scale:g}, n={c.hidden}, "
                         f"T={c.steps}, {r.device}/{r.dtype}",
                         "t", "T-t", "||dh_T/dh_t||_2", "||.||_F", "eff. dims", "align u1",
                         "align v1")
    indices = shown_steps(r.steps, every)
    for k in indices:
        table.add_row(str(k + 1), str(r.steps - 1 - k), format_log10(r.log10_product_norm[k]),
                      format_log10(r.log10_frobenius[k]), str(int(r.effective_dims[k])),
                      _align(r.alignment[k]), _align(r.alignment_gradient[k]))
    out.print(table)
    print_steps_shown(out, len(indices), r.steps, "--json or --csv give")
    for line in jacobian_summary_lines(r):
        out.print(line)


def _align(v: float) -> str:
    return "tie" if math.isnan(v) else f"{v:.4f}"


def _run_matrix(args) -> int:
    given = given_fields(args)
    extra = [n for n in given if n != "steps"]
    if extra:
        raise UsageError(f"--{extra[0].replace('_', '-')}: not used with --matrix (only "
                         "--derivative and --steps are)")
    matrix = parse_matrix(args.matrix)
    steps = given.get("steps", 20)
    m = matrix_powers(matrix, 1.0 if args.derivative is None else args.derivative, steps)
    if args.json:
        print_json(m.to_dict())
        return 0
    if args.csv:
        print_csv(["n", "product_norm", "log10_product_norm", "frobenius_norm",
                   "log10_frobenius_norm", "radius_power", "log10_radius_power"],
                  ([row["n"], row["product_norm"], repr(row["log10_product_norm"]),
                    row["frobenius_norm"], repr(row["log10_frobenius_norm"]), row["radius_power"],
                    repr(row["log10_radius_power"])] for row in m.to_dict()["rows"]))
        return 0

    out = console()
    table = figure_table(f"powers of J = {m.derivative:g} x W",
                         "n", "||J^n||_2", "||J^n||_F", "rho(J)^n")
    for k in shown_steps(m.steps, args.every):
        table.add_row(str(k + 1), format_log10(m.log10_spectral[k]),
                      format_log10(m.log10_frobenius[k]), format_log10(m.log10_radius_power[k]))
    out.print(table)
    for line in matrix_summary_lines(m):
        out.print(line)
    for line in article_comparison_lines(m):
        out.print(line)
    return 0


