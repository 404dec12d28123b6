"""``vgtui lyapunov``: the largest Lyapunov exponent over a sweep of weight scales."""
from __future__ import annotations

import math

from ..engine.lists import parse_scale_sweep
from ..engine.lyapunov import lyapunov_sweep
from ..present.exploding import lyapunov_lines
from .output import PLOT_HELP, add_formats, console, print_charts, print_data
from .rnn_args import add_rnn_fields, config_from
from .tables import figure_table

NAME = "lyapunov"
HELP = "largest Lyapunov exponent of the forward dynamics for each weight scale"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, allow_abbrev=False, description=(
        HELP + ": a unit tangent vector pushed through J_k = diag(f'(z_k)) W_hh and "
        "renormalised every step (QR); the mean log stretch after a burn-in of T // 5 steps, "
        "in nats per step. Negative: nearby trajectories merge (gradients vanish); positive: "
        "they fly apart (gradients explode). All scales run as one batch."))
    add_rnn_fields(p, skip=("scale",))
    p.add_argument("--scales", metavar="LIST", default="0.5:3:11",
                   help="'0.5,1,1.5' or 'from:to:count' (default 0.5:3:11)")
    add_formats(p, csv_help="print one CSV row per scale (the same numbers as --json)",
                plot=PLOT_HELP)
    p.set_defaults(run=run)


def run(args) -> int:
    scales = parse_scale_sweep(args.scales)
    config = config_from(args, {"steps": 200}, skip=("scale",))
    sweep = lyapunov_sweep(config, scales)
    if print_data(args, sweep.to_dict()):
        return 0
    if args.plot:
        from ..widgets.charts import lyapunov_chart  # textual: only --plot draws the chart

        print_charts([lyapunov_chart(sweep)], lyapunov_lines(sweep))
        return 0

    out = console()
    c = sweep.base
    table = figure_table(f"Lyapunov exponent: {c.activation} RNN, {c.init} W_hh, n={c.hidden}, "
                         f"T={c.steps}",
                         "scale", "exponent", "", "stretch/step", "ln rho(W)", "saturated")
    for r in sweep.rows:
        mark = "▲ chaotic" if r.exponent > 0 else "▼ contracting" if r.exponent < 0 else "■ edge"
        table.add_row(f"{r.scale:g}", f"{r.exponent:+.4f}", mark,
                      f"{r.factor:.4f}" if math.isfinite(r.factor) else "inf",
                      f"{math.log(r.spectral_radius):+.4f}" if r.spectral_radius > 0 else "-inf",
                      f"{100 * r.saturation:.0f}%")
    out.print(table)
    for line in lyapunov_lines(sweep):
        out.print(line)
    return 0
