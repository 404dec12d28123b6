"""PlotCanvas: points and curves on a text canvas with labelled axes.

Curves (a unit circle, a line through points) are drawn with braille dots, two
by four to a cell, so they look smooth at any size; points are drawn as marker
characters on top, each series with its own marker and a legend, so nothing
depends on colour. ``equal_aspect`` keeps circles round (a braille dot is about
as wide as it is tall). Reference lines (y = 0, x = current value) are drawn as
dim dashes with a short label.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..present.styles import CLI_PALETTE, Palette, app_palette
from .log_chart import append_y_axis

BRAILLE_BASE = 0x2800
# Bit for the dot at (column dx in 0..1, row dy in 0..3) of a braille cell.
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


@dataclass(frozen=True)
class PlotSeries:
    label: str
    points: tuple[tuple[float, float], ...]
    marker: str = "●"  # a character per point; "" draws braille dots instead
    style: str = "series1"  # a role of vgtui.present.styles, drawn in the theme's colour
    join: bool = False  # braille segments between consecutive points


@dataclass(frozen=True)
class RefLine:
    axis: str  # "x" (vertical line at x = value) or "y" (horizontal line at y = value)
    value: float
    label: str = ""


def nice_ticks(lo: float, hi: float, count: int) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or count < 2:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step and len(ticks) < 50:
        ticks.append(0.0 if abs(v) < 1e-12 * step else v)
        v += step
    return ticks


def tick_text(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}"
    return f"{v:g}" if len(f"{v:g}") <= 6 else f"{v:.3g}"


class PlotCanvas(Widget):
    """Scatter points and braille curves in x-y coordinates, with ticks and a legend."""

    DEFAULT_CSS = """
    PlotCanvas { height: 14; min-height: 6; }
    """

    plot = reactive(None, layout=False)

    def __init__(self, *, empty_text: str = "computing...", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.empty_text = empty_text

    def set_plot(self, *series: PlotSeries, x_range: tuple[float, float] | None = None,
                 y_range: tuple[float, float] | None = None, equal_aspect: bool = False,
                 lines: tuple[RefLine, ...] = (), x_label: str = "x", y_label: str = "y") -> None:
        self.plot = (tuple(series), x_range, y_range, equal_aspect, tuple(lines), x_label, y_label)

    # -- geometry -----------------------------------------------------------------
    @staticmethod
    def _ranges(series, x_range, y_range, lines):
        xs = [p[0] for s in series for p in s.points if math.isfinite(p[0])]
        ys = [p[1] for s in series for p in s.points if math.isfinite(p[1])]
        xs += [ln.value for ln in lines if ln.axis == "x" and math.isfinite(ln.value)]
        ys += [ln.value for ln in lines if ln.axis == "y" and math.isfinite(ln.value)]
        if x_range is None:
            x_range = (min(xs), max(xs)) if xs else (0.0, 1.0)
        if y_range is None:
            y_range = (min(ys), max(ys)) if ys else (0.0, 1.0)
        (x0, x1), (y0, y1) = x_range, y_range
        if x1 - x0 <= 0:
            x0, x1 = x0 - 0.5 * max(1.0, abs(x0)), x1 + 0.5 * max(1.0, abs(x1))
        if y1 - y0 <= 0:
            y0, y1 = y0 - 0.5 * max(1.0, abs(y0)), y1 + 0.5 * max(1.0, abs(y1))
        return x0, x1, y0, y1

    def render(self) -> Text:
        return draw_plot(self.plot, self.size.width, self.size.height, self.empty_text,
                         app_palette(self))


EIGHTHS = " ▁▂▃▄▅▆▇█"


def bucket_means(values: list[float], cells: int) -> list[float]:
    """Means of ``values`` split evenly into ``cells`` buckets (nan where a bucket has
    nothing finite)."""
    n = len(values)
    out = []
    for c in range(min(cells, n)):
        lo = c * n // min(cells, n)
        hi = max(lo + 1, (c + 1) * n // min(cells, n))
        chunk = [v for v in values[lo:hi] if math.isfinite(v)]
        out.append(sum(chunk) / len(chunk) if chunk else math.nan)
    return out


class FixedSparkline(Widget):
    """A sparkline on a fixed 0..top scale, so two strips (or two runs) compare by eye.

    Textual's Sparkline stretches its own min..max over the full height; a share
    that only moves between 0.26 and 0.30 would then look like it swings from empty
    to full. nan values are drawn as '·'.
    """

    DEFAULT_CSS = """
    FixedSparkline { height: 2; }
    """

    data = reactive((), layout=False)

    def set_values(self, values, top: float) -> None:
        self.top = float(top)
        self.data = tuple(float(v) for v in values)

    def render(self) -> Text:
        width, height = self.size.width, max(1, self.size.height)
        top = getattr(self, "top", 1.0)
        if not self.data or width < 1:
            return Text("")
        means = bucket_means(list(self.data), width)
        rows = [[" "] * len(means) for _ in range(height)]
        for c, v in enumerate(means):
            if math.isnan(v):
                rows[-1][c] = "·"
                continue
            level = 0 if top <= 0 else int(round(8 * height * min(1.0, max(0.0, v / top))))
            for r in range(height):
                part = level - (height - 1 - r) * 8
                if part > 0:
                    rows[r][c] = EIGHTHS[min(8, part)]
        return Text("\n".join("".join(row) for row in rows),
                    style=app_palette(self).style("series1"))


def draw_plot(plot, width: int, height: int, empty_text: str = "computing...",
              palette: Palette = CLI_PALETTE) -> Text:
    """The plot as Text; ``palette`` turns the series' roles into styles."""
    if plot is None:
        return Text(empty_text, style="dim")
    series, x_range, y_range, equal, lines, x_label, y_label = plot
    if width < 16 or height < 5:
        return Text("(too small to draw)", style="dim")
    x0, x1, y0, y1 = PlotCanvas._ranges(series, x_range, y_range, lines)
    legend = 1
    rows = height - 1 - legend
    y_ticks = nice_ticks(y0, y1, max(2, rows // 3))
    label_w = max(len(tick_text(t)) for t in y_ticks + [y0, y1]) if y_ticks else 4
    cols = width - label_w - 2
    if cols < 8 or rows < 3:
        return Text("(too small to draw)", style="dim")
    if equal:
        # dots are square: x units per dot == y units per dot; widen one range
        per_dot = max((x1 - x0) / (2 * cols), (y1 - y0) / (4 * rows))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        x0, x1 = cx - per_dot * cols, cx + per_dot * cols
        y0, y1 = cy - per_dot * 2 * rows, cy + per_dot * 2 * rows
        y_ticks = nice_ticks(y0, y1, max(2, rows // 3))

    def dot(x: float, y: float):
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        fx = (x - x0) / (x1 - x0) * (2 * cols)
        fy = (y1 - y) / (y1 - y0) * (4 * rows)
        ix, iy = int(math.floor(fx)), int(math.floor(fy))
        ix = min(ix, 2 * cols - 1) if ix == 2 * cols else ix
        iy = min(iy, 4 * rows - 1) if iy == 4 * rows else iy
        if 0 <= ix < 2 * cols and 0 <= iy < 4 * rows:
            return ix, iy
        return None

    bits = [[0] * cols for _ in range(rows)]
    bit_style = [[""] * cols for _ in range(rows)]
    marks: dict[tuple[int, int], tuple[str, str]] = {}
    clipped = 0

    def put_dot(x, y, style):
        d = dot(x, y)
        if d is None:
            return
        ix, iy = d
        bits[iy // 4][ix // 2] |= DOT_BITS[iy % 4][ix % 2]
        bit_style[iy // 4][ix // 2] = style

    for s in series:
        pts = [p for p in s.points if math.isfinite(p[0]) and math.isfinite(p[1])]
        if s.join:
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                a, b = dot(ax, ay), dot(bx, by)
                steps = 2 * max(1, abs((a or (0, 0))[0] - (b or (0, 0))[0]),
                                abs((a or (0, 0))[1] - (b or (0, 0))[1]))
                steps = min(steps, 4 * (cols + rows))
                for i in range(steps + 1):
                    f = i / steps
                    put_dot(ax + (bx - ax) * f, ay + (by - ay) * f, palette.style(s.style))
        for x, y in pts:
            if not s.marker:
                put_dot(x, y, palette.style(s.style))
                continue
            d = dot(x, y)
            if d is None:
                clipped += 1
                continue
            cell = (d[1] // 4, d[0] // 2)
            prev = marks.get(cell)
            if prev is not None and prev[0] != s.marker:
                marks[cell] = ("◆", palette.style("overlap"))
            else:
                marks[cell] = (s.marker, palette.style(s.style))

    ref_cells: dict[tuple[int, int], str] = {}
    ref_labels: dict[tuple[int, int], str] = {}

    def place_label(label: str, spots: list[tuple[int, int]]) -> None:
        """Write ``label`` at the first (row, start) where it hides no point, curve or
        other label (on a narrow plot the first choice often would), else at the spot
        where it hides least."""
        def hidden(spot: tuple[int, int]) -> int:
            r, start = spot
            # a label wider than the plot is cut at its right edge (a narrow terminal)
            return sum(1 for i in range(min(len(label), cols - start))
                       if (r, start + i) in marks or (r, start + i) in ref_labels
                       or bits[r][start + i])
        spots = [(r, max(0, min(start, cols - len(label)))) for r, start in spots
                 if 0 <= r < rows]
        if not spots:
            return
        r, start = min(spots, key=lambda spot: (hidden(spot) > 0, hidden(spot)))
        for i, ch in enumerate(label[:cols]):
            ref_labels[(r, start + i)] = ch

    labels_to_place = []
    for ln in lines:
        if ln.axis == "y":
            d = dot(x0, ln.value)
            if d is None:
                continue
            r = d[1] // 4
            for c in range(cols):
                ref_cells.setdefault((r, c), "┄")
            if ln.label:
                right, left = cols - len(ln.label) - 1, 0
                labels_to_place.append((ln.label, [(r, right), (r, left), (r - 1, right),
                                                   (r + 1, right), (r - 1, left),
                                                   (r + 1, left)]))
        else:
            d = dot(ln.value, y0 + 1e-12 * (y1 - y0))
            if d is None:
                continue
            c = d[0] // 2
            for r in range(rows):
                ref_cells[(r, c)] = "┼" if ref_cells.get((r, c)) == "┄" else "┆"
            if ln.label:
                centred, before = c - len(ln.label) // 2, c - len(ln.label) - 1
                labels_to_place.append((ln.label, [(0, centred), (0, before), (1, before),
                                                   (rows - 1, before), (rows - 1, centred)]))
    for label, spots in labels_to_place:
        place_label(label, spots)

    tick_rows: dict[int, str] = {}
    for t in y_ticks:
        d = dot(x0, t)
        if d is not None:
            tick_rows.setdefault(d[1] // 4, tick_text(t))

    text = Text(no_wrap=True, overflow="crop")
    for s in series:
        text.append(f" {s.marker or '⠿'} ", style=palette.style(s.style))
        text.append(s.label + " ")
    if any(m[0] == "◆" for m in marks.values()):
        text.append(" ◆ ", style=palette.style("overlap"))
        text.append("overlap ")
    if clipped:
        text.append(f" ({clipped} off the chart)", style="dim")
    text.append("\n")
    for r in range(rows):
        append_y_axis(text, tick_rows.get(r, ""), label_w)
        for c in range(cols):
            if (r, c) in marks:
                ch, st = marks[(r, c)]
                text.append(ch, style=st)
            elif (r, c) in ref_labels:
                text.append(ref_labels[(r, c)], style="italic")
            elif bits[r][c]:
                text.append(chr(BRAILLE_BASE + bits[r][c]), style=bit_style[r][c] or None)
            elif (r, c) in ref_cells:
                text.append(ref_cells[(r, c)], style="dim")
            else:
                text.append(" ")
        text.append("\n")
    left, right = f"{x_label}={tick_text(x0)}", f"{x_label}={tick_text(x1)}"
    gap = max(1, cols - len(left) - len(right))
    text.append(" " * (label_w + 2) + left + " " * gap + right, style="dim")
    if y_label:
        text.append(f"   ({y_label} up)", style="dim")
    return text
