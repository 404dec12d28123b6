"""RNNPage: a PageScreen with RNN settings, presets and extra inputs on the left.

Shared by the Jacobian, Bengio bound and Exploding screens (it is a base class,
not a screen: it has no SCREEN_ID and is not in the registry). It owns the parts
that are the same on each: a preset picker, the ControlPanel of engine settings,
extra inputs validated by engine parsers, a short debounce, one engine job per
change in a worker, and inline errors that keep the last good result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from ..engine.config import RNNConfig
from ..engine.errors import VgtuiError
from ..widgets.controls import ControlPanel
from ..widgets.entry import ParseValidator
from .base import PageScreen, Requests, next_name



@dataclass(frozen=True)
class Extra:
    """An input beside the RNN settings, parsed by an engine function."""

    name: str
    label: str
    default: str
    parse: Callable[[str], Any]
    tooltip: str


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    note: str
    changes: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)

    def config(self, base: RNNConfig | None = None, defaults: dict[str, Any] | None = None) -> RNNConfig:
        keep = {k: v for k, v in (base.to_dict() if base else {}).items() if k in ("device", "dtype")}
        return RNNConfig(**{**RNNConfig().to_dict(), **(defaults or {}), **keep, **self.changes})


class RNNPage(PageScreen):
    FIELDS: ClassVar[list[str]] = ["activation", "init", "scale", "init_noise", "hidden", "steps",
                                   "input_size", "input_scale", "seed", "leaky_slope", "device",
                                   "dtype"]
    PRESETS: ClassVar[dict[str, Preset]] = {}
    DEFAULT_PRESET: ClassVar[str] = ""
    EXTRAS: ClassVar[list[Extra]] = []
    LIMITS_NOTE: ClassVar[str] = ""
    PREFIX: ClassVar[str] = "page"

    def __init__(self) -> None:
        super().__init__()
        preset = self.PRESETS[self.DEFAULT_PRESET]
        self.config = preset.config()
        self.extras = {e.name: e.parse(preset.extras.get(e.name, e.default)) for e in self.EXTRAS}
        self.extra_texts = {e.name: preset.extras.get(e.name, e.default) for e in self.EXTRAS}
        self.result: Any = None
        self._shown: tuple | None = None
        self.requests = Requests(self, self._launch)
        self._extra_errors: dict[str, str] = {}

    # -- layout -------------------------------------------------------------------
    def compose_page(self) -> ComposeResult:
        p = self.PREFIX
        with Horizontal(id=f"{p}-body", classes="rnn-body"):
            with VerticalScroll(id=f"{p}-controls", classes="controls"):
                yield Label("preset", classes="section")
                yield Select([(pr.title, pr.name) for pr in self.PRESETS.values()],
                             value=self.DEFAULT_PRESET, allow_blank=True, prompt="(custom)",
                             compact=True, id=f"{p}-preset")
                yield Static(self.PRESETS[self.DEFAULT_PRESET].note, id=f"{p}-preset-note",
                             classes="note")
                if self.EXTRAS:
                    yield Label(self.extras_title(), classes="section")
                    for e in self.EXTRAS:
                        with Horizontal(classes="field-row extra-row"):
                            yield Label(e.label, classes="field-label")
                            yield Input(self.extra_texts[e.name], compact=True, id=f"extra-{e.name}",
                                        validators=[ParseValidator(e.parse)],
                                        validate_on=["changed"], tooltip=e.tooltip,
                                        select_on_focus=True)
                        yield Static("", classes="field-error extra-error",
                                     id=f"extra-error-{e.name}")
                yield Label("settings", classes="section")
                yield ControlPanel(self.FIELDS, self.config.to_dict(), id=f"{p}-panel")
                if self.LIMITS_NOTE:
                    yield Static(self.LIMITS_NOTE, classes="note limits-note")
            with VerticalScroll(id=f"{p}-results", classes="results"):
                yield from self.compose_results()

    def compose_results(self) -> ComposeResult:
        yield from ()

    def extras_title(self) -> str:
        return "inputs"

    def has_result(self) -> bool:
        return self.result is not None

    def on_mount(self) -> None:
        self.setup_tables()
        self.request(immediate=True)

    def setup_tables(self) -> None:
        """Add DataTable columns (overridden by screens with tables)."""

    # -- events -------------------------------------------------------------------
    @on(ControlPanel.Changed)
    def _settings_changed(self, event: ControlPanel.Changed) -> None:
        config = self.config_from_panel(event, self.config)
        if config is None:
            return
        self.config = config
        self._sync_preset_select()
        self.request()

    @on(Input.Changed, ".extra-row Input")
    def _extra_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = (event.input.id or "").removeprefix("extra-")
        spec = next(e for e in self.EXTRAS if e.name == name)
        label = self.query_one(f"#extra-error-{name}", Static)
        try:
            value = spec.parse(event.value)
        except VgtuiError as exc:
            self._extra_errors[name] = str(exc)
            label.update(str(exc))
            label.add_class("-shown")
            self.status.show(message=f"✗ {exc} (last good result kept)", error=True)
            return
        self._extra_errors.pop(name, None)
        label.update("")
        label.remove_class("-shown")
        self.extra_texts[name] = event.value
        self.extras[name] = value
        self._sync_preset_select()
        self.request()

    @on(Select.Changed)
    def _preset_chosen(self, event: Select.Changed) -> None:
        if event.select.id != f"{self.PREFIX}-preset":
            return
        event.stop()
        if event.value is Select.NULL or event.value not in self.PRESETS:
            return
        self.apply_preset(self.PRESETS[event.value])

    def apply_preset(self, preset: Preset) -> None:
        self.query_one(f"#{self.PREFIX}-preset-note", Static).update(preset.note)
        config = preset.config(self.config)
        for e in self.EXTRAS:
            text = preset.extras.get(e.name, e.default)
            field_input = self.query_one(f"#extra-{e.name}", Input)
            if field_input.value != text:
                field_input.value = text
            self.extra_texts[e.name] = text
            self.extras[e.name] = e.parse(text)
            self._extra_errors.pop(e.name, None)
        self.config = config
        self.query_one(ControlPanel).set_values(config.to_dict())
        self.request()

    def _preset_matches(self, preset: Preset) -> bool:
        if preset.config(self.config) != self.config:
            return False
        return all(self.extra_texts.get(e.name) == preset.extras.get(e.name, e.default)
                   for e in self.EXTRAS)

    def _sync_preset_select(self) -> None:
        match = next((p.name for p in self.PRESETS.values() if self._preset_matches(p)), None)
        select = self.query_one(f"#{self.PREFIX}-preset", Select)
        if match is None and select.value is not Select.NULL:
            with self.prevent(Select.Changed):
                select.clear()
            self.query_one(f"#{self.PREFIX}-preset-note", Static).update("custom settings")
        elif match is not None and select.value != match:
            with self.prevent(Select.Changed):
                select.value = match
            self.query_one(f"#{self.PREFIX}-preset-note", Static).update(self.PRESETS[match].note)

    def load_preset(self, name: str) -> None:
        self.query_one(f"#{self.PREFIX}-preset", Select).value = name

    def action_next_preset(self) -> None:
        self.load_preset(next_name(self.PRESETS, self.query_one(f"#{self.PREFIX}-preset", Select).value))

    def action_nudge_scale(self, delta: float) -> None:
        scale = min(100.0, max(0.0, round(self.config.scale + float(delta), 6)))
        self.query_one(ControlPanel).set_values({"scale": scale})

    def action_leave_field(self) -> None:
        self.query_one(f"#{self.PREFIX}-results").focus()

    def demo_prepare(self) -> None:
        self.load_preset(self.DEFAULT_PRESET)

    def preset_commands(self, screen_title: str):
        return [(f"{screen_title} preset: {p.title}", p.note, lambda n=p.name: self.load_preset(n))
                for p in self.PRESETS.values()]

    # -- computing ----------------------------------------------------------------
    def state(self) -> tuple:
        return (self.config, tuple(sorted((k, repr(v)) for k, v in self.extras.items())))

    def request(self, immediate: bool = False) -> None:
        if self._extra_errors:
            return
        self.requests.ask(self.state(), immediate)

    def _launch(self, state: tuple) -> None:
        config, extras = self.config, dict(self.extras)
        job = self.make_job(config, extras)
        self.compute(job, lambda result: self._deliver(state, result),
                     label=f"computing T={config.steps}, n={config.hidden}")

    def make_job(self, config: RNNConfig, extras: dict[str, Any]) -> Callable[[Callable[[], bool]], Any]:
        """The engine call for this state (every subclass defines its own)."""
        return lambda cancelled: None

    def _deliver(self, state: tuple, result: Any) -> None:
        previous = self.result
        self.result = result
        self._shown = state
        try:
            self.draw(result)
        except Exception as exc:  # a drawing fault must say so, not fail silently
            self.result = previous
            self.status.show(message=f"✗ internal error while drawing: {type(exc).__name__}: "
                             f"{exc}", error=True)
            return
        device, dtype, seconds = self.result_status(result)
        self.status.show(device=device, dtype=dtype, seconds=seconds, message="up to date",
                         error=False)

    def result_status(self, result: Any) -> tuple[str | None, str | None, float | None]:
        return None, None, None

    def draw(self, result: Any) -> None:
        """Put a result on screen (every subclass defines it)."""

    def show_compute_error(self, message: str) -> None:
        self.requests.launched_was(self._shown)  # a refused state may be asked for again
        super().show_compute_error(message)
