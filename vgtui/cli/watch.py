"""``vgtui watch FILE [FILE...]``: follow the logs ``vgtui.Probe`` writes, in the app's Watch
screen, or print a summary of each with ``--json``."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from . import ansi_requested
from .common import UsageError
from .output import print_charts, print_data

NAME = "watch"
HELP = "follow the logs vgtui.Probe writes while a model trains (the Watch screen), or summarise them"
DESCRIPTION = """\
Opens the Watch screen on one or more JSON Lines logs written by vgtui.Probe and follows
them while training appends records (start it before, during or after the run; a missing
file is waited for, a restarted run is noticed). Several files sit side by side.

How to read the heatmap: one row per record (training step, oldest at the top, the
latest at the bottom), one column per timestep t of the measured sequence (t = 1, the
earliest input, on the left; t = T on the right; long sequences share columns). A cell is
the gradient's norm there, ||dL/dh_t|| by default (or ||dL/dx_t||, the LSTM's ||dL/dc_t||,
or the lag profile, whose column k is the part of a step's gradient that comes from loss
terms k steps later), drawn as one glyph per band of decades: ▁▂▃▄▅▆▇█ from small to large
(the legend names each band's lowest decade), · below the legend, blank for exactly 0, ?
undefined. Colour repeats the glyph's height. A vanishing gradient is a row that is high
on the right and falls to the left; a row whose left side rises as training goes on shows
the network learning to use early inputs; █ everywhere on the left is exploding.

Keys: left/right move through the records, home/end jump to the first/latest (end follows
new records), l picks the layer, v cycles the quantity (h, c, x, lag; h, x and k pick
one), F1 explains the rest.

--json prints, per file: records, first and last step, per-layer fitted factor and
horizon at the first and the last record, and alerts (horizon shrinking, exploding,
earliest steps under 1e-8 of the last). A file that is missing, not a vgtui log, or of
an unknown schema version exits with code 2 and one line."""


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a log written by vgtui.Probe (several: compared side by side)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="print a summary of each log as one JSON object, without the app")
    out.add_argument("--csv", action="store_true",
                     help="print the same summary as CSV, one row per log and layer")
    out.add_argument("--plot", action="store_true",
                     help="print each log's chart without the app: the gradient per timestep "
                          "at the latest record against the first (the Watch panel's chart)")
    p.add_argument("--quantity", choices=("h", "x", "c", "lag"), default="h",
                   help="with --plot: ||dL/dh_t|| (h, the default), ||dL/dx_t|| (x), the "
                        "LSTM's ||dL/dc_t|| (c) or the lag profile (lag)")
    p.add_argument("--layer", type=int, default=1, metavar="N",
                   help="with --plot: the layer to draw, from 1 (default 1)")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.json or args.csv:
        from ..engine.watchlog import read_log  # numpy: loaded when first needed

        runs = [read_log(path) for path in args.files]
        print_data(args, {"runs": [r.summary() for r in runs]}, "runs/per_layer")
        return 0
    if args.plot:
        return _plot(args)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the Watch screen needs a terminal; add --json or --csv for a summary")
    from ..app import VgtuiApp  # textual: loaded when first needed

    app = VgtuiApp(start_screen="watch", ansi=ansi_requested(args))
    app.watch_files = list(args.files)  # the Watch screen opens these when it mounts
    app.run()
    return 0


def _plot(args) -> int:
    from ..engine.watchlog import QUANTITY_TITLES, read_log  # numpy: loaded when first needed
    from ..widgets.charts import watch_chart  # textual: only --plot draws the chart

    if args.layer < 1:
        raise UsageError(f"--layer must be 1 or more (you gave {args.layer})")
    for path in args.files:
        view = read_log(path).view()
        if args.layer > view.layers:
            raise UsageError(f"{path} has {view.layers} layer(s); --layer {args.layer} is not "
                             "one of them")
        chart = watch_chart(view, args.layer - 1, args.quantity)
        if chart is None:
            raise UsageError(f"{path}: no record of {QUANTITY_TITLES[args.quantity]} yet")
        print_charts([replace(chart, title=f"{path}: {chart.title}")])
    return 0
