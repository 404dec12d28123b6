"""Every numeric claim the source articles make, recomputed, with a verdict.

A claim is what an article states (its figure, kept as data exactly as printed)
beside what the engine computes now. The list is built by ``build_claims``: the
closed-form claims need no torch and take a fraction of a second; the claims about
random or torch-initialised networks need torch (a second or two); the final
losses of article 000's training test need a training run (about half a minute),
so they stay "not measured" until ``measure_training`` is run and its result
passed in.

Verdict rules (the same for every claim, and for the article figures the Decay,
Activations and Scalar chain screens show):

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
import time
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

from . import closed_form as cf
from .errors import ConfigError
from .magnitude import SignedLogMagnitude, format_log10

# -- verdicts --------------------------------------------------------------------------
VERDICTS = ("holds", "approx", "fails", "pending")
VERDICT_MARKS = {"holds": "✓", "approx": "≈", "fails": "✗", "pending": "?"}
VERDICT_WORDS = {"holds": "holds", "approx": "holds approximately", "fails": "does not hold",
                 "pending": "not measured yet"}
APPROX_TOLERANCE = 0.10  # relative, for values, ranges and bounds
ORDER_HOLDS = 0.5  # decades
ORDER_APPROX = 1.0  # decades

MODE_WORDS = {"value": "a value", "order": "an order of magnitude", "range": "a range",
              "at_least": "a lower bound", "at_most": "an upper bound"}

ARTICLES = {
    "000": "Bengio, Simard & Frasconi (1994), a walkthrough",
    "001": "textbook section on vanishing gradients",
    "002": "note on the stability of BPTT",
    "003": "Chapter 16, 'The Vanishing Gradient Problem'",
    "004": "lesson 'The Vanishing Gradient Problem in RNNs'",
}

RULES = (
    "value: holds if the computed value rounds to the article's figure at the precision it "
    "is printed with, approx if within 10%, else fails; order of magnitude: holds within "
    "half a decade, approx within one decade; range: holds inside, approx within 10% of the "
    "nearer end; bound: holds on the stated side, approx within 10%"
)


def verdict_text(verdict: str) -> str:
    """The verdict with its marker, readable without colour."""
    return f"{VERDICT_MARKS[verdict]} {VERDICT_WORDS[verdict]}"


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
        if self.mode not in MODE_WORDS:
            raise ValueError(self.mode)
        precision_of(self.figure)
        if self.mode == "range" and self.high is None:
            raise ValueError("a range needs its upper end")

    @property
    def number(self) -> float:
        return precision_of(self.figure)[0]

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


def _log10_abs(value: float, log10: float | None) -> float:
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
    lv = _log10_abs(value, log10)
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


# -- claims ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Computed:
    """One computed value; ``log10`` (of |value|) for magnitudes, ``note`` for figures
    computed beside it that the reader should see (also computed now)."""

    value: float | None
    log10: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Claim:
    id: str
    article: str  # key of ARTICLES
    where: str  # short locator in the article
    claim: str  # the claim, in vgtui's words
    stated: Stated
    computed: float | None
    log10_computed: float | None
    verdict: str
    difference: str
    ratio: float | None
    how: str  # how vgtui computes it
    engine: str  # the engine function that computes it
    screen: str  # registry id of the screen that demonstrates it
    hint: str  # where on that screen
    unit: str
    needs: str  # closed | torch | training
    note: str = ""

    @property
    def mark(self) -> str:
        return VERDICT_MARKS[self.verdict]

    @property
    def source(self) -> str:
        return f"{self.article} {self.where}"

    def value_text(self, digits: int = 4) -> str:
        return format_number(self.computed, self.log10_computed, self.unit, digits)

    def search_text(self) -> str:
        return " ".join((self.id, self.article, self.where, self.claim, self.stated.text,
                         self.value_text(), self.difference, self.how, self.note,
                         VERDICT_WORDS[self.verdict])).lower()

    def to_dict(self) -> dict:
        if self.computed is None:
            computed = None
        elif self.log10_computed is not None:
            computed = SignedLogMagnitude(self.log10_computed,
                                          1 if self.computed >= 0 else -1) \
                if self.computed != 0 else 0.0
        else:
            computed = self.computed
        out = {
            "id": self.id, "article": self.article, "where": self.where, "claim": self.claim,
            "article_value": self.stated.text, "article_figure": self.stated.number,
            "judged_as": self.stated.mode, "computed": computed,
        }
        if self.log10_computed is not None:
            out["log10_computed"] = self.log10_computed
        if self.stated.mode == "range":
            out["article_figure_high"] = self.stated.upper
        out.update({
            "unit": self.unit, "verdict": self.verdict, "verdict_text": VERDICT_WORDS[self.verdict],
            "difference": self.difference, "ratio": self.ratio, "how": self.how,
            "engine": self.engine, "screen": self.screen, "screen_hint": self.hint,
            "needs": self.needs, "note": self.note,
        })
        return out


def format_number(value: float | None, log10: float | None = None, unit: str = "",
                  digits: int = 4) -> str:
    """A computed value as text: plain for everyday sizes, scientific otherwise (from
    log10 when given, so magnitudes past float range print honestly)."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.{max(2, digits - 2)}f}%"
    if isinstance(value, int) or (unit in ("steps", "dims") and float(value).is_integer()):
        return f"{int(value):,}" + (f" {unit}" if unit else "")
    lv = _log10_abs(value, log10)
    suffix = f" {unit}" if unit and unit not in ("×",) else unit
    if value != 0 and math.isfinite(lv) and -4 <= lv < 6:
        text = f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}g}"
        return text + suffix
    if value == 0 and log10 is None:
        return "0" + suffix
    text = format_log10(lv, digits - 1)
    return ("-" if value < 0 else "") + text + suffix


@dataclass(frozen=True)
class Unchecked:
    """A numeric statement left out of the list, and why."""

    article: str
    where: str
    what: str
    reason: str
    screen: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


UNCHECKED = (
    Unchecked("000", "§Jacobian chain code", "for 50 steps back with tanh the product is "
              "'typically ~1e-15'", "the network and its hidden states are not given, so "
              "there is nothing definite to compute; the Jacobian screen measures the product "
              "for any network you set up", "jacobian"),
    Unchecked("000", "§BPTT, §activation shape", "gamma is 'often around 0.3-0.5' and f' "
              "'about 0.3-0.5 on average' in practical or trained RNNs", "a property of "
              "trained networks the article does not specify; the Activations screen computes "
              "the typical f' for any spread of pre-activations", "activations"),
    Unchecked("000", "§Theorem", "the real decay is 'often 2-3x faster per step' than the "
              "bound", "no network is given; the Bengio bound screen sets the measured "
              "product beside the bound for any network", "bound"),
    Unchecked("000", "§Experiments", "RNNs failed beyond about 20 steps, with the gradient "
              "below float32 precision", "a report of the 1994 experiments, not a computation "
              "in the article; the Experiments screen runs such tests", "experiments"),
    Unchecked("001", "§Scalar example, §Why gradients shrink", "the last row of the w^T "
              "table and the 'average magnitude after 20 steps' example", "the numbers sat "
              "inside formulas that did not survive in the article's text", "decay"),
    Unchecked("002", "whole note", "its figures (max |f'| of tanh and sigmoid, the per-step "
              "scale)", "every number sat inside a formula that did not survive in the "
              "article's text; the same figures are checked for articles 000 and 003",
              "activations"),
    Unchecked("004", "§Visualizing the problem", "a gradient column 1e-12, 1e-10, ... 1.0 "
              "along a sentence", "an illustration, not a computation: it shrinks 100x per "
              "word at the start and far less later, which no single factor does",
              "longrange"),
    Unchecked("004", "§Long-term dependency", "RNNs learn dependencies of up to about 10-20 "
              "steps", "a report of Bengio et al.'s experiments; the Experiments screen "
              "measures where vanilla RNNs stop learning for a given set-up", "experiments"),
)


@dataclass(frozen=True)
class Spec:
    """A claim before it is computed: everything but the computed value."""

    id: str
    article: str
    where: str
    claim: str
    stated: Stated
    compute: Callable[["_Engine"], Computed]
    how: str
    engine: str
    screen: str
    hint: str = ""
    unit: str = ""
    needs: str = "closed"
    note: str = ""
    figure: tuple | None = None  # (article, expression, context) of an article_figures entry


@dataclass
class ClaimsList:
    claims: list[Claim]
    unchecked: tuple[Unchecked, ...]
    levels: tuple[str, ...]
    measured: bool
    seconds: float
    torch_version: str | None = None

    def counts(self, claims: Sequence[Claim] | None = None) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for c in (self.claims if claims is None else claims):
            out[c.verdict] += 1
        return out

    def get(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise KeyError(claim_id)

    def to_dict(self, claims: Sequence[Claim] | None = None) -> dict:
        shown = self.claims if claims is None else list(claims)
        return {
            "claims": [c.to_dict() for c in shown],
            "counts": self.counts(shown),
            "total": len(self.claims),
            "rules": RULES,
            "articles": dict(ARTICLES),
            "computed_with_torch": "torch" in self.levels,
            "training_measured": self.measured,
            "not_checked": [u.to_dict() for u in self.unchecked],
            "timing": {"seconds": self.seconds},  # run-dependent, kept apart
        }


def filter_claims(claims: Sequence[Claim], article: str | Sequence[str] | None = None,
                  verdict: str | Sequence[str] | None = None, text: str = "") -> list[Claim]:
    """Claims of the given article(s) and verdict(s) whose text contains every word."""
    arts = {article} if isinstance(article, str) else set(article or ())
    verds = {verdict} if isinstance(verdict, str) else set(verdict or ())
    words = text.lower().split()
    out = []
    for c in claims:
        if arts and c.article not in arts:
            continue
        if verds and c.verdict not in verds:
            continue
        if words:
            hay = c.search_text()
            if not all(w in hay for w in words):
                continue
        out.append(c)
    return out


def parse_choices(text: str, allowed: Sequence[str], what: str, name: str) -> tuple[str, ...]:
    """'000,003' -> ('000', '003'); ConfigError naming the setting on anything else."""
    aliases = {"approximately": "approx", "holds-approximately": "approx", "fail": "fails",
               "hold": "holds", "unmeasured": "pending", "not-measured": "pending"}
    items = [t.strip().lower() for t in re.split(r"[,\s]+", text or "") if t.strip()]
    if not items:
        raise ConfigError(f"{what} is empty: choose from {', '.join(allowed)}", name)
    out = []
    for raw in items:
        item = aliases.get(raw, raw)
        if item.isdigit() and len(item) < 3 and "000" in allowed:
            item = item.zfill(3)
        if item not in allowed:
            raise ConfigError(f"{what} must be one of {', '.join(allowed)} (got {raw[:20]!r})",
                              name)
        if item not in out:
            out.append(item)
    return tuple(out)


# -- the engine computations the claims share ------------------------------------------
TWO_UNIT_STEPS = 20
RANDOM_SEEDS = 16  # seeds for the claims about typical random matrices
TORCH_RNN_SEEDS = 32  # seeds for the default torch.nn.RNN gradient claims
MEMORY_SEEDS = 8
# The Jacobian screen's "tanh-64" preset: the article's 64-unit picture.
MEMORY_CONFIG = dict(activation="tanh", init="gaussian", scale=1.0, hidden=64, steps=60)
MEMORY_STEPS_BACK = 50


class _Engine:
    """The engine results the claims draw on, each computed once, when first asked."""

    def __init__(self, cancel: Callable[[], bool] | None = None,
                 experiment=None) -> None:
        self.cancel = cancel
        self.experiment = experiment

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel():
            from .errors import Cancelled

            raise Cancelled()

    # closed forms ------------------------------------------------------------------
    def power(self, factor: float, steps: int) -> Computed:
        lg = cf.log10_power(factor, steps)
        return Computed(10.0 ** lg, lg)

    @cached_property
    def two_unit(self):
        from .spectrum import ARTICLE_TWO_UNIT, matrix_powers

        return matrix_powers(ARTICLE_TWO_UNIT.matrix, ARTICLE_TWO_UNIT.derivative,
                             TWO_UNIT_STEPS)

    @cached_property
    def toy(self):
        from .gated import ARTICLE_TOY, toy_carousel

        return toy_carousel(ARTICLE_TOY["factor"], ARTICLE_TOY["gate"], ARTICLE_TOY["steps"])

    @cached_property
    def capacity(self):
        from .capacity import CapacityConfig, compute_capacity

        return compute_capacity(CapacityConfig(hidden=64))

    # torch ---------------------------------------------------------------------------
    @cached_property
    def four_unit(self):
        """Article 003's 4-unit script at 0.5 (as printed) and 1.5 (its suggested change)."""
        self.check_cancel()
        return article_four_unit((0.5, 1.5))

    @cached_property
    def torch_rnn(self):
        self.check_cancel()
        return default_torch_rnn_gradients(TORCH_RNN_SEEDS)

    @cached_property
    def gaussian64(self):
        self.check_cancel()
        return random_radius_stats(64, 1.0, RANDOM_SEEDS, cancel=self.cancel)

    @cached_property
    def gaussian128(self):
        self.check_cancel()
        return effective_multiplier_stats(128, 0.1, RANDOM_SEEDS, 50, cancel=self.cancel)

    @cached_property
    def memory(self):
        self.check_cancel()
        return memory_dimensions(MEMORY_SEEDS, MEMORY_STEPS_BACK, cancel=self.cancel)


def _median(values) -> float:
    import numpy as np

    return float(np.median(np.asarray(list(values), dtype=np.float64)))


def article_four_unit(scales: Sequence[float] = (0.5, 1.5)):
    """Article 003's script, reproduced: torch.manual_seed(0), then nn.Linear(2, 4) for
    W_xh and nn.Linear(4, 4) for W_hh (both without bias, drawn by torch's own
    initialiser), W_hh overwritten with scale I + 0.05 randn(4, 4), inputs
    0.05 randn(20, 2), all in float32 exactly as the script draws them. The global
    random state is restored afterwards. The gradients then come from the flow
    engine (float64, L = sum(h_T)) as a batch, one row per scale."""
    import torch
    from torch import nn

    from .config import RNNConfig
    from .flow import run_flow_batch
    from .recurrence import RNNWeights

    rows = []
    with torch.random.fork_rng(devices=[]):
        for scale in scales:
            torch.manual_seed(0)
            w_xh = nn.Linear(2, 4, bias=False)
            w_hh = nn.Linear(4, 4, bias=False)
            with torch.no_grad():
                w_hh.weight.copy_(scale * torch.eye(4) + 0.05 * torch.randn(4, 4))
            x = 0.05 * torch.randn(20, 2)
            rows.append((w_hh.weight.detach().clone(), w_xh.weight.detach().clone(), x))
    weights = RNNWeights(torch.stack([r[0] for r in rows]).double(),
                         torch.stack([r[1] for r in rows]).double(),
                         torch.zeros(len(rows), 4, dtype=torch.float64),
                         torch.stack([r[2] for r in rows]).double())
    config = RNNConfig(activation="tanh", hidden=4, input_size=2, steps=20, device="cpu",
                       dtype="float64")
    return run_flow_batch([config] * len(rows), weights,
                          source="article 003's 4-unit script (torch.manual_seed(0))")


def default_torch_rnn_gradients(seeds: int = TORCH_RNN_SEEDS):
    """Article 000's monitoring example for seeds 0..seeds-1: torch.manual_seed(seed),
    nn.RNN(10, 64) with torch's default initialisation, inputs randn(1, 30, 10),
    loss = sum of the last output. ||dL/dx_t|| per step from the flow engine (one
    batch over the seeds). The global random state is restored afterwards."""
    import torch
    from torch import nn

    from .config import RNNConfig
    from .flow import run_flow_batch
    from .recurrence import RNNWeights

    w_hh, w_xh, bias, xs = [], [], [], []
    with torch.random.fork_rng(devices=[]):
        for seed in range(seeds):
            torch.manual_seed(seed)
            module = nn.RNN(input_size=10, hidden_size=64)  # batch_first changes no draw
            inputs = torch.randn(1, 30, 10)
            w_hh.append(module.weight_hh_l0.detach().clone())
            w_xh.append(module.weight_ih_l0.detach().clone())
            bias.append((module.bias_ih_l0 + module.bias_hh_l0).detach().clone())
            xs.append(inputs[0])
    weights = RNNWeights(*(torch.stack(t).double() for t in (w_hh, w_xh, bias, xs)))
    config = RNNConfig(activation="tanh", hidden=64, input_size=10, steps=30, device="cpu",
                       dtype="float64")
    return run_flow_batch([config] * seeds, weights, source="torch.nn.RNN(10, 64) defaults")


@dataclass(frozen=True)
class RadiusStats:
    hidden: int
    scale: float
    seeds: int
    radius_median: float
    radius_low: float
    radius_high: float
    norm_median: float
    orthogonal_worst: float  # the eigenvalue magnitude furthest from 1, over all seeds


def random_radius_stats(hidden: int, scale: float, seeds: int,
                        cancel: Callable[[], bool] | None = None) -> RadiusStats:
    """Spectral radius and norm of gaussian N(0, scale^2/n) matrices, and the eigenvalue
    magnitudes of Haar-orthogonal ones, over seeds 0..seeds-1 (the Spectrum screen's
    matrices for those seeds)."""
    from .spectrum import spectrum_report

    radii, norms, worst = [], [], 1.0
    for seed in range(seeds):
        r = spectrum_report(hidden, scale, seed=seed, power_steps=1,
                            inits=("gaussian", "orthogonal"), cancel=cancel)
        g = r.entry("gaussian")
        radii.append(g.spectral_radius)
        norms.append(g.spectral_norm)
        for m in r.entry("orthogonal").magnitudes:
            if abs(m - 1.0) > abs(worst - 1.0):
                worst = float(m)
    return RadiusStats(hidden, scale, seeds, _median(radii), min(radii), max(radii),
                       _median(norms), worst)


@dataclass(frozen=True)
class MultiplierStats:
    hidden: int
    entry_std: float
    seeds: int
    steps: int
    radius_median: float
    derivative_median: float
    log10_power_median: float  # median over seeds of log10 (radius x mean f')^steps


def effective_multiplier_stats(hidden: int, entry_std: float, seeds: int, steps: int,
                               cancel: Callable[[], bool] | None = None) -> MultiplierStats:
    """Article 000's recipe: W with N(0, entry_std^2) entries, h ~ N(0, 1), mean tanh'(W h)
    times the spectral radius of W, raised to ``steps``; median over seeds. W is the
    Spectrum screen's gaussian matrix for each seed at scale entry_std sqrt(n)."""
    import numpy as np

    from .errors import Cancelled
    from .recurrence import random_stream
    from .spectrum import init_matrix

    import torch

    radii, derivs, logs = [], [], []
    for seed in range(seeds):
        if cancel is not None and cancel():
            raise Cancelled()
        w = init_matrix("gaussian", hidden, entry_std * math.sqrt(hidden), seed)
        h = torch.randn(hidden, generator=random_stream(seed, 5), dtype=torch.float64)
        rho = float(torch.linalg.eigvals(w).abs().max())
        mean_d = float(np.mean(cf.derivative("tanh", (w @ h).numpy())))
        radii.append(rho)
        derivs.append(mean_d)
        logs.append(steps * math.log10(rho * mean_d))
    return MultiplierStats(hidden, entry_std, seeds, steps, _median(radii), _median(derivs),
                           _median(logs))


@dataclass(frozen=True)
class MemoryStats:
    seeds: int
    steps_back: int
    dims_median: float
    dims_low: int
    dims_high: int
    near_median: float  # effective dimensions 5 steps back
    hidden: int


def memory_dimensions(seeds: int, steps_back: int,
                      cancel: Callable[[], bool] | None = None) -> MemoryStats:
    """Effective memory dimensions of dh_T/dh_t, ``steps_back`` steps back, for the
    Jacobian screen's tanh-64 network over seeds 0..seeds-1 (one batch)."""
    from .config import RNNConfig
    from .spectrum import jacobian_products

    configs = [RNNConfig(**MEMORY_CONFIG, seed=s, device="cpu", dtype="float64")
               for s in range(seeds)]
    batch = jacobian_products(configs, cancel=cancel)
    far = [int(r.effective_dims[r.steps - 1 - steps_back]) for r in batch.runs]
    near = [int(r.effective_dims[r.steps - 1 - 5]) for r in batch.runs]
    return MemoryStats(seeds, steps_back, _median(far), min(far), max(far), _median(near),
                       MEMORY_CONFIG["hidden"])


# -- article 000's training test --------------------------------------------------------
TRAINING_PRESET = "article-first"


def measure_training(progress=None, cancel=None):
    """Run the Experiments preset that follows article 000's test (about half a minute on
    a small CPU); pass the result to ``build_claims(experiment=...)``."""
    from .experiments import EXPERIMENT_PRESETS, run_experiment

    config = EXPERIMENT_PRESETS[TRAINING_PRESET].config()
    return run_experiment(config, progress=progress, cancel=cancel)


def _training_loss(engine: _Engine, length: int) -> Computed:
    result = engine.experiment
    if result is None:
        return Computed(None)
    losses = [r.final_loss for r in result.runs if r.arch == "rnn" and r.length == length]
    if not losses:
        return Computed(None)
    baselines = [r.baseline for r in result.runs if r.arch == "rnn" and r.length == length]
    return Computed(_median(losses), note=(
        f"median over {len(losses)} seeds of the held-out loss (each seed: "
        + ", ".join(f"{x:.3g}" for x in losses) + "); the loss of always predicting the mean "
        f"is {_median(baselines):.3g} here"))


# -- the claims, article by article, in reading order ------------------------------------
def _fig(article: str, expression: str, context: str | None = None):
    """The article_figures entry for this article and expression (it must exist)."""
    from . import article_figures as af

    found = [f for f in af.DECAY_FIGURES + af.DERIVATIVE_FIGURES + af.TRACE_FIGURES
             if f.article == article and f.expression == expression
             and (context is None or f.context == context)]
    if len(found) != 1:
        raise KeyError((article, expression, context))
    return found[0]


def _figure_slug(figure) -> str:
    kind, args = figure.kind, figure.args
    if kind == "power":
        return f"{args[0]:g}^{args[1]}"
    if kind == "derivative":
        return f"d{args[0]}-{args[1]:g}"
    if kind == "max_derivative":
        return f"max-d{args[0]}"
    return f"trace-{args[3]}-t{args[4]}"


def _figure_value(figure) -> Callable[[_Engine], Computed]:
    def compute(_engine: _Engine) -> Computed:
        from . import article_figures as af

        m = af.compute(figure)
        return Computed(float(m), m.log10 if m.sign else None)

    return compute


_FIGURE_SCREENS = {"power": ("decay", "the 'what the articles say' table"),
                   "derivative": ("activations", "the article figures table"),
                   "max_derivative": ("activations", "the article figures table"),
                   "trace": ("chain", "the article's trace (w = 0.5, h0 = 0.1)")}
_FIGURE_ENGINE = {"power": "closed_form.log10_power",
                  "derivative": "closed_form.log10_abs_derivative",
                  "max_derivative": "closed_form.max_derivative",
                  "trace": "closed_form.scalar_trace"}


def _figure_words(figure) -> tuple[str, str]:
    """(claim, how) for an article_figures entry."""
    from .lists import short_number

    kind, args = figure.kind, figure.args
    if kind == "power":
        f, t = args
        if f < 1:
            what = f"the share of the gradient left after {t} steps at {short_number(f)} per step"
        elif f > 1:
            what = f"the growth after {t} steps at {short_number(f)} per step"
        else:
            what = f"{t} steps at exactly 1 per step"
        return (f"{figure.expression}: {what}",
                f"{short_number(f)}^{t} in closed form (log10 kept exactly)")
    if kind == "derivative":
        name, z = args
        return (f"{figure.expression}: the slope of {name} at z = {short_number(z)}",
                f"{name}'({short_number(z)}) in closed form")
    if kind == "max_derivative":
        return (f"{figure.expression}: the largest slope {args[0]} has anywhere",
                "a dense grid over [-20, 20], refined by golden-section search")
    w, steps, h0, column, t = args
    words = {"h": f"h_{t}", "local": f"the local slope w(1 - h_{t}^2)",
             "cum": f"dh_{t}/dh_0 (the product of the local slopes)"}[column]
    return (f"{words} in the chain h_t = tanh({short_number(w)} h_(t-1)), h_0 = "
            f"{short_number(h0)}", "the chain run step by step in log space")


def figure_spec(article: str, expression: str, *, where: str | None = None,
                screen: str | None = None, hint: str | None = None, claim: str | None = None,
                stated: Stated | None = None, key: str | None = None, note: str = "",
                context: str | None = None) -> Spec:
    figure = _fig(article, expression, context)
    words, how = _figure_words(figure)
    default_screen, default_hint = _FIGURE_SCREENS[figure.kind]
    if stated is None:
        stated = (about(figure.stated, f"≈ {figure.stated}") if figure.order_only
                  else said(figure.stated))
    slug = key or _figure_slug(figure)
    return Spec(f"{article}-{slug}", article, where or f"§{figure.context}", claim or words,
                stated, _figure_value(figure), how, "vgtui.engine." + _FIGURE_ENGINE[figure.kind],
                screen or default_screen, hint or default_hint, "", "closed", note,
                (figure.article, figure.expression, figure.context))


def _percent_lost(factor: float, steps: int) -> Callable[[_Engine], Computed]:
    def compute(engine: _Engine) -> Computed:
        left = engine.power(factor, steps).value
        return Computed(100.0 * (1.0 - left), note=f"{factor:g}^{steps} = {left:.6g} is left")

    return compute


def _steps_to_vanish(gamma: float) -> Callable[[_Engine], Computed]:
    def compute(_engine: _Engine) -> Computed:
        return Computed(cf.steps_to_reach(gamma, 6))

    return compute


def _power_ratio(num: tuple[float, int], den: tuple[float, int]) -> Callable[[_Engine], Computed]:
    def compute(_engine: _Engine) -> Computed:
        lg = cf.log10_power(*num) - cf.log10_power(*den)
        return Computed(10.0 ** lg, lg)

    return compute


def _two_unit_radius(engine: _Engine) -> Computed:
    m = engine.two_unit
    magnitudes = sorted((abs(v) for v in m.eigenvalues_w), reverse=True)
    return Computed(m.spectral_radius, note=(
        f"eigenvalues of W are {', '.join(f'{v:.4g}' for v in magnitudes)}; "
        f"those of J = {m.derivative:g} W are {m.derivative:g} times them, so ρ(J) = "
        f"{m.spectral_radius:.4f} (ρ(W) = {m.spectral_radius_w:.4f})"))


def _two_unit_norm(n: int) -> Callable[[_Engine], Computed]:
    def compute(engine: _Engine) -> Computed:
        m = engine.two_unit
        lg = float(m.log10_frobenius[n - 1])
        spec = float(m.log10_spectral[n - 1])
        rad = float(m.log10_radius_power[n - 1])
        return Computed(10.0 ** lg, lg, note=(
            f"Frobenius norm (np.linalg.norm's default, the article's own code); the spectral "
            f"norm is {format_log10(spec, 3)} and ρ(J)^{n} = {format_log10(rad, 3)}"))

    return compute


def _sigmoid_needed_norm(_engine: _Engine) -> Computed:
    peak = cf.max_derivative("sigmoid").value
    return Computed(1.0 / peak, note=f"max sigmoid' = {peak:g}, so max|f'| ||W|| >= 1 needs "
                    f"||W|| >= {1.0 / peak:g}")


def _sigmoid_loss_share(_engine: _Engine) -> Computed:
    peak = cf.max_derivative("sigmoid").value
    return Computed(100.0 * (1.0 - peak), note=f"max sigmoid' = {peak:g}")


def _relu_at_zero(_engine: _Engine) -> Computed:
    return Computed(float(cf.derivative("relu", 0.0)), note=(
        "relu has no derivative at exactly 0 (the slopes on either side are 0 and 1); torch "
        "autograd and vgtui use 0 there, which is what a network trained with torch sees"))


def _typical_tanh(_engine: _Engine) -> Computed:
    return Computed(cf.typical_derivative("tanh", 1.0), note=(
        "E|tanh'(z)| for pre-activations z ~ N(0, 1), the unit spread that Xavier "
        "initialisation aims for"))


def _capacity_states(engine: _Engine) -> Computed:
    lg = engine.capacity.log10_states
    return Computed(10.0 ** lg, lg)


def _toy_advantage(engine: _Engine) -> Computed:
    toy = engine.toy
    return Computed(10.0 ** toy.log10_advantage, toy.log10_advantage, note=(
        f"0.98^100 / 0.7^100 = {format_log10(toy.log10_final_gate, 3)} / "
        f"{format_log10(toy.log10_final_rnn, 3)}"))


def _compound_pair(_engine: _Engine) -> Computed:
    return Computed(0.95 * 1.05)


def _gauss_radius(engine: _Engine) -> Computed:
    s = engine.gaussian64
    return Computed(s.radius_median, note=(
        f"median spectral radius of {s.seeds} gaussian N(0, 1/n) matrices, n = {s.hidden} "
        f"(range {s.radius_low:.3f}-{s.radius_high:.3f}); the median spectral norm is "
        f"{s.norm_median:.3f}"))


def _gauss_norm_note(engine: _Engine) -> Computed:
    s = engine.gaussian64
    return Computed(s.radius_median, note=(
        f"the spectral norm (largest singular value) is what comes out near 2: median "
        f"{s.norm_median:.3f} over {s.seeds} seeds; the eigenvalues fill a disc of radius about "
        f"1 (the circular law)"))


def _orthogonal(engine: _Engine) -> Computed:
    s = engine.gaussian64
    return Computed(s.orthogonal_worst, note=(
        f"the eigenvalue magnitude furthest from 1 over {s.seeds} Haar-orthogonal matrices, "
        f"n = {s.hidden}: off by {abs(s.orthogonal_worst - 1):.1e}"))


def _xavier_table(steps: int) -> Callable[[_Engine], Computed]:
    def compute(engine: _Engine) -> Computed:
        s = engine.gaussian64
        lg = steps * math.log10(s.radius_median * 0.65)
        plain = steps * math.log10(0.65)
        return Computed(10.0 ** lg, lg, note=(
            f"(ρ x 0.65)^{steps} with ρ = {s.radius_median:.4f}, the median radius of "
            f"{s.seeds} gaussian 64x64 matrices; the printed figure is 0.65^{steps} = "
            f"{format_log10(plain, 3)}, i.e. ρ taken as exactly 1"))

    return compute


def _multiplier128(engine: _Engine) -> Computed:
    s = engine.gaussian128
    return Computed(10.0 ** s.log10_power_median, s.log10_power_median, note=(
        f"median over {s.seeds} seeds; median radius {s.radius_median:.3f}, median mean "
        f"tanh' {s.derivative_median:.3f}, so a typical multiplier of about "
        f"{s.radius_median * s.derivative_median:.3f} per step"))


def _memory(engine: _Engine) -> Computed:
    s = engine.memory
    return Computed(s.dims_median, note=(
        f"median over {s.seeds} seeds of the directions whose singular value is at least "
        f"1e-3 of the largest, {s.steps_back} steps back (range {s.dims_low}-{s.dims_high}); "
        f"5 steps back the median is {s.near_median:g} of {s.hidden}"))


def _torch_rnn_step(t0: int) -> Callable[[_Engine], Computed]:
    """||dL/dx_t|| at the article's 0-based step t0, median over seeds."""
    def compute(engine: _Engine) -> Computed:
        runs = engine.torch_rnn.runs
        logs = [float(r.log10_grad_x[t0]) for r in runs]
        lg = _median(logs)
        return Computed(10.0 ** lg, lg, note=(
            f"median over {len(runs)} seeds (range {format_log10(min(logs), 2)} to "
            f"{format_log10(max(logs), 2)}); step {t0} counted from 0 as in the article's code"))

    return compute


def _four_unit_step(t: int) -> Callable[[_Engine], Computed]:
    def compute(engine: _Engine) -> Computed:
        lg = float(engine.four_unit.runs[0].log10_grad_h[t - 1])
        return Computed(10.0 ** lg, lg)

    return compute


def _four_unit_ratio(engine: _Engine) -> Computed:
    g = engine.four_unit.runs[0].log10_grad_h
    lg = float(g[-1] - g[0])
    return Computed(10.0 ** lg, lg)


def _four_unit_decades(engine: _Engine) -> Computed:
    g = engine.four_unit.runs[0].log10_grad_h
    gap = float(g[-1] - g[0])
    return Computed(gap, note=f"the ratio ||dL/dh_20|| / ||dL/dh_1|| is {10 ** gap:,.0f}: "
                    "'thousands of times' would fit, 'thousands of orders of magnitude' does not")


def _four_unit_factor(engine: _Engine) -> Computed:
    g = engine.four_unit.runs[0].log10_grad_h
    per = 10.0 ** ((g[0] - g[-1]) / (len(g) - 1))
    return Computed(float(per), note="the geometric mean of ||dL/dh_t|| / ||dL/dh_(t+1)|| over "
                    f"the {len(g) - 1} steps")


def _four_unit_radius(engine: _Engine) -> Computed:
    r = engine.four_unit.runs[0]
    return Computed(r.spectral_radius, note=f"spectral norm {r.spectral_norm:.4f}; 0.5 I plus "
                    "the 0.05 noise of this seed moves the eigenvalues well away from 0.5")


def _four_unit_growth(engine: _Engine) -> Computed:
    g = engine.four_unit.runs[1].log10_grad_h
    k = int(max(range(len(g)), key=lambda i: g[i]))
    return Computed(10.0 ** float(g[0]), float(g[0]), note=(
        f"||dL/dh_1|| with W_hh = 1.5 I + 0.05 noise; the largest ||dL/dh_t|| over all steps "
        f"is {format_log10(float(g[k]), 3)} (t = {k + 1}): tanh saturates within a few steps "
        "and the gradient shrinks instead of growing"))


def _specs() -> list[Spec]:
    """Every claim, in article order and, within an article, in reading order."""
    S = Spec
    cfp = "vgtui.engine.closed_form"
    out: list[Spec] = []
    a = "000"
    out += [
        figure_spec(a, "0.7^10", where="§Opening"),
        S("000-lost-0.7x10", a, "§Opening", "at 0.7 per step, ten steps lose about 97% of the "
          "gradient", said("97", "97% lost"), _percent_lost(0.7, 10), "100 (1 - 0.7^10)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        figure_spec(a, "0.7^20", where="§Opening"),
        S("000-lost-0.7x20", a, "§Opening", "at 0.7 per step, twenty steps lose 99.9%",
          said("99.9", "99.9% lost"), _percent_lost(0.7, 20), "100 (1 - 0.7^20)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        figure_spec(a, "0.7^50", where="§Opening", stated=said("1.8e-8", "≈ 1.8e-8")),
        S("000-capacity-2^64", a, "§Capacity vs learnability", "a 64-unit hidden state has "
          "2^64 sign patterns, about 1.8e19", said("1.8e19", "≈ 1.8 × 10^19"),
          _capacity_states, "64 log10 2, kept as log10", "vgtui.engine.capacity.compute_capacity",
          "history", "sharing & capacity tab"),
        S("000-compound-two", a, "§BPTT, compound interest", "two factors of 0.95 lose 9.75%",
          said("9.75", "9.75%"), _percent_lost(0.95, 2), "100 (1 - 0.95^2)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        figure_spec(a, "0.95^100", where="§BPTT, compound interest"),
        S("000-compound-lost", a, "§BPTT, compound interest", "a hundred factors of 0.95 lose "
          "99.4%", said("99.4", "99.4% lost"), _percent_lost(0.95, 100), "100 (1 - 0.95^100)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        S("000-compound-pair", a, "§BPTT, compound interest", "alternating 0.95 and 1.05 "
          "gives 0.9975 per pair", said("0.9975"), _compound_pair, "0.95 × 1.05",
          "float arithmetic", "decay", "factors accept products such as 0.95*1.05"),
        figure_spec(a, "0.9^50", where="§BPTT"),
        S("000-vanish-0.3", a, "§BPTT", "at a per-step factor of 0.3 the gradient is "
          "effectively gone (below 1e-6 of its start) within 10 to 20 steps",
          between("10", "20", "10–20 steps"), _steps_to_vanish(0.3),
          "fewest steps k with 0.3^k ≤ 1e-6 (vgtui's vanishing horizon)",
          f"{cfp}.steps_to_reach", "chain", "steps to lose 99.9999%", "steps"),
        S("000-vanish-0.5", a, "§BPTT", "at 0.5 per step the same happens within 10 to 20 "
          "steps", between("10", "20", "10–20 steps"), _steps_to_vanish(0.5),
          "fewest steps k with 0.5^k ≤ 1e-6", f"{cfp}.steps_to_reach", "chain",
          "steps to lose 99.9999%", "steps"),
        S("000-two-unit-rho", a, "§Worked 2-unit example", "the Jacobian 0.8 W of the 2-unit "
          "example (W = [[0.5, 0.1], [0.2, 0.4]]) has spectral radius 0.46",
          said("0.46", "ρ ≈ 0.46"), _two_unit_radius, "eigenvalues of 0.8 W with numpy",
          "vgtui.engine.spectrum.matrix_powers", "jacobian",
          "matrix W = 0.5,0.1;0.2,0.4, f' = 0.8"),
        figure_spec(a, "0.46^5", where="§Worked 2-unit example", screen="jacobian",
                    hint="the article figures below the matrix panel",
                    note="the article's own 0.46 raised to the power; right as arithmetic, but "
                         "0.46 is not this matrix's radius (see the radius claim)"),
        figure_spec(a, "0.46^10", where="§Worked 2-unit example", screen="jacobian",
                    hint="the article figures below the matrix panel"),
        figure_spec(a, "0.46^20", where="§Worked 2-unit example", screen="jacobian",
                    hint="the article figures below the matrix panel"),
    ]
    for n, fig in ((1, "0.464"), (5, "0.021"), (10, "0.00043"), (20, "1.8e-7")):
        out.append(S(f"000-two-unit-norm-{n}", a, "§Worked 2-unit example, numpy code",
                     f"||J^{n}|| for J = 0.8 W, as the 2-unit code prints it", said(fig),
                     _two_unit_norm(n), f"J^{n} in numpy float64, its Frobenius norm",
                     "vgtui.engine.spectrum.matrix_powers", "jacobian",
                     "matrix W = 0.5,0.1;0.2,0.4, f' = 0.8, steps 20"))
    out += [
        figure_spec(a, "max tanh'", where="§Activation table"),
        figure_spec(a, "max sigmoid'", where="§Activation table"),
        S("000-relu-at-0", a, "§Activation table", "relu's derivative at z = 0 is 1.0",
          said("1.0"), _relu_at_zero, "relu'(0) by the autograd convention",
          f"{cfp}.derivative", "activations", "relu row, z = 0"),
        figure_spec(a, "max relu'", where="§Activation table"),
        S("000-sigmoid-75", a, "§Activation table", "each pass through a sigmoid removes at "
          "least 75% of the gradient", at_least("75", "at least 75%"), _sigmoid_loss_share,
          "100 (1 - max sigmoid')", f"{cfp}.max_derivative", "activations", "sigmoid: max f'",
          "%"),
        figure_spec(a, "sigmoid'(5)", where="§Activation shape"),
    ]
    for expr in ("tanh'(0)", "tanh'(1)", "tanh'(2)", "sigmoid'(0)", "sigmoid'(1)", "sigmoid'(2)"):
        out.append(figure_spec(a, expr, where="§Derivative code"))
    out += [
        figure_spec(a, "0.42^20", where="§Derivative code"),
        figure_spec(a, "0.2^20", where="§Derivative code"),
        S("000-sigmoid-needs-4", a, "§Theorem", "a sigmoid RNN's gradient can only survive if "
          "||W_hh|| exceeds 4", said("4", "||W_hh|| > 4"), _sigmoid_needed_norm,
          "1 / max sigmoid'", f"{cfp}.max_derivative", "bound",
          "sigmoid: survival needs ||W|| ≥ 4"),
        S("000-xavier-tanh-0.65", a, "§Eigenvalues, Xavier code", "0.65 is a typical tanh "
          "derivative", said("0.65"), _typical_tanh, "Gauss-Legendre quadrature of "
          "E|tanh'(z)|, z ~ N(0, 1)", f"{cfp}.typical_derivative", "activations",
          "typical f' at spread 1"),
        S("000-gauss-radius-sigma", a, "§Eigenvalues", "a random n×n matrix with N(0, σ²/n) "
          "entries has spectral radius about σ (here σ = 1, n = 64)",
          said("1", "≈ σ = 1"), _gauss_radius, "median over seeds of the largest eigenvalue "
          "magnitude (numpy eigvals)", "vgtui.engine.spectrum.spectrum_report", "spectrum",
          "gaussian init, n = 64, scale 1; change the seed", needs="torch"),
        S("000-gauss-radius-mp", a, "§Eigenvalues", "the Marchenko-Pastur law puts that "
          "spectral radius near 2", said("2", "≈ 2"), _gauss_norm_note, "as above",
          "vgtui.engine.spectrum.spectrum_report", "spectrum", "gaussian: radius vs norm",
          needs="torch"),
        S("000-gauss-radius-1.0", a, "§Eigenvalues", "in practice it is close to 1.0",
          said("1.0"), _gauss_radius, "as above", "vgtui.engine.spectrum.spectrum_report",
          "spectrum", "gaussian init, n = 64, scale 1", needs="torch"),
        S("000-orthogonal-1", a, "§Orthogonal init code", "every eigenvalue of an orthogonal "
          "matrix has magnitude 1.000", said("1.000"), _orthogonal, "numpy eigvals of "
          "Haar-orthogonal matrices", "vgtui.engine.spectrum.spectrum_report", "spectrum",
          "orthogonal init", needs="torch"),
        S("000-multiplier-128", a, "§Dynamical systems code", "for a 128-unit W with entries "
          "0.1 N(0, 1) and h ~ N(0, 1), (ρ × mean tanh')^50 is typically 1e-10 or smaller",
          at_most("1e-10", "~1e-10 or smaller"), _multiplier128,
          "ρ of W and mean tanh'(W h), raised to 50; median over seeds",
          "vgtui.engine.spectrum.init_matrix", "spectrum", "gaussian init, n = 128, "
          "scale 1.13", needs="torch"),
    ]
    for t, fig in ((5, "0.116"), (10, "0.013"), (20, "1.8e-4"), (50, "4.4e-10"), (100, "1.9e-19")):
        out.append(S(f"000-xavier-T{t}", a, "§Eigenvalues, Xavier code",
                     f"after {t} steps: the gradient with a Xavier-scaled 64×64 W and "
                     "f' = 0.65",
                     said(fig, f"~{fig}"), _xavier_table(t),
                     f"(ρ × 0.65)^{t}, ρ the median radius of 64×64 gaussian N(0, 1/n) "
                     "matrices",
                     "vgtui.engine.spectrum.spectrum_report", "spectrum",
                     "gaussian init, n = 64: the radius moves from seed to seed",
                     needs="torch"))
    for t, fig in ((5, "0.02"), (10, "0.15"), (20, "0.85"), (50, "1.00"), (100, "1.00")):
        out.append(S(f"000-train-T{t}", a, "§Experiments code",
                     f"T = {t}: final loss of a 32-unit tanh RNN trained (Adam, 500 "
                     "updates) to output its first input at the last step", said(fig),
                     (lambda e, t=t: _training_loss(e, t)),
                     "the Experiments preset article-first (2 seeds, held-out loss)",
                     "vgtui.engine.experiments.run_experiment", "experiments",
                     "preset 'remember the first input' (article-first), r runs it",
                     needs="training",
                     note="the article prints the final training loss on one fixed set of "
                          "100 examples; vgtui measures on held-out examples"))
    out += [
        S("000-memory-dims", a, "§Effective memory", "50 steps back only 2 or 3 of 64 "
          "directions still carry gradient", between("2", "3", "2–3 of 64"), _memory,
          "effective dimensions of dh_T/dh_t (singular values ≥ 1e-3 of the largest)",
          "vgtui.engine.spectrum.jacobian_products", "jacobian", "preset tanh-64",
          "dims", needs="torch"),
        figure_spec(a, "0.8^17", where="§Practical consequences"),
        S("000-43-times", a, "§Practical consequences", "after 17 Jacobians of norm 0.8 the "
          "gradient is 43 times smaller than one step before the loss (step 19)",
          said("43", "43× smaller"), _power_ratio((0.8, 1), (0.8, 17)),
          "0.8^1 / 0.8^17 = 0.8^-16", f"{cfp}.log10_power", "chain", "w = 0.8", "×",
          note="43 is close to 1 / 0.8^17 = 44.4, the ratio to the loss step itself (step 20)"),
    ]
    for t0, fig in ((29, "0.5"), (20, "0.01"), (10, "1e-4"), (0, "1e-7")):
        out.append(S(f"000-torch-rnn-t{t0}", a, "§Measuring gradient norms code",
                     f"||dL/dx_t|| at t = {t0} for a default nn.RNN(10, 64) over 30 steps "
                     "(typical)", about(fig), _torch_rnn_step(t0),
                     "torch's nn.RNN initialisation per seed; gradients by the flow engine",
                     "vgtui.engine.flow.run_flow_batch", "flow",
                     "init torch-default is on the Spectrum screen; Gradient Flow measures any "
                     "RNN", needs="torch"))
    out += [
        figure_spec(a, "0.7^100", where="§LSTM carousel code", screen="forget",
                    hint="the toy: 0.7 per step vs forget gate 0.98"),
        figure_spec(a, "0.98^100", where="§LSTM carousel code", screen="forget",
                    hint="the toy: 0.7 per step vs forget gate 0.98"),
        S("000-lstm-advantage", a, "§LSTM carousel code", "over 100 steps a 0.98 forget gate "
          "keeps the gradient about 10^15 times better than 0.7 per step",
          about("1e15", "10^15 times"), _toy_advantage, "0.98^100 / 0.7^100 in log space",
          "vgtui.engine.gated.toy_carousel", "forget", "the toy: 0.7 vs 0.98 over 100 steps",
          "×"),
    ]
    a = "001"
    out += [figure_spec(a, f"0.9^{t}", where="§Scalar example table") for t in (10, 50, 100)]
    out.append(figure_spec(a, "max tanh'", where="§Saturating activations"))
    a = "003"
    out += [figure_spec(a, f"{f}^20", where="§w^20 table", context="w^20 table")
            for f in ("0.5", "0.7", "0.9", "1", "1.1", "1.5", "2")]
    out += [
        S("003-lost-0.9x20", a, "§w^20 table", "at w = 0.9, twenty steps already lose 90% of "
          "the signal", said("90", "90% lost"), _percent_lost(0.9, 20), "100 (1 - 0.9^20)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        S("003-0.9-vs-0.5", a, "§w^20 table", "0.9^20 and 0.5^20 differ by a factor of "
          "100,000", about("100000", "100,000×"), _power_ratio((0.9, 20), (0.5, 20)),
          "0.9^20 / 0.5^20 in log space", f"{cfp}.log10_power", "decay",
          "factors 0.5,0.9 over 20 steps", "×"),
        figure_spec(a, "max sigmoid'", where="§Activation table"),
        figure_spec(a, "sigmoid'(1)", where="§Activation table"),
        figure_spec(a, "max tanh'", where="§Activation table"),
        figure_spec(a, "tanh'(1)", where="§Activation table"),
        figure_spec(a, "max relu'", where="§Activation table"),
        figure_spec(a, "max identity'", where="§Activation table"),
        figure_spec(a, "0.25^20", where="§Activation table"),
    ]
    for col, t in (("h", 1), ("local", 1), ("cum", 1), ("h", 5), ("local", 5), ("cum", 5),
                   ("h", 10), ("cum", 10)):
        words = {"h": "h_t", "local": "local w(1-h_t^2)", "cum": "dh_t/dh_0"}[col]
        out.append(figure_spec(a, f"{words} at t={t}", where="§Scalar trace code"))
    out += [
        figure_spec(a, "0.5^10", where="§Scalar trace code"),
        figure_spec(a, "0.5^20", where="§Scalar trace code", context="twenty steps at 0.5",
                    key="0.5^20-order"),
        S("003-four-unit-rho", a, "§PyTorch 4-unit code", "W_hh = 0.5 I + 0.05 noise "
          "(torch.manual_seed(0)) has spectral radius about 0.5", said("0.5", "≈ 0.5"),
          _four_unit_radius, "eigenvalues of the script's own W_hh",
          "vgtui.engine.flow.run_flow_batch", "flow", "preset '4 units, radius ~0.5' "
          "(vgtui's own draw of the same recipe)", needs="torch"),
    ]
    for t, fig in ((1, "2.354e-04"), (2, "3.731e-04"), (5, "1.486e-03"), (10, "1.484e-02"),
                   (15, "1.514e-01"), (19, "1.118"), (20, "2.000")):
        out.append(S(f"003-four-unit-t{t}", a, "§PyTorch 4-unit code",
                     f"||dL/dh_{t}|| as printed by the 4-unit script", said(fig),
                     _four_unit_step(t), "the script's weights and inputs (torch.manual_seed(0), "
                     "float32 draws), gradients by the flow engine in float64",
                     "vgtui.engine.flow.run_flow_batch", "flow",
                     "preset '4 units, radius ~0.5'", needs="torch"))
    out += [
        S("003-four-unit-10000", a, "§PyTorch 4-unit code", "the gradient at t = 1 is roughly "
          "10,000 times smaller than at t = 20", about("10000", "~10,000×"), _four_unit_ratio,
          "||dL/dh_20|| / ||dL/dh_1||", "vgtui.engine.flow.run_flow_batch", "flow",
          "preset '4 units, radius ~0.5'", "×", needs="torch"),
        S("003-four-unit-0.6", a, "§PyTorch 4-unit code", "each step back shrinks the gradient "
          "by a factor of about 0.6", said("0.6", "≈ 0.6"), _four_unit_factor,
          "(||dL/dh_1|| / ||dL/dh_20||)^(1/19)", "vgtui.engine.flow.run_flow_batch", "flow",
          "preset '4 units, radius ~0.5': fitted factor", needs="torch"),
        S("003-four-unit-orders", a, "§PyTorch 4-unit code", "over these 20 steps the first and "
          "last gradients differ by thousands of orders of magnitude",
          at_least("1000", "thousands of decades"), _four_unit_decades,
          "log10 (||dL/dh_20|| / ||dL/dh_1||), in decades", "vgtui.engine.flow.run_flow_batch",
          "flow", "preset '4 units, radius ~0.5'", "decades", needs="torch"),
        S("003-four-unit-1.5", a, "§PyTorch 4-unit code", "changing 0.5 to 1.5 makes the early "
          "gradients explode to about 1e8", about("1e8", "~1e8"), _four_unit_growth,
          "the same script with 1.5 I + 0.05 noise; ||dL/dh_1||",
          "vgtui.engine.flow.run_flow_batch", "exploding", "preset '4 units at 1.5'",
          needs="torch"),
        figure_spec(a, "0.7^13", where="§Long-term dependencies", screen="longrange",
                    hint="factor model at 0.7: a sentence with the key word 13 tokens back "
                         "(s edits the sentence)"),
    ]
    a = "004"
    out += [figure_spec(a, f"(0.9*0.5)^{t}", where="§Eigenvalue code") for t in (10, 20, 50, 100)]
    out += [figure_spec(a, f"1.1^{t}", where="§Exploding code") for t in (10, 20, 50)]
    out += [figure_spec(a, e, where="§Activation functions")
            for e in ("tanh'(0)", "tanh'(2)", "tanh'(5)")]
    out.append(figure_spec(a, "max tanh'", where="§Key takeaways"))
    return out


SPECS: tuple[Spec, ...] = tuple(_specs())
LEVELS = ("closed", "torch", "training")


def build_claims(levels: Sequence[str] = LEVELS, experiment=None,
                 cancel: Callable[[], bool] | None = None) -> ClaimsList:
    """Compute every claim whose needs are in ``levels`` (training claims are always
    listed: measured from ``experiment`` when given, else not measured yet)."""
    levels = tuple(levels)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ConfigError(f"unknown claim level {bad[0]!r}; choose from {', '.join(LEVELS)}",
                          "levels")
    started = time.perf_counter()
    engine = _Engine(cancel, experiment)
    claims = []
    version = None
    with ExitStack() as stack:
        if "torch" in levels:
            import torch

            from .experiments import one_thread

            version = torch.__version__
            # Small matrices: one thread is faster, and repeats bit for bit.
            stack.enter_context(one_thread())
        for spec in SPECS:
            if spec.needs == "torch" and "torch" not in levels:
                continue
            engine.check_cancel()
            got = spec.compute(engine)
            j = judge(spec.stated, got.value, got.log10)
            note = "; ".join(x for x in (got.note, spec.note) if x)
            claims.append(Claim(spec.id, spec.article, spec.where, spec.claim, spec.stated,
                                got.value, got.log10, j.verdict, j.difference, j.ratio,
                                spec.how, spec.engine, spec.screen, spec.hint, spec.unit,
                                spec.needs, note))
    return ClaimsList(claims, UNCHECKED, levels, experiment is not None,
                      time.perf_counter() - started, version)


__all__ = ["Claim", "ClaimsList", "Stated", "Judgement", "judge", "build_claims",
           "filter_claims", "measure_training", "VERDICTS", "VERDICT_MARKS", "VERDICT_WORDS",
           "ARTICLES", "UNCHECKED", "SPECS", "verdict_text", "precision_of"]
