"""The Textual app: screens from the registry as modes, global keys, palette, help.

Nothing here imports torch. The first screen draws at once; torch is imported
in a background thread so it is warm by the time the first result is wanted.

Also here: demo mode (``vgtui --demo``: every screen with a DEMO narration in
registry order, each put in its demo state), the ANSI theme that draws with
the terminal's own palette (``--ansi``, ``VGTUI_ANSI=1`` or ctrl+t), and the theme and
last screen remembered between runs (settings.json, below): a theme chosen in the app
(ctrl+p, "Theme") is saved, one given on the command line is for that run only.
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import json
import os
import shlex
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any, Callable, Iterable

from textual import events, work
from textual._context import active_app
from textual.app import App, ScreenStackError, SystemCommand, UnknownModeError
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Input

from .engine import RNNConfig
from .topics import TOPICS, topic, topic_ids
from .widgets.field_input import FieldInput
from .widgets.keys import HIDDEN, key_table
from .widgets.pickers import CommandBox, Palette, ScreenPicker

ANSI_THEME = "ansi-dark"


def demo_text(title: str, narration: str) -> str:
    """A screen's demo narration without a leading name of the screen ("Scalar chain:",
    "The scalar chain:"): the bar's border already names it."""
    text = narration.strip()
    head, sep, rest = text.partition(": ")

    def plain(words: str) -> str:
        words = words.lower().replace("&", "and").strip()
        return words[4:] if words.startswith("the ") else words

    name = plain(title)
    if sep and (plain(head) == name or plain(head).startswith(name.split()[0])) \
            and len(head) <= 40:
        return rest[:1].upper() + rest[1:]
    return text


def save_directory(save_dir: str | None = None, kind: str = "screenshots") -> Path:
    """Where ctrl+s (``kind`` "screenshots") and e ("figures") save: ``--save-dir``, else
    $VGTUI_SAVE_DIR, else $XDG_DATA_HOME/vgtui/<kind>, else ~/.local/share/vgtui/<kind>
    (never the current directory, which may be a checkout or read-only)."""
    chosen = save_dir or os.environ.get("VGTUI_SAVE_DIR", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".local" / "share"
    return root / "vgtui" / kind


# -- what the app remembers between runs ---------------------------------------------
# The theme and the last screen shown, in one small JSON file: settings.json in
# $VGTUI_CONFIG_DIR, else $XDG_CONFIG_HOME/vgtui, else ~/.config/vgtui. Deleting it resets
# both. A file that cannot be read, or is not what vgtui writes, is ignored (the app says so
# in one notice); nothing here raises.
SETTINGS_FILE = "settings.json"
SETTINGS_KEYS = ("theme", "screen")  # both strings; anything else in the file is left out


def config_dir() -> Path:
    """Where settings.json lives (see above)."""
    chosen = os.environ.get("VGTUI_CONFIG_DIR", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".config"
    return root / "vgtui"


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings() -> tuple[dict[str, str], str | None]:
    """The remembered settings, and a line saying why the file was ignored (None when it
    was read, or when there is none yet)."""
    try:
        path = settings_path()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, RuntimeError, ValueError) as exc:  # unreadable, a folder, bad bytes
        return {}, f"{_settings_where()}: could not be read ({_why(exc)}); ignored"
    try:
        data = json.loads(text)
    except ValueError:
        return {}, f"{_settings_where()}: not valid JSON; ignored (delete it to start afresh)"
    if not isinstance(data, dict):
        return {}, f"{_settings_where()}: not a JSON object; ignored (delete it to start afresh)"
    return {k: data[k] for k in SETTINGS_KEYS if isinstance(data.get(k), str)}, None


def save_settings(settings: dict[str, Any]) -> str | None:
    """Write the settings (replacing the file in one step, so a reader never sees half of
    it); a line saying why not, or None."""
    data = {k: settings[k] for k in SETTINGS_KEYS if isinstance(settings.get(k), str)}
    part = None
    try:
        path = settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{SETTINGS_FILE}.{os.getpid()}")
        part.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(part, path)
    except (OSError, RuntimeError, ValueError) as exc:
        if part is not None:
            with contextlib.suppress(OSError):
                part.unlink()  # the half-written copy, if any
        return f"{_settings_where()}: settings not saved ({_why(exc)})"
    return None


def _settings_where() -> str:
    try:
        path = settings_path()
        home = Path.home()
        return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
    except (OSError, RuntimeError, ValueError):
        return SETTINGS_FILE


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def run_lookup(command: str, fmt: str) -> tuple[int, str]:
    """Run ``vgtui <lookup> ... --csv|--json`` (a screen's c command) in a fresh
    interpreter: the output, or the one-line refusal, with the exit code."""
    argv = shlex.split(command)
    argv = [sys.executable, "-m", "vgtui", *argv[1:], f"--{fmt}"]
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout if done.returncode == 0 else done.stderr


def _home_short(path: Path) -> str:
    """The path with the home directory written as ~."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except (ValueError, RuntimeError, OSError):
        return str(path)


_AT_ONCE = {"priority": True}  # before any focused widget sees the key
_AT_ONCE_HIDDEN = {**_AT_ONCE, **HIDDEN}


def _goto_bindings() -> list[Binding]:
    return [Binding(entry.key, f"goto('{entry.id}')", entry.title, show=False,
                    id=f"goto.{entry.id}", tooltip=f"Open the {entry.title} screen")
            for entry in TOPICS if entry.key]


def _new_page(entry) -> Screen:
    """``entry``'s screen, marked as styled with the app's CSS as it is now. Textual
    otherwise re-parses the whole stylesheet and restyles every node, twice, whenever a
    mode opens for the first time (a screen starts at "never styled"); a new screen needs
    none of that, since its widgets are styled as they mount. A theme change later bumps
    the app's count and the screen is restyled as usual. (About a third of a second per
    first visit here; tests/ui/test_page_base.py checks it.)"""
    screen = entry.load()()
    screen._css_update_count = active_app.get()._css_update_count
    return screen


def _page_factory(entry) -> Callable[[], Screen]:
    """What a mode opens: the page built ahead in idle time if there is one (see
    ``VgtuiApp.build_pages_ahead``), else a new one."""
    def build() -> Screen:
        ahead = getattr(active_app.get(), "pages_ahead", {})
        return ahead.pop(entry.id, None) or _new_page(entry)
    return build


# Building pages ahead waits for this long without a key, mouse move or paste, and for
# the shown page's own result: a person at work keeps the whole UI thread.
QUIET_BEFORE_BUILDING = 0.4

# Python's cyclic garbage collector, once start-up is over, runs only while the app is
# quiet: an automatic collection starts wherever an allocation happens to cross the
# threshold, and on a running app those took 30-170 ms in the middle of a key press or
# of F1 (BENCHMARKS.md). Every GC_EVERY seconds, with at least GC_YOUNG new objects
# waiting, a collection runs once GC_QUIET seconds have passed without input, or at
# once past GC_BACKSTOP objects (held keys, a long training run), so memory stays
# bounded. Generations are chosen as Python's own collector would.
GC_EVERY = 0.1
GC_QUIET = 0.3
GC_YOUNG = 2_000
GC_BACKSTOP = 100_000


class VgtuiApp(App):
    CSS_PATH = "vgtui.tcss"
    TITLE = "vgtui"
    SUB_TITLE = "vanishing and exploding gradients in RNNs"
    MODES = {entry.id: _page_factory(entry) for entry in TOPICS}
    BINDINGS = _goto_bindings() + key_table(
        "app",
        ("f1,question_mark", "help", "help", "help", "Explain the current screen",
         {"key_display": "F1"}),
        ("g", "pick_screen", "screens", "screens", "List every screen and open one"),
        ("c", "copy_command", "as command", "copy_command",
         "Show the vgtui command that prints this screen's figures", HIDDEN),
        ("ctrl+s", "save_svg", "SVG", "screenshot",
         "Save an SVG screenshot (see README: where; in a browser: a download)", HIDDEN),
        ("e,ctrl+e", "export", "save figures", "export",
         "Save the figures on screen as CSV and JSON (the c command's --csv and --json)", HIDDEN),
        ("ctrl+t", "toggle_ansi", "ANSI theme", "ansi",
         "Switch between the default theme and the terminal's own palette", HIDDEN),
        ("q", "quit", "quit", "quit", "Leave vgtui"),
        # While a field has focus, the keys that leave it act at once, in typing order
        # (a Tab typed between two numbers must not land after the second one).
        ("tab", "field_focus(1)", "next field", "field_next", "", _AT_ONCE_HIDDEN),
        ("shift+tab", "field_focus(-1)", "previous field", "field_previous", "", _AT_ONCE_HIDDEN),
        ("escape", "field_leave", "leave field", "field_leave", "", _AT_ONCE_HIDDEN),
    ) + key_table(
        # Demo mode only (check_action turns them off otherwise, so the keys pass on).
        "demo",
        ("space,right", "demo_step(1)", "next", "next", "Next screen of the demo", _AT_ONCE),
        ("left", "demo_step(-1)", "back", "back", "Previous screen of the demo", _AT_ONCE),
        ("escape", "demo_stop", "end demo", "stop", "End the demo and stay on this screen",
         _AT_ONCE),
    )

    def __init__(self, start_screen: str | None = None, *, demo: bool = False,
                 demo_interval: float | None = None, ansi: bool = False,
                 save_dir: str | None = None, theme: str | None = None,
                 build_ahead: bool | None = None) -> None:
        super().__init__()
        # Pages built in idle time after start-up, by screen id, until first shown. Off by
        # default under a test pilot (headless): hundreds of test apps would each build
        # every page, which nobody looks at there.
        self.build_ahead = build_ahead
        self.pages_ahead: dict[str, Screen] = {}
        self.pages_built_ahead = False  # set once every page has been built (or shown)
        self._last_input = time.monotonic()
        self.save_dir = save_dir
        # What the last run remembered; a screen or theme asked for now wins over it.
        self.remembered, self.settings_problem = load_settings()
        self._settings_unsaved = False
        remembered_screen = self.remembered.get("screen")
        if remembered_screen not in topic_ids() or demo or demo_interval:
            remembered_screen = None  # a demo walks from the first screen
        self.start_screen = start_screen or remembered_screen or TOPICS[0].id
        self.start_theme = theme
        self._starting = True  # themes set while starting are not the user's choice
        self.torch_version: str | None = None
        self.demo_active = bool(demo or demo_interval)
        self.demo_interval = demo_interval
        self.demo_index = 0
        self._demo_timer = None
        self._plain_theme: str | None = None
        self.start_ansi = ansi

    def on_mount(self) -> None:
        self._apply_start_theme()
        if self.settings_problem:
            self.notify(self.settings_problem, title="settings", severity="warning",
                        timeout=8, markup=False)
        if self.demo_active:
            self.demo_start(self.start_screen)
        else:
            self.switch_mode(self.start_screen)
        # Only after the first screen is drawn: importing torch holds the GIL for a while.
        self.call_after_refresh(self._warm_torch)

    @work(thread=True, exclusive=True, group="warm-torch", exit_on_error=False)
    def _warm_torch(self) -> None:
        import torch  # the slow import, off the UI thread

        self.call_from_thread(self._torch_ready, torch.__version__)
        # The rest waits for the first screen's own result: imports hold the GIL, and the
        # screen being looked at comes first.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.call_from_thread(self._screen_ready):
            time.sleep(0.1)
        warm_up()
        settle_garbage_collector()  # holds the GIL either way: no need to hop threads
        self.call_from_thread(self._collect_when_quiet)  # before any page is built ahead
        self.call_from_thread(self._start_building_ahead)

    def _start_building_ahead(self) -> None:
        wanted = self.build_ahead if self.build_ahead is not None else not self.is_headless
        if wanted and not self._closing_down():
            self.run_worker(self.build_pages_ahead(), group="build-ahead", exclusive=True,
                            exit_on_error=False)
        else:
            self.pages_built_ahead = True

    _gc_timer = None  # the quiet-time collector's timer, once started
    _building_page = False  # a page built ahead is being mounted (frozen once mounted)

    def _collect_when_quiet(self) -> None:
        """Take over garbage collection from Python's automatic collector (see GC_EVERY)."""
        if self._gc_timer is not None or self._closing_down():
            return
        gc.disable()
        self._gc_timer = self.set_interval(GC_EVERY, self._collect_if_quiet)

    def _collect_if_quiet(self) -> None:
        young, middle, old = gc.get_count()
        if young < GC_YOUNG:
            return
        if young < GC_BACKSTOP and (time.monotonic() - self._last_input < GC_QUIET
                                    or self._building_page):
            return
        gc.collect(2 if old >= 10 else 1 if middle >= 10 else 0)

    def on_unmount(self) -> None:
        if self._gc_timer is not None:  # the process goes on (tests, an embedding program)
            self._gc_timer.stop()
            self._gc_timer = None
            gc.enable()

    def _pages_to_build(self) -> list[str]:
        """Every page not opened yet, the ones after the shown page (by key) first."""
        ids = topic_ids()
        here = ids.index(self.current_mode) + 1 if self.current_mode in ids else 0
        return [i for i in ids[here:] + ids[:here]
                if i not in self._screen_stacks and i not in self.pages_ahead]

    async def build_pages_ahead(self) -> None:
        """Build every page not yet opened, one at a time, while the app is quiet, so that
        a first visit costs what a return visit does (about a quarter of a second instead
        of 0.5-1.2 s: composing and styling some hundred widgets is most of a first
        visit). Textual builds widgets on the UI thread, but in steps: a key pressed while
        a page is being built waits for one step (under 0.1 s here, BENCHMARKS.md), not
        for the page. Each page is mounted off-stage and computes its first result as it
        would on screen."""
        for screen_id in self._pages_to_build():
            while not self._quiet():
                await asyncio.sleep(0.05)
            if self._closing_down():
                return
            if screen_id in self._screen_stacks:
                continue  # opened meanwhile
            try:
                page = _new_page(topic(screen_id))
            except Exception:  # noqa: BLE001 - a page that cannot be built says so when opened
                continue
            self.pages_ahead[screen_id] = page
            # The page's widgets live as long as the app: the quiet-time collector leaves
            # them alone while they are made (a collection of the young objects then held
            # the UI for about 0.2 s), and once mounted they join what start-up froze.
            self._building_page = True
            try:
                self._register(self, page)
                started = time.monotonic()
                # a slow first result does not hold the rest
                while time.monotonic() < started + 20 and not self._closing_down():
                    if self._building_page and (page.is_mounted
                                                or time.monotonic() > started + 3):
                        self._building_page = False
                        if page.is_mounted:
                            gc.freeze()
                    ready = getattr(page, "is_ready", None)
                    if page.is_mounted and (not callable(ready) or ready()):
                        break
                    await asyncio.sleep(0.05)
            finally:
                self._building_page = False
        self.pages_built_ahead = True

    def _quiet(self) -> bool:
        """No input for a moment and the shown page has its result."""
        return (time.monotonic() - self._last_input >= QUIET_BEFORE_BUILDING
                and (self._closing_down() or self._screen_ready()))

    def _screen_ready(self) -> bool:
        ready = getattr(self.screen, "is_ready", None)
        return ready() if callable(ready) else True


    def _torch_ready(self, version: str) -> None:
        self.torch_version = version

    async def on_event(self, event: events.Event) -> None:
        # Keys typed after a quit (a burst behind the palette's "Quit" entry) would reach
        # screens already taken down and raise ScreenStackError on the way out.
        if isinstance(event, (events.Key, events.Paste)) and self._closing_down():
            return
        if isinstance(event, (events.InputEvent, events.Paste)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def action_goto(self, screen_id: str) -> None:
        if self._closing_down():
            return
        if screen_id not in topic_ids():
            self.notify(f"There is no screen {screen_id!r} in this build of vgtui.",
                        severity="warning")
            return
        # A demo move still on its way would land after this and undo the user's choice.
        self.workers.cancel_group(self, "demo")
        # Overlays (help, palette, pickers, dialogs) belong to the screen being left:
        # close them, so none is left behind in another mode's stack.
        while len(self.screen_stack) > 1:
            # Stop the overlay's own workers first: the palette's search, finishing after
            # its list was removed, would otherwise fail on the missing widget.
            self.workers.cancel_node(self.screen)
            self.pop_screen()
        self.switch_mode(screen_id)

    def open_set_up(self, screen_id: str, preset: str = "",
                    values: Iterable[tuple[str, str]] = ()) -> None:
        """Open a screen in a given state (its preset, or its defaults, and field values
        over it), not as it was last left: what the Claims screen's Enter does."""
        self.action_goto(screen_id)
        self.run_worker(self._set_up(screen_id, preset, dict(values)), group="set-up",
                        exclusive=True, exit_on_error=False)

    async def _set_up(self, screen_id: str, preset: str, values: dict) -> None:
        for _ in range(500):  # a screen opened for the first time mounts in a moment
            try:
                screen = self.screen
            except ScreenStackError:
                return  # the app is closing
            if getattr(screen, "SCREEN_ID", None) != screen_id:
                return  # another screen was chosen meanwhile
            if screen.is_mounted:
                break
            await asyncio.sleep(0.01)
        else:
            return
        if hasattr(screen, "set_up"):
            screen.set_up(preset, values)

    # -- demo mode --------------------------------------------------------------
    @staticmethod
    def demo_screen_ids() -> list[str]:
        """Registry order, leaving out screens with no DEMO narration."""
        return [entry.id for entry in TOPICS
                if (getattr(entry.load(), "DEMO", "") or "").strip()]

    def demo_start(self, screen_id: str | None = None) -> None:
        ids = self.demo_screen_ids()
        if not ids:
            self.demo_active = False
            self.switch_mode(screen_id or TOPICS[0].id)
            self.notify("No screen has a demo narration.", severity="warning")
            return
        self.demo_active = True
        self.demo_index = ids.index(screen_id) if screen_id in ids else 0
        if self.demo_interval:
            self._demo_timer = self.set_interval(self.demo_interval, self._demo_tick)
        self._demo_run()

    def _demo_run(self) -> None:
        # exit_on_error=False: a demo step that fails (the app closing under it) must
        # never take the app down with it.
        self.run_worker(self._demo_show, exclusive=True, group="demo", exit_on_error=False)

    def _demo_tick(self) -> None:
        if self.demo_active and self.is_running and not self._closing_down():
            # The last move is still mounting its page (a busy machine): moving on now
            # would switch away mid-mount and can leave that page half built.
            if any(w.is_running for w in self.workers if w.group == "demo"):
                return
            self._demo_move(1)

    def _demo_move(self, delta: int) -> None:
        ids = self.demo_screen_ids()
        self.demo_index = (self.demo_index + delta) % len(ids)
        self._demo_run()

    def _closing_down(self) -> bool:
        """Quitting, or already taking the screens down (a shutdown empties every mode's
        stack before the last queued keys are handled)."""
        return (bool(getattr(self, "_exit", False)) or getattr(self, "_closing", False)
                or (self._driver is not None and not getattr(self, "_running", True)))

    async def _demo_show(self) -> None:

        ids = self.demo_screen_ids()
        screen_id = ids[self.demo_index]
        if not self.demo_active or not self.is_running or self._closing_down():
            return
        try:
            await self.switch_mode(screen_id)
            screen = self.screen
        except (ScreenStackError, UnknownModeError):
            return  # the app is closing: its screens are already gone
        if not self.demo_active:  # ended while the screen was being drawn
            return
        if hasattr(screen, "demo_prepare"):
            try:
                screen.demo_prepare()
            except Exception as exc:  # a screen's preset must never stop the demo
                self.notify(f"{screen_id}: demo preset failed ({type(exc).__name__}: {exc})",
                            severity="warning")
        if hasattr(screen, "show_demo_narration"):
            text = demo_text(screen.TITLE, screen.DEMO)
            keys = "space next · ← back · Esc ends the demo"
            if self.demo_interval:
                keys = f"every {self.demo_interval:g} s · " + keys
            screen.show_demo_narration(
                text, f"DEMO {self.demo_index + 1}/{len(ids)} · {screen.TITLE} · {keys}")
            if hasattr(screen, "demo_reveal"):
                # once the bar has taken its rows: what the narration is about, in view
                screen.call_after_refresh(screen.demo_reveal)

    def action_demo_step(self, delta: int) -> None:
        if self._demo_timer is not None:
            self._demo_timer.reset()
        self._demo_move(int(delta))

    def action_demo_stop(self) -> None:
        self.demo_active = False
        if self._demo_timer is not None:
            self._demo_timer.stop()
            self._demo_timer = None
        # A move still on its way (a timer tick just before Escape) would land afterwards
        # and narrate again: it is dropped.
        self.workers.cancel_group(self, "demo")
        if hasattr(self.screen, "show_demo_narration"):
            self.screen.show_demo_narration(None)
        self.refresh_bindings()
        self.notify("Demo ended; every key works as usual again.")

    def _field_focused(self) -> bool:
        focused = self.focused
        return isinstance(focused, FieldInput) and focused.screen is self.screen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("field_"):
            return self._field_focused() or self._tab_enters_fields(action, parameters)
        if action.startswith("demo_"):
            # Only on a page, and not while typing: a modal (help, palette, picker) and
            # a field keep their own keys.

            typing = isinstance(self.focused, Input)
            return (self.demo_active and hasattr(self.screen, "show_demo_narration")
                    and not typing)
        return True

    def _tab_enters_fields(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Tab on a page resting where it put the focus goes to its first setting (see
        ConfigPage.tab_enters_fields); a priority binding, so that it acts before the keys
        typed after it are handed on."""
        return (action == "field_focus" and bool(parameters) and int(parameters[0]) > 0
                and getattr(self.screen, "tab_enters_fields", False))

    def action_field_focus(self, direction: int) -> None:
        if not self._field_focused() and hasattr(self.screen, "enter_fields"):
            self.screen.enter_fields()
        elif int(direction) > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def action_field_leave(self) -> None:
        screen = self.screen
        if hasattr(screen, "action_leave_field"):
            screen.action_leave_field()
        else:
            screen.set_focus(None)

    # -- themes and remembered settings ------------------------------------------
    def _apply_start_theme(self) -> None:
        """--theme, else --ansi (or VGTUI_ANSI), else the theme remembered, else Textual's
        default (a remembered theme this Textual lacks is ignored)."""
        remembered = self.remembered.get("theme")
        try:
            if self.start_theme and self.start_theme not in self.available_themes:
                self.settings_problem = f"there is no theme {self.start_theme!r}; ignored"
            elif self.start_theme:
                self.theme = self.start_theme
            elif self.start_ansi:
                self.action_toggle_ansi()
            elif remembered:
                if remembered in self.available_themes:
                    self.theme = remembered
                else:
                    self.settings_problem = (f"remembered theme {remembered!r} is not one this "
                                             "Textual has; ignored")
        finally:
            self._starting = False

    def watch_theme(self, theme: str) -> None:
        # Textual restyles its own widgets; the pages draw their figures again in the
        # theme's colours: every page of this mode's stack now (one may show under an
        # overlay), the pages of other modes when they are next shown.
        self.call_next(self._restyle_pages)
        if not self._starting:
            self.remember(theme=theme)

    def _restyle_pages(self) -> None:
        if self._closing_down():
            return
        for screen in self.screen_stack:
            if hasattr(screen, "restyle"):
                screen.restyle()

    def remember(self, **values: str) -> None:
        """Save these settings (theme=, screen=) for the next run if they changed. Screens
        a demo walks through are not the user's choice: not saved. A failure to save is
        said once."""
        if "screen" in values and self.demo_active:
            values.pop("screen")
        if all(self.remembered.get(k) == v for k, v in values.items()):
            return
        self.remembered.update(values)
        problem = save_settings(self.remembered)
        if problem and not self._settings_unsaved:
            self._settings_unsaved = True
            self.notify(problem, title="settings", severity="warning", timeout=8, markup=False)

    def action_toggle_ansi(self) -> None:
        """The terminal's own 16-colour palette, or back to the theme before it."""
        if self.theme == ANSI_THEME:
            self.theme = self._plain_theme or "textual-dark"
        else:
            self._plain_theme = self.theme
            self.theme = ANSI_THEME

    def action_pick_screen(self) -> None:
        current = getattr(self.screen, "SCREEN_ID", None)
        entries = [(entry.id, entry.key, entry.title, entry.summary) for entry in TOPICS]

        def chosen(screen_id: str | None) -> None:
            if screen_id:
                self.action_goto(screen_id)

        self.push_screen(ScreenPicker(entries, current), chosen)

    def action_copy_command(self) -> None:
        command = self.screen.cli_command() if hasattr(self.screen, "cli_command") else None
        if not command:
            self.notify("This screen has no matching command-line lookup.", severity="warning")
            return
        self.copy_to_clipboard(command)
        self.push_screen(CommandBox(command))

    def action_save_svg(self) -> None:
        screen_id = getattr(self.screen, "SCREEN_ID", "") or "screen"
        if self.is_web:  # vgtui serve: the browser receives the file as a download
            self.deliver_screenshot()
            self.notify("sent to your browser as a download", title=f"screenshot of {screen_id}")
            return
        folder = save_directory(self.save_dir)
        name = f"vgtui-{screen_id}-{time.strftime('%Y%m%d-%H%M%S')}"
        taken = {p.name for p in folder.glob(f"{name}*.svg")} if folder.is_dir() else set()
        filename = next(f"{name}{suffix}.svg" for suffix in
                        ("", *(f"-{n}" for n in range(2, 10_000)))
                        if f"{name}{suffix}.svg" not in taken)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(filename=filename, path=str(folder))
        except OSError as exc:
            self.notify(f"{_home_short(folder)}: {exc.strerror or exc}",
                        title="screenshot not saved", severity="error", markup=False)
            return
        # The folder and the file on lines of their own: a path wrapped mid-name at 80
        # columns cannot be read back.
        self.notify(f"{_home_short(Path(path).parent)}/\n{Path(path).name}",
                    title=f"screenshot of {screen_id} saved", markup=False, timeout=8)

    def action_export(self) -> None:
        command = self.screen.cli_command() if hasattr(self.screen, "cli_command") else None
        if not command:
            self.notify("This screen has no matching command-line lookup to save figures "
                        "from.", severity="warning")
            return
        if any(w.group == "export" and not w.is_finished for w in self.workers):
            self.notify("still saving the last figures", severity="warning", timeout=3)
            return
        screen_id = getattr(self.screen, "SCREEN_ID", "") or "screen"
        self.notify(f"computing {command} --csv and --json ...", title="saving figures",
                    timeout=3)
        self._export(command, screen_id)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, command: str, screen_id: str) -> None:
        """Run the screen's lookup twice (--csv, --json): the same command ``c`` shows, so
        the files hold exactly what it prints."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        saved, problems = [], []
        for fmt in ("csv", "json"):
            code, text = run_lookup(command, fmt)
            if code != 0:
                problems.append(text.strip().splitlines()[-1] if text.strip() else
                                f"exit code {code}")
                continue
            name = f"vgtui-{screen_id}-{stamp}.{fmt}"
            if self.is_web:
                self.call_from_thread(self.deliver_text, io.StringIO(text), save_filename=name)
                saved.append(name)
            else:
                path = save_directory(self.save_dir, "figures") / name
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
                except OSError as exc:
                    problems.append(f"{path}: {exc.strerror or exc}")
                    continue
                saved.append(str(path))
        if problems:
            self.call_from_thread(self.notify, "; ".join(problems), title="figures not saved",
                                  severity="error", timeout=10)
        if saved:
            where = "sent to your browser: " if self.is_web else "saved "
            self.call_from_thread(self.notify, where + "\n".join(saved),
                                  title=f"figures of {screen_id}", timeout=10)

    def action_command_palette(self) -> None:
        """Textual's palette, but never a second one anywhere: Textual only checks the
        top screen, so a palette under a help overlay, or one left open in another mode
        (a demo that moved on), would be pushed twice under the same id and crash."""

        stacks = self._screen_stacks.values()  # every mode's stack, not only this one
        if self.use_command_palette and not any(
                isinstance(s, CommandPalette) for stack in stacks for s in stack):
            self.push_screen(Palette(id="--command-palette"))

    def action_help(self) -> None:
        screen = self.screen
        if hasattr(screen, "show_help"):
            screen.show_help()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for entry in TOPICS:
            key = f"  [{entry.key}]" if entry.key else ""
            yield SystemCommand(f"Go to {entry.title}{key}", entry.summary,
                                lambda sid=entry.id: self.action_goto(sid))
        if hasattr(screen, "palette_commands"):
            for name, help_text, callback in screen.palette_commands():
                yield SystemCommand(name, help_text, callback)
        yield SystemCommand("Help for this screen", "what it shows, how to read it, what to try",
                            self.action_help)
        yield SystemCommand("Toggle ANSI theme  [ctrl+t]", "draw with the terminal's own palette "
                            "(good over SSH and in 16-colour terminals), or switch back",
                            self.action_toggle_ansi)
        if self.demo_active:
            yield SystemCommand("End the demo", "stay on this screen", self.action_demo_stop)
        else:
            yield SystemCommand("Start the demo", "walk through every screen with a narration",
                                lambda: self.demo_start(getattr(screen, "SCREEN_ID", None)))
        yield from super().get_system_commands(screen)

    @staticmethod
    def screen_title(screen_id: str) -> str:
        return topic(screen_id).title


def settle_garbage_collector() -> None:
    """After start-up: what exists now (modules, the app, the first screen) lives as long
    as the app, so the collector stops walking it (``gc.freeze``), and it runs less often
    on the many short-lived objects a screen's layout makes. Each full collection walked
    some 220,000 objects and cost about 0.3 s of a first visit; first visits are 15-25%
    quicker with both (BENCHMARKS.md). Once per process: a second app in the same process
    (the tests run hundreds) must not freeze the garbage the first one left."""
    global _GC_SETTLED
    if _GC_SETTLED:
        return
    _GC_SETTLED = True
    gc.collect()  # garbage from start-up goes first: frozen, it would stay for good
    gc.freeze()
    gc.set_threshold(20_000, *gc.get_threshold()[1:])


_GC_SETTLED = False


def warm_up() -> None:
    """What a first visit to each screen and a first F1 would otherwise wait for, done in
    the background after start-up: every screen's module (and the engine modules it
    imports), the help screen with its Markdown widget, and a first tiny engine run
    (torch's first products and LAPACK calls set themselves up)."""
    for entry in TOPICS:
        try:
            entry.load()
        except Exception:  # noqa: BLE001 - a screen that fails to import says so when opened
            pass
    import_module("vgtui.widgets.help")  # F1: Markdown and its parser
    import_module("textual.widgets._markdown")
    try:
        from .engine.flow import run_flow  # numpy: the first screen draws without it

        run_flow(RNNConfig(steps=3, hidden=4))
    except Exception:  # noqa: BLE001 - the screens report their own errors
        pass
