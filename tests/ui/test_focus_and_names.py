"""Keys a newcomer relies on (issue 14): focus is always visible, the screen list filters
as one types, and a preset has one name everywhere (the palette finds ``--preset`` names).
"""
import asyncio
import time

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import SelectionList

from vgtui.app import VgtuiApp
from vgtui.engine.presets import presets_for
from vgtui.topics import TOPICS
from vgtui.widgets.pickers import ScreenPicker

from .helpers import SLOWDOWN, every_screen, on_screen, wait_until


def look(screen, widget) -> list:
    """The widget's cells on screen now: text and style of every segment (of the rows
    on screen: a region partly above the top has rows at negative y)."""
    strips = screen._compositor.render_strips()
    region = widget.region
    return [[(seg.text, str(seg.style)) for seg in strips[y].crop(region.x, region.right)]
            for y in range(max(0, region.y), min(region.bottom, len(strips)))]


async def focus_in_view(pilot, screen, widget) -> None:
    """Focus ``widget`` and let the scroll that brings it into view happen: under load
    that can take more than one pause, and a look taken meanwhile reads other widgets'
    rows. A widget that does not come into view (out of its pane) is left as it is."""
    widget.focus()
    deadline = time.monotonic() + 2.0 * SLOWDOWN
    while time.monotonic() < deadline:
        await pilot.pause()
        region = widget.region
        if region.area and 0 <= region.y < screen.size.height:
            return
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("screen_id", every_screen(t.id for t in TOPICS))
async def test_every_focusable_widget_shows_focus(screen_id):
    """Each widget in the focus chain looks different focused than blurred. Walking the
    chain, a widget is seen focused, then blurred once focus has moved on to the next
    (one focus change per widget); where moving on scrolled it, it is blurred in place."""
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(100, 32)) as pilot:
        # The first result drawn before the walk: a table filling in between a widget's
        # focused and blurred looks made them alike under load (a fixed pause did not wait).
        screen = await on_screen(pilot, screen_id)
        invisible = []

        async def blurred_in_place(widget):
            screen.set_focus(None)
            await pilot.pause()
            return look(screen, widget)

        before = None  # (widget, its region and look while it had focus)
        for widget in [*screen.focus_chain, None]:
            if widget is not None:
                await focus_in_view(pilot, screen, widget)
            else:
                screen.set_focus(None)  # the last one is blurred by focusing nothing
                await pilot.pause()
            if before is not None:
                last, region, focused = before
                if last.region == region:
                    blurred = look(screen, last)
                else:  # moving on scrolled it: look at it again, focused and not
                    await focus_in_view(pilot, screen, last)
                    focused = look(screen, last)
                    blurred = await blurred_in_place(last)
                    if widget is not None:
                        await focus_in_view(pilot, screen, widget)
                if blurred == focused:
                    invisible.append(f"{type(last).__name__}#{last.id}")
            if widget is None:
                break
            if widget.region.area == 0:
                before = None  # scrolled out of the pane entirely: nothing to see either way
                continue
            before = (widget, widget.region, look(screen, widget))
        assert not invisible, f"{screen_id}: focus cannot be seen on {invisible}"


async def test_space_in_the_architectures_list_visibly_toggles_a_series():
    app = VgtuiApp(start_screen="architectures")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        shown = screen.query_one("#arch-show", SelectionList)
        shown.focus()
        await pilot.pause()
        before = look(screen, shown)
        await pilot.press("space")
        await pilot.pause()
        assert len(shown.selected) == len(shown.options) - 1
        assert look(screen, shown) != before


async def test_the_screen_list_filters_as_one_types():
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.set_focus(None)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, ScreenPicker))
        picker = app.screen
        listed = picker.query_one("#picker-list")
        assert listed.option_count == len(TOPICS)
        await pilot.press(*"clip")
        await pilot.pause()
        assert picker.shown == ["exploding"] and listed.option_count == 1
        for _ in "clip":
            await pilot.press("backspace")
        await pilot.press("7")  # a number key alone puts its screen first
        await pilot.pause()
        assert picker.shown[0] == "spectrum"
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == "spectrum")


async def test_the_screen_list_says_when_nothing_matches():
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_pick_screen()
        await wait_until(pilot, lambda: isinstance(app.screen, ScreenPicker))
        await pilot.press(*"zzzz", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ScreenPicker) and app.screen.shown == []
        await pilot.press("escape")
        await pilot.pause()
        assert getattr(app.screen, "SCREEN_ID", "") == "flow"


@pytest.mark.parametrize("screen_id,name", [("flow", "log-space"), ("flow", "four-unit"),
                                            ("decay", "seven-tenths")])
async def test_the_palette_finds_a_preset_by_its_cli_name(screen_id, name):
    assert name in [p.name for p in presets_for(screen_id)]
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*name)

        def first_hit() -> str:
            found = app.screen.query(CommandList)
            if not found or not found.first().option_count:
                return ""
            return str(found.first().get_option_at_index(0).prompt)

        await wait_until(pilot, lambda: name in first_hit(), timeout=10)


def test_a_preset_is_labelled_by_its_cli_name_first():
    for topic in TOPICS:
        for preset in topic.presets:
            assert preset.label.startswith(preset.name), preset
