"""How a regime (vanishing, near-stable, exploding), a per-step factor and a horizon
read: a marker in front of every verdict, so meaning never rests on colour."""
from __future__ import annotations

import math

REGIME_MARKS = {"vanishing": "▼", "stable": "■", "near-stable": "■", "exploding": "▲",
                "undetermined": "?"}


def marked(regime: str, text: str) -> str:
    """A value with its regime marker in front, readable without colour."""
    return f"{REGIME_MARKS.get(regime, '?')} {text}"


def gradient_verdict_text(verdict: str) -> str:
    """A gradient-flow verdict (vanishing / near-stable / exploding / undetermined) with
    its marker: '▼ vanishing'."""
    return marked(verdict, verdict)


def factor_text(value: float, digits: int = 4) -> str:
    """A per-step factor: 'n/a' where it is undefined (fewer than two nonzero gradients to
    fit), never 'nan'."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "over 1e308" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


def per_step(value: float, digits: int = 4) -> str:
    """'0.9712/step', or 'n/a (fewer than two nonzero gradients to fit)'."""
    if math.isnan(value):
        return "n/a (fewer than two nonzero gradients to fit)"
    return f"{factor_text(value, digits)}/step"


def horizon_text(horizon: int | None, steps: int) -> str:
    return f"{horizon} steps" if horizon is not None else f"beyond {steps - 1}"


def steps_text(steps: int | None, never: str = "never") -> str:
    return never if steps is None else f"{steps:,}"


def steps_count_text(steps: int | None, never: str = "never") -> str:
    """"23 steps" (or "1 step"), or ``never`` when no number of steps does it."""
    if steps is None:
        return never
    return f"{steps:,} step" + ("" if steps == 1 else "s")
