"""The charts of the screens, built from engine results in one place.

A screen hands a chart's series to its widget (LogChart, LinePlot, PlotCanvas); a lookup's
``--plot`` draws the same chart with the same drawing code (``draw_log_chart``,
``draw_line_plot``, ``draw_plot``) into a rich Text of the terminal's width and prints
it. So the picture over SSH is the picture on the screen. Series name roles of
vgtui.present.styles, never colours: the app draws them in its theme, the CLI in the
terminal's ANSI colours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.text import Text

from ..present.styles import CLI_PALETTE, Palette
from ..present.watch import bucket_max, expand_bins
from .line_plot import Curve, draw_line_plot
from .log_chart import Series, draw_log_chart
from .plane import PlotSeries, RefLine, draw_plot

LAYER_STYLES = ("series1", "series3", "series2", "series4", "series5")
ARCH_STYLES = {"rnn": "series5", "lstm": "series1", "gru": "series3",
               "residual": "series6", "attention": "series2", "ssm": "series4"}
CIRCLE_POINTS = 720
ACTIVATION_RANGE = (-5.0, 5.0)


@dataclass(frozen=True)
class Chart:
    """One chart: a log chart of series, a line plot of a curve, or an x-y plot."""

    title: str
    kind: str  # "log", "line" or "plane"
    series: tuple = ()  # log: Series
    x_label: str = "t"
    x_start: int = 1
    curve: Curve | None = None  # line
    plane: dict = field(default_factory=dict)  # plane: PlotCanvas.set_plot's arguments
    height: int = 12

    def draw(self, width: int, height: int | None = None,
             palette: Palette = CLI_PALETTE) -> Text:
        rows = height or self.height
        if self.kind == "log":
            return draw_log_chart(self.series, width, rows, self.x_label, self.x_start,
                                  palette=palette)
        if self.kind == "line":
            return draw_line_plot(self.curve, width, rows, palette=palette)
        p = self.plane
        return draw_plot((tuple(p["series"]), p.get("x_range"), p.get("y_range"),
                          p.get("equal_aspect", False), tuple(p.get("lines", ())),
                          p.get("x_label", "x"), p.get("y_label", "y")), width, rows,
                         palette=palette)


def flow_chart(r) -> Chart:
    """||dL/dh_t|| per step; per layer (and the LSTM cell's dL/dc) for stacks."""
    stacked = hasattr(r, "layers") and isinstance(r.layers, list)
    if stacked and (len(r.layers) > 1 or r.log10_grad_c is not None):
        if len(r.layers) > 1:
            series = [Series(f"layer {layer.index}", tuple(layer.log10_grad_h),
                             str(layer.index % 10),
                             LAYER_STYLES[(layer.index - 1) % len(LAYER_STYLES)])
                      for layer in r.layers]
        else:
            series = [Series("||dL/dh_t||", tuple(r.log10_grad_h), "h", "series1")]
        if r.log10_grad_c is not None:
            series.append(Series("dL/dc top", tuple(r.log10_grad_c), "c", "series6"))
    else:
        series = [Series("||dL/dh_t||", tuple(r.log10_grad_h), "█", "series1")]
    return Chart("||dL/dh_t|| per step t (log scale)", "log", tuple(series))


def chain_chart(trace, upto: int | None = None) -> Chart:
    p = trace.steps if upto is None else upto
    return Chart("|dh_t/dh_0| against |w^t| (log scale)", "log", (
        Series("|dh_t/dh_0|", tuple(float(v) for v in trace.cum_log10[:p]), "●", "series1"),
        Series("|w^t|", tuple(float(v) for v in trace.lin_log10[:p]), "○", "series2")))


def jacobian_charts(r) -> tuple[Chart, Chart]:
    norm = Chart("||dh_T/dh_t||₂ per t (log scale)", "log",
                 (Series("||dh_T/dh_t||₂", tuple(r.log10_product_norm), "█", "series1"),))
    sv = r.log10_singular_values
    n = sv.shape[1]
    series = [Series("s1", tuple(sv[:, 0]), "●", "series1")]
    for i, (mark, style) in enumerate((("▲", "series2"), ("■", "series3")), start=1):
        if n > i:
            series.append(Series(f"s{i + 1}", tuple(sv[:, i]), mark, style))
    if n > 3:
        smallest = []
        for row in sv:
            ok = row[~(row != row)]  # drop nan (below the precision floor)
            smallest.append(float(ok[-1]) if ok.size else math.nan)
        series.append(Series("smallest resolved", tuple(smallest), "○", "reference"))
    return norm, Chart("singular values of dh_T/dh_t (log scale)", "log", tuple(series))


def bound_chart(r) -> Chart:
    return Chart("measured against the bound and the typical curve (log scale)", "log", (
        Series("measured ||dh_T/dh_t||₂", tuple(r.log10_product_norm), "●", "series1"),
        Series("bound (max|f'| ||W||₂)^(T-t)", tuple(r.log10_bound), "▲", "series5"),
        Series("typical (mean|f'| ||W||₂)^(T-t)", tuple(r.log10_typical), "○", "reference")))


def clip_chart(r, title: str = "each step's share of the gradient, before and after "
               "clipping (log scale)") -> Chart:
    return Chart(title, "log", (
        Series("before", tuple(r.log10_contribution), "●", "series1"),
        Series("after", tuple(r.log10_contribution_after), "○", "series3")))


def compare_chart(result) -> Chart:
    from ..engine.architectures import MARKERS, SHORT  # numpy: only this chart needs it

    return Chart("||dL/dx_t|| at each input position (log scale)", "log", tuple(
        Series(SHORT[t.key], tuple(t.log10_grad), MARKERS[t.key], ARCH_STYLES[t.key])
        for t in result.traces), height=14)


def lyapunov_chart(sweep, scale: float | None = None) -> Chart:
    rows = sorted(sweep.rows, key=lambda r: r.scale)
    pts = tuple((r.scale, r.exponent) for r in rows if math.isfinite(r.exponent))
    lines = [RefLine("y", 0.0, "λ = 0: edge of chaos")]
    if scale is not None:
        lines.append(RefLine("x", scale, f"scale {scale:g}"))
    lows = [p[1] for p in pts] + [0.0]
    span = (min(lows), max(max(lows), 0.0))
    pad = 0.1 * max(1e-3, span[1] - span[0])
    return Chart("largest Lyapunov exponent against the weight scale", "plane", plane=dict(
        series=(PlotSeries("exponent (nats/step) ▲ > 0 chaotic, ▼ < 0 contracting", pts, "●",
                           "series1", join=True),),
        y_range=(span[0] - pad, span[1] + pad), lines=tuple(lines), x_label="scale",
        y_label="exponent"), height=14)


def eigenvalue_chart(rep, init: str) -> Chart:
    e = rep.entry(init)
    circle = tuple((math.cos(2 * math.pi * i / CIRCLE_POINTS),
                    math.sin(2 * math.pi * i / CIRCLE_POINTS)) for i in range(CIRCLE_POINTS))
    eig = tuple((float(v.real), float(v.imag)) for v in e.eigenvalues)
    reach = max(1.05, 1.05 * e.spectral_radius)
    outside = int(sum(1 for v in e.eigenvalues if abs(v) > 1 + 1e-9))
    return Chart(f"eigenvalues of W_hh ({e.init}) and the unit circle", "plane", plane=dict(
        series=(PlotSeries("unit circle |z| = 1", circle, "", "muted"),
                PlotSeries(f"eigenvalues of {e.init} ({outside} of {rep.hidden} outside)", eig,
                           "●", "series1")),
        x_range=(-reach, reach), y_range=(-reach, reach), equal_aspect=True,
        lines=(RefLine("x", 0.0), RefLine("y", 0.0)), x_label="Re", y_label="Im"), height=20)


def power_chart(rep, first: str, others: tuple[str, ...] = ("orthogonal", "shear")) -> Chart:
    """||W^k v|| for the init shown in the plane, the orthogonal one and the shear example
    (engine.spectrum.NON_NORMAL)."""
    shown = [first] + [i for i in others if i != first and i in {e.init for e in rep.entries}]
    marks = (("●", "series1"), ("○", "series3"), ("▲", "series2"))
    return Chart("||W^k v|| over k (log scale)", "log",
                 tuple(Series(i, tuple(rep.entry(i).log10_power), m, s)
                       for i, (m, s) in zip(shown, marks)), x_label="k", x_start=0)


def activation_charts(kind: str, spread: float, leaky_slope: float) -> tuple[Chart, ...]:
    """f, f' and the density of z ~ N(0, s^2) over [-5, 5], marks at -s and +s."""
    from ..engine import closed_form as cf  # numpy: only these charts need it

    c = cf.curve(kind, *ACTIVATION_RANGE, leaky_slope=leaky_slope)
    s = spread
    marks = ((-s, "-s"), (s, "+s")) if 0 < s <= ACTIVATION_RANGE[1] else ()
    title = cf.ACTIVATION_TITLES[kind]
    density = cf.normal_density(c.z, s)
    return (Chart(f"f(z) = {title}(z)", "line", curve=Curve(tuple(c.z), tuple(c.f), "f", marks),
                  height=8),
            Chart(f"f'(z) of {title}", "line",
                  curve=Curve(tuple(c.z), tuple(c.df), "f'", marks), height=8),
            Chart(f"density of z ~ N(0, {s:g}^2)", "line",
                  curve=Curve(tuple(c.z), tuple(density), "density", marks), height=6))


def watch_chart(view, layer: int = 0, quantity: str = "h", index: int | None = None,
                word: str = "step ") -> Chart | None:
    """A watched run's gradient per timestep at one record (the latest when ``index`` is
    None) beside the first record's, faint: the Watch panel's chart. None while the log
    has no record of that quantity."""
    from ..engine.watchlog import QUANTITY_AXIS, QUANTITY_TITLES  # numpy: only Watch needs it

    if not view.rows or view.first is None or not view.has_quantity(quantity):
        return None
    layer = min(layer, view.layers - 1)
    record = view.rows[len(view.rows) - 1 if index is None else index]
    first = view.first
    now = expand_bins(record.values(layer, quantity), record.bins)
    was = expand_bins(first.values(layer, quantity), first.bins)
    if len(was) != len(now):  # sequences of another length: compare by position
        was = bucket_max(was, len(now))
    title = (f"{QUANTITY_TITLES[quantity]} per {QUANTITY_AXIS[quantity]} (log scale), "
             f"layer {layer + 1}: training step {record.step} against step {first.step}")
    return Chart(title, "log", (
        Series(f"{word}{first.step}", tuple(float(v) for v in was), "·", "muted"),
        Series(f"{word}{record.step}", tuple(float(v) for v in now), "●", "series1")),
        x_label=QUANTITY_AXIS[quantity], x_start=0 if quantity == "lag" else 1)


def log10_or_marks(values) -> tuple[float, ...]:
    """log10 of each value: -inf for an exact 0 (drawn as such), nan for one undefined."""
    return tuple(math.log10(float(v)) if v > 0 else (-math.inf if v == 0 else math.nan)
                 for v in values)


def training_profile_chart(run) -> Chart:
    """One trained run's ||dl/dx_t|| per input step t, at initialisation and after
    training (the Experiments screen's run chart)."""
    return Chart(f"{run.arch} T={run.length} seed {run.seed}: ||dl/dx_t|| per input step t "
                 "(log scale), before and after training", "log", (
                     Series("before training", log10_or_marks(run.grad_profile_init), "○",
                            "series6"),
                     Series("after training", log10_or_marks(run.grad_profile), "●",
                            "series1")), height=8)
