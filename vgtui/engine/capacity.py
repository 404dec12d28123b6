"""Parameter sharing and capacity versus learnability (closed forms, no torch).

An RNN with hidden size n, input size m and output size o has the same
W_hh (n x n), W_xh (n x m), b (n) and W_y (o x n) at every step: n^2 + nm + n
recurrent parameters whatever the length T. A stack of T layers with its own
recurrent matrix per step would hold T n^2. The hidden state can in principle
tell apart 2^n sign patterns, yet the gradient reaching T steps back shrinks
like gamma^T: capacity grows with n while learnability falls with T.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .config import CheckedConfig, FieldSpec, given_text, parse_field
from .errors import ConfigError
from .magnitude import LogMagnitude

LOG10_2 = math.log10(2.0)
# Steps back until the gradient is below 1e-6 of its start (as on Gradient Flow).
HORIZON_LOG10 = 6.0

CAP_SPECS: dict[str, FieldSpec] = {s.name: s for s in (
    FieldSpec("output", int, "output size", "units in the output layer W_y", 1, 1_000_000),
    FieldSpec("factor", float, "factor", "per-step gradient factor gamma", 0.01, 2.0),
)}


def parse_cap_field(name: str, raw: Any) -> Any:
    if name not in CAP_SPECS:
        return parse_field(name, raw)
    spec = CAP_SPECS[name]
    text = raw.strip() if isinstance(raw, str) else raw
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                          name) from None
    if not math.isfinite(number) or number < spec.low or number > spec.high:
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})", name)
    if spec.kind is int:
        if not number.is_integer():
            raise ConfigError(f"{spec.label} must be {spec.describe_range()}, a whole number "
                              f"(got {given_text(raw)})", name)
        return int(number)
    return number


@dataclass(frozen=True)
class CapacityConfig(CheckedConfig):
    hidden: int = 64
    input_size: int = 10
    output: int = 10
    steps: int = 100
    factor: float = 0.7

    def check_field(self, name: str, value: Any) -> Any:
        return parse_cap_field(name, value)


@dataclass(frozen=True)
class ParamRow:
    name: str
    shape: str
    count: int
    role: str


@dataclass
class CapacityResult:
    config: CapacityConfig
    rows: list[ParamRow]
    recurrent_params: int       # n^2 + nm + n, the same for any T
    total_params: int           # plus the output layer o n
    unshared_params: int        # T n^2: one recurrent matrix per step
    unshared_full: int          # T (n^2 + nm + n): every step with its own W_hh, W_xh, b
    log10_states: float         # log10 2^n
    log10_gradient: float       # log10 gamma^T
    horizon: int | None         # steps until gamma^k < 1e-6 (None if gamma >= 1)

    @property
    def sharing_ratio(self) -> float:
        return self.unshared_params / self.recurrent_params

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "parameters": [asdict(r) for r in self.rows],
            "recurrent_params": self.recurrent_params,
            "total_params": self.total_params,
            "unshared_params": self.unshared_params,
            "unshared_full": self.unshared_full,
            "sharing_ratio": self.sharing_ratio,
            "states": LogMagnitude(self.log10_states),
            "log10_states": self.log10_states,
            "gradient_after_steps": LogMagnitude(self.log10_gradient),
            "log10_gradient_after_steps": self.log10_gradient,
            "horizon": self.horizon,
        }


def compute_capacity(config: CapacityConfig) -> CapacityResult:
    n, m, o, t, g = config.hidden, config.input_size, config.output, config.steps, config.factor
    rows = [
        ParamRow("W_hh", f"{n} x {n}", n * n, "hidden to hidden"),
        ParamRow("W_xh", f"{n} x {m}", n * m, "input to hidden"),
        ParamRow("b", f"{n}", n, "hidden bias"),
        ParamRow("W_y", f"{o} x {n}", o * n, "hidden to output"),
    ]
    recurrent = n * n + n * m + n
    horizon = math.ceil(HORIZON_LOG10 / -math.log10(g) - 1e-12) if g < 1 else None
    return CapacityResult(
        config=config, rows=rows, recurrent_params=recurrent, total_params=recurrent + o * n,
        unshared_params=t * n * n, unshared_full=t * recurrent,
        log10_states=n * LOG10_2, log10_gradient=t * math.log10(g), horizon=horizon)
