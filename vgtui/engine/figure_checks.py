"""The articles' decay, derivative and scalar-chain figures, recomputed now.

Each figure in ``articles`` (DECAY_FIGURES, DERIVATIVE_FIGURES, TRACE_FIGURES) says
what an article printed and how to compute it; ``check`` recomputes it from the
closed forms and says whether the article's figure agrees at its own precision, is
close (within 10%), or differs, by the Claims rules (``claim_rules.judge``). The
screens show the computed value first and the article's beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import closed_form as cf
from .articles import ArticleFigure
from .claim_rules import about, judge, said
from .magnitude import SignedLogMagnitude


@dataclass(frozen=True)
class FigureCheck:
    figure: ArticleFigure
    computed: SignedLogMagnitude
    verdict: str  # "agrees", "close", "differs"
    relative_error: float

    def to_dict(self) -> dict:
        return {
            "article": self.figure.article,
            "context": self.figure.context,
            "expression": self.figure.expression,
            "article_says": self.figure.stated,
            "computed": self.computed,
            "log10_abs_computed": self.computed.log10,
            "verdict": self.verdict,
            "relative_error": self.relative_error,
        }


def compute(figure: ArticleFigure) -> SignedLogMagnitude:
    """The figure's value from the closed forms, now."""
    if figure.kind == "power":
        f, t = figure.args
        return SignedLogMagnitude(cf.log10_power(f, t), 1)
    if figure.kind == "derivative":
        kind, z = figure.args
        sign, log = cf.log10_abs_derivative(kind, z)
        return SignedLogMagnitude(log, sign)
    if figure.kind == "max_derivative":
        value = cf.max_derivative(figure.args[0]).value
        return SignedLogMagnitude(math.log10(value), 1)
    if figure.kind == "trace":
        w, steps, h0, column, t = figure.args
        return cf.scalar_trace(w, steps, h0, guard=False).magnitude(column, t - 1)
    raise ValueError(figure.kind)


def check(figure: ArticleFigure) -> FigureCheck:
    """The figure recomputed and judged by the Claims rules (claim_rules.judge)."""
    computed = compute(figure)
    stated = about(figure.stated) if figure.order_only else said(figure.stated)
    j = judge(stated, float(computed), computed.log10 if computed.sign else None)
    verdict = {"holds": "agrees", "approx": "close", "fails": "differs"}[j.verdict]
    value = float(computed)
    rel = abs(value - stated.number) / abs(value) if value else math.inf
    return FigureCheck(figure, computed, verdict, rel)


def check_all(figures) -> list[FigureCheck]:
    return [check(f) for f in figures]
