"""Resizing between 40x12 and 300x100 on every screen, also while a computation runs:
no crash; below the minimum size the "enlarge the terminal" notice replaces the page;
grown back, the screen works again."""

import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.base import MIN_SIZE
from vgtui.topics import TOPICS as SCREENS
from vgtui.widgets.controls import ControlPanel
from vgtui.widgets.help import HelpScreen

from .helpers import on_screen, page, screen_text, taken_in, text_of, wait_until

SIZES = [(40, 12), (300, 100), (59, 20), (60, 19), (60, 20), (80, 24), (41, 13), (200, 60),
         (40, 12), (300, 100), (120, 40)]


def small(w, h) -> bool:
    return w < MIN_SIZE[0] or h < MIN_SIZE[1]


async def _walk_sizes(pilot, screen):
    app = pilot.app
    for w, h in SIZES:
        await pilot.resize_terminal(w, h)
        await wait_until(pilot, lambda: app.size == (w, h)
                         and screen.has_class("-too-small") == small(w, h))
        if small(w, h):
            await wait_until(pilot, lambda: f"{w}×{h}" in screen_text(app))
            assert "enlarge" in screen_text(app).lower(), (w, h)


@pytest.mark.slow
@pytest.mark.parametrize("screen_id", [s.id for s in SCREENS])
async def test_every_screen_survives_resizing_and_works_after(screen_id):
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, screen_id, ready=False)
        await _walk_sizes(pilot, screen)
        # grown back: the notice is gone, the page is there, keys and help work
        assert not screen.has_class("-too-small")
        assert screen.query_one("#page-body").display
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.resize_terminal(40, 12)  # help at a tiny size, then back
        await wait_until(pilot, lambda: app.size == (40, 12))
        await pilot.resize_terminal(120, 40)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        if hasattr(screen, "result") and screen_id != "experiments":  # that one waits for r
            await wait_until(pilot, lambda: screen.result is not None)
        assert app._exception is None


@pytest.mark.slow
async def test_resizing_while_a_long_gradient_flow_runs():
    async with page("flow") as (app, pilot, screen):
        before, launches = screen.result, screen.launches
        screen.query_one(ControlPanel).set_values({"steps": 20000, "hidden": 64})
        await wait_until(pilot, lambda: screen.launches > launches)  # the worker is running now
        await _walk_sizes(pilot, screen)
        await wait_until(pilot, lambda: screen.result is not before
                         and screen.result.config.steps == 20000, timeout=120)
        await wait_until(pilot, lambda: "20000" in screen_text(app)
                         or "T=20000" in text_of(screen.query_one("#flow-summary")))
        # and it keeps working: another change after all the resizing
        last = screen.result
        screen.query_one(ControlPanel).set_values({"steps": 30})
        await wait_until(pilot, lambda: screen.result is not last
                         and screen.result.config.steps == 30)


@pytest.mark.slow
async def test_resizing_while_experiments_train():
    async with page("experiments") as (app, pilot, screen):
        screen.load_preset("quick")
        await taken_in(pilot, screen)
        screen.action_run()
        await wait_until(pilot, lambda: screen.running)
        await _walk_sizes(pilot, screen)
        await wait_until(pilot, lambda: "done" in screen_text(app), timeout=180)
        assert app._exception is None
