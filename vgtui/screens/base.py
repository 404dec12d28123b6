"""PageScreen: what every concept screen shares.

A title bar, the screen's own body, a status line and the footer; F1 help from
the class's HELP text; palette commands; and ``compute`` which runs an engine
call in a thread worker, drops stale results, and reports errors inline while
the last good result stays on screen. Also the demo narration bar (shown only
in demo mode) and a plain notice in place of the page when the terminal is
smaller than MIN_SIZE.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Select, Static
from textual.worker import get_current_worker

from ..engine.errors import Cancelled, VgtuiError
from ..widgets.status_line import StatusLine
from .registry import entry

PaletteCommand = tuple[str, str, Callable[[], Any]]
# Edits closer together than this are coalesced into one recompute.
DEBOUNCE_SECONDS = 0.25
# Below this many columns x rows a page cannot lay out; a notice replaces it.
MIN_SIZE = (60, 20)


class Requests:
    """A screen's recompute requests, keyed by the state they are for.

    Edits closer together than ``delay`` launch once, for the last state; a request for
    the state last launched is dropped (it is on screen or on its way). After a refusal
    the screen calls ``launched_was(shown)`` so that the refused state may be asked for
    again while the last good one stays current.
    """

    def __init__(self, screen: Screen, launch: Callable[[Any], None],
                 delay: float = DEBOUNCE_SECONDS) -> None:
        self._screen = screen
        self._launch = launch
        # the settings are back to what is shown: an error about an edit since is stale
        self._current = getattr(screen, "show_up_to_date", None)
        self.delay = delay
        self.pending: Any = None
        self.launched: Any = None
        self._timer = None

    def ask(self, key: Any, immediate: bool = False) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if key == self.launched:
            self.pending = None
            if self._current is not None:
                self._current()
            return
        self.pending = key
        if immediate:
            self.flush()
        else:
            self._timer = self._screen.set_timer(self.delay, self.flush)

    def flush(self) -> None:
        key, self.pending = self.pending, None
        if key is None:
            return
        self.launched = key
        self._launch(key)

    def launched_was(self, key: Any = None) -> None:
        """Treat ``key`` as the last launch (None: the next request always launches)."""
        self.launched = key


def sync_select(select, names, matches: Callable[[str], bool]) -> None:
    """Show in a preset Select the first name that ``matches`` the current settings, or
    no choice at all once the settings have left every preset."""

    match = next((name for name in names if matches(name)), None)
    if match is None and select.value is not Select.NULL:
        select.clear()
    elif match is not None and select.value != match:
        select.value = match


def next_name(names, current) -> str:
    """The name after ``current`` in ``names``, wrapping; the first when it is not one."""
    names = list(names)
    return names[(names.index(current) + 1) % len(names)] if current in names else names[0]


class PageScreen(Screen):
    SCREEN_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""  # markdown: what it shows, how to read it, what to try
    DEMO: ClassVar[str] = ""  # a short narration for demo mode (vgtui --demo)

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), id="title-bar")
        yield Static("", id="too-small")
        with Vertical(id="page-body"):
            yield from self.compose_page()
        yield Static("", id="demo-bar")
        yield StatusLine(id="status-line")
        yield Footer()

    def compose_page(self) -> ComposeResult:  # overridden by every screen
        yield from ()

    def _title_text(self) -> str:
        key = entry(self.SCREEN_ID).key if self.SCREEN_ID else ""
        prefix = f"[{key}] " if key else ""
        return f"vgtui › {prefix}{self.TITLE}   [dim]F1 help · ctrl+p commands[/dim]"

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status-line", StatusLine)

    def on_screen_resume(self) -> None:
        app = self.app
        if getattr(app, "torch_version", None) and not self.status.stable:
            self.status.show(message=f"torch {app.torch_version}")
        if not getattr(app, "demo_active", False):
            self.show_demo_narration(None)
        self._fit(app.size.width, app.size.height)

    # -- small terminals and demo narration ------------------------------------
    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"The terminal is {width}×{height}: vgtui needs at least "
                f"{MIN_SIZE[0]}×{MIN_SIZE[1]}.\n\nPlease enlarge the window (or make the font "
                "smaller).\nq quits.")

    def show_demo_narration(self, text: str | None, keys: str = "") -> None:
        """Show (or hide, with None) the demo narration above the status line; ``keys``
        (position and the keys that move on) goes in the bar's top border."""
        bar = self.query_one("#demo-bar", Static)
        if text is None:
            bar.display = False
            return
        bar.update(text)
        bar.border_title = keys
        bar.display = True

    # -- help and palette -----------------------------------------------------
    def show_help(self) -> None:
        keys = "\n".join(f"- `{b.key_display or b.key}`: {b.description}"
                         for b in self._bindings_for_help())
        from ..widgets.help import HelpScreen  # Markdown loads on the first F1, not at start

        self.app.push_screen(HelpScreen(self.TITLE, self.HELP,
                                        f"## Keys on this screen\n\n{keys}" if keys else ""))

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

    # -- readiness (tests and snapshots wait on it) -------------------------------
    def has_result(self) -> bool:
        """Whether the screen's first result is drawn. Screens that compute (in a worker
        or after the first refresh) override this; a page drawn in compose is ready."""
        return True

    def is_ready(self) -> bool:
        """The first result is on screen and no engine job is still out."""
        return self.is_mounted and self._jobs_settled >= self._jobs_asked and self.has_result()

    # -- computing off the UI thread ------------------------------------------
    _jobs_asked = 0  # compute() calls so far; the latest one settles the screen
    _jobs_settled = 0

    def compute(self, job: Callable[[Callable[[], bool]], Any],
                on_result: Callable[[Any], None], label: str = "computing") -> None:
        """Run ``job(cancelled)`` in a worker; a newer request cancels an older one."""
        self._jobs_asked += 1
        self.status.show(message=f"{label}...")
        self._compute_worker(job, on_result, self._jobs_asked)

    def _settle(self, serial: int, deliver: Callable[..., None], *args: Any) -> None:
        try:
            deliver(*args)
        finally:
            self._jobs_settled = max(self._jobs_settled, serial)

    @work(thread=True, exclusive=True, group="compute", exit_on_error=False)
    def _compute_worker(self, job, on_result, serial: int) -> None:
        worker = get_current_worker()

        def report(deliver, *args) -> None:
            self.app.call_from_thread(self._settle, serial, deliver, *args)

        try:
            result = job(lambda: worker.is_cancelled)
        except Cancelled:
            return
        except VgtuiError as exc:
            if not worker.is_cancelled:
                report(self.show_compute_error, str(exc))
            return
        except MemoryError:
            report(self.show_compute_error,
                   "out of memory: try fewer steps or a smaller hidden size")
            return
        except Exception as exc:  # keep the app alive and say what happened
            if not worker.is_cancelled:
                report(self.show_compute_error, f"internal error: {type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            report(self._deliver, on_result, result)

    def _deliver(self, on_result, result) -> None:
        """Show a result on the UI thread; a drawing error is reported, not swallowed."""
        try:
            on_result(result)
        except Exception as exc:  # the last good figures stay; the status says why
            self.show_compute_error(f"internal error while drawing: {type(exc).__name__}: {exc}")

    def show_up_to_date(self) -> None:
        """The settings match the result on screen again: clear a stale error (unless a
        computation is still on its way, whose own message stands)."""
        if self._jobs_settled >= self._jobs_asked:
            self.status.show(message="up to date", error=False)

    def panel_refused(self, event) -> bool:
        """True (after saying why, inline) when a ControlPanel change has a bad field."""
        if event.values is not None:
            return False
        first = next(iter(event.errors.values()))
        self.status.show(message=f"✗ {first} (last good result kept)", error=True)
        return True

    def config_from_panel(self, event, current):
        """The configuration a ControlPanel change asks for, built on ``current``; None,
        after saying why inline, when a field is bad or the fields do not fit together
        (a check only the whole configuration can make)."""
        if self.panel_refused(event):
            return None
        try:
            return current.replace(**event.values)
        except (VgtuiError, ValueError) as exc:
            self.status.show(message=f"✗ {exc} (last good result kept)", error=True)
            return None

    def show_compute_error(self, message: str) -> None:
        """An engine refusal: say so, keep the last good result on screen."""
        self.status.show(message=f"✗ {message} (last good result kept)", error=True)
