"""Pilot helpers shared by the UI tests.

A UI test never sleeps for a fixed time: a sleep long enough on an idle machine is too
short on a busy one. It waits for the condition it needs instead (a screen shown, a
result with the settings just typed, an error under a field), with a timeout generous
enough for a loaded machine. A passing test is then as quick as the app; only a failing
one waits for the whole timeout. ``VGTUI_TEST_SLOWDOWN=2`` doubles every timeout.
"""
from __future__ import annotations

import asyncio
import html
import inspect
import os
import re
import time
from contextlib import asynccontextmanager

import pytest

# Seconds. Generous: the first screen of a test process may also wait for torch's import.
TIMEOUT = 60.0
SLOWDOWN = float(os.environ.get("VGTUI_TEST_SLOWDOWN", "1"))


def _scaled(timeout: float | None) -> float:
    return (TIMEOUT if timeout is None else timeout) * SLOWDOWN


def _describe(condition) -> str:
    try:
        return inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return repr(condition)


async def wait_until(pilot, condition, timeout: float | None = None, step: float = 0.02):
    """Let the app run until ``condition()`` is true; fail after ``timeout`` seconds.

    Between checks the app simply runs (an asyncio sleep). ``pilot.pause`` would also
    post a message to every widget of the screen and force a frame at each check: on
    a page of some 200 widgets, polling every 20 ms that way took a third of the CPU
    the app and its compute thread needed. A pause comes first (the app takes in what
    the test just did) and once the condition holds (it takes in what came with it: the
    widgets showing a result whose arrival the condition saw)."""
    deadline = time.monotonic() + _scaled(timeout)
    # pause(step), not pause(): the latter also waits for the whole process to go idle
    # (up to a second), and a short run could start and end unseen meanwhile.
    await pilot.pause(step)
    while True:
        if condition():
            await pilot.pause(step)
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not met in time: {_describe(condition)}")
        await asyncio.sleep(step)


def text_of(widget) -> str:
    """What a widget draws, as plain text."""
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


def svg_text(svg: str) -> str:
    """The text of an SVG screenshot, as a person reads it."""
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def screen_text(app) -> str:
    """Everything on the terminal now, as plain text."""
    return svg_text(app.export_screenshot())


async def settled(pilot, screen, timeout: float | None = None):
    """Wait until a page has nothing pending: no debounced request, no engine job out."""
    def done():
        requests = getattr(screen, "requests", None)
        pending = requests is not None and requests.pending is not None
        return not pending and screen.is_ready()
    await pilot.pause()
    await wait_until(pilot, done, timeout=timeout)


def _is(screen, which) -> bool:
    if isinstance(which, str):
        return getattr(screen, "SCREEN_ID", "") == which
    return isinstance(screen, which)


async def on_screen(pilot, which, *, ready: bool = True, timeout: float | None = None):
    """Wait until the app shows ``which`` (a screen id or a screen class) and, with
    ``ready``, its first result is drawn and no job is out; return that screen."""
    app = pilot.app

    def shown():
        screen = app.screen
        return _is(screen, which) and (not ready or getattr(screen, "is_ready", lambda: True)())
    await wait_until(pilot, shown, timeout=timeout)
    return app.screen


async def theme_while_away(pilot, back_to, away=None, theme: str = "textual-light"):
    """Choose ``theme`` while another screen is shown (``away``, else the current one),
    then open ``back_to`` again; return it once ready."""
    app = pilot.app
    if away is not None:
        app.action_goto(away)
        await on_screen(pilot, away)
    app.theme = theme
    await pilot.pause()
    app.action_goto(back_to)
    screen = await on_screen(pilot, back_to)
    await pilot.pause()
    return screen


async def set_field(pilot, screen, name: str, text: str):
    """Type ``text`` into the field ``name`` (focused first, as a user would); return it."""
    field = screen.query_one(f"#field-{name}")
    field.focus()
    await pilot.pause()
    field.value = text
    await pilot.pause()
    return field


def _config_has(result, expected: dict) -> bool:
    return result is not None and all(getattr(result.config, k) == v
                                      for k, v in expected.items())


async def result_with(pilot, screen, timeout: float | None = None, **expected):
    """Wait until the result on screen was computed with these settings; return it."""
    await wait_until(pilot, lambda: _config_has(screen.result, expected), timeout=timeout)
    return screen.result


async def new_result(pilot, screen, before, timeout: float | None = None):
    """Wait until the screen shows a result other than ``before``; return it."""
    await wait_until(pilot, lambda: screen.result is not None and screen.result is not before,
                     timeout=timeout)
    return screen.result


async def refused(pilot, screen, name: str):
    """Wait until field ``name`` shows its error and the page has settled; return the
    error line."""
    error = screen.query_one(f"#error-{name}")
    await wait_until(pilot, lambda: error.has_class("-shown") and text_of(error))
    await settled(pilot, screen)
    return error


async def error_cleared(pilot, screen, name: str):
    """Wait until field ``name`` shows no error any more and the page has settled."""
    error = screen.query_one(f"#error-{name}")
    await wait_until(pilot, lambda: not error.has_class("-shown"))
    await settled(pilot, screen)


async def open_model_dialog(pilot, screen):
    """Press ``o`` on the page's results and return the Open-model dialog."""
    from vgtui.widgets.model_dialog import OpenModelDialog

    screen.query_one(".results").focus()
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OpenModelDialog))
    return pilot.app.screen


async def submit_model(pilot, dialog, model, inputs="") -> None:
    """Fill the Open-model dialog's paths and press Enter."""
    dialog.query_one("#inputs-path").value = str(inputs)
    field = dialog.query_one("#model-path")
    field.value = str(model)
    field.focus()
    await pilot.pause()
    await pilot.press("enter")


async def taken_in(pilot, screen) -> None:
    """Wait until the page's settings are what its fields show (every edit seen) and
    nothing is pending."""
    def seen():
        values, errors = screen.values()
        return not errors and screen.config == screen.make_config(values)
    await wait_until(pilot, seen)
    await settled(pilot, screen)


async def workers_done(pilot, group: str | None = None, timeout: float | None = None) -> None:
    """Wait until no worker of the app (of ``group``, if given) is still running, then let
    the app take in what they posted."""
    app = pilot.app
    await wait_until(pilot, lambda: not any(w.is_running for w in app.workers
                                            if group is None or w.group == group),
                     timeout=timeout)
    await pilot.pause()


def cell_text(table, row: int, col: int) -> str:
    """One DataTable cell as plain text."""
    value = table.get_row_at(row)[col]
    return str(getattr(value, "plain", value))


def screen_lines(app) -> list[str]:
    """The current screen as plain text, one string per terminal row, exactly as drawn
    (overlays included): what a reader sees, without colours."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    console.print(update)
    text = console.export_text(styles=False)
    lines = text.split("\n")[:height]
    return [line.ljust(width) for line in lines]


# -- numbers cut at an edge ------------------------------------------------------------
# A number with its exponent marker but no exponent digits ("1.476e-", "3e"), wherever it
# stands: a reader would take it for a whole number.
_DANGLING_EXPONENT = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?[eE](?![-+−]?\d)[-+−]?(?!\w)")
# A number running straight into a frame line: cut by the edge of the pane it was drawn
# in ("3.▕"). (A number touching a scrollbar may be whole: a table that fits exactly;
# tables are checked by construction, see FitTable.)
_EDGE_GLYPHS = "▕▏│┃║"
_AT_EDGE = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d*)?[" + _EDGE_GLYPHS + "]")
# A number that ends in its decimal point or exponent sign at the right edge of the
# terminal: "3." cut from "3.25".
_OPEN_END = re.compile(r"(?<![\w.])[-+]?\d+(?:\.|[eE][-+]?)$")


def cut_numbers(lines: list[str]) -> list[str]:
    """Every place in a screen's text where a number looks cut: '<row>: <what> | <line>'."""
    found = []
    for row, line in enumerate(lines):
        for m in _DANGLING_EXPONENT.finditer(line):
            found.append(f"{row}: {m.group(0)!r} has no exponent | {line.rstrip()}")
        for m in _AT_EDGE.finditer(line):
            found.append(f"{row}: {m.group(0)!r} runs into an edge | {line.rstrip()}")
        for m in _OPEN_END.finditer(line):
            found.append(f"{row}: {m.group(0)!r} ends open | {line.rstrip()}")
    return found


async def screen_pages(pilot, app=None) -> list[list[str]]:
    """The screen's text (``screen_lines``), then once more for every page of each
    scrolling pane of the page (a results column, a tab), scrolled a page at a time, so
    that what lies below the fold is read too. Every pane is scrolled back afterwards."""
    from textual.containers import ScrollableContainer

    app = app or pilot.app
    pages = [screen_lines(app)]
    for pane in list(app.screen.query(ScrollableContainer)):
        if not pane.display or pane.max_scroll_y <= 0 or not pane.region.area:
            continue
        step = max(1, pane.scrollable_content_region.height - 1)
        y = 0
        while y < pane.max_scroll_y:
            y = min(pane.max_scroll_y, y + step)
            pane.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause()
            pages.append(screen_lines(app))
        pane.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
    return pages
async def open_help(pilot):
    """Press F1 and return the help overlay once it is shown."""
    from vgtui.widgets.help import HelpScreen
    await pilot.press("f1")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
    return pilot.app.screen
async def escape_to(pilot, screen) -> None:
    """Press Escape and wait until ``screen`` is shown again."""
    await pilot.press("escape")
    await wait_until(pilot, lambda: pilot.app.screen is screen)
async def copied_command(pilot) -> str:
    """Press ``c`` (copy as command) and return the command line the box shows."""
    from vgtui.widgets.pickers import CommandBox
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandBox))
    return pilot.app.screen.command
@asynccontextmanager
async def page(which, size=(120, 40), **app_args):
    """Run the app opened on page ``which`` (a screen id or class) at ``size`` and wait for
    its first result; yield (app, pilot, screen)."""
    from vgtui.app import VgtuiApp
    screen_id = which if isinstance(which, str) else which.SCREEN_ID
    app = VgtuiApp(start_screen=screen_id, **app_args)
    async with app.run_test(size=size) as pilot:
        yield app, pilot, await on_screen(pilot, which)


# The screen a sweep over every screen keeps in the everyday subset (pytest -m "not
# slow"): the shared machinery shows there; the whole suite sweeps the rest.
EVERYDAY_SCREENS = ("flow",)


def every_screen(screen_ids, everyday=EVERYDAY_SCREENS) -> list:
    """``screen_ids`` as pytest params, every one but the everyday screens marked slow."""
    return [pytest.param(s, marks=() if s in everyday else pytest.mark.slow)
            for s in screen_ids]
