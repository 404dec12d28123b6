"""``vgtui flow``: gradient magnitude per step for a vanilla RNN or your own model."""
from __future__ import annotations

import math

from ..engine.config import RNNConfig
from ..engine.gated import run_recurrent
from ..engine.magnitude import LogMagnitude, format_log10
from ..engine.models import load_inputs, load_model, model_config, model_run_weights, model_source
from ..engine.presets import preset_config, preset_names
from ..present.flow import flow_summary_lines, stack_summary_lines, stack_title
from ..present.rows import shown_steps
from .common import UsageError, add_field, positive_int
from .output import PLOT_HELP, add_formats, console, print_charts, print_csv, print_json
from .tables import figure_table, print_steps_shown

NAME = "flow"
HELP = ("gradient norm per step back through a vanilla RNN, LSTM or GRU, stacked or not "
        "(or your own torch.nn.RNN / LSTM / GRU)")
FIELDS = ["arch", "layers", "forget_bias", "activation", "scale", "init", "hidden", "steps",
          "input_size", "input_scale", "seed", "init_noise", "leaky_slope", "device", "dtype"]


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=(
        HELP + ". Loss L = sum(h_T) of the top layer, h_0 = 0. Steps are counted from 1: JSON "
        "grad_h[k] is ||dL/dh_(k+1)|| (the Bengio et al. (1994) walkthrough's code counts "
        "from 0, so its step t0 is step t0+1 here). For an LSTM, grad_c is the total ||dL/dc_t|| (through the cell "
        "and through h), cell_path the cell-only path (dL/dc_T sent back with h held fixed, "
        "so each step multiplies it by f_t) and forget_product the product of forget gates (RMS over units). The "
        "JSON's 'definitions' block says what every list is."))
    p.add_argument("--preset", choices=preset_names("flow"), help="start from a named preset")
    for name in FIELDS:
        add_field(p, name)
    p.add_argument("--model", metavar="FILE", help="a torch.nn.RNN, LSTM or GRU state_dict saved "
                   "with torch.save (any number of layers; the cell is read from the parameter "
                   "shapes, --arch names it explicitly; an RNN's nonlinearity from --activation)")
    p.add_argument("--inputs", metavar="FILE.npy", help="(T, input_size) input sequence for --model")
    add_formats(p, "print one CSV row per step", plot=PLOT_HELP)
    p.add_argument("--every", type=positive_int, default=None, metavar="K",
                   help="table: show every K-th step (default: about 50 rows for long runs)")
    p.set_defaults(run=run)


def build(args) -> tuple[RNNConfig, object, str]:
    """The config, optional explicit weights, and a source label from the flags."""

    base = preset_config("flow", args.preset) if args.preset else RNNConfig()
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    if args.inputs and not args.model:
        raise UsageError("--inputs: needs --model (random inputs are drawn from --seed otherwise)")
    if not args.model:
        config = RNNConfig(**{**base.to_dict(), **given})
        _check_activation(config.arch, given)
        return config, None, "random init"
    if "forget_bias" in given:
        raise UsageError("--forget-bias: does not apply to --model (the file's own biases are used)")

    model = load_model(args.model, arch=given.get("arch"))
    _check_activation(model.arch, given)
    inputs = load_inputs(args.inputs, model.input_size) if args.inputs else None
    config = model_config(model, base, given, inputs)
    return config, model_run_weights(model, config, inputs), model_source(model, args.inputs, config)


def _check_activation(arch: str, given: dict) -> None:
    """LSTM and GRU cells have fixed nonlinearities: refuse a flag that would do nothing."""
    if arch != "rnn" and given.get("activation", "tanh") != "tanh":
        raise UsageError(f"--activation: applies to the vanilla cell only; the {arch.upper()} uses "
                         "sigmoid gates and tanh")


def run(args) -> int:
    config, weights, source = build(args)
    result = run_recurrent(config, weights, source=source)
    if args.json:
        print_json(result.to_dict())
    elif args.csv:
        print_csv(_columns(result), _rows(result, range(result.steps)))
    elif args.plot:
        from ..widgets.charts import flow_chart  # textual: only --plot draws the screen's chart

        print_charts([flow_chart(result)], flow_summary_lines(result))
    else:
        _print_table(result, args.every)
    return 0


def _stacked(r) -> bool:
    return hasattr(r, "layers") and isinstance(r.layers, list)


def _columns(r=None) -> list[str]:
    cols = ["t", "grad_h", "log10_grad_h", "log10_ratio", "step_factor", "grad_x",
            "h_norm", "saturation", "mean_derivative"]
    if r is not None and _stacked(r):
        if r.log10_grad_c is not None:
            cols += ["grad_c", "log10_grad_c", "log10_cell_path", "log10_forget_product"]
        cols += [f"gate_{name}" for name in r.gates]
        if len(r.layers) > 1:
            cols += [f"log10_grad_h_layer{layer.index}" for layer in r.layers]
    return cols


def _rows(r, indices):
    ratio, step = r.log10_ratio, r.log10_step_factor
    stacked = _stacked(r)
    for k in indices:
        row = [k + 1, LogMagnitude(r.log10_grad_h[k]), repr(float(r.log10_grad_h[k])),
               repr(float(ratio[k])), "" if math.isnan(step[k]) else repr(float(10.0 ** step[k])),
               LogMagnitude(r.log10_grad_x[k]), LogMagnitude(r.log10_h_norm[k]),
               repr(float(r.saturation[k])), repr(float(r.mean_derivative[k]))]
        if stacked:
            if r.log10_grad_c is not None:
                row += [LogMagnitude(r.log10_grad_c[k]), repr(float(r.log10_grad_c[k])),
                        repr(float(r.log10_cell_path[k])), repr(float(r.log10_forget_product[k]))]
            row += [repr(float(v[k])) for v in r.gates.values()]
            if len(r.layers) > 1:
                row += [repr(float(layer.log10_grad_h[k])) for layer in r.layers]
        yield row


def _print_table(r, every: int | None) -> None:
    out = console()
    c = r.config
    stacked = _stacked(r)
    if stacked:
        title = (f"{stack_title(r)}, T={c.steps}, {r.source}, {r.device}/{r.dtype}")
    else:
        title = (f"{c.activation} RNN, {c.init} W_hh x {c.scale:g}, n={c.hidden}, T={c.steps}, "
                 f"{r.source}, {r.device}/{r.dtype}")
    table = figure_table(title)
    names = ["t", "|dL/dh_t|", "ratio to T", "factor", "|dL/dx_t|"]
    if stacked and r.log10_grad_c is not None:
        names.append("|dL/dc_t|")
    if stacked:
        names += [name[0] for name in r.gates]  # i f o / r z: mean gate per step
        names += [f"dh L{layer.index}" for layer in r.layers[:-1]]
        names += ["|h_t|"]
    else:
        names += ["|h_t|", "sat", "f'"]
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
    indices = shown_steps(r.steps, every)
    ratio, step = r.log10_ratio, r.log10_step_factor
    for k in indices:
        cells = [str(k + 1), format_log10(r.log10_grad_h[k]), format_log10(ratio[k]),
                 "-" if math.isnan(step[k]) else f"{10 ** step[k]:.4f}",
                 format_log10(r.log10_grad_x[k])]
        if stacked:
            if r.log10_grad_c is not None:
                cells.append(format_log10(r.log10_grad_c[k]))
            cells += [f"{v[k]:.3f}" for v in r.gates.values()]
            cells += [format_log10(layer.log10_grad_h[k]) for layer in r.layers[:-1]]
            cells += [format_log10(r.log10_h_norm[k])]
        else:
            cells += [format_log10(r.log10_h_norm[k]), f"{100 * r.saturation[k]:.0f}%",
                      f"{r.mean_derivative[k]:.3f}"]
        table.add_row(*cells)
    out.print(table)
    print_steps_shown(out, len(indices), r.steps, "--csv or --json give")
    for line in flow_summary_lines(r):
        out.print(line)
    if stacked:
        if r.gates:
            out.print(", ".join(f"{name[0]} = mean {name} gate" for name in r.gates)
                      + " (top layer, over units); dh Lk = ||dL/dh_t|| of layer k")
        for line in stack_summary_lines(r):
            out.print(line)
