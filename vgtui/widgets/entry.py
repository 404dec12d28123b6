"""ParseValidator: an input validator that asks an engine parser.

The parser (``parse_factors``, ``parse_field`` ...) is the same function the CLI uses,
so the TUI accepts exactly what a flag accepts and refuses it in the same words.
"""
from __future__ import annotations

from typing import Any, Callable

from textual.validation import ValidationResult, Validator

from ..engine.errors import VgtuiError


class ParseValidator(Validator):
    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def validate(self, value: str) -> ValidationResult:
        try:
            self.parse(value)
        except VgtuiError as exc:
            return self.failure(str(exc), value)
        return self.success()
