"""How the Pascanu, Mikolov & Bengio (2013) bound and the catch-22 sweep read."""
from __future__ import annotations

from ..engine.magnitude import format_log10


def bound_summary_lines(r) -> list[str]:
    need = 1.0 / r.sigma_max
    allows = "allows" if r.bound_factor >= 1 else "does not allow"
    lines = [
        f"max|f'| = {r.sigma_max:g} ({r.config.activation})   ||W_hh||_2 = {r.spectral_norm:.4f}   "
        f"bound factor {r.bound_factor:.4f} per step: the bound {allows} the gradient to survive",
        f"survival needs ||W_hh||_2 >= 1/max|f'| = {need:g}",
        f"typical |f'| over the run {r.typical_derivative:.4f} -> typical factor "
        f"{r.typical_factor:.4f} per step (a rule of thumb, not a bound: the measured norm is "
        f"above it at {r.typical_exceeded} of {r.steps - 1} steps)",
        f"measured ||dh_T/dh_1||_2 = {format_log10(r.log10_product_norm[0])}; bound "
        f"{format_log10(r.log10_bound[0])}; measured above bound at {r.bound_violations} steps",
    ]
    return lines


def catch22_lines(sweep) -> list[str]:
    first = sweep.first_permitting
    boom = sweep.first_exploding
    alive = sweep.survival_scales
    rows = sorted(sweep.rows, key=lambda r: r.scale)
    lines = [
        (f"bound permits long-range gradients (factor >= 1) from scale {first:g}"
         if first is not None else
         "bound permits long-range gradients (factor >= 1) at no scale of this sweep"),
        (f"some input sequences explode (gain > 1e6) from scale {boom:g}"
         if boom is not None else "no input sequence explodes (gain > 1e6) at any scale of "
         "this sweep"),
        "scales where every sequence kept its gradient (neither vanished nor exploded): "
        + (", ".join(f"{s:g}" for s in alive) if alive else "none"),
    ]
    permitting = [r for r in rows if r.bound_permits]
    if permitting:
        quiet = [r for r in permitting if not r.exploded]
        lines.append(f"of {len(permitting)} permitting scales, {len(permitting) - len(quiet)} "
                     f"have an exploding sequence and {sum(1 for r in quiet if r.vanished)} still "
                     "lose some gradients to vanishing")
    return lines
