"""The argument parser shared by every lookup: one-line errors, exit code 2."""
from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NoReturn

from ..engine.config import FIELD_SPECS, parse_field, parse_value
from ..engine.errors import ConfigError, VgtuiError
from ..topics import TOPICS, topic

EXIT_USAGE = 2


class UsageError(Exception):
    """A user mistake found after parsing; printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is a single line on stderr and exit code 2.

    A value such as ``-1,0,1`` or ``-2e-3`` is read as a value (a list of numbers), not
    as an unknown option."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d|\.\d)[\d.eE+\-*,;:×\s]*$")

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: error: {self._with_range(message)}")

    def _with_range(self, message: str) -> str:
        """argparse's 'expected one argument' says nothing of what the flag takes: add it."""
        found = re.match(r"argument (--[\w-]+)(?:/[^:]*)?: expected one argument$", message)
        if not found:
            return message
        action = self._option_string_actions.get(found.group(1))
        accepts = accepted_text(action) if action is not None else ""
        return f"argument {found.group(1)}: expected a value" + (f": {accepts}" if accepts else "")

    def _get_values(self, action, arg_strings):
        # argparse drops a lone '--' even from '--flag=--', which then reaches the type
        # converter as an empty list; treat it as the text it is.
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)

    def add_subparsers(self, **kwargs):  # sub-parsers inherit the one-line error
        kwargs.setdefault("parser_class", Parser)
        return super().add_subparsers(**kwargs)


def screen_names() -> list[str]:
    return [f"{t.id}" + (f" = {t.key}" if t.key else "") for t in TOPICS]


def screen_id(name: str) -> str:
    """A screen's id from its id or number key; one line and exit 2 for an unknown one."""
    try:
        return topic(name.strip().lower()).id  # a key ("7") names it too
    except KeyError:
        fail(f"vgtui: error: --screen: unknown screen {name!r}; choose one of "
             f"{', '.join(screen_names())}")


def theme_names() -> list[str]:
    """The themes the app knows: Textual's built-in ones (light ones included)."""
    from textual.theme import BUILTIN_THEMES  # textual: only the app's --theme needs it

    return sorted(BUILTIN_THEMES)


def theme_name(name: str) -> str:
    """A theme's name as Textual spells it; one line and exit 2 for an unknown one."""
    wanted = name.strip().lower()
    names = theme_names()
    if wanted not in names:
        fail(f"vgtui: error: --theme: unknown theme {name!r}; choose one of {', '.join(names)}")
    return wanted


def fail(line: str, code: int = EXIT_USAGE) -> NoReturn:
    sys.stderr.write(" ".join(line.split()) + "\n")
    raise SystemExit(code)


def field_type(name: str):
    """An argparse type that validates through the engine's own field rules."""

    def convert(text: str) -> Any:
        try:
            return parse_field(name, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = FIELD_SPECS[name].label
    return convert


def add_field(parser: argparse.ArgumentParser, name: str, default: Any = None,
              high: float | None = None) -> None:
    """The flag of engine setting ``name``; ``high`` narrows its range for a lookup whose
    engine allows less (the Jacobian products keep n x n matrices per step)."""
    spec = FIELD_SPECS[name]
    if high is not None:
        spec = replace(spec, high=high)
    help_text = f"{spec.help} ({spec.describe_range()})"
    action = parser.add_argument(spec.flag, dest=name, type=spec_type(spec), default=default,
                                 metavar="NAME" if spec.choices else
                                 ("N" if spec.kind is int else "X"), help=help_text)
    action.accepts = spec.describe_range()


def accepted_text(action: argparse.Action) -> str:
    """What a flag accepts, for messages: its declared range, its choices, or its help."""
    accepts = getattr(action, "accepts", "") or getattr(action.type, "accepts", "")
    if accepts:
        return accepts
    if action.choices:
        return "one of " + ", ".join(map(str, action.choices))
    return " ".join((action.help or "").split())


def describe_error(exc: VgtuiError, flags: dict[str, str] | None = None) -> str:
    """'--scale: message' when the error names a setting, else the message.

    ``flags`` maps engine field names to a lookup's own flag where they differ (the
    scalar chain's ``trace_steps`` is ``vgtui trace --steps``)."""
    if exc.field and flags and exc.field in flags:
        return f"{flags[exc.field]}: {exc}"
    if exc.field and exc.field in FIELD_SPECS:
        return f"{FIELD_SPECS[exc.field].flag}: {exc}"
    if exc.field:
        return f"--{exc.field.replace('_', '-')}: {exc}"
    return str(exc)


def spec_type(spec):
    """An argparse type for any engine FieldSpec (ranges outside FIELD_SPECS too)."""

    def convert(text: str) -> Any:
        try:
            return parse_value(spec, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = spec.label
    convert.accepts = spec.describe_range()
    convert.choices = tuple(str(c) for c in (spec.choices or ()))  # for shell completion
    return convert


def list_type(parse, label: str):
    """An argparse type from an engine list parser such as parse_factors."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = label
    spec = getattr(parse, "spec", None)
    if spec is not None:
        convert.accepts = spec.describe()
    return convert


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 20 else repr(text[:17] + "...")


def _bounded(accepts: str, name: str, fits: Callable[[float], bool],
             make: Callable[[float], Any]):
    """An argparse type reading a number that ``fits``, refused in terms of ``accepts``."""

    def convert(text: str):
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"must be {accepts} (got {_shown(text)})") from None
        if not fits(value):
            raise argparse.ArgumentTypeError(f"must be {accepts} (got {_shown(text)})")
        return make(value)

    convert.__name__ = name
    convert.accepts = accepts
    return convert


def whole(low: int, high: int):
    """An argparse type for a count from ``low`` to ``high`` ('1e3' is 1000)."""
    return _bounded(f"a whole number from {low} to {high}", "count",
                    lambda value: value.is_integer() and low <= value <= high, int)


def real(low: float, high: float):
    """An argparse type for a finite number from ``low`` to ``high``."""
    return _bounded(f"a number from {low:g} to {high:g}", "number",
                    lambda value: math.isfinite(value) and low <= value <= high, float)


# --every on every lookup that prints a long table
positive_int = whole(1, 10**9)
