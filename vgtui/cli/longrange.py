"""``vgtui longrange``: how much of the last token's gradient reaches each token."""
from __future__ import annotations

import argparse

from ..engine.errors import ConfigError
from ..engine.longrange import (EXAMPLES, LR_SPECS, LongRangeConfig, MODEL_TITLES, example_config,
                                parse_gaps, parse_lr_field, run_longrange)
from ..engine.magnitude import format_log10
from ..present.longrange import (glyph_legend, percent_text, short_ratio, signal_bar,
                                 summary_lines, token_glyph)
from ..present.rows import shown_steps
from .common import add_field
from .output import add_formats, console, print_data
from .tables import figure_table

PRESET_FLAGS = {"text": "sentence"}  # preset field -> this lookup's flag
NAME = "longrange"
HELP = ("how much of the last token's gradient reaches each token of a sentence (its ratio to the "
        "last token's, and its share of the total)")
RNN_FIELDS = ["activation", "init", "scale", "hidden", "input_size", "input_scale", "seed",
              "device", "dtype"]
LR_FIELDS = ["model", "factor", "filler", "key", "forget_bias"]


def _lr_type(name: str):
    def convert(text: str):
        try:
            return parse_lr_field(name, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = LR_SPECS[name].label
    return convert


def _gaps_type(text: str):
    try:
        return parse_gaps(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Loss L = sum(h_T) at the last "
                       "token. A token's ratio is ||dL/dx_t|| / ||dL/dx_T|| (1 at the last token); its share "
                       "is ||dL/dx_t|| over the sum for all tokens (the shares sum to 1).")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--example", choices=list(EXAMPLES), help="one of the built-in sentences")
    source.add_argument("--sentence", metavar="TEXT", help="your own sentence (2 to 400 tokens)")
    for name in LR_FIELDS:
        spec = LR_SPECS[name]
        p.add_argument(spec.flag, dest=name, type=_lr_type(name), default=None,
                       metavar="NAME" if spec.choices else ("N" if spec.kind is int else "X"),
                       help=f"{spec.help} ({spec.describe_range()})")
    p.add_argument("--gaps", type=_gaps_type, default=None, metavar="LIST",
                   help="gap lengths for the sweep, e.g. 0,5,10,20,50 (1 to 16 values, each 0 to "
                        "5000)")
    for name in RNN_FIELDS:
        add_field(p, name)
    add_formats(p, csv_help="print one CSV row per token (the gap sweep is in --json)")
    p.set_defaults(run=run)


def build(args) -> LongRangeConfig:
    base = LongRangeConfig()
    if args.example:
        base = example_config(args.example, base)
    changes = {}
    if args.sentence is not None:
        changes["text"] = args.sentence
        changes["key"] = 0
    for name in LR_FIELDS + RNN_FIELDS:
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.gaps is not None:
        changes["gaps"] = args.gaps
    return base.replace(**changes)


def run(args) -> int:
    result = run_longrange(build(args))
    if not print_data(args, result.to_dict(), "tokens"):
        _print(result)
    return 0


def _print(r) -> None:
    out = console()
    c = r.config
    table = figure_table(f"{MODEL_TITLES[c.model]}: {r.steps} tokens, loss at '{r.tokens[-1]}', "
                         f"{r.device}/{r.dtype}")
    for name, justify in (("t", "right"), ("token", "left"), ("|dL/dx_t|", "right"),
                          ("ratio to last", "right"), ("share", "right"), ("", "center"),
                          ("signal", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    ratio, share = r.log10_ratio, r.log10_share
    keep = [k for k in range(r.steps) if not r.filler[k]]
    fill = [k for k in range(r.steps) if r.filler[k]]
    if fill:
        keep += [fill[i] for i in shown_steps(len(fill), target=10)]
    for k in sorted(set(keep)):
        mark = " ◆ key" if k == r.key_index else (" ● loss" if k == r.steps - 1 else "")
        table.add_row(str(k + 1), r.tokens[k] + (" (filler)" if r.filler[k] else "") + mark,
                      format_log10(r.log10_grad[k]), format_log10(ratio[k]),
                      percent_text(share[k]), token_glyph(ratio[k]), signal_bar(ratio[k]))
    out.print(table)
    if len(set(keep)) < r.steps:
        out.print(f"showing {len(set(keep))} of {r.steps} tokens (some filler left out); --json "
                  "gives every token")
    out.print(glyph_legend())
    sweep = figure_table(f"key word '{r.tokens[r.key_index]}' vs gap (filler tokens inserted "
                         "after it)")
    for name in ("gap", "distance", "ratio to last", "short", "signal"):
        sweep.add_column(name, justify="left" if name == "signal" else "right", no_wrap=True)
    for p in r.sweep:
        sweep.add_row(str(p.gap), str(p.distance), format_log10(p.log10_ratio),
                      short_ratio(p.log10_ratio), signal_bar(p.log10_ratio))
    out.print(sweep)
    for line in summary_lines(r):
        out.print(line)
