"""How Jacobian products read: the whole-run figures, complex eigenvalues, alignment,
and the two-unit worked example beside the article's figures."""
from __future__ import annotations

import math

from ..engine.articles import ARTICLE_TWO_UNIT
from ..engine.jacobian import EFFECTIVE_DIM_RATIO
from ..engine.magnitude import format_log10, format_value


def complex_text(z: complex, digits: int = 4) -> str:
    if abs(z.imag) < 1e-12 * max(1.0, abs(z)):
        return f"{z.real:.{digits}f}"
    sign = "+" if z.imag >= 0 else "-"
    return f"{z.real:.{digits}f} {sign} {abs(z.imag):.{digits}f}i"


def alignment_text(v: float) -> str:
    return "tie" if math.isnan(v) else f"{v:.3f}"


def jacobian_summary_lines(r) -> list[str]:
    """Whole-run figures of a JacobianRun."""
    lines = [
        f"spectral radius {r.spectral_radius:.4f}   spectral norm {r.spectral_norm:.4f}   "
        f"leading eigenvalue {complex_text(r.leading_eigenvalue)}   "
        f"|lambda2|/|lambda1| {r.eigen_gap:.3f}",
        f"||dh_T/dh_1||_2 = {format_log10(r.log10_product_norm[0])}   effective dimensions at "
        f"t=1: {int(r.effective_dims[0])} of {r.config.hidden}   alignment at t=1: "
        f"{alignment_text(r.alignment[0])} (u1), {alignment_text(r.alignment_gradient[0])} (v1)",
        f"largest Lyapunov exponent {r.lyapunov:+.4f} per step (x{_exp(r.lyapunov)} per step, "
        f"after a burn-in of {r.config.steps // 5} steps)",
        f"effective dimensions: singular values >= {EFFECTIVE_DIM_RATIO:g} x the largest; "
        "u1/v1: top left/right singular vector against the leading eigenvector of W_hh / W_hh^T "
        "('tie': the top two singular values are equal, so there is no single top direction)",
    ]
    return lines


def _exp(x: float) -> str:
    if x == -math.inf:
        return "0"
    return f"{math.exp(x):.4f}" if x < 700 else "inf"


def matrix_summary_lines(m) -> list[str]:
    w_eigs = ", ".join(complex_text(complex(v)) for v in m.eigenvalues_w)
    return [
        f"J = {m.derivative:g} x W; eigenvalues of W: {w_eigs}",
        f"spectral radius of J {m.spectral_radius:.4f} (of W {m.spectral_radius_w:.4f})   "
        f"spectral norm of J {m.spectral_norm:.4f}",
        f"||J^{m.steps}||_2 = {format_log10(m.log10_spectral[-1])}   "
        f"rho(J)^{m.steps} = {format_log10(m.log10_radius_power[-1])}",
    ]


def article_comparison_lines(m) -> list[str]:
    """'article says X; computed Y' for the two-unit example, one line per figure."""
    rows = m.article_rows()
    if not rows:
        return []
    fig = ARTICLE_TWO_UNIT
    out = [f"Figures of {fig.source} beside the computed ones:"]
    for row in rows:
        if row["quantity"] == "spectral_radius":
            out.append(f"{_mark(row)} spectral radius: article says {row['article']:g}; computed "
                       f"{row['computed']:.4f} for J = {m.derivative:g} W and "
                       f"{row['computed_of_matrix']:.4f} for W itself")
            continue
        n = row["n"]
        line = (f"{_mark(row)} ||J^{n}||: article says {format_value(row['article'], 2)}; computed "
                f"{format_value(row['computed'], 3)} (Frobenius, the article's norm; "
                f"x{row['ratio']:.2f}), spectral {format_value(row['computed_spectral'], 3)}, "
                f"rho(J)^{n} {format_value(row['radius_power'], 3)}")
        line += f"; the stated figure implies {row['implied_rate']:.4f} per step"
        if row["implied_rate_is_article_rate"]:
            line += (f", i.e. the article's own {fig.spectral_radius:g} powered "
                     f"({fig.spectral_radius:g}^{n} = {format_value(row['article_rate_power'], 3)}), "
                     f"not rho(J) = {m.spectral_radius:.4f}")
        out.append(line)
    return out


def _mark(row: dict) -> str:
    """= when the computed value rounds to the stated figure, ≠ when it does not."""
    return "=" if row["agrees"] else "≠"
