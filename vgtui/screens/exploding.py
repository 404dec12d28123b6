"""Exploding & clipping: gradients that grow going back, the Lyapunov exponent, clipping.

Left: presets, RNN settings, the clipping threshold tau and the scales of the
Lyapunov sweep. Right: ||dL/dh_t|| per step, the largest Lyapunov exponent against
the weight scale with the edge of chaos marked, clipping by norm on this network and
on a vanishing reference, and a vanishing-vs-exploding comparison.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.table import Table
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Static

from ..engine.articles import ARTICLE_GROWTH
from ..engine.bound import gradient_bound_log10
from ..engine.clipping import clip_gradients
from ..engine.config import RNNConfig
from ..engine.flow import run_flow
from ..engine.lists import parse_scale_sweep
from ..engine.lyapunov import lyapunov_sweep
from ..engine.magnitude import format_log10
from ..present.exploding import lyapunov_lines
from ..present.regimes import gradient_verdict_text as verdict_text
from ..present.regimes import horizon_text, per_step
from ..topics import topic
from ..widgets.charts import clip_chart, lyapunov_chart
from ..widgets.log_chart import LogChart, Series
from ..widgets.plane import PlotCanvas
from ..widgets.tables import FitTable
from .config_page import Job
from .rnn_page import RNNPage, RNNSettings, extra_field

DEFAULT_SCALES = "0.5:3:11"






def reference_config(config: RNNConfig) -> RNNConfig:
    """The vanishing reference: the same sizes, inputs and seed, but sigmoid at scale 1."""
    return config.replace(activation="sigmoid", init="gaussian", scale=1.0, init_noise=0.0)


PRESETS = topic("exploding").presets

SYMPTOMS = (
    ("going back in time", "shrinks by a steady factor per step, soon below any useful size",
     "grows by a steady factor per step, can overflow to inf or nan"),
    ("per-step factor", "below 1; ||W_hh||·max|f'| < 1 makes it certain",
     "above 1; only possible when ||W_hh||·max|f'| > 1"),
    ("during training", "loss stalls early; long-range structure is never picked up",
     "loss spikes or jumps; weights take huge steps or become nan"),
    ("how you find out", "quietly: no error, the model just ignores distant inputs",
     "loudly: overflow, nan, a loss curve that leaps"),
    ("usual remedy", "change the cell: gates (LSTM, GRU), skip paths, careful init",
     "clip the gradient norm; a smaller learning rate"),
    ("does clipping help?", "no: it can only shrink a gradient, never enlarge it",
     "yes: it caps the size of the update"),
)

HELP = """\
**What it shows.** The exploding side. When `W_hh` stretches more than the activation
derivatives squeeze, each step back multiplies the gradient by more than 1.

**How to read it.**
- *chart*: `||dL/dh_t||` per step (L = sum(h_T), as on Gradient Flow), log scale. Bars
  rising to the left mean the gradient grows going back.
- *Lyapunov exponent*: the average log-stretch per step of a small change in `h` pushed
  forward through `J_k = diag(f'(z_k)) W_hh` (one unit tangent vector, renormalised every
  step, the first T/5 steps left out). Below 0 (▼): nearby trajectories converge and
  gradients vanish; above 0 (▲): they separate and gradients explode. The sweep runs
  every scale in one batch; the edge of chaos is where it crosses 0, interpolated in
  log(scale) between neighbouring scales (exact for a linear network, where the exponent
  is ln(scale) + a constant and the edge is 1/ρ(W_hh at scale 1)). The dashed vertical line marks this screen's scale.
- *clipping by norm*: the whole parameter gradient `g` (over `W_hh`, `W_xh`, `b`) is
  multiplied by `min(1, tau / ||g||)`. "Step share" is the size of step t's term of that
  gradient, `||dL/dz_t|| * sqrt(||h_(t-1)||^2 + ||x_t||^2 + 1)` (`z_t` the
  pre-activation; JSON `log10_contribution`). Clipping moves every step's share by the same factor, so the balance between
  early and late steps is exactly what it was. The *vanishing reference* is the same
  network with sigmoid at scale 1: its early steps' shares are tiny before clipping and
  stay tiny after — when `||g|| < tau` nothing changes at all (◆ overlap on its chart).
- *symptoms*: vanishing against exploding, with this screen's measurements at the end.

**Things to try.**
- Preset *tanh, orthogonal × 3*: growth going back, exponent above 0, clipping by ×1e-8.
- Preset *4 units at 1.5* (what Chapter 16 suggests trying): compare its stated figure with the
  measurement and the bound.
- The default tau is 5: above the vanishing reference's whole gradient, so clipping leaves
  it exactly as it was. Lower tau to 1: now it is clipped too, and its early share
  shrinks further. No tau makes a share larger.
- Widen the Lyapunov scales (e.g. `0.5:6:23`) and find the crossing for sigmoid or relu.

Keys: `+`/`-` nudge the scale by 0.05, `p` cycles presets.
The same numbers: `c` shows the three commands for the settings on screen; at the
defaults they are `vgtui flow --activation tanh --init orthogonal --scale 3.0 --steps 100`,
`vgtui lyapunov --activation tanh --init orthogonal --steps 100 --scales 0.5:3:11` and
`vgtui clip --activation tanh --init orthogonal --scale 3.0 --steps 100 --tau 5`.
"""


@dataclass
class ExplodingView:
    flow: Any
    lyapunov: Any
    clip: Any
    reference: Any
    bound_log10: Any


class ExplodingScreen(RNNPage):
    SCREEN_ID = "exploding"
    TITLE = "Exploding & clipping"
    HELP = HELP
    DEMO = ("Exploding gradients: with every eigenvalue at modulus 3, the gradient grows "
            "going back in time. Further down (PageDown): the Lyapunov exponent crossing zero "
            "at the edge of chaos, and clipping, which caps the exploded gradient but leaves a "
            "vanished one just as small.")
    AUTO_FOCUS = "#exp-results"
    PREFIX = "exp"
    PRESETS = PRESETS
    DEFAULT_PRESET = "tanh-orth-3"
    LIMITS_NOTE = "Lyapunov sweep: at most 64 scales, and scales × n² × T ≤ 5e10"
    EXTRAS_TITLE = "clipping and sweep"
    EXTRA_DEFAULTS = {"tau": "5", "scales": DEFAULT_SCALES}
    DEMO_PRESET = "tanh-orth-3"
    EXTRAS = (
        extra_field("tau", "clip tau"),
        extra_field("scales", "sweep scales",
                    "weight scales for the Lyapunov sweep: '0.5,1,2' or from:to:count"),
    )


    def compose_results(self) -> ComposeResult:
        yield Static("computing the first result (torch is loading)...", id="exp-summary")
        yield Static("", id="exp-article")
        yield Label("||dL/dh_t|| per step (log scale)", classes="section")
        yield LogChart(id="exp-chart")
        yield Label("largest Lyapunov exponent vs weight scale", classes="section")
        yield PlotCanvas(id="exp-lyap-plot")
        yield Static("", id="exp-lyap-lines")
        yield FitTable(id="exp-lyap-table")
        yield Label("clipping by norm", classes="section", id="exp-clip-label")
        yield Static("", id="exp-clip-lines")
        yield FitTable(id="exp-clip-table")
        yield Label("this network: step shares before and after clipping", classes="section")
        yield LogChart(id="exp-clip-chart")
        yield Label("vanishing reference (sigmoid × 1.0): before and after", classes="section")
        yield LogChart(id="exp-clip-ref-chart")
        yield Label("vanishing vs exploding", classes="section")
        yield Static("", id="exp-symptoms")

    def setup_tables(self) -> None:
        self.query_one("#exp-lyap-table", FitTable).add_keyed_columns(
            "scale", "exponent", "", "stretch/step", "ln ρ(W)", "saturated")
        ct = self.query_one("#exp-clip-table", DataTable)
        for label in ("network", "||g|| before", "after", "factor", "step 1 share before", "after",
                      "step 1 / step T"):
            ct.add_column(label, key=label + str(len(ct.columns)))

    def compute_rnn(self, config: RNNConfig, extras: dict[str, Any], job: Job):
        tau, scales = extras["tau"], list(parse_scale_sweep(extras["scales"]))
        flow = run_flow(config, cancel=job.cancelled)
        lyap = lyapunov_sweep(config, scales, cancel=job.cancelled)
        clip, ref = clip_gradients([config, reference_config(config)], tau, cancel=job.cancelled)
        return ExplodingView(flow, lyap, clip, ref, gradient_bound_log10(flow))

    def result_status(self, result):
        f = result.flow
        return {"device": f.device, "dtype": f.dtype,
                "seconds": f.seconds + result.lyapunov.seconds + result.clip.seconds}

    def command(self, settings: RNNSettings) -> str:
        flags = settings.rnn.to_flags()
        lyap = settings.rnn.to_flags(always=("activation", "steps"), skip=("scale",))
        return (" ".join(["vgtui flow"] + flags) + " && " +
                " ".join(["vgtui lyapunov"] + lyap + [f"--scales {settings['scales']}"])
                + " && " + " ".join(["vgtui clip"] + flags + [f"--tau {settings['tau']:g}"]))

    # -- drawing --------------------------------------------------------------------
    def draw(self, v: ExplodingView) -> None:
        self._draw_flow(v)
        self._draw_lyapunov(v)
        self._draw_clip(v)
        self._draw_symptoms(v)

    def _draw_flow(self, v: ExplodingView) -> None:
        f = v.flow
        c = f.config
        g = f.log10_grad_h
        finite = [x for x in g if math.isfinite(x)]
        peak_k = max(range(len(g)), key=lambda k: g[k] if math.isfinite(g[k]) else -math.inf)
        lines = [
            f"[b]{verdict_text(f.verdict)}[/b]  {c.activation}, {c.init} W_hh × {c.scale:g}, "
            f"n={c.hidden}, T={c.steps}",
            f"spectral radius {f.spectral_radius:.4f} · spectral norm {f.spectral_norm:.4f} · "
            f"fitted factor {per_step(f.factor)} going back",
            f"largest ||dL/dh_t|| = {format_log10(max(finite)) if finite else 'n/a'} at t = "
            f"{peak_k + 1}; ||dL/dh_1|| / ||dL/dh_T|| = {format_log10(f.log10_ratio[0])}",
            f"exploding horizon (1e6): {horizon_text(f.exploding_horizon, f.steps)} · vanishing "
            f"horizon (1e-6): {horizon_text(f.vanishing_horizon, f.steps)}",
        ]
        if f.forward_overflow_step is not None:
            lines.append(f"⚠ the forward pass overflowed at step {f.forward_overflow_step}")
        self.query_one("#exp-summary", Static).update("\n".join(lines))
        self.query_one("#exp-summary").set_classes(f"verdict-{f.verdict}")
        self.query_one("#exp-chart", LogChart).set_series(
            Series("||dL/dh_t||", tuple(g), "█", "series1"))
        self.query_one("#exp-article", Static).update(self._article_note(v))

    def _article_note(self, v: ExplodingView) -> str:
        f = v.flow
        wanted = self.preset_config("four-unit-1.5").rnn
        if wanted.replace(device=f.config.device, dtype=f.config.dtype) != f.config:
            return ""
        finite = [x for x in f.log10_grad_h if math.isfinite(x)]
        measured = max(finite) if finite else math.nan
        bound = float(v.bound_log10[0])
        close = abs(measured - ARTICLE_GROWTH.stated_log10) <= 1.0
        return (f"{'≈' if close else '≠'} {ARTICLE_GROWTH.source} says gradients of about "
                f"{format_log10(ARTICLE_GROWTH.stated_log10, 0)} at early steps; computed: the "
                f"largest ||dL/dh_t|| is {format_log10(measured)}, and ||dL/dh_1|| is "
                f"{format_log10(f.log10_grad_h[0])}. The Pascanu et al. (2013) bound (max|f'|·||W_hh||₂)^(T-1)·"
                f"||dL/dh_T|| caps ||dL/dh_1|| at {format_log10(bound)} for this W_hh.")

    def _draw_lyapunov(self, v: ExplodingView) -> None:
        sweep = v.lyapunov
        rows = sorted(sweep.rows, key=lambda r: r.scale)
        plane = dict(lyapunov_chart(sweep, v.flow.config.scale).plane)
        self.query_one("#exp-lyap-plot", PlotCanvas).set_plot(*plane.pop("series"), **plane)
        self.query_one("#exp-lyap-lines", Static).update("\n".join(lyapunov_lines(sweep)))
        table = self.query_one("#exp-lyap-table", DataTable)
        table.clear()
        for r in rows:
            mark = "▲ chaotic" if r.exponent > 0 else "▼ contracting" if r.exponent < 0 else "■ edge"
            table.add_row(f"{r.scale:g}", f"{r.exponent:+.4f}", mark,
                          f"{r.factor:.4f}" if math.isfinite(r.factor) else "inf",
                          f"{math.log(r.spectral_radius):+.4f}" if r.spectral_radius > 0 else "-inf",
                          f"{100 * r.saturation:.0f}%")

    def _draw_clip(self, v: ExplodingView) -> None:
        clip, ref = v.clip, v.reference
        tau = clip.tau
        self.query_one("#exp-clip-label", Label).update(
            f"clipping by norm: g ← g · min(1, τ/||g||), τ = {tau:g}")
        lines = []
        for name, r in (("this network", clip), ("vanishing reference", ref)):
            if r.clipped:
                what = f"clipped: every step's share × {format_log10(r.log10_clip_factor)}"
            else:
                what = "not clipped (||g|| ≤ τ): every share exactly as before"
            lines.append(f"{name}: ||g|| {format_log10(r.log10_grad_norm)} → "
                         f"{format_log10(r.log10_grad_norm_after)}; {what}")
        lines.append(f"vanishing reference: step 1's share {format_log10(ref.log10_contribution[0])} "
                     f"before, {format_log10(ref.log10_contribution_after[0])} after — clipping "
                     "never makes a share larger, so a vanished gradient stays vanished")
        self.query_one("#exp-clip-lines", Static).update("\n".join(lines))
        table = self.query_one("#exp-clip-table", DataTable)
        table.clear()
        for name, r in (("this network", clip), ("vanishing reference", ref)):
            table.add_row(name, format_log10(r.log10_grad_norm), format_log10(r.log10_grad_norm_after),
                          format_log10(r.log10_clip_factor),
                          format_log10(r.log10_contribution[0]),
                          format_log10(r.log10_contribution_after[0]),
                          f"{format_log10(r.log10_first_to_last)} → "
                          f"{format_log10(r.log10_first_to_last_after)}")
        for chart, r in (("#exp-clip-chart", clip), ("#exp-clip-ref-chart", ref)):
            self.query_one(chart, LogChart).set_series(*clip_chart(r).series)

    def _draw_symptoms(self, v: ExplodingView) -> None:
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_lines=False)
        table.add_column("", style="bold", ratio=1)
        table.add_column("▼ vanishing", ratio=2)
        table.add_column("▲ exploding", ratio=2)
        for row in SYMPTOMS:
            table.add_row(*row)
        f, ref = v.flow, v.reference
        table.add_row("measured here",
                      f"reference: dL/dh_1 is "
                      f"{format_log10(ref.log10_grad_h[0] - ref.log10_grad_h[-1])} of dL/dh_T",
                      f"this network: dL/dh_1 is {format_log10(f.log10_ratio[0])} of dL/dh_T; "
                      "exponent "
                      f"{self._exponent_here(v)}")
        self.query_one("#exp-symptoms", Static).update(table)

    def _exponent_here(self, v: ExplodingView) -> str:
        for r in v.lyapunov.rows:
            if math.isclose(r.scale, v.flow.config.scale, rel_tol=1e-9, abs_tol=1e-12):
                return f"{r.exponent:+.3f}/step"
        return "(scale not in the sweep)"
