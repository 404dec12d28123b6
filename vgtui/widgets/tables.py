"""Filling a DataTable whose columns change from one result to the next."""
from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.widgets import DataTable


def _width(cell) -> int:
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
