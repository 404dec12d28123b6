"""ConfigPage: the one base of every screen that computes from settings.

A screen declares what is particular to it and nothing else:

- ``CONTROLS``: the sections of its control column, each a titled list of fields (engine
  settings by name, or ``PanelField``s with their own parser), and where the preset
  picker goes;
- ``NUDGES``: single keys that step a field (``+``/``-`` on the weight scale, ``]``/``[``
  on T), bounded by the field's own limits;
- ``make_config(values)``: the configuration the fields ask for (hashable);
- ``compute(config, job)``: the engine call, run in a thread worker;
- ``draw(result)``: how a result is shown;
- ``command(config)``: the ``vgtui <lookup>`` line that prints the same figures.

This class owns the rest, once: fields to configuration, debounced requests keyed by the
configuration, the worker and the dropping of stale results, the configuration on
screen, presets (picker, ``p`` cycling in a stable order, ``d`` back to defaults),
nudges, and inline refusals that keep the last good result. Results, refusals and
progress travel from the worker as typed messages (``Computed``, ``Refused``,
``Progress``), so every screen receives them on one path.

A key press reaches the engine like this: the key edits a field (or a nudge or preset
writes one) -> ``ControlPanel.Changed`` -> ``values()`` reads every field as shown ->
``make_config`` -> ``Requests.ask`` (debounced; the configuration on screen or on its way
is not asked for again) -> ``_work`` in a thread -> ``compute`` -> ``Computed`` posted
back -> ``draw`` on the UI thread.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Hashable, Iterable, Mapping

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Select, Static

from ..engine.errors import VgtuiError
from ..widgets.controls import ControlPanel, PanelField, as_field
from ..widgets.keys import HIDDEN, LEAVE_FIELD, key_table
from ..widgets.text import show_text
from .base import Computed, Job, PageScreen, Refused  # noqa: F401 (Job: for screens)

# Edits closer together than this are coalesced into one recompute.
DEBOUNCE_SECONDS = 0.25


@dataclass(frozen=True)
class Section:
    """A titled group of fields in the control column."""

    title: str
    fields: tuple[str | PanelField, ...]
    id: str = "panel"  # the ControlPanel's id is "<PREFIX>-<id>"


PRESETS_HERE = "presets"  # marks where the preset picker goes in CONTROLS


@dataclass(frozen=True)
class Nudge:
    """A key that steps one field: by ``step`` (added) or by ``factor`` (multiplied, at
    least one unit for whole-number fields), never past the field's limits."""

    keys: str  # as a person types them: "+,=" or "]"
    field: str
    step: float = 0.0
    factor: float = 0.0
    label: str = ""  # short footer text, e.g. "scale+"
    tooltip: str = ""
    group: str = ""  # footer group shared by the up and down keys, e.g. "scale"
    show: bool = True


_KEY_NAMES = {"+": "plus", "=": "equals_sign", "-": "minus", "_": "underscore",
              "]": "right_square_bracket", "[": "left_square_bracket",
              ">": "greater_than_sign", "<": "less_than_sign", ".": "full_stop",
              ",": "comma", "/": "slash", " ": "space"}


def key_names(keys: str) -> str:
    """Textual's key names for keys written as typed ("+,=" -> "plus,equals_sign")."""
    return ",".join(_KEY_NAMES.get(k, k) for k in keys.split(",") if k) if keys != "," else "comma"


_NEXT_PRESET = ("p", "next_preset", "preset", "next_preset",
                "Load the next preset (in the order the picker lists them)")
_DEFAULTS = ("d", "defaults", "defaults", "defaults",
             "Put every setting back to the screen's defaults", HIDDEN)


def nudge_bindings(prefix: str, nudges: Iterable[Nudge]) -> list[Binding]:
    groups: dict[str, Binding.Group] = {}
    out = []
    for n in nudges:
        group = groups.setdefault(n.group, Binding.Group(n.group, compact=True)) if n.group else None
        shown = n.keys.split(",")[0]
        out.append(Binding(key_names(n.keys), f"nudge({n.field!r}, {n.step!r}, {n.factor!r})",
                           n.label, key_display=shown, show=n.show, group=group,
                           id=f"{prefix}.nudge.{n.field}.{'up' if (n.step or n.factor - 1) > 0 else 'down'}",
                           tooltip=n.tooltip or n.label))
    return out


class Requests:
    """Recompute requests, keyed by the configuration they are for.

    Edits closer together than ``delay`` launch once, for the last configuration; a
    request for the configuration last launched is dropped (it is on screen or on its
    way) and tells the screen its settings are current again. After a refusal the screen
    sets ``launched`` back to what is shown, so that the refused configuration may be
    asked for again while the last good one stays current.
    """

    def __init__(self, page: "ConfigPage", launch: Callable[[Hashable], None]) -> None:
        self._page = page
        self._launch = launch
        self.pending: Hashable | None = None
        self.launched: Hashable | None = None
        self._timer = None

    def ask(self, key: Hashable, immediate: bool = False, delay: float = DEBOUNCE_SECONDS) -> None:
        self.cancel()
        if key == self.launched:
            self._page.settings_current()
            return
        self.pending = key
        if immediate or delay <= 0:
            self.flush()
        else:
            self._timer = self._page.set_timer(delay, self.flush)

    def cancel(self) -> None:
        """Forget a request not yet launched (its field no longer shows it)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.pending = None

    def flush(self) -> None:
        self._timer = None
        key, self.pending = self.pending, None
        if key is None:
            return
        self.launched = key
        self._launch(key)


class ConfigPage(PageScreen):
    """A screen computed from settings; see the module docstring."""

    PREFIX: ClassVar[str] = "page"
    CONTROLS: ClassVar[tuple[Section | str, ...]] = ()
    NUDGES: ClassVar[tuple[Nudge, ...]] = ()
    PRESETS: ClassVar[tuple[Any, ...]] = ()  # engine Presets (name, title, note, values)
    DEFAULT_PRESET: ClassVar[str] = ""  # the preset the screen opens on ("" = defaults)
    DEMO_PRESET: ClassVar[str] = ""  # the preset the demo narration talks about
    KEEP_ON_PRESET: ClassVar[tuple[str, ...]] = ("device", "dtype")
    PRESETS_LABEL: ClassVar[str] = "preset"
    PRESET_OVER: ClassVar[str] = "defaults"  # or "current": a preset changes only its own fields
    DEBOUNCE: ClassVar[float] = DEBOUNCE_SECONDS
    LIMITS_NOTE: ClassVar[str] = ""
    FIRST_MESSAGE: ClassVar[str] = "computing the first result (torch is loading)..."

    BASE_BINDINGS: ClassVar[list[Binding]] = []

    def __init_subclass__(cls, **kwargs) -> None:
        # The bindings are complete before Textual reads them (in super's hook).
        if "NUDGES" in cls.__dict__ or "BINDINGS" in cls.__dict__:
            own = list(cls.__dict__.get("BINDINGS", []))
            prefix = cls.__dict__.get("SCREEN_ID") or cls.PREFIX
            generic = key_table(prefix, *([_NEXT_PRESET] if cls.PRESETS else []), _DEFAULTS,
                                LEAVE_FIELD)
            cls.BINDINGS = nudge_bindings(prefix, cls.NUDGES) + own + generic
        super().__init_subclass__(**kwargs)

    def __init__(self) -> None:
        super().__init__()
        self.result: Any = None
        self.shown_key: Hashable | None = None  # the request key of the result on screen
        self.requests = Requests(self, self._launch)
        self.launches = 0  # engine jobs started (tests count them)
        self._panels: list[ControlPanel] | None = None
        # Focus rests where the page put it (on opening, after Esc): the next Tab goes to
        # the first setting, since digits typed on the page switch screens instead.
        self._tab_enters_fields = True
        self._serial = 0
        self._preset_cursor = -1  # the preset last chosen, for p's stable order
        start = self.preset(self.DEFAULT_PRESET) if self.DEFAULT_PRESET else None
        if start is not None:
            self._preset_cursor = self.PRESETS.index(start)
        self._initial = self.preset_values(start, {}) if start else self.default_values()
        self.config: Any = self.make_config(self.parse_values(self._initial))

    @classmethod
    def field_specs(cls) -> dict[str, PanelField]:
        """Every field of the control column, by name."""
        return {f.name: f for item in cls.CONTROLS if isinstance(item, Section)
                for f in map(as_field, item.fields)}

    def parse_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values (or texts) parsed by their fields' parsers; VgtuiError if one is bad."""
        specs = self.field_specs()
        return {name: specs[name].parse(value) if name in specs else value
                for name, value in values.items()}

    # == what a screen declares =================================================
    def default_values(self) -> dict[str, Any]:
        """Every field's value when nothing is chosen (parsed values or texts)."""
        return {}

    def make_config(self, values: Mapping[str, Any]) -> Hashable:
        """The configuration the fields ask for; VgtuiError when they do not fit together."""
        return tuple(sorted(values.items()))

    def compute(self, config: Any, job: Job) -> Any:
        """The engine call (in a thread worker). Every computing screen defines it; the
        base has no engine call of its own to make."""
        raise NotImplementedError(f"{type(self).__name__} defines no compute()")

    def draw(self, result: Any) -> None:
        """Show a result (UI thread)."""

    def command(self, config: Any) -> str | None:
        """The ``vgtui <lookup>`` line that prints the figures of ``config``."""
        return None

    def compose_results(self) -> ComposeResult:
        yield from ()

    def compose_controls_extra(self) -> ComposeResult:
        """Widgets below the fields (a model note, a list of series...)."""
        yield from ()

    def request_context(self) -> Hashable:
        """State beside the fields that changes what a configuration means (a loaded
        model); part of every request key."""
        return None

    def result_status(self, result: Any) -> dict[str, Any]:
        """device / dtype / seconds of a result, for the status line."""
        return {k: getattr(result, k) for k in ("device", "dtype", "seconds")
                if isinstance(getattr(result, k, None), (str, float, int))}

    def working_label(self, config: Any) -> str:
        return "computing"

    # == layout ====================================================================
    def compose_page(self) -> ComposeResult:
        p = self.PREFIX
        with Horizontal(id=f"{p}-body", classes="page-columns"):
            with VerticalScroll(id=f"{p}-controls", classes="controls"):
                for item in self.CONTROLS:
                    if item == PRESETS_HERE:
                        yield from self._compose_presets()
                    elif isinstance(item, str):  # the name of a compose method of the screen
                        yield from getattr(self, item)()
                    else:
                        if item.title:
                            yield Label(item.title, classes="section")
                        yield ControlPanel(item.fields, self._initial, id=f"{p}-{item.id}")
                yield from self.compose_controls_extra()
                if self.LIMITS_NOTE:
                    yield Static(self.LIMITS_NOTE, classes="note limits-note")
            with VerticalScroll(id=f"{p}-results", classes="results"):
                yield from self.compose_results()

    def _compose_presets(self) -> ComposeResult:
        yield Label(self.PRESETS_LABEL, classes="section")
        yield self.preset_select()
        yield self.preset_note()

    def preset_select(self) -> Select:
        start = self.preset(self.DEFAULT_PRESET)
        return Select([(pr.label, pr.name) for pr in self.PRESETS],
                      value=start.name if start else Select.NULL, allow_blank=True,
                      prompt="(custom)", compact=True, id=f"{self.PREFIX}-preset")

    def preset_note(self) -> Static:
        start = self.preset(self.DEFAULT_PRESET)
        return Static(Content(start.note if start else "defaults"),
                      id=f"{self.PREFIX}-preset-note", classes="note")

    def on_mount(self) -> None:
        self.setup_tables()
        # After the first paint: the first result may need torch, whose import would
        # otherwise hold the GIL while the screen is drawn.
        self.call_after_refresh(self.request, True)

    def setup_tables(self) -> None:
        """Add DataTable columns (screens with fixed tables override this)."""

    def has_result(self) -> bool:
        return self.result is not None

    # == fields ====================================================================
    @property
    def panels(self) -> list[ControlPanel]:
        # Every field's first Changed event asks for a result, and each request reads
        # every panel: a DOM query each time cost a tenth of a second per first visit.
        # The panels are all composed before the page mounts and never change after.
        if self._panels is None:
            if not self.is_mounted:
                return list(self.query(ControlPanel))
            self._panels = list(self.query(ControlPanel))
        return self._panels

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Every field as shown, parsed; and the errors of those that do not parse."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for panel in self.panels:
            v, e = panel.parsed()
            values.update(v)
            errors.update(e)
        return values, errors

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Write these values into the fields (without each firing a recompute)."""
        for panel in self.panels:
            panel.set_values(values, quiet=True)

    def apply(self, values: Mapping[str, Any]) -> None:
        """Write these values into the fields and compute what they ask for at once."""
        self.set_values(values)
        self.request(immediate=True)

    @on(ControlPanel.Changed)
    def _panel_changed(self, event: ControlPanel.Changed) -> None:
        event.stop()
        self.on_fields_edited(event.field)
        self.request()

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_leave_field()  # Enter, like Esc, hands the keys back to the page

    def on_fields_edited(self, field: str) -> None:
        """A person edited ``field`` (screens that react beyond recomputing override)."""

    def request(self, immediate: bool = False) -> None:
        """Ask for the result of what the fields show now (debounced unless immediate)."""
        if not self.is_mounted:
            return
        values, errors = self.values()
        if errors:
            self.requests.cancel()  # a pending request no longer matches the fields
            first = next(iter(errors.values()))
            self.status.show(message=f"✗ {first} (last good result kept)", error=True)
            self._sync_preset(values, errors)
            return
        for panel in self.panels:
            for name in panel.field_names:
                panel.show_error(name, "")  # a cross-field message from before goes
        try:
            config = self.make_config(values)
        except (VgtuiError, ValueError) as exc:
            self.requests.cancel()
            self.status.show(message=f"✗ {exc} (last good result kept)", error=True)
            for panel in self.panels:  # say it under the field it names, too
                panel.show_error(getattr(exc, "field", None) or "", str(exc))
            return
        self.config = config
        self._sync_preset(values, errors)
        self.requests.ask((config, self.request_context()), immediate, self.DEBOUNCE)

    def settings_current(self) -> None:
        """The fields ask for what is on screen (or on its way): a stale error goes."""
        if self._serial_settled >= self._serial and self.shown_key == self.requests.launched:
            self.status.show(message="up to date", error=False)

    # == presets ===================================================================
    def preset(self, name: str):
        return next((p for p in self.PRESETS if p.name == name), None)

    def preset_values(self, preset, current: Mapping[str, Any]) -> dict[str, Any]:
        """The fields a preset asks for: defaults, the preset's values, and the current
        device and dtype (a preset is about the network, not the machine)."""
        base = dict(current) if self.PRESET_OVER == "current" and current else self.default_values()
        values = {**base, **dict(preset.values)}
        for name in self.KEEP_ON_PRESET:
            if name in current:
                values[name] = current[name]
        return values

    def preset_config(self, name: str) -> Any:
        """The configuration preset ``name`` stands for (with today's device and dtype)."""
        values, _ = self.values()
        return self.make_config(self.parse_values(self.preset_values(self.preset(name), values)))

    def load_preset(self, name: str) -> None:
        """Put the fields at preset ``name`` and compute it at once."""
        preset = self.preset(name)
        if preset is None:
            self.status.show(message=f"✗ no preset {name!r} on this screen", error=True)
            return
        self._preset_cursor = self.PRESETS.index(preset)
        values, _ = self.values()
        self.before_preset(preset)
        self.set_values(self.preset_values(preset, values))
        self.request(immediate=True)

    def before_preset(self, preset) -> None:
        """Hook: a preset is about to be applied (a loaded model is put away, say)."""

    def action_next_preset(self) -> None:
        if not self.PRESETS:
            return
        self.load_preset(self.PRESETS[(self._preset_cursor + 1) % len(self.PRESETS)].name)

    def action_defaults(self) -> None:
        self._put_defaults()
        self.request(immediate=True)
        self.status.show(message="settings back to the screen's defaults", error=False)

    def _put_defaults(self) -> None:
        values, _ = self.values()
        self._preset_cursor = -1
        defaults = self.default_values()
        for name in self.KEEP_ON_PRESET:
            if name in values:
                defaults[name] = values[name]
        self.before_preset(None)
        self.set_values(defaults)

    def set_up(self, preset: str = "", values: Mapping[str, Any] | None = None) -> None:
        """Put the screen in a given state, whatever it showed before: preset ``preset``
        (or the screen's defaults), then these field values (as typed) over it. The
        Claims screen opens a claim's screen this way."""
        if preset and self.preset(preset) is not None:
            self.load_preset(preset)
        else:
            self._put_defaults()
        if values:
            self.set_values(values)
            for name in values:
                self.on_fields_edited(name)
        self.request(immediate=True)

    @on(Select.Changed)
    def _preset_picked(self, event: Select.Changed) -> None:
        if event.select.id != f"{self.PREFIX}-preset":
            return
        event.stop()
        if event.value is not Select.NULL and self.preset(event.value) is not None:
            self.load_preset(event.value)

    def _matching_preset(self, values: Mapping[str, Any]):
        if self.request_context() is not None:
            return None  # weights from a file: no preset describes them
        for preset in self.PRESETS:
            wanted = self.preset_values(preset, values)
            try:
                if all(self._parsed(name, wanted[name]) == values.get(name) for name in wanted
                       if name in values):
                    return preset
            except VgtuiError:
                continue
        return None

    def _parsed(self, name: str, value: Any) -> Any:
        spec = self.field_specs().get(name)
        return spec.parse(value) if spec is not None else value

    def _sync_preset(self, values: Mapping[str, Any], errors: Mapping[str, str]) -> None:
        """Show the preset the fields match, or none; never fires a preset choice."""
        if not self.PRESETS:
            return
        try:
            select = self.query_one(f"#{self.PREFIX}-preset", Select)
            note = self.query_one(f"#{self.PREFIX}-preset-note", Static)
        except Exception:
            return
        match = None if errors else self._matching_preset(values)
        with self.prevent(Select.Changed):
            if match is None:
                if select.value is not Select.NULL:
                    select.clear()
                text = self.custom_note()
            else:
                if select.value != match.name:
                    select.value = match.name
                text = match.note
        show_text(note, text)

    def custom_note(self) -> str:
        return "custom settings"

    # == nudges ====================================================================
    def action_nudge(self, name: str, step: float = 0.0, factor: float = 0.0) -> None:
        values, errors = self.values()
        if name in errors or name not in values:
            self.status.show(message=f"✗ fix {name.replace('_', ' ')} first "
                             "(last good result kept)", error=True)
            return
        panel = next(p for p in self.panels if name in p.field_names)
        low, high, whole = panel.bounds(name)
        value = values[name]
        if factor:
            if factor > 1:
                new = max(value + 1, round(value * factor)) if whole else value * factor
            else:
                new = min(value - 1, round(value * factor)) if whole else value * factor
        else:
            new = value + step
        new = round(new, 6) if not whole else int(new)
        if low is not None:
            new = max(low, new)
        if high is not None:
            new = min(high, new)
        if whole:
            new = int(new)
        panel.set_values({name: new}, quiet=True)
        self.on_fields_edited(name)
        self.request(immediate=True)

    def action_leave_field(self) -> None:
        self.rest_focus()
        self._tab_enters_fields = True

    def rest_focus(self) -> None:
        """Where Esc leaves the keys: the results (screens with tabs override)."""
        self.query_one(f"#{self.PREFIX}-results").focus()

    @property
    def tab_enters_fields(self) -> bool:
        """Whether focus rests where the page put it (on opening, after Esc or Enter) and
        no setting has had focus since: the app's Tab then goes to the first setting
        (``enter_fields``), since the digits a person types next would otherwise switch
        screens. Anywhere else Tab moves on as usual, so the tables stay reachable (from
        the last setting Tab goes on to the results)."""
        return self._tab_enters_fields and not self._in_fields(self.focused)

    @staticmethod
    def _in_fields(widget) -> bool:
        return widget is not None and any(isinstance(a, ControlPanel) for a in widget.ancestors)

    def enter_fields(self) -> None:
        """Focus the first setting shown, at once (the keys typed after Tab are queued
        already and must land in it)."""
        first = next((w for w in self.focus_chain if self._in_fields(w)), None)
        if first is not None:
            self.set_focus(first)

    def on_descendant_focus(self, event) -> None:
        if self._in_fields(event.widget):
            self._tab_enters_fields = False

    # == computing =================================================================
    KEEP_RESULTS: ClassVar[int] = 6  # recent results kept, so going back costs nothing

    def _launch(self, key: Hashable) -> None:
        config, context = key
        kept = self._kept.get(key) if hasattr(self, "_kept") else None
        if kept is not None:  # computed before: shown again without a new job
            self._serial += 1
            self.post_message(Computed(self._serial, key, kept, -1.0))
            return
        self.launches += 1
        self.run_job(lambda job: self.compute(config, job), None, self.working_label(config),
                     key=key, context=context)

    def _keep(self, key: Hashable, result: Any) -> None:
        if not hasattr(self, "_kept"):
            self._kept: OrderedDict = OrderedDict()
        self._kept[key] = result
        self._kept.move_to_end(key)
        while len(self._kept) > self.KEEP_RESULTS:
            self._kept.popitem(last=False)

    def deliver_result(self, message: Computed) -> None:
        previous = self.result
        self.result = message.result
        try:
            self.draw(message.result)
        except Exception as exc:  # the last good figures stay; the status says why
            self.result = previous
            self.requests.launched = self.shown_key
            self.status.show(message=f"✗ internal error while drawing: {type(exc).__name__}: "
                             f"{exc} (last good result kept)", error=True)
            return
        self.shown_key = message.key
        self._keep(message.key, message.result)
        if message.seconds < 0:  # a kept result: no compute time to report
            self.status.clear_timing()
            status = self.result_status(message.result)
            status.pop("seconds", None)
            self.status.show(**status, message="up to date (computed earlier)", error=False)
        else:
            # the whole job's time (a training run inside it included), never a part's
            status = {**self.result_status(message.result), "seconds": message.seconds}
            self.status.show(**status, message="up to date", error=False)
        self.after_draw()

    def after_draw(self) -> None:
        """Hook: a new result is on screen."""

    def redraw(self) -> None:
        """The result on screen, drawn again (in a new theme): no engine call."""
        if self.result is not None:
            self.draw(self.result)

    def deliver_refusal(self, message: Refused) -> None:
        self.requests.launched = self.shown_key  # the refused settings may be asked again
        self.show_compute_error(message.message)

    def show_progress(self, fraction: float, text: str) -> None:
        self.status.show(message=f"{self.working_label(self.config)}: {100 * fraction:.0f}%"
                         + (f" {text}" if text else ""), error=False)

    # == commands ==================================================================
    def cli_command(self) -> str | None:
        return self.command(self.config)

    def demo_prepare(self) -> None:
        if self.DEMO_PRESET:
            self.load_preset(self.DEMO_PRESET)

    def palette_commands(self):
        title = self.TITLE
        # The preset's name (what --preset takes) is in the entry, so typing it finds it.
        cmds = [(f"{title} preset {p.label}", f"--preset {p.name}: {p.note}",
                 lambda n=p.name: self.load_preset(n)) for p in self.PRESETS]
        for n in self.NUDGES:
            cmds.append((f"{title}: {n.tooltip or n.label}", f"key {n.keys.split(',')[0]}",
                         lambda n=n: self.action_nudge(n.field, n.step, n.factor)))
        cmds.append((f"{title}: back to defaults", "key d: every setting as the screen opened",
                     self.action_defaults))
        return cmds + self.extra_commands()

    def extra_commands(self):
        """Palette entries beyond presets, nudges and defaults."""
        return []

