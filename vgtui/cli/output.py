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

    # Piped output gets a generous width so tables are never cut to fit 80 columns.
    probe = Console()
    return _PipeConsole(highlight=False, soft_wrap=False,
                        width=None if probe.is_terminal else max(probe.width, 120))


def silence_stdout() -> None:
    """After the reader of stdout has gone: point stdout at /dev/null, so the interpreter's
    last flush at exit finds nowhere to fail (and prints no 'Exception ignored')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout replaced (tests) or closed
        pass
