"""``vgtui trace``: the scalar chain h_t = tanh(w h_(t-1)) step by step."""
from __future__ import annotations

import math

from ..engine import closed_form as cf
from ..engine.magnitude import format_log10, format_signed_log10
from ..present.rows import shown_steps
from .common import positive_int, spec_type
from .output import PLOT_HELP, add_formats, console, print_charts, print_data
from .tables import figure_table, print_steps_shown

PRESET_FLAGS = {"trace_steps": "steps"}  # preset field -> this lookup's flag
NAME = "trace"
HELP = "the scalar chain h_t = tanh(w h_(t-1)): h_t, local derivative, dh_t/dh_0 and w^t"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Exact in log space; torch is "
                       "not loaded.")
    specs = cf.SCALAR_SPECS
    p.add_argument("--weight", type=spec_type(specs["weight"]), default=0.5, metavar="W",
                   help="the weight w (a number from -100 to 100; default 0.5)")
    p.add_argument("--steps", type=spec_type(specs["trace_steps"]), default=10, metavar="T",
                   help="steps T (a whole number from 1 to 100000; default 10)")
    p.add_argument("--h0", type=spec_type(specs["h0"]), default=0.1, metavar="H",
                   help="starting state h_0 (a number from -100 to 100; default 0.1)")
    p.add_argument("--every", type=positive_int, default=None, metavar="K",
                   help="table: show every K-th step (default: about 50 rows for long runs)")
    add_formats(p, csv_help="print one CSV row per step (the same numbers as --json)",
                plot=PLOT_HELP)
    p.set_defaults(run=run, field_flags={"trace_steps": "--steps"})


def run(args) -> int:
    trace = cf.scalar_trace(args.weight, args.steps, args.h0)
    if print_data(args, trace.to_dict()):
        return 0
    if args.plot:
        from ..widgets.charts import chain_chart  # textual: only --plot draws the chart

        print_charts([chain_chart(trace)])
        return 0

    out = console()
    table = figure_table(f"h_t = tanh({args.weight:g} h_(t-1)), h_0 = {args.h0:g}, T = {args.steps}",
                         "t", "h_t", "local w(1-h_t^2)", "dh_t/dh_0", "w^t")
    indices = shown_steps(trace.steps, args.every)
    for k in indices:
        table.add_row(str(k + 1), *[format_signed_log10(getattr(trace, f"{c}_sign")[k],
                                                        getattr(trace, f"{c}_log10")[k], 4)
                                    for c in ("h", "local", "cum", "lin")])
    out.print(table)
    print_steps_shown(out, len(indices), trace.steps, "--json gives")
    last = trace.steps - 1
    took = trace.saturation_log10(last)
    line = (f"after {trace.steps} steps: dh_T/dh_0 = "
            f"{format_signed_log10(trace.cum_sign[last], trace.cum_log10[last])}, "
            f"w^T = {format_signed_log10(trace.lin_sign[last], trace.lin_log10[last])}")
    if not math.isnan(took):
        line += f"; saturation took away a factor {format_log10(took)}"
    out.print(line)
    return 0
