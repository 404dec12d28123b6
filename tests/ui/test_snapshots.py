"""Snapshot tests: every screen in the registry at 80x24, the help overlay and the
screen picker (pytest-textual-snapshot's ``snap_compare``).

The list of screens comes from the registry, so a screen added later is covered at
once: its test fails until its snapshot is made and looked at
(``pytest tests/ui/test_snapshots.py --snapshot-update``). The report of a failing
run is written to snapshot_report.html.

Determinism: each shot is taken only once the screen says its first result is drawn
and no engine job is out (``PageScreen.is_ready``); ``VGTUI_STABLE_STATUS=1`` leaves
compute times and the torch version out of the status line; GPUs are hidden
(tests/conftest.py) and theme switches in the environment are cleared.
"""
from __future__ import annotations

import pytest

from vgtui.app import VgtuiApp
from vgtui.topics import TOPICS as SCREENS
from vgtui.widgets.status_line import STABLE_ENV

from .helpers import on_screen, text_of, wait_until

SIZE = (80, 24)
# The first screen of a run also waits for torch's import on a busy machine.
READY_TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch):
    monkeypatch.setenv(STABLE_ENV, "1")
    for name in ("NO_COLOR", "VGTUI_ANSI", "TEXTUAL_THEME", "TEXTUAL_FILTERS",
                 "TEXTUAL_DIM_FACTOR", "TEXTUAL_COLOR_SYSTEM", "TEXTUAL_ANIMATIONS"):
        monkeypatch.delenv(name, raising=False)


async def until_ready(pilot, screen_id: str) -> None:
    """Wait until ``screen_id`` is the page shown and its first result is drawn."""
    await on_screen(pilot, screen_id, timeout=READY_TIMEOUT)
    await steady_cursors(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def waiting_for(screen_id: str):
    async def run_before(pilot) -> None:
        await until_ready(pilot, screen_id)
    return run_before


@pytest.mark.slow
@pytest.mark.parametrize("screen_id", [s.id for s in SCREENS])
def test_screen_at_80x24(snap_compare, screen_id):
    assert snap_compare(VgtuiApp(start_screen=screen_id), terminal_size=SIZE,
                        run_before=waiting_for(screen_id))


# A light theme: the regime markers (▼ ■ ▲) and the chart's series drawn in the theme's
# text colours, readable on its light background. Looked at when recorded.
@pytest.mark.slow
@pytest.mark.parametrize("screen_id", ["decay", "flow"])
def test_screen_in_a_light_theme_at_80x24(snap_compare, screen_id):
    assert snap_compare(VgtuiApp(start_screen=screen_id, theme="textual-light"),
                        terminal_size=SIZE, run_before=waiting_for(screen_id))


def on_flow_pressing(key: str, shown) -> object:
    """A run_before: the Flow page ready, ``key`` pressed, ``shown(screen)`` true of the
    overlay it opens, animations done."""
    async def run_before(pilot) -> None:
        await until_ready(pilot, "flow")
        await pilot.press(key)
        await wait_until(pilot, lambda: shown(pilot.app.screen))
        await steady_cursors(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
    return run_before


async def steady_cursors(pilot) -> None:
    """Stop every text field's cursor blinking (Textual then shows it steadily): a
    blinking cursor is drawn or not depending on when the shot is taken. The focused
    field's focus event is let through first, since it restarts the blinking."""
    from textual.widgets import Input

    fields = list(pilot.app.screen.query(Input))
    focused = pilot.app.screen.focused
    if isinstance(focused, Input):
        await wait_until(pilot, lambda: focused.has_focus)
    await pilot.pause()
    for field in fields:
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.slow
def test_help_overlay_at_80x24(snap_compare):
    from vgtui.widgets.help import HelpScreen

    def drawn(screen) -> bool:
        return isinstance(screen, HelpScreen) and bool(screen.query("#help-text"))

    assert snap_compare(VgtuiApp(start_screen="flow"), terminal_size=SIZE,
                        run_before=on_flow_pressing("f1", drawn))


@pytest.mark.slow
def test_screen_picker_at_80x24(snap_compare):
    from vgtui.widgets.pickers import ScreenPicker

    assert snap_compare(VgtuiApp(start_screen="flow"), terminal_size=SIZE,
                        run_before=on_flow_pressing("g", lambda s: isinstance(s, ScreenPicker)))


@pytest.mark.slow
def test_command_box_at_80x24(snap_compare):
    from vgtui.widgets.pickers import CommandBox


    assert snap_compare(VgtuiApp(start_screen="flow"), terminal_size=SIZE,
                        run_before=on_flow_pressing("c", lambda s: isinstance(s, CommandBox)))


# The Watch screen on the fixed sample logs that ship with vgtui (examples/train_adding.py,
# committed): one run, and the three runs side by side, with the LSTM's lag profile.
WATCH_VIEWS = {"one-run": ((1,), ()), "three-runs": ((0, 1, 2), ()),
               "one-run-first-record": ((1,), ("home",)), "three-runs-layer-x": ((0, 1, 2), ("x",))}


@pytest.mark.slow
@pytest.mark.parametrize("view", list(WATCH_VIEWS))
def test_watch_screen_on_sample_logs_at_80x24(snap_compare, view):
    from vgtui.screens.watch import sample_paths

    picks, keys = WATCH_VIEWS[view]
    app = VgtuiApp(start_screen="watch")
    app.watch_files = [sample_paths()[i] for i in picks]

    async def run_before(pilot) -> None:
        await until_ready(pilot, "watch")
        await wait_until(pilot, lambda: all(v.records > 0 for v in pilot.app.screen.views))
        await pilot.press(*keys)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


# Other tabs worth a look at 80x24: (screen, keys pressed once it is ready).
EXTRA_VIEWS = {
    "decay-measured": ("decay", ("m",)),
    "history-remedies": ("history", ("r",)),
    "history-capacity": ("history", ("s",)),
    "experiments-truncation": ("experiments", ("]", "]", "]")),
}


@pytest.mark.slow
@pytest.mark.parametrize("view", list(EXTRA_VIEWS))
def test_other_tab_at_80x24(snap_compare, view):
    screen_id, keys = EXTRA_VIEWS[view]

    async def run_before(pilot) -> None:
        await until_ready(pilot, screen_id)
        await pilot.press(*keys)
        await pilot.wait_for_scheduled_animations()
        await until_ready(pilot, screen_id)

    assert snap_compare(VgtuiApp(start_screen=screen_id), terminal_size=SIZE,
                        run_before=run_before)


async def test_is_ready_waits_for_the_first_result_and_status_is_stable():
    """The hooks the snapshots rely on: not ready before the worker's result is drawn;
    no timing or torch version in the status line under VGTUI_STABLE_STATUS."""
    from vgtui.screens.flow import FlowScreen

    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FlowScreen)
        if screen.result is None:
            assert not screen.is_ready()
        await until_ready(pilot, "flow")
        assert screen.result is not None and screen._serial_settled == screen._serial
        await wait_until(pilot, lambda: app.torch_version is not None, timeout=READY_TIMEOUT)
        screen.on_screen_resume()
        status = text_of(screen.status)
        assert "up to date" in status
        assert "computed in" not in status and "torch" not in status


async def test_status_shows_timings_without_the_switch(monkeypatch):
    monkeypatch.delenv(STABLE_ENV)
    app = VgtuiApp(start_screen="chain")
    async with app.run_test(size=SIZE) as pilot:
        await until_ready(pilot, "chain")
        app.screen.status.show(seconds=0.0123)
        assert "computed in 12.3 ms" in text_of(app.screen.status)
