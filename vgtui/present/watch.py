"""Wording and glyphs for gradients measured on a user's own model: the heatmap ramp and
its decade legend, compact magnitudes, and a text chart on a decade axis. Shared by the
Watch screen, ``vgtui watch --json``'s neighbours and the rendering of ``vgtui.measure``
results (rich, Jupyter). No UI library here; callers turn (text, role) pairs into
whatever they draw with (a role's style: vgtui.present.styles).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..engine.magnitude import format_log10, split_log10
from .regimes import gradient_verdict_text as verdict_text
from .styles import HEAT

# One glyph per band of decades, low to high: taller is larger, so the heatmap reads
# without colour; the colours (roles of vgtui.present.styles, in the theme's colours or the
# terminal's) only repeat what the height says.
RAMP = "▁▂▃▄▅▆▇█"
RAMP_STYLES = HEAT
BELOW = "·"   # below the legend's lowest band
ZERO = " "    # exactly zero (dead units): no glyph at all
UNDEFINED = "?"


@dataclass(frozen=True)
class Ramp:
    """The legend of a heatmap: ``levels`` bands of ``band`` whole decades each, the top
    band ending at decade ``top``."""

    top: int
    band: int
    levels: int = len(RAMP)

    @property
    def floor(self) -> int:
        return self.top - self.levels * self.band

    def level(self, log10_value: float) -> int | None:
        """Band index (0 = lowest), -1 below the floor, None for 0 or undefined."""
        if math.isnan(log10_value) or log10_value == -math.inf:
            return None
        if log10_value >= self.top:
            return self.levels - 1
        k = math.floor((log10_value - self.floor) / self.band)
        return -1 if k < 0 else min(self.levels - 1, k)

    def glyph(self, log10_value: float) -> tuple[str, str]:
        """(character, role) for one cell."""
        if math.isnan(log10_value):
            return UNDEFINED, "undefined"
        if log10_value == -math.inf:
            return ZERO, ""
        k = self.level(log10_value)
        if k is None or k < 0:
            return BELOW, "muted"
        return RAMP[k], RAMP_STYLES[k]

    def legend(self) -> list[tuple[str, str, str]]:
        """(glyph, role, label) per band, low to high; the label is the band's lower edge."""
        out = [(BELOW, "muted", f"<{decade(self.floor)}")]
        for k in range(self.levels):
            out.append((RAMP[k], RAMP_STYLES[k], decade(self.floor + k * self.band)))
        return out

    def legend_text(self) -> str:
        return " ".join(f"{g}{label}" for g, _, label in self.legend())


def decade(exponent: int) -> str:
    return f"1e{exponent:+03d}" if abs(exponent) < 100 else f"1e{exponent:+d}"


def ramp_for(values, span_cap: int = 400) -> Ramp:
    """A legend covering the finite values given (any nesting of iterables of log10
    values), in whole decades; the lowest band goes no further than ``span_cap`` decades
    below the highest value (what is lower reads as ·)."""
    hi, lo = -math.inf, math.inf
    for v in _flat(values):
        if math.isfinite(v):
            hi, lo = max(hi, v), min(lo, v)
    if hi == -math.inf:
        return Ramp(top=1, band=1)
    top = math.floor(hi) + 1
    span = max(1, min(span_cap, top - math.floor(lo)))
    band = max(1, math.ceil(span / len(RAMP)))
    return Ramp(top=top, band=band)


def _flat(values):
    for v in values:
        if isinstance(v, (list, tuple)) or hasattr(v, "__len__") and not isinstance(v, str):
            yield from _flat(v)
        elif v is not None:
            yield float(v)


def short(log10_value: float | None) -> str:
    """A magnitude in at most 7 characters, whole: 3.2e-05, 1e-412, 0, n/a."""
    if log10_value is None or math.isnan(log10_value):
        return "n/a"
    if log10_value == -math.inf:
        return "0"
    if log10_value == math.inf:
        return "inf"
    mantissa, exponent = split_log10(log10_value)
    if abs(exponent) >= 100:
        m = int(round(mantissa))
        if m >= 10:
            m, exponent = 1, exponent + 1
        return f"{m}e{exponent}"
    text = f"{mantissa:.1f}"
    if text == "10.0":
        text, exponent = "1.0", exponent + 1
    return f"{text}e{exponent:+03d}"


def factor_short(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    return f"{value:.3f}" if value < 100 else f"{value:.3g}"


def horizon_short(horizon: int | None, steps: int | None = None) -> str:
    if horizon is None:
        return f">{steps - 1}" if steps else "none"
    return str(horizon)


def bucket_max(values, columns: int) -> list[float]:
    """``values`` (log10) into ``columns`` buckets by position, keeping each bucket's
    largest value (a bucket of exact zeros stays -inf, of undefined values nan); shorter
    rows are stretched."""
    import numpy as np  # numpy: loaded when first needed

    arr = np.asarray([math.nan if v is None else v for v in values], dtype=float) \
        if not isinstance(values, np.ndarray) else values.astype(float)
    n = arr.shape[0]
    if n == 0 or columns <= 0:
        return []
    starts = (np.arange(columns) * n) // columns
    if n <= columns:
        return arr[starts].tolist()
    undefined = np.isnan(arr)
    top = np.maximum.reduceat(np.where(undefined, -np.inf, arr), starts)
    sizes = np.diff(np.append(starts, n))
    all_undefined = np.add.reduceat(undefined.astype(int), starts) == sizes
    return np.where(all_undefined, np.nan, top).tolist()


# -- a text chart on a decade axis (for rich and HTML renderings) ------------------------------
def chart_lines(series, width: int = 72, height: int = 10) -> list[list[tuple[str, str]]]:
    """Series of log10 values over the same steps drawn as marker points on a decade axis:
    ``series`` is a list of (label, marker, role, values). Returns lines of (text, role)
    segments (roles of vgtui.present.styles): a legend line, ``height`` plot rows, an axis
    line."""
    finite = [v for _, _, _, vals in series for v in vals
              if v is not None and math.isfinite(v)]
    if not finite:
        return [[("no finite values to draw (every gradient is exactly 0)", "muted")]]
    lo, hi = math.floor(min(finite)), math.ceil(max(finite))
    if hi - lo < 1:
        lo, hi = lo - 1, hi + 1
    rows = max(3, height)
    step = max(1, math.ceil((hi - lo) / max(1, rows // 2)))
    labels = {}
    for e in range(hi, lo - 1, -step):
        r = round((hi - e) / (hi - lo) * (rows - 1))
        labels.setdefault(r, decade(e))
    label_w = max(len(v) for v in labels.values())
    cols = max(8, width - label_w - 2)
    grid = [[(" ", "")] * cols for _ in range(rows)]
    for _, marker, style, vals in series:
        for c, v in enumerate(bucket_max(list(vals), cols)):
            if v is None or math.isnan(v):
                continue
            if v == -math.inf:
                grid[rows - 1][c] = ("0", "zero")
                continue
            r = round((hi - v) / (hi - lo) * (rows - 1))
            clash = grid[r][c][0] not in (" ", marker)
            grid[r][c] = ("◆", "overlap") if clash else (marker, style)
    out = [[(f" {marker} ", style), (f"{label}  ", "")] for label, marker, style, _ in series]
    lines = [[seg for pair in out for seg in pair]]
    for r in range(rows):
        label = labels.get(r, "")
        line = [(label.rjust(label_w) + (" ┤" if label else " │"), "muted")]
        line.extend(grid[r])
        lines.append(line)
    steps = max(len(v) for _, _, _, v in series)
    left, right = "t=1", f"t={steps}"
    lines.append([(" " * (label_w + 2) + left + " " * max(1, cols - len(left) - len(right))
                   + right, "muted")])
    return lines


def measure_summary_rows(result) -> list[list[str]]:
    """One row per layer of a measurement, as plain text cells: layer, dL/dh at 1 and T,
    factor, horizon, verdict, spectral radius, gate."""

    rows = []
    for layer in result.layers:
        gate = ""
        if layer.gate_means:
            key = "forget" if "forget" in layer.gate_means else "update"
            if key in layer.gate_means:
                gate = f"{key} {layer.gate_means[key]:.3f}"
        rows.append([str(layer.index), format_log10(layer.log10_grad_h[0], 2),
                     format_log10(layer.log10_grad_h[-1], 2), factor_short(layer.factor),
                     horizon_short(layer.vanishing_horizon, result.steps),
                     verdict_text(layer.verdict), f"{layer.spectral_radius:.3f}", gate])
    return rows


# -- the Watch screen's figures -----------------------------------------------------------------
def ramp_for_arrays(arrays, span_cap: int = 400) -> Ramp:
    """``ramp_for`` over numpy arrays of log10 values (fast for many long rows)."""
    import numpy as np  # numpy: loaded when first needed

    hi, lo = -math.inf, math.inf
    for a in arrays:
        if a is None or len(a) == 0:
            continue
        finite = np.asarray(a, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            hi, lo = max(hi, float(finite.max())), min(lo, float(finite.min()))
    if hi == -math.inf:
        return Ramp(top=1, band=1)
    top = math.floor(hi) + 1
    span = max(1, min(span_cap, top - math.floor(lo)))
    return Ramp(top=top, band=max(1, math.ceil(span / len(RAMP))))


def expand_bins(values, bins):
    """A binned row back to one value per timestep (each bin's value repeated), so axes
    and columns count real timesteps; a numpy array."""
    import numpy as np  # numpy: loaded when first needed

    arr = np.asarray(values, dtype=float)
    if bins is None:
        return arr
    return np.repeat(arr, np.diff(np.asarray(bins)))


def spark(values, width: int) -> str:
    """A one-line sparkline of plain numbers (nan and inf left out), low to high over
    the glyph ramp; '' when nothing finite."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite or width < 1:
        return ""
    lo, hi = min(finite), max(finite)
    cells = []
    n = len(values)
    for c in range(min(width, n)):
        a, b = c * n // min(width, n), max(c * n // min(width, n) + 1, (c + 1) * n // min(width, n))
        chunk = [v for v in values[a:b] if v is not None and math.isfinite(v)]
        if not chunk:
            cells.append(" ")
            continue
        v = chunk[-1]
        k = 0 if hi == lo else int(round((v - lo) / (hi - lo) * (len(RAMP) - 1)))
        cells.append(RAMP[k])
    return "".join(cells)


def change(first, last, fmt) -> str:
    """'0.812→0.934', or one value when both are the same."""
    a, b = fmt(first), fmt(last)
    return a if a == b else f"{a}→{b}"
