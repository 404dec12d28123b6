"""How an article's figure reads beside the value computed now."""
from __future__ import annotations

import math

from ..engine.claim_rules import precision_of

FIGURE_CHECK_MARKS = {"agrees": "✓", "close": "≈", "differs": "✗"}


def figure_check_mark(check) -> str:
    """✓ agrees, ≈ close, ✗ differs, for a FigureCheck."""
    return FIGURE_CHECK_MARKS[check.verdict]


def figure_check_words(check) -> str:
    """'agrees', 'close: article off by 4.2%' or 'article differs: 12.5 times the computed
    value', for a FigureCheck."""
    if check.verdict == "agrees":
        return "agrees"
    value = float(check.computed)
    stated = precision_of(check.figure.stated)[0]
    ratio = stated / value if value else math.inf
    if 0.5 <= ratio <= 2.0:
        how = f"off by {100.0 * check.relative_error:.1f}%"
    else:
        how = f"{ratio:.3g} times the computed value"
    if check.verdict == "close":
        return f"close: article {how}"
    return f"article differs: {how}"
