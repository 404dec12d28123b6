"""The LSTM forget gate in its simplest form: a per-step factor against a constant
forget gate over the same number of steps, factor**k against gate**k, in closed form
(no torch). The articles' own toy (0.7 against 0.98 over 100 steps) is checked
against its stated figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .articles import ARTICLE_TOY, ARTICLE_TOY_CLAIMS
from .magnitude import LogMagnitude

@dataclass
class ToyCarousel:
    """A per-step factor against a constant forget gate over the same steps."""

    factor: float
    gate: float
    steps: int
    log10_rnn: np.ndarray  # k steps back, k = 0..steps
    log10_gate: np.ndarray

    @property
    def log10_final_rnn(self) -> float:
        return float(self.log10_rnn[-1])

    @property
    def log10_final_gate(self) -> float:
        return float(self.log10_gate[-1])

    @property
    def log10_advantage(self) -> float:
        """log10 of how many times more of the gradient the gate keeps."""
        a, b = self.log10_final_gate, self.log10_final_rnn
        if a == b:
            return 0.0
        return a - b

    def steps_to(self, log10_level: float) -> tuple[int | None, int | None]:
        """Steps back until each falls below 10**log10_level (None: never, within steps)."""
        out = []
        for series in (self.log10_rnn, self.log10_gate):
            hit = np.nonzero(series < log10_level)[0]
            out.append(int(hit[0]) if hit.size else None)
        return out[0], out[1]

    def to_dict(self) -> dict:
        horizon_rnn, horizon_gate = self.steps_to(-6.0)
        return {
            "factor": self.factor, "gate": self.gate, "steps": self.steps,
            "rnn_final": LogMagnitude(self.log10_final_rnn),
            "log10_rnn_final": self.log10_final_rnn,
            "gate_final": LogMagnitude(self.log10_final_gate),
            "log10_gate_final": self.log10_final_gate,
            "log10_advantage": self.log10_advantage,
            "rnn_horizon": horizon_rnn, "gate_horizon": horizon_gate,
        }


def toy_carousel(factor: float, gate: float, steps: int) -> ToyCarousel:
    """factor**k and gate**k for k = 0..steps, as log10 (exact zeros as -inf). No torch."""
    k = np.arange(steps + 1, dtype=np.float64)

    def powers(base: float) -> np.ndarray:
        if base == 0:
            out = np.full(steps + 1, -math.inf)
            out[0] = 0.0
            return out
        return k * math.log10(base)

    return ToyCarousel(float(factor), float(gate), int(steps), powers(factor), powers(gate))


@dataclass(frozen=True)
class ToyFigureCheck:
    what: str
    claimed: float
    log10_computed: float

    @property
    def log10_gap(self) -> float:
        return self.log10_computed - math.log10(self.claimed)

    @property
    def verdict(self) -> str:
        """'agrees' within 5%, else how far off and in which direction."""
        ratio = 10 ** self.log10_gap
        if abs(ratio - 1) <= 0.05:
            return "agrees"
        if ratio > 1:
            return f"article understates {ratio:.2g}x"
        return f"article overstates {1 / ratio:.2g}x"


def check_article_toy(toy: ToyCarousel) -> list[ToyFigureCheck] | None:
    """The article's stated figures against the computed ones (None unless the toy
    is at the article's own pair and length)."""
    if (toy.factor, toy.gate, toy.steps) != (ARTICLE_TOY["factor"], ARTICLE_TOY["gate"],
                                             ARTICLE_TOY["steps"]):
        return None
    computed = {"rnn": toy.log10_final_rnn, "gate": toy.log10_final_gate,
                "advantage": toy.log10_advantage}
    return [ToyFigureCheck(what, claimed, computed[key]) for what, key, claimed in ARTICLE_TOY_CLAIMS]
