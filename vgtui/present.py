"""Wording and row selection shared by the CLI tables and the TUI screens.

No UI library here: both front ends call these so the same result reads the
same everywhere.
"""
from __future__ import annotations

import math

VERDICT_MARKS = {"vanishing": "▼", "near-stable": "■", "exploding": "▲", "undetermined": "?"}


def verdict_text(verdict: str) -> str:
    """The verdict with a symbol, so it reads without colour."""
    return f"{VERDICT_MARKS.get(verdict, '?')} {verdict}"


def shown_steps(steps: int, every: int | None = None, target: int = 50) -> list[int]:
    """Indices (0-based) of the rows a table shows: all, every K-th, or about
    ``target`` spread evenly; the first and last step are always included."""
    if every is None:
        every = 1 if steps <= 2 * target else math.ceil(steps / target)
    return sorted(set(range(0, steps, every)) | {0, steps - 1})


def horizon_text(horizon: int | None, steps: int) -> str:
    return f"{horizon} steps" if horizon is not None else f"beyond {steps - 1}"


def overflow_text(step: int) -> str:
    return (f"forward ||h_t|| passes float range (1e308) at step {step}; "
            "shown exactly from log space")


def flow_summary_lines(r) -> list[str]:
    """Whole-run figures of a FlowRun as a few short lines."""
    lines = [
        f"spectral radius {r.spectral_radius:.4f}   spectral norm {r.spectral_norm:.4f}   "
        f"fitted factor {r.factor:.4f}/step",
        f"vanishing horizon (1e-6): {horizon_text(r.vanishing_horizon, r.steps)}"
        + (f"   exploding horizon (1e6): {r.exploding_horizon} steps"
           if r.exploding_horizon is not None else ""),
        f"verdict: {verdict_text(r.verdict)}",
    ]
    if r.forward_overflow_step is not None:
        lines.append(overflow_text(r.forward_overflow_step))
    return lines


REGIME_MARKS = {"vanishing": "▼", "stable": "■", "near-stable": "■", "exploding": "▲",
                "undetermined": "?"}
REGIME_STYLES = {"vanishing": "bold yellow", "stable": "bold green", "near-stable": "bold green",
                 "exploding": "bold red", "undetermined": "dim"}


def marked(regime: str, text: str) -> str:
    """A value with its regime marker in front, readable without colour."""
    return f"{REGIME_MARKS.get(regime, '?')} {text}"


def steps_text(steps: int | None, never: str = "never") -> str:
    return never if steps is None else f"{steps:,}"
