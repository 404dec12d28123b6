"""Comma-separated lists typed by a user ("0.5,0.9", "10 20 50"), checked once, here.

The CLI flags and the TUI inputs both parse through ``parse_number_list`` and
``parse_choice_list``, so they accept the same text and refuse it in the same
words. Every refusal is a ConfigError naming the setting.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import ConfigError

_SPLIT = re.compile(r"[,;\s]+")
_TIMES = re.compile(r"\s*[*×]\s*")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class ListSpec:
    """How one list setting is parsed and bounded."""

    name: str
    label: str
    kind: type = float
    low: float | None = None
    high: float | None = None
    # A fixed count, or None where the work the list causes decides (the computation's
    # memory/time budget, engine/budget.py, refuses what would not fit).
    max_items: int | None = 12
    products: bool = False  # allow entries such as 0.9*0.5 (their product)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def describe(self) -> str:
        what = "whole numbers" if self.kind is int else "numbers"
        extra = " or products like 0.9*0.5" if self.products else ""
        most = "" if self.max_items is None else f", at most {self.max_items}"
        return (f"{what} from {_num(self.low)} to {_num(self.high)}{extra}, comma-separated "
                f"or from:to:count{most}")


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", "_") if abs(x) >= 1e5 else str(int(x))
    return repr(x)


def _short(text: str) -> str:
    return repr(text) if len(text) <= 24 else repr(text[:21] + "...")


def _split(text: Any) -> list[str]:
    if isinstance(text, (list, tuple)):
        return [str(t).strip() for t in text]
    raw = _TIMES.sub("*", "" if text is None else str(text))
    return [part for part in _SPLIT.split(raw.strip()) if part]


def _one_number(entry: str, spec: ListSpec) -> float:
    pieces = _TIMES.split(entry) if spec.products else [entry]
    if any(p == "" for p in pieces):
        raise ValueError
    if len(pieces) == 1:
        return float(pieces[0])
    # a product is formed exactly from the typed decimals, then rounded once, so
    # 0.1*0.2 is the float nearest 0.02 (and reads back as the decimal 0.02)
    value = Fraction(1)
    for piece in pieces:
        number = float(piece)
        if not math.isfinite(number):
            return number
        value *= Fraction(piece.strip()) if _DECIMAL.fullmatch(piece.strip()) else Fraction(number)
    return float(value)


# A from:to:count entry spans at most this many values (a guard on the text alone; what
# the values cost is the budget's to judge).
RANGE_MAX_COUNT = 10_000


def _range(entry: str, spec: ListSpec) -> list[float]:
    """'0.5:2:4' -> 0.5, 1.0, 1.5, 2.0: count values evenly spaced from one end to the
    other, both ends included (rounded to whole numbers for a whole-number list)."""
    parts = entry.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        a, b = _one_number(parts[0], spec), _one_number(parts[1], spec)
        k = float(parts[2])
        if not k.is_integer():
            raise ValueError
        k = int(k)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{spec.label}: {_short(entry)} is not a range from:to:count (enter "
                          f"{spec.describe()})", spec.name) from None
    if not 2 <= k <= RANGE_MAX_COUNT:
        raise ConfigError(f"{spec.label}: {_short(entry)} needs a count from 2 to "
                          f"{RANGE_MAX_COUNT}", spec.name)
    values = [round(a + (b - a) * i / (k - 1), 12) for i in range(k)]
    # whole-number lists (lengths T) take the nearest whole number of each
    return [float(round(v)) for v in values] if spec.kind is int else values


def expand_ranges(text: Any, label: str, name: str, whole: bool = False) -> Any:
    """Text with from:to:count entries written out as plain comma-separated values, for
    list parsers of their own (sweep gaps, training lengths); anything else is returned
    as it is."""
    if not isinstance(text, str) or ":" not in text:
        return text
    spec = ListSpec(name, label, int if whole else float)
    parts = []
    for entry in _split(text):
        if ":" in entry:
            parts += [short_number(v) for v in _range(entry, spec)]
        else:
            parts.append(entry)
    return ",".join(parts)


def parse_number_list(spec: ListSpec, text: Any) -> tuple:
    """Numbers from text such as "0.5, 0.9 1.1" or "0.5:2:4" (four values evenly spaced
    from 0.5 to 2); duplicates dropped, order kept."""
    entries = _split(text)
    if not entries:
        raise ConfigError(f"{spec.label} is empty: enter {spec.describe()}", spec.name)
    values: list = []
    expanded: list = []
    for entry in entries:
        if ":" in entry:
            expanded += [(entry, v) for v in _range(entry, spec)]
        else:
            expanded.append((entry, None))
    for entry, known in expanded:
        if known is not None:
            entry = f"{short_number(known)} (from {entry})"
        try:
            number = _one_number(entry, spec) if known is None else known
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"{spec.label}: {_short(entry)} is not a number (enter "
                              f"{spec.describe()})", spec.name) from None
        if not math.isfinite(number):
            raise ConfigError(f"{spec.label}: {_short(entry)} is not finite (enter "
                              f"{spec.describe()})", spec.name)
        if spec.kind is int:
            if not float(number).is_integer():
                raise ConfigError(f"{spec.label}: {_short(entry)} is not a whole number "
                                  f"(enter {spec.describe()})", spec.name)
            number = int(number)
        if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
            raise ConfigError(f"{spec.label}: {_short(entry)} is outside {_num(spec.low)} to "
                              f"{_num(spec.high)} (enter {spec.describe()})", spec.name)
        if number not in values:
            values.append(number)
    if spec.max_items is not None and len(values) > spec.max_items:
        raise ConfigError(f"{spec.label}: {len(values)} entries; enter {spec.describe()}",
                          spec.name)
    return tuple(values)


def parse_choice_list(name: str, label: str, text: Any, choices: tuple[str, ...],
                      aliases: dict[str, str] | None = None) -> tuple[str, ...]:
    """Names from a fixed set, e.g. "tanh,sigmoid"; duplicates dropped, order kept."""
    entries = _split(text)
    if not entries:
        raise ConfigError(f"{label} is empty: enter one or more of {', '.join(choices)}", name)
    out: list[str] = []
    for entry in entries:
        key = entry.strip().lower().replace("-", "_")
        key = (aliases or {}).get(key, key)
        if key not in choices:
            raise ConfigError(f"{label}: {_short(entry)} is not one of {', '.join(choices)}", name)
        if key not in out:
            out.append(key)
    return tuple(out)


def format_list(values) -> str:
    """The text form of a parsed list, as a user would type it."""
    return ",".join(short_number(v) for v in values)


def short_number(x: float) -> str:
    """A compact exact text for a user-entered number: 0.5, 10, 1.0000001."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    text = repr(float(x))
    return text if len(text) <= 12 else f"{x:.10g}"


def parse_scale_sweep(text: str, low: float = 0.0, high: float = 100.0,
                      most: int | None = None) -> list[float]:
    """The scales of a sweep: '0.5,1,1.5' or 'a:b:k' (k evenly spaced values from a to b)
    -> checked floats. How many is for the sweep's memory/time budget to judge (``most``
    sets a fixed count where a caller wants one)."""
    most_text = f" (at most {most})" if most else ""
    count = f"2 to {most or RANGE_MAX_COUNT}"
    accepts = (f"numbers from {low:g} to {high:g}, comma-separated{most_text}, or a range "
               f"from:to:count such as 0.5:2:16 (count {count})")
    raw = (text or "").strip()
    if not raw:
        raise ConfigError(f"scales is empty: enter {accepts}", "scales")
    shown = repr(raw) if len(raw) <= 24 else repr(raw[:21] + "...")
    if ":" in raw:
        parts = raw.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            a, b, k = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, OverflowError):
            raise ConfigError(f"scales must be {accepts} (got {shown})", "scales") from None
        if not 2 <= k <= (most or RANGE_MAX_COUNT):
            raise ConfigError(f"scales: a range needs a count from {count} (got {k}); "
                              f"enter {accepts}", "scales")
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ConfigError(f"scales must be {accepts} (got {shown})", "scales")
        values = [a + (b - a) * i / (k - 1) for i in range(k)]
    else:
        values = []
        for part in raw.split(","):
            try:
                values.append(float(part))
            except ValueError:
                bad = part.strip()
                bad = repr(bad) if len(bad) <= 20 else repr(bad[:17] + "...")
                raise ConfigError(f"scales: {bad} is not a number; enter {accepts}",
                                  "scales") from None
    if most and len(values) > most:
        raise ConfigError(f"scales: at most {most} values (got {len(values)}); enter {accepts}",
                          "scales")
    for v in values:
        if not math.isfinite(v) or v < low or v > high:
            raise ConfigError(f"scales must each be a number from {low:g} to {high:g} (got {v!r})",
                              "scales")
    return [round(v, 12) for v in values]
