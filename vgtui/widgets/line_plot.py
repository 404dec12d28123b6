"""LinePlot: one curve y(x) drawn with braille dots on a linear axis.

Each terminal cell holds a 2 x 4 grid of braille dots, so a 40-column plot
has 80 horizontal samples. The curve is one series per plot (so nothing rests
on colour); the x axis can carry labelled marks, e.g. at z = -s and z = +s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..present.styles import CLI_PALETTE, Palette, app_palette
from .log_chart import append_y_axis

# Bit for the braille dot at (column 0..1, row 0..3) inside one cell.
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


@dataclass(frozen=True)
class Curve:
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    label: str = ""
    marks: tuple[tuple[float, str], ...] = ()  # (x, text) shown under the x axis


def _tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.1e}"
    return f"{v:.3g}"


class LinePlot(Widget):
    DEFAULT_CSS = """
    LinePlot { height: 8; min-height: 4; }
    """

    curve: reactive[Curve | None] = reactive(None, layout=False)

    def __init__(self, *, style: str = "series1", empty_text: str = "computing...",
                 include_zero: bool = True, label_width: int | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.line_style = style  # a role of vgtui.present.styles
        self.empty_text = empty_text
        self.include_zero = include_zero  # keep y = 0 inside the vertical range
        self.label_width = label_width  # fixed, so plots stacked above each other line up

    def render(self) -> Text:
        return draw_line_plot(self.curve, self.size.width, self.size.height, self.line_style,
                              self.include_zero, self.label_width, self.empty_text,
                              app_palette(self))


def draw_line_plot(curve, width: int, height: int, line_style: str = "series1",
                   include_zero: bool = True, label_width: int | None = None,
                   empty_text: str = "computing...", palette: Palette = CLI_PALETTE) -> Text:
    """The plot as Text; ``line_style`` is the curve's role, ``palette`` its style."""
    if curve is None or not curve.xs or width < 12 or height < 3:
        return Text(empty_text, style="dim")
    points = [(x, y) for x, y in zip(curve.xs, curve.ys) if math.isfinite(x) and math.isfinite(y)]
    if not points:
        return Text("no finite values to draw", style="dim")
    rows = height - 1
    lo = min(y for _, y in points)
    hi = max(y for _, y in points)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.04 * (hi - lo)
    top, bottom = hi, lo
    lo, hi = lo - pad, hi + pad
    px_h = rows * 4

    def to_py(y: float) -> int:
        return int(round((hi - y) / (hi - lo) * (px_h - 1)))

    ticks = [top, bottom]
    if rows >= 5:
        ticks.append(0.0 if bottom < 0 < top else (top + bottom) / 2)
    labels: dict[int, str] = {}
    for v in ticks:  # each label on the row where its value is drawn
        labels.setdefault(min(rows - 1, max(0, to_py(v) // 4)), _tick(v))
    label_w = max(max(len(v) for v in labels.values()), label_width or 0)
    cols = max(4, width - label_w - 2)
    x0, x1 = min(x for x, _ in points), max(x for x, _ in points)
    span_x = (x1 - x0) or 1.0
    px_w = cols * 2
    dots = [[0] * cols for _ in range(rows)]

    def put(px: int, py: int) -> None:
        if 0 <= px < px_w and 0 <= py < px_h:
            dots[py // 4][px // 2] |= _DOTS[py % 4][px % 2]

    # the value at every horizontal dot position, by linear interpolation
    prev = None
    k = 0
    for px in range(px_w):
        x = x0 + span_x * px / max(1, px_w - 1)
        while k < len(points) - 2 and points[k + 1][0] < x:
            k += 1
        (xa, ya), (xb, yb) = points[k], points[min(k + 1, len(points) - 1)]
        y = ya if xb == xa else ya + (yb - ya) * (x - xa) / (xb - xa)
        py = to_py(y)
        top, bottom = (py, py) if prev is None else (min(prev, py), max(prev, py))
        for q in range(top, bottom + 1):  # join steep parts to the previous dot
            put(px, q)
        prev = py
    zero_row = None
    if lo < 0 < hi:
        zero_row = to_py(0.0) // 4
    text = Text(no_wrap=True, overflow="crop")
    for r in range(rows):
        append_y_axis(text, labels.get(r, ""), label_w)
        for c in range(cols):
            if dots[r][c]:
                text.append(chr(0x2800 + dots[r][c]), style=palette.style(line_style))
            elif r == zero_row:
                text.append("┄", style="dim")
            else:
                text.append(" ")
        text.append("\n")
    # x axis: end labels, 0 when inside, and the curve's marks
    axis = [" "] * cols
    def place(x: float, s: str) -> None:
        c = int(round((x - x0) / span_x * (cols - 1)))
        start = min(max(0, c - len(s) // 2), cols - len(s))
        if start < 0:
            return
        for i, ch in enumerate(s):
            axis[start + i] = ch
    place(x0, _tick(x0))
    place(x1, _tick(x1))
    if x0 < 0 < x1:
        place(0.0, "0")
    for x, s in curve.marks:
        if x0 <= x <= x1:
            place(x, s)
    text.append(" " * (label_w + 2) + "".join(axis), style="dim")
    return text
