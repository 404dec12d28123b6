"""Printing lookup results: rich tables, JSON that stays exact, CSV.

JSON is written by hand-rolled walking only to keep numbers honest: a
LogMagnitude becomes a literal such as 3.16e-3010, infinities become 1e999 /
-1e999 (valid JSON that parses back to +-inf), nan becomes null.
"""
from __future__ import annotations

import csv
import json
import math
import os
import sys
from typing import Any, Iterable

from ..engine.magnitude import LogMagnitude


def _number(x: float) -> str:
    if math.isnan(x):
        return "null"
    if math.isinf(x):
        return "1e999" if x > 0 else "-1e999"
    return repr(float(x))


def to_json(obj: Any, indent: int = 2, _level: int = 0) -> str:
    pad = " " * (indent * (_level + 1))
    end = " " * (indent * _level)
    if isinstance(obj, LogMagnitude):
        return obj.json()
    if obj is None or isinstance(obj, bool):
        return json.dumps(obj)
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        return _number(obj)
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (bytes that were not UTF-8): escaped
            return json.dumps(obj)
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(str(k))}: {to_json(v, indent, _level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(to_json(v, indent, _level + 1) for v in obj) + "]"
        items = [pad + to_json(v, indent, _level + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + end + "]"
    if hasattr(obj, "item"):  # numpy scalars
        return to_json(obj.item(), indent, _level)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def print_json(obj: Any) -> None:
    sys.stdout.write(to_json(obj) + "\n")


def print_csv(header: list[str], rows: Iterable[list[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (v.json() if isinstance(v, LogMagnitude) else v)
                         for v in row])


def console():
    from rich.console import Console  # rich: only the table output needs it

    class _PipeConsole(Console):
        """rich ends the process with exit code 1 when the reader of a pipe goes away
        (``vgtui decay | head -1``); here that is an ordinary end of output, handled once
        by the command line's entry point, which exits 0."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

        def print(self, *objects, **kwargs) -> None:
            super().print(*[part for obj in objects for part in _fit_title(self, obj)],
                          **kwargs)

    # Piped output gets a generous width so tables are never cut to fit 80 columns.
    probe = Console()
    return _PipeConsole(highlight=False, soft_wrap=False,
                        width=None if probe.is_terminal else max(probe.width, 120))


def _fit_title(out, obj) -> list:
    """A table whose title is wider than the table itself: the title goes on a line of its
    own above it (the console's width), instead of wrapping over several narrow lines."""
    from rich.measure import Measurement  # rich: only the table output needs it
    from rich.table import Table  # rich: only the table output needs it
    from rich.text import Text  # rich: only the table output needs it

    if not isinstance(obj, Table) or not obj.title or obj.expand:
        return [obj]
    title = obj.title if isinstance(obj.title, Text) else Text.from_markup(str(obj.title))
    width = Measurement.get(out, out.options, obj).maximum
    if title.cell_len <= min(width, out.width):
        return [obj]
    obj.title = None
    title.stylize(obj.title_style or "table.title")
    return [title, obj]


def silence_stdout() -> None:
    """After the reader of stdout has gone: point stdout at /dev/null, so the interpreter's
    last flush at exit finds nowhere to fail (and prints no 'Exception ignored')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced (tests) or closed
        pass


# -- CSV from the JSON object: the same numbers, one table --------------------------------
#
# Every lookup's CSV is read off the very object its --json prints, so both always carry
# the same numbers. ``where`` names the table inside that object:
#   "rows" (any key): a list of objects, one row each; nested objects become columns
#       named parent_child (watch's loss -> loss_first, loss_last); lists are left out
#   "columns": the object's equal-length lists of numbers, one row per index (t = 1..T)
#   "inits" style (a key whose value is an object of objects): one row per inner object
#   "runs/per_layer": rows of the inner list, each with its parent's own fields in front


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, LogMagnitude):
        return value.json()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) or hasattr(value, "item"):
        value = float(value.item() if hasattr(value, "item") else value)
        return "" if math.isnan(value) else _number(value)
    return str(value)


def _flat(obj: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "_"))
        elif not isinstance(value, (list, tuple)):
            out[name] = value
    return out


def _columns(data: dict) -> list[dict[str, Any]]:
    lists = {k: v for k, v in data.items() if isinstance(v, (list, tuple)) and v
             and all(not isinstance(x, (list, tuple, dict)) for x in v)}
    if not lists:
        return []
    length = data.get("steps") if isinstance(data.get("steps"), int) else None
    if length is None or not any(len(v) == length for v in lists.values()):
        lengths = [len(v) for v in lists.values()]
        length = max(set(lengths), key=lengths.count)
    keep = {k: v for k, v in lists.items() if len(v) == length}
    rows = []
    for i in range(length):
        row: dict[str, Any] = {} if "t" in keep else {"t": i + 1}
        row.update({k: v[i] for k, v in keep.items()})
        rows.append(row)
    return rows


def csv_records(data: dict, where: str) -> list[dict[str, Any]]:
    """The rows of one table inside a lookup's JSON object (see above)."""
    if where == "columns":
        return _columns(data)
    outer, _, inner = where.partition("/")
    items = data.get(outer) or []
    if isinstance(items, dict):
        items = list(items.values())
    rows = []
    for item in items:
        if not inner:
            rows.append(_flat(item))
            continue
        own = _flat(item)
        for sub in item.get(inner) or [{}]:
            rows.append({**own, **{f"{inner}_{k}" if k in own else k: v
                                   for k, v in _flat(sub).items()}})
    return rows


def print_records(records: list[dict[str, Any]]) -> None:
    """One CSV table: a header of every column met (in order), one line per record."""
    header: list[str] = []
    for record in records:
        header += [k for k in record if k not in header]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(k)) for k in header])


def print_data(args, data: dict, where: str = "rows") -> bool:
    """--json or --csv of one result; False when neither was asked for (a table then)."""
    if getattr(args, "json", False):
        print_json(data)
        return True
    if getattr(args, "csv", False):
        print_records(csv_records(data, where))
        return True
    return False


def add_formats(parser, csv_help: str = "print the rows as CSV (the same numbers as --json)",
                plot: str | None = None):
    """--json, --csv and (for a lookup with a chart) --plot, one at a time."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print one JSON object")
    group.add_argument("--csv", action="store_true", help=csv_help)
    if plot:
        group.add_argument("--plot", action="store_true", help=plot)
    return group


PLOT_HELP = "print the screen's chart (the same drawing as the app) instead of the table"


def print_charts(charts, lines=()) -> None:
    """Charts of the screens (vgtui.widgets.charts.Chart), each under its title, drawn at
    the console's width; then any summary lines."""
    from rich.text import Text  # rich: only the chart output needs it

    out = console()
    width = min(out.width, 160)
    for chart in charts:
        out.print(Text(chart.title, style="bold"))
        out.print(chart.draw(width), crop=True, overflow="crop", no_wrap=True)
        out.print()
    for line in lines:
        out.print(line)
