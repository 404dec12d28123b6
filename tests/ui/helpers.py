"""Shared Pilot helpers: wait for a worker's result rather than sleeping blindly."""
from __future__ import annotations

import re
import time


async def wait_until(pilot, condition, timeout: float = 15.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(step)
        if condition():
            return
    raise AssertionError("condition not met in time")


def text_of(widget) -> str:
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


async def settled(pilot, screen, timeout: float = 30.0):
    """Wait until a ConfigPage has nothing pending: no debounced request, no job out."""
    def done():
        requests = getattr(screen, "requests", None)
        pending = requests is not None and requests.pending is not None
        return not pending and screen.is_ready()
    await pilot.pause()
    await wait_until(pilot, done, timeout=timeout)


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
