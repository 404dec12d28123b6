"""Jacobian: the product of step Jacobians that carries the gradient from T back to t.

Left: presets, RNN settings and the two-unit example's matrix. Right: the norm of
dh_T/dh_t per t, its singular values, the effective memory dimensions, how the
surviving direction lines up with W_hh's leading eigenvector, a per-step table,
and the articles' two-unit worked example with its figures checked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Static

from ..engine.articles import ARTICLE_MEMORY
from ..engine.config import RNNConfig
from ..engine.jacobian import (
    EFFECTIVE_DIM_RATIO,
    JACOBIAN_MAX_HIDDEN,
    JACOBIAN_MAX_STEPS,
    jacobian_run,
    matrix_powers,
    parse_matrix,
)
from ..engine.magnitude import format_log10, format_value
from ..present.jacobian import alignment_text, article_comparison_lines, complex_text
from ..present.rows import shown_steps
from ..topics import topic
from ..widgets.charts import jacobian_charts
from ..widgets.log_chart import LogChart
from ..widgets.plane import FixedSparkline
from ..widgets.tables import FitTable
from .config_page import Job
from .rnn_page import RNNPage, RNNSettings, extra_field

TABLE_ROWS = 100








PRESETS = topic("jacobian").presets

HELP = f"""\
**What it shows.** The gradient that reaches `h_t` from `h_T` is multiplied by
`P_t = dh_T/dh_t = J_T J_(T-1) ... J_(t+1)`, where each step's Jacobian is
`J_k = diag(f'(z_k)) W_hh` (`W_hh` with row i scaled by unit i's derivative). This
screen builds `P_t` for every t, from `t = T` (the identity) back to `t = 1`.

**How to read it.**
- *norm chart*: `||dh_T/dh_t||_2`, the largest singular value, on a log scale with t on
  the x axis (step T at the right, where the product is the identity).
- *singular values*: the top three and the smallest that float64 can resolve. The gap
  between them is what "directions dying" means.
- *effective memory dimensions*: how many singular values are at least
  {EFFECTIVE_DIM_RATIO:g} × the largest. It starts at n for `t = T` and falls as the
  distance `T - t` grows.
- *alignment (u1)*: how much of the top **left** singular vector of `P_t` (where a change
  of `h_t` ends up at `T`) lies along the leading eigenvector of `W_hh` (for a complex
  leading pair: in the plane of its real and imaginary parts). 1 = fully aligned.
  *v1* is the same for the top **right** singular vector (the direction the gradient takes
  at `h_t`) against the leading eigenvector of `W_hh^T`. "tie" means the top two singular
  values are equal, so there is no single top direction (an orthogonal linear RNN).
- *two-unit example*: the articles' `W = [[0.5, 0.1], [0.2, 0.4]]` with every derivative
  0.8, so `J = 0.8 W` and `P = J^n`. Both norms and `rho(J)^n` are computed; the main
  figures are spectral norms `||J^n||_2`, and the article's stated figures are set
  beside the Frobenius norm `||J^n||_F`, the norm the article uses.
- The product is renormalised at every step with the log of each rescaling kept apart,
  so 1e-900 is exact; singular values more than 1e13 below the largest are not
  resolvable and are left out. Caps: T <= {JACOBIAN_MAX_STEPS}, n <= {JACOBIAN_MAX_HIDDEN}
  (an n×n SVD per step).

**Things to try.**
- Preset *identity, gaussian*: alignment goes to 1 — the dominant eigenvector survives.
- Preset *tanh, n=64*: count the surviving directions 50 steps back and compare with the
  article's "two or three".
- Preset *identity, orthogonal*: every direction shrinks by exactly the scale per step.
- Change the matrix to `0.9,0;0,0.9` (normal) or `0.5,2;0,0.5` (sheared) and watch
  `||J^n||` against `rho^n`.

Keys: `+`/`-` nudge the weight scale by 0.05, `p` cycles presets.
The same numbers: `c` shows the command for the settings on screen; at the defaults it is
`vgtui jacobian --activation tanh --scale 1.0 --hidden 64 --steps 60 --json`, and the
worked example is `vgtui jacobian --matrix "0.5,0.1;0.2,0.4" --derivative 0.8 --steps 20`.
"""


@dataclass
class JacobianView:
    rnn: Any
    matrix: Any
    matrix_key: tuple


class JacobianScreen(RNNPage):
    SCREEN_ID = "jacobian"
    TITLE = "Jacobian"
    HELP = HELP
    DEMO = ("Jacobian: the gradient from step T reaches step t through a product of "
            "per-step Jacobians. Of 64 directions only a handful are still alive fifty steps "
            "back, and further down (PageDown) the product's norm falls on a log scale.")
    AUTO_FOCUS = "#jac-results"
    PREFIX = "jac"
    PRESETS = PRESETS
    DEFAULT_PRESET = "tanh-64"
    DEMO_PRESET = "tanh-64"
    EXTRAS_TITLE = "two-unit example"
    EXTRA_DEFAULTS = {"matrix": "0.5,0.1;0.2,0.4", "derivative": "0.8", "powers": "20"}
    LIMITS_NOTE = (f"Jacobian products: T ≤ {JACOBIAN_MAX_STEPS}, n ≤ {JACOBIAN_MAX_HIDDEN} "
                   "(an n×n SVD per step)")
    EXTRAS = (
        extra_field("matrix", "matrix W"),
        extra_field("derivative", "f' (constant)"),
        extra_field("powers", "powers n"),
    )


    def compose_results(self) -> ComposeResult:
        yield Static("computing the first result (torch is loading)...", id="jac-summary")
        yield Label("||dh_T/dh_t||₂ per t (log scale)", classes="section")
        yield LogChart(id="jac-chart")
        yield Label("singular values of dh_T/dh_t", classes="section")
        yield LogChart(id="jac-sv")
        yield Label("effective memory dimensions per t", classes="section", id="jac-dims-label")
        yield FixedSparkline(id="jac-dims")
        yield Label("alignment of u1 with W_hh's leading eigenvector per t", classes="section",
                    id="jac-align-label")
        yield FixedSparkline(id="jac-align")
        yield FitTable(id="jac-table")
        yield Label("two-unit worked example: J = f' W, product J^n", classes="section")
        yield Static("", id="jac-matrix-summary")
        yield FitTable(id="jac-matrix-table")
        yield Static("", id="jac-article")

    def setup_tables(self) -> None:
        self.query_one("#jac-table", FitTable).add_keyed_columns(
            "t", "T-t", "||·||₂", "||·||_F", "dims", "align u1", "align v1", "s2/s1")
        self.query_one("#jac-matrix-table", FitTable).add_keyed_columns(
            "n", "||J^n||₂", "||J^n||_F", "ρ(J)^n", "article says")

    # -- computing ----------------------------------------------------------------
    def compute_rnn(self, config: RNNConfig, extras: dict[str, Any], job: Job):
        previous = self.result  # a part whose inputs did not change is kept, not redone
        key = (extras["matrix"], extras["derivative"], extras["powers"])
        rnn = previous.rnn if previous is not None and previous.rnn.config == config else None
        if rnn is None:
            rnn = jacobian_run(config, cancel=job.cancelled)
        matrix = previous.matrix if previous is not None and previous.matrix_key == key else None
        if matrix is None:
            matrix = matrix_powers(parse_matrix(key[0]), key[1], key[2])
        return JacobianView(rnn, matrix, key)

    def result_status(self, result):
        r = result.rnn
        return {"device": r.device, "dtype": r.dtype, "seconds": r.seconds}

    def command(self, settings: RNNSettings) -> str:
        m = dict(settings.extra)
        return (" ".join(["vgtui jacobian"] + settings.rnn.to_flags()) +
                f' && vgtui jacobian --matrix "{m["matrix"]}" --derivative {m["derivative"]:g} '
                f'--steps {m["powers"]}')

    def extra_commands(self):
        return [("Jacobian: the articles' two-unit example",
                 "W = [[0.5, 0.1], [0.2, 0.4]], f' = 0.8", self.load_two_unit)]

    def load_two_unit(self) -> None:
        self.set_values(self.EXTRA_DEFAULTS)
        self.request(immediate=True)

    # -- drawing --------------------------------------------------------------------
    def draw(self, view: JacobianView) -> None:
        self._draw_rnn(view.rnn)
        self._draw_matrix(view.matrix)

    def _draw_rnn(self, r) -> None:
        c = r.config
        n = c.hidden
        lines = [
            f"[b]{c.activation}, {c.init} W_hh × {c.scale:g}, n={n}, T={c.steps}[/b]",
            f"||dh_T/dh_1||₂ = {format_log10(r.log10_product_norm[0])}   "
            f"directions alive at t=1: {int(r.effective_dims[0])} of {n} "
            f"(singular value ≥ {EFFECTIVE_DIM_RATIO:g} × largest)",
            f"spectral radius {r.spectral_radius:.4f} · spectral norm {r.spectral_norm:.4f} · "
            f"leading eigenvalue {complex_text(r.leading_eigenvalue)} · "
            f"|λ₂|/|λ₁| {r.eigen_gap:.3f}",
            f"alignment at t=1: u1 {alignment_text(r.alignment[0])}, v1 "
            f"{alignment_text(r.alignment_gradient[0])} · Lyapunov exponent {r.lyapunov:+.4f}/step",
        ]
        if ARTICLE_MEMORY.applies(r):
            got = ARTICLE_MEMORY.computed(r)
            lo, hi = ARTICLE_MEMORY.dims
            same = lo <= got <= hi
            lines.append(f"{'=' if same else '≠'} {ARTICLE_MEMORY.source} says "
                         f"{lo}–{hi} of {n} directions {ARTICLE_MEMORY.steps_back} steps back; "
                         f"computed {got}")
        if r.eigen_gap > 0.999:
            lines.append("leading eigenvalue not separated (|λ₂| ≈ |λ₁|): alignment is with one "
                         "of several equally strong directions")
        self.query_one("#jac-summary", Static).update("\n".join(lines))
        sv = r.log10_singular_values
        norm, singular = jacobian_charts(r)
        self.query_one("#jac-chart", LogChart).set_series(*norm.series)
        self.query_one("#jac-sv", LogChart).set_series(*singular.series)
        dims = [float(d) for d in r.effective_dims]
        self.query_one("#jac-dims", FixedSparkline).set_values(dims, n)
        self.query_one("#jac-dims-label", Label).update(
            f"effective memory dimensions per t (full height = n = {n}): {int(dims[0])} at t=1 … "
            f"{int(dims[-1])} at t=T")
        ties = int(sum(1 for a in r.alignment if math.isnan(a)))
        self.query_one("#jac-align", FixedSparkline).set_values(r.alignment, 1.0)
        self.query_one("#jac-align-label", Label).update(
            "alignment of u1 with W_hh's leading eigenvector per t (full height = 1)"
            + (f"; {ties} ties drawn as ·" if ties else ""))
        table = self.query_one("#jac-table", DataTable)
        table.clear()
        for k in shown_steps(r.steps, target=TABLE_ROWS):
            row = sv[k]
            gap = "-" if n < 2 else ("tiny" if math.isnan(row[1]) else f"{10 ** (row[1] - row[0]):.4f}")
            table.add_row(str(k + 1), str(r.steps - 1 - k), format_log10(r.log10_product_norm[k]),
                          format_log10(r.log10_frobenius[k]), str(int(r.effective_dims[k])),
                          alignment_text(r.alignment[k]), alignment_text(r.alignment_gradient[k]),
                          gap)

    def _draw_matrix(self, m) -> None:
        eigs = ", ".join(complex_text(complex(v)) for v in m.eigenvalues_w)
        self.query_one("#jac-matrix-summary", Static).update(
            f"J = {m.derivative:g} × W · eigenvalues of W: {eigs} · spectral radius ρ(J) = "
            f"{m.spectral_radius:.4f} (ρ(W) = {m.spectral_radius_w:.4f}) · ||J||₂ = "
            f"{m.spectral_norm:.4f}")
        stated = {row["n"]: row for row in m.article_rows() if row["n"] is not None}
        table = self.query_one("#jac-matrix-table", DataTable)
        table.clear()
        for k in shown_steps(m.steps, target=TABLE_ROWS):
            row = stated.get(k + 1)
            note = "" if row is None else (
                f"{format_value(row['article'], 2)} (computed ×{row['ratio']:.2f})")
            table.add_row(str(k + 1), format_log10(m.log10_spectral[k]),
                          format_log10(m.log10_frobenius[k]), format_log10(m.log10_radius_power[k]),
                          note)
        lines = article_comparison_lines(m)
        if lines:
            text = "\n".join(lines) + "\n(= : the computed value rounds to the article's figure; ≠ : it does not)"
        else:
            text = "not the articles' matrix and derivative: no stated figures to compare"
        self.query_one("#jac-article", Static).update(text)
