"""``vgtui flow``: gradient magnitude per step for a vanilla RNN or your own model."""
from __future__ import annotations

import argparse
import math

from ..engine.config import FIELD_SPECS, RNNConfig
from ..engine.errors import ConfigError
from ..engine.magnitude import format_log10, format_value
from ..engine.presets import FLOW_PRESETS
from ..present import flow_summary_lines, shown_steps
from .common import UsageError, add_field
from .output import console, print_csv, print_json

NAME = "flow"
HELP = "gradient norm per step back through a vanilla RNN (or your torch.nn.RNN)"
FIELDS = ["activation", "scale", "init", "hidden", "steps", "input_size", "input_scale",
          "seed", "init_noise", "leaky_slope", "device", "dtype"]


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Loss L = sum(h_T), h_0 = 0.")
    p.add_argument("--preset", choices=list(FLOW_PRESETS), help="start from a named preset")
    for name in FIELDS:
        add_field(p, name)
    p.add_argument("--model", metavar="FILE", help="torch.nn.RNN state_dict saved with torch.save "
                   "(single layer; nonlinearity from --activation)")
    p.add_argument("--inputs", metavar="FILE.npy", help="(T, input_size) input sequence for --model")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", action="store_true", help="print one CSV row per step")
    p.add_argument("--every", type=_positive_int, default=None, metavar="K",
                   help="table: show every K-th step (default: about 50 rows for long runs)")
    p.set_defaults(run=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {text!r})")
    return value


def build(args) -> tuple[RNNConfig, object, str]:
    """The config, optional explicit weights, and a source label from the flags."""
    from ..engine.presets import flow_preset

    base = flow_preset(args.preset).config() if args.preset else RNNConfig()
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    if args.inputs and not args.model:
        raise UsageError("--inputs: needs --model (random inputs are drawn from --seed otherwise)")
    if not args.model:
        return RNNConfig(**{**base.to_dict(), **given}), None, "random init"

    from ..engine.models import load_inputs, load_rnn, model_weights

    model = load_rnn(args.model)
    for name, actual in (("hidden", model.hidden), ("input_size", model.input_size)):
        if name in given and given[name] != actual:
            raise ConfigError(f"{FIELD_SPECS[name].label} {given[name]} does not match the model's "
                              f"{actual}", name)
        given[name] = actual
    if args.inputs:
        inputs = load_inputs(args.inputs, model.input_size)
        if "steps" in given and given["steps"] != inputs.shape[0]:
            raise ConfigError(f"steps {given['steps']} does not match the {inputs.shape[0]} rows "
                              "of --inputs", "steps")
        given["steps"] = inputs.shape[0]
    else:
        import numpy as np
        import torch

        config = RNNConfig(**{**base.to_dict(), **given})
        from ..engine.flow import _stream

        inputs = (torch.randn(config.steps, config.input_size, generator=_stream(config.seed, 2),
                              dtype=torch.float64) * config.input_scale).numpy()
        inputs = np.ascontiguousarray(inputs)
    config = RNNConfig(**{**base.to_dict(), **given})
    source = f"model {args.model}" + (f", inputs {args.inputs}" if args.inputs else ", seeded inputs")
    return config, model_weights(model, inputs), source


def run(args) -> int:
    from ..engine.flow import run_flow

    config, weights, source = build(args)
    result = run_flow(config, weights, source=source)
    if args.json:
        print_json(result.to_dict())
    elif args.csv:
        print_csv(_columns(), _rows(result, range(result.steps)))
    else:
        _print_table(result, args.every)
    return 0


def _columns() -> list[str]:
    return ["t", "grad_h", "log10_grad_h", "log10_ratio", "step_factor", "grad_x",
            "h_norm", "saturation", "mean_derivative"]


def _rows(r, indices):
    from ..engine.magnitude import LogMagnitude

    ratio, step = r.log10_ratio, r.log10_step_factor
    for k in indices:
        yield [k + 1, LogMagnitude(r.log10_grad_h[k]), repr(float(r.log10_grad_h[k])),
               repr(float(ratio[k])), "" if math.isnan(step[k]) else repr(10.0 ** step[k]),
               LogMagnitude(r.log10_grad_x[k]), LogMagnitude(r.log10_h_norm[k]),
               repr(float(r.saturation[k])), repr(float(r.mean_derivative[k]))]


def _print_table(r, every: int | None) -> None:
    from rich import box
    from rich.table import Table

    out = console()
    c = r.config
    title = (f"{c.activation} RNN, {c.init} W_hh x {c.scale:g}, n={c.hidden}, T={c.steps}, "
             f"{r.source}, {r.device}/{r.dtype}")
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for name in ("t", "|dL/dh_t|", "ratio to T", "factor", "|dL/dx_t|", "|h_t|", "sat", "f'"):
        table.add_column(name, justify="right", no_wrap=True)
    indices = shown_steps(r.steps, every)
    ratio, step = r.log10_ratio, r.log10_step_factor
    for k in indices:
        table.add_row(str(k + 1), format_log10(r.log10_grad_h[k]), format_log10(ratio[k]),
                      "-" if math.isnan(step[k]) else f"{10 ** step[k]:.4f}",
                      format_log10(r.log10_grad_x[k]), format_log10(r.log10_h_norm[k]),
                      f"{100 * r.saturation[k]:.0f}%", f"{r.mean_derivative[k]:.3f}")
    out.print(table)
    if len(indices) < r.steps:
        out.print(f"showing {len(indices)} of {r.steps} steps; --every 1 shows all, --csv or --json "
                  "give every step")
    for line in flow_summary_lines(r):
        out.print(line)
