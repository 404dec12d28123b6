"""Pascanu, Mikolov & Bengio (2013) bound: the measured ||dh_T/dh_t|| against (max|f'| ||W_hh||_2)^(T-t).

Left: presets, RNN settings and the catch-22 sweep's scales. Right: the measured
norm, the bound and the typical-derivative curve on one log chart, a per-step
table, and the sweep: for each scale, does the bound allow survival, and how many
input sequences explode or vanish?
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Static

from ..engine.articles import ARTICLE_SIGMOID
from ..engine.bound import catch22_sweep
from ..engine.config import RNNConfig
from ..engine.jacobian import JACOBIAN_MAX_HIDDEN, JACOBIAN_MAX_STEPS, jacobian_run
from ..engine.lists import parse_scale_sweep
from ..engine.magnitude import format_log10
from ..present.bound import catch22_lines
from ..present.rows import shown_steps
from ..topics import topic
from ..widgets.charts import bound_chart
from ..widgets.log_chart import LogChart
from ..widgets.tables import FitTable
from .config_page import Job
from .rnn_page import RNNPage, RNNSettings, extra_field

TABLE_ROWS = 100






TANH_SWEEP = "0.25:4:16"
SIGMOID_SWEEP = "1:16:16"

PRESETS = topic("bound").presets

HELP = f"""\
**What it shows.** Pascanu, Mikolov and Bengio (2013) bound the gradient's trip back
from T to t (building on Bengio, Simard and Frasconi (1994), who proved that storing
information robustly, so that small perturbations cannot undo it, implies vanishing
gradients): with `sigma_max = max|f'|` (1 for tanh, 0.25 for sigmoid),
`||dh_T/dh_t||_2 <= (sigma_max * ||W_hh||_2)^(T-t)`. Each step's Jacobian is
`diag(f'(z_k)) W_hh`, whose norm is at most `sigma_max * ||W_hh||_2`, and norms of
products are at most products of norms.

**How to read it.**
- *chart*: ● the measured `||dh_T/dh_t||_2` (exact, from the Jacobian products),
  ▲ the bound, ○ the typical-derivative curve `(mean|f'| * ||W_hh||_2)^(T-t)` with the
  mean of `|f'|` over the whole run. The typical curve is a rule of thumb, *not* a bound:
  the summary counts the steps where the measurement is above it.
- *table*: adds the step-wise bound, which uses each step's own largest derivative instead
  of `sigma_max`; it lies between the measurement and the bound.
- *sigmoid*: the bound factor is `0.25 * ||W_hh||_2`, below 1 unless `||W_hh||_2 > 4`
  (the condition is Pascanu, Mikolov & Bengio's, 2013).
- *catch-22 sweep*: one network per scale (W_hh from the seed, times the scale) and K input
  sequences (seeds seed+1 .. seed+K). A sequence *explodes* when `||dL/dh_t||` climbs
  above 1e6 times its value at T somewhere, and *vanishes* when `||dL/dh_1||` falls below
  1e-6 times it (L = sum(h_T), as on Gradient Flow). The catch-22 is Bengio, Simard and
  Frasconi's (1994). The bound says survival needs the
  bound factor ≥ 1; the sweep shows what actually happens at those scales, inputs and all.
- Caps for the Jacobian products: T ≤ {JACOBIAN_MAX_STEPS}, n ≤ {JACOBIAN_MAX_HIDDEN}.

**Things to try.**
- Preset *sigmoid*: the ▲ line falls off steeply; now set scale 4 (or preset `||W|| = 4`).
- Preset *tanh*: the bound allows growth but ● still falls: the bound is loose.
- Read the sweep: from which scale does the bound permit survival, and from which scale
  do some inputs explode? Is there a window where neither happens, and how wide is it?

Keys: `+`/`-` nudge the scale by 0.05, `p` cycles presets.
The same numbers: `c` shows the command for the settings on screen; at the defaults it is
`vgtui bound --activation sigmoid --scale 1.0 --steps 40 --scales 1:16:16 --sequences 16
--json` (a tanh network sweeps `--scales {TANH_SWEEP}`).
"""


@dataclass
class BoundView:
    run: Any
    sweep: Any


class BoundScreen(RNNPage):
    SCREEN_ID = "bound"
    TITLE = "Pascanu et al. (2013) bound"
    HELP = HELP
    DEMO = ("The bound of Pascanu, Mikolov & Bengio (2013): with sigmoid, each step back can keep at most a quarter of the "
            "gradient times the norm of W_hh, so the triangles fall away and the measured "
            "dots fall faster still. The sweep further down (PageDown) shows the catch-22 in "
            "numbers.")
    DEMO_SHOWS = "#bound-chart"
    AUTO_FOCUS = "#bound-results"
    PREFIX = "bound"
    PRESETS = PRESETS
    DEFAULT_PRESET = "sigmoid"
    LIMITS_NOTE = (f"Jacobian products: T ≤ {JACOBIAN_MAX_STEPS}, n ≤ {JACOBIAN_MAX_HIDDEN}; "
                   "sweep: at most 64 scales and 4096 runs")
    EXTRAS_TITLE = "catch-22 sweep"
    EXTRA_DEFAULTS = {"scales": SIGMOID_SWEEP, "sequences": "16"}
    DEMO_PRESET = "sigmoid"
    EXTRAS = (
        extra_field("scales", "sweep scales",
                    "scales for the catch-22 sweep: '1,2,4' or from:to:count"),
        extra_field("sequences", "sequences K"),
    )


    def compose_results(self) -> ComposeResult:
        yield Static("computing the first result (torch is loading)...", id="bound-summary")
        yield Label("measured vs bound, per t (log scale)", classes="section")
        yield LogChart(id="bound-chart")
        yield FitTable(id="bound-table")
        yield Label("catch-22 sweep", classes="section", id="bound-sweep-label")
        yield Static("", id="bound-sweep-lines")
        yield FitTable(id="bound-sweep-table")

    def setup_tables(self) -> None:
        self.query_one("#bound-table", FitTable).add_keyed_columns(
            "t", "T-t", "measured", "bound", "step-wise bound", "typical", "≤ bound")
        self.query_one("#bound-sweep-table", FitTable).add_keyed_columns(
            "scale", "bound factor", "permits", "▲ exploded", "▼ vanished", "■ survived",
            "median dL/dh_1 ratio", "saturated")

    def compute_rnn(self, config: RNNConfig, extras: dict[str, Any], job: Job):
        scales = list(parse_scale_sweep(extras["scales"]))
        run = jacobian_run(config, cancel=job.cancelled)
        sweep = catch22_sweep(config, scales, extras["sequences"], cancel=job.cancelled)
        return BoundView(run, sweep)

    def result_status(self, result):
        r = result.run
        return {"device": r.device, "dtype": r.dtype, "seconds": r.seconds + result.sweep.seconds}

    def command(self, settings: RNNSettings) -> str:
        return " ".join(["vgtui bound"] + settings.rnn.to_flags() +
                        [f"--scales {settings['scales']}", f"--sequences {settings['sequences']}"])

    # -- drawing --------------------------------------------------------------------
    def draw(self, view: BoundView) -> None:
        r, sweep = view.run, view.sweep
        c = r.config
        need = 1.0 / r.sigma_max
        allows = "▲ allows survival" if r.bound_factor >= 1 else "▼ forces vanishing"
        lines = [
            f"[b]{c.activation}, {c.init} W_hh × {c.scale:g}, n={c.hidden}, T={c.steps}[/b]",
            f"max|f'| = {r.sigma_max:g} · ||W_hh||₂ = {r.spectral_norm:.4f} · bound factor "
            f"{r.sigma_max:g} × {r.spectral_norm:.4f} = {r.bound_factor:.4f} per step: {allows}",
            f"survival needs ||W_hh||₂ ≥ 1 / max|f'| = {need:g}"
            + (f" (here {r.spectral_norm:.3f}, short by ×{need / r.spectral_norm:.2f})"
               if r.spectral_norm < need else f" (here {r.spectral_norm:.3f}: met)"),
            f"measured ||dh_T/dh_1||₂ = {format_log10(r.log10_product_norm[0])}, bound "
            f"{format_log10(r.log10_bound[0])}: measured above the bound at "
            f"{r.bound_violations} of {r.steps} steps",
            f"typical |f'| = {r.typical_derivative:.4f} → typical factor {r.typical_factor:.4f}/step "
            f"(not a bound: measured is above it at {r.typical_exceeded} of {r.steps - 1} steps)",
        ]
        self.query_one("#bound-summary", Static).update("\n".join(lines))
        self.query_one("#bound-chart", LogChart).set_series(*bound_chart(r).series)
        table = self.query_one("#bound-table", DataTable)
        table.clear()
        stepwise, typical = r.log10_stepwise_bound, r.log10_typical
        for k in shown_steps(r.steps, target=TABLE_ROWS):
            ok = not (r.log10_product_norm[k] > r.log10_bound[k] + 1e-9 * (1 + abs(r.log10_bound[k]))
                      if math.isfinite(r.log10_bound[k]) else False)
            table.add_row(str(k + 1), str(r.steps - 1 - k), format_log10(r.log10_product_norm[k]),
                          format_log10(r.log10_bound[k]), format_log10(stepwise[k]),
                          format_log10(typical[k]), "yes" if ok else "NO")
        self.query_one("#bound-sweep-label", Label).update(
            f"catch-22 sweep: {len(sweep.rows)} scales × {sweep.rows[0].sequences} input sequences, "
            f"T={c.steps} (exploded: gain > 1e6; vanished: dL/dh_1 below 1e-6 of dL/dh_T)")
        sweep_lines = catch22_lines(sweep)
        if c.activation == "sigmoid":

            boom, total = ARTICLE_SIGMOID.measured(sweep)
            if total:
                sweep_lines.append(
                    f"{'≈' if boom >= 0.25 * total else '≠'} {ARTICLE_SIGMOID.source} says a sigmoid RNN "
                    f"with ||W_hh||₂ > 4 explodes for many inputs; measured here: {boom} of "
                    f"{total} sequences at those scales exploded")
        self.query_one("#bound-sweep-lines", Static).update("\n".join(sweep_lines))
        st = self.query_one("#bound-sweep-table", DataTable)
        st.clear()
        for row in sweep.rows:
            st.add_row(f"{row.scale:g}", f"{row.bound_factor:.3f}",
                       "yes" if row.bound_permits else "no", _count(row.exploded, "▲"),
                       _count(row.vanished, "▼"), _count(row.survived, "■"),
                       format_log10(row.median_log10_first), f"{100 * row.saturation:.0f}%")


def _count(k: int, mark: str) -> str:
    return f"{k:>3} {mark * min(k, 8)}" if k else "  0"
