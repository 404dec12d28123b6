"""Magnitudes kept as base-10 logarithms, and their honest text form.

Gradients in a long recurrence reach 1e-3000 and beyond, far outside float
range, so the engine hands out log10 values and these helpers turn them into
text without ever passing through a float that would round to 0 or inf.
"""
from __future__ import annotations

import math

# How an undefined number (nan: 0/0, a fit with too few nonzero points) is shown.
NOT_DEFINED = "n/a"
# log10 of the smallest and largest magnitudes a float64 holds without loss.
FLOAT_LOG10_MIN = -307.0
FLOAT_LOG10_MAX = 308.0
# log10(e): turns a natural logarithm into a decimal one.
LOG10_E = math.log10(math.e)


def in_float_range(log10_value: float) -> bool:
    return FLOAT_LOG10_MIN < log10_value < FLOAT_LOG10_MAX


def from_log10(log10_value: float) -> float:
    """The plain float for a log10 magnitude (0.0 or inf when out of range)."""
    if log10_value == -math.inf:
        return 0.0
    if log10_value >= FLOAT_LOG10_MAX:
        return math.inf
    if log10_value <= FLOAT_LOG10_MIN:
        return 0.0
    return 10.0 ** log10_value


def to_log10(value: float) -> float:
    if value == 0:
        return -math.inf
    return math.log10(abs(value))


def json_floats(values) -> list:
    """A list of plain floats for JSON, from a numpy array or any sequence: nan becomes
    None (JSON has no nan), +-inf is kept."""
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return [None if math.isnan(v) else float(v) for v in items]


def log10_ratio(a, b):
    """log10 of (10^a / 10^b) for magnitudes held as log10 (floats or numpy arrays).

    0/0 and inf/inf are undefined: nan, quietly (shown as "n/a"), never a warning."""
    import numpy as np  # numpy: the closed-form paths read magnitudes without it

    with np.errstate(invalid="ignore"):
        out = np.subtract(a, b)
    return float(out) if np.ndim(out) == 0 else out


def split_log10(log10_value: float) -> tuple[float, int]:
    """(mantissa, exponent) with 1 <= mantissa < 10 and value = m * 10**e."""
    exponent = math.floor(log10_value)
    mantissa = 10.0 ** (log10_value - exponent)
    if mantissa >= 9.9999999999:  # rounding at the decade edge
        mantissa, exponent = 1.0, exponent + 1
    return mantissa, exponent


def format_log10(log10_value: float, digits: int = 3) -> str:
    """Scientific text for a magnitude given as log10: 2.354e-04, 3.16e-3010.

    An exact zero (log10 = -inf) prints as "0"; an undefined value (nan, such as a ratio
    of two exact zeros) prints as "n/a".
    """
    if math.isnan(log10_value):
        return NOT_DEFINED
    if log10_value == -math.inf:
        return "0"
    if log10_value == math.inf:
        return "inf"
    mantissa, exponent = split_log10(log10_value)
    if round(mantissa, digits) >= 10.0:  # 9.99998 at 4 digits reads 1.0000e+01, not 10.0000
        mantissa, exponent = 1.0, exponent + 1
    sign = "-" if exponent < 0 else "+"
    return f"{mantissa:.{digits}f}e{sign}{abs(exponent):02d}"


def format_value(value: float, digits: int = 3) -> str:
    """Scientific text for a plain float, using the same style."""
    if math.isnan(value):
        return NOT_DEFINED
    if value == 0:
        return "0"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = format_log10(math.log10(abs(value)), digits)
    return ("-" + text) if value < 0 else text


def json_number(log10_value: float) -> str:
    """A JSON number literal for a log10 magnitude, exact even past float range.

    Inside float range it is Python's shortest round-trip repr; outside it is a
    literal such as 3.1622776602e-3010 with only the digits the log10 carries
    (``meaningful_digits``): valid JSON, which a float parser may read as 0.0, which
    is why every such list has a log10 twin.
    """
    if math.isnan(log10_value):
        return "null"
    if log10_value == -math.inf:
        return "0.0"
    if in_float_range(log10_value):
        return repr(10.0 ** log10_value)
    if log10_value == math.inf:
        return "null"
    digits = meaningful_digits(log10_value)
    mantissa, exponent = split_log10(log10_value)
    text = f"{mantissa:.{digits - 1}f}"
    if text.startswith("10"):  # 9.99... rounded up at this many digits
        text, exponent = f"{1.0:.{digits - 1}f}", exponent + 1
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.rstrip('0') or '0'}e{exponent}"


def meaningful_digits(log10_value: float) -> int:
    """How many significant digits of 10^log10_value the float log10_value carries.

    A float64 log10 L is known to about 2 units in its last place (each of vgtui's log
    sums is within that of the exact sum of its terms), an absolute error of about
    |L| * 2^-51; the value's mantissa then has a relative error ln(10) times that, so
    1e-3010 carries 11 digits and 1e-301029996 (0.5^1e9) only 7. Printing more would
    print noise.
    """
    if not math.isfinite(log10_value) or log10_value == 0:
        return 17
    error = abs(log10_value) * 2.0 ** -51 * math.log(10)
    return max(1, min(17, int(math.floor(-math.log10(error)))))


class LogMagnitude:
    """A non-negative magnitude held as its log10, for reports and JSON.

    ``float(m)`` gives the plain value (0.0 or inf past float range); JSON
    writers use ``json_number`` so 1e-3010 is written as 1e-3010.
    """

    __slots__ = ("log10",)

    def __init__(self, log10_value: float) -> None:
        self.log10 = float(log10_value)

    def __float__(self) -> float:
        return from_log10(self.log10)

    def __repr__(self) -> str:
        return f"LogMagnitude({format_log10(self.log10, 6)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LogMagnitude) and other.log10 == self.log10

    def __hash__(self) -> int:
        return hash(self.log10)

    def json(self) -> str:
        return json_number(self.log10)


def format_signed_log10(sign: float, log10_value: float, digits: int = 3) -> str:
    """Like format_log10, for a value held as (sign, log10 |value|)."""
    if sign == 0 or log10_value == -math.inf:
        return "0"
    text = format_log10(log10_value, digits)
    return ("-" + text) if sign < 0 else text


class SignedLogMagnitude(LogMagnitude):
    """A value of either sign held as sign and log10 of its magnitude.

    Written to JSON as an exact literal (-3.1e-900 stays -3.1e-900).
    """

    __slots__ = ("sign",)

    def __init__(self, log10_value: float, sign: float = 1) -> None:
        super().__init__(log10_value)
        self.sign = 0 if (sign == 0 or log10_value == -math.inf) else (1 if sign > 0 else -1)

    def __float__(self) -> float:
        return self.sign * from_log10(self.log10) if self.sign else 0.0

    def __repr__(self) -> str:
        return f"SignedLogMagnitude({format_signed_log10(self.sign, self.log10, 6)})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SignedLogMagnitude):
            return other.sign == self.sign and (self.sign == 0 or other.log10 == self.log10)
        return isinstance(other, LogMagnitude) and self.sign >= 0 and other.log10 == self.log10

    def __hash__(self) -> int:
        return hash((self.sign, self.log10 if self.sign else None))

    def json(self) -> str:
        if self.sign == 0:
            return "0.0"
        text = json_number(self.log10)
        return ("-" + text) if self.sign < 0 and text != "null" else text
