"""Tables that never show part of a number.

``FitTable`` is a ``DataTable`` that draws a column only when the whole column is in
view. A column the window cuts (at the right edge of a narrow terminal, or at the left
after a horizontal scroll) is left blank instead of showing "7.065" for "7.0656e-01",
and the header carries a marker ("+2›") saying how many columns lie beyond the right
edge (the table scrolls sideways with the arrow keys or the mouse). Every table of the
app is one of these.

``rebuild`` fills a table whose columns change from one result to the next.
"""
from __future__ import annotations

from typing import Any, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CursorType


def _plain_width(cell) -> int | None:
    """The width DataTable would measure for a one-line cell without markup (None for
    any other cell): a string's length in cells, a Text's, 0 for an empty cell."""
    if cell is None:
        return 0
    if isinstance(cell, str):
        return None if "[" in cell or "\n" in cell else cell_len(cell)
    if isinstance(cell, Text):
        return None if "\n" in cell.plain else cell.cell_len
    return None


def _width(cell) -> int:
    """The width DataTable draws any cell at."""
    plain = _plain_width(cell)
    if plain is not None:
        return plain
    if isinstance(cell, Text):
        return cell.cell_len
    return Text.from_markup(cell).cell_len if isinstance(cell, str) else len(str(cell))


def rebuild(table: DataTable, headers: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Replace every column and row. Column widths are set from the content up front,
    so the table is drawn at the right widths from its first frame."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], _width(cell))
    table.clear(columns=True)
    for i, (header, width) in enumerate(zip(headers, widths)):
        table.add_column(header, width=width, key=f"c{i}")
    for row in rows:
        table.add_row(*row)


def _blank(strip: Strip, spans: list[tuple[int, int]], marker: str = "",
           end: int | None = None) -> Strip:
    """``strip`` with the cells in ``spans`` (start, end) turned to spaces (styles kept),
    and ``marker`` written to end at cell ``end`` (the strip's end by default)."""
    if not spans and not marker:
        return strip
    width = strip.cell_length
    keep = [True] * width
    for first, last in spans:
        for x in range(max(0, first), min(width, last)):
            keep[x] = False
    out: list[Segment] = []
    x = 0
    for text, style, control in strip:
        if control:
            out.append(Segment(text, style, control))
            continue
        chars = []
        for ch in text:  # table cells hold no double-width characters at a cut
            chars.append(ch if x >= width or keep[x] else " ")
            x += 1
        out.append(Segment("".join(chars), style))
    result = Strip(out, width)
    end = width if end is None else min(end, width)
    if marker and len(marker) <= end:
        tail_style = next((s for _, s, c in reversed(list(strip)) if not c and s), None)
        mark = Strip([Segment(marker, (tail_style or Style()) + Style(bold=True))])
        result = Strip.join([result.crop(0, end - len(marker)), mark, result.crop(end, width)])
    return result


class FitTable(DataTable):
    """A DataTable that shows whole columns only; see the module docstring."""

    def __init__(self, *, zebra_stripes: bool = True, cursor_type: CursorType = "row",
                 **options: Any) -> None:
        # The app's tables list rows: striped, and read (or opened) a row at a time.
        super().__init__(zebra_stripes=zebra_stripes, cursor_type=cursor_type, **options)

    def _update_dimensions(self, new_rows) -> None:
        # DataTable formats every cell of every new row (a string is parsed as markup)
        # and measures it through the console: some 100 µs a cell, half of a key press
        # on a 100-row table. A one-line, unlabelled row whose cells are one-line strings
        # without markup, or one-line Text, measures as the cells' lengths: taken here,
        # and DataTable measures only the other rows. (Rows are still formatted when
        # drawn, only those in view.)
        columns = self.ordered_columns
        rest = []
        for row_key in new_rows:
            row = self.rows.get(row_key)
            cells = self._data.get(row_key)
            if row is None or cells is None or row_key not in self._row_locations:
                continue
            values = [cells.get(column.key) for column in columns]
            widths = [_plain_width(v) for v in values]
            if row.auto_height or row.height != 1 or row.label is not None or None in widths:
                rest.append(row_key)
                continue
            for column, width in zip(columns, widths):
                column.content_width = max(column.content_width, width)
        super()._update_dimensions(rest)

    def add_keyed_columns(self, *labels: str, blank: str = "mark") -> None:
        """A column per header, keyed by the header itself so that cells are updated by
        name; a column with an empty header (a mark or a glyph) is keyed ``blank``."""
        for label in labels:
            self.add_column(label, key=label or blank)

    def column_spans(self) -> list[tuple[int, int]]:
        """(start, end) of every scrollable column, in the table's own x coordinates
        (after the row labels and fixed columns)."""
        spans = []
        x = 0
        for column in self.ordered_columns[self.fixed_columns:]:
            width = column.get_render_width(self)
            spans.append((x, x + width))
            x += width
        return spans

    MARKER = "+{}›"

    def hidden_columns(self, x1: int | None = None, x2: int | None = None) -> tuple[list[int], int]:
        """Indexes of the columns not drawn in the window [x1, x2) (cut by its edges, or
        beyond it), and how many lie wholly or partly beyond its right edge. When columns
        lie beyond, the last whole one also goes if the marker would not fit after it."""
        if x1 is None:
            x1 = int(self.scroll_x)
        if x2 is None:
            x2 = x1 + self.scrollable_content_region.width - self._fixed_width()
        spans = self.column_spans()
        cut = [i for i, (start, end) in enumerate(spans)
               if (start < x2 < end) or (start < x1 < end) or start >= x2 or end <= x1]
        beyond = sum(1 for start, end in spans if end > x2)
        if beyond:
            shown = [i for i in range(len(spans)) if i not in cut]
            last_end = spans[shown[-1]][1] if shown else x1
            if x2 - last_end < len(self.MARKER.format(beyond + 1)) and len(shown) > 1:
                cut.append(shown[-1])
                beyond += 1
        return sorted(cut), beyond

    def _fixed_width(self) -> int:
        fixed = sum(c.get_render_width(self) for c in self.ordered_columns[:self.fixed_columns])
        labels = self._row_label_column_width if (self._labelled_row_exists
                                                  and self.show_row_labels) else 0
        return fixed + labels

    def widths_pending(self) -> bool:
        """Whether cells changed since the column widths were last measured (DataTable
        measures them when the app is next idle)."""
        return bool(self._updated_cells) or self._require_update_dimensions

    def _settle_widths(self) -> None:
        """Measure now what DataTable would measure when idle. On a busy machine a frame
        can be drawn before that: new cells in old widths ("neve" for "never", "3." for
        "3.25"), which this table promises never to show."""
        if self._updated_cells:
            cells = self._updated_cells.copy()
            self._updated_cells.clear()
            self._update_column_widths(cells)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(rows)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        if self.widths_pending():
            self._settle_widths()
        strip = super()._render_line(y, x1, x2, base_style)
        offset = self._fixed_width()
        # what is in view: the vertical scrollbar, when the table has one, covers the right
        visible = min(x2 - x1, self.scrollable_content_region.width) - offset
        if visible <= 0:
            return strip
        cut, beyond = self.hidden_columns(x1, x1 + visible)
        if not cut:
            return strip
        spans = self.column_spans()
        blank = [(spans[i][0] - x1 + offset, spans[i][1] - x1 + offset) for i in cut
                 if spans[i][1] > x1 and spans[i][0] < x1 + visible]
        header = self.show_header and y < self.header_height
        marker = self.MARKER.format(beyond) if header and beyond else ""
        return _blank(strip, blank, marker, offset + visible)
