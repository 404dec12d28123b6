"""Every numeric claim the source articles make, recomputed, with a verdict.

A claim is what an article states (its figure, kept as data exactly as printed, in
``claim_specs``) beside what the engine computes now (``claim_values``), judged by
the rules in ``claim_rules``. The list is built by ``build_claims``: the closed-form
claims need no torch and take a fraction of a second; the claims about random or
torch-initialised networks need torch (a second or two); the final losses of article
000's training test need a training run (about half a minute), so they stay "not
measured" until ``measure_training`` is run and its result passed in.
"""
from __future__ import annotations

import math
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Callable, Sequence

from .articles import ARTICLE_TITLES
from .claim_rules import (RULES, Stated, VERDICT_MARKS, VERDICT_ORDER, VERDICT_WORDS, VERDICTS,
                          judge, log10_abs)
from .claim_specs import LEVELS, SPECS, UNCHECKED, Unchecked, screen_setup
from .claim_values import ClaimInputs
from .device import engine_threads
from .errors import ConfigError
from .magnitude import SignedLogMagnitude, format_log10


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
    samples: int | None = None  # seeds behind a statistical claim
    interval: tuple | None = None  # its 95% interval of the median (values)
    interval_log10: tuple | None = None
    preset: str = ""  # the preset of ``screen`` that shows it ("" for none)
    setup: tuple[tuple[str, str], ...] = ()  # field values (as typed) beside the preset

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
            "judged_as": self.stated.mode, "precision_assumed": self.stated.precision,
            "computed": computed,
        }
        if self.samples is not None:
            out["samples"] = self.samples
            out["interval_95"] = list(self.interval) if self.interval else None
            if self.interval_log10 is not None:
                out["log10_interval_95"] = list(self.interval_log10)
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
    lv = log10_abs(value, log10)
    suffix = f" {unit}" if unit and unit not in ("×",) else unit
    if value != 0 and math.isfinite(lv) and -4 <= lv < 6:
        text = f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}g}"
        return text + suffix
    if value == 0 and log10 is None:
        return "0" + suffix
    text = format_log10(lv, digits - 1)
    return ("-" if value < 0 else "") + text + suffix


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
            "articles": dict(ARTICLE_TITLES),
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
               "hold": "holds", "unmeasured": "pending", "not-measured": "pending",
               "conventional": "convention"}
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


def _verdict(spec, got) -> tuple[str, str, float | None]:
    """The verdict, the difference in words and the ratio for one computed claim."""
    j = judge(spec.stated, got.value, got.log10)
    if spec.conventions and got.value is not None:
        matches = [name for name, v in spec.conventions
                   if judge(spec.stated, v).verdict == "holds"]
        ours = [name for name, v in spec.conventions if v == got.value]
        if matches and j.verdict != "holds":
            return ("convention", f"no single right value: the article's {spec.stated.figure} is "
                    f"{' / '.join(matches)}, vgtui's {got.value:g} is {' / '.join(ours)}",
                    j.ratio)
    if got.interval is None or j.verdict not in VERDICT_ORDER:
        return j.verdict, j.difference, j.ratio
    ends = [judge(spec.stated, v, lg) for v, lg in
            zip(got.interval, got.interval_log10 or (None, None))]
    worst = max([j] + ends, key=lambda x: VERDICT_ORDER.index(x.verdict))
    low, high = got.interval
    text = (f"{j.difference}; median of {got.samples} seeds, 95% interval "
            f"{format_number(low, got.interval_log10[0] if got.interval_log10 else None)} to "
            f"{format_number(high, got.interval_log10[1] if got.interval_log10 else None)}")
    if worst.verdict != j.verdict:
        text += f" (an end of the interval {VERDICT_WORDS[worst.verdict]})"
    return worst.verdict, text, j.ratio


def build_claims(levels: Sequence[str] = LEVELS, experiment=None,
                 cancel: Callable[[], bool] | None = None, first_seed: int = 0) -> ClaimsList:
    """Compute every claim whose needs are in ``levels`` (training claims are always
    listed: measured from ``experiment`` when given, else not measured yet)."""
    levels = tuple(levels)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise ConfigError(f"unknown claim level {bad[0]!r}; choose from {', '.join(LEVELS)}",
                          "levels")
    started = time.perf_counter()
    engine = ClaimInputs(cancel, experiment, first_seed)
    claims = []
    version = None
    with ExitStack() as stack:
        if "torch" in levels:
            import torch  # torch: only the claims about torch networks need it

            version = torch.__version__
            # Small matrices: one thread is faster, and repeats bit for bit.
            stack.enter_context(engine_threads())
        for spec in SPECS:
            if spec.needs == "torch" and "torch" not in levels:
                continue
            engine.check_cancel()
            got = spec.compute(engine)
            verdict, difference, ratio = _verdict(spec, got)
            note = "; ".join(x for x in (got.note, spec.note) if x)
            claims.append(Claim(spec.id, spec.article, spec.where, spec.claim, spec.stated,
                                got.value, got.log10, verdict, difference, ratio,
                                spec.how, spec.engine, spec.screen, spec.hint, spec.unit,
                                spec.needs, note, got.samples, got.interval,
                                got.interval_log10, *screen_setup(spec)))
    return ClaimsList(claims, UNCHECKED, levels, experiment is not None,
                      time.perf_counter() - started, version)
