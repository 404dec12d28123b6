"""``vgtui bound``: the measured ||dh_T/dh_t|| against the Pascanu, Mikolov & Bengio (2013) bound, and the catch-22 sweep."""
from __future__ import annotations

from ..engine.bound import catch22_sweep
from ..engine.jacobian import JACOBIAN_MAX_HIDDEN, JACOBIAN_MAX_STEPS, jacobian_run
from ..engine.lists import parse_scale_sweep
from ..engine.magnitude import format_log10
from ..present.bound import bound_summary_lines, catch22_lines
from ..present.rows import shown_steps
from .output import PLOT_HELP, add_formats, console, print_charts, print_data
from .rnn_args import add_rnn_fields, config_from, positive_int
from .tables import figure_table

NAME = "bound"
HELP = ("measured ||dh_T/dh_t||_2 against Pascanu, Mikolov & Bengio's (2013) bound "
        "(max|f'| ||W_hh||_2)^(T-t), and the catch-22 of Bengio, Simard & Frasconi (1994)")


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, allow_abbrev=False, description=(
        HELP + ", plus the typical-derivative curve (mean|f'| ||W_hh||_2)^(T-t). With --scales, "
        "also the catch-22 sweep: for each scale, K input sequences through one network, "
        "counting the ones whose gradient explodes (above 1e6 x its value at T) or vanishes "
        "(below 1e-6 at t=1)."))

    add_rnn_fields(p, limits={"steps": JACOBIAN_MAX_STEPS, "hidden": JACOBIAN_MAX_HIDDEN})
    p.add_argument("--scales", metavar="LIST", help="catch-22 sweep: '1,2,4,8' or 'from:to:count'")
    p.add_argument("--sequences", type=positive_int(1, 256), default=16, metavar="K",
                   help="input sequences per scale in the sweep (1 to 256; default 16)")
    add_formats(p, csv_help="print one CSV row per step t (the catch-22 sweep is in --json)",
                plot=PLOT_HELP)
    p.add_argument("--every", type=positive_int(1, 10**9), default=None, metavar="K",
                   help="table: show every K-th step")
    p.set_defaults(run=run)


def run(args) -> int:
    config = config_from(args)
    scales = parse_scale_sweep(args.scales) if args.scales is not None else None
    r = jacobian_run(config)
    sweep = catch22_sweep(config, scales, args.sequences) if scales else None
    data = r.bound_dict()
    if sweep is not None:
        data["sweep"] = sweep.to_dict()
    if print_data(args, data, "columns"):
        return 0
    if args.plot:
        from ..widgets.charts import bound_chart  # textual: only --plot draws the chart

        print_charts([bound_chart(r)], bound_summary_lines(r))
        return 0

    out = console()
    c = r.config
    table = figure_table(f"bound: {c.activation} RNN, {c.init} W_hh x {c.scale:g}, "
                         f"n={c.hidden}, T={c.steps}",
                         "t", "measured", "bound", "step-wise bound", "typical")
    step_bound, typical = r.log10_stepwise_bound, r.log10_typical
    for k in shown_steps(r.steps, args.every):
        table.add_row(str(k + 1), format_log10(r.log10_product_norm[k]),
                      format_log10(r.log10_bound[k]), format_log10(step_bound[k]),
                      format_log10(typical[k]))
    out.print(table)
    out.print("the bound (max|f'| ||W_hh||_2)^(T-t) is Pascanu, Mikolov & Bengio's (2013); the "
              "catch-22 below is Bengio, Simard & Frasconi's (1994)")
    for line in bound_summary_lines(r):
        out.print(line)
    if sweep is not None:
        st = figure_table(f"catch-22 sweep: {args.sequences} input sequences per scale",
                          "scale", "bound factor", "permits", "exploded", "vanished", "survived",
                          "median dL/dh_1 ratio", "saturated")
        for row in sweep.rows:
            st.add_row(f"{row.scale:g}", f"{row.bound_factor:.3f}",
                       "yes" if row.bound_permits else "no", str(row.exploded), str(row.vanished),
                       str(row.survived), format_log10(row.median_log10_first),
                       f"{100 * row.saturation:.0f}%")
        out.print(st)
        for line in catch22_lines(sweep):
            out.print(line)
    return 0
