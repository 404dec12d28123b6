"""How Lyapunov exponents (the edge of chaos) and clipping by norm read."""
from __future__ import annotations

import math

from ..engine.magnitude import format_log10


def lyapunov_lines(sweep) -> list[str]:
    cross = sweep.crossings
    if cross:
        where = ", ".join(f"{c:.3f}" for c in cross)
        return [f"edge of chaos (exponent crosses 0) near scale {where} (interpolated "
                f"in log(scale) between sweep points); burn-in {sweep.burn_in} steps"]
    signs = {(r.exponent > 0) for r in sweep.rows if math.isfinite(r.exponent)}
    side = "contracting (exponent < 0)" if signs == {False} else "expanding (exponent > 0)"
    return [f"no sign change in this sweep: every scale is {side}; widen the scales"]


def clip_lines(run) -> list[str]:
    factor = run.log10_clip_factor
    action = (f"clipped by x{format_log10(factor)}" if run.clipped
              else "left unchanged (already below tau)")
    return [
        f"||g|| over W_hh, W_xh, b: {format_log10(run.log10_grad_norm)} -> "
        f"{format_log10(run.log10_grad_norm_after)} with tau = {run.tau:g}: {action}",
        f"step 1's share / step T's share: {format_log10(run.log10_first_to_last)} before, "
        f"{format_log10(run.log10_first_to_last_after)} after",
    ]
