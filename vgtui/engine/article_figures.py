"""Figures the source articles state for decay, derivatives and the scalar chain,
checked against the closed forms.

Each entry records what an article printed (as text, with the precision it was
printed at) and how to compute it; ``check`` recomputes it now and says whether
the article's figure agrees at its own precision, is close (within 10%), or
differs, by the same rules as the Claims list (``claims.judge``), which takes
every figure here as one of its claims. The screens show the computed value
first and the article's beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import closed_form as cf
from .lists import short_number
from .magnitude import SignedLogMagnitude

ARTICLES = {
    "000": "the Bengio et al. (1994) walkthrough",
    "001": "the textbook section on vanishing gradients",
    "002": "the BPTT stability note",
    "003": "Chapter 16, 'The Vanishing Gradient Problem'",
    "004": "the lesson 'The Vanishing Gradient Problem in RNNs'",
}


@dataclass(frozen=True)
class ArticleFigure:
    article: str  # key of ARTICLES
    context: str  # where in the article
    expression: str  # what is computed, in words/symbols
    stated: str  # the article's figure as printed
    kind: str  # "power", "derivative", "max_derivative", "trace"
    args: tuple
    order_only: bool = False  # stated only as a power of ten ("about 1e-12")


@dataclass(frozen=True)
class FigureCheck:
    figure: ArticleFigure
    computed: SignedLogMagnitude
    verdict: str  # "agrees", "close", "differs"
    relative_error: float

    @property
    def mark(self) -> str:
        return {"agrees": "✓", "close": "≈", "differs": "✗"}[self.verdict]

    def words(self) -> str:
        if self.verdict == "agrees":
            return "agrees"
        value = float(self.computed)
        stated = _precision(self.figure.stated)[0]
        ratio = stated / value if value else math.inf
        if 0.5 <= ratio <= 2.0:
            how = f"off by {100.0 * self.relative_error:.1f}%"
        else:
            how = f"{ratio:.3g} times the computed value"
        if self.verdict == "close":
            return f"close: article {how}"
        return f"article differs: {how}"

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


def _power(f, t, article, context, stated, expression=None, order_only=False):
    expr = expression or f"{short_number(f)}^{t}"
    return ArticleFigure(article, context, expr, stated, "power", (f, t), order_only)


def _deriv(kind, z, article, context, stated):
    return ArticleFigure(article, context, f"{kind}'({short_number(z)})", stated,
                         "derivative", (kind, z))


def _trace(column, t, article, stated):
    words = {"h": "h_t", "local": "local w(1-h_t^2)", "cum": "dh_t/dh_0"}[column]
    return ArticleFigure(article, "scalar trace, w=0.5, T=10, h0=0.1", f"{words} at t={t}",
                         stated, "trace", (0.5, 10, 0.1, column, t))


DECAY_FIGURES: tuple[ArticleFigure, ...] = (
    _power(0.5, 20, "003", "w^20 table", "9.5e-7"),
    _power(0.7, 20, "003", "w^20 table", "7.9e-4"),
    _power(0.9, 20, "003", "w^20 table", "1.2e-1"),
    _power(1.0, 20, "003", "w^20 table", "1.0"),
    _power(1.1, 20, "003", "w^20 table", "6.7"),
    _power(1.5, 20, "003", "w^20 table", "3325"),
    _power(2.0, 20, "003", "w^20 table", "1,048,576"),
    _power(0.25, 20, "003", "sigmoid bound over 20 steps", "1e-12", order_only=True),
    _power(0.7, 13, "003", "subject-verb gap of 13 tokens", "0.01"),
    _power(0.5, 10, "003", "ten steps at 0.5", "0.001"),
    _power(0.5, 20, "003", "twenty steps at 0.5", "1e-6", order_only=True),
    _power(0.9, 10, "001", "scalar example table", "0.35"),
    _power(0.9, 50, "001", "scalar example table", "0.005"),
    _power(0.9, 100, "001", "scalar example table", "0.000026"),
    _power(0.7, 10, "000", "0.7 per step", "0.028"),
    _power(0.7, 20, "000", "0.7 per step", "0.0008"),
    _power(0.7, 50, "000", "0.7 per step", "1.8e-8"),
    _power(0.9, 50, "000", "gamma = 0.9 over 50 steps", "0.005"),
    _power(0.46, 5, "000", "two-unit example, its rho = 0.46", "0.021"),
    _power(0.46, 10, "000", "two-unit example, its rho = 0.46", "0.00043"),
    _power(0.46, 20, "000", "two-unit example, its rho = 0.46", "1.8e-7"),
    _power(0.8, 17, "000", "17 Jacobians of norm 0.8", "0.023"),
    _power(0.95, 100, "000", "compound interest", "0.006"),
    _power(0.42, 20, "000", "tanh' = 0.42 over 20 steps", "2e-8"),
    _power(0.2, 20, "000", "sigmoid' = 0.20 over 20 steps", "1e-14"),
    _power(0.7, 100, "000", "RNN factor 0.7 over 100 steps", "3.2e-16"),
    _power(0.98, 100, "000", "forget gate 0.98 over 100 steps", "0.13"),
    _power(0.45, 10, "004", "eigenvalue 0.9 x tanh' 0.5", "3.49e-03", "(0.9*0.5)^10"),
    _power(0.45, 20, "004", "eigenvalue 0.9 x tanh' 0.5", "1.22e-05", "(0.9*0.5)^20"),
    _power(0.45, 50, "004", "eigenvalue 0.9 x tanh' 0.5", "5.20e-14", "(0.9*0.5)^50"),
    _power(0.45, 100, "004", "eigenvalue 0.9 x tanh' 0.5", "2.70e-27", "(0.9*0.5)^100"),
    _power(1.1, 10, "004", "eigenvalue 1.1", "2.59e+00"),
    _power(1.1, 20, "004", "eigenvalue 1.1", "6.73e+00"),
    _power(1.1, 50, "004", "eigenvalue 1.1", "1.17e+02"),
)

DERIVATIVE_FIGURES: tuple[ArticleFigure, ...] = (
    _deriv("tanh", 0.0, "000", "derivative printout", "1.00"),
    _deriv("tanh", 1.0, "000", "derivative printout", "0.42"),
    _deriv("tanh", 2.0, "000", "derivative printout", "0.07"),
    _deriv("sigmoid", 0.0, "000", "derivative printout", "0.25"),
    _deriv("sigmoid", 1.0, "000", "derivative printout", "0.20"),
    _deriv("sigmoid", 2.0, "000", "derivative printout", "0.10"),
    _deriv("sigmoid", 5.0, "000", "sigmoid tails", "0.007"),
    ArticleFigure("000", "activation table", "max tanh'", "1.0", "max_derivative", ("tanh",)),
    ArticleFigure("000", "activation table", "max sigmoid'", "0.25", "max_derivative", ("sigmoid",)),
    ArticleFigure("000", "activation table", "max relu'", "1.0", "max_derivative", ("relu",)),
    ArticleFigure("001", "tanh can reach 1 near zero", "max tanh'", "1", "max_derivative", ("tanh",)),
    _deriv("tanh", 0.0, "004", "tanh derivative comments", "1"),
    _deriv("tanh", 2.0, "004", "tanh derivative comments", "0.07"),
    _deriv("tanh", 5.0, "004", "tanh derivative comments", "0.00018"),
    _deriv("tanh", 1.0, "003", "activation table, typical (|z| = 1)", "0.42"),
    _deriv("sigmoid", 1.0, "003", "activation table, typical (|z| = 1)", "0.20"),
    ArticleFigure("003", "activation table", "max sigmoid'", "0.25", "max_derivative", ("sigmoid",)),
    ArticleFigure("003", "activation table", "max tanh'", "1.00", "max_derivative", ("tanh",)),
    ArticleFigure("003", "activation table", "max relu'", "1.00", "max_derivative", ("relu",)),
    ArticleFigure("003", "activation table", "max identity'", "1.00", "max_derivative", ("identity",)),
    ArticleFigure("004", "key takeaways", "max tanh'", "1", "max_derivative", ("tanh",)),
)

TRACE_FIGURES: tuple[ArticleFigure, ...] = (
    _trace("h", 1, "003", "0.04996"),
    _trace("local", 1, "003", "0.49875"),
    _trace("cum", 1, "003", "4.988e-01"),
    _trace("h", 5, "003", "0.003122"),
    _trace("cum", 5, "003", "3.115e-02"),
    _trace("local", 5, "003", "0.50000"),
    _trace("h", 10, "003", "0.00010"),
    _trace("cum", 10, "003", "9.733e-04"),
)


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


def _precision(stated: str) -> tuple[float, str, int]:
    from .claims import precision_of

    return precision_of(stated)


def check(figure: ArticleFigure) -> FigureCheck:
    """The figure recomputed and judged by the Claims rules (claims.judge)."""
    from .claims import about, judge, said

    computed = compute(figure)
    stated = about(figure.stated) if figure.order_only else said(figure.stated)
    j = judge(stated, float(computed), computed.log10 if computed.sign else None)
    verdict = {"holds": "agrees", "approx": "close", "fails": "differs"}[j.verdict]
    value = float(computed)
    rel = abs(value - stated.number) / abs(value) if value else math.inf
    return FigureCheck(figure, computed, verdict, rel)


def check_all(figures) -> list[FigureCheck]:
    return [check(f) for f in figures]
