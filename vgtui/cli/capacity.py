"""``vgtui capacity``: parameter sharing, and capacity 2^n against learnability gamma^T."""
from __future__ import annotations

import argparse

from ..engine.capacity import CAP_SPECS, CapacityConfig, compute_capacity, parse_cap_field
from ..engine.errors import ConfigError
from ..engine.magnitude import format_log10
from .common import add_field
from .output import add_formats, console, print_data
from .tables import figure_table

NAME = "capacity"
HELP = "parameters an RNN shares across time, and capacity 2^n against the gradient gamma^T"


def _cap_type(name: str):
    def convert(text: str):
        try:
            return parse_cap_field(name, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = CAP_SPECS[name].label
    return convert


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ".")
    for name in ("hidden", "input_size", "steps"):
        add_field(p, name)
    for name in ("output", "factor"):
        spec = CAP_SPECS[name]
        p.add_argument(spec.flag, dest=name, type=_cap_type(name), default=None,
                       metavar="N" if spec.kind is int else "X",
                       help=f"{spec.help} ({spec.describe_range()})")
    add_formats(p, csv_help="print one CSV row per parameter matrix (the totals are in --json)")
    p.set_defaults(run=run)


def build(args) -> CapacityConfig:
    changes = {k: getattr(args, k) for k in ("hidden", "input_size", "output", "steps", "factor")
               if getattr(args, k) is not None}
    return CapacityConfig().replace(**changes)


def run(args) -> int:
    result = compute_capacity(build(args))
    if not print_data(args, result.to_dict(), "parameters"):
        _print(result)
    return 0


def summary_lines(r) -> list[str]:
    c = r.config
    lines = [
        f"shared across all T={c.steps} steps: n² + nm + n = {r.recurrent_params:,} "
        f"(with W_y: {r.total_params:,})",
        f"one recurrent matrix per step instead (T·n²): {r.unshared_params:,} "
        f"= {r.sharing_ratio:,.1f}× more; every step unshared T·(n²+nm+n): {r.unshared_full:,}",
        f"capacity: 2^{c.hidden} = {format_log10(r.log10_states)} sign patterns of h_t",
        f"learnability: gradient after {c.steps} steps at {c.factor:g}/step = "
        f"{format_log10(r.log10_gradient)}",
    ]
    if r.horizon is not None:
        lines.append(f"below 1e-6 after {r.horizon} steps at {c.factor:g}/step, whatever n is")
    else:
        lines.append(f"a factor of {c.factor:g} never shrinks the gradient: it grows or holds")
    return lines


def _print(r) -> None:
    out = console()
    table = figure_table("parameters of a vanilla RNN (all shared across time)")
    for name in ("parameter", "shape", "count", "role"):
        table.add_column(name, justify="right" if name == "count" else "left", no_wrap=True)
    for row in r.rows:
        table.add_row(row.name, row.shape, f"{row.count:,}", row.role)
    out.print(table)
    for line in summary_lines(r):
        out.print(line)
