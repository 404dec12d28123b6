"""``vgtui activations``: f'(z) at chosen points, the maximum and the typical derivative."""
from __future__ import annotations

from ..engine import closed_form as cf
from ..engine.lists import short_number
from ..engine.magnitude import format_signed_log10
from ..present.regimes import steps_text
from .common import add_field, list_type, spec_type
from .output import PLOT_HELP, add_formats, console, print_charts, print_data
from .tables import figure_table

NAME = "activations"
HELP = "activation derivatives: f'(z) at points, max f', typical E|f'| for z ~ N(0, s^2)"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Closed forms and quadrature; "
                       "torch is not loaded.")
    p.add_argument("--at", type=list_type(cf.parse_points, "at"), metavar="LIST",
                   help=f"points z, e.g. 0,1,2,5 ({cf.POINTS.describe()}); default 0,1,2,5")
    p.add_argument("--spread", type=spec_type(cf.SCALAR_SPECS["spread"]), default=1.0, metavar="S",
                   help="standard deviation s of z ~ N(0, s^2) for the typical derivative "
                        "(a number from 0 to 100; default 1)")
    p.add_argument("--activations", type=list_type(cf.parse_activations, "activations"),
                   metavar="LIST", help="which ones (default all: " + ",".join(cf.ACTIVATION_NAMES) + ")")
    add_field(p, "leaky_slope", default=0.01)
    add_formats(p, csv_help="print one CSV row per activation and point z (the same numbers as --json)",
                plot=PLOT_HELP + ": f and f' of each activation, and the density of z")
    p.set_defaults(run=run)


def run(args) -> int:
    table = cf.activation_table(args.activations or cf.ACTIVATION_NAMES,
                                args.at or cf.DEFAULT_POINTS, args.spread, args.leaky_slope)
    if args.plot:
        from ..widgets.charts import activation_charts  # textual: only --plot draws charts

        kinds = args.activations or cf.ACTIVATION_NAMES
        charts = [c for k in kinds for c in activation_charts(k, args.spread, args.leaky_slope)[:2]]
        charts.append(activation_charts(kinds[0], args.spread, args.leaky_slope)[2])
        print_charts(charts)
    elif not print_data(args, table.to_dict()):
        print_table(table)
    return 0


def print_table(table) -> None:
    out = console()
    grid = figure_table(f"activation derivatives (typical = E|f'(z)|, z ~ N(0, {table.spread:g}^2))")
    grid.add_column("activation", no_wrap=True)
    for z in table.points:
        grid.add_column(f"f'({short_number(z)})", justify="right", no_wrap=True)
    for name in ("max f'", "where", "typical", "steps to 1e-6"):
        grid.add_column(name, justify="right", no_wrap=True)
    for s in table.summaries:
        grid.add_row(_title(s.kind, table.leaky_slope),
                     *[format_signed_log10(sign, log, 4) for sign, log in s.derivatives],
                     f"{s.max.value:.4f}", s.max.where, f"{s.typical:.4f}",
                     steps_text(s.steps_to_shrink))
    out.print(grid)
    out.print("steps to 1e-6: fewest steps k with typical^k <= 1e-6, the typical derivative "
              "alone (weights of 1)")


def _title(kind: str, slope: float) -> str:
    title = cf.ACTIVATION_TITLES[kind]
    return f"{title} ({slope:g})" if kind == "leaky_relu" else title
