"""ControlPanel: one compact row per setting, validated inline.

Each field parses through an engine parser (``parse_field`` for the engine's own
settings, or the parser a ``PanelField`` names), so the TUI accepts exactly what the
CLI accepts and says why not in the same words. The panel posts
``ControlPanel.Changed`` whenever a person edits a field; the page then reads every
field as shown (``parsed``). Values written by the program (a preset, a nudge) are
written quietly: no message, so a programmatic write can never race a person typing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Iterable, Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from ..engine.config import FIELD_SPECS, parse_value
from ..engine.errors import VgtuiError
from .entry import ParseValidator
from .field_input import FieldInput
from .text import show_text


def compact(widget: Input | Select) -> Input | Select:
    """``widget`` in Textual's compact style (no border), set quietly before it mounts.
    Passing ``compact=True`` makes Textual toggle the class after construction, and each
    class a widget gives itself runs the whole stylesheet over it again (twice here, a
    few ms each): about a tenth of a page's first visit over all its fields."""
    widget.set_reactive(type(widget).compact, True)
    widget.add_class("-textual-compact", update=False)
    return widget


def value_text(value: Any) -> str:
    """How a value is written in a field (1.0 as "1", 0.05 as "0.05")."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (tuple, list)):
        return ",".join(value_text(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class PanelField:
    """One field of a control panel: its label, parser, limits and help."""

    name: str
    label: str
    parse: Callable[[Any], Any]
    tip: str = ""
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    whole: bool = False
    text: Callable[[Any], str] = value_text
    titles: tuple[str, ...] = ()  # what a choice field shows for each of ``choices``
    wide: bool = False  # label on its own row, the input the whole width below it

    @classmethod
    def setting(cls, name: str, label: str | None = None, low: float | None = None,
                high: float | None = None) -> "PanelField":
        """An engine setting (FIELD_SPECS), optionally with narrower limits."""
        spec = FIELD_SPECS[name]
        if low is not None or high is not None:
            spec = replace(spec, low=spec.low if low is None else low,
                           high=spec.high if high is None else high)
        return cls(name, label or spec.label, partial(parse_value, spec),
                   f"{spec.help}: {spec.describe_range()}", spec.choices, spec.low, spec.high,
                   spec.kind is int)


def as_field(item: "str | PanelField") -> PanelField:
    return item if isinstance(item, PanelField) else PanelField.setting(item)


class ControlPanel(Vertical):
    """Rows of label + input (or select) for the given fields."""

    DEFAULT_CSS = """
    ControlPanel { height: auto; }
    ControlPanel .field-block { height: auto; }
    ControlPanel .field-row { height: 1; }
    ControlPanel .field-label { width: 14; color: $text-muted; }
    ControlPanel Input, ControlPanel Select { width: 1fr; }
    ControlPanel .field-error { color: $text-error; height: auto; display: none; padding-left: 1; }
    ControlPanel .field-error.-shown { display: block; }
    ControlPanel .field-block.-disabled .field-label { text-style: strike; }
    ControlPanel .wide-label { width: 1fr; }
    ControlPanel .field-full { height: auto; color: $text-muted; display: none; }
    ControlPanel .field-full.-shown { display: block; }
    ControlPanel.inline { layout: horizontal; height: auto; }
    ControlPanel.inline .field-block { width: 1fr; margin-right: 2; }
    ControlPanel.inline .field-label { width: auto; padding-right: 1; }
    """

    class Changed(Message):
        """A person edited ``field``; ``values``/``errors`` are every field as shown."""

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

    def __init__(self, fields: Iterable[str | PanelField], values: Mapping[str, Any], *,
                 labels: dict[str, str] | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.specs = {f.name: f for f in map(as_field, fields)}
        if labels:
            self.specs = {n: replace(f, label=labels.get(n, f.label)) for n, f in self.specs.items()}
        self.fields = list(self.specs)
        self.initial = dict(values)
        self._errors: dict[str, str] = {}

    @property
    def field_names(self) -> list[str]:
        return self.fields

    def compose(self) -> ComposeResult:
        for name, spec in self.specs.items():
            with Vertical(classes="field-block", id=f"block-{name}"):
                if spec.wide:
                    yield Label(spec.label, classes="field-label wide-label")
                    yield from self._compose_input(name, spec)
                    yield Static("", classes="field-full", id=f"full-{name}")
                else:
                    with Horizontal(classes="field-row", id=f"row-{name}"):
                        yield Label(spec.label, classes="field-label")
                        yield from self._compose_input(name, spec)
                    if not spec.choices:
                        yield Static("", classes="field-full", id=f"full-{name}")
                yield Static("", classes="field-error", id=f"error-{name}")

    def _compose_input(self, name: str, spec: PanelField) -> ComposeResult:
        initial = self.initial.get(name, "")
        if spec.choices:
            try:
                chosen = spec.parse(initial)
            except VgtuiError:
                chosen = spec.choices[0]
            titles = spec.titles or spec.choices
            yield compact(Select(list(zip(titles, spec.choices)), value=chosen,
                                 allow_blank=False, id=f"field-{name}", tooltip=spec.tip))
        else:
            text = initial if isinstance(initial, str) else spec.text(initial)
            # "-valid": Textual marks the field after its first check; starting with
            # the mark spares a restyle when it holds (Textual corrects it otherwise)
            yield compact(FieldInput(text, id=f"field-{name}",
                                     validators=[ParseValidator(spec.parse)],
                                     validate_on=["changed"], tooltip=spec.tip,
                                     select_on_focus=not spec.wide,
                                     classes="-valid wide" if spec.wide else "-valid"))

    def on_mount(self) -> None:
        self._refresh_errors()

    def on_resize(self) -> None:
        self._refresh_full()

    def _refresh_full(self) -> None:
        """Under a field whose text is longer than the field can show (a long sentence, a
        list of gaps), the whole text, wrapped: no number or word is seen cut."""
        for name, spec in self.specs.items():
            if spec.choices:
                continue
            field = self.query_one(f"#field-{name}", Input)
            full = self.query_one(f"#full-{name}", Static)
            room = field.content_region.width or field.size.width
            text = str(field.value)
            # Exactly `room` characters fit an unfocused field; while it is being edited the
            # cursor's cell scrolls one off, which the typist sees happen.
            long = bool(room) and len(text) > room
            self._note(full, text if long else "")

    # -- reading and writing -------------------------------------------------
    def raw(self, name: str) -> Any:
        return self.query_one(f"#field-{name}").value

    def parse(self, name: str, value: Any) -> Any:
        return self.specs[name].parse(value)

    def bounds(self, name: str) -> tuple[float | None, float | None, bool]:
        spec = self.specs[name]
        return spec.low, spec.high, spec.whole

    def parsed(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = {}, {}
        for name, spec in self.specs.items():
            try:
                values[name] = spec.parse(self.raw(name))
            except VgtuiError as exc:
                errors[name] = str(exc)
        return values, errors

    def set_values(self, values: Mapping[str, Any], quiet: bool = False) -> None:
        """Show these values (those named in this panel). ``quiet``: post nothing (the
        page recomputes itself); otherwise Changed follows as if a person had typed."""
        changed = False
        with self.prevent(Input.Changed, Select.Changed) if quiet else _nothing():
            for name, value in values.items():
                spec = self.specs.get(name)
                if spec is None:
                    continue
                widget = self.query_one(f"#field-{name}")
                if isinstance(widget, Select):
                    try:
                        value = spec.parse(value)
                    except VgtuiError:
                        continue
                    if widget.value != value:
                        widget.value = value
                        changed = True
                else:
                    text = value if isinstance(value, str) else spec.text(value)
                    if widget.value != text:
                        widget.value = text
                        widget.cursor_position = len(text)
                        changed = True
        if quiet and changed:
            self._refresh_errors()

    def set_enabled(self, names: Iterable[str], enabled: bool, reason: str = "") -> None:
        """Disable (or enable again) fields that do not apply, saying why in the tooltip."""
        for name in names:
            if name not in self.specs:
                continue
            widget = self.query_one(f"#field-{name}")
            widget.disabled = not enabled
            widget.tooltip = self.specs[name].tip if enabled else (reason or "does not apply")
            self.query_one(f"#block-{name}").set_class(not enabled, "-disabled")

    def show_fields(self, names: Iterable[str], visible: bool) -> None:
        """Show or hide fields (those that mean nothing for the current choice)."""
        for name in names:
            if name in self.specs:
                self.query_one(f"#block-{name}").display = visible

    def show_error(self, name: str, message: str) -> None:
        """Put a message under a field (a check that needed the other fields too)."""
        if name in self.specs:
            self._note(self.query_one(f"#error-{name}", Static), message)

    def _note(self, note: Static, text: str) -> None:
        """Show ``text`` under a field, hidden when empty. Every key re-checks every
        field's two notes; only a change is drawn (see ``show_text``)."""
        if show_text(note, text):
            note.set_class(bool(text), "-shown")

    @property
    def errors(self) -> dict[str, str]:
        return dict(self._errors)

    # -- events --------------------------------------------------------------
    def _refresh_errors(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = self.parsed()
        self._errors = errors
        for name in self.fields:
            self._note(self.query_one(f"#error-{name}", Static), errors.get(name, ""))
        self._refresh_full()
        return values, errors

    def _announce(self, field: str) -> None:
        values, errors = self._refresh_errors()
        self.post_message(self.Changed(self, None if errors else values, errors, field))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._announce((event.input.id or "").removeprefix("field-"))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._announce((event.select.id or "").removeprefix("field-"))


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
