"""LogChart: series of log10 magnitudes drawn on a decade axis.

Textual's Sparkline is one row with no axis; gradients need several rows and
decade labels (1e-05, 1e-3000) on a log scale, and two series on one chart for
a bound against a measurement. Values arrive already as log10, so the chart
never touches a float that could under- or overflow.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..present.styles import CLI_PALETTE, Palette, app_palette

EIGHTHS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Series:
    label: str
    log10_values: tuple[float, ...]
    marker: str = "●"
    style: str = "series1"  # a role of vgtui.present.styles, drawn in the theme's colour


def decade_label(exponent: int) -> str:
    return f"1e{exponent:+03d}" if abs(exponent) < 100 else f"1e{exponent:+d}"


def append_y_axis(text: Text, label: str, width: int) -> None:
    """The left edge of a chart row: its y label (if any) right-aligned in ``width``,
    then the axis, ticked where the row is labelled."""
    text.append(label.rjust(width), style="dim")
    text.append(" ┤" if label else " │", style="dim")


def nice_step(span: float, max_ticks: int) -> int:
    """A tick spacing in decades from 1, 2, 5 x 10^k giving at most max_ticks ticks."""
    max_ticks = max(1, max_ticks)
    raw = max(span / max_ticks, 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return max(1, int(m * power))
    return max(1, int(10 * power))


def bucket(values: list[float], columns: int) -> list[float]:
    """Average log10 values into ``columns`` buckets (or spread them out if fewer)."""
    n = len(values)
    if n == 0 or columns <= 0:
        return []
    out = []
    for c in range(columns):
        lo = c * n // columns
        hi = max(lo + 1, (c + 1) * n // columns)
        chunk = [v for v in values[lo:hi] if not math.isnan(v)]
        finite = [v for v in chunk if math.isfinite(v)]
        if finite:
            out.append(sum(finite) / len(finite))
        elif chunk:
            out.append(chunk[0])  # all -inf (exact zero) or +inf
        else:
            out.append(math.nan)
    return out


class LogChart(Widget):
    """A bar chart (one series) or point chart (several) of log10 values over t."""

    DEFAULT_CSS = """
    LogChart { height: 10; min-height: 5; }
    """

    series: reactive[tuple[Series, ...]] = reactive((), layout=False)
    x_label = reactive("t")

    def __init__(self, *, x_label: str = "t", x_start: int = 1, empty_text: str = "computing...",
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.x_label = x_label
        self.x_start = x_start
        self.empty_text = empty_text

    def set_series(self, *series: Series, x_start: int = 1) -> None:
        self.x_start = x_start
        self.series = tuple(series)

    def render(self) -> Text:
        return draw_log_chart(self.series, self.size.width, self.size.height, self.x_label,
                              self.x_start, self.empty_text, app_palette(self))


def draw_log_chart(series: tuple, width: int, height: int, x_label: str = "t", x_start: int = 1,
                   empty_text: str = "computing...",
                   palette: Palette = CLI_PALETTE) -> Text:
    """The chart as Text; ``palette`` turns the series' roles into styles (the app's
    theme, or the command line's colours)."""
    if not series or width < 12 or height < 3:
        return Text(empty_text, style="dim")
    multi = len(series) > 1
    legend_rows = 1 if multi else 0
    rows = max(1, height - 1 - legend_rows)
    finite = [v for s in series for v in s.log10_values if math.isfinite(v)]
    if not finite:
        return Text("no finite values to draw (every gradient is exactly 0 or not finite)",
                    style="dim")
    lo, hi = math.floor(min(finite)), math.ceil(max(finite))
    if hi - lo < 1:
        lo, hi = lo - 1, hi + 1
    step = nice_step(hi - lo, max(1, rows // 2))
    label_w = max(len(decade_label(lo)), len(decade_label(hi)))
    plot_w = max(4, width - label_w - 2)
    length = len(series[0].log10_values)
    columns = plot_w  # short series are stretched so the chart keeps its width
    cells = [[" "] * columns for _ in range(rows)]
    styles = [[""] * columns for _ in range(rows)]
    notes = []
    for s in series:
        values = bucket(list(s.log10_values), columns)
        for c, v in enumerate(values):
            if math.isnan(v):
                cells[rows - 1][c], styles[rows - 1][c] = "?", palette.style("undefined")
                continue
            if v == -math.inf:
                cells[rows - 1][c], styles[rows - 1][c] = "0", palette.style("zero")
                if "0 = exactly zero" not in notes:
                    notes.append("0 = exactly zero")
                continue
            frac = (min(max(v, lo), hi) - lo) / (hi - lo)
            if multi:
                r = rows - 1 - min(rows - 1, int(round(frac * (rows - 1))))
                clash = cells[r][c] not in (" ", s.marker)
                cells[r][c] = "◆" if clash else s.marker
                styles[r][c] = palette.style("overlap") if clash else palette.style(s.style)
            else:
                eighths = int(round(frac * rows * 8))
                for r in range(rows):
                    level = eighths - (rows - 1 - r) * 8
                    if level > 0:
                        cells[r][c] = EIGHTHS[min(8, level)]
                        styles[r][c] = palette.style(s.style)
    tick_rows = {}
    for e in range(step * math.ceil(lo / step), int(hi) + 1, step):
        frac = (e - lo) / (hi - lo)
        r = rows - 1 - min(rows - 1, int(round(frac * (rows - 1))))
        tick_rows.setdefault(r, decade_label(e))
    text = Text(no_wrap=True, overflow="crop")
    if multi:
        for s in series:
            text.append(f" {s.marker} ", style=palette.style(s.style))
            text.append(s.label + " ")
        if any(c == "◆" for row in cells for c in row):
            text.append(" ◆ ", style=palette.style("overlap"))
            text.append("overlap")
        text.append("\n")
    for r in range(rows):
        append_y_axis(text, tick_rows.get(r, ""), label_w)
        # One span per run of a style, not one per cell: a chart of 80 columns had some
        # 600 spans to lay out and draw on every frame.
        row, row_styles, c = cells[r], styles[r], 0
        while c < columns:
            style, end = row_styles[c], c + 1
            while end < columns and row_styles[end] == style:
                end += 1
            text.append("".join(row[c:end]), style=style or None)
            c = end
        text.append("\n")
    first, last = x_start, x_start + length - 1
    axis = f"{x_label}={first}"
    right = f"{x_label}={last}"
    gap = max(1, columns - len(axis) - len(right))
    footer = " " * (label_w + 2) + axis + " " * gap + right
    if notes:
        footer += "   " + "; ".join(notes)
    text.append(footer, style="dim")
    return text
