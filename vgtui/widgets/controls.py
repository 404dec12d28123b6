"""ControlPanel: one compact row per engine setting, validated inline.

Each field parses through the engine's ``parse_field`` (via a Textual
Validator), so the TUI accepts exactly what the CLI accepts and says why not in
the same words. The panel posts ``ControlPanel.Changed`` with every parsed value
when all fields are valid, or with the errors when some are not.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

from textual.content import Content
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from ..engine.config import FIELD_SPECS, parse_field
from ..engine.errors import ConfigError
from .entry import ParseValidator


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


class ControlPanel(Vertical):
    """Rows of label + input (or select) for the named engine settings."""

    DEFAULT_CSS = """
    ControlPanel { height: auto; }
    ControlPanel .field-row { height: 1; }
    ControlPanel .field-label { width: 14; color: $text-muted; }
    ControlPanel Input, ControlPanel Select { width: 1fr; }
    ControlPanel .field-error { color: $text-error; height: auto; display: none; padding-left: 1; }
    ControlPanel .field-error.-shown { display: block; }
    """

    class Changed(Message):
        def __init__(self, panel: "ControlPanel", values: dict[str, Any] | None,
                     errors: dict[str, str], field: str) -> None:
            super().__init__()
            self.panel = panel
            self.values = values
            self.errors = errors
            self.field = field

        @property
        def control(self) -> "ControlPanel":
            return self.panel

    def __init__(self, fields: Iterable[str], values: dict[str, Any], *,
                 labels: dict[str, str] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields = list(fields)
        self.initial = dict(values)
        self.labels = labels or {}
        self._errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        for name in self.fields:
            spec = FIELD_SPECS[name]
            tip = f"{spec.help}: {spec.describe_range()}"
            with Horizontal(classes="field-row"):
                yield Label(self.labels.get(name, spec.label), classes="field-label")
                if spec.choices:
                    yield Select([(c, c) for c in spec.choices], value=self.initial[name],
                                 allow_blank=False, compact=True, id=f"field-{name}", tooltip=tip)
                else:
                    yield Input(_text(self.initial[name]), compact=True, id=f"field-{name}",
                                validators=[ParseValidator(partial(parse_field, name))], validate_on=["changed"],
                                tooltip=tip, select_on_focus=True)
            yield Static("", classes="field-error", id=f"error-{name}")

    # -- reading and writing -------------------------------------------------
    def raw(self, name: str) -> Any:
        widget = self.query_one(f"#field-{name}")
        return widget.value

    def parsed(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = {}, {}
        for name in self.fields:
            try:
                values[name] = parse_field(name, self.raw(name))
            except ConfigError as exc:
                errors[name] = str(exc)
        return values, errors

    def set_values(self, values: dict[str, Any]) -> None:
        """Show these values (those named in this panel); fires Changed as typing would."""
        for name, value in values.items():
            if name not in self.fields:
                continue
            widget = self.query_one(f"#field-{name}")
            if isinstance(widget, Select):
                if widget.value != value:
                    widget.value = value
            else:
                text = _text(value)
                if widget.value != text:
                    widget.value = text
                    widget.cursor_position = len(text)

    @property
    def errors(self) -> dict[str, str]:
        return dict(self._errors)

    # -- events --------------------------------------------------------------
    def _announce(self, field: str) -> None:
        values, errors = self.parsed()
        self._errors = errors
        for name in self.fields:
            label = self.query_one(f"#error-{name}", Static)
            message = errors.get(name, "")
            label.update(Content(message))  # plain text: user input is no markup
            label.set_class(bool(message), "-shown")
        self.post_message(self.Changed(self, None if errors else values, errors, field))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._announce((event.input.id or "").removeprefix("field-"))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._announce((event.select.id or "").removeprefix("field-"))
