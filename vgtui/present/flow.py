"""How a gradient-flow run reads: its whole-run figures, exact zeros, forward overflow,
and a gated stack's title and per-layer lines."""
from __future__ import annotations

import math

from ..engine.magnitude import format_log10
from .regimes import factor_text, gradient_verdict_text, horizon_text, per_step


def zero_note(log10_values, what: str = "||dL/dh_t||") -> str | None:
    """Where a gradient is exactly zero going back, say why instead of leaving a bare 0."""
    zero = [k for k, v in enumerate(log10_values) if v == -math.inf]
    if not zero:
        return None
    last = zero[-1] + 1
    return (f"{what} is exactly 0 at step {last} and before: every unit had f'(z) = 0 there "
            "(dead relu units, or tanh/sigmoid saturated past float64's resolution)")


def overflow_text(step: int) -> str:
    return (f"forward ||h_t|| passes float range (1e308) at step {step}; "
            "shown exactly from log space")


def flow_summary_lines(r) -> list[str]:
    """Whole-run figures of a FlowRun as a few short lines."""
    lines = [
        f"spectral radius {r.spectral_radius:.4f}   spectral norm {r.spectral_norm:.4f}   "
        f"fitted factor {per_step(r.factor)}",
        f"vanishing horizon (1e-6): {horizon_text(r.vanishing_horizon, r.steps)}"
        + (f"   exploding horizon (1e6): {r.exploding_horizon} steps"
           if r.exploding_horizon is not None else ""),
        f"verdict: {gradient_verdict_text(r.verdict)}",
    ]
    if r.forward_overflow_step is not None:
        lines.append(overflow_text(r.forward_overflow_step))
    note = zero_note(r.log10_grad_h)
    if note:
        lines.append(note)
    return lines


CELL_NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}


def stack_title(r) -> str:
    """'LSTM x 2 layers, n=32, forget bias 1' for a StackRun (weights from a file or seeded)."""
    c = r.config
    cell = CELL_NAMES.get(r.arch, r.arch)
    if r.arch == "rnn":
        cell = f"{c.activation} {cell}"
    layers = f" x {len(r.layers)} layers" if len(r.layers) > 1 else ""
    text = f"{cell}{layers}, n={c.hidden}, m={c.input_size}"
    if r.source == "random init":
        text += f", {c.init} W_hh x {c.scale:g}"
        if r.arch != "rnn":
            gate = "forget" if r.arch == "lstm" else "update"
            text += f", {gate} bias {c.forget_bias:g}"
    return text


def stack_summary_lines(r) -> list[str]:
    """Per-layer figures of a StackRun (and the LSTM cell path) as short lines."""
    lines = []
    if len(r.layers) > 1:
        for layer in r.layers:
            lines.append(f"layer {layer.index}: ||dL/dh_1|| {format_log10(layer.log10_grad_h[0])}"
                         f"   fitted factor {per_step(layer.factor)}   vanishing horizon "
                         f"{horizon_text(layer.vanishing_horizon, r.steps)}   "
                         f"{gradient_verdict_text(layer.verdict)}")
    for layer in r.layers:
        if layer.log10_cell_path is None:
            continue
        where = f"layer {layer.index} " if len(r.layers) > 1 else ""
        lines.extend(cell_path_lines(layer, r.steps, where))
    means = ", ".join(f"{name} {sum(v) / len(v):.3f}" for name, v in r.gates.items())
    if means:
        lines.append(f"mean gates (top layer, over steps and units): {means}")
    return lines


def gap_text(gap: float) -> str:
    """A log10 gap between two magnitudes, as a relative difference."""
    if math.isnan(gap):
        return "n/a"
    if gap > 2:  # beyond a factor of 100 a relative difference says less than the decades
        return f"{gap:.1f} decades"
    rel = 10 ** gap - 1
    return f"{rel:.1e} relative"


def cell_path_lines(layer, steps: int, where: str = "") -> list[str]:
    """An LSTM layer's three cell figures, each named for what it is, and where (and why)
    the total parts from the cell-only path."""
    parting = layer.parting_step
    part = ("within 0.1 decade at every step (little goes through h)" if parting is None
            else f"they part at step {parting} of {steps} (the route through h)")
    return [
        f"{where}||dL/dc_1|| total (cell + h routes) {format_log10(layer.log10_grad_c[0])} · "
        f"cell-only path (h held fixed, autograd) {format_log10(layer.log10_cell_path[0])}",
        f"{where}  cell-only vs total: gap {gap_text(layer.h_route_gap)}; {part}",
        f"{where}  forget-gate product (RMS; predicts dc_1/dc_T) "
        f"{format_log10(layer.log10_forget_product[0])}; gap to total "
        f"{gap_text(layer.forget_product_gap)}; cell-only {factor_text(layer.cell_path_factor)}/step",
    ]
