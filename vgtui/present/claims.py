"""How a claim's verdict and the way its figure is stated read."""
from __future__ import annotations

from ..engine.claim_rules import VERDICT_MARKS, VERDICT_WORDS

MODE_WORDS = {"value": "a value", "order": "an order of magnitude", "range": "a range",
              "at_least": "a lower bound", "at_most": "an upper bound"}


def claim_verdict_text(verdict: str) -> str:
    """A claim's verdict with its marker, readable without colour: '✓ holds'."""
    return f"{VERDICT_MARKS[verdict]} {VERDICT_WORDS[verdict]}"
