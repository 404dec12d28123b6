"""Pages built ahead in idle time: a first visit as quick as a return one, and the page
being looked at never disturbed by it."""
from __future__ import annotations

import pytest

from vgtui.app import VgtuiApp
from vgtui.topics import topic_ids

from .helpers import on_screen, theme_while_away, wait_until


async def test_a_test_pilot_builds_no_page_ahead_unless_asked():
    app = VgtuiApp(start_screen="history")
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, "history")
        await wait_until(pilot, lambda: app.pages_built_ahead)
        assert app.pages_ahead == {}


@pytest.mark.slow
async def test_pages_built_ahead_open_ready_and_leave_the_shown_page_alone():
    app = VgtuiApp(start_screen="chain", build_ahead=True)
    async with app.run_test(size=(80, 24)) as pilot:
        chain = await on_screen(pilot, "chain")
        await pilot.press("tab")  # a setting has the focus: building must not move it
        focused = chain.focused
        assert focused is not None
        await wait_until(pilot, lambda: len(app.pages_ahead) >= 2, timeout=120)
        # A person typing meanwhile: the keys reach the shown page's field at once.
        await pilot.press("end", *["backspace"] * 8, "0", ".", "7", "5")
        await wait_until(pilot, lambda: chain.config.weight == 0.75 and chain.is_ready())
        await wait_until(pilot, lambda: app.pages_built_ahead, timeout=240)
        assert app.screen is chain and chain.focused is focused
        assert set(app.pages_ahead) == set(topic_ids()) - {"chain"}
        assert app.remembered.get("screen") == "chain"  # no page built ahead is "visited"

        flow = app.pages_ahead["flow"]
        assert flow.is_ready()  # its first result was computed off-stage
        app.action_goto("flow")
        assert await on_screen(pilot, "flow") is flow
        assert "flow" not in app.pages_ahead

        # A theme chosen after a page was built still reaches it when it is shown.
        decay = app.pages_ahead["decay"]
        background = str(decay.styles.background)
        assert await theme_while_away(pilot, "decay") is decay
        assert str(decay.styles.background) != background


async def test_quitting_while_pages_are_built_ahead_ends_cleanly():
    app = VgtuiApp(start_screen="decay", build_ahead=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, "decay")
        await wait_until(pilot, lambda: app.pages_ahead, timeout=120)
        await pilot.press("q")
    assert app.return_code in (0, None)
