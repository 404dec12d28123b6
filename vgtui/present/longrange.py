"""Wording for the long-range screen and ``vgtui longrange``: the per-token
glyph, a compact ratio label and a signal bar, so the share of gradient reads
the same in the table, in the app and without colour.
"""
from __future__ import annotations

import math

from ..engine.longrange import MODEL_TITLES
from ..engine.magnitude import format_log10, split_log10
from .regimes import factor_text, per_step

# One glyph per decade lost, from the last token's own level down to 1e-8.
LEVELS = "█▇▆▅▄▃▂▁"
GONE = "·"      # below 1e-8 of the last token's signal
EXPLODED = "▲"  # ten times the last token's signal or more
# A role (vgtui.present.styles) per decade lost, drawn in the theme's colours.
LEVEL_STYLES = ("signal-whole", "signal-kept", "signal-kept", "signal-fading", "signal-fading",
                "signal-weak", "signal-weak", "signal-faint")


def token_glyph(log10_ratio: float) -> str:
    """█ for 1e-1..1 of the last token's signal, one step lower per decade, ▁ for
    1e-8..1e-7, · below that, ▲ at ten times the last token's signal or more."""
    if math.isnan(log10_ratio):
        return "?"
    if log10_ratio >= 1:
        return EXPLODED
    lost = -log10_ratio
    if lost < 1:
        return LEVELS[0]
    level = int(math.floor(lost))
    return LEVELS[level] if level < len(LEVELS) else GONE


def glyph_style(log10_ratio: float) -> str:
    """The role a token's glyph is drawn in (the glyph alone already says the level)."""
    if math.isnan(log10_ratio):
        return "undefined"
    if log10_ratio >= 1:
        return "signal-grown"
    level = int(math.floor(max(0.0, -log10_ratio)))
    return LEVEL_STYLES[level] if level < len(LEVEL_STYLES) else "signal-gone"


def short_ratio(log10_ratio: float) -> str:
    """A compact label: 1, 0.70, 0.049, 3e-4, 1e-412; exact magnitude, never 0."""
    if math.isnan(log10_ratio):
        return "n/a"
    if log10_ratio == -math.inf:
        return "0"
    if log10_ratio == math.inf:
        return "inf"
    if -2 <= log10_ratio < 2:
        value = 10.0 ** log10_ratio
        if abs(value - 1) < 5e-3:
            return "1"
        return f"{value:.2g}" if value < 1 else f"{value:.3g}"
    mantissa, exponent = split_log10(log10_ratio)
    m = int(round(mantissa))
    if m >= 10:
        m, exponent = 1, exponent + 1
    return f"{m}e{exponent}"


def percent_text(log10_share: float) -> str:
    """A share as a percentage; below 0.01% in scientific form."""
    if math.isnan(log10_share):
        return "n/a"
    if log10_share >= -4:
        return f"{100 * 10 ** log10_share:.2f}%"
    return format_log10(log10_share + 2, 1) + "%"


def signal_bar(log10_ratio: float, width: int = 16, decades: float = 16.0) -> str:
    """A horizontal bar of the signal left: full at the last token's level (or
    above), empty at ``decades`` decades below it, in eighths of a cell."""
    if math.isnan(log10_ratio):
        return "?"
    left = 1.0 - min(max(-log10_ratio, 0.0), decades) / decades
    eighths = int(round(left * width * 8))
    full, part = divmod(eighths, 8)
    bar = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return bar.ljust(width, "·") if bar else "·" * width


def glyph_legend() -> str:
    return ("█ 1e-1..1 of the last token's signal, one step lower per decade, ▁ 1e-8..1e-7, "
            "· less, ▲ 10× or more")


def summary_lines(r) -> list[str]:
    c = r.config
    key = r.tokens[r.key_index]
    lines = [f"model: {MODEL_TITLES[c.model]}"
             + (f", factor {c.factor:g}/step" if c.model == "factor" else
                f", {c.activation} {c.init} W_hh × {c.scale:g}, n={c.hidden}" if c.model == "rnn"
                else f", n={c.hidden}, weight scale {c.scale:g}, forget bias {c.forget_bias:g}"),
             f"key word '{key}' (token {r.key_index + 1} of {r.steps}, {r.distance} steps before "
             f"the last): {format_log10(r.key_log10_ratio)} of the last token's signal"]
    if r.distance:
        lines.append(f"equivalent per-step factor over that distance: "
                     f"{factor_text(r.implied_factor)}")
    if r.log10_grad[-1] == -math.inf:
        lines.append("the last token itself gets no gradient (every unit has f'(z) = 0 at the "
                     "last step: dead relu units), so every share of it is undefined (n/a)")
    d = r.details
    if "spectral_radius" in d:
        lines.append(f"W_hh spectral radius {d['spectral_radius']:.4f}, spectral norm "
                     f"{d['spectral_norm']:.4f}, fitted factor "
                     f"{per_step(d['fitted_factor'])}")
    if "mean_forget_gate" in d:
        lines.append(f"mean forget gate over the sentence {d['mean_forget_gate']:.4f}")
    return lines
