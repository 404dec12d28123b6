"""How a figure an article states is judged against the value vgtui computes now.

The rules are the same for every claim, and for the article figures the Decay,
Activations and Scalar chain screens show:

- a figure stated as a **value** ("0.028", "1.8e-8", "97%") holds when the computed
  value, rounded to the precision the figure is printed with (its decimals for
  fixed-point text, its significant digits for scientific or whole-number text),
  is that figure; it holds approximately when it is within 10% of the computed
  value; otherwise it does not hold.
- a figure stated as an **order of magnitude** ("~1e-12", "10^15 times", or a
  round typical value for random networks such as "~0.5") holds when it is within
  half a decade of the computed value (a factor of about 3.2 either way),
  approximately within one decade, otherwise not.
- a **range** ("10-20 steps", "2-3 directions") holds when the computed value lies
  inside it, approximately within 10% of its nearer end.
- a **bound** ("1e-10 or smaller") holds when the computed value is on the stated
  side, approximately within 10% of it.

The difference is always reported: the ratio of the article's figure to the
computed one, or the distance in decades, or where the value falls.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

VERDICTS = ("holds", "approx", "convention", "fails", "pending")
VERDICT_MARKS = {"holds": "✓", "approx": "≈", "convention": "◇", "fails": "✗", "pending": "?"}
VERDICT_WORDS = {"holds": "holds", "approx": "holds approximately",
                 "convention": "a matter of convention", "fails": "does not hold",
                 "pending": "not measured yet"}
# From the most to the least favourable (a statistical claim gets the least favourable
# verdict of its median and the two ends of its confidence interval).
VERDICT_ORDER = ("holds", "approx", "fails")
APPROX_TOLERANCE = 0.10  # relative, for values, ranges and bounds
ORDER_HOLDS = 0.5  # decades
ORDER_APPROX = 1.0  # decades
# How a figure is stated: a value, an order of magnitude, a range, or a bound.
MODES = ("value", "order", "range", "at_least", "at_most")

RULES = (
    "value: holds if the computed value rounds to the article's figure at the precision it "
    "is printed with, approx if within 10%, else fails; order of magnitude: holds within "
    "half a decade, approx within one decade; range: holds inside, approx within 10% of the "
    "nearer end; bound: holds on the stated side, approx within 10%; convention: the "
    "figure is one of several equally right values (relu'(0)) and vgtui uses another; a "
    "median over random seeds is judged at the median and both ends of its 95% interval "
    "and gets the least favourable of the three verdicts"
)

_NUMBER = re.compile(r"^[-+]?(\d+)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$")


def precision_of(figure: str) -> tuple[float, str, int]:
    """(value, mode, digits) of a printed figure: mode "decimals" for fixed-point text
    such as 0.0008 (digits = decimals), "significant" for scientific or whole-number
    text such as 7.9e-4 or 3325 (digits = significant digits)."""
    text = figure.replace(",", "").strip()
    m = _NUMBER.match(text)
    if not m:
        raise ValueError(f"cannot read the figure {figure!r}")
    value = float(text)
    whole, frac, exp = m.group(1), m.group(2), m.group(3)
    if frac is not None and exp is None:
        return value, "decimals", len(frac)
    digits = (whole.lstrip("0") + (frac or "")) if whole.strip("0") else (frac or "").lstrip("0")
    if exp is None and frac is None:
        digits = digits.rstrip("0") or digits  # "90" and "100,000" are round figures
    return value, "significant", max(1, len(digits))


@dataclass(frozen=True)
class Stated:
    """What an article says, as data. ``text`` is shown as printed; ``figure`` is the
    number in it (its printed form sets the precision for mode "value")."""

    text: str
    figure: str
    mode: str = "value"  # value | order | range | at_least | at_most
    high: str | None = None  # upper end of a range

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(self.mode)
        precision_of(self.figure)
        if self.mode == "range" and self.high is None:
            raise ValueError("a range needs its upper end")

    @property
    def number(self) -> float:
        return precision_of(self.figure)[0]

    @property
    def precision(self) -> str:
        """The precision the verdict assumes for this figure, in words."""
        if self.mode == "order":
            return f"order of magnitude: within {ORDER_HOLDS:g} decade (≈ within {ORDER_APPROX:g})"
        if self.mode == "range":
            return f"a range: inside it (≈ within {APPROX_TOLERANCE:.0%} of the nearer end)"
        if self.mode in ("at_least", "at_most"):
            return f"a bound: on the stated side (≈ within {APPROX_TOLERANCE:.0%})"
        _, kind, digits = precision_of(self.figure)
        unit = ("decimal" if kind == "decimals" else "significant digit") + (
            "" if digits == 1 else "s")
        return f"{digits} {unit}, as printed (≈ within {APPROX_TOLERANCE:.0%})"

    @property
    def upper(self) -> float | None:
        return None if self.high is None else precision_of(self.high)[0]


def said(figure: str, text: str | None = None) -> Stated:
    return Stated(text or figure, figure)


def about(figure: str, text: str | None = None) -> Stated:
    return Stated(text or f"~{figure}", figure, "order")


def between(low: str, high: str, text: str | None = None) -> Stated:
    return Stated(text or f"{low}–{high}", low, "range", high)


def at_most(figure: str, text: str | None = None) -> Stated:
    return Stated(text or f"≤ {figure}", figure, "at_most")


def at_least(figure: str, text: str | None = None) -> Stated:
    return Stated(text or f"≥ {figure}", figure, "at_least")


@dataclass(frozen=True)
class Judgement:
    verdict: str
    difference: str
    ratio: float | None  # the article's figure over the computed value
    relative: float | None  # |article - computed| / |computed|


def log10_abs(value: float, log10: float | None) -> float:
    if log10 is not None:
        return log10
    return math.log10(abs(value)) if value else -math.inf


def _ratio_words(ratio: float, ratio_log: float | None = None) -> str:
    """How the article's figure compares with the computed value, in words."""
    if ratio_log is not None and not math.isfinite(ratio):
        if ratio_log > 0:
            return f"article's figure is 10^{ratio_log:.1f} times the computed value"
        return f"computed value is 10^{-ratio_log:.1f} times the article's figure"
    if 0.5 <= ratio <= 2.0:
        pct = 100.0 * (ratio - 1.0)
        if abs(pct) < 0.05:
            return "article's figure equals the computed value to 0.05%"
        side = "above" if pct > 0 else "below"
        return f"article's figure is {abs(pct):.1f}% {side} the computed value"
    if ratio > 2.0:
        return f"article's figure is {ratio:.3g}× the computed value"
    return f"computed value is {1.0 / ratio:.3g}× the article's figure"


def judge(stated: Stated, value: float | None, log10: float | None = None) -> Judgement:
    """The verdict for one claim (see the module docstring for the rules)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Judgement("pending", "not computed yet", None, None)
    number = stated.number
    lv = log10_abs(value, log10)
    if stated.mode == "range":
        lo, hi = number, stated.upper
        if lo <= value <= hi:
            return Judgement("holds", f"computed value lies inside {stated.text}", None, 0.0)
        edge = lo if value < lo else hi
        rel = abs(value - edge) / abs(edge) if edge else math.inf
        side = "below" if value < lo else "above"
        return Judgement("approx" if rel <= APPROX_TOLERANCE else "fails",
                         f"computed value is {side} {stated.text} by {100 * rel:.0f}% of the "
                         f"nearer end", None, rel)
    if stated.mode in ("at_least", "at_most"):
        ok = value >= number if stated.mode == "at_least" else value <= number
        rel = abs(value - number) / abs(number) if number else math.inf
        ratio = number / value if value else math.inf
        if ok:
            return Judgement("holds", f"computed value is on the stated side of {stated.figure}",
                             ratio, rel)
        side = "below" if stated.mode == "at_least" else "above"
        return Judgement("approx" if rel <= APPROX_TOLERANCE else "fails",
                         f"computed value is {side} the stated bound: {_ratio_words(ratio)}",
                         ratio, rel)
    is_zero = value == 0 and (log10 is None or log10 == -math.inf)
    if number == 0 or is_zero:
        same = number == value
        if same:
            return Judgement("holds", "both are exactly 0", None, 0.0)
        words = (f"computed value is 0, the article's figure {number:g}" if is_zero else
                 f"article's figure is 0, the computed value {value:g}")
        return Judgement("fails", words, None, math.inf)
    ls = math.log10(abs(number))
    ratio_log = ls - lv
    ratio = 10.0 ** ratio_log if abs(ratio_log) < 300 else math.inf
    rel = abs(ratio - 1.0) if math.isfinite(ratio) else math.inf
    if stated.mode == "order":
        gap = abs(ratio_log)
        verdict = "holds" if gap <= ORDER_HOLDS else "approx" if gap <= ORDER_APPROX else "fails"
        return Judgement(verdict, f"{gap:.2f} decades apart ({_ratio_words(ratio, ratio_log)})",
                         ratio, rel)
    _, mode, digits = precision_of(stated.figure)
    if math.isfinite(value) and abs(lv) < 300:
        if mode == "decimals":
            rounded = round(value, digits)
            same = math.isclose(rounded, number, rel_tol=1e-9, abs_tol=10.0 ** -(digits + 3))
        else:
            rounded = float(f"{value:.{digits - 1}e}")
            same = math.isclose(rounded, number, rel_tol=1e-9)
    else:
        same = False
    if same:
        words = "agrees at the article's precision"
        if rel >= 5e-4:
            words += f" ({_ratio_words(ratio)})"
        return Judgement("holds", words, ratio, rel)
    return Judgement("approx" if rel <= APPROX_TOLERANCE else "fails",
                     _ratio_words(ratio, ratio_log), ratio, rel)

