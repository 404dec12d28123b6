"""TokenStrip: a sentence laid out token by token, each with the share of the
last token's gradient that reaches it.

Three rows per block: the word, a glyph (one level per decade, so the strip
reads without colour) and a compact number. Blocks wrap to the widget's width.
Long runs of filler tokens fold into one column ("+N"), whose glyph and number
are those of the run's first token (the one nearest the key word).
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from ..present.longrange import glyph_style, short_ratio, token_glyph
from ..present.styles import app_palette

FOLD_AFTER = 6  # filler runs longer than this fold into one column
MAX_WORD = 14


@dataclass(frozen=True)
class Column:
    word: str
    glyph: str
    label: str
    style: str  # the glyph's role (vgtui.present.styles)
    mark: str = ""  # "key", "last" or ""
    filler: bool = False


def columns_for(tokens, filler, key_index, log10_ratio) -> list[Column]:
    cols: list[Column] = []
    k, count = 0, len(tokens)
    while k < count:
        if filler[k]:
            end = k
            while end < count and filler[end]:
                end += 1
            run = end - k
            if run > FOLD_AFTER:
                cols.append(_column(tokens, k, key_index, log10_ratio, filler=True))
                cols.append(Column(f"+{run - 2}", "⋯", "filler", "muted", filler=True))
                cols.append(_column(tokens, end - 1, key_index, log10_ratio, filler=True))
            else:
                cols.extend(_column(tokens, j, key_index, log10_ratio, filler=True)
                            for j in range(k, end))
            k = end
            continue
        cols.append(_column(tokens, k, key_index, log10_ratio))
        k += 1
    return cols


def _column(tokens, k, key_index, log10_ratio, filler=False) -> Column:
    word = tokens[k] if len(tokens[k]) <= MAX_WORD else tokens[k][:MAX_WORD - 1] + "…"
    r = float(log10_ratio[k])
    mark = "key" if k == key_index else ("last" if k == len(tokens) - 1 else "")
    return Column(word, token_glyph(r), short_ratio(r), glyph_style(r), mark, filler)


class TokenStrip(Widget):
    DEFAULT_CSS = """
    TokenStrip { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.cols: list[Column] = []

    def show(self, tokens, filler, key_index, log10_ratio) -> None:
        self.cols = columns_for(list(tokens), list(filler), key_index, list(log10_ratio))
        self.refresh(layout=True)

    def _blocks(self, width: int) -> list[list[Column]]:
        width = max(8, width)
        blocks: list[list[Column]] = [[]]
        used = 0
        for col in self.cols:
            w = self._width(col)
            if blocks[-1] and used + w > width:
                blocks.append([])
                used = 0
            blocks[-1].append(col)
            used += w
        return blocks

    @staticmethod
    def _width(col: Column) -> int:
        return max(len(col.word), len(col.label), 2) + 1

    def get_content_height(self, container, viewport, width: int) -> int:
        if not self.cols:
            return 1
        blocks = self._blocks(width)
        return 3 * len(blocks) + (len(blocks) - 1)

    def render(self) -> Text:
        if not self.cols:
            return Text("computing...", style="dim")
        palette = app_palette(self)
        text = Text(no_wrap=True, overflow="crop")
        blocks = self._blocks(self.size.width)
        for b, block in enumerate(blocks):
            if b:
                text.append("\n")
            for col in block:
                w = self._width(col)
                style = "bold underline" if col.mark == "key" else (
                    "bold" if col.mark == "last" else ("dim italic" if col.filler else ""))
                text.append(col.word.ljust(w), style=style or None)
            text.append("\n")
            for col in block:
                w = self._width(col)
                mark = {"key": "◆", "last": "●"}.get(col.mark, "")
                text.append(col.glyph, style=palette.style(col.style))
                text.append(mark.ljust(w - 1), style="bold")
            text.append("\n")
            for col in block:
                text.append(col.label.ljust(self._width(col)), style="dim")
        return text


def strip_text(tokens, filler, key_index, log10_ratio, width: int = 80) -> str:
    """The strip as plain text (for tests and for reading without a screen)."""
    strip = TokenStrip()
    strip.cols = columns_for(list(tokens), list(filler), key_index, list(log10_ratio))
    lines = []
    for block in strip._blocks(width):
        lines.append("".join(c.word.ljust(strip._width(c)) for c in block).rstrip())
        lines.append("".join((c.glyph + {"key": "◆", "last": "●"}.get(c.mark, "")).ljust(
            strip._width(c)) for c in block).rstrip())
        lines.append("".join(c.label.ljust(strip._width(c)) for c in block).rstrip())
    return "\n".join(lines)

