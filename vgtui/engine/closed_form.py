"""Closed forms: factor^T, the scalar chain h_t = tanh(w h_(t-1)), activation derivatives.

numpy and the standard library only; nothing on this path imports torch, so
the lookups built on it (``vgtui decay``, ``vgtui activations``, ``vgtui
trace``) answer at once.

Magnitudes that leave float range are carried as (sign, log10 |value|), so
2.0^5000 reads 1.41e+1505 and 0.5^5000 reads 7.08e-1506, never inf or 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, localcontext
from fractions import Fraction
from typing import Callable

import numpy as np

from . import budget
from .config import FIELD_SPECS, FieldSpec, parse_value
from .errors import Cancelled, ConfigError
from .lists import ListSpec, parse_choice_list, parse_number_list
from .magnitude import LogMagnitude, SignedLogMagnitude, in_float_range
from .sums import exact_cumsum

LOG10_E = math.log10(math.e)
LOG10_2 = math.log10(2.0)

# ---------------------------------------------------------------------------
# Settings of the closed-form lookups (shared by the CLI flags and TUI inputs)
# ---------------------------------------------------------------------------
# No fixed counts: a table's size is checked against the budget (budget.table_estimate).
FACTORS = ListSpec("factors", "factors", float, 0.0, 1e6, None, products=True)
LENGTHS = ListSpec("steps", "lengths T", int, 1, 10**9, None)
POINTS = ListSpec("at", "points z", float, -1000.0, 1000.0, None)
GAMMA = ListSpec("gamma", "factor gamma", float, 0.0, 1e6, 1, products=True)

SCALAR_SPECS: dict[str, FieldSpec] = {s.name: s for s in (
    FieldSpec("weight", float, "weight w", "the recurrent weight of the scalar chain", -100.0, 100.0),
    FieldSpec("trace_steps", int, "steps T", "length of the scalar chain", 1, 100_000),
    FieldSpec("h0", float, "start h0", "the starting state h_0", -100.0, 100.0),
    FieldSpec("gamma_steps", int, "length T", "steps the factor is applied", 1, 10**9),
    FieldSpec("spread", float, "spread s", "standard deviation of z ~ N(0, s^2)", 0.0, 100.0),
)}

DEFAULT_FACTORS = (0.5, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0)
DEFAULT_LENGTHS = (5, 10, 20, 50, 100)
DEFAULT_POINTS = (0.0, 1.0, 2.0, 5.0)

# A cell of a decay table reads as vanishing at or below 0.1 (over 90% of the
# signal lost) and exploding at or above 10; in between it is "stable".
VANISHED_LOG10 = -1.0
EXPLODED_LOG10 = 1.0
# Decades of loss named in the companion panel: 90%, 99.9%, 99.9999%.
LOSS_DECADES = (1, 3, 6)
# A gradient is "shrunk by 1e-6" after this many decades.
SHRINK_DECADES = 6


def parse_scalar(name: str, text) -> float | int:
    """Parse one of SCALAR_SPECS (or an engine field) from user text."""
    spec = SCALAR_SPECS.get(name) or FIELD_SPECS[name]
    return parse_value(spec, text)


def parse_gamma(text) -> float:
    return parse_number_list(GAMMA, text)[0]


def parse_factors(text) -> tuple[float, ...]:
    return parse_number_list(FACTORS, text)


def parse_lengths(text) -> tuple[int, ...]:
    return parse_number_list(LENGTHS, text)


def parse_points(text) -> tuple[float, ...]:
    return parse_number_list(POINTS, text)


# ---------------------------------------------------------------------------
# factor^T
# ---------------------------------------------------------------------------
def log10_power(factor: float, steps: int) -> float:
    """log10(factor^steps) for factor >= 0 (-inf for an exact zero)."""
    if factor < 0:
        raise ConfigError(f"factor must be at least 0 (got {factor!r})", "factors")
    if steps == 0:
        return 0.0
    if factor == 0:
        return -math.inf
    plain = _plain_power(factor, steps)
    if plain is not None:
        return math.log10(plain)
    return steps * math.log10(factor)


def _plain_power(factor: float, steps: int) -> float | None:
    """factor**steps as a float when it is safely inside float range."""
    if factor == 0:
        return 0.0 if steps else 1.0
    if abs(steps * math.log10(factor)) < 300:
        return float(factor) ** steps
    return None


def regime_of(log10_value: float) -> str:
    if log10_value <= VANISHED_LOG10:
        return "vanishing"
    if log10_value >= EXPLODED_LOG10:
        return "exploding"
    return "stable"


@dataclass(frozen=True)
class PowerCell:
    factor: float
    steps: int
    log10_value: float
    value: float | None  # the plain float when inside float range, else None

    @property
    def regime(self) -> str:
        return regime_of(self.log10_value)

    def magnitude(self):
        """The value for JSON: a plain float in range, else an exact literal."""
        return self.value if self.value is not None else LogMagnitude(self.log10_value)

    def to_dict(self) -> dict:
        return {"factor": self.factor, "steps": self.steps, "value": self.magnitude(),
                "log10_value": self.log10_value, "regime": self.regime}


def power_cell(factor: float, steps: int) -> PowerCell:
    return PowerCell(float(factor), int(steps), log10_power(factor, steps),
                     _plain_power(factor, steps))


def exact_decimal(x) -> Fraction:
    """A number read as the decimal a person typed: the shortest decimal that gives back
    the same float (repr), as an exact fraction. 0.1 is 1/10, not 3602879701896397/2**55.

    That is the typed decimal for every entry of up to 15 significant digits; products
    such as 0.1*0.2 are formed exactly before rounding (lists.py), so they read 0.02.
    """
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    return Fraction(repr(float(x)))


# Above this many bits in p^k (or q^k), exactness is decided with high-precision
# logarithms instead of whole integers.
_EXACT_BITS = 400_000


def _power_at_or_beyond(gamma: Fraction, level: Fraction, k: int, grow: bool) -> bool:
    """gamma^k <= level (grow: >=), decided exactly."""
    p, q = gamma.numerator, gamma.denominator
    if k * max(p.bit_length(), q.bit_length()) <= _EXACT_BITS:
        lhs, rhs = p ** k * level.denominator, q ** k * level.numerator
        return lhs >= rhs if grow else lhs <= rhs
    # k*ln(gamma) against ln(level) in decimal; equality would need gamma^k == level
    # exactly, which the integer branch settles for every k it can hold, so widen the
    # precision until the sign of the difference is certain.
    for prec in (60, 120, 400, 2000):
        with localcontext() as ctx:
            ctx.prec = prec + len(str(k))
            diff = k * _dec(gamma).ln() - _dec(level).ln()
            slack = Decimal(10) ** (len(str(k)) - prec + 5)
            if abs(diff) > slack:
                return diff >= 0 if grow else diff <= 0
    lhs, rhs = p ** k * level.denominator, q ** k * level.numerator  # last resort: exact
    return lhs >= rhs if grow else lhs <= rhs


def _dec(x: Fraction) -> Decimal:
    return Decimal(x.numerator) / Decimal(x.denominator)


def steps_to_level(gamma, level, grow: bool = False) -> int | None:
    """Fewest whole steps k >= 1 with gamma^k <= level (grow: gamma^k >= level).

    gamma and level are read as the decimals typed (``exact_decimal``) and the comparison
    is exact, so 0.1 reaches 1e-3 in 3 steps (0.1^3 is exactly 1e-3), not 4. None when
    the factor never gets there. The one function behind "steps to lose" in Decay,
    Scalar chain, Activations, the CLI, the claims and the Quiz.
    """
    g, lv = exact_decimal(gamma), exact_decimal(level)
    if g < 0 or lv <= 0:
        raise ConfigError(f"steps to a level need a factor >= 0 and a level > 0 "
                          f"(got {gamma!r}, {level!r})", "factors")
    if (g >= lv) if grow else (g <= lv):
        return 1
    if g == 0 or (grow and g <= 1) or (not grow and g >= 1):
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        estimate = _dec(lv).ln() / _dec(g).ln()
        k = max(1, int(estimate.to_integral_value(rounding=ROUND_CEILING)))
    while k > 1 and _power_at_or_beyond(g, lv, k - 1, grow):
        k -= 1
    while not _power_at_or_beyond(g, lv, k, grow):
        k += 1
    return k


def steps_to_reach(gamma: float, decades: float) -> int | None:
    """Fewest whole steps k >= 1 with gamma^k <= 10^-decades (decades > 0, a loss)
    or gamma^k >= 10^decades (decades < 0 means growth by 10^|decades|), decided
    exactly for the typed decimal gamma (``steps_to_level``).

    None when the factor never gets there (gamma >= 1 for a loss, <= 1 for growth).
    """
    shrinking = decades > 0
    exponent = exact_decimal(abs(decades))
    if exponent.denominator != 1:
        raise ConfigError(f"decades must be whole (got {decades!r})", "factors")
    power = Fraction(10) ** int(exponent)
    return steps_to_level(gamma, 1 / power if shrinking else power, grow=not shrinking)


def steps_to_lose_share(gamma, share_lost) -> int | None:
    """Fewest steps k with gamma^k <= 1 - share_lost, exactly (0.9 lost: gamma^k <= 0.1)."""
    return steps_to_level(gamma, 1 - exact_decimal(share_lost))


@dataclass(frozen=True)
class GammaSummary:
    """One per-step factor: gamma^T and how many steps it takes to lose (or gain)."""

    gamma: float
    steps: int
    power: PowerCell
    steps_to_lose: tuple[tuple[int, int | None], ...]  # (decades, steps)
    steps_to_grow: tuple[tuple[int, int | None], ...]
    exact_steps_per_decade: float | None  # 1 / |log10 gamma|: steps per factor of 10

    def to_dict(self) -> dict:
        return {
            "factor": self.gamma,
            "steps": self.steps,
            "value": self.power.magnitude(),
            "log10_value": self.power.log10_value,
            "regime": self.power.regime,
            "steps_to_lose": [{"lost": _lost_text(d), "decades": d, "steps": k}
                              for d, k in self.steps_to_lose],
            "steps_to_grow": [{"times": f"1e{d}", "decades": d, "steps": k}
                              for d, k in self.steps_to_grow],
            "steps_per_decade": self.exact_steps_per_decade,
        }


def _lost_text(decades: int) -> str:
    """The share lost after a fall of that many decades: 90%, 99%, 99.9%, 99.9999%."""
    if decades <= 1:
        return "90%"
    if decades == 2:
        return "99%"
    return "99." + "9" * (decades - 2) + "%"


def lost_label(decades: int) -> str:
    return _lost_text(decades)


def gamma_summary(gamma: float, steps: int) -> GammaSummary:
    lg = math.log10(gamma) if gamma > 0 else -math.inf
    per_decade = None if lg == 0 or lg == -math.inf else 1.0 / abs(lg)
    return GammaSummary(
        gamma=float(gamma), steps=int(steps), power=power_cell(gamma, steps),
        steps_to_lose=tuple((d, steps_to_reach(gamma, d)) for d in LOSS_DECADES),
        steps_to_grow=tuple((d, steps_to_reach(gamma, -d)) for d in LOSS_DECADES),
        exact_steps_per_decade=per_decade,
    )


@dataclass(frozen=True)
class DecayTable:
    factors: tuple[float, ...]
    lengths: tuple[int, ...]
    cells: tuple[tuple[PowerCell, ...], ...]  # cells[i][j]: factors[i] ^ lengths[j]
    summaries: tuple[GammaSummary, ...]  # one per factor, at the longest length

    def rows(self) -> list[dict]:
        return [cell.to_dict() for row in self.cells for cell in row]

    def to_dict(self) -> dict:
        return {
            "kind": "closed form factor^T",
            "factors": list(self.factors),
            "lengths": list(self.lengths),
            "rows": self.rows(),
            "factor_summaries": [s.to_dict() for s in self.summaries],
            "regimes": {"vanishing": f"value <= 1e{VANISHED_LOG10:+.0f}",
                        "stable": "between", "exploding": f"value >= 1e{EXPLODED_LOG10:+.0f}"},
        }


def decay_table(factors=DEFAULT_FACTORS, lengths=DEFAULT_LENGTHS) -> DecayTable:
    factors = tuple(float(f) for f in factors)
    lengths = tuple(int(t) for t in lengths)
    if not factors or not lengths:
        raise ConfigError("a decay table needs at least one factor and one length", "factors")
    budget.check_table(budget.table_estimate(len(factors) * (len(lengths) + 8),
                                       f"a table of {len(factors)} factors x {len(lengths)} "
                                       "lengths", "factors"))
    cells = tuple(tuple(power_cell(f, t) for t in lengths) for f in factors)
    summaries = tuple(gamma_summary(f, max(lengths)) for f in factors)
    return DecayTable(factors, lengths, cells, summaries)


# ---------------------------------------------------------------------------
# The scalar chain h_t = tanh(w h_(t-1))
# ---------------------------------------------------------------------------
# Below this |z| (as log10), tanh(z) = z and sech^2(z) = 1 to far better than
# double precision, so the chain continues exactly in log space.
_TINY_LOG10 = -150.0


def log10_sech2(z: float) -> float:
    """log10 of sech^2(z) = 1 - tanh^2(z), exact for any |z| (no cancellation)."""
    a = abs(z)
    return 2.0 * (LOG10_2 - a * LOG10_E - math.log1p(math.exp(-2.0 * a)) * LOG10_E)


@dataclass
class ScalarTrace:
    """The chain h_t = tanh(w h_(t-1)) from h_0 for t = 1..T.

    Every column is held as sign (+1, -1 or 0) and log10 of the magnitude; index
    k is step t = k + 1.

    - h: the state h_t
    - local: dh_t/dh_(t-1) = w (1 - h_t^2), computed as w sech^2(w h_(t-1))
    - cumulative: dh_t/dh_0, the product of the local derivatives up to t
    - linear: w^t, the linear approximation of dh_t/dh_0
    """

    weight: float
    steps: int
    h0: float
    h_sign: np.ndarray
    h_log10: np.ndarray
    local_sign: np.ndarray
    local_log10: np.ndarray
    cum_sign: np.ndarray
    cum_log10: np.ndarray
    lin_sign: np.ndarray
    lin_log10: np.ndarray

    def value(self, column: str, k: int) -> float:
        """The plain float of a column at index k (0 or inf past float range)."""
        sign = getattr(self, f"{column}_sign")[k]
        log = getattr(self, f"{column}_log10")[k]
        return float(SignedLogMagnitude(log, sign))

    def magnitude(self, column: str, k: int) -> SignedLogMagnitude:
        return SignedLogMagnitude(float(getattr(self, f"{column}_log10")[k]),
                                  float(getattr(self, f"{column}_sign")[k]))

    def row(self, k: int) -> dict:
        return {
            "t": k + 1,
            "h": self.magnitude("h", k),
            "local": self.magnitude("local", k),
            "cumulative": self.magnitude("cum", k),
            "linear": self.magnitude("lin", k),
            "log10_abs_h": float(self.h_log10[k]),
            "log10_abs_local": float(self.local_log10[k]),
            "log10_abs_cumulative": float(self.cum_log10[k]),
            "log10_abs_linear": float(self.lin_log10[k]),
        }

    def saturation_log10(self, k: int) -> float:
        """log10 of |cumulative / w^t|: what tanh's saturation took away by step t
        (nan when w^t is 0, i.e. w = 0)."""
        cum, lin = float(self.cum_log10[k]), float(self.lin_log10[k])
        if lin == -math.inf:
            return math.nan
        return cum - lin

    def to_dict(self, indices=None) -> dict:
        indices = range(self.steps) if indices is None else indices
        return {"weight": self.weight, "steps": self.steps, "h0": self.h0,
                "rows": [self.row(k) for k in indices]}


def _sign(x: float) -> int:
    return 0 if x == 0 else (1 if x > 0 else -1)


def scalar_trace(weight: float, steps: int, h0: float = 0.1,
                 cancel: Callable[[], bool] | None = None, *, guard: bool = True) -> ScalarTrace:
    """Run the chain and record every column, exactly, in log space. ``guard=False`` is
    for the fixed, tiny checks of the articles' own figures (not a user's request)."""
    w = float(parse_scalar("weight", weight))
    steps = int(parse_scalar("trace_steps", steps))
    h0 = float(parse_scalar("h0", h0))

    if guard:
        budget.check(budget.trace_estimate(steps))
    n = steps
    out = {name: np.empty(n) for name in ("hs", "hl", "ls", "ll", "cs", "cl", "ws", "wl")}
    w_sign = _sign(w)
    w_log = math.log10(abs(w)) if w != 0 else -math.inf
    h_sign, h_log = _sign(h0), (math.log10(abs(h0)) if h0 != 0 else -math.inf)
    cum_sign = 1
    for k in range(n):
        if cancel is not None and k % 4096 == 0 and cancel():
            raise Cancelled()
        z_sign = w_sign * h_sign
        z_log = w_log + h_log if z_sign != 0 else -math.inf
        if z_sign == 0:
            h_sign, h_log, sech_log = 0, -math.inf, 0.0
        elif z_log < _TINY_LOG10:
            h_sign, h_log, sech_log = z_sign, z_log, 0.0
        else:
            z = z_sign * 10.0 ** z_log
            h = math.tanh(z)
            h_sign, h_log = _sign(h), math.log10(abs(h))
            sech_log = log10_sech2(z)
        local_sign = w_sign
        local_log = w_log + sech_log if w_sign != 0 else -math.inf
        cum_sign *= local_sign
        out["hs"][k], out["hl"][k] = h_sign, h_log
        out["ls"][k], out["ll"][k] = local_sign, local_log
        out["cs"][k] = cum_sign
    # dh_t/dh_0 in log10: the running sum of the local logs, exact to the last digits at
    # any T (a plain running sum drifts by about one rounding per step); a zero local
    # derivative (log -inf) makes every later product 0
    out["cl"][:] = exact_cumsum(out["ll"])
    t = np.arange(1, n + 1, dtype=np.float64)
    if w_sign == 0:
        out["ws"][:], out["wl"][:] = 0.0, -math.inf
    else:
        out["ws"][:] = 1.0 if w_sign > 0 else np.where(t % 2 == 0, 1.0, -1.0)
        out["wl"][:] = t * w_log
        # inside float range take the plain power, so 0.5^10 is exactly 0.5**10
        for k in range(min(n, 1000)):
            p = abs(w) ** (k + 1)
            if p == 0 or math.isinf(p) or not in_float_range(math.log10(p)):
                break
            out["wl"][k] = math.log10(p)
    return ScalarTrace(w, n, h0, out["hs"], out["hl"], out["ls"], out["ll"], out["cs"],
                       out["cl"], out["ws"], out["wl"])


# ---------------------------------------------------------------------------
# Activation functions and their derivatives
# ---------------------------------------------------------------------------
ACTIVATION_NAMES = ("tanh", "sigmoid", "relu", "leaky_relu", "identity", "silu")
ACTIVATION_TITLES = {
    "tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU", "leaky_relu": "leaky ReLU",
    "identity": "identity", "silu": "SiLU (swish)",
}
ACTIVATION_FORMULAS = {
    "tanh": "f'(z) = 1 - tanh(z)^2",
    "sigmoid": "f'(z) = s(z) (1 - s(z)),  s = sigmoid",
    "relu": "f'(z) = 1 for z > 0, else 0",
    "leaky_relu": "f'(z) = 1 for z > 0, else the slope",
    "identity": "f'(z) = 1",
    "silu": "f(z) = z s(z);  f'(z) = s(z) (1 + z (1 - s(z)))",
}
_ALIASES = {"leakyrelu": "leaky_relu", "leaky": "leaky_relu", "linear": "identity",
            "swish": "silu", "sigmoid_linear": "silu", "logistic": "sigmoid"}
# Kinks of f' (where a quadrature panel must end) besides roots of f'.
_KINKS = {"relu": (0.0,), "leaky_relu": (0.0,)}
# The grid on which maxima and sign changes of f' are searched, then refined.
_GRID = np.linspace(-20.0, 20.0, 40_001)


def parse_activations(text) -> tuple[str, ...]:
    return parse_choice_list("activations", "activations", text, ACTIVATION_NAMES, _ALIASES)


def _check_kind(kind: str) -> None:
    if kind not in ACTIVATION_NAMES:
        raise ConfigError(f"unknown activation {kind!r}; choose one of "
                          f"{', '.join(ACTIVATION_NAMES)}", "activations")


def _sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activation(kind: str, z, leaky_slope: float = 0.01) -> np.ndarray:
    """f(z), elementwise."""
    _check_kind(kind)
    z = np.asarray(z, dtype=np.float64)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "sigmoid":
        return _sigmoid(z)
    if kind == "relu":
        return np.where(z > 0, z, 0.0)
    if kind == "leaky_relu":
        return np.where(z > 0, z, leaky_slope * z)
    if kind == "identity":
        return z.copy()
    return z * _sigmoid(z)  # silu


def derivative(kind: str, z, leaky_slope: float = 0.01) -> np.ndarray:
    """f'(z), elementwise. At the kink z = 0, relu' = 0 and leaky relu' = slope
    (torch's conventions, the same as the engine's RNN)."""
    _check_kind(kind)
    z = np.asarray(z, dtype=np.float64)
    if kind == "tanh":
        u = np.exp(-2.0 * np.abs(z))
        return 4.0 * u / (1.0 + u) ** 2  # sech^2 without 1 - tanh^2 cancellation
    if kind == "sigmoid":
        e = np.exp(-np.abs(z))
        return e / (1.0 + e) ** 2
    if kind == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if kind == "leaky_relu":
        return np.where(z > 0, 1.0, float(leaky_slope))
    if kind == "identity":
        return np.ones_like(z)
    s = _sigmoid(z)
    return s * (1.0 + z * (1.0 - s))  # silu


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def log10_abs_derivative(kind: str, z: float, leaky_slope: float = 0.01) -> tuple[int, float]:
    """(sign, log10 |f'(z)|), exact where f'(z) itself would underflow (tanh'(400))."""
    _check_kind(kind)
    z = float(z)
    a = abs(z)
    if kind == "tanh":
        return 1, log10_sech2(z)
    if kind == "sigmoid":
        return 1, (-a - 2.0 * math.log1p(math.exp(-a))) * LOG10_E
    if kind == "relu":
        return (1, 0.0) if z > 0 else (0, -math.inf)
    if kind == "leaky_relu":
        if z > 0:
            return 1, 0.0
        return (1, math.log10(leaky_slope)) if leaky_slope > 0 else (0, -math.inf)
    if kind == "identity":
        return 1, 0.0
    # silu: f'(z) = s(z) (1 + z s(-z)), log s(z) = -softplus(-z)
    rest = 1.0 + z * math.exp(-_softplus(z))
    if rest == 0:
        return 0, -math.inf
    return _sign(rest), -_softplus(-z) * LOG10_E + math.log10(abs(rest))


def _refine_max(fun, lo: float, hi: float, iterations: int = 200) -> float:
    """Golden-section search for the maximiser of a unimodal fun on [lo, hi]."""
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = fun(c), fun(d)
    for _ in range(iterations):
        if b - a < 1e-13:
            break
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = fun(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = fun(d)
    return (a + b) / 2.0


@dataclass(frozen=True)
class MaxDerivative:
    value: float
    at: float | None  # the maximiser when it is a single point
    where: str  # words: "z = 0", "z > 0", "every z"


def max_derivative(kind: str, leaky_slope: float = 0.01) -> MaxDerivative:
    """The largest f'(z): searched on a dense grid over [-20, 20], then refined."""
    d = derivative(kind, _GRID, leaky_slope)
    best = float(d.max())
    top = np.nonzero(d >= best - 1e-12 * max(1.0, abs(best)))[0]
    step = float(_GRID[1] - _GRID[0])
    if len(top) > 1 and top[-1] - top[0] == len(top) - 1:  # a plateau
        first, last = int(top[0]), int(top[-1])
        if first == 0 and last == len(_GRID) - 1:
            return MaxDerivative(best, None, "every z")
        if last == len(_GRID) - 1:
            return MaxDerivative(best, None, f"z > {_tidy(float(_GRID[first - 1]))}")
        if first == 0:
            return MaxDerivative(best, None, f"z < {_tidy(float(_GRID[last + 1]))}")
    i = int(np.argmax(d))
    if 0 < i < len(_GRID) - 1:
        z = _refine_max(lambda x: float(derivative(kind, x, leaky_slope)),
                        float(_GRID[i]) - step, float(_GRID[i]) + step)
        value = float(derivative(kind, z, leaky_slope))
        if value > best:  # a tie keeps the grid point (tanh peaks exactly at z = 0)
            best = value
        else:
            z = float(_GRID[i])
        z = 0.0 if z == 0 else z
        return MaxDerivative(best, z, f"z = {_tidy(z)}")
    return MaxDerivative(best, float(_GRID[i]), f"z = {_tidy(float(_GRID[i]))}")


def _tidy(z: float) -> str:
    text = f"{z:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("0", "-0", "") else text


def derivative_roots(kind: str, leaky_slope: float = 0.01) -> tuple[float, ...]:
    """Points where f' changes sign (SiLU has one near z = -1.278), by bisection."""
    d = derivative(kind, _GRID, leaky_slope)
    roots = []
    flips = np.nonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)[0]
    for i in flips:
        a, b = float(_GRID[i]), float(_GRID[i + 1])
        fa = float(derivative(kind, a, leaky_slope))
        for _ in range(200):
            m = 0.5 * (a + b)
            fm = float(derivative(kind, m, leaky_slope))
            if m in (a, b):
                break
            if (fm > 0) == (fa > 0):
                a, fa = m, fm
            else:
                b = m
        roots.append(0.5 * (a + b))
    return tuple(roots)


# Composite Gauss-Legendre over x in [-X_RANGE, X_RANGE] standard deviations; the
# normal mass outside is below 1e-32, far under double precision.
X_RANGE = 12.0
_PANELS = 480
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(12)


def gaussian_expectation(fun: Callable[[np.ndarray], np.ndarray], spread: float,
                         breaks: tuple[float, ...] = ()) -> float:
    """E[fun(z)] for z ~ N(0, spread^2) by composite Gauss-Legendre quadrature.

    ``breaks`` are z values where fun has a kink or jump; panels end there so
    every panel integrates a smooth piece (no Monte Carlo, no sampling noise).
    """
    if spread == 0:
        return float(fun(np.zeros(1))[0])
    edges = np.linspace(-X_RANGE, X_RANGE, _PANELS + 1)
    cuts = [b / spread for b in breaks if -X_RANGE < b / spread < X_RANGE]
    edges = np.unique(np.concatenate([edges, np.array(cuts, dtype=np.float64)]))
    lo, hi = edges[:-1], edges[1:]
    half = (hi - lo) / 2.0
    mid = (hi + lo) / 2.0
    x = mid[:, None] + half[:, None] * _NODES[None, :]
    density = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    values = fun(spread * x) * density
    return float(np.sum(values * _WEIGHTS[None, :] * half[:, None]))


def typical_derivative(kind: str, spread: float, leaky_slope: float = 0.01) -> float:
    """E|f'(z)| for z ~ N(0, spread^2): the mean stretch one step applies."""
    breaks = _KINKS.get(kind, ()) + derivative_roots(kind, leaky_slope)
    return gaussian_expectation(lambda z: np.abs(derivative(kind, z, leaky_slope)), spread, breaks)


@dataclass(frozen=True)
class ActivationSummary:
    kind: str
    points: tuple[float, ...]
    derivatives: tuple[tuple[int, float], ...]  # (sign, log10 |f'(z)|) per point
    max: MaxDerivative
    spread: float
    typical: float  # E|f'(z)|, z ~ N(0, s^2)
    steps_to_shrink: int | None  # steps of the typical derivative alone to reach 1e-6
    leaky_slope: float

    def derivative_value(self, i: int) -> float:
        sign, log = self.derivatives[i]
        return float(SignedLogMagnitude(log, sign))

    def rows(self) -> list[dict]:
        return [{
            "activation": self.kind,
            "z": z,
            "derivative": SignedLogMagnitude(log, sign),
            "log10_abs_derivative": log,
            "max_derivative": self.max.value,
            "typical_derivative": self.typical,
        } for z, (sign, log) in zip(self.points, self.derivatives)]

    def to_dict(self) -> dict:
        return {
            "activation": self.kind,
            "formula": ACTIVATION_FORMULAS[self.kind],
            "max_derivative": self.max.value,
            "max_at": self.max.at,
            "max_where": self.max.where,
            "typical_derivative": self.typical,
            "steps_to_shrink_1e-6": self.steps_to_shrink,
        }


@dataclass(frozen=True)
class ActivationTable:
    spread: float
    points: tuple[float, ...]
    leaky_slope: float
    summaries: tuple[ActivationSummary, ...] = field(default_factory=tuple)

    def summary(self, kind: str) -> ActivationSummary:
        for s in self.summaries:
            if s.kind == kind:
                return s
        raise KeyError(kind)

    def to_dict(self) -> dict:
        return {
            "spread": self.spread,
            "points": list(self.points),
            "leaky_slope": self.leaky_slope,
            "typical_definition": "E|f'(z)| with z ~ N(0, spread^2), by Gauss-Legendre quadrature",
            "steps_definition": "fewest steps k with typical^k <= 1e-6 (null: never)",
            "rows": [r for s in self.summaries for r in s.rows()],
            "activations": [s.to_dict() for s in self.summaries],
        }


def activation_summary(kind: str, points=DEFAULT_POINTS, spread: float = 1.0,
                       leaky_slope: float = 0.01) -> ActivationSummary:
    _check_kind(kind)
    typical = typical_derivative(kind, spread, leaky_slope)
    return ActivationSummary(
        kind=kind, points=tuple(float(p) for p in points),
        derivatives=tuple(log10_abs_derivative(kind, p, leaky_slope) for p in points),
        max=max_derivative(kind, leaky_slope), spread=float(spread), typical=typical,
        steps_to_shrink=steps_to_reach(typical, SHRINK_DECADES), leaky_slope=float(leaky_slope),
    )


def activation_table(kinds=ACTIVATION_NAMES, points=DEFAULT_POINTS, spread: float = 1.0,
                     leaky_slope: float = 0.01) -> ActivationTable:
    spread = float(parse_scalar("spread", spread))
    leaky_slope = float(parse_value(FIELD_SPECS["leaky_slope"], leaky_slope))
    budget.check_table(budget.table_estimate(len(kinds) * (len(points) + 50),
                                       f"derivatives at {len(points)} points", "at"))
    return ActivationTable(spread, tuple(float(p) for p in points), leaky_slope,
                           tuple(activation_summary(k, points, spread, leaky_slope) for k in kinds))


@dataclass(frozen=True)
class Curve:
    """f and f' sampled over z for a plot."""

    kind: str
    z: np.ndarray
    f: np.ndarray
    df: np.ndarray


def curve(kind: str, low: float = -5.0, high: float = 5.0, samples: int = 401,
          leaky_slope: float = 0.01) -> Curve:
    z = np.linspace(low, high, samples)
    return Curve(kind, z, activation(kind, z, leaky_slope), derivative(kind, z, leaky_slope))


def normal_density(z: np.ndarray, spread: float) -> np.ndarray:
    """The N(0, spread^2) density at z (for showing where z tends to fall)."""
    if spread == 0:
        return np.where(np.abs(z) == np.abs(z).min(), 1.0, 0.0)
    return np.exp(-0.5 * (z / spread) ** 2) / (spread * math.sqrt(2.0 * math.pi))
