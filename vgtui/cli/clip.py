"""``vgtui clip``: the parameter gradient before and after clipping its norm at tau."""
from __future__ import annotations

from ..engine.clipping import check_tau, clip_gradients
from ..engine.magnitude import format_log10
from ..present.exploding import clip_lines
from ..present.rows import shown_steps
from .output import PLOT_HELP, add_formats, console, print_charts, print_data
from .rnn_args import add_rnn_fields, config_from, positive_int
from .tables import figure_table

NAME = "clip"
HELP = "gradient of L = sum(h_T) w.r.t. W_hh, W_xh, b before and after clipping by norm"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, allow_abbrev=False, description=(
        HELP + ". Clipping multiplies the whole gradient by min(1, tau/||g||): it caps an "
        "exploded gradient but never enlarges a vanished one. Per step, the size of that "
        "step's term of the gradient is listed before and after: log10_contribution = "
        "log10(||dL/dz_t|| sqrt(||h_(t-1)||^2 + ||x_t||^2 + 1)), z_t the pre-activation."))
    add_rnn_fields(p)
    p.add_argument("--tau", default="1.0", metavar="X",
                   help="clipping threshold (a number from 1e-12 to 1e12; default 1.0)")
    add_formats(p, csv_help="print one CSV row per step (the same numbers as --json)",
                plot=PLOT_HELP)
    p.add_argument("--every", type=positive_int(1, 10**9), default=None, metavar="K",
                   help="table: show every K-th step")
    p.set_defaults(run=run)


def run(args) -> int:
    tau = check_tau(args.tau)
    (r,) = clip_gradients([config_from(args)], tau)
    if print_data(args, r.to_dict(), "columns"):
        return 0
    if args.plot:
        from ..widgets.charts import clip_chart  # textual: only --plot draws the chart

        print_charts([clip_chart(r)], clip_lines(r))
        return 0

    out = console()
    c = r.config
    table = figure_table(f"clipping at tau = {tau:g}: {c.activation} RNN, {c.init} W_hh x "
                         f"{c.scale:g}, n={c.hidden}, T={c.steps}",
                         "t", "|dL/dh_t|", "step share before", "after")
    after = r.log10_contribution_after
    for k in shown_steps(r.steps, args.every):
        table.add_row(str(k + 1), format_log10(r.log10_grad_h[k]),
                      format_log10(r.log10_contribution[k]), format_log10(after[k]))
    out.print(table)
    for line in clip_lines(r):
        out.print(line)
    return 0
