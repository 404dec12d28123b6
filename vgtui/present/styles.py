"""The colours of vgtui: one table of roles, drawn two ways.

Everything that draws in colour names a role ("vanishing", "series1", "zero"), never a
colour. Each role has two renderings in ``ROLES``:

- in the app, a Rich style whose ``$name`` words are the active Textual theme's own
  variables (``$text-warning``: the warning colour made readable on the theme's
  background, light themes included), so every theme is followed and redrawn on a change;
- on the command line, which has no theme, a Rich style in the terminal's ANSI colours, so
  the terminal's own palette (dark or light) applies.

Colour only repeats what a glyph already says (▼ ■ ▲, ✓ ≈ ✗, bar heights, markers), so a
theme where two roles look alike loses nothing. "dim" is the terminal's faint text in the
CLI and, in the app, Textual blends the text into the theme's own background.

No UI library is imported here: a theme is read through the few attributes it has.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# role: (in the app: a style with $theme-variables, on the command line: an ANSI style).
# The ANSI colours pair with the theme's slots the same way throughout: cyan is $primary,
# magenta $accent, green $success, blue $secondary, red $error, yellow $warning.
ROLES: dict[str, tuple[str, str]] = {
    # a gradient's regime; ▼ ■ ▲ ? carry it
    "vanishing": ("bold $text-warning", "bold yellow"),
    "stable": ("bold $text-success", "bold green"),
    "exploding": ("bold $text-error", "bold red"),
    "undetermined": ("dim", "dim"),
    # a figure of an article against the value computed now; ✓ ≈ ◇ ✗ ? carry it
    "agrees": ("$text-success", "green"),
    "close": ("$text-warning", "yellow"),
    "convention": ("$text-primary", "cyan"),
    "differs": ("bold $text-error", "bold red"),
    "pending": ("dim", "dim"),
    # series of a chart, in the order a chart takes them; each has its own marker
    "series1": ("bold $text-primary", "bold cyan"),
    "series2": ("bold $text-accent", "bold magenta"),
    "series3": ("bold $text-success", "bold green"),
    "series4": ("bold $text-secondary", "bold blue"),
    "series5": ("bold $text-error", "bold red"),
    "series6": ("bold $text-warning", "bold yellow"),
    "reference": ("$text-warning", "yellow"),  # a curve to compare with (typical, smallest)
    "muted": ("dim", "dim"),  # a backdrop: the unit circle, the first record
    # marks inside a chart
    "overlap": ("bold $text-warning", "bold yellow"),  # ◆: two series in one cell
    "zero": ("bold $text-accent", "bold magenta"),  # 0: exactly zero
    "undefined": ("bold $text-accent", "bold magenta"),  # ?: not a number
    # how much of the last token's signal reaches a token (long range), one level a decade
    "signal-whole": ("bold $text-success", "bold green"),
    "signal-kept": ("$text-success", "green"),
    "signal-fading": ("$text-warning", "yellow"),
    "signal-weak": ("$text-error", "red"),
    "signal-faint": ("bold $text-error", "bold red"),
    "signal-gone": ("dim", "dim"),
    "signal-grown": ("bold $text-accent", "bold magenta"),  # ▲: ten times or more
    # the heatmap of a training log, low to high; the glyph's height carries the level
    "heat1": ("$text-secondary", "blue"),
    "heat2": ("bold $text-secondary", "bright_blue"),
    "heat3": ("$text-primary", "cyan"),
    "heat4": ("bold $text-primary", "bright_cyan"),
    "heat5": ("$text-success", "green"),
    "heat6": ("bold $text-success", "bright_green"),
    "heat7": ("$text-warning", "yellow"),
    "heat8": ("bold $text-warning", "bold bright_yellow"),
}

# The role of each gradient regime and of each claim verdict (engine/claim_rules.py).
REGIME_ROLES = {"vanishing": "vanishing", "stable": "stable", "near-stable": "stable",
                "exploding": "exploding", "undetermined": "undetermined"}
CLAIM_ROLES = {"holds": "agrees", "approx": "close", "convention": "convention",
               "fails": "differs", "pending": "pending"}
SERIES = tuple(f"series{i}" for i in range(1, 7))
HEAT = tuple(f"heat{i}" for i in range(1, 9))


class Palette(dict):
    """Role -> Rich style, for one rendering (a theme, or the command line)."""

    name = ""

    def style(self, role: str | None) -> str:
        """The style of ``role``; no style for "" or a role the table lacks (plain text is
        still readable)."""
        return self.get(role, "") if role else ""


def _palette(name: str, styles: Mapping[str, str]) -> Palette:
    palette = Palette(styles)
    palette.name = name
    return palette


CLI_PALETTE = _palette("cli", {role: cli for role, (_, cli) in ROLES.items()})

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_ANSI = re.compile(r"ansi_([a-z_]+)")


def _colour(value: Any) -> str | None:
    """A theme variable's value as a Rich colour: "#FFC473" as is, "ansi_bright_red" as the
    terminal's "bright_red"; None for anything else (an alpha, "auto", a missing value)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if _HEX.fullmatch(value):
        return value.lower()
    match = _ANSI.fullmatch(value)
    return match.group(1) if match else None


def theme_styles(variables: Mapping[str, str]) -> dict[str, str]:
    """Every role's style from a theme's variables; a role whose variable is missing or
    not a plain colour keeps its command-line style."""
    out = {}
    for role, (drawn, cli) in ROLES.items():
        words = []
        for word in drawn.split():
            if word.startswith("$"):
                word = _colour(variables.get(word[1:]))
                if word is None:
                    words = cli.split()
                    break
            words.append(word)
        out[role] = " ".join(words)
    return out


_CACHE: dict[tuple[str, int], tuple[Any, Palette]] = {}


def theme_palette(theme: Any) -> Palette:
    """The palette of a Textual ``Theme`` (cached per theme object); the command line's
    palette for anything that is not one."""
    key = (getattr(theme, "name", ""), id(theme))
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is theme:
        return cached[1]
    try:
        variables = {**theme.to_color_system().generate(), **(theme.variables or {})}
    except Exception:  # noqa: BLE001 - an odd theme draws in the CLI's colours, never fails
        return CLI_PALETTE
    palette = _palette(key[0], theme_styles(variables))
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (theme, palette)
    return palette


def app_palette(node: Any) -> Palette:
    """The palette of the app a widget, screen or app belongs to, in its current theme."""
    try:
        app = node if hasattr(node, "current_theme") else node.app
        return theme_palette(app.current_theme)
    except Exception:  # noqa: BLE001 - no app (a chart drawn for the CLI): the CLI's colours
        return CLI_PALETTE
