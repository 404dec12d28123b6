"""ParsedField: a labelled input whose text goes through an engine parser.

The parser (``parse_factors``, ``parse_field`` ...) is the same function the CLI
uses, so the TUI accepts exactly what a flag accepts and refuses it in the same
words, inline under the field. The field posts ``ParsedField.Changed`` with the
parsed value, or with the error and no value.
"""
from __future__ import annotations

from typing import Any, Callable

from textual.content import Content
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static

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


class ParsedField(Vertical):
    """One row: label and input; below it an error line shown only when needed."""

    DEFAULT_CSS = """
    ParsedField { height: auto; width: 1fr; }
    ParsedField > .pf-row { height: 1; }
    ParsedField .pf-label { width: auto; color: $text-muted; padding-right: 1; }
    ParsedField Input { width: 1fr; }
    ParsedField .pf-error { color: $text-error; height: auto; display: none; padding-left: 1; }
    ParsedField .pf-error.-shown { display: block; }
    """

    class Changed(Message):
        def __init__(self, field: "ParsedField", value: Any, error: str | None) -> None:
            super().__init__()
            self.field = field
            self.value = value
            self.error = error

        @property
        def control(self) -> "ParsedField":
            return self.field

    def __init__(self, label: str, parse: Callable[[str], Any], text: str, *,
                 label_width: int | None = None, tooltip: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self.parse = parse
        self.initial = text
        self.label_width = label_width
        self.tip = tooltip
        self.error: str | None = None
        try:
            self.value: Any = parse(text)
        except VgtuiError as exc:
            self.value, self.error = None, str(exc)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pf-row"):
            label = Label(self.label, classes="pf-label")
            if self.label_width:
                label.styles.width = self.label_width
            yield label
            yield Input(self.initial, compact=True, validators=[ParseValidator(self.parse)],
                        validate_on=["changed"], select_on_focus=True, tooltip=self.tip)
        yield Static("", classes="pf-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def text(self) -> str:
        return self.input.value

    def set_text(self, text: str) -> None:
        """Show this text; parses and fires Changed as typing would."""
        field = self.input
        if field.value != text:
            field.value = text
            field.cursor_position = len(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        error_line = self.query_one(".pf-error", Static)
        try:
            value = self.parse(event.value)
        except VgtuiError as exc:
            self.error = str(exc)
            error_line.update(Content(f"✗ {self.error}"))  # user text is not markup
            error_line.add_class("-shown")
            self.post_message(self.Changed(self, None, self.error))
            return
        self.value, self.error = value, None
        error_line.update("")
        error_line.remove_class("-shown")
        self.post_message(self.Changed(self, value, None))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()


def first_field_error(node) -> str | None:
    """The message of the first ParsedField under ``node`` that holds a bad entry."""
    for field in node.query(ParsedField):
        if field.error:
            return field.error
    return None
