"""PageScreen: what every concept screen shares.

A title bar, the screen's own body, a status line and the footer; F1 help from
the class's HELP text; palette commands; and ``run_job``, which runs an engine call
in a thread worker whose result, refusal or progress comes back as a typed message
(``Computed``, ``Refused``, ``Progress``), stale ones dropped, errors shown inline
while the last good result stays on screen. Also the demo narration bar (shown only
in demo mode) and a plain notice in place of the page when the terminal is smaller
than MIN_SIZE. Screens computed from settings build on ``ConfigPage``
(config_page.py), which adds the settings-to-result state machine.

Colours: figures name roles (vgtui/present/styles.py) and take their styles from
``self.palette``, the app's current theme. When the theme changes, ``restyle`` draws the
page again from what it shows (``redraw``), with no engine call, keeping each table's
cursor and scroll; a page in another mode does so when it is next shown.
"""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Hashable

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.widgets._toast import ToastRack
from textual.worker import get_current_worker

from ..engine.errors import VgtuiError
from ..present.styles import Palette, app_palette
from ..topics import topic
from ..widgets.footer import KeyFooter
from ..widgets.status_line import StatusLine

PaletteCommand = tuple[str, str, Callable[[], Any]]
# Below this many columns x rows a page cannot lay out; a notice replaces it.
MIN_SIZE = (60, 20)

GLOBAL_KEYS_HELP = """## Keys everywhere

- `1` … `9`, `0` open the first ten screens; `g` lists every screen (type to filter)
- `ctrl+p` the command palette: every screen, preset and action by name
- `F1` or `?` this help · `c` the `vgtui` command that prints this screen's figures
- `ctrl+s` save a screenshot (SVG) · `ctrl+t` the terminal's own colours · `q` quit
- `Tab` on a page just opened (or after `Esc`) goes to its first setting; in a field,
  `Tab` / `shift+Tab` move between fields · `Esc` or `Enter` leaves a field, so that
  single-key shortcuts (and the number keys) work again
"""


@dataclass
class Job:
    """What a worker hands to the engine call: cancellation and progress reports."""

    cancelled: Callable[[], bool]
    report: Callable[[float, str], None] = lambda fraction, text="": None
    context: Any = None  # the screen's request context when the job was asked for

    def progress(self, fraction: float, text: str = "") -> None:
        self.report(fraction, text)


# -- typed messages from the worker ------------------------------------------------------
class Computed(Message):
    """A result of job number ``serial`` (for the request ``key``)."""

    def __init__(self, serial: int, key: Hashable, result: Any, seconds: float) -> None:
        super().__init__()
        self.serial, self.key, self.result, self.seconds = serial, key, result, seconds


class Refused(Message):
    """The engine refused (or failed on) job number ``serial``."""

    def __init__(self, serial: int, key: Hashable, message: str) -> None:
        super().__init__()
        self.serial, self.key, self.message = serial, key, message


class Progress(Message):
    """How far job ``serial`` has come (0..1), with an optional note."""

    def __init__(self, serial: int, fraction: float, text: str = "") -> None:
        super().__init__()
        self.serial, self.fraction, self.text = serial, fraction, text


def refusal_text(exc: BaseException) -> str:
    """One line for the status bar from any exception the engine raised."""
    if isinstance(exc, VgtuiError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory: try fewer steps or a smaller hidden size"
    return f"internal error: {type(exc).__name__}: {exc}"


def _is_cancel(exc: BaseException) -> bool:
    return type(exc).__name__ in ("Cancelled", "ExperimentCancelled")


# A compute job's progress reports (see PageScreen._work): the first after this long,
# then at most one per PROGRESS_EVERY seconds.
PROGRESS_AFTER = 0.15
PROGRESS_EVERY = 0.05
# After starting a job, the UI thread waits up to this long (seconds) for it to finish
# before drawing anything. Python lets one thread run at a time: a job's torch calls
# each let go of that lock, and while the UI thread lays out and paints the edit, the
# job waits for it back at every call. A 7 ms job took 200-700 ms beside a busy UI
# thread; waiting here lets it run alone, and the edit and its result are then drawn in
# one frame. A longer job runs on in the background as before.
JOB_GRACE = 0.08


class PageScreen(Screen):
    SCREEN_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""  # markdown: what it shows, how to read it, what to try
    DEMO: ClassVar[str] = ""  # a short narration for demo mode (vgtui --demo)
    # The widget the narration is about (a selector), scrolled to the top of its pane
    # when the demo shows the screen; what the narration names beyond it, it says where.
    DEMO_SHOWS: ClassVar[str] = ""

    def compose(self) -> ComposeResult:
        self._styled_for = self._app_style_state()  # its widgets are styled as they mount
        yield Static(self._title_text(), id="title-bar")
        yield Static("", id="too-small")
        with Vertical(id="page-body"):
            yield from self.compose_page()
        yield Static("", id="demo-bar")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def compose_page(self) -> ComposeResult:  # overridden by every screen
        yield from ()

    def _title_text(self) -> str:
        key = topic(self.SCREEN_ID).key if self.SCREEN_ID else ""
        prefix = f"[{key}] " if key else ""
        return f"vgtui › {prefix}{self.TITLE}   [dim]F1 help · c command · ctrl+p palette[/dim]"

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status-line", StatusLine)

    # The app state this page's styles were last computed for (None: unknown).
    _styled_for: tuple | None = None

    def _app_style_state(self) -> tuple:
        app = self.app
        return (app._css_update_count, frozenset(app.classes), app.pseudo_classes)

    def _on_screen_suspend(self) -> None:
        # While shown, every change of the app's CSS, classes or pseudo-classes restyled
        # this page: as it leaves, its styles are those of the state now.
        self._styled_for = self._app_style_state()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (Textual walks the classes from the most
        # derived), which restyles every node of the page on each resume. A page whose
        # styles were computed for the app's present state needs none of that: a new
        # page is styled as it mounts (and on its first visit Textual resumes it twice),
        # one shown before is restyled only if the theme, CSS or app state changed
        # meanwhile. About a fifth of a first visit here.
        state = self._app_style_state()
        if self._styled_for == state:
            event.refresh_styles = False
        self._styled_for = state
        self.on_screen_resume()  # Textual calls only one of _on_x / on_x per class

    def on_screen_resume(self) -> None:
        app = self.app
        if getattr(app, "torch_version", None) and not self.status.stable:
            self.status.show(message=f"torch {app.torch_version}")
        if not getattr(app, "demo_active", False):
            self.show_demo_narration(None)
        self._fit(app.size.width, app.size.height)
        self.restyle()  # the theme may have changed while another mode was shown
        if self.SCREEN_ID and hasattr(app, "remember"):
            app.remember(screen=self.SCREEN_ID)

    # -- colours ----------------------------------------------------------------
    _styled_as: str | None = None  # the theme the page was last drawn in

    @property
    def palette(self) -> Palette:
        """Role -> style in the app's current theme (see vgtui/present/styles.py)."""
        return app_palette(self)

    def restyle(self) -> None:
        """Draw the page again in the app's current theme, from what it shows now: no
        engine call, and every table keeps its cursor and scroll position."""
        theme = self.app.theme
        if self._styled_as is None or not self.is_mounted:
            self._styled_as = theme  # drawn in this theme from the start
            return
        if theme == self._styled_as:
            return
        self._styled_as = theme
        kept = [(t, t.cursor_coordinate, t.scroll_offset) for t in self.query(DataTable)]
        try:
            self.redraw()
        except Exception as exc:  # noqa: BLE001 - old colours are no reason to stop
            self.status.show(message=f"✗ not redrawn in theme {theme}: {type(exc).__name__}: "
                             f"{exc}", error=True)
        for table, cursor, offset in kept:
            if table.row_count:
                table.cursor_coordinate = cursor  # DataTable keeps it inside the table
            self.call_after_refresh(table.scroll_to, offset.x, offset.y, animate=False)
        for widget in self.query(Widget):  # charts draw their roles in render()
            widget.refresh()

    def redraw(self) -> None:
        """Draw what is shown again (its colours come from the theme). Charts need nothing
        (they are drawn on refresh); a page whose tables or texts carry colours of their
        own overrides this."""

    # -- small terminals and demo narration ------------------------------------
    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}×{height}: vgtui needs at least "
                f"{MIN_SIZE[0]}×{MIN_SIZE[1]}.\n\nPlease enlarge the window (or make the font "
                "smaller).\nq quits.")
        if small == self.has_class("-too-small"):
            return
        # The class says which state the page is in; what it shows is set widget by
        # widget, as a class rule on the screen would restyle every node of the page
        # (a tenth of a second) each time the terminal crosses the minimum.
        self.set_class(small, "-too-small", update=False)
        self.query_one("#too-small").display = small
        self.query_one("#page-body").display = not small
        self.query_one("#status-line").display = not small
        self.query_one("#demo-bar").display = not small and self._narration is not None

    _narration: str | None = None  # the demo narration shown, if any

    def show_demo_narration(self, text: str | None, keys: str = "") -> None:
        """Show (or hide, with None) the demo narration above the status line; ``keys``
        (position and the keys that move on) goes in the bar's top border."""
        bar = self.query_one("#demo-bar", Static)
        self._narration = text
        self._toasts_on_top(text is not None)
        if text is None:
            bar.display = False
            return
        bar.update(text)
        bar.border_title = keys
        bar.display = not self.has_class("-too-small")

    def _toasts_on_top(self, top: bool) -> None:
        """While a demo runs, toasts appear at the top, so that none covers the narration
        at the bottom. (The toast rack is Textual's own widget, which the app's stylesheet
        does not reach: its styles are set here.)"""
        for rack in self.children:
            if isinstance(rack, ToastRack):
                rack.styles.dock = "top" if top else "bottom"
                rack.styles.align_vertical = "top" if top else "bottom"
                rack.styles.margin = (1, 0, 0, 0) if top else (0, 0, 1, 0)

    # -- help and palette -----------------------------------------------------
    def show_help(self) -> None:
        from ..widgets.help import HelpScreen  # Markdown loads on the first F1, not at start

        self.app.push_screen(HelpScreen(self.TITLE, self.HELP, self.keys_help()))

    def key_text(self, binding) -> str:
        """The keys of a binding as a person types them: "+", "]", "ctrl+p"."""
        if binding.key_display:
            return binding.key_display
        return " or ".join(self.app.get_key_display(binding.with_key(k.strip()))
                           for k in binding.key.split(",") if k.strip())

    def keys_help(self) -> str:
        """The help's key list: this screen's keys, then the keys that work everywhere."""
        lines = [f"- `{self.key_text(b)}` {b.description}"
                 + (f": {b.tooltip}" if b.tooltip and b.tooltip != b.description else "")
                 for b in self._bindings_for_help()]
        own = ("## Keys on this screen\n\n" + "\n".join(lines) + "\n\n") if lines else ""
        return own + GLOBAL_KEYS_HELP

    def _bindings_for_help(self):
        seen = set()
        for binding in self.BINDINGS:
            if not hasattr(binding, "description") or not binding.description:
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            yield binding

    def palette_commands(self) -> list[PaletteCommand]:
        """(name, help, callback) entries this screen adds to the command palette."""
        return []

    def cli_command(self) -> str | None:
        """The ``vgtui <lookup> ...`` line that prints the figures now on screen."""
        return None

    def demo_prepare(self) -> None:
        """Put the screen in the state its DEMO narration talks about (a preset)."""

    def demo_reveal(self) -> None:
        """Scroll what the narration is about (``DEMO_SHOWS``) into view."""
        if not self.DEMO_SHOWS or not self.is_mounted:
            return
        try:
            widget = self.query_one(self.DEMO_SHOWS)
        except Exception:  # noqa: BLE001 - a screen without it just stays as it is
            return
        widget.scroll_visible(top=True, animate=False)

    # -- readiness (tests and snapshots wait on it) -------------------------------
    def has_result(self) -> bool:
        """Whether the screen's first result is drawn. Screens that compute (in a worker
        or after the first refresh) override this; a page drawn in compose is ready."""
        return True

    def is_ready(self) -> bool:
        """The first result is on screen and no engine job is still out."""
        return self.is_mounted and self._serial_settled >= self._serial and self.has_result()

    # -- computing off the UI thread ------------------------------------------
    _serial = 0  # jobs started so far; the latest one is the one that counts
    _serial_settled = 0
    _job_callbacks: dict[int, Callable[[Any], None]]

    def run_job(self, call: Callable[[Job], Any], on_result: Callable[[Any], None] | None,
                label: str = "computing", key: Hashable = None, context: Any = None) -> int:
        """Run ``call(job)`` in a worker; its result goes to ``on_result`` on the UI
        thread, unless a newer job was started meanwhile. Returns the job's number."""
        self._serial += 1
        if not hasattr(self, "_job_callbacks"):
            self._job_callbacks = {}
        # older callbacks are stale now
        self._job_callbacks = {self._serial: on_result} if on_result else {}
        self.status.show(message=f"{label}...", error=False)
        finished = threading.Event()
        self._work(self._serial, key, call, context, finished)
        # Textual hands the call to a thread on the event loop's next turn; wait just
        # after that (see JOB_GRACE). Only for the page on screen: a page built ahead
        # computes its first result off-stage, and holding the UI thread for it would
        # hold a key pressed meanwhile (it was most of a 120-150 ms stall).
        if self.is_current:
            asyncio.get_running_loop().call_soon(finished.wait, JOB_GRACE)
        return self._serial

    @work(thread=True, exclusive=True, group="compute", exit_on_error=False)
    def _work(self, serial: int, key: Hashable, call, context: Any,
              finished: threading.Event) -> None:
        try:
            self._run_call(serial, key, call, context)
        finally:
            finished.set()

    def _run_call(self, serial: int, key: Hashable, call, context: Any) -> None:
        worker = get_current_worker()
        started = time.perf_counter()
        # Progress goes to the UI thread at most every PROGRESS_EVERY seconds, and not at
        # all for a job that ends within PROGRESS_AFTER: each report is a redraw on the UI
        # thread, and the engine's loops report every step (fifty reports in a 30 ms job
        # made it take 100-200 ms in the app). A new stage's text is always shown.
        next_report, last_text = started + PROGRESS_AFTER, ""

        def report(fraction: float, text: str = "") -> None:
            nonlocal next_report, last_text
            now = time.perf_counter()
            if worker.is_cancelled or (now < next_report and text == last_text):
                return
            next_report, last_text = now + PROGRESS_EVERY, text
            self.post_message(Progress(serial, fraction, text))

        try:
            result = call(Job(lambda: worker.is_cancelled, report, context))
        except Exception as exc:  # noqa: BLE001 - every failure becomes one inline line
            if not worker.is_cancelled and not _is_cancel(exc):
                self.post_message(Refused(serial, key, refusal_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(Computed(serial, key, result, time.perf_counter() - started))

    def _settle(self, serial: int) -> None:
        self._serial_settled = max(self._serial_settled, serial)

    @on(Computed)
    def _computed(self, message: Computed) -> None:
        message.stop()
        if message.serial < self._serial:
            return  # a newer job is on its way
        self._settle(message.serial)
        self.deliver_result(message)

    def deliver_result(self, message: Computed) -> None:
        """Hand a current result to the callback its job was started with."""
        callback = getattr(self, "_job_callbacks", {}).get(message.serial)
        if callback is None:
            return
        try:
            callback(message.result)
        except Exception as exc:  # the last good figures stay; the status says why
            self.show_compute_error(f"internal error while drawing: {type(exc).__name__}: {exc}")

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        message.stop()
        if message.serial < self._serial:
            return
        self._settle(message.serial)
        self.deliver_refusal(message)

    def deliver_refusal(self, message: Refused) -> None:
        self.show_compute_error(message.message)

    @on(Progress)
    def _progressed(self, message: Progress) -> None:
        message.stop()
        if message.serial == self._serial:
            self.show_progress(message.fraction, message.text)

    def show_progress(self, fraction: float, text: str) -> None:
        """Screens with a progress bar override; the default writes the status line."""
        self.status.show(message=f"computing: {100 * fraction:.0f}%"
                         + (f" {text}" if text else ""), error=False)

    def show_compute_error(self, message: str) -> None:
        """An engine refusal: say so, keep the last good result on screen."""
        self.status.show(message=f"✗ {message} (last good result kept)", error=True)
